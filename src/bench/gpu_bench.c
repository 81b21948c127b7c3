/* The GPU benchmark: runs a tiled GEMM, an FMA-bound kernel and a streaming copy on HiGPU with timing on and
 * reports thread instructions per wall-clock second; a digest of each kernel's results and cycles checks that
 * repeated rounds computed the same thing. */
#include "bench/gpu_bench.h"

#include <stdlib.h>
#include <string.h>

#include "common/wall_clock.h"
#include "gpu/gpu.h"
#include "scheduler/rng.h"

extern const char vdc_bench_gpu_gemm_ptx[], vdc_bench_gpu_fma_ptx[], vdc_bench_gpu_copy_ptx[];

struct bench_gpu {
    struct gpu *gpu;
    struct gpu_module *module;
};

static uint64_t digest_buffer(struct gpu *gpu, uint64_t address, uint64_t size, uint64_t digest)
{
    struct vdc_error err;
    uint64_t *data = vdc_xmalloc(size);
    if (gpu_memory_read(gpu_get_memory(gpu), address, data, size, "digest", &err))
        for (uint64_t i = 0; i < size / 8; i++)
            digest = vdc_mix64(digest ^ data[i]);
    free(data);
    return digest;
}

static bool launch(struct gpu *gpu, struct gpu_module *module, const char *kernel, struct gpu_dim grid,
                   struct gpu_dim block, const void *params, uint32_t params_bytes, struct gpu_bench_kernel *out,
                   struct vdc_error *err)
{
    struct gpu_launch l = {.kernel = kernel, .grid = grid, .block = block, .params = params,
                           .params_bytes = params_bytes};
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    double start = vdc_wall_seconds();
    if (!gpu_launch(gpu, module, &l, &s, &fault, err))
        return false;
    out->wall_seconds = vdc_wall_seconds() - start;
    if (fault.happened)
        return vdc_fail(err, "kernel %s faulted: %s", kernel, fault.what);
    out->name = kernel;
    out->thread_insns = s.thread_insns;
    out->warp_insns = s.warp_insns;
    out->cycles = s.cycles;
    out->digest = vdc_mix64(s.cycles);
    return true;
}

static bool alloc_filled(struct gpu *gpu, uint64_t floats, uint64_t seed, uint64_t *address, struct vdc_error *err)
{
    if (!gpu_memory_alloc(gpu_get_memory(gpu), floats * 4, address, err))
        return false;
    float *data = vdc_xmalloc(floats * 4);
    for (uint64_t i = 0; i < floats; i++)
        data[i] = (float)(vdc_mix64(seed + i) >> 40) / (float)(1 << 24) - 0.5f;
    bool ok = gpu_memory_write(gpu_get_memory(gpu), *address, data, floats * 4, "bench input", err);
    free(data);
    return ok;
}

bool vdc_bench_gpu_round(const char *preset, uint32_t gemm_n, struct gpu_bench_kernel out[GPU_BENCH_KERNELS],
                     struct vdc_error *err)
{
    struct gpu_params p;
    if (!gpu_params_preset(preset, &p, err))
        return false;
    struct gpu *gpu = gpu_create(&p, err);
    if (gpu == NULL)
        return false;
    struct gpu_module *gemm = NULL, *fma = NULL, *copy = NULL;
    bool ok = gpu_module_load(gpu, vdc_bench_gpu_gemm_ptx, strlen(vdc_bench_gpu_gemm_ptx), "gemm.ptx", &gemm, err) &&
              gpu_module_load(gpu, vdc_bench_gpu_fma_ptx, strlen(vdc_bench_gpu_fma_ptx), "fma_bound.ptx", &fma, err) &&
              gpu_module_load(gpu, vdc_bench_gpu_copy_ptx, strlen(vdc_bench_gpu_copy_ptx), "stream_copy.ptx", &copy, err);
    uint64_t a, b, c;
    uint64_t n = gemm_n;
    ok = ok && alloc_filled(gpu, n * n, 1, &a, err) && alloc_filled(gpu, n * n, 2, &b, err) &&
         alloc_filled(gpu, n * n, 3, &c, err);
    if (ok) {
        struct { uint64_t a, b, c; int32_t m, n, k; } __attribute__((packed)) args = {a, b, c, (int32_t)n,
                                                                                     (int32_t)n, (int32_t)n};
        uint32_t tiles = (uint32_t)((n + 15) / 16);
        ok = launch(gpu, gemm, "gemm_tiled", (struct gpu_dim){tiles, tiles, 1}, (struct gpu_dim){16, 16, 1}, &args,
                    36, &out[0], err);
        if (ok)
            out[0].digest = digest_buffer(gpu, c, n * n * 4, out[0].digest);
    }
    uint64_t fo;
    const uint32_t fma_blocks = 264, fma_threads = 256;
    ok = ok && gpu_memory_alloc(gpu_get_memory(gpu), (uint64_t)fma_blocks * fma_threads * 4, &fo, err);
    if (ok) {
        struct { uint64_t out; float a, b; int32_t iters; } __attribute__((packed)) args = {fo, 0.999f, 0.001f, 64};
        ok = launch(gpu, fma, "fma_bound", (struct gpu_dim){fma_blocks, 1, 1}, (struct gpu_dim){fma_threads, 1, 1},
                    &args, 20, &out[1], err);
        if (ok)
            out[1].digest = digest_buffer(gpu, fo, (uint64_t)fma_blocks * fma_threads * 4, out[1].digest);
    }
    uint64_t src, dst;
    const uint64_t copy_bytes = 64ull << 20;
    ok = ok && alloc_filled(gpu, copy_bytes / 4, 4, &src, err) &&
         gpu_memory_alloc(gpu_get_memory(gpu), copy_bytes, &dst, err);
    if (ok) {
        struct { uint64_t src, dst, n4; } args = {src, dst, copy_bytes / 16};
        ok = launch(gpu, copy, "stream_copy", (struct gpu_dim){p.sm_count * 8, 1, 1}, (struct gpu_dim){256, 1, 1},
                    &args, 24, &out[2], err);
        if (ok)
            out[2].digest = digest_buffer(gpu, dst, copy_bytes, out[2].digest);
    }
    gpu_module_unload(gpu, copy);
    gpu_module_unload(gpu, fma);
    gpu_module_unload(gpu, gemm);
    gpu_free(gpu);
    return ok;
}
