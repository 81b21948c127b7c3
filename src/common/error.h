/* The one error path: a fixed buffer that carries a one-line message up to whoever reports it. */
#ifndef VDC_COMMON_ERROR_H
#define VDC_COMMON_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/* Every fallible function takes a `struct vdc_error *` and returns false after filling it.
 * Messages say what is wrong, where, and how to fix it, on one line without a trailing period. */
struct vdc_error {
    char text[768];
};

/* Sets the message and returns false, so callers can write `return vdc_fail(err, ...)`. */
bool vdc_fail(struct vdc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Puts "prefix: " before an existing message (e.g. a file name or an option). */
bool vdc_fail_prefix(struct vdc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "vdc: MESSAGE" on one line of stderr; control characters from echoed input appear as \xNN. */
void vdc_print_error(const struct vdc_error *err);

/* For failures no input can cause (allocation): prints one line and exits with status 1. */
_Noreturn void vdc_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *vdc_xmalloc(size_t size);
void *vdc_xcalloc(size_t count, size_t size);
/* As vdc_xcalloc, starting on a 64-byte cache line (for records laid out by cache line); released with free(). */
void *vdc_xcalloc_lines(size_t count, size_t size);
/* Grows (or shrinks) an array from vdc_xcalloc_lines to `count` elements, keeping the first `kept`; the rest is zero.
 * Whole lines each: no other allocation shares one with it (another thread may write that one). */
void *vdc_xrealloc_lines(void *p, size_t kept, size_t count, size_t size);
/* `bytes` zeroed, for a large table touched at random (a GPU's caches' tags and slots), starting on a host cache
 * line: from 64 KiB on, mapped fresh (host pages only where touched); from 2 MiB on also aligned to 2 MiB and advised
 * for huge pages, so that the host's TLB covers it; vdc_free_huge(p, bytes), with the same size, releases it. */
void *vdc_xcalloc_huge(size_t bytes);
void vdc_free_huge(void *p, size_t bytes);
/* `bytes` zeroed, mapped fresh in the host's small pages (host pages only where touched), for bulk data that is
 * streamed rather than touched at random (a GPU's device memory); vdc_free_pages(p, bytes) releases it. */
void *vdc_xcalloc_pages(size_t bytes);
void vdc_free_pages(void *p, size_t bytes);
void *vdc_xrealloc(void *ptr, size_t count, size_t size);
char *vdc_xstrdup(const char *text);

#endif
