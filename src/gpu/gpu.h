/* HiGPU's core: one simulated GPU (parameters, device memory, memory timing) that loads PTX modules and runs
 * kernel launches functionally and in cycles. The device (higpu.c) and `vdc ptx run` drive it. */
#ifndef VDC_DEVICES_HIGPU_GPU_H
#define VDC_DEVICES_HIGPU_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "gpu/gpu_memory.h"
#include "gpu/gpu_params.h"
#include "ptx/ptx_ir.h"

struct gpu_dim {
    uint32_t x, y, z;
};

struct gpu;
struct gpu_module;

struct gpu *gpu_create(const struct gpu_params *params, struct vdc_error *err);
/* A GPU whose memory is at place `place` of a shared address space (gpu_memory.h); gpu_create is place 0. Its
 * kernels' timing does not depend on the place. */
struct gpu *gpu_create_at(const struct gpu_params *params, uint32_t place, struct vdc_error *err);
void gpu_free(struct gpu *gpu);
const struct gpu_params *gpu_get_params(const struct gpu *gpu);
struct gpu_memory *gpu_get_memory(struct gpu *gpu);

/* Parses PTX text and places its .global/.const variables in device memory (with their initializers). */
bool gpu_module_load(struct gpu *gpu, const char *text, uint64_t length, const char *source_name,
                     struct gpu_module **out, struct vdc_error *err);
void gpu_module_unload(struct gpu *gpu, struct gpu_module *module);
const struct ptx_module *gpu_module_ptx(const struct gpu_module *module);
/* Device address of a module-scope .global/.const variable, for cudaMemcpyToSymbol-like use. */
bool gpu_module_symbol(const struct gpu_module *module, const char *name, uint64_t *address, uint64_t *size);

struct gpu_launch {
    const char *kernel;
    struct gpu_dim grid, block;
    uint32_t dynamic_shared_bytes;
    const void *params;          /* the parameter buffer, laid out as the kernel's .param list (ptx_param.offset) */
    uint32_t params_bytes;
};

/* A kernel's access outside device memory, a misaligned access, or a trap: the first one, which ends the launch. */
struct gpu_fault {
    bool happened;
    char kernel[64];
    struct gpu_dim block, thread;
    uint64_t address;
    uint32_t line;               /* PTX line of the instruction */
    char what[96];               /* "global load of 4 bytes outside device memory", ... */
};

struct gpu_launch_stats {
    uint64_t cycles;             /* from the launch's first block to its last warp's end */
    uint64_t duration_ps;        /* launch latency + cycles at the SM clock */
    uint64_t warp_insns, thread_insns;
    uint64_t dram_read_bytes, dram_write_bytes;
    uint64_t dram_write_at_end_bytes; /* of dram_write_bytes: still dirty in L2 at the end, written back after it */
    uint64_t l2_hits, l2_misses, l1_hits, l1_misses; /* sectors */
    uint32_t blocks_per_sm;
    const char *occupancy_limit;
    uint32_t registers_per_thread;
    uint64_t shared_bytes_per_block;
};

/* Runs one launch to completion. False with a message for a launch that cannot start (unknown kernel, bad
 * dimensions, parameter size, too much shared memory); true otherwise, with `fault->happened` set when the
 * kernel faulted (stats then cover what ran). */
bool gpu_launch(struct gpu *gpu, struct gpu_module *module, const struct gpu_launch *launch,
                struct gpu_launch_stats *stats, struct gpu_fault *fault, struct vdc_error *err);

/* What may end a launch before its last warp, as a device's gpu.kernel_timeout and gpu.hang_timeout do: its
 * length, and how long it may go without progress (gpu_run_progress_cycle), in GPU cycles (0: no limit). The launch
 * stops at the first cycle a limit is reached, whatever the steps it is run in; `progress`, when given, is called
 * between steps with the cycles run so far (for a progress line; it changes nothing simulated). */
struct gpu_launch_limits {
    uint64_t cycles, idle_cycles;
    void (*progress)(void *ctx, uint64_t cycles_run);
    void *ctx;
};
enum gpu_launch_end { GPU_LAUNCH_ENDED, GPU_LAUNCH_TIMED_OUT, GPU_LAUNCH_HUNG };
/* The line that says why kernel `kernel` was stopped after `cycles` (`end` not GPU_LAUNCH_ENDED), naming the setting
 * that set the limit (`limit_name`, such as gpu.hang_timeout or --timeout) and its value in picoseconds: the same
 * words from a device and from `vdc ptx run`. */
void gpu_describe_stop(char *buf, size_t size, const char *kernel, enum gpu_launch_end end, const char *limit_name,
                       uint64_t limit_ps, uint64_t cycles);
/* gpu_launch within `limits`; *end says whether a limit stopped it (stats then cover what ran). */
bool gpu_launch_within(struct gpu *gpu, struct gpu_module *module, const struct gpu_launch *launch,
                       const struct gpu_launch_limits *limits, struct gpu_launch_stats *stats, struct gpu_fault *fault,
                       enum gpu_launch_end *end, struct vdc_error *err);

/* The same launch in steps, for a device that interleaves it with the rest of a simulation: started (false with
 * the same messages as gpu_launch), advanced again and again to a later cycle of the GPU's clock, finished once
 * gpu_run_advance says it is over. Where the steps stop changes nothing in what is simulated. */
struct gpu_run;
bool gpu_run_start(struct gpu *gpu, struct gpu_module *module, const struct gpu_launch *launch, struct gpu_run **out,
                   struct vdc_error *err);
/* The GPU cycle at which the run's first blocks start (the GPU's clock continues from launch to launch). */
uint64_t gpu_run_first_cycle(const struct gpu_run *run);
/* Issues every warp instruction before cycle `until`; true once the launch is over (every warp ended, or a fault). */
bool gpu_run_advance(struct gpu_run *run, uint64_t until);
/* What reaches a running launch from outside its SMs (a peer GPU's write or read, a copy engine): a call the
 * launch makes when it reaches `cycle`, in cycle order among its warps' instructions (before those issued at the
 * same cycle) and in posting order among calls of one cycle. The call may read and write device memory. `cycle` is
 * never earlier than where the launch has got to (gpu_run_reached: the lookahead guarantees it). A launch that
 * ends first makes its remaining calls, in order, with GPU_CYCLE_NONE: the caller then does what it would have
 * done without a launch running. */
#define GPU_CYCLE_NONE UINT64_MAX
typedef void (*gpu_run_call)(void *ctx, uint64_t arg, uint64_t cycle);
void gpu_run_post(struct gpu_run *run, uint64_t cycle, gpu_run_call fn, void *ctx, uint64_t arg);
/* A peer store of the launch (its `token`) has landed: called from a call posted at that cycle. A warp at a
 * system-scope fence (membar.sys, fence.*.sys) goes on once all of its peer stores have; a token of an earlier
 * launch changes nothing. */
void gpu_run_peer_landed(struct gpu_run *run, uint64_t token, uint64_t cycle);
/* The reply to a peer load or atomic of the launch (its `token`) has landed: called from a call posted at that
 * cycle with the bytes read at `address` (a load) or the old value (an atomic). The register it fills is ready
 * from that cycle on; a token of an earlier launch changes nothing. */
void gpu_run_peer_reply(struct gpu_run *run, uint64_t token, uint64_t address, const void *data, uint32_t bytes,
                        uint64_t cycle);
/* The first cycle the launch has not yet run (every warp instruction before it has issued). */
uint64_t gpu_run_reached(const struct gpu_run *run);
/* The last cycle at which the launch changed memory or ended a warp (its first cycle before it has): what tells a
 * kernel that waits from one that works. */
uint64_t gpu_run_progress_cycle(const struct gpu_run *run);
/* Stats and fault of a run that is over; frees it. */
void gpu_run_finish(struct gpu_run *run, struct gpu_launch_stats *stats, struct gpu_fault *fault);
/* Ends a run before its last warp (a device's timeout): it is over at the cycle it has reached, and is then finished
 * as any other. */
void gpu_run_stop(struct gpu_run *run);
/* Frees a run that will not be finished (its simulation ended first). */
void gpu_run_discard(struct gpu_run *run);

/* An atomic operation a kernel sends to a peer, applied there (gpu_apply_peer_atomic). */
struct gpu_peer_atomic {
    uint8_t mode;                /* enum ptx_mode: add, min, exch, cas... */
    uint8_t type;                /* enum ptx_type of the operation */
    uint8_t bytes;               /* 4 or 8 */
    bool reply;                  /* atom (the old value comes back) rather than red */
    uint64_t b, c;               /* operands (c: cas's new value) */
};
/* Applies `op` to the GPU's memory at `address` (a peer's request landing there); false with a message when the
 * address is not in its memory. */
bool gpu_apply_peer_atomic(struct gpu *gpu, uint64_t address, const struct gpu_peer_atomic *op, uint64_t *old,
                           struct vdc_error *err);

/* How a GPU's kernels reach the memory of the GPUs at other places (its peers), installed by whoever carries the
 * traffic (HiGPU's HiLink port). */
struct gpu_peer_ops {
    void *ctx;
    /* Whether [address, address + bytes) is device memory of the GPU at `place` (a kernel's access is checked
     * when it issues, so that a bad one faults there, naming its thread). */
    bool (*valid)(void *ctx, uint32_t place, uint64_t address, uint64_t bytes);
    /* A store of `bytes` (1 to 256, contiguous) issued at `cycle` of the running launch: a posted write. When it
     * has landed, the owner tells the launch (gpu_run_peer_landed with `token`), so that a system-scope fence of
     * the warp can end. */
    void (*store)(void *ctx, uint32_t place, uint64_t address, const void *data, uint32_t bytes, uint64_t cycle,
                  uint64_t token);
    /* A load of `bytes` (1 to 256, contiguous) issued at `cycle`: the owner hands the launch the bytes when the reply
     * lands (gpu_run_peer_reply with `token`). */
    void (*load)(void *ctx, uint32_t place, uint64_t address, uint32_t bytes, uint64_t cycle, uint64_t token);
    /* One lane's atomic operation issued at `cycle`: an atom's reply brings the old value back (gpu_run_peer_reply);
     * a red (op->reply false) is posted, and its landing is told as a store's (gpu_run_peer_landed). */
    void (*atomic)(void *ctx, uint32_t place, uint64_t address, const struct gpu_peer_atomic *op, uint64_t cycle,
                   uint64_t token);
};
void gpu_set_peer_ops(struct gpu *gpu, const struct gpu_peer_ops *ops);
/* Lets (or stops) the GPU's kernels reach place `place` (cudaDeviceEnablePeerAccess). */
void gpu_allow_peer(struct gpu *gpu, uint32_t place, bool allowed);
/* Its own place (gpu_create_at). */
uint32_t gpu_place(const struct gpu *gpu);

/* Totals since creation, for a status program (nvidia-smi-like) and reports. */
struct gpu_totals {
    uint64_t launches, busy_cycles, warp_insns, thread_insns, dram_read_bytes, dram_write_bytes;
};
void gpu_get_totals(const struct gpu *gpu, struct gpu_totals *out);

#endif
