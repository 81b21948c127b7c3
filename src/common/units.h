/* Parsing of quantities with units: times (ps), rates (bit/s), sizes (bytes), frequencies (Hz), counts and reals. */
#ifndef VDC_SCENARIO_UNITS_H
#define VDC_SCENARIO_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum vdc_quantity {
    VDC_QTY_COUNT, /* a plain non-negative integer */
    VDC_QTY_TIME,  /* ps, ns, us, ms, s; the unit is required (except for 0) */
    VDC_QTY_RATE,  /* bps, Kbps, Mbps, Gbps, Tbps, or bytes per second: B/s, KB/s, MB/s, GB/s, TB/s */
    VDC_QTY_SIZE,  /* B, KB, MB, GB, TB (powers of 1000), KiB, MiB, GiB, TiB (powers of 1024); plain = bytes */
    VDC_QTY_FREQUENCY, /* Hz, kHz, MHz, GHz; the unit is required (except for 0) */
};

/* Parses `text` exactly (decimal fractions allowed where the result is a whole number of the base
 * unit). On failure the message names the defect ("unknown unit 'Gbs'"); the caller adds where. */
bool vdc_parse_quantity(const char *text, enum vdc_quantity kind, uint64_t *out, struct vdc_error *err);

/* The expected form for messages: "a rate like 100Gbps (units: bps, Kbps, Mbps, Gbps, Tbps, B/s, ...)". */
const char *vdc_quantity_expected(enum vdc_quantity kind);

/* Writes a value with the largest unit that keeps it exact ("100Gbps", "32MiB", "1.5 us"). */
size_t vdc_format_quantity(char *buf, size_t size, enum vdc_quantity kind, uint64_t value);

/* Parses a finite real number (no unit), e.g. 0.2 or 1e-3. */
bool vdc_parse_real(const char *text, double *out, struct vdc_error *err);

/* Parses true/false (also yes/no, on/off). */
bool vdc_parse_bool(const char *text, bool *out, struct vdc_error *err);

#endif
