/* A min-queue of 32-bit item indexes by (time, sequence): for queues of records kept in the owner's arrays, such as
 * packets or memory operations. The key lives in the queue beside each index, so ordering never reads the records
 * (which are large and mostly out of the host's caches). Most such queues are filled nearly in order (a GPU's
 * stores leave in the order it makes them), so an item that comes after the last one in order goes to the end of a
 * FIFO run in O(1), and only the others into a binary heap; the first item is the lesser of the two heads. */
#ifndef VDC_COMMON_INDEX_HEAP_H
#define VDC_COMMON_INDEX_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/ring.h"

struct vdc_index_heap_entry {
    uint64_t time, seq; /* the key; the owner keeps (time, seq) unique, so the order is total and deterministic */
    uint32_t item;
};

struct vdc_index_heap {
    struct vdc_index_heap_entry *entries; /* the heap: items pushed before the run's last one */
    uint32_t count, capacity;
    struct vdc_index_heap_entry *run;     /* the FIFO run, a ring: items in order */
    uint32_t run_head, run_count, run_capacity;
};

void vdc_index_heap_init(struct vdc_index_heap *h);
void vdc_index_heap_free(struct vdc_index_heap *h);
void vdc_index_heap_push(struct vdc_index_heap *h, uint64_t time, uint64_t seq, uint32_t item);
/* The first item; the queue must not be empty. */
uint32_t vdc_index_heap_pop(struct vdc_index_heap *h);
static inline bool vdc_index_heap_empty(const struct vdc_index_heap *h)
{
    return h->count == 0 && h->run_count == 0;
}

/* The queue's order: by time, then by sequence number. */
static inline bool vdc_index_heap_entry_before(const struct vdc_index_heap_entry *a,
                                               const struct vdc_index_heap_entry *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

/* Whether the first item is the FIFO run's head rather than the heap's top. */
static inline bool vdc_index_heap_run_first(const struct vdc_index_heap *h)
{
    return h->run_count > 0 && (h->count == 0 || vdc_index_heap_entry_before(&h->run[h->run_head], &h->entries[0]));
}

/* The first item, left in the queue; UINT32_MAX when the queue is empty. */
static inline uint32_t vdc_index_heap_top_item(const struct vdc_index_heap *h)
{
    if (vdc_index_heap_empty(h))
        return UINT32_MAX;
    return vdc_index_heap_run_first(h) ? h->run[h->run_head].item : h->entries[0].item;
}

/* The item `ahead` places after the FIFO run's head (0: the head), for asking the host's caches for its record
 * early; UINT32_MAX when the run is shorter. It comes that many pops later when the heap is empty and nothing is
 * pushed before it meanwhile. */
static inline uint32_t vdc_index_heap_run_item_ahead(const struct vdc_index_heap *h, uint32_t ahead)
{
    if (ahead >= h->run_count)
        return UINT32_MAX;
    return h->run[vdc_ring_slot(h->run_head, ahead, h->run_capacity)].item;
}

/* The first item's time; UINT64_MAX when the queue is empty. */
static inline uint64_t vdc_index_heap_top_time(const struct vdc_index_heap *h)
{
    uint64_t heap = h->count == 0 ? UINT64_MAX : h->entries[0].time;
    uint64_t run = h->run_count == 0 ? UINT64_MAX : h->run[h->run_head].time;
    return heap < run ? heap : run;
}

#endif
