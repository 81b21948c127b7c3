/* A pool of fixed-size records addressed by index, with a free list. */
#include "common/slot_pool.h"

#include <stdlib.h>

#include "common/error.h"

#define CHUNK_RECORDS (UINT32_C(1) << VDC_SLOT_CHUNK_SHIFT)

void vdc_slot_pool_init(struct vdc_slot_pool *p, size_t item_size)
{
    *p = (struct vdc_slot_pool){.item_size = item_size};
}

void vdc_slot_pool_init_in_place(struct vdc_slot_pool *p, size_t item_size, uint32_t capacity, const char *what)
{
    uint32_t chunks = (capacity + CHUNK_RECORDS - 1) / CHUNK_RECORDS;
    *p = (struct vdc_slot_pool){.item_size = item_size, .capacity = chunks * CHUNK_RECORDS, .what = what};
    /* Made once at its full size, so that no take moves it while another thread looks a record up. */
    p->chunks = vdc_xcalloc(chunks, sizeof *p->chunks);
}

void vdc_slot_pool_free(struct vdc_slot_pool *p)
{
    for (uint32_t c = 0; p->chunks != NULL && c < p->capacity / CHUNK_RECORDS; c++)
        if (p->chunks[c] != NULL)
            vdc_free_huge(p->chunks[c], CHUNK_RECORDS * p->item_size);
    free(p->chunks);
    free(p->items);
    free(p->free);
    *p = (struct vdc_slot_pool){.item_size = p->item_size};
}

/* Room for one more record in a pool in place: its chunk, and the free list's room to take it back. */
static void grow_in_place(struct vdc_slot_pool *p)
{
    if (p->count == p->capacity)
        vdc_die("more than %u %s at once; the run holds too many in flight", p->capacity, p->what);
    if (p->count % CHUNK_RECORDS == 0)
        p->chunks[p->count / CHUNK_RECORDS] = vdc_xcalloc_huge(CHUNK_RECORDS * p->item_size);
    if (p->count == p->free_room) { /* every record taken may come back at once */
        p->free_room = p->free_room ? 2 * p->free_room : CHUNK_RECORDS;
        p->free = vdc_xrealloc(p->free, p->free_room, sizeof *p->free);
    }
}

uint32_t vdc_slot_pool_take(struct vdc_slot_pool *p)
{
    if (p->free_count > 0)
        return p->free[--p->free_count];
    if (p->chunks != NULL) {
        grow_in_place(p);
        return p->count++;
    }
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
