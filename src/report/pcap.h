/* A pcap capture file writer: classic libpcap format, nanosecond timestamps, Ethernet frames. */
#ifndef VDC_REPORT_PCAP_H
#define VDC_REPORT_PCAP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/time.h"

/* The file is little-endian whatever the host, so the same run gives the same bytes everywhere:
 * magic 0xa1b23c4d (nanosecond resolution), version 2.4, LINKTYPE_ETHERNET (frames without FCS). */
#define PCAP_MAGIC_NANOSECONDS 0xa1b23c4du
#define PCAP_LINKTYPE_ETHERNET 1u
#define PCAP_DEFAULT_SNAPLEN 262144u /* what tcpdump and Wireshark use: whole frames */

struct pcap_writer;

/* Creates (or truncates) `path` and writes the file header; snaplen is the most bytes kept of each frame
 * (1 .. PCAP_DEFAULT_SNAPLEN). Returns NULL with a message naming the file on failure. */
struct pcap_writer *vdc_pcap_writer_open(const char *path, uint32_t snaplen, struct vdc_error *err);

/* Adds one frame seen at virtual time `at`: `captured` bytes of `frame` are available of a frame that was
 * `original` bytes long; at most snaplen of them are kept. The timestamp is `at` split into seconds and
 * nanoseconds, the picoseconds below a nanosecond truncated (pcap's finest resolution is 1 ns). Writes are
 * buffered; an I/O error is reported here or by vdc_pcap_writer_close, naming the file. */
bool vdc_pcap_writer_add(struct pcap_writer *w, vdc_time at, const uint8_t *frame, uint32_t captured, uint32_t original,
                     struct vdc_error *err);

/* Flushes and closes the file and frees the writer, even after an error; false if any write failed. */
bool vdc_pcap_writer_close(struct pcap_writer *w, struct vdc_error *err);

#endif
