/* Guest RAM: an anonymous host mapping, and the checked copies in and out of it. */
#include "kvm/guest_memory.h"

#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define HUGE_LOW (8ULL << 20)
#define HUGE_HIGH_KEEP (4ULL << 20)

bool vdc_guest_memory_map(struct vdc_guest_memory *gm, uint64_t size, struct vdc_error *err)
{
    gm->host = NULL;
    gm->size = 0;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return vdc_fail(err, "cannot reserve %" PRIu64 " MiB of guest memory (%m); lower the guest's memory size",
                        size >> 20);
    /* The bulk of RAM — where programs keep their buffers, which the NICs' DMA and bulk fills touch megabytes at
     * a time — on transparent huge pages: a fifth less wall time for rack8-perftest. The first 8 MiB (tables,
     * program) and the last 4 MiB (stack, thread block, device tree) stay in small pages, so that a guest that
     * uses little memory still costs little resident memory and starts fast. Advice only: no error if refused. */
    if (size > HUGE_LOW + HUGE_HIGH_KEEP)
        madvise((uint8_t *)p + HUGE_LOW, size - HUGE_LOW - HUGE_HIGH_KEEP, MADV_HUGEPAGE);
    gm->host = p;
    gm->size = size;
    return true;
}

void vdc_guest_memory_unmap(struct vdc_guest_memory *gm)
{
    if (gm->host != NULL)
        munmap(gm->host, gm->size);
    gm->host = NULL;
    gm->size = 0;
}

static bool outside(const struct vdc_guest_memory *gm, const char *what, const char *verb, uint64_t gpa, uint64_t len,
                    struct vdc_error *err)
{
    return vdc_fail(err, "%s: %s of %" PRIu64 " bytes at guest address 0x%" PRIx64
                         " is outside guest memory (0 to 0x%" PRIx64 ")",
                    what, verb, len, gpa, gm->size);
}

bool vdc_guest_read(const struct vdc_guest_memory *gm, uint64_t gpa, void *dst, uint64_t len, const char *what,
                    struct vdc_error *err)
{
    const void *src = vdc_guest_ptr(gm, gpa, len);
    if (src == NULL)
        return outside(gm, what, "read", gpa, len, err);
    memcpy(dst, src, len);
    return true;
}

/* From this size up a write is a device's bulk transfer (a packet's payload, a copy engine's block), whose bytes
 * the guest reads, if ever, long after: they go around the host's caches. */
#define STREAM_FROM 2048

/* Copies len bytes to a destination the host will not read soon: the 16-byte-aligned body with non-temporal
 * stores, which skip reading each destination line before writing it (a payload lands in a receive buffer that
 * is cold: rack8-perftest's copies, 6.5 GB, took about twice as long through memmove). */
static void copy_streaming(uint8_t *dst, const uint8_t *src, uint64_t len)
{
#ifdef __SSE2__
    uint64_t head = (16 - ((uintptr_t)dst & 15)) & 15;
    memcpy(dst, src, head);
    dst += head, src += head, len -= head;
    __m128i *to = (__m128i *)(void *)dst;
    const __m128i *from = (const __m128i *)(const void *)src;
    uint64_t blocks = len / 64;
    for (uint64_t i = 0; i < blocks; i++, to += 4, from += 4) {
        __m128i a = _mm_loadu_si128(from), b = _mm_loadu_si128(from + 1);
        __m128i c = _mm_loadu_si128(from + 2), d = _mm_loadu_si128(from + 3);
        _mm_stream_si128(to, a);
        _mm_stream_si128(to + 1, b);
        _mm_stream_si128(to + 2, c);
        _mm_stream_si128(to + 3, d);
    }
    /* Later loads and stores of this thread, and any other thread after it synchronizes, see the streamed bytes. */
    _mm_sfence();
    memcpy(to, from, len % 64);
#else
    memcpy(dst, src, len);
#endif
}

bool vdc_guest_write(const struct vdc_guest_memory *gm, uint64_t gpa, const void *src, uint64_t len,
                     const char *what, struct vdc_error *err)
{
    uint8_t *dst = vdc_guest_ptr(gm, gpa, len);
    if (dst == NULL)
        return outside(gm, what, "write", gpa, len, err);
    /* The source may be this guest's own memory (a NIC delivers a payload straight from the sender's buffer, and
     * a guest may send to itself), overlapping the destination. */
    uintptr_t to = (uintptr_t)dst, from = (uintptr_t)src;
    bool overlap = from < to + len && to < from + len;
    if (len >= STREAM_FROM && !overlap)
        copy_streaming(dst, src, len);
    else
        memmove(dst, src, len);
    return true;
}
