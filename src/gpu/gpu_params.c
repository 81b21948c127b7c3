/* HiGPU's presets (H100 SXM5, H200 SXM), the cross-parameter checks and the occupancy rules. */
#include "gpu/gpu_params.h"

#include <inttypes.h>
#include <string.h>

/* docs/higpu.md, "Parameters", gives the source of every figure below. */

static const char *const class_names[GPU_CLASS_COUNT] = {
    [GPU_CLASS_INT] = "int",         [GPU_CLASS_INT_MUL] = "int_mul", [GPU_CLASS_FP32] = "fp32",
    [GPU_CLASS_FP64] = "fp64",       [GPU_CLASS_SFU] = "sfu",         [GPU_CLASS_CONVERT] = "convert",
    [GPU_CLASS_BRANCH] = "branch",   [GPU_CLASS_BARRIER] = "barrier", [GPU_CLASS_WARP] = "warp",
    [GPU_CLASS_SHARED] = "shared",   [GPU_CLASS_GLOBAL] = "global",   [GPU_CLASS_CONST] = "const",
    [GPU_CLASS_ATOMIC] = "atomic",
};

const char *gpu_insn_class_name(enum gpu_insn_class c)
{
    return (unsigned)c < GPU_CLASS_COUNT ? class_names[c] : "unknown";
}

#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

static void h100(struct gpu_params *p)
{
    memset(p, 0, sizeof *p);
    strcpy(p->preset, "h100");
    p->clock_hz = 1980000000ULL;
    p->memory_bytes = 80 * GIB;
    p->sm_count = 132;
    p->schedulers_per_sm = 4;
    p->max_warps_per_sm = 64;
    p->max_threads_per_sm = 2048;
    p->max_blocks_per_sm = 32;
    p->max_threads_per_block = 1024;
    p->registers_per_sm = 65536;
    p->register_alloc_unit = 256;
    p->max_registers_per_thread = 255;
    p->shared_per_sm = 228 * KIB;
    p->shared_per_block = 227 * KIB;
    p->shared_alloc_unit = 128;
    p->shared_reserved_per_block = 1 * KIB;
    p->shared_banks = 32;
    p->l1_bytes = 256 * KIB;
    p->l2_bytes = 50 * MIB;
    p->line_bytes = 128;
    p->sector_bytes = 32;
    p->l1_latency = 38;  /* MT4G, H100 SXM */
    p->l2_latency = 237;
    /* Two L2 partitions: a chase stays at the near latency up to half of L2 and takes 490-521 cycles from there to
     * all of it (gpu-benches gpu-latency on a GH200, at the same 1.98 GHz). */
    p->l2_partitions = 2;
    p->l2_far_latency = 490;
    /* HBM latency (docs/higpu.md, "Timing model: memory"): a random chase measures 834.5 cycles (MT4G, H100 SXM),
     * one in address order 685 (gpu-benches, GH200): the rows' share of it. */
    p->dram_latency = 598;
    p->dram_row_hit_latency = 448;
    p->dram_page_bytes = 2048;
    p->dram_banks = 1280; /* 5 stacks x 16 channels x 16 banks */
    p->dram_bytes_per_second = 3350000000000ULL;
    /* Streams measured on an H100 SXM (MT4G): reads 2.75 TB/s, writes 3.01 TB/s of 3.35. */
    p->dram_efficiency_permille = 821;
    p->dram_write_efficiency_permille = 899;
    p->atomic_cycles = 1;
    p->l2_bytes_per_cycle = 5120;
    p->block_launch_cycles = 64;
    p->launch_latency_ps = 3000000;
    /* Latency: cycles until a dependent instruction may issue. Issue: 32 lanes over the per-scheduler units. */
    static const uint32_t latency[GPU_CLASS_COUNT] = {
        [GPU_CLASS_INT] = 4,     [GPU_CLASS_INT_MUL] = 4, [GPU_CLASS_FP32] = 4,    [GPU_CLASS_FP64] = 8,
        [GPU_CLASS_SFU] = 23,    [GPU_CLASS_CONVERT] = 14, [GPU_CLASS_BRANCH] = 4, [GPU_CLASS_BARRIER] = 20,
        [GPU_CLASS_WARP] = 21,   [GPU_CLASS_SHARED] = 29, [GPU_CLASS_GLOBAL] = 0,  [GPU_CLASS_CONST] = 4,
        [GPU_CLASS_ATOMIC] = 48,
    };
    static const uint32_t issue[GPU_CLASS_COUNT] = {
        [GPU_CLASS_INT] = 2,     [GPU_CLASS_INT_MUL] = 2, [GPU_CLASS_FP32] = 1,    [GPU_CLASS_FP64] = 2,
        [GPU_CLASS_SFU] = 8,     [GPU_CLASS_CONVERT] = 8, [GPU_CLASS_BRANCH] = 1,  [GPU_CLASS_BARRIER] = 1,
        [GPU_CLASS_WARP] = 4,    [GPU_CLASS_SHARED] = 4,  [GPU_CLASS_GLOBAL] = 4,  [GPU_CLASS_CONST] = 1,
        [GPU_CLASS_ATOMIC] = 4,
    };
    memcpy(p->latency, latency, sizeof latency);
    memcpy(p->issue, issue, sizeof issue);
}

bool gpu_params_preset(const char *name, struct gpu_params *p, struct vdc_error *err)
{
    if (strcmp(name, "h100") == 0) {
        h100(p);
        return true;
    }
    if (strcmp(name, "h200") == 0) {
        /* The same GH100 die and clocks with six stacks of HBM3e. */
        h100(p);
        strcpy(p->preset, "h200");
        p->memory_bytes = 141 * GIB;
        p->dram_bytes_per_second = 4800000000000ULL;
        p->dram_banks = 1536; /* 6 stacks */
        /* gpu-stream on an H200: read 2.756 TB/s, write ("init") 3.884 TB/s of 4.8. */
        p->dram_efficiency_permille = 574;
        p->dram_write_efficiency_permille = 809;
        return true;
    }
    return vdc_fail(err, "unknown GPU preset '%s'; expected h100 or h200", name);
}

static bool power_of_two(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

bool gpu_params_validate(const struct gpu_params *p, struct vdc_error *err)
{
    const char *what = "GPU parameters";
    if (p->clock_hz == 0 || p->sm_count == 0 || p->schedulers_per_sm == 0 || p->max_warps_per_sm == 0 ||
        p->max_blocks_per_sm == 0 || p->max_threads_per_block == 0 || p->registers_per_sm == 0 ||
        p->dram_bytes_per_second == 0 || p->l2_bytes_per_cycle == 0)
        return vdc_fail(err, "%s: clock, counts, registers and bandwidths must not be 0", what);
    if (p->max_threads_per_sm > p->max_warps_per_sm * 32)
        return vdc_fail(err, "%s: max_threads_per_sm (%" PRIu32 ") exceeds max_warps_per_sm x 32 (%" PRIu32 ")",
                        what, p->max_threads_per_sm, p->max_warps_per_sm * 32);
    if (p->max_threads_per_block > p->max_threads_per_sm)
        return vdc_fail(err, "%s: max_threads_per_block (%" PRIu32 ") exceeds max_threads_per_sm (%" PRIu32 ")",
                        what, p->max_threads_per_block, p->max_threads_per_sm);
    if (!power_of_two(p->register_alloc_unit) || p->registers_per_sm % p->register_alloc_unit != 0)
        return vdc_fail(err, "%s: register_alloc_unit (%" PRIu32 ") must be a power of two dividing "
                        "registers_per_sm (%" PRIu32 ")", what, p->register_alloc_unit, p->registers_per_sm);
    if (p->shared_per_block > p->shared_per_sm)
        return vdc_fail(err, "%s: shared_per_block (%" PRIu32 ") exceeds shared_per_sm (%" PRIu32 ")", what,
                        p->shared_per_block, p->shared_per_sm);
    if (!power_of_two(p->shared_alloc_unit))
        return vdc_fail(err, "%s: shared_alloc_unit (%" PRIu32 ") must be a power of two", what,
                        p->shared_alloc_unit);
    if (!power_of_two(p->shared_banks) || p->shared_banks > 64)
        return vdc_fail(err, "%s: shared_banks (%" PRIu32 ") must be a power of two up to 64", what,
                        p->shared_banks);
    /* A naturally aligned access of up to 16 bytes must sit in one sector, a sector's byte mask fits 64 bits and a
     * line has at most 8 sectors. */
    if (!power_of_two(p->sector_bytes) || p->sector_bytes < 16 || p->sector_bytes > 64 ||
        !power_of_two(p->line_bytes) || p->line_bytes < p->sector_bytes || p->line_bytes / p->sector_bytes > 8)
        return vdc_fail(err, "%s: sector_bytes (%" PRIu32 ") and line_bytes (%" PRIu32 ") must be powers of two "
                        "with 16 <= sector <= 64 and sector <= line <= 8 sectors", what, p->sector_bytes,
                        p->line_bytes);
    if (p->l1_bytes < p->line_bytes || p->l1_bytes % p->line_bytes != 0 || p->l2_bytes < p->line_bytes ||
        p->l2_bytes % p->line_bytes != 0)
        return vdc_fail(err, "%s: l1_size (%" PRIu64 ") and l2_size (%" PRIu64 ") must be whole numbers of "
                        "%" PRIu32 "-byte lines", what, p->l1_bytes, p->l2_bytes, p->line_bytes);
    if (p->dram_efficiency_permille == 0 || p->dram_efficiency_permille > 1000 ||
        p->dram_write_efficiency_permille == 0 || p->dram_write_efficiency_permille > 1000)
        return vdc_fail(err, "%s: dram_efficiency and dram_write_efficiency must be above 0 and at most 1", what);
    if (p->dram_banks == 0 || !power_of_two(p->dram_page_bytes) || p->dram_page_bytes < p->line_bytes)
        return vdc_fail(err, "%s: dram_banks must be at least 1 and dram_page_size a power of two of at least a line",
                        what);
    if (p->l2_partitions != 1 && p->l2_partitions != 2)
        return vdc_fail(err, "%s: l2_partitions must be 1 or 2", what);
    if (p->atomic_cycles == 0)
        return vdc_fail(err, "%s: atomic_cycles must be at least 1", what);
    for (int c = 0; c < GPU_CLASS_COUNT; c++) {
        if (p->issue[c] == 0)
            return vdc_fail(err, "%s: issue.%s must be at least 1 cycle", what, class_names[c]);
    }
    return true;
}

void gpu_occupancy_compute(const struct gpu_params *p, uint32_t threads_per_block, uint32_t registers_per_thread,
                           uint32_t shared_bytes_per_block, struct gpu_occupancy *out)
{
    out->warps_per_block = (threads_per_block + 31) / 32;
    out->blocks_per_sm = 0;
    if (threads_per_block == 0 || threads_per_block > p->max_threads_per_block) {
        out->limited_by = "threads";
        return;
    }
    if (registers_per_thread > p->max_registers_per_thread) {
        out->limited_by = "registers";
        return;
    }
    if (shared_bytes_per_block > p->shared_per_block) {
        out->limited_by = "shared memory";
        return;
    }
    /* Each limit as the CUDA occupancy calculator computes it; the first smallest one names the binding one. */
    uint32_t warps = out->warps_per_block;
    uint32_t best = p->max_warps_per_sm / warps;
    const char *by = "warps";
    uint32_t by_threads = p->max_threads_per_sm / (warps * 32);
    if (by_threads < best)
        best = by_threads, by = "threads";
    if (p->max_blocks_per_sm < best)
        best = p->max_blocks_per_sm, by = "blocks";
    if (registers_per_thread > 0) {
        /* Registers go to warps in units of register_alloc_unit, from the register file of the warp's own
         * scheduler (the file is split between them), as cuda_occupancy.h computes it. */
        uint32_t unit = p->register_alloc_unit;
        uint32_t per_warp = (registers_per_thread * 32 + unit - 1) / unit * unit;
        uint32_t per_partition = p->registers_per_sm / p->schedulers_per_sm / per_warp;
        uint32_t by_registers = per_partition * p->schedulers_per_sm / warps;
        if (by_registers < best)
            best = by_registers, by = "registers";
    }
    /* Shared memory is rounded up to its allocation unit, and the runtime reserves some per block besides. */
    uint64_t unit = p->shared_alloc_unit;
    uint64_t per_block = ((uint64_t)shared_bytes_per_block + unit - 1) / unit * unit + p->shared_reserved_per_block;
    if (per_block > 0) {
        uint64_t by_shared = p->shared_per_sm / per_block;
        if (by_shared < best)
            best = (uint32_t)by_shared, by = "shared memory";
    }
    out->blocks_per_sm = best;
    out->limited_by = by;
}

bool gpu_params_check(const char *key, const char *value, struct vdc_error *err)
{
    struct gpu_params p;
    return gpu_params_preset("h100", &p, err) && gpu_params_set(&p, key, value, err);
}

uint64_t gpu_cycles_to_ps(const struct gpu_params *p, uint64_t cycles)
{
    return (uint64_t)((unsigned __int128)cycles * 1000000000000ull / p->clock_hz);
}

uint64_t gpu_cycles_covering(const struct gpu_params *p, uint64_t ps)
{
    return (uint64_t)(((unsigned __int128)ps * p->clock_hz + 999999999999ull) / 1000000000000ull);
}
