/* HiGPU's device memory: a sparse address space with a first-fit allocator; only allocated 2 MiB pages have
 * storage, so an access anywhere else is a fault rather than a read of nothing. */
#ifndef VDC_DEVICES_HIGPU_GPU_MEMORY_H
#define VDC_DEVICES_HIGPU_GPU_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* Device addresses start here, so that 0 and small integers are never valid pointers. GPUs that share an address
 * space (the GPUs of a HiLink fabric, as CUDA's unified addressing has them) each have their memory at a place of
 * their own: GPU `place` at GPU_GLOBAL_BASE + place * GPU_PLACE_BYTES, which also bounds a GPU's memory. */
#define GPU_GLOBAL_BASE 0x0000010000000000ull
#define GPU_PLACE_BYTES 0x0000010000000000ull
#define GPU_MAX_PLACES 64u
/* Generic addresses of the shared and local windows (cvta.shared / cvta.local and generic ld/st): each window is
 * 4 GiB; shared offsets and local offsets are 32-bit. */
#define GPU_SHARED_WINDOW 0x0000700000000000ull
#define GPU_LOCAL_WINDOW 0x0000710000000000ull
#define GPU_WINDOW_BYTES 0x100000000ull

#define GPU_PAGE_SHIFT 21
#define GPU_PAGE_BYTES (1ull << GPU_PAGE_SHIFT)
#define GPU_ALLOC_ALIGN 256u

struct gpu_memory {
    uint64_t base;              /* its first address: GPU_GLOBAL_BASE + place * GPU_PLACE_BYTES */
    uint64_t capacity;          /* bytes of address space from base */
    uint64_t page_count;
    uint8_t **pages;            /* storage of each page, NULL when nothing is allocated in it */
    uint32_t *page_users;       /* allocations overlapping each page */
    struct gpu_allocation { uint64_t address, size; } *allocations; /* sorted by address */
    uint32_t allocation_count, allocation_capacity;
    uint64_t used;              /* bytes allocated */
};

/* Memory of `capacity` bytes (at most GPU_PLACE_BYTES) at place `place` (below GPU_MAX_PLACES). */
bool gpu_memory_init(struct gpu_memory *m, uint32_t place, uint64_t capacity, struct vdc_error *err);
void gpu_memory_release(struct gpu_memory *m);

/* First fit, aligned to GPU_ALLOC_ALIGN, zero-filled. False when `size` is 0 or nothing large enough is free. */
bool gpu_memory_alloc(struct gpu_memory *m, uint64_t size, uint64_t *address, struct vdc_error *err);
/* The size of the allocation that starts at `address`; false when none does. */
bool gpu_memory_allocation_size(const struct gpu_memory *m, uint64_t address, uint64_t *size);
/* `address` must be what an allocation returned. */
bool gpu_memory_free(struct gpu_memory *m, uint64_t address, struct vdc_error *err);

/* Host pointer to `len` bytes at device `address`, or NULL when any byte is outside allocated pages. `len` must
 * not cross a 2 MiB page (aligned accesses of up to 16 bytes never do). The executor's fast path. */
static inline uint8_t *gpu_memory_at(const struct gpu_memory *m, uint64_t address, uint32_t len)
{
    uint64_t offset = address - m->base;
    uint64_t page = offset >> GPU_PAGE_SHIFT;
    if (address < m->base || page >= m->page_count || m->pages[page] == NULL)
        return NULL;
    if ((offset & (GPU_PAGE_BYTES - 1)) + len > GPU_PAGE_BYTES)
        return NULL;
    return m->pages[page] + (offset & (GPU_PAGE_BYTES - 1));
}

/* Checked copies of any length (copy engines, module loading, the runner): false with "what at 0x...: outside
 * device memory" when any byte is not allocated. */
bool gpu_memory_read(const struct gpu_memory *m, uint64_t address, void *dst, uint64_t len, const char *what,
                     struct vdc_error *err);
bool gpu_memory_write(struct gpu_memory *m, uint64_t address, const void *src, uint64_t len, const char *what,
                      struct vdc_error *err);
/* `len` bytes of `value` at `address`, checked as the copies are. */
bool gpu_memory_fill(struct gpu_memory *m, uint64_t address, uint8_t value, uint64_t len, const char *what,
                     struct vdc_error *err);

#endif
