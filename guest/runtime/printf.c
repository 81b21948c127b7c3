/* A small vsnprintf for guests: %d %i %u %x %X %o %p %s %c %f %%, with l/ll/z, width, '-', '0' and precision for %s
 * and %f. */
#include "vdc_guest.h"

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_padded(struct out *o, const char *text, size_t n, int width, int left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left)
        while (fill-- > 0)
            put(o, pad);
    for (size_t i = 0; i < n; i++)
        put(o, text[i]);
    if (left)
        while (fill-- > 0)
            put(o, ' ');
}

/* Writes the sign (straight to the output when zero-padding, so the zeros follow it) and the digits of v in
 * `base` into text; returns the length in text. */
static size_t signed_digits(struct out *o, unsigned long long v, int negative, unsigned base, int upper, int *width,
                            char pad, char *text)
{
    char digits[24];
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t n = 0, len = 0;
    do {
        digits[n++] = set[v % base];
        v /= base;
    } while (v != 0);
    if (negative && pad == '0') {
        put(o, '-');
        (*width)--;
    } else if (negative) {
        text[len++] = '-';
    }
    while (n > 0)
        text[len++] = digits[--n];
    return len;
}

static void put_number(struct out *o, unsigned long long v, int negative, unsigned base, int upper, int width,
                       int left, char pad)
{
    char text[26];
    size_t len = signed_digits(o, v, negative, base, upper, &width, pad, text);
    put_padded(o, text, len, width, left, pad);
}

/* Fixed-point: enough for reports (|v| < 2^64 / 10^precision); precision is capped at 9 digits. */
static void put_fixed(struct out *o, double v, int precision, int width, int left, char pad)
{
    if (v != v) {
        put_padded(o, "nan", 3, width, left, ' ');
        return;
    }
    int negative = v < 0;
    if (negative)
        v = -v;
    unsigned long long scale = 1;
    for (int i = 0; i < precision; i++)
        scale *= 10;
    if (v >= 18446744073709551615.0 / (double)scale) {
        put_padded(o, negative ? "-inf" : "inf", negative ? 4 : 3, width, left, ' ');
        return;
    }
    unsigned long long scaled = (unsigned long long)(v * (double)scale + 0.5);
    unsigned long long fraction = scaled % scale;
    char text[48];
    size_t len = signed_digits(o, scaled / scale, negative, 10, 0, &width, pad, text);
    if (precision > 0) {
        text[len++] = '.';
        for (int i = precision - 1; i >= 0; i--) {
            text[len + (size_t)i] = (char)('0' + fraction % 10);
            fraction /= 10;
        }
        len += (size_t)precision;
    }
    put_padded(o, text, len, width, left, pad);
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size, 0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        p++;
        int left = 0, width = 0, precision = -1, longs = 0;
        char pad = ' ';
        for (; *p == '-' || *p == '0'; p++) {
            if (*p == '-')
                left = 1;
            else
                pad = '0';
        }
        for (; *p >= '0' && *p <= '9'; p++)
            width = width * 10 + (*p - '0');
        if (*p == '.') {
            precision = 0;
            for (p++; *p >= '0' && *p <= '9'; p++)
                precision = precision * 10 + (*p - '0');
        }
        for (; *p == 'l' || *p == 'z'; p++)
            longs++;
        switch (*p) {
        case 'd':
        case 'i': {
            long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
            put_number(&o, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, v < 0, 10, 0, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            unsigned long long v = longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
            unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
            put_number(&o, v, 0, base, *p == 'X', width, left, pad);
            break;
        }
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_number(&o, (unsigned long long)(uintptr_t)va_arg(ap, void *), 0, 16, 0, width, left, pad);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (s == NULL)
                s = "(null)";
            size_t n = 0;
            while (s[n] && (precision < 0 || n < (size_t)precision))
                n++;
            put_padded(&o, s, n, width, left, ' ');
            break;
        }
        case 'f':
            put_fixed(&o, va_arg(ap, double), precision < 0 ? 6 : precision > 9 ? 9 : precision, width, left, pad);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            put_padded(&o, &c, 1, width, left, ' ');
            break;
        }
        case '%': put(&o, '%'); break;
        case '\0': p--; break;
        default:
            put(&o, '%');
            put(&o, *p);
            break;
        }
    }
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int printf(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    vdc_console_write(buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
    return n;
}
