/* A binary min-heap of item indexes under the owner's comparison. */
#include "common/index_heap.h"

#include <stdlib.h>

#include "common/error.h"

void vdc_index_heap_init(struct vdc_index_heap *h, bool (*before)(const void *ctx, uint32_t a, uint32_t b),
                     const void *ctx)
{
    *h = (struct vdc_index_heap){.before = before, .ctx = ctx};
}

void vdc_index_heap_free(struct vdc_index_heap *h)
{
    free(h->items);
    h->items = NULL;
    h->count = h->capacity = 0;
}

void vdc_index_heap_push(struct vdc_index_heap *h, uint32_t item)
{
    if (h->count == h->capacity) {
        h->capacity = h->capacity ? 2 * h->capacity : 64;
        h->items = vdc_xrealloc(h->items, h->capacity, sizeof *h->items);
    }
    uint32_t i = h->count++;
    while (i > 0 && h->before(h->ctx, item, h->items[(i - 1) / 2])) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = item;
}

uint32_t vdc_index_heap_pop(struct vdc_index_heap *h)
{
    uint32_t top = h->items[0], last = h->items[--h->count];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->count)
            break;
        if (c + 1 < h->count && h->before(h->ctx, h->items[c + 1], h->items[c]))
            c++;
        if (!h->before(h->ctx, h->items[c], last))
            break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (h->count > 0)
        h->items[i] = last;
    return top;
}
