/* HiGPU's device memory: first-fit allocation over a sparse address space whose 2 MiB pages get storage when an
 * allocation first covers them and lose it when the last one leaves. */
#include "gpu/gpu_memory.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/fill.h"

bool gpu_memory_init(struct gpu_memory *m, uint32_t place, uint64_t capacity, struct vdc_error *err)
{
    memset(m, 0, sizeof *m);
    if (capacity == 0 || capacity > GPU_PLACE_BYTES)
        return vdc_fail(err, "device memory of %" PRIu64 " bytes: give between 1 byte and 1 TiB", capacity);
    if (place >= GPU_MAX_PLACES)
        return vdc_fail(err, "GPU place %u: give 0 to %u", place, GPU_MAX_PLACES - 1);
    m->base = GPU_GLOBAL_BASE + place * GPU_PLACE_BYTES;
    m->capacity = capacity;
    m->page_count = (capacity + GPU_PAGE_BYTES - 1) >> GPU_PAGE_SHIFT;
    m->pages = vdc_xcalloc(m->page_count, sizeof *m->pages);
    m->page_users = vdc_xcalloc(m->page_count, sizeof *m->page_users);
    return true;
}

void gpu_memory_release(struct gpu_memory *m)
{
    if (m->pages != NULL)
        for (uint64_t p = 0; p < m->page_count; p++)
            vdc_free_pages(m->pages[p], GPU_PAGE_BYTES);
    free(m->pages);
    free(m->page_users);
    free(m->allocations);
    memset(m, 0, sizeof *m);
}

/* Gives storage to (or takes it from) every page an allocation overlaps. */
static void pages_use(struct gpu_memory *m, uint64_t address, uint64_t size, bool take)
{
    uint64_t first = (address - m->base) >> GPU_PAGE_SHIFT;
    uint64_t last = (address - m->base + size - 1) >> GPU_PAGE_SHIFT;
    for (uint64_t p = first; p <= last; p++) {
        if (take) {
            if (m->page_users[p]++ == 0)
                m->pages[p] = vdc_xcalloc_pages(GPU_PAGE_BYTES); /* small host pages: docs/performance.md */
        } else if (--m->page_users[p] == 0) {
            vdc_free_pages(m->pages[p], GPU_PAGE_BYTES);
            m->pages[p] = NULL;
        }
    }
}

bool gpu_memory_alloc(struct gpu_memory *m, uint64_t size, uint64_t *address, struct vdc_error *err)
{
    if (size == 0)
        return vdc_fail(err, "device allocation of 0 bytes: ask for at least 1 byte");
    if (size > m->capacity)
        return vdc_fail(err, "device allocation of %" PRIu64 " bytes: larger than the device's %" PRIu64 " bytes",
                        size, m->capacity);
    uint64_t rounded = (size + GPU_ALLOC_ALIGN - 1) & ~(uint64_t)(GPU_ALLOC_ALIGN - 1);
    /* First fit: the gap before each allocation in address order, then the tail. */
    uint64_t candidate = m->base;
    uint32_t slot = 0;
    for (; slot < m->allocation_count; slot++) {
        if (m->allocations[slot].address - candidate >= rounded)
            break;
        uint64_t end = m->allocations[slot].address + m->allocations[slot].size;
        candidate = (end + GPU_ALLOC_ALIGN - 1) & ~(uint64_t)(GPU_ALLOC_ALIGN - 1);
    }
    if (candidate - m->base + rounded > m->capacity)
        return vdc_fail(err,
                        "device allocation of %" PRIu64 " bytes: out of device memory (%" PRIu64 " of %" PRIu64
                        " bytes in use); free buffers or give the GPU more memory",
                        size, m->used, m->capacity);
    if (m->allocation_count == m->allocation_capacity) {
        m->allocation_capacity = m->allocation_capacity ? 2 * m->allocation_capacity : 16;
        m->allocations = vdc_xrealloc(m->allocations, m->allocation_capacity, sizeof *m->allocations);
    }
    memmove(&m->allocations[slot + 1], &m->allocations[slot],
            (m->allocation_count - slot) * sizeof *m->allocations);
    m->allocations[slot].address = candidate;
    m->allocations[slot].size = size;
    m->allocation_count++;
    m->used += size;
    pages_use(m, candidate, size, true);
    /* A reused page may hold an earlier allocation's bytes: every allocation starts zeroed, for determinism. A page
     * whose only user is this allocation got its storage just now, zero from the host, and is left untouched (the
     * host gives it memory only where it is written: most of a collective's buffers never are). */
    for (uint64_t at = candidate; at < candidate + size;) {
        uint64_t in_page = GPU_PAGE_BYTES - ((at - m->base) & (GPU_PAGE_BYTES - 1));
        uint64_t n = candidate + size - at < in_page ? candidate + size - at : in_page;
        if (m->page_users[(at - m->base) >> GPU_PAGE_SHIFT] > 1)
            memset(gpu_memory_at(m, at, 1), 0, n);
        at += n;
    }
    *address = candidate;
    return true;
}

/* The index of the allocation that starts at `address`, or allocation_count when none does. */
static uint32_t allocation_at(const struct gpu_memory *m, uint64_t address)
{
    uint32_t lo = 0, hi = m->allocation_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->allocations[mid].address < address)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->allocation_count && m->allocations[lo].address == address ? lo : m->allocation_count;
}

bool gpu_memory_allocation_size(const struct gpu_memory *m, uint64_t address, uint64_t *size)
{
    uint32_t i = allocation_at(m, address);
    if (i == m->allocation_count)
        return false;
    *size = m->allocations[i].size;
    return true;
}

bool gpu_memory_free(struct gpu_memory *m, uint64_t address, struct vdc_error *err)
{
    uint32_t lo = allocation_at(m, address);
    if (lo == m->allocation_count)
        return vdc_fail(err, "free of device address 0x%" PRIx64 ": not the start of an allocation", address);
    pages_use(m, address, m->allocations[lo].size, false);
    m->used -= m->allocations[lo].size;
    memmove(&m->allocations[lo], &m->allocations[lo + 1],
            (m->allocation_count - lo - 1) * sizeof *m->allocations);
    m->allocation_count--;
    return true;
}

enum page_walk { TO_HOST, TO_DEVICE, FILL };

/* Walks [address, address+len) page by page, copying to or from `buffer`, or filling with `value`. */
static bool walk_pages(const struct gpu_memory *m, uint64_t address, uint8_t *buffer, uint8_t value, uint64_t len,
                       enum page_walk kind, const char *what, struct vdc_error *err)
{
    if (len > 0 && (address < m->base || address - m->base > m->capacity ||
                    len > m->capacity - (address - m->base)))
        return vdc_fail(err, "%s at 0x%" PRIx64 " (%" PRIu64 " bytes): outside device memory", what, address, len);
    uint64_t done = 0;
    while (done < len) {
        uint64_t at = address + done;
        uint64_t in_page = GPU_PAGE_BYTES - ((at - m->base) & (GPU_PAGE_BYTES - 1));
        uint64_t n = len - done < in_page ? len - done : in_page;
        uint8_t *host = gpu_memory_at(m, at, 1);
        if (host == NULL)
            return vdc_fail(err, "%s at 0x%" PRIx64 " (%" PRIu64 " bytes): 0x%" PRIx64 " is not allocated device memory",
                            what, address, len, at);
        if (kind == TO_DEVICE)
            memcpy(host, buffer + done, n);
        else if (kind == TO_HOST)
            memcpy(buffer + done, host, n);
        else
            vdc_fill(host, value, n); /* zeros over zeros change nothing, and touch no page */
        done += n;
    }
    return true;
}

bool gpu_memory_read(const struct gpu_memory *m, uint64_t address, void *dst, uint64_t len, const char *what,
                     struct vdc_error *err)
{
    return walk_pages(m, address, dst, 0, len, TO_HOST, what, err);
}

bool gpu_memory_write(struct gpu_memory *m, uint64_t address, const void *src, uint64_t len, const char *what,
                      struct vdc_error *err)
{
    return walk_pages(m, address, (uint8_t *)src, 0, len, TO_DEVICE, what, err);
}

bool gpu_memory_fill(struct gpu_memory *m, uint64_t address, uint8_t value, uint64_t len, const char *what,
                     struct vdc_error *err)
{
    return walk_pages(m, address, NULL, value, len, FILL, what, err);
}
