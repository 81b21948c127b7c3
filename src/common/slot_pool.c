/* A pool of fixed-size records addressed by index, with a free list. */
#include "common/slot_pool.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "common/error.h"

void vdc_slot_pool_init(struct vdc_slot_pool *p, size_t item_size)
{
    *p = (struct vdc_slot_pool){.item_size = item_size};
}

void vdc_slot_pool_init_in_place(struct vdc_slot_pool *p, size_t item_size, uint32_t capacity, const char *what)
{
    *p = (struct vdc_slot_pool){.item_size = item_size, .capacity = capacity, .in_place = true, .what = what};
    size_t bytes;
    if (__builtin_mul_overflow(item_size, (size_t)capacity, &bytes))
        vdc_die("room for %u %s overflows the address space", capacity, what);
    /* Address space only: no memory is committed until a record is written. */
    p->items = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p->items == MAP_FAILED)
        vdc_die("cannot reserve address space for %u %s (%zu bytes); raise the process's address-space limit",
                capacity, what, bytes);
    p->free = vdc_xcalloc(64, sizeof *p->free);
}

void vdc_slot_pool_free(struct vdc_slot_pool *p)
{
    if (p->in_place) {
        if (p->items != NULL)
            munmap(p->items, p->item_size * p->capacity);
    } else {
        free(p->items);
    }
    free(p->free);
    *p = (struct vdc_slot_pool){.item_size = p->item_size};
}

uint32_t vdc_slot_pool_take(struct vdc_slot_pool *p)
{
    if (p->free_count > 0)
        return p->free[--p->free_count];
    if (p->in_place) {
        if (p->count == p->capacity)
            vdc_die("more than %u %s at once; the run holds too many in flight", p->capacity, p->what);
        /* The free list holds at most the records taken so far: it grows with them (a power of two from 64). */
        if (p->count >= 64 && (p->count & (p->count - 1)) == 0)
            p->free = vdc_xrealloc(p->free, 2 * (size_t)p->count, sizeof *p->free);
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
