/* Error messages and allocation that never returns NULL. */
#include "common/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

bool vdc_fail(struct vdc_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof err->text, fmt, ap);
    va_end(ap);
    return false;
}

bool vdc_fail_prefix(struct vdc_error *err, const char *fmt, ...)
{
    if (err == NULL)
        return false;
    char prefix[sizeof err->text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t used = strnlen(prefix, sizeof err->text - 3);
    char rest[sizeof err->text];
    memcpy(rest, err->text, sizeof rest);
    memcpy(err->text, prefix, used);
    memcpy(err->text + used, ": ", 2);
    size_t room = sizeof err->text - used - 3;
    size_t tail = strnlen(rest, room);
    memcpy(err->text + used + 2, rest, tail);
    err->text[used + 2 + tail] = '\0';
    return false;
}

void vdc_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("vdc: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void *vdc_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        vdc_die("out of memory allocating %zu bytes; reduce the scenario's size or free memory", size);
    return p;
}

void *vdc_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        vdc_die("out of memory allocating %zu x %zu bytes; reduce the scenario's size or free memory", count, size);
    return p;
}

void *vdc_xcalloc_lines(size_t count, size_t size)
{
    size_t bytes;
    if (__builtin_mul_overflow(count ? count : 1, size ? size : 1, &bytes) || bytes > SIZE_MAX - 63)
        vdc_die("out of memory allocating %zu x %zu bytes; reduce the scenario's size or free memory", count, size);
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (p == NULL)
        vdc_die("out of memory allocating %zu x %zu bytes; reduce the scenario's size or free memory", count, size);
    return memset(p, 0, bytes);
}

void *vdc_xrealloc_lines(void *p, size_t kept, size_t count, size_t size)
{
    void *grown = vdc_xcalloc_lines(count, size);
    if (p != NULL)
        memcpy(grown, p, (kept < count ? kept : count) * size);
    free(p);
    return grown;
}

#define PAGE_BYTES ((size_t)4096)

void *vdc_xcalloc_pages(size_t bytes)
{
    void *p = mmap(NULL, (bytes + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        vdc_die("out of memory allocating %zu bytes; reduce the scenario's size or free memory", bytes);
    return p;
}

void vdc_free_pages(void *p, size_t bytes)
{
    if (p != NULL)
        munmap(p, (bytes + PAGE_BYTES - 1) / PAGE_BYTES * PAGE_BYTES);
}

void *vdc_xcalloc_huge(size_t bytes)
{
    const size_t huge = (size_t)2 << 20, lazy = (size_t)64 << 10;
    if (bytes < lazy)
        return vdc_xcalloc_lines(1, bytes);
    if (bytes < huge)
        return vdc_xcalloc_pages(bytes); /* rather than the heap's calloc, which writes zeros over every page */
    size_t rounded = (bytes + huge - 1) / huge * huge;
    /* Fresh anonymous memory is zero and gets host pages only where it is touched: a table whose most bytes are
     * never touched costs nothing for them. Mapped with room to align. */
    uint8_t *mapped = mmap(NULL, rounded + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
        vdc_die("out of memory allocating %zu bytes; reduce the scenario's size or free memory", bytes);
    size_t lead = (huge - (uintptr_t)mapped % huge) % huge;
    if (lead > 0)
        munmap(mapped, lead);
    if (huge - lead > 0)
        munmap(mapped + lead + rounded, huge - lead);
    madvise(mapped + lead, rounded, MADV_HUGEPAGE); /* a hint: without it the pages are simply small */
    return mapped + lead;
}

void vdc_free_huge(void *p, size_t bytes)
{
    const size_t huge = (size_t)2 << 20, lazy = (size_t)64 << 10;
    if (p == NULL)
        return;
    if (bytes < lazy)
        free(p);
    else if (bytes < huge)
        vdc_free_pages(p, bytes);
    else
        munmap(p, (bytes + huge - 1) / huge * huge);
}

void *vdc_xrealloc(void *ptr, size_t count, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total))
        vdc_die("allocation of %zu x %zu bytes overflows; reduce the scenario's size", count, size);
    void *p = realloc(ptr, total ? total : 1);
    if (p == NULL)
        vdc_die("out of memory allocating %zu bytes; reduce the scenario's size or free memory", total);
    return p;
}

char *vdc_xstrdup(const char *text)
{
    size_t n = strlen(text) + 1;
    char *copy = vdc_xmalloc(n);
    memcpy(copy, text, n);
    return copy;
}

void vdc_print_error(const struct vdc_error *err)
{
    fputs("vdc: ", stderr);
    for (const unsigned char *p = (const unsigned char *)err->text; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            fprintf(stderr, "\\x%02x", *p);
        else
            fputc(*p, stderr);
    }
    fputc('\n', stderr);
}
