/* The block-count table: linear probing at most half full, so a lookup is one or two probes. A block translated
 * again at the same address with another size (code that rewrote itself) replaces the old entry. */
#include "kvm/block_counts.h"

#include <stdlib.h>

#include "common/error.h"

static size_t home(const struct block_counts *b, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (b->cap - 1);
}

static void grow(struct block_counts *b)
{
    struct block_counts old = *b;
    b->cap = old.cap ? old.cap * 2 : 4096;
    b->keys = vdc_xcalloc(b->cap, sizeof *b->keys);
    b->sizes = vdc_xcalloc(b->cap, sizeof *b->sizes);
    b->counts = vdc_xcalloc(b->cap, sizeof *b->counts);
    b->used = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.keys[i] == 0)
            continue;
        size_t j = home(b, old.keys[i]);
        while (b->keys[j] != 0)
            j = (j + 1) & (b->cap - 1);
        b->keys[j] = old.keys[i];
        b->sizes[j] = old.sizes[i];
        b->counts[j] = old.counts[i];
        b->used++;
    }
    vdc_block_counts_free(&old);
}

int vdc_block_counts_find(struct block_counts *b, uint64_t address, uint32_t size, size_t *slot, uint32_t *count)
{
    if (2 * (b->used + 1) > b->cap)
        grow(b);
    uint64_t key = address + 1;
    size_t j = home(b, key);
    while (b->keys[j] != 0 && b->keys[j] != key)
        j = (j + 1) & (b->cap - 1);
    *slot = j;
    if (b->keys[j] == key && b->sizes[j] == size) {
        *count = b->counts[j];
        return 1;
    }
    return 0;
}

void vdc_block_counts_store(struct block_counts *b, size_t slot, uint64_t address, uint32_t size, uint32_t count)
{
    if (b->keys[slot] == 0)
        b->used++;
    b->keys[slot] = address + 1;
    b->sizes[slot] = size;
    b->counts[slot] = count;
}

void vdc_block_counts_free(struct block_counts *b)
{
    free(b->keys);
    free(b->sizes);
    free(b->counts);
    b->keys = NULL;
    b->sizes = b->counts = NULL;
    b->cap = b->used = 0;
}
