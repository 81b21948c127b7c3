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
    /* With two partitions, each L2 slot's aux word holds, per half of the SMs, that half's partition clock when the
     * half last used the line (0: no copy). The half's partition holds the line while fewer than `partition_lines`
     * other lines have been used by the half since: half of L2, kept by recency as an LRU partition would be. */
    uint32_t near_clock[2];
    uint32_t partition_lines;
    uint64_t filled_slot;                 /* the slot l2_slot filled in its last call, else UINT64_MAX: its aux
                                           * word is stale, for the caller to stamp */
    uint64_t l2_busy, l2_rem;             /* L2 server: busy until this cycle, plus bytes into the next one */
    uint64_t dram_busy;                   /* HBM server: busy until this cycle, plus a fraction of the next */
    unsigned __int128 dram_rem, dram_units_per_cycle, dram_units_per_read_byte, dram_units_per_write_byte;
    uint64_t *open_row;                   /* per DRAM bank: the row open in it, + 1 (0: none) */
    uint32_t page_shift;
    /* Atomic operations in flight at L2, by word: direct-mapped, a newer word taking an older one's slot. */
    struct gpu_atomic_slot {
        uint64_t word;                    /* address + 1 (0: empty) */
        uint64_t busy;                    /* the cycle the word's last operation ends */
    } *atomic_slots;
    /* The L2 slots made dirty since the last kernel's end (a slot may be listed twice, or be clean again by then):
     * the write-back at a kernel's end visits these rather than every slot. */
    uint64_t *dirtied;
    size_t dirtied_count, dirtied_capacity;
    bool evict_first;                     /* of the access being timed (gpu_access.evict_first) */
    struct gpu_memsys_stats stats;
};

#endif
