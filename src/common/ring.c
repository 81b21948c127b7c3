/* Ring buffers: growing one. */
#include "common/ring.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

void *vdc_ring_grow(void *items, size_t size, uint32_t *head, uint32_t count, uint32_t *capacity)
{
    uint32_t grown = *capacity == 0 ? 16 : *capacity * 2;
    char *moved = vdc_xcalloc(grown, size);
    /* The items run from *head to the end of the block, then wrap to its start. */
    uint32_t to_end = count < *capacity - *head ? count : *capacity - *head;
    if (count > 0) {
        memcpy(moved, (char *)items + (size_t)*head * size, (size_t)to_end * size);
        memcpy(moved + (size_t)to_end * size, items, (size_t)(count - to_end) * size);
    }
    free(items);
    *head = 0;
    *capacity = grown;
    return moved;
}
