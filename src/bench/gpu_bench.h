/* The GPU benchmark: HiGPU's simulation speed (thread instructions per wall second, timing on) on three kernels,
 * on one GPU or several at once. */
#ifndef VDC_BENCH_GPU_BENCH_H
#define VDC_BENCH_GPU_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct gpu_bench_kernel {
    const char *name;
    uint64_t thread_insns, warp_insns, cycles, digest;
    double wall_seconds;
};

#define GPU_BENCH_KERNELS 3
#define GPU_BENCH_MAX_GPUS 8

/* One round on preset `preset`: a tiled GEMM (n x n x n), an FMA-bound kernel and a streaming copy, each on `gpus`
 * GPUs at once (1 to GPU_BENCH_MAX_GPUS; thread instructions summed over them, cycles of the first). */
bool vdc_bench_gpu_round(const char *preset, uint32_t gemm_n, uint32_t gpus,
                         struct gpu_bench_kernel out[GPU_BENCH_KERNELS], struct vdc_error *err);

#endif
