/* A min-queue of item indexes by (time, sequence): a FIFO run for the items that come in order, a binary heap for
 * the rest. */
#include "common/index_heap.h"

#include <stdlib.h>

#include "common/error.h"
#include "common/ring.h"

void vdc_index_heap_init(struct vdc_index_heap *h)
{
    *h = (struct vdc_index_heap){0};
}

void vdc_index_heap_free(struct vdc_index_heap *h)
{
    free(h->entries);
    free(h->run);
    *h = (struct vdc_index_heap){0};
}

static uint32_t run_slot(const struct vdc_index_heap *h, uint32_t i)
{
    return vdc_ring_slot(h->run_head, i, h->run_capacity);
}

static void run_append(struct vdc_index_heap *h, const struct vdc_index_heap_entry *e)
{
    if (h->run_count == h->run_capacity)
        h->run = vdc_ring_grow(h->run, sizeof *h->run, &h->run_head, h->run_count, &h->run_capacity);
    h->run[run_slot(h, h->run_count++)] = *e;
}

static void heap_push(struct vdc_index_heap *h, const struct vdc_index_heap_entry *e)
{
    if (h->count == h->capacity) {
        h->capacity = h->capacity ? 2 * h->capacity : 64;
        h->entries = vdc_xrealloc(h->entries, h->capacity, sizeof *h->entries);
    }
    uint32_t i = h->count++;
    while (i > 0 && vdc_index_heap_entry_before(e, &h->entries[(i - 1) / 2])) {
        h->entries[i] = h->entries[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->entries[i] = *e;
}

static uint32_t heap_pop(struct vdc_index_heap *h)
{
    uint32_t top = h->entries[0].item;
    struct vdc_index_heap_entry last = h->entries[--h->count];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->count)
            break;
        if (c + 1 < h->count && vdc_index_heap_entry_before(&h->entries[c + 1], &h->entries[c]))
            c++;
        if (!vdc_index_heap_entry_before(&h->entries[c], &last))
            break;
        h->entries[i] = h->entries[c];
        i = c;
    }
    if (h->count > 0)
        h->entries[i] = last;
    return top;
}

void vdc_index_heap_push(struct vdc_index_heap *h, uint64_t time, uint64_t seq, uint32_t item)
{
    struct vdc_index_heap_entry e = {.time = time, .seq = seq, .item = item};
    if (h->run_count == 0 || !vdc_index_heap_entry_before(&e, &h->run[run_slot(h, h->run_count - 1)]))
        run_append(h, &e);
    else
        heap_push(h, &e);
}

uint32_t vdc_index_heap_pop(struct vdc_index_heap *h)
{
    if (vdc_index_heap_run_first(h)) {
        uint32_t top = h->run[h->run_head].item;
        h->run_head = run_slot(h, 1);
        h->run_count--;
        return top;
    }
    return heap_pop(h);
}
