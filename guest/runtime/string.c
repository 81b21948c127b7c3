/* The C library functions the runtime and libfdt need, freestanding. */
#include <stddef.h>
#include <stdint.h>

#include "vdc_guest.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
int strcmp(const char *a, const char *b);
int strcasecmp(const char *a, const char *b);
unsigned long strtoul(const char *s, char **end, int base);
void __stack_chk_fail(void);

/* Compiled with -fno-builtin so these loops are not turned back into calls to themselves. From VDC_FILL_MIN bytes
 * up, memset, memcpy, memmove and memcmp are one simctl exit each (FILL, COPY, COMPARE); below that, bulk moves go
 * eight bytes at a time once the destination is aligned: an eighth of the instructions and stores, which matters
 * most on the emulated vCPU, where every store takes the library's slow path. */
typedef uint64_t __attribute__((may_alias, aligned(1))) unaligned_word;

void *memcpy(void *dst, const void *src, size_t n)
{
    if (n >= VDC_FILL_MIN && vdc_copy(dst, src, n))
        return dst;
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n > 0 && ((uintptr_t)d & 7) != 0) {
        *d++ = *s++;
        n--;
    }
    for (; n >= 8; n -= 8, d += 8, s += 8)
        *(uint64_t *)(void *)d = *(const unaligned_word *)(const void *)s;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if (n >= VDC_FILL_MIN && vdc_copy(dst, src, n))
        return dst;
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    if (n >= VDC_FILL_MIN && vdc_fill(dst, c, n))
        return dst;
    unsigned char *d = dst;
    while (n > 0 && ((uintptr_t)d & 7) != 0) {
        *d++ = (unsigned char)c;
        n--;
    }
    uint64_t word = 0x0101010101010101ULL * (unsigned char)c;
    for (; n >= 8; n -= 8, d += 8)
        *(uint64_t *)(void *)d = word;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    size_t differs_at;
    if (n >= VDC_FILL_MIN && vdc_compare(a, b, n, &differs_at))
        return differs_at < n ? x[differs_at] - y[differs_at] : 0;
    /* Equal words skipped eight bytes at a time; the first difference is then found byte by byte. */
    for (; n >= 8 && *(const unaligned_word *)(const void *)x == *(const unaligned_word *)(const void *)y;
         n -= 8, x += 8, y += 8)
        ;
    for (; n--; x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (; n--; p++)
        if (*p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (*s == '\0')
            return (char *)last;
    }
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : (unsigned char)c;
}

/* strcmp with ASCII letters compared without their case (POSIX's, in the C locale). */
int strcasecmp(const char *a, const char *b)
{
    while (*a && lower(*a) == lower(*b)) {
        a++;
        b++;
    }
    return lower(*a) - lower(*b);
}

unsigned long strtoul(const char *s, char **end, int base)
{
    unsigned long v = 0;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }
    for (;; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'z' ? *s - 'a' + 10
                : *s >= 'A' && *s <= 'Z'                                   ? *s - 'A' + 10
                                                                           : 99;
        if (d >= base)
            break;
        v = v * (unsigned long)base + (unsigned long)d;
    }
    if (end != NULL)
        *end = (char *)s;
    return v;
}

void __stack_chk_fail(void)
{
    __builtin_trap();
}
