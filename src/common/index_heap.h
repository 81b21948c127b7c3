/* A binary min-heap of 32-bit item indexes by (time, sequence): for queues of records kept in the owner's arrays,
 * such as packets or memory operations. The key lives in the heap beside each index, so ordering never reads the
 * records (which are large and mostly out of the host's caches). */
#ifndef VDC_COMMON_INDEX_HEAP_H
#define VDC_COMMON_INDEX_HEAP_H

#include <stdbool.h>
#include <stdint.h>

struct vdc_index_heap_entry {
    uint64_t time, seq; /* the key; the owner keeps (time, seq) unique, so the order is total and deterministic */
    uint32_t item;
};

struct vdc_index_heap {
    struct vdc_index_heap_entry *entries;
    uint32_t count, capacity;
};

void vdc_index_heap_init(struct vdc_index_heap *h);
void vdc_index_heap_free(struct vdc_index_heap *h);
void vdc_index_heap_push(struct vdc_index_heap *h, uint64_t time, uint64_t seq, uint32_t item);
/* The first item; the heap must not be empty. */
uint32_t vdc_index_heap_pop(struct vdc_index_heap *h);
static inline bool vdc_index_heap_empty(const struct vdc_index_heap *h)
{
    return h->count == 0;
}
static inline uint32_t vdc_index_heap_top(const struct vdc_index_heap *h)
{
    return h->entries[0].item;
}
/* The first item's time; UINT64_MAX when the heap is empty. */
static inline uint64_t vdc_index_heap_top_time(const struct vdc_index_heap *h)
{
    return h->count == 0 ? UINT64_MAX : h->entries[0].time;
}

#endif
