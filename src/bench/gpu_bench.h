/* The GPU benchmark: HiGPU's simulation speed (thread instructions per wall second, timing on) on three kernels. */
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

/* One round on preset `preset`: a tiled GEMM (n x n x n), an FMA-bound kernel and a streaming copy. */
bool vdc_bench_gpu_round(const char *preset, uint32_t gemm_n, struct gpu_bench_kernel out[GPU_BENCH_KERNELS],
                     struct vdc_error *err);

#endif
