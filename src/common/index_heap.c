/* A binary min-heap of item indexes by (time, sequence). */
#include "common/index_heap.h"

#include <stdlib.h>

#include "common/error.h"

static inline bool entry_before(const struct vdc_index_heap_entry *a, const struct vdc_index_heap_entry *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

void vdc_index_heap_init(struct vdc_index_heap *h)
{
    *h = (struct vdc_index_heap){0};
}

void vdc_index_heap_free(struct vdc_index_heap *h)
{
    free(h->entries);
    *h = (struct vdc_index_heap){0};
}

void vdc_index_heap_push(struct vdc_index_heap *h, uint64_t time, uint64_t seq, uint32_t item)
{
    if (h->count == h->capacity) {
        h->capacity = h->capacity ? 2 * h->capacity : 64;
        h->entries = vdc_xrealloc(h->entries, h->capacity, sizeof *h->entries);
    }
    struct vdc_index_heap_entry e = {.time = time, .seq = seq, .item = item};
    uint32_t i = h->count++;
    while (i > 0 && entry_before(&e, &h->entries[(i - 1) / 2])) {
        h->entries[i] = h->entries[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->entries[i] = e;
}

uint32_t vdc_index_heap_pop(struct vdc_index_heap *h)
{
    uint32_t top = h->entries[0].item;
    struct vdc_index_heap_entry last = h->entries[--h->count];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->count)
            break;
        if (c + 1 < h->count && entry_before(&h->entries[c + 1], &h->entries[c]))
            c++;
        if (!entry_before(&h->entries[c], &last))
            break;
        h->entries[i] = h->entries[c];
        i = c;
    }
    if (h->count > 0)
        h->entries[i] = last;
    return top;
}
