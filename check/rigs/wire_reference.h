/* Helpers shared by the wire suites: reference checksums written from the specifications, scratch files, tshark. */
#ifndef VDC_CHECK_WIRE_REFERENCE_H
#define VDC_CHECK_WIRE_REFERENCE_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

enum { TAGGED = 18 }; /* bytes before the IPv4 header of a tagged RoCE frame */

/* The ICRC of the RoCEv2 packet at `ip` (IPv4 header onwards, `len` bytes without the ICRC), with the
 * masks written out from IBA Annex A17 and a bit-at-a-time CRC-32. */
uint32_t reference_icrc(const uint8_t *ip, size_t len);

/* The ICRC a frame of `len` bytes carries in its last four (least significant byte first). */
uint32_t stored_icrc(const uint8_t *frame, size_t len);

/* The sum of a 20-byte IPv4 header's 16-bit words, folded: 0xffff when its checksum is right. */
uint16_t reference_header_sum(const uint8_t *h);

void set_ip_checksum(uint8_t *ip);

/* After a test edits a tagged RoCE frame: a right IP checksum and ICRC again, so a later check speaks. */
void reseal(uint8_t *frame, size_t len);

/* A scratch folder for the files a test writes; the test removes them. */
struct scratch {
    char folder[32];
    char path[3][96]; /* frames.pcap, tshark.out, tshark.err */
};

void scratch_open(struct scratch *s);
void scratch_remove(struct scratch *s);

/* Reads a whole (small) file into buf as a string; returns its length. */
size_t read_whole(const char *path, char *buf, size_t size);

/* Runs a shell command with stdout and stderr into the scratch files; returns its exit status. */
int run_command(const char *command, const struct scratch *s);

/* Fails the test, saying how to install it, when tshark is missing. */
void require_tshark(void);

/* tshark's reading of the capture at s->path[0] (IPv4 checksums verified) with `arguments` (e.g. "-T fields
 * -e frame.len"), its output into `out`; the test fails when tshark does. */
void tshark_read(const struct scratch *s, const char *arguments, char *out, size_t size);

/* The capture has no malformed frame and no error-level expert information. */
void tshark_expect_clean(const struct scratch *s);

#endif
