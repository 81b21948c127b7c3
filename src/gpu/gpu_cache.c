/* Allocation and invalidation of HiGPU's sectored tag arrays. */
#include "gpu/gpu_cache.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static size_t records_bytes(const struct gpu_cache *c)
{
    return (size_t)c->sets * c->ways * c->record_words * sizeof *c->records;
}

void gpu_cache_init(struct gpu_cache *c, uint64_t lines, uint32_t ways, uint32_t sectors_per_line, bool hashed,
                    bool aux)
{
    memset(c, 0, sizeof *c);
    /* The recency order holds 16 ways of 4 bits, and a slot's way is its low bits. */
    assert(ways >= 1 && ways <= 16 && (ways & (ways - 1)) == 0);
    while (ways > 1 && ways > lines)
        ways /= 2;
    c->ways = ways;
    while ((1u << c->way_shift) < ways)
        c->way_shift++;
    c->sets = (uint32_t)(lines / ways);
    c->sectors_per_line = sectors_per_line;
    c->hashed = hashed;
    /* Runs of up to GPU_CACHE_RUN_LINES lines, fewer when the sets do not divide into such runs. */
    while (hashed && (1u << (c->run_shift + 1)) <= GPU_CACHE_RUN_LINES && c->sets % (2u << c->run_shift) == 0)
        c->run_shift++;
    /* a tag (8 bytes), valid and dirty (1 each) per way, and the recency words, rounded up to host cache lines */
    c->set_bytes = ((size_t)10 * ways + sizeof(struct gpu_cache_lru) + 63) / 64 * 64;
    /* Large for an L2 (tens of MiB, a run of sets here and one there): on huge pages where the host gives them. */
    c->sets_mem = vdc_xcalloc_huge(c->set_bytes * c->sets);
    c->aux_words = aux ? 2 : 0;
    c->record_words = 1;
    while (c->record_words < c->aux_words + sectors_per_line)
        c->record_words *= 2;
    c->records = vdc_xcalloc_huge(records_bytes(c));
}

void gpu_cache_free(struct gpu_cache *c)
{
    vdc_free_huge(c->sets_mem, c->set_bytes * c->sets);
    vdc_free_huge(c->records, records_bytes(c));
    memset(c, 0, sizeof *c);
}

void gpu_cache_invalidate(struct gpu_cache *c)
{
    /* Tags and masks go; the recency order may stay, as empty slots are taken first. An L1 no block ran on since
     * the last kernel holds nothing, and its pages stay untouched. */
    if (!c->holds_lines)
        return;
    c->holds_lines = false;
    for (uint32_t s = 0; s < c->sets; s++) {
        uint64_t slot = (uint64_t)s << c->way_shift;
        memset(gpu_cache_tag(c, slot), 0, (size_t)c->ways * 8);
        gpu_cache_lru(c, slot)->held = 0;
        memset(gpu_cache_valid(c, slot), 0, (size_t)c->ways * 2);
    }
}

void gpu_cache_rebase(struct gpu_cache *c, uint64_t cycle)
{
    /* The new epoch 2^31 cycles before `cycle`: accesses come in about the order of their cycles, so none is due
     * that long before one already made, and a ready cycle before the new epoch, clamped to it, still reads as
     * past for every access to come. A walk of every record, about once a second of the GPU's time. */
    uint64_t epoch = cycle - (UINT64_C(1) << 31), shift = epoch - c->epoch;
    size_t slots = (size_t)c->sets * c->ways;
    for (size_t slot = 0; slot < slots; slot++) {
        uint32_t *ready = gpu_cache_ready(c, slot);
        for (uint32_t s = 0; s < c->sectors_per_line; s++)
            ready[s] = ready[s] > shift ? (uint32_t)(ready[s] - shift) : 0;
    }
    c->epoch = epoch;
}
