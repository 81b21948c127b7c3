/* Lines and fields of HPCC's whitespace-separated text files, with messages that name file:line and field. */
#ifndef VDC_FABRIC_HPCC_IMPORT_TEXT_H
#define VDC_FABRIC_HPCC_IMPORT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/time.h"

/* Longer than any real HPCC line (the switch list of a 65536-node topology is under 400 KB); a longer line
 * means the file is not an HPCC text file, and refusing it bounds memory. */
#define HPCC_MAX_LINE_BYTES (1u << 20)

struct hpcc_text {
    FILE *file;
    const char *path;
    size_t line_number;   /* of the line whose fields are below; 0 before the first */
    char *line;           /* the current line, cut into fields in place */
    size_t line_cap;
    char **fields;
    size_t field_count, field_cap;
};

/* Opens `path`; `what` names the kind of file in messages ("topology file"). */
bool fabric_hpcc_text_open(struct hpcc_text *t, const char *path, const char *what, struct vdc_error *err);
void fabric_hpcc_text_close(struct hpcc_text *t);

/* Reads the next line that has a field, skipping blank ones; CRLF and lone CR end lines too.
 * Returns 1 with the fields set, 0 at the end of the file, -1 after filling `err`. */
int fabric_hpcc_text_next(struct hpcc_text *t, struct vdc_error *err);

/* "PATH:LINE: MESSAGE" about the current line. */
bool fabric_hpcc_line_fail(const struct hpcc_text *t, struct vdc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "PATH:LINE: field N (NAME) "TEXT": MESSAGE" about field `index` (0-based) of the current line. */
bool fabric_hpcc_field_fail(const struct hpcc_text *t, size_t index, const char *name, struct vdc_error *err,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Checks that the current line has exactly `count` fields named `names`; `layout` describes the line
 * ("a link line has 5 fields: ...") for the message. */
bool fabric_hpcc_expect_fields(const struct hpcc_text *t, size_t count, const char *const *names, const char *layout,
                        struct vdc_error *err);

/* A whole number of at most `max`, digits only. */
bool fabric_hpcc_field_uint(const struct hpcc_text *t, size_t index, const char *name, uint64_t max, uint64_t *out,
                     struct vdc_error *err);

/* A node number below `node_count` (declared on line 1). */
bool fabric_hpcc_field_node(const struct hpcc_text *t, size_t index, const char *name, uint32_t node_count,
                     uint32_t *out, struct vdc_error *err);

/* A rate in vdc's units or ns-3's spellings (100Gbps, 25Gb/s, 50Mb/s, 1GBps), in bit/s; `why` says what is wrong. */
bool fabric_hpcc_parse_rate(const char *text, uint64_t *out, struct vdc_error *why);

/* A rate with ns-3 units (100Gbps, 25Gb/s, 1GBps) in bit/s, within the fabric's range. */
bool fabric_hpcc_field_rate(const struct hpcc_text *t, size_t index, uint64_t *out, struct vdc_error *err);

/* A delay with ns-3 units (1000ns, 1us, 0.001ms) in ps, within the fabric's range. */
bool fabric_hpcc_field_delay(const struct hpcc_text *t, size_t index, vdc_time *out, struct vdc_error *err);

/* A probability 0..1 (HPCC's per-packet error rate). */
bool fabric_hpcc_field_probability(const struct hpcc_text *t, size_t index, const char *name, double *out,
                            struct vdc_error *err);

/* Decimal seconds (2, 2.000000, 0.000001234) converted to ps exactly, or a message saying why not. */
bool fabric_hpcc_parse_seconds(const char *text, vdc_time *out, char *defect, size_t defect_size);

#endif
