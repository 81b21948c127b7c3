/* pcap capture files written through a large stdio buffer, little-endian, with nanosecond timestamps. */
#include "report/pcap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { WRITE_BUFFER = 1 << 20, FILE_HEADER = 24, RECORD_HEADER = 16 };

struct pcap_writer {
    FILE *file;
    char *path;
    uint32_t snaplen;
    int write_errno; /* the first failed write's errno, 0 while every write has succeeded */
    char *buffer;
};

static void put32_little(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static void put16_little(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static bool write_bytes(struct pcap_writer *w, const void *bytes, size_t len, struct vdc_error *err)
{
    if (w->write_errno == 0 && len > 0 && fwrite(bytes, 1, len, w->file) != len)
        w->write_errno = errno ? errno : EIO;
    if (w->write_errno != 0)
        return vdc_fail(err, "writing the pcap file '%s' failed (%s); check free space and the folder",
                        w->path, strerror(w->write_errno));
    return true;
}

static void release(struct pcap_writer *w)
{
    free(w->path);
    free(w->buffer);
    free(w);
}

struct pcap_writer *vdc_pcap_writer_open(const char *path, uint32_t snaplen, struct vdc_error *err)
{
    if (path == NULL || path[0] == '\0') {
        vdc_fail(err, "no pcap file name; give the path of the capture to write");
        return NULL;
    }
    if (snaplen == 0 || snaplen > PCAP_DEFAULT_SNAPLEN) {
        vdc_fail(err, "pcap snapshot length %u for '%s' is outside 1..%u; use %u to keep whole frames", snaplen,
                 path, PCAP_DEFAULT_SNAPLEN, PCAP_DEFAULT_SNAPLEN);
        return NULL;
    }
    FILE *file = fopen(path, "wb");
    if (file == NULL) {
        vdc_fail(err, "cannot create the pcap file '%s' (%s); choose a writable folder", path, strerror(errno));
        return NULL;
    }
    struct pcap_writer *w = vdc_xcalloc(1, sizeof *w);
    w->file = file;
    w->path = vdc_xstrdup(path);
    w->snaplen = snaplen;
    w->buffer = vdc_xmalloc(WRITE_BUFFER);
    setvbuf(file, w->buffer, _IOFBF, WRITE_BUFFER);

    uint8_t header[FILE_HEADER];
    put32_little(header, PCAP_MAGIC_NANOSECONDS);
    put16_little(header + 4, 2); /* version 2.4 */
    put16_little(header + 6, 4);
    put32_little(header + 8, 0);  /* timestamps are UTC */
    put32_little(header + 12, 0); /* accuracy of timestamps, always 0 */
    put32_little(header + 16, snaplen);
    put32_little(header + 20, PCAP_LINKTYPE_ETHERNET);
    if (!write_bytes(w, header, sizeof header, err)) {
        fclose(w->file);
        release(w);
        return NULL;
    }
    return w;
}

bool vdc_pcap_writer_add(struct pcap_writer *w, vdc_time at, const uint8_t *frame, uint32_t captured, uint32_t original,
                     struct vdc_error *err)
{
    if (w == NULL)
        return vdc_fail(err, "no pcap writer to add a frame to; open the file first");
    if (captured > original)
        return vdc_fail(err, "pcap file '%s': %u bytes captured of a %u-byte frame; the capture cannot exceed the "
                        "frame", w->path, captured, original);
    if (frame == NULL && captured > 0)
        return vdc_fail(err, "pcap file '%s': no bytes given for a frame of %u captured bytes", w->path, captured);
    uint32_t kept = captured < w->snaplen ? captured : w->snaplen;
    uint8_t record[RECORD_HEADER];
    put32_little(record, (uint32_t)(at / VDC_SEC)); /* at most about 18 million seconds: fits */
    put32_little(record + 4, (uint32_t)(at % VDC_SEC / VDC_NS));
    put32_little(record + 8, kept);
    put32_little(record + 12, original);
    return write_bytes(w, record, sizeof record, err) && write_bytes(w, frame, kept, err);
}

bool vdc_pcap_writer_close(struct pcap_writer *w, struct vdc_error *err)
{
    if (w == NULL)
        return true;
    int failure = w->write_errno;
    if (fclose(w->file) != 0 && failure == 0) /* fclose writes what the buffer still holds */
        failure = errno ? errno : EIO;
    if (failure != 0)
        vdc_fail(err, "writing the pcap file '%s' failed (%s); check free space and the folder", w->path,
                 strerror(failure));
    release(w);
    return failure == 0;
}
