/* A pool of fixed-size records addressed by index, with a free list: for records that wait in a queue (a heap of
 * their indexes) and are let go in any order, such as packets or memory operations. Taking one may move the others
 * (the array grows), so keep indexes, not pointers, across a take, unless the pool keeps its records in place. */
#ifndef VDC_COMMON_SLOT_POOL_H
#define VDC_COMMON_SLOT_POOL_H

#include <stddef.h>
#include <stdint.h>

/* An in-place pool's records come in chunks of this many, allocated as needed. */
#define VDC_SLOT_CHUNK_SHIFT 12

struct vdc_slot_pool {
    void *items;        /* the records, one array (NULL for a pool in place) */
    void **chunks;      /* in place: a fixed directory of chunks, each allocated when first needed, never moved */
    size_t item_size;
    uint32_t count, capacity;
    uint32_t *free;
    uint32_t free_count, free_room;
    const char *what;   /* in place: what the records are, for the message when they run out */
};

void vdc_slot_pool_init(struct vdc_slot_pool *p, size_t item_size);
/* A pool whose records stay where they are for its whole life, so that another thread may read a record (one not
 * given back) while this one takes others: records come in chunks, allocated as taking needs them, under a
 * directory made once with room for `capacity` records. Taking more than that stops the run with a message naming
 * `what`. Each chunk starts on a host cache line, so records whose size is a multiple of 64 bytes keep to lines of
 * their own. */
void vdc_slot_pool_init_in_place(struct vdc_slot_pool *p, size_t item_size, uint32_t capacity, const char *what);
void vdc_slot_pool_free(struct vdc_slot_pool *p);
/* A record not in use (its bytes as last left); its index. */
uint32_t vdc_slot_pool_take(struct vdc_slot_pool *p);
void vdc_slot_pool_give(struct vdc_slot_pool *p, uint32_t slot);
static inline void *vdc_slot_pool_at(const struct vdc_slot_pool *p, uint32_t slot)
{
    if (p->chunks != NULL)
        return (char *)p->chunks[slot >> VDC_SLOT_CHUNK_SHIFT] +
               (size_t)(slot & ((UINT32_C(1) << VDC_SLOT_CHUNK_SHIFT) - 1)) * p->item_size;
    return (char *)p->items + (size_t)slot * p->item_size;
}

/* The record the next take returns, for asking the host's caches for it ahead; NULL when taking would have to
 * grow the pool. */
static inline void *vdc_slot_pool_next(const struct vdc_slot_pool *p)
{
    if (p->free_count > 0)
        return vdc_slot_pool_at(p, p->free[p->free_count - 1]);
    /* In place, the record after the last taken is there once its chunk is (not at a chunk's start). */
    if (p->count < p->capacity && (p->chunks == NULL || (p->count & ((UINT32_C(1) << VDC_SLOT_CHUNK_SHIFT) - 1)) != 0))
        return vdc_slot_pool_at(p, p->count);
    return NULL;
}

/* The record the take `ahead` takes after the next would return (0: vdc_slot_pool_next's), were nothing given back
 * meanwhile, for asking the host's caches for it early; NULL when that is not a record given back. */
static inline void *vdc_slot_pool_ahead(const struct vdc_slot_pool *p, uint32_t ahead)
{
    if (ahead >= p->free_count)
        return NULL;
    return vdc_slot_pool_at(p, p->free[p->free_count - 1 - ahead]);
}

#endif
