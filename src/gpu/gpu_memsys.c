/* HiGPU's global-memory timing: coalescing into sectors, per-SM L1s, the shared L2, L2 and HBM bandwidth. */
#include "gpu/gpu_memsys.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/popcount.h"
#include "common/prefetch.h"
#include "gpu/gpu_cache.h"
#include "gpu/gpu_memsys_internal.h"

/* Associativity: not published; 16 ways keeps a lookup to one short scan (docs/higpu.md, "Timing model: memory"). */
#define L1_WAYS 16
#define L2_WAYS 16
/* A store is posted: the SM is done with it once it has left for L2. */
#define STORE_POST_CYCLES 4
/* Dirty lines L2 evicts queue for HBM; past this many cycles of queued HBM work, stores wait at the SM. */
#define WRITE_QUEUE_CYCLES 1024
/* Words whose atomic operations are tracked at once (direct-mapped, a power of two). */
#define ATOMIC_SLOTS 4096

/* Spreads a row or word number over the banks or slots (the finalizer of splitmix64). */
static uint64_t spread(uint64_t x)
{
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

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
    m->filled_slot = UINT64_MAX;
    m->sector_shift = log2_of(p->sector_bytes);
    m->line_shift = log2_of(p->line_bytes);
    m->sectors_per_line = p->line_bytes / p->sector_bytes;
    m->full_sector = p->sector_bytes >= 64 ? UINT64_MAX : (1ULL << p->sector_bytes) - 1;
    m->l1 = vdc_xcalloc(p->sm_count, sizeof *m->l1);
    for (uint32_t i = 0; i < p->sm_count; i++)
        gpu_cache_init(&m->l1[i], p->l1_bytes / p->line_bytes, L1_WAYS, m->sectors_per_line, false, false);
    gpu_cache_init(&m->l2, p->l2_bytes / p->line_bytes, L2_WAYS, m->sectors_per_line, true, p->l2_partitions == 2);
    m->partition_lines = (uint32_t)(p->l2_bytes / 2 / p->line_bytes);
    /* HBM time in units of 1 / (bytes per second x both efficiencies in thousandths) cycles: a byte read costs
     * clock_hz x 1000 x the write efficiency of them, a byte written clock_hz x 1000 x the read efficiency, so
     * each moves at its own efficiency and the busy time is exact and never drifts. */
    m->dram_units_per_cycle = (unsigned __int128)p->dram_bytes_per_second * p->dram_efficiency_permille *
                              p->dram_write_efficiency_permille;
    m->dram_units_per_read_byte = (unsigned __int128)p->clock_hz * 1000 * p->dram_write_efficiency_permille;
    m->dram_units_per_write_byte = (unsigned __int128)p->clock_hz * 1000 * p->dram_efficiency_permille;
    m->open_row = vdc_xcalloc(p->dram_banks, sizeof *m->open_row);
    m->page_shift = log2_of(p->dram_page_bytes);
    m->atomic_slots = vdc_xcalloc(ATOMIC_SLOTS, sizeof *m->atomic_slots);
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
    free(m->open_row);
    free(m->atomic_slots);
    free(m->dirtied);
    free(m);
}

void gpu_memsys_kernel_start(struct gpu_memsys *m)
{
    for (uint32_t i = 0; i < m->p.sm_count; i++)
        gpu_cache_invalidate(&m->l1[i]);
    memset(&m->stats, 0, sizeof m->stats);
}

static uint64_t dram_take(struct gpu_memsys *m, uint64_t now, uint64_t bytes, bool write);

void gpu_memsys_kernel_end(struct gpu_memsys *m, uint64_t now)
{
    /* The write-back starts as the kernel ends and keeps HBM busy: the next kernel's misses queue behind it. */
    const struct gpu_cache *c = &m->l2;
    uint64_t written = 0;
    for (size_t i = 0; i < m->dirtied_count; i++) {
        uint8_t *dirty = gpu_cache_dirty(c, m->dirtied[i]);
        if (*dirty != 0) {
            uint64_t bytes = (uint64_t)vdc_popcount32(*dirty) * m->p.sector_bytes;
            m->stats.dram_write_bytes += bytes;
            m->stats.dram_write_at_end_bytes += bytes;
            written += bytes;
            *dirty = 0;
        }
    }
    m->dirtied_count = 0;
    if (written > 0)
        dram_take(m, now, written, true);
}

/* Marks `sectors` of L2 slot `slot` written, listing the slot for the write-back at the kernel's end when it was
 * clean. */
static void mark_dirty(struct gpu_memsys *m, uint64_t slot, uint32_t sectors)
{
    uint8_t *dirty = gpu_cache_dirty(&m->l2, slot);
    if (*dirty == 0 && sectors != 0) {
        if (m->dirtied_count == m->dirtied_capacity) {
            m->dirtied_capacity = m->dirtied_capacity ? 2 * m->dirtied_capacity : 4096;
            m->dirtied = vdc_xrealloc(m->dirtied, m->dirtied_capacity, sizeof *m->dirtied);
        }
        m->dirtied[m->dirtied_count++] = slot;
    }
    *dirty |= (uint8_t)sectors;
}

const struct gpu_memsys_stats *gpu_memsys_stats(const struct gpu_memsys *m)
{
    return &m->stats;
}

/* Marks a slot used by the access being timed: most recently, or, for a streaming access, first to go. */
static void use_slot(const struct gpu_memsys *m, struct gpu_cache *c, uint64_t slot)
{
    if (m->evict_first)
        gpu_cache_demote(c, slot);
    else
        gpu_cache_touch(c, slot);
}

/* The L2's bandwidth as one server: returns how long `bytes` arriving at `now` wait, and takes their time. */
static uint64_t l2_take(struct gpu_memsys *m, uint64_t now, uint64_t bytes)
{
    if (m->l2_busy < now)
        m->l2_busy = now, m->l2_rem = 0;
    uint64_t wait = m->l2_busy - now;
    m->l2_rem += bytes;
    if (m->l2_rem < m->p.l2_bytes_per_cycle)
        return wait; /* the usual access, less than a cycle's bytes: no division on every access */
    m->l2_busy += m->l2_rem / m->p.l2_bytes_per_cycle;
    m->l2_rem %= m->p.l2_bytes_per_cycle;
    return wait;
}

/* HBM as one server at the sustained rates (nominal x the read or write efficiency), in exact fixed point. */
static uint64_t dram_take(struct gpu_memsys *m, uint64_t now, uint64_t bytes, bool write)
{
    if (m->dram_busy < now)
        m->dram_busy = now, m->dram_rem = 0;
    uint64_t wait = m->dram_busy - now;
    m->dram_rem += (write ? m->dram_units_per_write_byte : m->dram_units_per_read_byte) * bytes;
    /* A miss's sectors take a fraction of a cycle of HBM: a subtraction, not a 128-bit division, for those. */
    if (m->dram_rem < 2 * m->dram_units_per_cycle) {
        if (m->dram_rem >= m->dram_units_per_cycle)
            m->dram_busy++, m->dram_rem -= m->dram_units_per_cycle;
        return wait;
    }
    m->dram_busy += (uint64_t)(m->dram_rem / m->dram_units_per_cycle);
    m->dram_rem %= m->dram_units_per_cycle;
    return wait;
}

/* The latency HBM adds to a miss of `line`: a row already open in its bank is quicker; the row stays open. Rows
 * are spread over the banks by a hash of the row number, as the hardware's address mapping spreads them. */
static uint64_t dram_row_latency(struct gpu_memsys *m, uint64_t line)
{
    uint64_t row = (line << m->line_shift) >> m->page_shift;
    uint64_t *open = &m->open_row[spread(row) % m->p.dram_banks];
    if (*open == row + 1)
        return m->p.dram_row_hit_latency;
    *open = row + 1;
    return m->p.dram_latency;
}

/* The L2 slot for `line`, allocating it (and writing back the dirty sectors of what it held) on a miss; the
 * write-back's wait for HBM goes to *write_wait. `found`: the caller's lookup of the line, or L2_LOOK to look. */
#define L2_LOOK (-2)
static uint64_t l2_slot(struct gpu_memsys *m, uint64_t line, uint64_t now, uint64_t *write_wait, int64_t found)
{
    struct gpu_cache *c = &m->l2;
    if (found == L2_LOOK)
        found = gpu_cache_find(c, line);
    uint64_t slot;
    m->filled_slot = UINT64_MAX;
    if (found >= 0) {
        slot = (uint64_t)found;
    } else {
        slot = gpu_cache_victim(c, line);
        if (*gpu_cache_dirty(c, slot) != 0) {
            uint64_t bytes = (uint64_t)vdc_popcount32(*gpu_cache_dirty(c, slot)) * m->p.sector_bytes;
            m->stats.dram_write_bytes += bytes;
            uint64_t wait = dram_take(m, now, bytes, true);
            if (write_wait != NULL && wait > *write_wait)
                *write_wait = wait;
        }
        gpu_cache_fill(c, slot, line);
        *gpu_cache_valid(c, slot) = 0;
        *gpu_cache_dirty(c, slot) = 0;
        m->filled_slot = slot;
        /* With two partitions the caller stamps the aux word (near_keep, or no half holds it): one store to the
         * slot's record line, which is not in the host's caches when a line streams through L2. */
    }
    use_slot(m, c, slot);
    return slot;
}

/* Reads sectors `need` of `line` through L2 (fetching misses from HBM); returns when the last is back. A hit
 * costs `hit_latency` from the L2's own point of view (the near or far partition's). */
static uint64_t l2_read_home(struct gpu_memsys *m, uint64_t line, uint32_t need, uint64_t now, uint32_t hit_latency,
                             int64_t found, uint64_t *slot_out)
{
    uint32_t n = (uint32_t)vdc_popcount32(need);
    uint64_t at = now + l2_take(m, now, (uint64_t)n * m->p.sector_bytes);
    uint64_t slot = l2_slot(m, line, now, NULL, found);
    *slot_out = slot;
    struct gpu_cache *c = &m->l2;
    uint32_t *ready = gpu_cache_ready(c, slot);
    uint64_t done = at + hit_latency;
    uint32_t hits = need & *gpu_cache_valid(c, slot), misses = need & ~(uint32_t)*gpu_cache_valid(c, slot);
    m->stats.l2_hits += (uint64_t)vdc_popcount32(hits);
    for (uint32_t h = hits; h != 0; h &= h - 1) {
        uint64_t r = gpu_cache_ready_at(c, ready, (uint32_t)__builtin_ctz(h));
        if (r > done)
            done = r;
    }
    if (misses != 0) {
        uint32_t k = (uint32_t)vdc_popcount32(misses);
        uint64_t bytes = (uint64_t)k * m->p.sector_bytes;
        m->stats.l2_misses += k;
        m->stats.dram_read_bytes += bytes;
        uint64_t back = at + dram_take(m, at, bytes, false) + m->p.l2_latency + dram_row_latency(m, line);
        for (uint32_t s = misses; s != 0; s &= s - 1)
            gpu_cache_set_ready(c, ready, (uint32_t)__builtin_ctz(s), back);
        *gpu_cache_valid(c, slot) |= (uint8_t)misses;
        if (back > done)
            done = back;
    }
    return done;
}

/* Each half's stamp for an L2 slot: 32 bits of the slot's aux word each. */
static uint32_t near_seen(const struct gpu_memsys *m, uint32_t side, uint64_t slot)
{
    return (uint32_t)(*gpu_cache_aux(&m->l2, slot) >> (32 * side));
}

/* Which half of the SMs (and so which L2 partition) SM `sm` belongs to. */
static uint32_t side_of(const struct gpu_memsys *m, uint32_t sm)
{
    return sm * 2 / m->p.sm_count;
}

/* Whether the partition of SM half `side` holds the line in L2 slot `slot`. */
static bool near_holds(const struct gpu_memsys *m, uint32_t side, uint64_t slot)
{
    uint32_t seen = near_seen(m, side, slot);
    return seen != 0 && m->near_clock[side] - seen < m->partition_lines;
}

/* SM half `side` uses the line in `slot`: its partition keeps it, as its most recent line; with
 * `alone` (a store) the other half's copy goes, stale. */
static void near_keep(struct gpu_memsys *m, uint32_t side, uint64_t slot, bool alone)
{
    uint64_t *aux = gpu_cache_aux(&m->l2, slot);
    /* A slot filled just now has no stamp on either side (what its word holds is the line it displaced's), so the
     * word is written without being read: for lines streaming through L2 that read was a wait on a host line
     * nothing had touched yet. */
    uint64_t word = slot == m->filled_slot ? 0 : *aux;
    uint32_t stamp = (uint32_t)(word >> (32 * side)), other = (uint32_t)(word >> (32 * (1 - side)));
    if (stamp != 0 && stamp == m->near_clock[side]) {
        if (!alone || other == 0)
            return; /* already the most recent: a clock tick per use would count one line many times */
    } else {
        if (++m->near_clock[side] == 0)
            m->near_clock[side] = 1; /* 0 means no copy */
        stamp = m->near_clock[side];
    }
    *aux = (uint64_t)(alone ? 0 : other) << (32 * (1 - side)) | (uint64_t)stamp << (32 * side);
}

/* A load's read through L2 from SM `sm`. With two partitions, each half of the SMs reads through its own, which
 * keeps what the half used lately (half of L2): a hit there costs l2_latency, a hit in L2 that the partition lacks
 * costs l2_far_latency, so a chase stays near up to half of L2, is far up to all of it and goes to HBM past that,
 * as measured. Misses to HBM cost the same either way. */
static uint64_t l2_read(struct gpu_memsys *m, uint32_t sm, uint64_t line, uint32_t need, uint64_t now)
{
    uint64_t slot;
    if (m->p.l2_partitions != 2)
        return l2_read_home(m, line, need, now, m->p.l2_latency, L2_LOOK, &slot);
    uint32_t side = side_of(m, sm);
    int64_t found = gpu_cache_find(&m->l2, line);
    bool near = found >= 0 && near_holds(m, side, (uint64_t)found);
    uint64_t done = l2_read_home(m, line, need, now, near ? m->p.l2_latency : m->p.l2_far_latency, found, &slot);
    near_keep(m, side, slot, false);
    return done;
}

/* Writes sectors of `line` into L2 (write-back): a whole sector needs no fetch, a part of one fetches it first.
 * Returns how long the write-back of what it displaced waits for HBM; *slot_out: the line's L2 slot. */
static uint64_t l2_write(struct gpu_memsys *m, uint64_t line, uint32_t sectors, const uint64_t *cover, uint64_t now,
                         uint64_t *slot_out)
{
    uint32_t n = (uint32_t)vdc_popcount32(sectors);
    uint64_t at = now + l2_take(m, now, (uint64_t)n * m->p.sector_bytes);
    uint64_t write_wait = 0;
    uint64_t slot = l2_slot(m, line, now, &write_wait, L2_LOOK);
    struct gpu_cache *c = &m->l2;
    uint32_t *ready = gpu_cache_ready(c, slot);
    uint32_t fetch = 0;
    for (uint32_t s = sectors; s != 0; s &= s - 1) {
        uint32_t i = (uint32_t)__builtin_ctz(s);
        if (*gpu_cache_valid(c, slot) & (1u << i)) {
            m->stats.l2_hits++;
        } else {
            m->stats.l2_misses++;
            if (cover[i] == m->full_sector)
                gpu_cache_set_ready(c, ready, i, at);
            else
                fetch |= 1u << i;
        }
    }
    if (fetch != 0) {
        uint64_t bytes = (uint64_t)vdc_popcount32(fetch) * m->p.sector_bytes;
        m->stats.dram_read_bytes += bytes;
        uint64_t back = at + dram_take(m, at, bytes, false) + m->p.l2_latency + dram_row_latency(m, line);
        for (uint32_t s = fetch; s != 0; s &= s - 1)
            gpu_cache_set_ready(c, ready, (uint32_t)__builtin_ctz(s), back);
    }
    *gpu_cache_valid(c, slot) |= (uint8_t)sectors;
    mark_dirty(m, slot, sectors);
    *slot_out = slot;
    return write_wait;
}

/* Atomic operations on one word take turns at its L2 slice, `atomic_cycles` each, from the cycle `arrive` the
 * line's data is there; returns the cycle the last of `count` operations on `word` ends. */
static uint64_t atomic_serialize(struct gpu_memsys *m, uint64_t word, uint32_t count, uint64_t arrive)
{
    struct gpu_atomic_slot *slot = &m->atomic_slots[spread(word) & (ATOMIC_SLOTS - 1)];
    uint64_t start = slot->word == word + 1 && slot->busy > arrive ? slot->busy : arrive;
    slot->word = word + 1;
    slot->busy = start + (uint64_t)count * m->p.atomic_cycles;
    return slot->busy;
}

/* One line an access touches: which sectors, and the bytes of each it writes. */
struct line_use {
    uint64_t line;
    uint32_t sectors;
    uint64_t cover[8];
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
                /* Its L2 tags asked for now, so that the miss overlaps the rest of the lanes' work. */
                gpu_cache_prefetch(&m->l2, line);
                use[u].line = line;
                use[u].sectors = 0;
                if (track)
                    memset(use[u].cover, 0, sizeof use[u].cover);
                count++;
            }
            last = u;
        }
        use[u].sectors |= 1u << sector;
        if (track) {
            uint32_t offset = (uint32_t)addr & (m->p.sector_bytes - 1);
            uint32_t bytes = a->bytes > m->p.sector_bytes - offset ? m->p.sector_bytes - offset : a->bytes;
            use[u].cover[sector] |= (bytes >= 64 ? UINT64_MAX : (1ULL << bytes) - 1) << offset;
        }
    }
    return count;
}

/* coalesce for a dense access (gpu_access.dense) that starts on a sector and covers whole ones: its lines in
 * order, each with the sectors the span covers, without a look at each lane. The same lines, sectors and covers
 * as coalesce finds; false (nothing done) when the span does not so fall on sectors. Its lines' tags are not asked
 * for here: the caller asked for them before the access's bytes moved (gpu_memsys_prefetch). */
static bool coalesce_dense(const struct gpu_memsys *m, const struct gpu_access *a, struct line_use *use,
                           uint32_t *count)
{
    uint64_t first = a->address[0], span = 32 * (uint64_t)a->bytes; /* a warp's 32 lanes */
    uint64_t sector_mask = ((uint64_t)1 << m->sector_shift) - 1;
    if ((first & sector_mask) != 0 || (span & sector_mask) != 0)
        return false;
    uint64_t end = first + span, line_bytes = (uint64_t)1 << m->line_shift;
    bool track = a->store || a->atomic;
    uint32_t n = 0;
    for (uint64_t at = first; at < end; n++) {
        uint64_t line = at >> m->line_shift, line_end = (line + 1) << m->line_shift;
        uint64_t stop = end < line_end ? end : line_end;
        uint32_t from = (uint32_t)((at & (line_bytes - 1)) >> m->sector_shift);
        uint32_t to = (uint32_t)(((stop - 1) & (line_bytes - 1)) >> m->sector_shift);
        use[n].line = line;
        use[n].sectors = (uint32_t)((2u << to) - (1u << from));
        if (track)
            for (uint32_t s = from; s <= to; s++)
                use[n].cover[s] = m->full_sector;
        at = stop;
    }
    *count = n;
    return true;
}

/* Fetches ahead the L2 slot records of an access's lines (through L1, of those L1 does not hold): the slot holding
 * the line, or for a line L2 lacks the slot it will fill (the same choice as l2_slot's, made here without changing
 * anything), with its set's sector masks. In three rounds, so that the lines' misses in the host's caches overlap
 * instead of each waiting for the one before: the sets' tags (asked for by coalesce, as it finds each line), then
 * the recency order of the sets whose line is missing, then the slots. Changes nothing simulated. */
#define L2_SKIP (-3) /* a line L1 most likely holds: L2 is not asked */
static void prefetch_l2_slots(const struct gpu_memsys *m, const struct line_use *use, uint32_t lines,
                              const struct gpu_cache *l1)
{
    int64_t found[32]; /* the tags were asked for as the lines were found (coalesce) */
    for (uint32_t i = 0; i < lines; i++) {
        found[i] = L2_SKIP;
        if (l1 != NULL && gpu_cache_find(l1, use[i].line) >= 0)
            continue; /* most likely an L1 hit: L2 is not asked */
        found[i] = gpu_cache_find(&m->l2, use[i].line);
        if (found[i] < 0) /* then the recency order, to choose the slot to fill */
            gpu_cache_prefetch_order(&m->l2, use[i].line);
    }
    for (uint32_t i = 0; i < lines; i++) {
        if (found[i] == L2_SKIP)
            continue;
        uint64_t slot = found[i] >= 0 ? (uint64_t)found[i] : gpu_cache_victim(&m->l2, use[i].line);
        gpu_cache_prefetch_slot(&m->l2, slot);
        VDC_PREFETCH(gpu_cache_valid(&m->l2, slot), 1, 3); /* its valid and dirty masks */
    }
}

void gpu_memsys_prefetch(const struct gpu_memsys *m, uint64_t address, uint64_t bytes)
{
    for (uint64_t line = address >> m->line_shift; line <= (address + bytes - 1) >> m->line_shift; line++) {
        gpu_cache_prefetch(&m->l2, line);
        gpu_cache_prefetch_order(&m->l2, line);
    }
    uint64_t row = address >> m->page_shift; /* a miss's open row (dram_row_latency), for the span's first line */
    VDC_PREFETCH(&m->open_row[spread(row) % m->p.dram_banks], 1, 3);
}

uint64_t gpu_memsys_global(struct gpu_memsys *m, struct gpu_access *a)
{
    struct line_use use[32];
    uint32_t lines;
    if (!a->dense || !coalesce_dense(m, a, use, &lines))
        lines = coalesce(m, a, use);
    if (lines > 1)
        prefetch_l2_slots(m, use, lines, a->store || a->atomic || a->bypass_l1 ? NULL : &m->l1[a->sm]);
    m->evict_first = a->evict_first;
    uint64_t now = a->now, done = now;
    m->stats.requests++;
    for (uint32_t i = 0; i < lines; i++)
        m->stats.sectors += (uint64_t)vdc_popcount32(use[i].sectors);
    if (a->store && !a->atomic) {
        /* L1 is write-through without allocation: sectors it holds stay valid (their bytes are updated). A store
         * whose displaced dirty line finds HBM's queue full holds the SM's memory pipe until there is room. */
        uint64_t write_wait = 0;
        for (uint32_t i = 0; i < lines; i++) {
            uint64_t slot;
            uint64_t wait = l2_write(m, use[i].line, use[i].sectors, use[i].cover, now, &slot);
            if (wait > write_wait)
                write_wait = wait;
            if (m->p.l2_partitions == 2) {
                /* The storing half's partition holds the line; the other half's copy is stale. */
                near_keep(m, side_of(m, a->sm), slot, true);
            }
        }
        a->stall = write_wait > WRITE_QUEUE_CYCLES ? write_wait - WRITE_QUEUE_CYCLES : 0;
        return now + STORE_POST_CYCLES + a->stall;
    }
    if (a->atomic) {
        /* Resolved at L2: read (fetching a missing sector whole), modified there, left dirty; the operations on
         * one word, this warp's lanes and other warps' alike, take turns at its slice (atomic_serialize). */
        uint64_t arrive = now;
        for (uint32_t i = 0; i < lines; i++) {
            uint64_t slot;
            uint64_t t = l2_read_home(m, use[i].line, use[i].sectors, now, m->p.l2_latency, L2_LOOK, &slot);
            if (m->p.l2_partitions == 2 && slot == m->filled_slot)
                *gpu_cache_aux(&m->l2, slot) = 0; /* neither half holds a line filled for an atomic */
            mark_dirty(m, slot, use[i].sectors);
            if (t > arrive)
                arrive = t;
        }
        done = arrive;
        for (uint32_t mask = a->mask; mask != 0; mask &= mask - 1) {
            uint32_t lane = (uint32_t)__builtin_ctz(mask), count = 1;
            uint64_t word = a->address[lane] / a->bytes;
            bool first = true;
            for (uint32_t other = a->mask & ((1u << lane) - 1); other != 0 && first; other &= other - 1)
                first = a->address[__builtin_ctz(other)] / a->bytes != word;
            if (!first)
                continue; /* counted with the lowest lane on its word */
            for (uint32_t other = mask & (mask - 1); other != 0; other &= other - 1)
                count += a->address[__builtin_ctz(other)] / a->bytes == word;
            uint64_t end = atomic_serialize(m, word, count, arrive);
            if (end > done)
                done = end;
        }
        return done;
    }
    if (a->bypass_l1) {
        for (uint32_t i = 0; i < lines; i++) {
            uint64_t t = l2_read(m, a->sm, use[i].line, use[i].sectors, now);
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
            gpu_cache_fill(l1, slot, line);
            *gpu_cache_valid(l1, slot) = 0;
        }
        use_slot(m, l1, slot);
        uint32_t *ready = gpu_cache_ready(l1, slot);
        uint32_t valid = *gpu_cache_valid(l1, slot);
        uint32_t hits = use[i].sectors & valid, misses = use[i].sectors & ~valid;
        m->stats.l1_hits += (uint64_t)vdc_popcount32(hits);
        uint64_t t = now + m->p.l1_latency;
        for (uint32_t h = hits; h != 0; h &= h - 1) {
            uint64_t r = gpu_cache_ready_at(l1, ready, (uint32_t)__builtin_ctz(h));
            if (r > t)
                t = r;
        }
        if (misses != 0) {
            m->stats.l1_misses += (uint64_t)vdc_popcount32(misses);
            uint64_t back = l2_read(m, a->sm, line, misses, now);
            for (uint32_t s = misses; s != 0; s &= s - 1)
                gpu_cache_set_ready(l1, ready, (uint32_t)__builtin_ctz(s), back);
            *gpu_cache_valid(l1, slot) |= (uint8_t)misses;
            if (back > t)
                t = back;
        }
        if (t > done)
            done = t;
    }
    return done;
}
