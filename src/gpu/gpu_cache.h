/* A sectored set-associative tag array with LRU replacement, for HiGPU's L1s and L2 (timing only: no data). */
#ifndef VDC_DEVICES_HIGPU_GPU_CACHE_H
#define VDC_DEVICES_HIGPU_GPU_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A hashed cache (L2) spreads runs of this many consecutive lines (2 KiB of 128-byte lines) over its sets, the lines
 * of a run in consecutive sets: the hardware hashes addresses onto slices in chunks and a slice indexes a chunk's
 * lines by their address bits. A stream's lookups then walk the set records in order in host memory. */
#define GPU_CACHE_RUN_LINES 16u

/* A slot is set * ways + way; its sectors are slot * sectors_per_line + sector in `ready`. A set's tags, LRU
 * stamps and sector masks lie together (one record of a few host cache lines), so a lookup touches little memory. */
struct gpu_cache {
    uint32_t sets, ways, way_shift, sectors_per_line;
    bool hashed;           /* index by a hash of the line address (L2 slices) instead of its low bits */
    uint32_t run_shift;    /* hashed: runs of 2^run_shift consecutive lines take consecutive sets */
    size_t set_bytes;      /* one set's record: tag[ways], stamp[ways], valid[ways], dirty[ways] */
    uint8_t *sets_mem;
    uint64_t *ready;       /* per slot, `ready_stride` words: per sector the cycle its data is there (a fill may
                            * still be under way), then the slot's aux word when the cache has one */
    uint32_t ready_stride;
    uint64_t clock;        /* use counter behind the stamps */
    bool holds_lines;      /* a slot was filled since the last invalidation (else there is nothing to empty) */
};

/* `lines` slots in sets of `ways` (a power of two; fewer when lines < ways); with `aux`, a 64-bit word per slot
 * for its user, kept beside the slot's ready times (touched by the same accesses, so in the same host lines). */
void gpu_cache_init(struct gpu_cache *c, uint64_t lines, uint32_t ways, uint32_t sectors_per_line, bool hashed,
                    bool aux);
void gpu_cache_free(struct gpu_cache *c);
/* Empties every slot. */
void gpu_cache_invalidate(struct gpu_cache *c);

static inline uint8_t *gpu_cache_record(const struct gpu_cache *c, uint64_t slot)
{
    return c->sets_mem + (size_t)(slot >> c->way_shift) * c->set_bytes;
}

/* The line address + 1 a slot holds; 0 marks an empty slot. */
static inline uint64_t *gpu_cache_tag(const struct gpu_cache *c, uint64_t slot)
{
    return (uint64_t *)(void *)gpu_cache_record(c, slot) + (slot & (c->ways - 1));
}

static inline uint64_t *gpu_cache_stamp(const struct gpu_cache *c, uint64_t slot)
{
    return (uint64_t *)(void *)gpu_cache_record(c, slot) + c->ways + (slot & (c->ways - 1));
}

/* The slot's valid and dirty sector masks. */
static inline uint8_t *gpu_cache_valid(const struct gpu_cache *c, uint64_t slot)
{
    return gpu_cache_record(c, slot) + 16 * c->ways + (slot & (c->ways - 1));
}

static inline uint8_t *gpu_cache_dirty(const struct gpu_cache *c, uint64_t slot)
{
    return gpu_cache_record(c, slot) + 17 * c->ways + (slot & (c->ways - 1));
}

/* The slot's per-sector ready cycles, and its aux word (caches made with one). */
static inline uint64_t *gpu_cache_ready(const struct gpu_cache *c, uint64_t slot)
{
    return c->ready + slot * c->ready_stride;
}

static inline uint64_t *gpu_cache_aux(const struct gpu_cache *c, uint64_t slot)
{
    return c->ready + slot * c->ready_stride + c->sectors_per_line;
}

static inline uint32_t gpu_cache_set(const struct gpu_cache *c, uint64_t line)
{
    if (c->hashed) {
        /* The run of consecutive lines is spread by Fibonacci hashing (a multiply maps the hash onto the runs of
         * sets without a division); within it, a line's set follows its place in the run. */
        uint64_t h = ((line >> c->run_shift) * 0x9E3779B97F4A7C15ULL) >> 32;
        uint32_t run = (uint32_t)((h * (c->sets >> c->run_shift)) >> 32);
        return run << c->run_shift | (uint32_t)(line & ((1u << c->run_shift) - 1));
    }
    return (uint32_t)(line % c->sets);
}

/* Asks the host to start fetching the tags of `line`'s set, for a lookup a little later: an access's lines are
 * looked up one after another, and in a large cache (L2, tens of MiB of tags over all GPUs) each lookup would
 * otherwise wait for its own miss in the host's caches. */
static inline void gpu_cache_prefetch(const struct gpu_cache *c, uint64_t line)
{
    const char *tags = (const char *)gpu_cache_record(c, (uint64_t)gpu_cache_set(c, line) << c->way_shift);
    for (uint32_t off = 0; off < c->ways * 8; off += 64)
        __builtin_prefetch(tags + off, 0, 3);
}

/* Asks the host to start fetching the stamps of `line`'s set, which choosing a slot to fill compares. */
static inline void gpu_cache_prefetch_stamps(const struct gpu_cache *c, uint64_t line)
{
    const char *stamps = (const char *)gpu_cache_stamp(c, (uint64_t)gpu_cache_set(c, line) << c->way_shift);
    for (uint32_t off = 0; off < c->ways * 8; off += 64)
        __builtin_prefetch(stamps + off, 1, 3);
}

/* Asks the host to start fetching slot `slot`'s record (its sectors' ready cycles and aux word), which a lookup that
 * found the slot reads next. */
static inline void gpu_cache_prefetch_slot(const struct gpu_cache *c, uint64_t slot)
{
    const char *first = (const char *)gpu_cache_ready(c, slot);
    __builtin_prefetch(first, 1, 3);
    __builtin_prefetch(first + c->ready_stride * sizeof *c->ready - 1, 1, 3); /* a record may straddle two lines */
}

/* The slot holding `line`, or -1. */
static inline int64_t gpu_cache_find(const struct gpu_cache *c, uint64_t line)
{
    uint64_t base = (uint64_t)gpu_cache_set(c, line) << c->way_shift;
    const uint64_t *t = gpu_cache_tag(c, base);
    for (uint32_t w = 0; w < c->ways; w++) {
        if (t[w] == line + 1)
            return (int64_t)(base + w);
    }
    return -1;
}

/* The slot to fill with `line`: an empty one, else the least recently used. The caller writes back what it held. */
static inline uint64_t gpu_cache_victim(const struct gpu_cache *c, uint64_t line)
{
    uint64_t base = (uint64_t)gpu_cache_set(c, line) << c->way_shift;
    const uint64_t *t = gpu_cache_tag(c, base), *stamp = gpu_cache_stamp(c, base);
    uint32_t best = 0;
    uint64_t oldest = UINT64_MAX;
    for (uint32_t w = 0; w < c->ways; w++) {
        if (t[w] == 0)
            return base + w;
        if (stamp[w] < oldest)
            oldest = stamp[w], best = w;
    }
    return base + best;
}

/* Puts `line` in `slot` (the caller sets its sectors). */
static inline void gpu_cache_fill(struct gpu_cache *c, uint64_t slot, uint64_t line)
{
    *gpu_cache_tag(c, slot) = line + 1;
    c->holds_lines = true;
}

static inline void gpu_cache_touch(struct gpu_cache *c, uint64_t slot)
{
    *gpu_cache_stamp(c, slot) = ++c->clock;
}

#endif
