/* Reading HPCC text files line by line and field by field, with exact numbers and precise messages. */
#include "fabric/hpcc_import_text.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/units.h"
#include "fabric/topology.h"

/* No HPCC field is longer; a longer one is echoed shortened and refused before any parsing. */
#define MAX_FIELD_BYTES 64
#define ECHO_BYTES 40

bool fabric_hpcc_text_open(struct hpcc_text *t, const char *path, const char *what, struct vdc_error *err)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    t->file = fopen(path, "rb");
    if (t->file == NULL)
        return vdc_fail(err, "%s: cannot open the %s (%s); check the path", path, what, strerror(errno));
    struct stat st;
    if (fstat(fileno(t->file), &st) == 0 && S_ISDIR(st.st_mode)) {
        fabric_hpcc_text_close(t);
        return vdc_fail(err, "%s: is a folder, not a %s", path, what);
    }
    return true;
}

void fabric_hpcc_text_close(struct hpcc_text *t)
{
    if (t->file != NULL)
        fclose(t->file);
    free(t->line);
    free(t->fields);
    t->file = NULL;
    t->line = NULL;
    t->fields = NULL;
}

bool fabric_hpcc_line_fail(const struct hpcc_text *t, struct vdc_error *err, const char *fmt, ...)
{
    char message[sizeof err->text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return vdc_fail(err, "%s:%zu: %s", t->path, t->line_number ? t->line_number : 1, message);
}

bool fabric_hpcc_field_fail(const struct hpcc_text *t, size_t index, const char *name, struct vdc_error *err,
                     const char *fmt, ...)
{
    char message[sizeof err->text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    const char *text = t->fields[index];
    const char *cut = strlen(text) > ECHO_BYTES ? "..." : "";
    if (name == NULL)
        return vdc_fail(err, "%s:%zu: field %zu \"%.*s%s\": %s", t->path, t->line_number, index + 1, ECHO_BYTES,
                        text, cut, message);
    return vdc_fail(err, "%s:%zu: field %zu (%s) \"%.*s%s\": %s", t->path, t->line_number, index + 1, name,
                    ECHO_BYTES, text, cut, message);
}

/* Reads one line into t->line. Returns 1, 0 at the end of the file, -1 on error. */
static int read_line(struct hpcc_text *t, size_t *length, struct vdc_error *err)
{
    size_t n = 0;
    bool any = false;
    int c;
    t->line_number++;
    while ((c = getc(t->file)) != EOF) {
        any = true;
        if (c == '\n')
            break;
        if (c == '\r') { /* CRLF, or a lone CR as old Mac files end lines */
            int next = getc(t->file);
            if (next != '\n' && next != EOF)
                ungetc(next, t->file);
            break;
        }
        if (c == '\0')
            return fabric_hpcc_line_fail(t, err, "NUL byte at column %zu; the file must be plain text", n + 1), -1;
        if (n + 1 >= HPCC_MAX_LINE_BYTES)
            return fabric_hpcc_line_fail(t, err, "the line is longer than %u bytes; is this an HPCC text file?",
                                  HPCC_MAX_LINE_BYTES), -1;
        if (n + 1 >= t->line_cap) {
            t->line_cap = t->line_cap ? t->line_cap * 2 : 256;
            t->line = vdc_xrealloc(t->line, t->line_cap, 1);
        }
        t->line[n++] = (char)c;
    }
    if (ferror(t->file))
        return fabric_hpcc_line_fail(t, err, "cannot read the file (%s)", strerror(errno)), -1;
    if (!any) {
        t->line_number--; /* messages about the end of the file name the last line */
        return 0;
    }
    if (t->line == NULL)
        t->line = vdc_xmalloc(t->line_cap = 256);
    t->line[n] = '\0';
    *length = n;
    return 1;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

int fabric_hpcc_text_next(struct hpcc_text *t, struct vdc_error *err)
{
    for (;;) {
        size_t length;
        int got = read_line(t, &length, err);
        if (got <= 0)
            return got;
        t->field_count = 0;
        for (char *p = t->line; *p != '\0';) {
            while (is_blank(*p))
                *p++ = '\0';
            if (*p == '\0')
                break;
            if (t->field_count == t->field_cap) {
                t->field_cap = t->field_cap ? t->field_cap * 2 : 16;
                t->fields = vdc_xrealloc(t->fields, t->field_cap, sizeof *t->fields);
            }
            t->fields[t->field_count++] = p;
            while (*p != '\0' && !is_blank(*p))
                p++;
        }
        if (t->field_count > 0)
            return 1;
    }
}

bool fabric_hpcc_expect_fields(const struct hpcc_text *t, size_t count, const char *const *names, const char *layout,
                        struct vdc_error *err)
{
    if (t->field_count < count)
        return fabric_hpcc_line_fail(t, err, "field %zu (%s) is missing; %s", t->field_count + 1, names[t->field_count],
                              layout);
    if (t->field_count > count)
        return fabric_hpcc_field_fail(t, count, NULL, err, "is extra; %s", layout);
    return true;
}

/* Refuses fields too long to be numbers before parsing, so messages and work stay small. */
static bool short_enough(const struct hpcc_text *t, size_t index, const char *name, const char *hint,
                         struct vdc_error *err)
{
    size_t length = strlen(t->fields[index]);
    if (length > MAX_FIELD_BYTES)
        return fabric_hpcc_field_fail(t, index, name, err, "is %zu characters long; %s", length, hint);
    return true;
}

bool fabric_hpcc_field_uint(const struct hpcc_text *t, size_t index, const char *name, uint64_t max, uint64_t *out,
                     struct vdc_error *err)
{
    if (!short_enough(t, index, name, "give a whole number", err))
        return false;
    const char *text = t->fields[index];
    if (text[0] == '-')
        return fabric_hpcc_field_fail(t, index, name, err, "is negative; give a whole number from 0 to %" PRIu64, max);
    uint64_t value = 0;
    bool overflow = false;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return fabric_hpcc_field_fail(t, index, name, err, "is not a whole number; give digits only, like 42");
        overflow |= __builtin_mul_overflow(value, 10, &value) || __builtin_add_overflow(value, *p - '0', &value);
    }
    if (overflow || value > max)
        return fabric_hpcc_field_fail(t, index, name, err, "is too large (the largest is %" PRIu64 ")", max);
    *out = value;
    return true;
}

bool fabric_hpcc_field_node(const struct hpcc_text *t, size_t index, const char *name, uint32_t node_count,
                     uint32_t *out, struct vdc_error *err)
{
    uint64_t value;
    if (t->fields[index][0] == '-')
        return fabric_hpcc_field_fail(t, index, name, err, "is negative; nodes are 0 to %" PRIu32 " (line 1 declares %" PRIu32
                               ")", node_count - 1, node_count);
    if (!fabric_hpcc_field_uint(t, index, name, UINT64_MAX, &value, err))
        return false;
    if (value >= node_count)
        return fabric_hpcc_field_fail(t, index, name, err, "node %" PRIu64 " does not exist; nodes are 0 to %" PRIu32
                               " (line 1 declares %" PRIu32 ")", value, node_count - 1, node_count);
    *out = (uint32_t)value;
    return true;
}

/* The units message without its echo of the field, which the field message already shows:
 * "unknown unit 'Gbs' in '100Gbs'" becomes "unknown unit 'Gbs'", "'10' has no unit" becomes "has no unit". */
static void without_echo(const char *message, const char *text, char *out, size_t size)
{
    char quoted[MAX_FIELD_BYTES + 3];
    snprintf(quoted, sizeof quoted, "'%s'", text);
    size_t q = strlen(quoted), n = 0;
    for (const char *p = message; *p != '\0' && n + 1 < size;) {
        if (strncmp(p, " in ", 4) == 0 && strncmp(p + 4, quoted, q) == 0)
            p += 4 + q;
        else if (strncmp(p, quoted, q) == 0 && p[q] == ' ')
            p += q + 1;
        else if (p[0] == ' ' && strncmp(p + 1, quoted, q) == 0)
            p += 1 + q;
        else
            out[n++] = *p++;
    }
    out[n] = '\0';
}

/* ns-3 also writes rates as 25Gb/s and 1GBps; these are vdc's 25Gbps and 1GB/s. */
static bool ns3_rate_spelling(const char *text, char *out, size_t size)
{
    size_t length = strlen(text);
    if (length + 2 > size)
        return false;
    memcpy(out, text, length + 1);
    if (length > 3 && strcmp(text + length - 3, "b/s") == 0) {
        memcpy(out + length - 3, "bps", 4);
        return true;
    }
    if (length > 3 && strcmp(text + length - 3, "Bps") == 0) {
        memcpy(out + length - 3, "B/s", 4);
        return true;
    }
    return false;
}

bool fabric_hpcc_parse_rate(const char *text, uint64_t *out, struct vdc_error *why)
{
    char alternative[MAX_FIELD_BYTES + 2];
    return vdc_parse_quantity(text, VDC_QTY_RATE, out, why) ||
           (ns3_rate_spelling(text, alternative, sizeof alternative) &&
            vdc_parse_quantity(alternative, VDC_QTY_RATE, out, NULL));
}

bool fabric_hpcc_field_rate(const struct hpcc_text *t, size_t index, uint64_t *out, struct vdc_error *err)
{
    static const char hint[] = "give a rate like 100Gbps";
    if (!short_enough(t, index, "rate", hint, err))
        return false;
    const char *text = t->fields[index];
    if (text[0] == '-')
        return fabric_hpcc_field_fail(t, index, "rate", err, "is negative; %s", hint);
    struct vdc_error why;
    uint64_t rate;
    if (!fabric_hpcc_parse_rate(text, &rate, &why)) {
        char defect[sizeof why.text];
        without_echo(why.text, text, defect, sizeof defect);
        return fabric_hpcc_field_fail(t, index, "rate", err, "%s; %s", defect, hint);
    }
    if (rate < FABRIC_MIN_RATE || rate > FABRIC_MAX_RATE)
        return fabric_hpcc_field_fail(t, index, "rate", err, "is out of range; vdc links run at 1Mbps to 1.6Tbps");
    *out = rate;
    return true;
}

bool fabric_hpcc_field_delay(const struct hpcc_text *t, size_t index, vdc_time *out, struct vdc_error *err)
{
    static const char hint[] = "give a delay like 1us or 0.001ms";
    if (!short_enough(t, index, "delay", hint, err))
        return false;
    const char *text = t->fields[index];
    if (text[0] == '-')
        return fabric_hpcc_field_fail(t, index, "delay", err, "is negative; %s", hint);
    struct vdc_error why;
    uint64_t delay;
    if (!vdc_parse_quantity(text, VDC_QTY_TIME, &delay, &why)) {
        char defect[sizeof why.text];
        without_echo(why.text, text, defect, sizeof defect);
        return fabric_hpcc_field_fail(t, index, "delay", err, "%s; %s", defect, hint);
    }
    if (delay > FABRIC_MAX_DELAY)
        return fabric_hpcc_field_fail(t, index, "delay", err, "is over the 1s limit for a link; %s", hint);
    *out = delay;
    return true;
}

bool fabric_hpcc_field_probability(const struct hpcc_text *t, size_t index, const char *name, double *out,
                            struct vdc_error *err)
{
    static const char hint[] = "give a probability from 0 to 1 like 0 or 0.000001";
    if (!short_enough(t, index, name, hint, err))
        return false;
    const char *text = t->fields[index];
    struct vdc_error why;
    double value;
    if (!vdc_parse_real(text, &value, &why)) {
        char defect[sizeof why.text];
        without_echo(why.text, text, defect, sizeof defect);
        return fabric_hpcc_field_fail(t, index, name, err, "%s; %s", defect, hint);
    }
    if (!(value >= 0.0 && value <= 1.0))
        return fabric_hpcc_field_fail(t, index, name, err, "is not a probability; %s", hint);
    *out = value;
    return true;
}

bool fabric_hpcc_parse_seconds(const char *text, vdc_time *out, char *defect, size_t defect_size)
{
    static const unsigned ps_digits = 12; /* 1 s = 10^12 ps */
    const char *p = text;
    if (*p == '-') {
        snprintf(defect, defect_size, "is negative; flows start at time 0 or later");
        return false;
    }
    unsigned __int128 whole = 0;
    uint64_t fraction = 0; /* in ps once padded to 12 digits */
    unsigned whole_digits = 0, fraction_digits = 0;
    bool finer = false;
    bool any_digit = false;
    for (; *p >= '0' && *p <= '9'; p++) {
        any_digit = true;
        if (whole != 0 || *p != '0')
            whole_digits++;
        if (whole_digits <= 30) /* 30 digits cannot overflow 128 bits; more is too large anyway */
            whole = whole * 10 + (unsigned)(*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            snprintf(defect, defect_size, "has no digits after the decimal point; write seconds like 2.000000");
            return false;
        }
        for (; *p >= '0' && *p <= '9'; p++) {
            if (fraction_digits < ps_digits) {
                fraction = fraction * 10 + (unsigned)(*p - '0');
                fraction_digits++;
            } else if (*p != '0') {
                finer = true;
            }
        }
    }
    if (*p != '\0' || (!any_digit && fraction_digits == 0)) {
        const char *form = strpbrk(text, "eE") ? "uses an exponent; write plain decimal seconds like 0.000002"
                                              : "is not a number of seconds; write seconds like 2.000000";
        snprintf(defect, defect_size, "%s", form);
        return false;
    }
    if (finer) {
        snprintf(defect, defect_size, "is finer than 1 ps; give at most %u digits after the decimal point",
                 ps_digits);
        return false;
    }
    for (; fraction_digits < ps_digits; fraction_digits++)
        fraction *= 10;
    unsigned __int128 total = whole * VDC_SEC + fraction;
    if (whole_digits > 30 || total > UINT64_MAX) {
        snprintf(defect, defect_size, "is too large (the latest start is 18446744.073709551615 s, about 213 days)");
        return false;
    }
    *out = (vdc_time)total;
    return true;
}
