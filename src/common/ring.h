/* Ring buffers of any element type, kept by their owner as (items, head, count, capacity) with a capacity that is a
 * power of two: growing one, and finding an item's slot. */
#ifndef VDC_COMMON_RING_H
#define VDC_COMMON_RING_H

#include <stddef.h>
#include <stdint.h>

/* A ring of `count` items of `size` bytes from `*head` in `items` (`*capacity` slots, 0 for none yet) moved in order
 * to the front of a new block of twice the slots (16 at first); `items` is freed, the new block returned, and
 * `*head` and `*capacity` updated. */
void *vdc_ring_grow(void *items, size_t size, uint32_t *head, uint32_t count, uint32_t *capacity);

/* The slot of the ring's item `i` (0: the first) for a ring starting at `head` in `capacity` slots. */
static inline uint32_t vdc_ring_slot(uint32_t head, uint32_t i, uint32_t capacity)
{
    return (head + i) & (capacity - 1);
}

#endif
