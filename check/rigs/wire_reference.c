/* Independent references (CRC-32 bit by bit, RFC 1071 sums) and scratch files for the wire suites. */
#include "wire_reference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) one bit at a time: no table, no zlib. */
static uint32_t bitwise_crc32(uint32_t crc, const uint8_t *bytes, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= bytes[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

/* The ICRC of the RoCEv2 packet at `ip` (IPv4 header onwards, `len` bytes without the ICRC), with the
 * masks written out from IBA Annex A17: TOS, TTL, IP checksum, UDP checksum and BTH byte 4 as ones. */
uint32_t reference_icrc(const uint8_t *ip, size_t len)
{
    uint8_t *masked = malloc(8 + len);
    memset(masked, 0xff, 8);
    memcpy(masked + 8, ip, len);
    uint8_t *m = masked + 8;
    m[1] = 0xff;                /* TOS: DSCP and ECN */
    m[8] = 0xff;                /* TTL */
    m[10] = m[11] = 0xff;       /* header checksum */
    m[20 + 6] = m[20 + 7] = 0xff; /* UDP checksum */
    m[28 + 4] = 0xff;           /* BTH: FECN, BECN, resv6 */
    uint32_t crc = bitwise_crc32(0, masked, 8 + len);
    free(masked);
    return crc;
}

uint32_t stored_icrc(const uint8_t *frame, size_t len)
{
    const uint8_t *b = frame + len - 4;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* RFC 1071 checked the long way: the 16-bit words of a correct header add up to 0xffff. */
uint16_t reference_header_sum(const uint8_t *h)
{
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(h[i] << 8 | h[i + 1]);
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

void set_ip_checksum(uint8_t *ip)
{
    ip[10] = ip[11] = 0;
    uint16_t sum = (uint16_t)~reference_header_sum(ip);
    ip[10] = (uint8_t)(sum >> 8);
    ip[11] = (uint8_t)sum;
}

void reseal(uint8_t *frame, size_t len)
{
    set_ip_checksum(frame + TAGGED);
    uint32_t icrc = reference_icrc(frame + TAGGED, len - TAGGED - 4);
    for (int i = 0; i < 4; i++)
        frame[len - 4 + i] = (uint8_t)(icrc >> (8 * i));
}

void scratch_open(struct scratch *s)
{
    snprintf(s->folder, sizeof s->folder, "/tmp/vdc-wire-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->folder));
    static const char *const names[3] = {"frames.pcap", "tshark.out", "tshark.err"};
    for (int i = 0; i < 3; i++)
        snprintf(s->path[i], sizeof s->path[i], "%s/%s", s->folder, names[i]);
}

void scratch_remove(struct scratch *s)
{
    for (int i = 0; i < 3; i++)
        unlink(s->path[i]);
    rmdir(s->folder);
}

size_t read_whole(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

int run_command(const char *command, const struct scratch *s)
{
    char line[2048];
    int n = snprintf(line, sizeof line, "%s >%s 2>%s", command, s->path[1], s->path[2]);
    ck_assert(n > 0 && (size_t)n < sizeof line);
    return system(line);
}

void require_tshark(void)
{
    if (system("command -v tshark >/dev/null 2>&1") != 0)
        ck_abort_msg("tshark is not installed, and this test reads vdc's frames with it; install it with "
                     "'sudo apt-get install -y tshark' (or run scripts/deps.sh as root)");
}

void tshark_read(const struct scratch *s, const char *arguments, char *out, size_t size)
{
    static char errors[8192];
    char command[1024];
    snprintf(command, sizeof command, "tshark -n -o ip.check_checksum:TRUE -r %s %s", s->path[0], arguments);
    int status = run_command(command, s);
    read_whole(s->path[1], out, size);
    read_whole(s->path[2], errors, sizeof errors);
    ck_assert_msg(status == 0, "tshark failed (status %d): %s", status, errors);
}

void tshark_expect_clean(const struct scratch *s)
{
    static char out[8192];
    tshark_read(s, "-Y '_ws.malformed || _ws.expert.severity >= error'", out, sizeof out);
    ck_assert_msg(out[0] == '\0', "tshark found problems:\n%s", out);
}
