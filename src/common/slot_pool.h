/* A pool of fixed-size records addressed by index, with a free list: for records that wait in a queue (a heap of
 * their indexes) and are let go in any order, such as packets or memory operations. Taking one may move the others
 * (the array grows), so keep indexes, not pointers, across a take. */
#ifndef VDC_COMMON_SLOT_POOL_H
#define VDC_COMMON_SLOT_POOL_H

#include <stddef.h>
#include <stdint.h>

struct vdc_slot_pool {
    void *items;
    size_t item_size;
    uint32_t count, capacity;
    uint32_t *free;
    uint32_t free_count;
};

void vdc_slot_pool_init(struct vdc_slot_pool *p, size_t item_size);
void vdc_slot_pool_free(struct vdc_slot_pool *p);
/* A record not in use (its bytes as last left); its index. */
uint32_t vdc_slot_pool_take(struct vdc_slot_pool *p);
void vdc_slot_pool_give(struct vdc_slot_pool *p, uint32_t slot);
static inline void *vdc_slot_pool_at(const struct vdc_slot_pool *p, uint32_t slot)
{
    return (char *)p->items + (size_t)slot * p->item_size;
}

#endif
