/* HiGPU's timing parameters: the presets (h100, h200), one key table for scenarios and --set, and occupancy. */
#ifndef VDC_DEVICES_HIGPU_GPU_PARAMS_H
#define VDC_DEVICES_HIGPU_GPU_PARAMS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

/* What a warp instruction occupies and how long its result takes, by class. */
enum gpu_insn_class {
    GPU_CLASS_INT,        /* integer add/logic/shift/compare/select/move */
    GPU_CLASS_INT_MUL,    /* integer multiply and multiply-add */
    GPU_CLASS_FP32,       /* f32 add/mul/fma/min/max/compare */
    GPU_CLASS_FP64,       /* f64 arithmetic */
    GPU_CLASS_SFU,        /* rcp, sqrt, rsqrt, ex2, lg2, sin, cos, tanh; divisions */
    GPU_CLASS_CONVERT,    /* cvt between float and integer or float widths */
    GPU_CLASS_BRANCH,     /* bra, ret, exit */
    GPU_CLASS_BARRIER,    /* bar.sync once every warp has arrived; membar/fence */
    GPU_CLASS_WARP,       /* shfl, vote, activemask, redux */
    GPU_CLASS_SHARED,     /* ld/st shared, per conflict-free wavefront */
    GPU_CLASS_GLOBAL,     /* issue cost of ld/st global, local and generic (latency from the memory system) */
    GPU_CLASS_CONST,      /* ld.const and ld.param, per distinct address */
    GPU_CLASS_ATOMIC,     /* atom/red (latency from the memory system for global; shared: per serialized lane) */
    GPU_CLASS_COUNT
};
const char *gpu_insn_class_name(enum gpu_insn_class c);

struct gpu_params {
    char preset[16];
    uint64_t clock_hz;                   /* SM clock */
    uint64_t memory_bytes;               /* device memory (HBM) capacity */
    uint32_t sm_count;
    uint32_t schedulers_per_sm;          /* each issues at most one warp instruction per cycle */
    uint32_t max_warps_per_sm, max_threads_per_sm, max_blocks_per_sm, max_threads_per_block;
    uint32_t registers_per_sm;           /* 32-bit registers */
    uint32_t register_alloc_unit;        /* registers, allocated per warp in units of this */
    uint32_t max_registers_per_thread;
    uint32_t shared_per_sm;              /* bytes usable as shared memory per SM */
    uint32_t shared_per_block;           /* most a block may have (static + dynamic) */
    uint32_t shared_alloc_unit;          /* bytes */
    uint32_t shared_reserved_per_block;  /* bytes the hardware reserves per resident block */
    uint32_t shared_banks;               /* 4-byte banks */
    uint64_t l1_bytes;                   /* L1 data cache per SM: what the shared-memory carve-out leaves of the
                                          * unified array (the presets: a kernel with no shared memory, all of it) */
    uint64_t l2_bytes;
    uint32_t line_bytes, sector_bytes;   /* cache line and sector (coalescing unit) */
    uint32_t l1_latency, l2_latency;     /* cycles from issue to data on a hit (L2: in the near partition) */
    uint32_t l2_partitions;              /* 1, or 2: each half of the SMs reads through its own half of L2 */
    uint32_t l2_far_latency;             /* cycles from issue to data on a hit in the far partition */
    uint32_t dram_latency;               /* cycles a miss adds beyond the L2 latency when its DRAM row is closed */
    uint32_t dram_row_hit_latency;       /* the same when the row is already open in its bank */
    uint32_t dram_page_bytes;            /* a DRAM row's span of addresses */
    uint32_t dram_banks;                 /* banks (all channels), each with one open row */
    uint64_t dram_bytes_per_second;      /* HBM bandwidth, nominal */
    uint32_t dram_efficiency_permille;   /* share of it a read stream sustains (refresh, turnarounds, row misses) */
    uint32_t dram_write_efficiency_permille; /* the same for a write stream */
    uint32_t atomic_cycles;              /* L2 cycles one atomic operation holds its address */
    uint32_t l2_bytes_per_cycle;         /* L2 bandwidth (all slices) */
    uint32_t block_launch_cycles;        /* cycles to start a block on an SM */
    uint64_t launch_latency_ps;          /* from a launch command to the first block, picoseconds */
    uint32_t latency[GPU_CLASS_COUNT];   /* cycles from issue until a dependent instruction may issue */
    uint32_t issue[GPU_CLASS_COUNT];     /* cycles the scheduler's pipe for the class is busy per warp instruction */
};

/* Fills `p` with preset `name` ("h100" or "h200"); false with a message listing the presets otherwise. */
bool gpu_params_preset(const char *name, struct gpu_params *p, struct vdc_error *err);

/* Sets one parameter by its key (as scenarios name it, without the "gpu." prefix: "sm_count", "clock",
 * "l2_latency", "latency.fp32", ...) from text with units where the key has them ("1.98GHz", "50MiB",
 * "4.8TB/s", "3us"). One table serves scenarios, `vdc ptx run --set` and the docs. */
bool gpu_params_set(struct gpu_params *p, const char *key, const char *value, struct vdc_error *err);

/* Whether `key` = `value` would be accepted by gpu_params_set (on any preset). */
bool gpu_params_check(const char *key, const char *value, struct vdc_error *err);

/* Checks cross-parameter rules (nonzero counts, powers of two where needed, shared_per_block <= shared_per_sm...). */
bool gpu_params_validate(const struct gpu_params *p, struct vdc_error *err);

/* Writes the key table (key, unit, h100 default, h200 default, meaning) as a Markdown table, for docs. */
void gpu_params_print_keys(FILE *out);

/* Resident blocks per SM for a kernel, and which limit binds. */
struct gpu_occupancy {
    uint32_t blocks_per_sm;              /* 0: the block does not fit at all */
    uint32_t warps_per_block;
    const char *limited_by;              /* "threads", "blocks", "warps", "registers" or "shared memory" */
};
void gpu_occupancy_compute(const struct gpu_params *p, uint32_t threads_per_block, uint32_t registers_per_thread,
                           uint32_t shared_bytes_per_block, struct gpu_occupancy *out);

/* `cycles` of the SM clock in picoseconds (rounded down), and the fewest cycles that last at least `ps`. */
uint64_t gpu_cycles_to_ps(const struct gpu_params *p, uint64_t cycles);
uint64_t gpu_cycles_covering(const struct gpu_params *p, uint64_t ps);

#endif
