/* A binary min-heap of 32-bit item indexes, ordered by the owner's comparison (which reads its own records): for
 * queues of records kept in the owner's arrays, such as packets or memory operations by (time, sequence). */
#ifndef VDC_COMMON_INDEX_HEAP_H
#define VDC_COMMON_INDEX_HEAP_H

#include <stdbool.h>
#include <stdint.h>

struct vdc_index_heap {
    uint32_t *items;
    uint32_t count, capacity;
    /* Whether item a goes before item b; a total order, so that the heap's order is deterministic. */
    bool (*before)(const void *ctx, uint32_t a, uint32_t b);
    const void *ctx;
};

void vdc_index_heap_init(struct vdc_index_heap *h, bool (*before)(const void *ctx, uint32_t a, uint32_t b),
                     const void *ctx);
void vdc_index_heap_free(struct vdc_index_heap *h);
void vdc_index_heap_push(struct vdc_index_heap *h, uint32_t item);
/* The first item; the heap must not be empty. */
uint32_t vdc_index_heap_pop(struct vdc_index_heap *h);
static inline bool vdc_index_heap_empty(const struct vdc_index_heap *h)
{
    return h->count == 0;
}
static inline uint32_t vdc_index_heap_top(const struct vdc_index_heap *h)
{
    return h->items[0];
}

#endif
