/* Allocation and invalidation of HiGPU's sectored tag arrays. */
#include "gpu_cache.h"

#include <stdlib.h>
#include <string.h>

#include "../../common/error.h"

void gpu_cache_init(struct gpu_cache *c, uint64_t lines, uint32_t ways, uint32_t sectors_per_line, bool hashed)
{
    memset(c, 0, sizeof *c);
    if (lines < ways)
        ways = (uint32_t)lines;
    c->ways = ways;
    c->sets = (uint32_t)(lines / ways);
    c->sectors_per_line = sectors_per_line;
    c->hashed = hashed;
    uint64_t slots = (uint64_t)c->sets * ways;
    c->tag = vdc_xcalloc(slots, sizeof *c->tag);
    c->stamp = vdc_xcalloc(slots, sizeof *c->stamp);
    c->valid = vdc_xcalloc(slots, 1);
    c->dirty = vdc_xcalloc(slots, 1);
    c->ready = vdc_xcalloc(slots * sectors_per_line, sizeof *c->ready);
}

void gpu_cache_free(struct gpu_cache *c)
{
    free(c->tag);
    free(c->stamp);
    free(c->valid);
    free(c->dirty);
    free(c->ready);
    memset(c, 0, sizeof *c);
}

void gpu_cache_invalidate(struct gpu_cache *c)
{
    uint64_t slots = (uint64_t)c->sets * c->ways;
    memset(c->tag, 0, slots * sizeof *c->tag);
    memset(c->valid, 0, slots);
    memset(c->dirty, 0, slots);
}
