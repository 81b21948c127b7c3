/* HiGPU's global-memory timing: coalescing into sectors, per-SM L1s, the shared L2, L2 and HBM bandwidth. */
#include "gpu/gpu_memsys.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "gpu/gpu_cache.h"
#include "gpu/gpu_memsys_internal.h"

/* Associativity: not published; 16 ways keeps a lookup to one short scan (docs/higpu.md, "Timing model: memory"). */
#define L1_WAYS 16
#define L2_WAYS 16
/* A store is posted: the SM is done with it once it has left for L2. */
#define STORE_POST_CYCLES 4

static uint32_t log2_of(uint64_t v)
{
    uint32_t n = 0;
    while ((1ULL << n) < v)
        n++;
    return n;
}

struct gpu_memsys *gpu_memsys_create(const struct gpu_params *p)
{
    struct gpu_memsys *m = vdc_xcalloc(1, sizeof *m);
    m->p = *p;
    m->sector_shift = log2_of(p->sector_bytes);
    m->line_shift = log2_of(p->line_bytes);
    m->sectors_per_line = p->line_bytes / p->sector_bytes;
    m->full_sector = p->sector_bytes >= 64 ? UINT64_MAX : (1ULL << p->sector_bytes) - 1;
    m->l1 = vdc_xcalloc(p->sm_count, sizeof *m->l1);
    for (uint32_t i = 0; i < p->sm_count; i++)
        gpu_cache_init(&m->l1[i], p->l1_bytes / p->line_bytes, L1_WAYS, m->sectors_per_line, false);
    gpu_cache_init(&m->l2, p->l2_bytes / p->line_bytes, L2_WAYS, m->sectors_per_line, true);
    /* HBM time in units of 1 / (bytes per second x efficiency in thousandths) cycles: a byte costs
     * clock_hz x 1000 of them, so the busy time is exact and never drifts. */
    m->dram_units_per_cycle = (unsigned __int128)p->dram_bytes_per_second * p->dram_efficiency_permille;
    m->dram_units_per_byte = (unsigned __int128)p->clock_hz * 1000;
    return m;
}

void gpu_memsys_free(struct gpu_memsys *m)
{
    if (m == NULL)
        return;
    for (uint32_t i = 0; i < m->p.sm_count; i++)
        gpu_cache_free(&m->l1[i]);
    free(m->l1);
    gpu_cache_free(&m->l2);
    free(m);
}

void gpu_memsys_kernel_start(struct gpu_memsys *m)
{
    for (uint32_t i = 0; i < m->p.sm_count; i++)
        gpu_cache_invalidate(&m->l1[i]);
    memset(&m->stats, 0, sizeof m->stats);
}

void gpu_memsys_kernel_end(struct gpu_memsys *m, uint64_t now)
{
    (void)now; /* the write-back takes no time: the next kernel's traffic does not wait for it */
    const struct gpu_cache *c = &m->l2;
    uint64_t slots = (uint64_t)c->sets * c->ways;
    for (uint64_t slot = 0; slot < slots; slot++) {
        uint8_t *dirty = gpu_cache_dirty(c, slot);
        if (*dirty != 0) {
            uint64_t bytes = (uint64_t)__builtin_popcount(*dirty) * m->p.sector_bytes;
            m->stats.dram_write_bytes += bytes;
            m->stats.dram_write_at_end_bytes += bytes;
            *dirty = 0;
        }
    }
}

const struct gpu_memsys_stats *gpu_memsys_stats(const struct gpu_memsys *m)
{
    return &m->stats;
}

/* The L2's bandwidth as one server: returns how long `bytes` arriving at `now` wait, and takes their time. */
static uint64_t l2_take(struct gpu_memsys *m, uint64_t now, uint64_t bytes)
{
    if (m->l2_busy < now)
        m->l2_busy = now, m->l2_rem = 0;
    uint64_t wait = m->l2_busy - now;
    m->l2_rem += bytes;
    m->l2_busy += m->l2_rem / m->p.l2_bytes_per_cycle;
    m->l2_rem %= m->p.l2_bytes_per_cycle;
    return wait;
}

/* HBM as one server at the sustained rate (nominal x efficiency), in exact fixed point. */
static uint64_t dram_take(struct gpu_memsys *m, uint64_t now, uint64_t bytes)
{
    if (m->dram_busy < now)
        m->dram_busy = now, m->dram_rem = 0;
    uint64_t wait = m->dram_busy - now;
    m->dram_rem += m->dram_units_per_byte * bytes;
    m->dram_busy += (uint64_t)(m->dram_rem / m->dram_units_per_cycle);
    m->dram_rem %= m->dram_units_per_cycle;
    return wait;
}

/* The L2 slot for `line`, allocating it (and writing back the dirty sectors of what it held) on a miss. */
static uint64_t l2_slot(struct gpu_memsys *m, uint64_t line, uint64_t now)
{
    struct gpu_cache *c = &m->l2;
    int64_t found = gpu_cache_find(c, line);
    uint64_t slot;
    if (found >= 0) {
        slot = (uint64_t)found;
    } else {
        slot = gpu_cache_victim(c, line);
        if (*gpu_cache_dirty(c, slot) != 0) {
            uint64_t bytes = (uint64_t)__builtin_popcount(*gpu_cache_dirty(c, slot)) * m->p.sector_bytes;
            m->stats.dram_write_bytes += bytes;
            dram_take(m, now, bytes);
        }
        *gpu_cache_tag(c, slot) = line + 1;
        *gpu_cache_valid(c, slot) = 0;
        *gpu_cache_dirty(c, slot) = 0;
    }
    gpu_cache_touch(c, slot);
    return slot;
}

/* Reads sectors `need` of `line` through L2 (fetching misses from HBM); returns when the last is back. */
static uint64_t l2_read(struct gpu_memsys *m, uint64_t line, uint32_t need, uint64_t now)
{
    uint32_t n = (uint32_t)__builtin_popcount(need);
    uint64_t at = now + l2_take(m, now, (uint64_t)n * m->p.sector_bytes);
    uint64_t slot = l2_slot(m, line, now);
    struct gpu_cache *c = &m->l2;
    uint64_t *ready = c->ready + slot * m->sectors_per_line;
    uint64_t done = at + m->p.l2_latency;
    uint32_t hits = need & *gpu_cache_valid(c, slot), misses = need & ~(uint32_t)*gpu_cache_valid(c, slot);
    m->stats.l2_hits += (uint64_t)__builtin_popcount(hits);
    for (uint32_t h = hits; h != 0; h &= h - 1) {
        uint64_t r = ready[__builtin_ctz(h)];
        if (r > done)
            done = r;
    }
    if (misses != 0) {
        uint32_t k = (uint32_t)__builtin_popcount(misses);
        uint64_t bytes = (uint64_t)k * m->p.sector_bytes;
        m->stats.l2_misses += k;
        m->stats.dram_read_bytes += bytes;
        uint64_t back = at + dram_take(m, at, bytes) + m->p.l2_latency + m->p.dram_latency;
        for (uint32_t s = misses; s != 0; s &= s - 1)
            ready[__builtin_ctz(s)] = back;
        *gpu_cache_valid(c, slot) |= (uint8_t)misses;
        if (back > done)
            done = back;
    }
    return done;
}

/* Writes sectors of `line` into L2 (write-back): a whole sector needs no fetch, a part of one fetches it first. */
static void l2_write(struct gpu_memsys *m, uint64_t line, uint32_t sectors, const uint64_t *cover, uint64_t now)
{
    uint32_t n = (uint32_t)__builtin_popcount(sectors);
    uint64_t at = now + l2_take(m, now, (uint64_t)n * m->p.sector_bytes);
    uint64_t slot = l2_slot(m, line, now);
    struct gpu_cache *c = &m->l2;
    uint64_t *ready = c->ready + slot * m->sectors_per_line;
    uint32_t fetch = 0;
    for (uint32_t s = sectors; s != 0; s &= s - 1) {
        uint32_t i = (uint32_t)__builtin_ctz(s);
        if (*gpu_cache_valid(c, slot) & (1u << i)) {
            m->stats.l2_hits++;
        } else {
            m->stats.l2_misses++;
            if (cover[i] == m->full_sector)
                ready[i] = at;
            else
                fetch |= 1u << i;
        }
    }
    if (fetch != 0) {
        uint64_t bytes = (uint64_t)__builtin_popcount(fetch) * m->p.sector_bytes;
        m->stats.dram_read_bytes += bytes;
        uint64_t back = at + dram_take(m, at, bytes) + m->p.l2_latency + m->p.dram_latency;
        for (uint32_t s = fetch; s != 0; s &= s - 1)
            ready[__builtin_ctz(s)] = back;
    }
    *gpu_cache_valid(c, slot) |= (uint8_t)sectors;
    *gpu_cache_dirty(c, slot) |= (uint8_t)sectors;
}

/* One line an access touches: which sectors, the bytes of each it writes, and the most lanes on one sector. */
struct line_use {
    uint64_t line;
    uint32_t sectors;
    uint32_t most_lanes;
    uint64_t cover[8];
    uint8_t lanes[8];
};

/* Groups the active lanes' sectors by line: O(lanes) for the usual coalesced pattern, at worst lanes x lines. */
static uint32_t coalesce(const struct gpu_memsys *m, const struct gpu_access *a, struct line_use *use)
{
    uint32_t count = 0, last = 0;
    bool track = a->store || a->atomic;
    for (uint32_t mask = a->mask; mask != 0; mask &= mask - 1) {
        uint64_t addr = a->address[__builtin_ctz(mask)];
        uint64_t line = addr >> m->line_shift;
        uint32_t sector = (uint32_t)(addr >> m->sector_shift) & (m->sectors_per_line - 1);
        uint32_t u = last;
        if (count == 0 || use[u].line != line) {
            for (u = 0; u < count && use[u].line != line; u++)
                ;
            if (u == count) {
                use[u].line = line;
                use[u].sectors = 0;
                if (track) {
                    memset(use[u].cover, 0, sizeof use[u].cover);
                    memset(use[u].lanes, 0, sizeof use[u].lanes);
                    use[u].most_lanes = 0;
                }
                count++;
            }
            last = u;
        }
        use[u].sectors |= 1u << sector;
        if (track) {
            uint32_t offset = (uint32_t)addr & (m->p.sector_bytes - 1);
            uint32_t bytes = a->bytes > m->p.sector_bytes - offset ? m->p.sector_bytes - offset : a->bytes;
            use[u].cover[sector] |= (bytes >= 64 ? UINT64_MAX : (1ULL << bytes) - 1) << offset;
            if (++use[u].lanes[sector] > use[u].most_lanes)
                use[u].most_lanes = use[u].lanes[sector];
        }
    }
    return count;
}

uint64_t gpu_memsys_global(struct gpu_memsys *m, const struct gpu_access *a)
{
    struct line_use use[32];
    uint32_t lines = coalesce(m, a, use);
    uint64_t now = a->now, done = now;
    m->stats.requests++;
    for (uint32_t i = 0; i < lines; i++)
        m->stats.sectors += (uint64_t)__builtin_popcount(use[i].sectors);
    if (a->store && !a->atomic) {
        /* L1 is write-through without allocation: sectors it holds stay valid (their bytes are updated). */
        for (uint32_t i = 0; i < lines; i++)
            l2_write(m, use[i].line, use[i].sectors, use[i].cover, now);
        return now + STORE_POST_CYCLES;
    }
    if (a->atomic) {
        /* Resolved at L2: read (fetching a missing sector whole), modified there, left dirty; lanes on one sector
         * take a cycle each at the L2's atomic unit. */
        for (uint32_t i = 0; i < lines; i++) {
            uint64_t t = l2_read(m, use[i].line, use[i].sectors, now) + use[i].most_lanes - 1;
            *gpu_cache_dirty(&m->l2, (uint64_t)gpu_cache_find(&m->l2, use[i].line)) |= (uint8_t)use[i].sectors;
            if (t > done)
                done = t;
        }
        return done;
    }
    if (a->bypass_l1) {
        for (uint32_t i = 0; i < lines; i++) {
            uint64_t t = l2_read(m, use[i].line, use[i].sectors, now);
            if (t > done)
                done = t;
        }
        return done;
    }
    struct gpu_cache *l1 = &m->l1[a->sm];
    for (uint32_t i = 0; i < lines; i++) {
        uint64_t line = use[i].line;
        int64_t found = gpu_cache_find(l1, line);
        uint64_t slot;
        if (found >= 0) {
            slot = (uint64_t)found;
        } else {
            slot = gpu_cache_victim(l1, line);
            *gpu_cache_tag(l1, slot) = line + 1;
            *gpu_cache_valid(l1, slot) = 0;
        }
        gpu_cache_touch(l1, slot);
        uint64_t *ready = l1->ready + slot * m->sectors_per_line;
        uint32_t hits = use[i].sectors & *gpu_cache_valid(l1, slot), misses = use[i].sectors & ~(uint32_t)*gpu_cache_valid(l1, slot);
        m->stats.l1_hits += (uint64_t)__builtin_popcount(hits);
        uint64_t t = now + m->p.l1_latency;
        for (uint32_t h = hits; h != 0; h &= h - 1) {
            uint64_t r = ready[__builtin_ctz(h)];
            if (r > t)
                t = r;
        }
        if (misses != 0) {
            m->stats.l1_misses += (uint64_t)__builtin_popcount(misses);
            uint64_t back = l2_read(m, line, misses, now);
            for (uint32_t s = misses; s != 0; s &= s - 1)
                ready[__builtin_ctz(s)] = back;
            *gpu_cache_valid(l1, slot) |= (uint8_t)misses;
            if (back > t)
                t = back;
        }
        if (t > done)
            done = t;
    }
    return done;
}
