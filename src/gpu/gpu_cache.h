/* A sectored set-associative tag array with LRU replacement, for HiGPU's L1s and L2 (timing only: no data). */
#ifndef VDC_DEVICES_HIGPU_GPU_CACHE_H
#define VDC_DEVICES_HIGPU_GPU_CACHE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/prefetch.h"

/* A hashed cache (L2) spreads runs of this many consecutive lines (2 KiB of 128-byte lines) over its sets, the lines
 * of a run in consecutive sets: the hardware hashes addresses onto slices in chunks and a slice indexes a chunk's
 * lines by their address bits. A stream's lookups then walk the set records in order in host memory. */
#define GPU_CACHE_RUN_LINES 16u

/* A slot is set * ways + way; its sectors are slot * sectors_per_line + sector in `ready`. A set's record holds its
 * tags, then its recency order, which ways hold a line and its sector masks (three host cache lines for 16 ways),
 * so a lookup touches little memory.
 *
 * Replacement is least recently used, ties to the lowest way; a streaming access makes its slot the first to go
 * (gpu_cache_demote), several such slots going lowest way first. The order is kept as the ways themselves, 4 bits
 * each, least recent first: the ways made first-to-go lead, by way, then the others by their last use. It is stored
 * exclusive-or the identity (way i at place i), so that a zeroed record is a set that starts empty with every way
 * first-to-go (none used yet), in way order. */
struct gpu_cache {
    uint32_t sets, ways, way_shift, sectors_per_line;
    bool hashed;           /* index by a hash of the line address (L2 slices) instead of its low bits */
    uint32_t run_shift;    /* hashed: runs of 2^run_shift consecutive lines take consecutive sets */
    size_t set_bytes;      /* one set's record: tag[ways], order, used, held, valid[ways], dirty[ways] */
    uint8_t *sets_mem;
    /* Per slot, a record of `record_words` 32-bit words (a power of two, so that no record straddles two host
     * lines): the slot's aux word first when the cache has one (two words), then per sector the cycle its data is
     * there (a fill may still be under way), counted from `epoch`. Held in 32 bits so that a record of 4 sectors
     * and an aux word takes half a host line; gpu_cache_set_ready moves the epoch up when a cycle outgrows them. */
    uint32_t *records;
    uint32_t record_words, aux_words; /* aux_words: 2 with an aux word, else 0 */
    uint64_t epoch;
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

/* The set record's words after its tags: its recency order (exclusive-or the identity), the ways used since they
 * were last made first-to-go, and the ways holding a line. */
struct gpu_cache_lru {
    uint64_t order;
    uint16_t used, held;
};

static inline struct gpu_cache_lru *gpu_cache_lru(const struct gpu_cache *c, uint64_t slot)
{
    return (struct gpu_cache_lru *)(void *)(gpu_cache_record(c, slot) + 8 * c->ways);
}

/* The slot's valid and dirty sector masks. */
static inline uint8_t *gpu_cache_valid(const struct gpu_cache *c, uint64_t slot)
{
    return gpu_cache_record(c, slot) + 8 * c->ways + sizeof(struct gpu_cache_lru) + (slot & (c->ways - 1));
}

static inline uint8_t *gpu_cache_dirty(const struct gpu_cache *c, uint64_t slot)
{
    return gpu_cache_record(c, slot) + 9 * c->ways + sizeof(struct gpu_cache_lru) + (slot & (c->ways - 1));
}

/* The slot's per-sector ready cycles (read with gpu_cache_ready_at, written with gpu_cache_set_ready), and its
 * aux word (caches made with one). */
static inline uint32_t *gpu_cache_ready(const struct gpu_cache *c, uint64_t slot)
{
    return c->records + slot * c->record_words + c->aux_words;
}

static inline uint64_t *gpu_cache_aux(const struct gpu_cache *c, uint64_t slot)
{
    return (uint64_t *)(void *)(c->records + slot * c->record_words);
}

/* The cycle sector `sector` of a slot's `ready` is there. Cycles long past read as the epoch, which is earlier than
 * any access still to come (gpu_cache_rebase). */
static inline uint64_t gpu_cache_ready_at(const struct gpu_cache *c, const uint32_t *ready, uint32_t sector)
{
    return c->epoch + ready[sector];
}

void gpu_cache_rebase(struct gpu_cache *c, uint64_t cycle);

static inline void gpu_cache_set_ready(struct gpu_cache *c, uint32_t *ready, uint32_t sector, uint64_t cycle)
{
    assert(cycle >= c->epoch); /* the epoch stays 2^31 cycles (about a second) behind the latest cycle written */
    if (__builtin_expect(cycle - c->epoch > UINT32_MAX, 0))
        gpu_cache_rebase(c, cycle);
    ready[sector] = (uint32_t)(cycle - c->epoch);
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
        VDC_PREFETCH(tags + off, 0, 3);
}

/* Asks the host to start fetching the order of `line`'s set (and its masks, on the same host line), which
 * choosing a slot to fill reads. */
static inline void gpu_cache_prefetch_order(const struct gpu_cache *c, uint64_t line)
{
    VDC_PREFETCH(gpu_cache_lru(c, (uint64_t)gpu_cache_set(c, line) << c->way_shift), 1, 3);
}

/* Asks the host to start fetching slot `slot`'s record (its sectors' ready cycles and aux word), which a lookup that
 * found the slot reads next. */
static inline void gpu_cache_prefetch_slot(const struct gpu_cache *c, uint64_t slot)
{
    VDC_PREFETCH(gpu_cache_aux(c, slot), 1, 3); /* its record's start: the record is within one host line */
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

/* The nibbles below place n (all of them from 16). */
static inline uint64_t gpu_cache_places_below(uint32_t n)
{
    return n >= 16 ? ~UINT64_C(0) : (UINT64_C(1) << (4 * n)) - 1;
}

/* Way i at place i, the places past the ways holding 15 (no way's number when there are fewer than 16). */
static inline uint64_t gpu_cache_identity(uint32_t ways)
{
    return (UINT64_C(0xfedcba9876543210) & gpu_cache_places_below(ways)) | ~gpu_cache_places_below(ways);
}

/* The place of `way` in `order` (it is there once, among the first `ways` places). */
static inline uint32_t gpu_cache_place_of(uint64_t order, uint32_t ways, uint32_t way)
{
    uint64_t x = order ^ (way * UINT64_C(0x1111111111111111));
    /* A zero nibble sets its top bit here; a borrow may set more above the first zero, never below it. */
    uint64_t zero = (x - UINT64_C(0x1111111111111111)) & ~x & UINT64_C(0x8888888888888888) &
                    gpu_cache_places_below(ways);
    return (uint32_t)__builtin_ctzll(zero) / 4;
}

/* `way` moved from its place to place `to`, the ways between closing up. */
static inline uint64_t gpu_cache_move(uint64_t order, uint32_t ways, uint32_t way, uint32_t to)
{
    uint32_t from = gpu_cache_place_of(order, ways, way);
    uint64_t below = order & gpu_cache_places_below(from);
    uint64_t above = from >= 15 ? 0 : order >> (4 * (from + 1)); /* the others, closed up over `from` */
    uint64_t rest = below | above << (4 * from);
    uint64_t head = rest & gpu_cache_places_below(to);
    uint64_t tail = to >= 15 ? 0 : (rest & ~gpu_cache_places_below(to)) << 4;
    return head | (uint64_t)way << (4 * to) | tail;
}

/* The slot to fill with `line`: an empty one (the lowest), else the least recently used. The caller writes back
 * what it held. */
static inline uint64_t gpu_cache_victim(const struct gpu_cache *c, uint64_t line)
{
    uint64_t base = (uint64_t)gpu_cache_set(c, line) << c->way_shift;
    const struct gpu_cache_lru *l = gpu_cache_lru(c, base);
    uint32_t empty = ~(uint32_t)l->held & ((1u << c->ways) - 1);
    if (empty != 0)
        return base + (uint32_t)__builtin_ctz(empty);
    return base + ((l->order ^ gpu_cache_identity(c->ways)) & 15);
}

/* Puts `line` in `slot` (the caller sets its sectors, and marks its use). */
static inline void gpu_cache_fill(struct gpu_cache *c, uint64_t slot, uint64_t line)
{
    *gpu_cache_tag(c, slot) = line + 1;
    gpu_cache_lru(c, slot)->held |= (uint16_t)(1u << (slot & (c->ways - 1)));
    c->holds_lines = true;
}

/* The slot is the most recently used of its set. */
static inline void gpu_cache_touch(struct gpu_cache *c, uint64_t slot)
{
    struct gpu_cache_lru *l = gpu_cache_lru(c, slot);
    uint32_t way = (uint32_t)(slot & (c->ways - 1));
    uint64_t identity = gpu_cache_identity(c->ways);
    l->order = gpu_cache_move(l->order ^ identity, c->ways, way, c->ways - 1) ^ identity;
    l->used |= (uint16_t)(1u << way);
}

/* The slot goes first from its set (after those made so before it with a lower way): a streaming access's line. */
static inline void gpu_cache_demote(struct gpu_cache *c, uint64_t slot)
{
    struct gpu_cache_lru *l = gpu_cache_lru(c, slot);
    uint32_t way = (uint32_t)(slot & (c->ways - 1));
    uint64_t identity = gpu_cache_identity(c->ways);
    l->used &= (uint16_t)~(1u << way);
    uint32_t first_to_go_below = (uint32_t)__builtin_popcount(~(uint32_t)l->used & ((1u << way) - 1));
    l->order = gpu_cache_move(l->order ^ identity, c->ways, way, first_to_go_below) ^ identity;
}

#endif
