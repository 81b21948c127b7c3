/* Exact integer parsing of "1.5us", "100Gbps", "32MiB": no floating point, so no rounding surprises. */
#include "common/units.h"

#include "common/time.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit {
    const char *name;
    uint64_t scale; /* base units per 1 of this unit */
};

static const struct unit time_units[] = {
    {"ps", 1}, {"ns", 1000}, {"us", 1000000}, {"\xc2\xb5s", 1000000}, {"ms", 1000000000ULL},
    {"s", 1000000000000ULL}, {NULL, 0},
};
static const struct unit rate_units[] = {
    {"bps", 1}, {"Kbps", 1000}, {"kbps", 1000}, {"Mbps", 1000000}, {"Gbps", 1000000000ULL},
    {"Tbps", 1000000000000ULL}, {"B/s", 8}, {"KB/s", 8000}, {"kB/s", 8000}, {"MB/s", 8000000},
    {"GB/s", 8000000000ULL}, {"TB/s", 8000000000000ULL}, {NULL, 0},
};
static const struct unit size_units[] = {
    {"B", 1}, {"KB", 1000}, {"kB", 1000}, {"MB", 1000000}, {"GB", 1000000000ULL}, {"TB", 1000000000000ULL},
    {"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40}, {NULL, 0},
};

static const struct unit frequency_units[] = {
    {"Hz", 1}, {"kHz", 1000}, {"MHz", 1000000}, {"GHz", 1000000000ULL}, {NULL, 0},
};

static const struct unit *units_of(enum vdc_quantity kind)
{
    switch (kind) {
    case VDC_QTY_TIME: return time_units;
    case VDC_QTY_RATE: return rate_units;
    case VDC_QTY_SIZE: return size_units;
    case VDC_QTY_FREQUENCY: return frequency_units;
    case VDC_QTY_COUNT: break;
    }
    return NULL;
}

static const char *kind_noun(enum vdc_quantity kind)
{
    switch (kind) {
    case VDC_QTY_TIME: return "time";
    case VDC_QTY_RATE: return "rate";
    case VDC_QTY_SIZE: return "size";
    case VDC_QTY_FREQUENCY: return "frequency";
    case VDC_QTY_COUNT: break;
    }
    return "count";
}

const char *vdc_quantity_expected(enum vdc_quantity kind)
{
    switch (kind) {
    case VDC_QTY_TIME: return "a time like 1.5us (units: ps, ns, us, ms, s)";
    case VDC_QTY_RATE: return "a rate like 100Gbps (units: bps, Kbps, Mbps, Gbps, Tbps, B/s, KB/s, MB/s, GB/s, TB/s)";
    case VDC_QTY_SIZE: return "a size like 32MiB or a byte count (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
    case VDC_QTY_FREQUENCY: return "a frequency like 1.98GHz (units: Hz, kHz, MHz, GHz)";
    case VDC_QTY_COUNT: break;
    }
    return "a whole number like 8";
}

static uint64_t pow10_u64(unsigned n)
{
    uint64_t p = 1;
    while (n--)
        p *= 10;
    return p;
}

bool vdc_parse_quantity(const char *text, enum vdc_quantity kind, uint64_t *out, struct vdc_error *err)
{
    const char *p = text;
    if (*p == '+')
        p++;
    if (*p == '-')
        return vdc_fail(err, "negative %s '%s'", kind_noun(kind), text);
    if (!isdigit((unsigned char)*p))
        return vdc_fail(err, "'%s' is not a number", text);
    /* Keep up to 30 significant digits in 128 bits; more cannot fit a 64-bit result anyway. */
    unsigned __int128 mantissa = 0;
    unsigned digits = 0, fraction_digits = 0;
    for (; isdigit((unsigned char)*p); p++) {
        if (mantissa != 0 || *p != '0')
            digits++;
        if (digits > 30)
            return vdc_fail(err, "%s '%s' is too large", kind_noun(kind), text);
        mantissa = mantissa * 10 + (unsigned)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return vdc_fail(err, "'%s' has no digits after the decimal point", text);
        for (; isdigit((unsigned char)*p); p++) {
            if (fraction_digits >= 18 || ++digits > 30)
                return vdc_fail(err, "'%s' has too many digits", text);
            mantissa = mantissa * 10 + (unsigned)(*p - '0');
            fraction_digits++;
        }
    }
    /* 1e30bps would otherwise read as the unknown unit 'e30bps'. */
    if ((*p == 'e' || *p == 'E') && (isdigit((unsigned char)p[1]) || ((p[1] == '-' || p[1] == '+') &&
                                                                      isdigit((unsigned char)p[2]))))
        return vdc_fail(err, "'%s' uses an exponent", text);
    while (*p == ' ')
        p++;
    uint64_t scale = 1;
    const struct unit *units = units_of(kind);
    if (*p == '\0') {
        bool unit_required = kind == VDC_QTY_TIME || kind == VDC_QTY_RATE || kind == VDC_QTY_FREQUENCY;
        if (unit_required && mantissa != 0)
            return vdc_fail(err, "'%s' has no unit", text);
    } else {
        if (units == NULL)
            return vdc_fail(err, "'%s' is not a whole number", text);
        const struct unit *u = units;
        while (u->name != NULL && strcmp(u->name, p) != 0)
            u++;
        if (u->name == NULL)
            return vdc_fail(err, "unknown unit '%s' in '%s'", p, text);
        scale = u->scale;
    }
    unsigned __int128 value;
    bool overflow = __builtin_mul_overflow(mantissa, (unsigned __int128)scale, &value);
    uint64_t divisor = pow10_u64(fraction_digits);
    if (!overflow && value % divisor != 0) {
        if (units == NULL || *p == '\0')
            return vdc_fail(err, "'%s' is not a whole number", text);
        return vdc_fail(err, "'%s' is finer than the resolution of 1 %s", text,
                        kind == VDC_QTY_TIME ? "ps" : kind == VDC_QTY_RATE ? "bit/s" : kind == VDC_QTY_FREQUENCY ? "Hz" : "byte");
    }
    if (!overflow)
        value /= divisor;
    if (overflow || value > UINT64_MAX) {
        const char *largest = kind == VDC_QTY_TIME   ? " ps, about 213 days"
                              : kind == VDC_QTY_RATE ? " bit/s"
                              : kind == VDC_QTY_SIZE ? " bytes"
                              : kind == VDC_QTY_FREQUENCY ? " Hz"
                                                     : "";
        return vdc_fail(err, "%s '%s' is too large (the largest is 18446744073709551615%s)", kind_noun(kind), text,
                        largest);
    }
    *out = (uint64_t)value;
    return true;
}

bool vdc_parse_real(const char *text, double *out, struct vdc_error *err)
{
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end != '\0')
        return vdc_fail(err, "'%s' is not a number", text);
    if (errno == ERANGE || !isfinite(value))
        return vdc_fail(err, "'%s' is out of the range of a real number", text);
    *out = value;
    return true;
}

bool vdc_parse_bool(const char *text, bool *out, struct vdc_error *err)
{
    static const char *const yes[] = {"true", "yes", "on", NULL}, *const no[] = {"false", "no", "off", NULL};
    for (int i = 0; yes[i] != NULL; i++) {
        if (strcmp(text, yes[i]) == 0)
            return *out = true, true;
        if (strcmp(text, no[i]) == 0)
            return *out = false, true;
    }
    return vdc_fail(err, "'%s' is not true or false", text);
}

size_t vdc_format_quantity(char *buf, size_t size, enum vdc_quantity kind, uint64_t value)
{
    const struct unit *units = units_of(kind);
    if (kind == VDC_QTY_TIME)
        return vdc_time_format(buf, size, value);
    if (units == NULL || value == 0)
        return (size_t)snprintf(buf, size, "%" PRIu64, value);
    /* The largest unit that divides the value exactly, so the text parses back to the same value. */
    const struct unit *best = NULL;
    for (const struct unit *u = units; u->name != NULL; u++) {
        if (value % u->scale == 0 && (best == NULL || u->scale > best->scale) && u->name[0] != 'k' && strchr(u->name, '/') == NULL)
            best = u;
    }
    return (size_t)snprintf(buf, size, "%" PRIu64 "%s", value / best->scale, best->name);
}
