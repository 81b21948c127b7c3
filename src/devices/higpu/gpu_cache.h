/* A sectored set-associative tag array with LRU replacement, for HiGPU's L1s and L2 (timing only: no data). */
#ifndef VDC_DEVICES_HIGPU_GPU_CACHE_H
#define VDC_DEVICES_HIGPU_GPU_CACHE_H

#include <stdbool.h>
#include <stdint.h>

/* A slot is set * ways + way; its sectors are slot * sectors_per_line + sector in `ready`. */
struct gpu_cache {
    uint32_t sets, ways, sectors_per_line;
    bool hashed;           /* index by a hash of the line address (L2 slices) instead of its low bits */
    uint64_t *tag;         /* line address + 1; 0 marks an empty slot */
    uint64_t *stamp;       /* last use, for LRU */
    uint8_t *valid;        /* sector masks */
    uint8_t *dirty;
    uint64_t *ready;       /* per sector: the cycle its data is there (a fill may still be under way) */
    uint64_t clock;        /* use counter behind the stamps */
};

/* `lines` slots in sets of `ways` (fewer when lines < ways). */
void gpu_cache_init(struct gpu_cache *c, uint64_t lines, uint32_t ways, uint32_t sectors_per_line, bool hashed);
void gpu_cache_free(struct gpu_cache *c);
/* Empties every slot. */
void gpu_cache_invalidate(struct gpu_cache *c);

static inline uint32_t gpu_cache_set(const struct gpu_cache *c, uint64_t line)
{
    if (c->hashed) {
        /* Fibonacci hashing, then a multiply maps the hash onto the sets without a division. */
        uint64_t h = (line * 0x9E3779B97F4A7C15ULL) >> 32;
        return (uint32_t)((h * c->sets) >> 32);
    }
    return (uint32_t)(line % c->sets);
}

/* The slot holding `line`, or -1. */
static inline int64_t gpu_cache_find(const struct gpu_cache *c, uint64_t line)
{
    uint64_t base = (uint64_t)gpu_cache_set(c, line) * c->ways;
    const uint64_t *t = c->tag + base;
    for (uint32_t w = 0; w < c->ways; w++) {
        if (t[w] == line + 1)
            return (int64_t)(base + w);
    }
    return -1;
}

/* The slot to fill with `line`: an empty one, else the least recently used. The caller writes back what it held. */
static inline uint64_t gpu_cache_victim(const struct gpu_cache *c, uint64_t line)
{
    uint64_t base = (uint64_t)gpu_cache_set(c, line) * c->ways;
    uint64_t best = base, oldest = UINT64_MAX;
    for (uint32_t w = 0; w < c->ways; w++) {
        if (c->tag[base + w] == 0)
            return base + w;
        if (c->stamp[base + w] < oldest)
            oldest = c->stamp[base + w], best = base + w;
    }
    return best;
}

static inline void gpu_cache_touch(struct gpu_cache *c, uint64_t slot)
{
    c->stamp[slot] = ++c->clock;
}

#endif
