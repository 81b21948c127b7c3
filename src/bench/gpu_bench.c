/* The GPU benchmark: runs a tiled GEMM, an FMA-bound kernel and a streaming copy on HiGPU with timing on, on one GPU
 * or on several at once (advanced window by window in turn, as GPUs on one HiLink fabric are), and reports thread
 * instructions per wall-clock second; a digest of each kernel's results and cycles checks that repeated rounds
 * computed the same thing. */
#include "bench/gpu_bench.h"

#include <stdlib.h>
#include <string.h>

#include "common/wall_clock.h"
#include "gpu/gpu.h"
#include "scheduler/rng.h"

extern const char vdc_bench_gpu_gemm_ptx[], vdc_bench_gpu_fma_ptx[], vdc_bench_gpu_copy_ptx[];

struct bench_gpu {
    struct gpu *gpu;
    struct gpu_module *modules[GPU_BENCH_KERNELS]; /* gemm, fma, copy */
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

/* Cycles a window of the lockstep spans when several GPUs run at once: 150 ns at 1.98 GHz, the default window
 * of GPUs on HiLink. */
#define LOCKSTEP_CYCLES 297

/* One kernel on every GPU at once, as GPUs on one fabric run in virtual time: each advanced by a window in turn
 * until all are over. `params[g]` is GPU g's parameter buffer. */
static bool launch_all(struct bench_gpu *g, uint32_t count, int which, const char *kernel, struct gpu_dim grid,
                       struct gpu_dim block, const void *const *params, uint32_t params_bytes,
                       struct gpu_bench_kernel *out, struct vdc_error *err)
{
    struct gpu_run *runs[GPU_BENCH_MAX_GPUS];
    double start = vdc_wall_seconds();
    for (uint32_t i = 0; i < count; i++) {
        struct gpu_launch l = {.kernel = kernel, .grid = grid, .block = block, .params = params[i],
                               .params_bytes = params_bytes};
        if (!gpu_run_start(g[i].gpu, g[i].modules[which], &l, &runs[i], err)) {
            while (i-- > 0)
                gpu_run_discard(runs[i]);
            return false;
        }
    }
    uint32_t left = count;
    bool over[GPU_BENCH_MAX_GPUS] = {false};
    for (uint64_t until = gpu_run_first_cycle(runs[0]) + LOCKSTEP_CYCLES; left > 0; until += LOCKSTEP_CYCLES)
        for (uint32_t i = 0; i < count; i++)
            if (!over[i] && gpu_run_advance(runs[i], count == 1 ? UINT64_MAX : until)) {
                over[i] = true;
                left--;
            }
    *out = (struct gpu_bench_kernel){.name = kernel};
    bool ok = true;
    for (uint32_t i = 0; i < count; i++) {
        struct gpu_launch_stats s;
        struct gpu_fault fault;
        gpu_run_finish(runs[i], &s, &fault);
        if (fault.happened && ok)
            ok = vdc_fail(err, "kernel %s faulted on GPU %u: %s", kernel, i, fault.what);
        out->thread_insns += s.thread_insns;
        out->warp_insns += s.warp_insns;
        if (i == 0)
            out->cycles = s.cycles;
        out->digest = vdc_mix64(out->digest ^ s.cycles);
    }
    out->wall_seconds = vdc_wall_seconds() - start;
    return ok;
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

static bool open_gpu(const struct gpu_params *p, uint32_t place, struct bench_gpu *g, struct vdc_error *err)
{
    g->gpu = gpu_create_at(p, place, err);
    if (g->gpu == NULL)
        return false;
    return gpu_module_load(g->gpu, vdc_bench_gpu_gemm_ptx, strlen(vdc_bench_gpu_gemm_ptx), "gemm.ptx", &g->modules[0],
                           err) &&
           gpu_module_load(g->gpu, vdc_bench_gpu_fma_ptx, strlen(vdc_bench_gpu_fma_ptx), "fma_bound.ptx",
                           &g->modules[1], err) &&
           gpu_module_load(g->gpu, vdc_bench_gpu_copy_ptx, strlen(vdc_bench_gpu_copy_ptx), "stream_copy.ptx",
                           &g->modules[2], err);
}

static void close_gpu(struct bench_gpu *g)
{
    for (int m = GPU_BENCH_KERNELS; m-- > 0;)
        if (g->modules[m] != NULL)
            gpu_module_unload(g->gpu, g->modules[m]);
    gpu_free(g->gpu);
}

/* The results of every GPU's kernel `which` folded into its digest. */
static void digest_results(struct bench_gpu *g, uint32_t count, uint64_t address_on_0, uint64_t size,
                           struct gpu_bench_kernel *out)
{
    for (uint32_t i = 0; i < count; i++)
        out->digest = digest_buffer(g[i].gpu, address_on_0 + (uint64_t)i * GPU_PLACE_BYTES, size, out->digest);
}

bool vdc_bench_gpu_round(const char *preset, uint32_t gemm_n, uint32_t gpus,
                         struct gpu_bench_kernel out[GPU_BENCH_KERNELS], struct vdc_error *err)
{
    struct gpu_params p;
    if (!gpu_params_preset(preset, &p, err))
        return false;
    if (gpus < 1 || gpus > GPU_BENCH_MAX_GPUS)
        return vdc_fail(err, "%u GPUs: give 1 to %u", gpus, GPU_BENCH_MAX_GPUS);
    struct bench_gpu g[GPU_BENCH_MAX_GPUS];
    memset(g, 0, sizeof g);
    bool ok = true;
    uint32_t opened = 0;
    for (; ok && opened < gpus; opened++)
        ok = open_gpu(&p, opened, &g[opened], err);
    /* Every GPU's buffers lie at the same offsets in its own memory (its place), so GPU i's parameters are GPU 0's
     * moved by i places. */
    uint64_t n = gemm_n, a = 0, b = 0, c = 0, fo = 0, src = 0, dst = 0;
    const uint32_t fma_blocks = 264, fma_threads = 256;
    const uint64_t copy_bytes = 64ull << 20;
    /* The copy's destination is written before the timing starts, like its source: a fresh allocation's pages are
     * given by the host at their first touch, and clearing 64 MiB of them is the host's work, not the executor's. */
    for (uint32_t i = 0; ok && i < gpus; i++) {
        uint64_t ai, bi, ci, foi, srci, dsti;
        ok = alloc_filled(g[i].gpu, n * n, 1, &ai, err) && alloc_filled(g[i].gpu, n * n, 2, &bi, err) &&
             alloc_filled(g[i].gpu, n * n, 3, &ci, err) &&
             gpu_memory_alloc(gpu_get_memory(g[i].gpu), (uint64_t)fma_blocks * fma_threads * 4, &foi, err) &&
             alloc_filled(g[i].gpu, copy_bytes / 4, 4, &srci, err) &&
             alloc_filled(g[i].gpu, copy_bytes / 4, 5, &dsti, err);
        if (i == 0)
            a = ai, b = bi, c = ci, fo = foi, src = srci, dst = dsti;
    }
    uint64_t shift[GPU_BENCH_MAX_GPUS];
    for (uint32_t i = 0; i < gpus; i++)
        shift[i] = (uint64_t)i * GPU_PLACE_BYTES;
    const void *params[GPU_BENCH_MAX_GPUS];
    if (ok) {
        struct gemm_args { uint64_t a, b, c; int32_t m, n, k; } __attribute__((packed)) args[GPU_BENCH_MAX_GPUS];
        for (uint32_t i = 0; i < gpus; i++) {
            args[i] = (struct gemm_args){a + shift[i], b + shift[i], c + shift[i], (int32_t)n, (int32_t)n, (int32_t)n};
            params[i] = &args[i];
        }
        uint32_t tiles = (uint32_t)((n + 15) / 16);
        ok = launch_all(g, gpus, 0, "gemm_tiled", (struct gpu_dim){tiles, tiles, 1}, (struct gpu_dim){16, 16, 1},
                        params, 36, &out[0], err);
        if (ok)
            digest_results(g, gpus, c, n * n * 4, &out[0]);
    }
    if (ok) {
        struct fma_args { uint64_t out; float a, b; int32_t iters; } __attribute__((packed)) args[GPU_BENCH_MAX_GPUS];
        for (uint32_t i = 0; i < gpus; i++) {
            args[i] = (struct fma_args){fo + shift[i], 0.999f, 0.001f, 64};
            params[i] = &args[i];
        }
        ok = launch_all(g, gpus, 1, "fma_bound", (struct gpu_dim){fma_blocks, 1, 1},
                        (struct gpu_dim){fma_threads, 1, 1}, params, 20, &out[1], err);
        if (ok)
            digest_results(g, gpus, fo, (uint64_t)fma_blocks * fma_threads * 4, &out[1]);
    }
    if (ok) {
        struct copy_args { uint64_t src, dst, n4; } args[GPU_BENCH_MAX_GPUS];
        for (uint32_t i = 0; i < gpus; i++) {
            args[i] = (struct copy_args){src + shift[i], dst + shift[i], copy_bytes / 16};
            params[i] = &args[i];
        }
        ok = launch_all(g, gpus, 2, "stream_copy", (struct gpu_dim){p.sm_count * 8, 1, 1}, (struct gpu_dim){256, 1, 1},
                        params, 24, &out[2], err);
        if (ok)
            digest_results(g, gpus, dst, copy_bytes, &out[2]);
    }
    for (uint32_t i = 0; i < opened; i++)
        close_gpu(&g[i]);
    return ok;
}
