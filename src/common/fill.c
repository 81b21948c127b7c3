/* Fills that do not give zero pages storage (fill.h). */
#include "common/fill.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"

enum { HOST_PAGE = 4096, PAGES_PER_LOOK = 256 };

/* ---- large fills of one value: a shared pattern ---- */

/* A fill of another value than zero over at least PATTERN_MIN bytes maps, over its whole pages, a pattern that
 * already holds the value: PATTERN_BYTES of it in a file of the process's own (memfd), mapped private chunk after
 * chunk, so that the pages share the pattern's storage until one is written, which then gets a copy of its own
 * (as a fresh page gets storage). Every byte reads as memset's. What it saves is the host giving each page storage
 * and the fill writing it, and what reads the pages later (a NIC's DMA of a perftest buffer) finds the same few
 * host lines. Each chunk is a mapping of its own for the host, which allows a process some tens of thousands:
 * past PATTERN_CHUNKS_MAX, or where a mapping fails, fills are memset's. */
enum { PATTERN_BYTES = 256 * 1024, PATTERN_MIN = 2 * PATTERN_BYTES, PATTERN_CHUNKS_MAX = 16384 };

/* The pattern files by value, and the ranges mapped on them (a zero fill must not drop their pages: a page dropped
 * there reads as the pattern, not as zero). A range stays listed after its memory is unmapped or mapped afresh:
 * memory later mapped there then only misses the zero fill's shortcut. */
struct pattern_span {
    uintptr_t start, end;
};

static struct {
    pthread_mutex_t lock;
    int fd[256]; /* the file + 1; 0 not made yet, -1 could not be */
    uint32_t chunks;
    struct pattern_span *spans; /* sorted, disjoint and not touching */
    size_t span_count, span_capacity;
} patterns = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The pattern file of `value`, made on first use; -1 where the host refuses one. Under the lock. */
static int pattern_file(uint8_t value)
{
    if (patterns.fd[value] != 0)
        return patterns.fd[value] - 1;
    patterns.fd[value] = -1; /* could not be made, unless it is below */
    int fd = memfd_create("vdc-fill-pattern", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    uint8_t *map = MAP_FAILED;
    if (ftruncate(fd, PATTERN_BYTES) == 0)
        map = mmap(NULL, PATTERN_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        close(fd);
        return -1;
    }
    memset(map, value, PATTERN_BYTES);
    munmap(map, PATTERN_BYTES);
    patterns.fd[value] = fd + 1;
    return fd;
}

/* Notes [start, end) as mapped on a pattern, merged with the ranges it overlaps or touches. Under the lock. */
static void note_span(uintptr_t start, uintptr_t end)
{
    size_t lo = 0;
    while (lo < patterns.span_count && patterns.spans[lo].end < start)
        lo++;
    size_t hi = lo;
    while (hi < patterns.span_count && patterns.spans[hi].start <= end) {
        start = patterns.spans[hi].start < start ? patterns.spans[hi].start : start;
        end = patterns.spans[hi].end > end ? patterns.spans[hi].end : end;
        hi++;
    }
    if (hi == lo) {
        if (patterns.span_count == patterns.span_capacity) {
            patterns.span_capacity = patterns.span_capacity ? 2 * patterns.span_capacity : 16;
            patterns.spans = vdc_xrealloc(patterns.spans, patterns.span_capacity, sizeof *patterns.spans);
        }
        memmove(&patterns.spans[lo + 1], &patterns.spans[lo], (patterns.span_count - lo) * sizeof *patterns.spans);
        patterns.span_count++;
    } else if (hi > lo + 1) {
        memmove(&patterns.spans[lo + 1], &patterns.spans[hi], (patterns.span_count - hi) * sizeof *patterns.spans);
        patterns.span_count -= hi - lo - 1;
    }
    patterns.spans[lo] = (struct pattern_span){start, end};
}

/* Whether [start, end) meets a range mapped on a pattern. */
static bool meets_pattern(uintptr_t start, uintptr_t end)
{
    pthread_mutex_lock(&patterns.lock);
    bool meets = false;
    for (size_t i = 0; i < patterns.span_count && patterns.spans[i].start < end && !meets; i++)
        meets = patterns.spans[i].end > start;
    pthread_mutex_unlock(&patterns.lock);
    return meets;
}

/* The whole pages of [p, p + n) mapped on `value`'s pattern, the rest memset; false (nothing done) where no pattern
 * can be had. */
static bool pattern_fill(uint8_t *p, uint8_t value, size_t n)
{
    size_t head = (HOST_PAGE - (size_t)((uintptr_t)p & (HOST_PAGE - 1))) & (HOST_PAGE - 1);
    size_t body = (n - head) / HOST_PAGE * HOST_PAGE;
    pthread_mutex_lock(&patterns.lock);
    int fd = patterns.chunks + body / PATTERN_BYTES + 1 <= PATTERN_CHUNKS_MAX ? pattern_file(value) : -1;
    if (fd < 0) {
        pthread_mutex_unlock(&patterns.lock);
        return false;
    }
    size_t mapped = 0;
    while (mapped < body) {
        size_t len = body - mapped < PATTERN_BYTES ? body - mapped : PATTERN_BYTES;
        uint8_t *at = p + head + mapped;
        if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) == MAP_FAILED) {
            /* The host may have taken the old pages away with it: anonymous memory there again, filled below. */
            if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
                vdc_die("cannot map memory for a fill (%s)", strerror(errno));
            break;
        }
        patterns.chunks++;
        mapped += len;
    }
    if (mapped > 0)
        note_span((uintptr_t)(p + head), (uintptr_t)(p + head + mapped));
    pthread_mutex_unlock(&patterns.lock);
    memset(p, value, head);
    memset(p + head + mapped, value, n - head - mapped);
    return true;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    static const uint8_t zeros[HOST_PAGE];
    return memcmp(p, zeros, n) == 0;
}

static void zero_piece(uint8_t *p, size_t n)
{
    if (!all_zero(p, n))
        memset(p, 0, n);
}

/* Whole pages: a page the host has given no storage is zero without being looked at (reading it would cost a fault
 * that maps the zero page, and a write after it a second). Such a page is either fresh or, where the host swaps,
 * swapped out; dropping it (MADV_DONTNEED, private anonymous memory: it reads as zero after) is right for both and
 * costs nothing for the fresh ones. A page with storage is compared and cleared only if it is not zero. */
static void zero_pages(uint8_t *p, size_t pages)
{
    unsigned char resident[PAGES_PER_LOOK];
    while (pages > 0) {
        size_t n = pages < PAGES_PER_LOOK ? pages : PAGES_PER_LOOK;
        bool known = mincore(p, n * HOST_PAGE, resident) == 0;
        for (size_t i = 0; i < n;) {
            size_t run = 1;
            bool has_storage = !known || (resident[i] & 1);
            while (i + run < n && has_storage == (!known || (resident[i + run] & 1)))
                run++;
            uintptr_t start = (uintptr_t)(p + i * HOST_PAGE), end = start + run * HOST_PAGE;
            if (has_storage || meets_pattern(start, end) || madvise((void *)start, end - start, MADV_DONTNEED) != 0)
                for (size_t k = i; k < i + run; k++)
                    zero_piece(p + k * HOST_PAGE, HOST_PAGE);
            i += run;
        }
        p += n * HOST_PAGE;
        pages -= n;
    }
}

/* The whole pages of [p, p + n) given storage in one call before a fill writes every byte of them: a third
 * less time than a fault per page as the stores reach each (a C program here, 8 MiB fills of fresh memory: 24 ms
 * against 36 ms for 64 MiB). Only worth its call for a fill of many pages; a kernel without MADV_POPULATE_WRITE
 * (before Linux 5.14) refuses it, and the stores fault as before. */
static void give_storage(uint8_t *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    enum { WORTH = 16 * HOST_PAGE };
    size_t head = (HOST_PAGE - (size_t)((uintptr_t)p & (HOST_PAGE - 1))) & (HOST_PAGE - 1);
    if (n < head + WORTH)
        return;
    size_t pages = (n - head) / HOST_PAGE;
    (void)madvise(p + head, pages * HOST_PAGE, MADV_POPULATE_WRITE);
#else
    (void)p, (void)n;
#endif
}

void vdc_fill(uint8_t *p, uint8_t value, size_t n)
{
    if (value != 0) {
        if (n >= PATTERN_MIN && pattern_fill(p, value, n))
            return;
        give_storage(p, n);
        memset(p, value, n);
        return;
    }
    size_t head = (HOST_PAGE - (size_t)((uintptr_t)p & (HOST_PAGE - 1))) & (HOST_PAGE - 1);
    if (head >= n) {
        zero_piece(p, n);
        return;
    }
    zero_piece(p, head);
    p += head;
    n -= head;
    zero_pages(p, n / HOST_PAGE);
    zero_piece(p + n / HOST_PAGE * HOST_PAGE, n % HOST_PAGE);
}
