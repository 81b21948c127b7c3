/* HiGPU parameters: the presets' figures, the key table's values and messages, validation and occupancy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/gpu/gpu_params.h"
#include "../suites.h"

static struct gpu_params preset(const char *name)
{
    struct gpu_params p;
    struct vdc_error err;
    ck_assert_msg(gpu_params_preset(name, &p, &err), "%s", err.text);
    return p;
}

START_TEST(presets)
{
    struct gpu_params p = preset("h100");
    struct vdc_error err;
    ck_assert_str_eq(p.preset, "h100");
    ck_assert_uint_eq(p.clock_hz, 1980000000ULL);
    ck_assert_uint_eq(p.memory_bytes, 80ULL << 30);
    ck_assert_uint_eq(p.sm_count, 132);
    ck_assert_uint_eq(p.schedulers_per_sm, 4);
    ck_assert_uint_eq(p.max_warps_per_sm, 64);
    ck_assert_uint_eq(p.max_threads_per_sm, 2048);
    ck_assert_uint_eq(p.max_blocks_per_sm, 32);
    ck_assert_uint_eq(p.max_threads_per_block, 1024);
    ck_assert_uint_eq(p.registers_per_sm, 65536);
    ck_assert_uint_eq(p.register_alloc_unit, 256);
    ck_assert_uint_eq(p.max_registers_per_thread, 255);
    ck_assert_uint_eq(p.shared_per_sm, 228 * 1024);
    ck_assert_uint_eq(p.shared_per_block, 227 * 1024);
    ck_assert_uint_eq(p.shared_reserved_per_block, 1024);
    ck_assert_uint_eq(p.shared_banks, 32);
    ck_assert_uint_eq(p.l1_bytes, 256 * 1024);
    ck_assert_uint_eq(p.l2_bytes, 50ULL << 20);
    ck_assert_uint_eq(p.line_bytes, 128);
    ck_assert_uint_eq(p.sector_bytes, 32);
    ck_assert_uint_eq(p.l1_latency, 38);
    ck_assert_uint_eq(p.l2_latency, 237);
    ck_assert_uint_eq(p.l2_partitions, 2);
    ck_assert_uint_eq(p.l2_far_latency, 490);
    ck_assert_uint_eq(p.dram_latency, 598);
    ck_assert_uint_eq(p.dram_row_hit_latency, 448);
    ck_assert_uint_eq(p.dram_efficiency_permille, 821);
    ck_assert_uint_eq(p.dram_write_efficiency_permille, 899);
    ck_assert_uint_eq(p.dram_bytes_per_second, 3350000000000ULL);
    ck_assert_uint_eq(p.latency[GPU_CLASS_SHARED], 29);
    ck_assert_uint_eq(p.issue[GPU_CLASS_FP32], 1);
    ck_assert_uint_eq(p.issue[GPU_CLASS_FP64], 2);
    ck_assert_uint_eq(p.issue[GPU_CLASS_INT], 2);
    ck_assert_uint_eq(p.issue[GPU_CLASS_SFU], 8);
    ck_assert(gpu_params_validate(&p, &err));

    struct gpu_params q = preset("h200");
    ck_assert_str_eq(q.preset, "h200");
    ck_assert_uint_eq(q.memory_bytes, 141ULL << 30);
    ck_assert_uint_eq(q.dram_bytes_per_second, 4800000000000ULL);
    ck_assert_uint_eq(q.sm_count, 132);
    ck_assert_uint_eq(q.clock_hz, p.clock_hz);
    ck_assert_uint_eq(q.dram_efficiency_permille, 574);
    ck_assert_uint_eq(q.dram_write_efficiency_permille, 809);
    ck_assert(gpu_params_validate(&q, &err));

    ck_assert(!gpu_params_preset("h300", &q, &err));
    ck_assert_str_eq(err.text, "unknown GPU preset 'h300'; expected h100 or h200");
    ck_assert_str_eq(gpu_insn_class_name(GPU_CLASS_INT_MUL), "int_mul");
    ck_assert_str_eq(gpu_insn_class_name(GPU_CLASS_ATOMIC), "atomic");
}
END_TEST

START_TEST(set_good)
{
    struct gpu_params p = preset("h100");
    struct vdc_error err;
    ck_assert_msg(gpu_params_set(&p, "clock", "1.755GHz", &err), "%s", err.text);
    ck_assert_uint_eq(p.clock_hz, 1755000000ULL);
    ck_assert(gpu_params_set(&p, "memory", "96GiB", &err));
    ck_assert_uint_eq(p.memory_bytes, 96ULL << 30);
    ck_assert(gpu_params_set(&p, "dram_bandwidth", "3.9TB/s", &err));
    ck_assert_uint_eq(p.dram_bytes_per_second, 3900000000000ULL);
    ck_assert(gpu_params_set(&p, "dram_bandwidth", "800Gbps", &err));
    ck_assert_uint_eq(p.dram_bytes_per_second, 100000000000ULL);
    ck_assert(gpu_params_set(&p, "l2_size", "40MiB", &err));
    ck_assert_uint_eq(p.l2_bytes, 40ULL << 20);
    ck_assert(gpu_params_set(&p, "sm_count", "114", &err));
    ck_assert_uint_eq(p.sm_count, 114);
    ck_assert(gpu_params_set(&p, "latency.fp32", "5", &err));
    ck_assert_uint_eq(p.latency[GPU_CLASS_FP32], 5);
    ck_assert(gpu_params_set(&p, "issue.sfu", "16", &err));
    ck_assert_uint_eq(p.issue[GPU_CLASS_SFU], 16);
    ck_assert(gpu_params_set(&p, "issue.atomic", "3", &err));
    ck_assert_uint_eq(p.issue[GPU_CLASS_ATOMIC], 3);
    ck_assert(gpu_params_set(&p, "launch_latency", "4us", &err));
    ck_assert_uint_eq(p.launch_latency_ps, 4000000);
    ck_assert(gpu_params_set(&p, "dram_efficiency", "0.9", &err));
    ck_assert_uint_eq(p.dram_efficiency_permille, 900);
    ck_assert(gpu_params_set(&p, "dram_efficiency", "1", &err));
    ck_assert_uint_eq(p.dram_efficiency_permille, 1000);
    ck_assert(gpu_params_set(&p, "shared_per_block", "48KiB", &err));
    ck_assert_uint_eq(p.shared_per_block, 48 * 1024);
    ck_assert(gpu_params_validate(&p, &err));
}
END_TEST

struct bad_set {
    const char *key, *value, *message;
};

static const struct bad_set bad_sets[] = {
    {"sm_cont", "4", "unknown GPU parameter 'sm_cont' (did you mean 'sm_count'?)"},
    {"latency.fp23", "4", "unknown GPU parameter 'latency.fp23' (did you mean 'latency.fp32'?)"},
    {"tensor_cores", "4", "unknown GPU parameter 'tensor_cores' (the GPU parameters are listed in docs/higpu.md)"},
    {"clock", "1.98Ghz",
     "GPU parameter 'clock': unknown unit 'Ghz' in '1.98Ghz'; expected a frequency like 1.98GHz (units: Hz, kHz, "
     "MHz, GHz)"},
    {"clock", "1980", "GPU parameter 'clock': '1980' has no unit; expected a frequency like 1.98GHz (units: Hz, kHz, "
                      "MHz, GHz)"},
    {"sm_count", "0", "GPU parameter 'sm_count': 0 is out of range; expected 1 to 1024"},
    {"sm_count", "many", "GPU parameter 'sm_count': 'many' is not a number; expected a whole number like 8"},
    {"dram_bandwidth", "3.35TB",
     "GPU parameter 'dram_bandwidth': unknown unit 'TB' in '3.35TB'; expected a rate in bytes per second like "
     "3.35TB/s (units: B/s, KB/s, MB/s, GB/s, TB/s)"},
    {"dram_bandwidth", "9bps", "GPU parameter 'dram_bandwidth': '9bps' is not a whole number of bytes per second"},
    {"dram_efficiency", "1.2", "GPU parameter 'dram_efficiency': 1.2 is out of range; expected 0.5 to 1"},
    {"dram_efficiency", "0.9x",
     "GPU parameter 'dram_efficiency': '0.9x' is not a number; expected a fraction like 0.92"},
    {"issue.fp32", "0", "GPU parameter 'issue.fp32': 0 is out of range; expected 1 to 100000"},
    {"l2_size", "-1MiB",
     "GPU parameter 'l2_size': negative size '-1MiB'; expected a size like 32MiB or a byte count (units: B, KB, MB, "
     "GB, TB, KiB, MiB, GiB, TiB)"},
};

START_TEST(set_bad)
{
    for (size_t i = 0; i < sizeof bad_sets / sizeof bad_sets[0]; i++) {
        struct gpu_params p = preset("h100"), before = p;
        struct vdc_error err = {{0}};
        ck_assert_msg(!gpu_params_set(&p, bad_sets[i].key, bad_sets[i].value, &err), "%s=%s was accepted",
                      bad_sets[i].key, bad_sets[i].value);
        ck_assert_str_eq(err.text, bad_sets[i].message);
        ck_assert_msg(memcmp(&p, &before, sizeof p) == 0, "%s changed on an error", bad_sets[i].key);
    }
}
END_TEST

START_TEST(validate_bad)
{
    struct vdc_error err;
    struct gpu_params p = preset("h100");
    ck_assert(gpu_params_set(&p, "shared_per_block", "229KiB", &err));
    ck_assert(!gpu_params_validate(&p, &err));
    ck_assert_str_eq(err.text, "GPU parameters: shared_per_block (234496) exceeds shared_per_sm (233472)");

    p = preset("h100");
    ck_assert(gpu_params_set(&p, "register_alloc_unit", "96", &err));
    ck_assert(!gpu_params_validate(&p, &err));
    ck_assert_str_eq(err.text,
                     "GPU parameters: register_alloc_unit (96) must be a power of two dividing registers_per_sm (65536)");

    p = preset("h100");
    ck_assert(gpu_params_set(&p, "sector_size", "64", &err));
    ck_assert(gpu_params_set(&p, "line_size", "32", &err));
    ck_assert(!gpu_params_validate(&p, &err));
    ck_assert_str_eq(err.text, "GPU parameters: sector_bytes (64) and line_bytes (32) must be powers of two with 16 "
                               "<= sector <= 64 and sector <= line <= 8 sectors");

    p = preset("h100");
    ck_assert(gpu_params_set(&p, "l1_size", "1000", &err));
    ck_assert(!gpu_params_validate(&p, &err));
    ck_assert_str_eq(err.text,
                     "GPU parameters: l1_size (1000) and l2_size (52428800) must be whole numbers of 128-byte lines");

    p = preset("h100");
    ck_assert(gpu_params_set(&p, "max_threads_per_sm", "4096", &err));
    ck_assert(!gpu_params_validate(&p, &err));
    ck_assert_str_eq(err.text, "GPU parameters: max_threads_per_sm (4096) exceeds max_warps_per_sm x 32 (2048)");

    p = preset("h100");
    ck_assert(gpu_params_set(&p, "shared_banks", "24", &err));
    ck_assert(!gpu_params_validate(&p, &err));
    ck_assert_str_eq(err.text, "GPU parameters: shared_banks (24) must be a power of two up to 64");

    p = preset("h100");
    p.issue[GPU_CLASS_WARP] = 0;
    ck_assert(!gpu_params_validate(&p, &err));
    ck_assert_str_eq(err.text, "GPU parameters: issue.warp must be at least 1 cycle");
}
END_TEST

struct occupancy_case {
    uint32_t threads, registers, shared, blocks;
    const char *limit;
};

/* Figures of NVIDIA's occupancy calculator (cuda_occupancy.h rules) for compute capability 9.0. */
static const struct occupancy_case occupancy_cases[] = {
    {256, 32, 0, 8, "warps"},               /* 64 warps: full occupancy */
    {256, 64, 0, 4, "registers"},           /* 2048 registers per warp: 8 warps per scheduler */
    {128, 0, 48 * 1024, 4, "shared memory"}, /* 49152 + 1024 reserved per block into 233472 */
    {32, 16, 0, 32, "blocks"},              /* one warp per block: the 32-block limit */
    {1024, 64, 0, 1, "registers"},          /* 65536 registers: one block */
    {1024, 32, 0, 2, "warps"},
    {96, 40, 0, 16, "registers"},           /* 1280 per warp: 12 warps per scheduler, 48 warps, 16 blocks of 3 */
    {64, 255, 0, 4, "registers"},           /* 8160 rounds to 8192: 2 warps per scheduler */
    {100, 0, 0, 16, "warps"},               /* 100 threads take 4 warps */
    {256, 0, 100 * 1024, 2, "shared memory"},
    {32, 0, 1, 32, "blocks"},               /* 128 + 1024 bytes per block: shared does not bind */
    {1025, 0, 0, 0, "threads"},
    {256, 256, 0, 0, "registers"},
    {256, 0, 228 * 1024, 0, "shared memory"},
};

START_TEST(occupancy)
{
    struct gpu_params p = preset("h100");
    for (size_t i = 0; i < sizeof occupancy_cases / sizeof occupancy_cases[0]; i++) {
        const struct occupancy_case *c = &occupancy_cases[i];
        struct gpu_occupancy o;
        gpu_occupancy_compute(&p, c->threads, c->registers, c->shared, &o);
        ck_assert_msg(o.blocks_per_sm == c->blocks && strcmp(o.limited_by, c->limit) == 0,
                      "%u threads, %u registers, %u shared: %u blocks (%s), expected %u (%s)", c->threads,
                      c->registers, c->shared, o.blocks_per_sm, o.limited_by, c->blocks, c->limit);
        ck_assert_uint_eq(o.warps_per_block, (c->threads + 31) / 32);
    }
}
END_TEST

START_TEST(key_table)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    gpu_params_print_keys(out);
    fclose(out);
    ck_assert(strncmp(text, "| key | value | h100 | h200 | meaning |\n", 40) == 0);
    ck_assert_msg(strstr(text, "| `clock` | frequency | `1.98GHz` | `1.98GHz` |") != NULL, "%s", text);
    ck_assert(strstr(text, "| `dram_bandwidth` | bytes/s | `3.35TB/s` | `4.8TB/s` |") != NULL);
    ck_assert(strstr(text, "| `memory` | size | `80GiB` | `141GiB` |") != NULL);
    ck_assert(strstr(text, "| `dram_efficiency` | fraction | `0.821` | `0.574` |") != NULL);
    ck_assert(strstr(text, "| `dram_write_efficiency` | fraction | `0.899` | `0.809` |") != NULL);
    ck_assert(strstr(text, "| `issue.sfu` | cycles | `8` | `8` |") != NULL);
    ck_assert(strstr(text, "| `launch_latency` | time | `3 us` | `3 us` |") != NULL);
    /* Every value the table shows sets back to itself. */
    struct gpu_params p = preset("h200"), q;
    memset(&q, 0, sizeof q);
    q = p;
    char *line = text;
    int rows = 0;
    while ((line = strstr(line, "\n| `")) != NULL) {
        char key[64], value[64];
        line += 4;
        ck_assert(sscanf(line, "%63[^`]` | %*[^|]| `%*[^`]` | `%63[^`]`", key, value) == 2);
        struct vdc_error err;
        ck_assert_msg(gpu_params_set(&q, key, value, &err), "%s", err.text);
        rows++;
    }
    ck_assert_int_eq(rows, 35 + 2 * GPU_CLASS_COUNT);
    ck_assert(memcmp(&p, &q, sizeof p) == 0);
    free(text);
}
END_TEST

Suite *gpu_params_suite(void)
{
    Suite *s = suite_create("gpu_params");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, presets);
    tcase_add_test(tc, set_good);
    tcase_add_test(tc, set_bad);
    tcase_add_test(tc, validate_bad);
    tcase_add_test(tc, occupancy);
    tcase_add_test(tc, key_table);
    suite_add_tcase(s, tc);
    return s;
}
