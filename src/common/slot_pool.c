/* A pool of fixed-size records addressed by index, with a free list. */
#include "common/slot_pool.h"

#include <stdlib.h>

#include "common/error.h"

void vdc_slot_pool_init(struct vdc_slot_pool *p, size_t item_size)
{
    *p = (struct vdc_slot_pool){.item_size = item_size};
}

void vdc_slot_pool_free(struct vdc_slot_pool *p)
{
    free(p->items);
    free(p->free);
    *p = (struct vdc_slot_pool){.item_size = p->item_size};
}

uint32_t vdc_slot_pool_take(struct vdc_slot_pool *p)
{
    if (p->free_count > 0)
        return p->free[--p->free_count];
    if (p->count == p->capacity) {
        p->capacity = p->capacity ? 2 * p->capacity : 64;
        p->items = vdc_xrealloc(p->items, p->capacity, p->item_size);
        p->free = vdc_xrealloc(p->free, p->capacity, sizeof *p->free);
    }
    return p->count++;
}

void vdc_slot_pool_give(struct vdc_slot_pool *p, uint32_t slot)
{
    p->free[p->free_count++] = slot;
}
