/* HiGPU's memory timing: coalescing into sectors, per-SM L1, the shared L2, HBM bandwidth and latency, and
 * shared-memory bank conflicts. It times accesses; the data itself lives in gpu_memory. */
#ifndef VDC_DEVICES_HIGPU_GPU_MEMSYS_H
#define VDC_DEVICES_HIGPU_GPU_MEMSYS_H

#include <stdbool.h>
#include <stdint.h>

#include "gpu/gpu_params.h"

/* One warp-wide global (or local, or generic resolving to global) access. Calls come in nondecreasing `now`. */
struct gpu_access {
    uint32_t sm;
    uint64_t now;          /* issue cycle */
    uint32_t mask;         /* lanes taking part */
    uint32_t bytes;        /* per lane: 1, 2, 4, 8 or 16 */
    bool store;
    bool atomic;           /* resolved at L2; the result returns like a load */
    bool bypass_l1;        /* .cg / .cv / volatile / atomics: not cached in L1 */
    bool evict_first;      /* .cs / .lu: the lines it brings in are the first its caches evict */
    const uint64_t *address; /* 32 byte addresses (only lanes in mask are read) */
    bool dense;            /* all 32 lanes, lane l at address[0] + l x bytes (what most accesses of a warp are);
                              the caller asks for its lookups first (gpu_memsys_prefetch) */
    uint64_t stall;        /* out: cycles the SM's memory pipe is held (stores behind a full write-back queue) */
};

struct gpu_memsys_stats {
    uint64_t requests;            /* warp-wide accesses */
    uint64_t sectors;             /* 32-byte sectors they touched after coalescing */
    uint64_t l1_hits, l1_misses;  /* sectors */
    uint64_t l2_hits, l2_misses;  /* sectors */
    uint64_t dram_read_bytes, dram_write_bytes;
    uint64_t dram_write_at_end_bytes; /* of dram_write_bytes: dirty in L2 when the kernel ended, written after it */
    uint64_t shared_wavefronts;   /* shared-memory passes, 1 per access without conflicts */
};

struct gpu_memsys;

struct gpu_memsys *gpu_memsys_create(const struct gpu_params *p);
void gpu_memsys_free(struct gpu_memsys *m);

/* A kernel starts: L1s are invalidated (as at a launch on the hardware); L2 keeps its contents. Stats restart. */
void gpu_memsys_kernel_start(struct gpu_memsys *m);

/* Times one access: returns the cycle its data is back (a load or atomic) or the store has left the SM, and sets
 * a->stall. */
uint64_t gpu_memsys_global(struct gpu_memsys *m, struct gpu_access *a);

/* Asks the host's caches for what gpu_memsys_global will look up for an access to [address, address + bytes): L2's
 * set records of its lines (tags, recency order, sector masks) and HBM's open row of its first. Called before the
 * access's data move, so that the two wait for the host together. Changes nothing simulated. */
void gpu_memsys_prefetch(const struct gpu_memsys *m, uint64_t address, uint64_t bytes);

/* Shared-memory wavefronts for one warp access (1 without bank conflicts; lanes reading the same word do not
 * conflict; 0 for an empty mask). `offsets` are byte offsets of the 32 lanes. 8-byte accesses are processed per
 * half-warp and 16-byte ones per quarter-warp, as the hardware does. Counted in the stats. */
uint32_t gpu_memsys_shared_wavefronts(struct gpu_memsys *m, const uint32_t *offsets, uint32_t mask, uint32_t bytes);

/* Writes dirty L2 lines back (counted as DRAM writes) at the end of a kernel, so stats cover what it wrote; the
 * write-back occupies HBM from `now` on, so the next kernel's misses wait for it. */
void gpu_memsys_kernel_end(struct gpu_memsys *m, uint64_t now);

const struct gpu_memsys_stats *gpu_memsys_stats(const struct gpu_memsys *m);

#endif
