/* The GPU microbenchmark suite (gpu_micro.h): builds each kernel's input, runs it on the GPU model with timing on,
 * and turns its cycles into a latency, a bandwidth or a rate per clock. */
#include "bench/gpu_micro.h"

#include <stdlib.h>
#include <string.h>

#include "gpu/gpu.h"
#include "scheduler/rng.h"

extern const char vdc_bench_gpu_micro_ptx[];

/* The figures the suite is held to, by metric; see docs/validation.md for each source and why it was chosen. */
struct published {
    const char *metric, *unit;
    double h100, h200;        /* 0: not published for that GPU */
    double tolerance;
    const char *source, *h200_source; /* h200_source NULL: the same source */
};

static const struct published published[] = {
    {"L1 hit latency", "cycles", 38.0, 38.0, 0.10, "MT4G, H100 SXM", NULL},
    {"shared-memory latency", "cycles", 29.88, 29.88, 0.10, "MT4G, H100 SXM", NULL},
    {"L2 hit latency, 4 MiB", "cycles", 219.35, 219.35, 0.10, "MT4G, H100 SXM", NULL},
    {"L2 hit latency, 16 MiB", "cycles", 219.35, 219.35, 0.10, "MT4G, H100 SXM", NULL},
    {"L2 latency, 40 MiB (far partition)", "cycles", 505, 505, 0.10, "gpu-benches gpu-latency, GH200", NULL},
    {"HBM latency, random 256 MiB", "cycles", 834.5, 834.5, 0.10, "MT4G, H100 SXM", NULL},
    {"HBM latency, sequential 256 MiB (64 B steps)", "cycles", 685, 685, 0.10, "gpu-benches gpu-latency, GH200",
     NULL},
    {"HBM copy bandwidth", "TB/s", 0, 3.165, 0.10, "", "gpu-benches gpu-stream scale, H200"},
    {"HBM read bandwidth", "TB/s", 2.750, 2.756, 0.10, "MT4G, H100 SXM", "gpu-benches gpu-stream read, H200"},
    {"HBM write bandwidth", "TB/s", 3.013, 3.884, 0.10, "MT4G, H100 SXM", "gpu-benches gpu-stream init, H200"},
    {"L2 read bandwidth (.cg)", "TB/s", 9.8, 9.8, 0.10, "gpu-benches gpu-l2-cache, H200", NULL},
    {"shared-memory bandwidth", "B/clk/SM", 128, 128, 0.10, "32 banks x 4 B a clock", NULL},
    {"FP32 FMA throughput", "FMA/clk/SM", 128, 128, 0.10, "4 x 32 FP32 lanes a clock", NULL},
    {"FP32 FMA latency", "cycles", 0, 0, 0.10, "", NULL},
    {"global atomics, one address", "atomics/clk", 0, 0, 0.10, "", NULL},
    {"global atomics, 8 addresses", "atomics/clk", 0, 0, 0.10, "", NULL},
    {"global atomics, distinct addresses", "atomics/clk", 0, 0, 0.10, "", NULL},
    {"shared atomics, one address per block", "atomics/clk/SM", 0, 0, 0.10, "", NULL},
    {"shared atomics, distinct addresses", "atomics/clk/SM", 0, 0, 0.10, "", NULL},
};

#define PUBLISHED_COUNT (sizeof published / sizeof published[0])

/* A kernel's parameter buffer, each value at its natural alignment as the PTX .param list lays it out. */
struct params {
    uint8_t bytes[64];
    uint32_t used;
};

static void put(struct params *p, const void *value, uint32_t size)
{
    p->used = (p->used + size - 1) & ~(size - 1);
    memcpy(p->bytes + p->used, value, size);
    p->used += size;
}

static void put_u64(struct params *p, uint64_t v) { put(p, &v, 8); }
static void put_u32(struct params *p, uint32_t v) { put(p, &v, 4); }
static void put_f32(struct params *p, float v) { put(p, &v, 4); }

struct suite {
    struct gpu *gpu;
    struct gpu_module *module;
    const struct gpu_params *p;
    uint64_t out;               /* 64 bytes for a kernel's timed cycles and its anchor value */
    uint64_t sink;              /* per-thread results of the bandwidth kernels */
    struct vdc_rng rng;
};

static bool run(struct suite *s, const char *kernel, uint32_t grid, uint32_t block, uint32_t shared,
                const struct params *params, struct gpu_launch_stats *stats, struct vdc_error *err)
{
    struct gpu_launch l = {.kernel = kernel, .grid = {grid, 1, 1}, .block = {block, 1, 1},
                           .dynamic_shared_bytes = shared, .params = params->bytes, .params_bytes = params->used};
    struct gpu_fault fault;
    if (!gpu_launch(s->gpu, s->module, &l, stats, &fault, err))
        return false;
    if (fault.happened)
        return vdc_fail(err, "microbenchmark %s faulted at PTX line %u, address 0x%llx: %s", kernel, fault.line,
                        (unsigned long long)fault.address, fault.what);
    return true;
}

/* Runs a timed kernel as one block of `block` threads and gives the cycles it wrote to out[0] per step. */
static bool per_step(struct suite *s, const char *kernel, uint32_t block, uint32_t shared, const struct params *p,
                     uint32_t steps, double *cycles_per_step, struct vdc_error *err)
{
    struct gpu_launch_stats stats;
    uint64_t cycles = 0;
    if (!run(s, kernel, 1, block, shared, p, &stats, err) ||
        !gpu_memory_read(gpu_get_memory(s->gpu), s->out, &cycles, 8, "microbenchmark result", err))
        return false;
    *cycles_per_step = (double)cycles / steps;
    return true;
}

/* Writes a chain of `links` 64-bit addresses into [base, base + footprint): link i sits at slot order[i] (slots
 * `stride` bytes apart) and holds the address of slot order[i + 1], the last the first's. */
static bool write_chain(struct suite *s, uint64_t base, uint64_t footprint, uint64_t stride, const uint32_t *order,
                        uint32_t links, struct vdc_error *err)
{
    (void)footprint;
    for (uint32_t i = 0; i < links; i++) {
        uint64_t next = base + (uint64_t)order[(i + 1) % links] * stride;
        if (!gpu_memory_write(gpu_get_memory(s->gpu), base + (uint64_t)order[i] * stride, &next, 8, "chain", err))
            return false;
    }
    return true;
}

/* `links` distinct slots of `slots`, in random order (a partial Fisher-Yates shuffle). */
static uint32_t *random_slots(struct suite *s, uint32_t slots, uint32_t links)
{
    uint32_t *all = vdc_xmalloc((size_t)slots * sizeof *all);
    for (uint32_t i = 0; i < slots; i++)
        all[i] = i;
    for (uint32_t i = 0; i < links; i++) {
        uint32_t j = i + (uint32_t)(vdc_rng_next(&s->rng) % (slots - i));
        uint32_t t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    return all;
}

/* Cycles per link of a chase through `footprint` bytes with the kernel `kernel` (chase_ca or chase_cg): `links`
 * slots `stride` apart, in random order or in address order, after `warm` links. */
static bool chase(struct suite *s, const char *kernel, uint64_t footprint, uint64_t stride, bool random, uint32_t warm,
                  uint32_t steps, double *latency, struct vdc_error *err)
{
    uint64_t base;
    if (!gpu_memory_alloc(gpu_get_memory(s->gpu), footprint, &base, err))
        return false;
    uint32_t slots = (uint32_t)(footprint / stride);
    uint32_t links = warm > steps ? warm : steps;
    if (links > slots)
        links = slots;
    if (warm > links)
        warm = links; /* one pass over the chain */
    uint32_t *order;
    if (random) {
        order = random_slots(s, slots, links);
    } else {
        order = vdc_xmalloc((size_t)links * sizeof *order);
        for (uint32_t i = 0; i < links; i++)
            order[i] = i;
    }
    bool ok = write_chain(s, base, footprint, stride, order, links, err);
    uint64_t start = base + (uint64_t)order[0] * stride;
    free(order);
    struct params p = {0};
    put_u64(&p, start);
    put_u32(&p, warm);
    put_u32(&p, steps);
    put_u64(&p, s->out);
    return ok && per_step(s, kernel, 1, 0, &p, steps, latency, err) &&
           gpu_memory_free(gpu_get_memory(s->gpu), base, err);
}

/* Cycles per step of a chase through `n` 32-bit indices in shared memory (one random cycle over all of them). */
static bool chase_shared(struct suite *s, uint32_t n, uint32_t steps, double *latency, struct vdc_error *err)
{
    uint32_t *order = random_slots(s, n, n);
    uint32_t *chain = vdc_xmalloc((size_t)n * sizeof *chain);
    for (uint32_t i = 0; i < n; i++)
        chain[order[i]] = order[(i + 1) % n];
    free(order);
    uint64_t base;
    bool ok = gpu_memory_alloc(gpu_get_memory(s->gpu), (uint64_t)n * 4, &base, err) &&
              gpu_memory_write(gpu_get_memory(s->gpu), base, chain, (uint64_t)n * 4, "chain", err);
    free(chain);
    struct params p = {0};
    put_u64(&p, base);
    put_u32(&p, n);
    put_u32(&p, steps);
    put_u64(&p, s->out);
    return ok && per_step(s, "chase_shared", 32, n * 4, &p, steps, latency, err);
}

/* Bytes per second of a launch that moved `bytes`, from its cycles at the SM clock. */
static double per_second(const struct suite *s, uint64_t bytes, const struct gpu_launch_stats *stats)
{
    return (double)bytes * (double)s->p->clock_hz / (double)stats->cycles;
}

/* HBM copy, read and write bandwidth over `bytes` per buffer, in TB/s, each from a kernel's second run: the first
 * leaves L2 full of its lines (dirty ones, for the writes), so the second pays for evicting them as a long stream
 * on the hardware does. */
static bool hbm_bandwidth(struct suite *s, uint64_t bytes, double *copy, double *read, double *write,
                          struct vdc_error *err)
{
    uint64_t a, b;
    struct gpu_memory *mem = gpu_get_memory(s->gpu);
    if (!gpu_memory_alloc(mem, bytes, &a, err) || !gpu_memory_alloc(mem, bytes, &b, err))
        return false;
    uint32_t grid = s->p->sm_count * 4, block = 512;
    uint64_t n = bytes / 16;
    struct params p = {0};
    put_u64(&p, a);
    put_u64(&p, b);
    put_u64(&p, n);
    struct gpu_launch_stats stats;
    if (!run(s, "bw_copy", grid, block, 0, &p, &stats, err) || !run(s, "bw_copy", grid, block, 0, &p, &stats, err))
        return false;
    *copy = per_second(s, 2 * bytes, &stats) / 1e12;
    p = (struct params){0};
    put_u64(&p, b);
    put_u64(&p, n);
    put_u64(&p, s->sink);
    if (!run(s, "bw_read", grid, block, 0, &p, &stats, err) || !run(s, "bw_read", grid, block, 0, &p, &stats, err))
        return false;
    *read = per_second(s, bytes, &stats) / 1e12;
    p = (struct params){0};
    put_u64(&p, a);
    put_u64(&p, n);
    put_f32(&p, 1.0f);
    if (!run(s, "bw_write", grid, block, 0, &p, &stats, err) || !run(s, "bw_write", grid, block, 0, &p, &stats, err))
        return false;
    *write = per_second(s, bytes, &stats) / 1e12;
    return gpu_memory_free(mem, a, err) && gpu_memory_free(mem, b, err);
}

/* L2 read bandwidth with .cg over a footprint inside L2, measured on a second launch (the first fills L2). */
static bool l2_bandwidth(struct suite *s, double *tbps, struct vdc_error *err)
{
    uint64_t footprint = 8u << 20, a;
    if (!gpu_memory_alloc(gpu_get_memory(s->gpu), footprint, &a, err))
        return false;
    uint32_t grid = s->p->sm_count * 4, block = 512, reps = 16;
    struct params p = {0};
    put_u64(&p, a);
    put_u32(&p, (uint32_t)(footprint / 16 - 1));
    put_u32(&p, reps);
    put_u64(&p, s->sink);
    struct gpu_launch_stats stats;
    bool ok = run(s, "bw_l2", grid, block, 0, &p, &stats, err) && run(s, "bw_l2", grid, block, 0, &p, &stats, err);
    *tbps = per_second(s, (uint64_t)grid * block * reps * 16, &stats) / 1e12;
    return ok && gpu_memory_free(gpu_get_memory(s->gpu), a, err);
}

/* Shared-memory bandwidth in bytes per clock per SM: float4 reads without bank conflicts. */
static bool shared_bandwidth(struct suite *s, double *per_clock, struct vdc_error *err)
{
    uint32_t grid = s->p->sm_count * 2, block = 1024, reps = 128;
    struct params p = {0};
    put_u32(&p, reps);
    put_u64(&p, s->sink);
    struct gpu_launch_stats stats;
    if (!run(s, "bw_shared", grid, block, 0, &p, &stats, err))
        return false;
    *per_clock = (double)grid * block * reps * 16 / (double)stats.cycles / s->p->sm_count;
    return true;
}

/* FP32 FMA throughput per clock per SM and the latency of a dependent chain. */
static bool fma_figures(struct suite *s, double *throughput, double *latency, struct vdc_error *err)
{
    uint32_t grid = s->p->sm_count * 4, block = 256, iters = 256;
    struct params p = {0};
    put_u64(&p, s->sink);
    put_f32(&p, 0.999f);
    put_f32(&p, 0.001f);
    put_u32(&p, iters);
    struct gpu_launch_stats stats;
    if (!run(s, "fma_throughput", grid, block, 0, &p, &stats, err))
        return false;
    *throughput = (double)grid * block * iters * 8 / (double)stats.cycles / s->p->sm_count;
    uint32_t steps = 1024;
    p = (struct params){0};
    put_f32(&p, 0.999f);
    put_f32(&p, 0.001f);
    put_u32(&p, steps);
    put_u64(&p, s->out);
    return per_step(s, "fma_latency", 1, 0, &p, steps, latency, err);
}

/* Atomic adds per clock (global: for the whole GPU; shared: per SM) with `mask` choosing the addresses. */
static bool atomics(struct suite *s, const char *kernel, uint32_t mask, bool per_sm, double *rate,
                    struct vdc_error *err)
{
    uint32_t grid = s->p->sm_count * 2, block = 256, iters = 16;
    uint64_t counters;
    uint64_t size = (uint64_t)grid * block * 4;
    if (!gpu_memory_alloc(gpu_get_memory(s->gpu), size, &counters, err))
        return false;
    struct params p = {0};
    put_u64(&p, counters);
    put_u32(&p, mask);
    put_u32(&p, iters);
    put_u64(&p, s->sink);
    struct gpu_launch_stats stats;
    if (!run(s, kernel, grid, block, 0, &p, &stats, err))
        return false;
    *rate = (double)grid * block * iters / (double)stats.cycles / (per_sm ? s->p->sm_count : 1);
    return gpu_memory_free(gpu_get_memory(s->gpu), counters, err);
}

static void set_row(struct gpu_micro_row *row, const char *preset, size_t index, double simulated)
{
    const struct published *f = &published[index];
    bool h200 = strcmp(preset, "h200") == 0;
    *row = (struct gpu_micro_row){.metric = f->metric, .unit = f->unit,
                                  .source = h200 && f->h200_source != NULL ? f->h200_source : f->source,
                                  .published = h200 ? f->h200 : f->h100,
                                  .tolerance = f->tolerance, .simulated = simulated};
}

bool vdc_bench_gpu_micro(const char *preset, struct gpu_micro_row rows[GPU_MICRO_ROWS], size_t *count,
                         struct vdc_error *err)
{
    _Static_assert(PUBLISHED_COUNT <= GPU_MICRO_ROWS, "rows");
    struct gpu_params params;
    if (!gpu_params_preset(preset, &params, err))
        return false;
    struct suite s = {0};
    vdc_rng_seed(&s.rng, 1, 0);
    s.gpu = gpu_create(&params, err);
    if (s.gpu == NULL)
        return false;
    s.p = gpu_get_params(s.gpu);
    struct gpu_memory *mem = gpu_get_memory(s.gpu);
    double v[PUBLISHED_COUNT] = {0};
    uint32_t line = s.p->line_bytes;
    bool ok = gpu_module_load(s.gpu, vdc_bench_gpu_micro_ptx, strlen(vdc_bench_gpu_micro_ptx), "micro.ptx", &s.module,
                              err) &&
              gpu_memory_alloc(mem, 64, &s.out, err) &&
              gpu_memory_alloc(mem, (uint64_t)s.p->sm_count * 8 * 1024 * 4, &s.sink, err) &&
              /* The HBM chases first, while L2 holds nothing of theirs. */
              chase(&s, "chase_cg", 256u << 20, line, true, 0, 4096, &v[5], err) &&
              chase(&s, "chase_cg", 256u << 20, 64, false, 0, 4096, &v[6], err) &&
              chase(&s, "chase_ca", 16u << 10, line, true, 1024, 1024, &v[0], err) &&
              chase_shared(&s, 1024, 1024, &v[1], err) &&
              chase(&s, "chase_cg", 4u << 20, line, true, UINT32_MAX, 4096, &v[2], err) &&
              chase(&s, "chase_cg", 16u << 20, line, true, UINT32_MAX, 4096, &v[3], err) &&
              chase(&s, "chase_cg", 40u << 20, line, true, UINT32_MAX, 4096, &v[4], err) &&
              hbm_bandwidth(&s, 64u << 20, &v[7], &v[8], &v[9], err) && l2_bandwidth(&s, &v[10], err) &&
              shared_bandwidth(&s, &v[11], err) && fma_figures(&s, &v[12], &v[13], err) &&
              atomics(&s, "atomics_global", 0, false, &v[14], err) &&
              atomics(&s, "atomics_global", 7, false, &v[15], err) &&
              atomics(&s, "atomics_global", UINT32_MAX, false, &v[16], err) &&
              atomics(&s, "atomics_shared", 0, true, &v[17], err) &&
              atomics(&s, "atomics_shared", 1023, true, &v[18], err);
    if (s.module != NULL)
        gpu_module_unload(s.gpu, s.module);
    gpu_free(s.gpu);
    if (!ok)
        return false;
    for (size_t i = 0; i < PUBLISHED_COUNT; i++)
        set_row(&rows[i], preset, i, v[i]);
    *count = PUBLISHED_COUNT;
    return true;
}
