/* The memory-timing state shared by gpu_memsys.c (global memory) and gpu_memsys_shared.c (bank conflicts). */
#ifndef VDC_DEVICES_HIGPU_GPU_MEMSYS_INTERNAL_H
#define VDC_DEVICES_HIGPU_GPU_MEMSYS_INTERNAL_H

#include "gpu/gpu_cache.h"
#include "gpu/gpu_memsys.h"

struct gpu_memsys {
    struct gpu_params p;
    uint32_t sector_shift, line_shift, sectors_per_line;
    uint64_t full_sector;                 /* the byte mask of a whole sector */
    struct gpu_cache *l1;                 /* one per SM */
    struct gpu_cache l2;
    uint64_t l2_busy, l2_rem;             /* L2 server: busy until this cycle, plus bytes into the next one */
    uint64_t dram_busy;                   /* HBM server: busy until this cycle, plus a fraction of the next */
    unsigned __int128 dram_rem, dram_units_per_cycle, dram_units_per_byte;
    struct gpu_memsys_stats stats;
};

#endif
