/* The GPU parameter keys: one table for scenarios, `--set`, error messages and the docs' parameter table. */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "common/units.h"
#include "gpu/gpu_params.h"

enum key_kind {
    KEY_COUNT,     /* a plain number (cycles, counts, bytes where the key is a small structural size) */
    KEY_SIZE,      /* bytes with size units */
    KEY_FREQUENCY, /* Hz with units */
    KEY_BANDWIDTH, /* bytes per second, written as a rate ("3.35TB/s") */
    KEY_TIME,      /* picoseconds with time units */
    KEY_FRACTION,  /* a real in (0, 1], stored in thousandths */
};

struct gpu_key {
    const char *key;
    enum key_kind kind;
    size_t offset;
    unsigned width; /* 4 or 8 bytes */
    uint64_t min, max;
    const char *doc;
};

#define F32(field) offsetof(struct gpu_params, field), 4
#define F64(field) offsetof(struct gpu_params, field), 8
#define LAT(c) offsetof(struct gpu_params, latency) + (c) * sizeof(uint32_t), 4
#define ISS(c) offsetof(struct gpu_params, issue) + (c) * sizeof(uint32_t), 4
#define MAX32 UINT32_MAX

static const struct gpu_key keys[] = {
    {"clock", KEY_FREQUENCY, F64(clock_hz), 1000000, 100000000000ULL, "SM clock; every cycle figure counts it"},
    {"memory", KEY_SIZE, F64(memory_bytes), 1 << 21, 1ULL << 40, "device memory (HBM) capacity"},
    {"sm_count", KEY_COUNT, F32(sm_count), 1, 1024, "streaming multiprocessors"},
    {"schedulers_per_sm", KEY_COUNT, F32(schedulers_per_sm), 1, 8,
     "warp schedulers per SM, each issuing at most one warp instruction per cycle"},
    {"max_warps_per_sm", KEY_COUNT, F32(max_warps_per_sm), 1, 256, "resident warps per SM"},
    {"max_threads_per_sm", KEY_COUNT, F32(max_threads_per_sm), 32, 8192, "resident threads per SM"},
    {"max_blocks_per_sm", KEY_COUNT, F32(max_blocks_per_sm), 1, 256, "resident blocks per SM"},
    {"max_threads_per_block", KEY_COUNT, F32(max_threads_per_block), 32, 8192, "threads per block"},
    {"registers_per_sm", KEY_COUNT, F32(registers_per_sm), 256, 1 << 20, "32-bit registers per SM"},
    {"register_alloc_unit", KEY_COUNT, F32(register_alloc_unit), 1, 65536,
     "registers are given to each warp in multiples of this"},
    {"max_registers_per_thread", KEY_COUNT, F32(max_registers_per_thread), 16, 255, "registers a thread may use"},
    {"shared_per_sm", KEY_SIZE, F32(shared_per_sm), 0, 1 << 24, "shared memory per SM (largest carve-out)"},
    {"shared_per_block", KEY_SIZE, F32(shared_per_block), 0, 1 << 24, "shared memory a block may have"},
    {"shared_alloc_unit", KEY_SIZE, F32(shared_alloc_unit), 1, 65536,
     "a block's shared memory is rounded up to a multiple of this"},
    {"shared_reserved_per_block", KEY_SIZE, F32(shared_reserved_per_block), 0, 65536,
     "shared memory the runtime reserves for each resident block"},
    {"shared_banks", KEY_COUNT, F32(shared_banks), 1, 64, "4-byte shared-memory banks"},
    {"l1_size", KEY_SIZE, F64(l1_bytes), 128, 1 << 24, "L1 data cache per SM"},
    {"l2_size", KEY_SIZE, F64(l2_bytes), 128, 1ULL << 34, "L2 cache, shared by all SMs"},
    {"line_size", KEY_SIZE, F32(line_bytes), 16, 4096, "cache line"},
    {"sector_size", KEY_SIZE, F32(sector_bytes), 16, 4096, "cache sector: the unit of coalescing and transfer"},
    {"l1_latency", KEY_COUNT, F32(l1_latency), 1, 100000, "cycles from issue to data on an L1 hit"},
    {"l2_latency", KEY_COUNT, F32(l2_latency), 1, 100000,
     "cycles from issue to data on an L2 hit (in the near partition when there are two)"},
    {"l2_partitions", KEY_COUNT, F32(l2_partitions), 1, 2,
     "1, or 2: each half of the SMs reads through a near half of L2 that keeps what they read"},
    {"l2_far_latency", KEY_COUNT, F32(l2_far_latency), 1, 100000,
     "cycles from issue to data on an L2 hit that the near partition does not hold"},
    {"dram_latency", KEY_COUNT, F32(dram_latency), 0, 100000,
     "cycles an L2 miss adds to the L2 latency when its DRAM row must be opened"},
    {"dram_row_hit_latency", KEY_COUNT, F32(dram_row_hit_latency), 0, 100000,
     "cycles an L2 miss adds to the L2 latency when its DRAM row is open"},
    {"dram_page_size", KEY_SIZE, F32(dram_page_bytes), 128, 1 << 20, "the addresses one DRAM row holds"},
    {"dram_banks", KEY_COUNT, F32(dram_banks), 1, 1 << 20, "DRAM banks in all, each with one open row"},
    {"dram_bandwidth", KEY_BANDWIDTH, F64(dram_bytes_per_second), 1000000, 1000000000000000ULL,
     "HBM bandwidth, nominal"},
    {"dram_efficiency", KEY_FRACTION, F32(dram_efficiency_permille), 500, 1000,
     "share of the nominal HBM bandwidth a read stream sustains (0.5 to 1)"},
    {"dram_write_efficiency", KEY_FRACTION, F32(dram_write_efficiency_permille), 500, 1000,
     "share of the nominal HBM bandwidth a write stream sustains (0.5 to 1)"},
    {"atomic_cycles", KEY_COUNT, F32(atomic_cycles), 1, 1000, "L2 cycles one atomic operation holds its address"},
    {"l2_bandwidth", KEY_COUNT, F32(l2_bytes_per_cycle), 1, 1 << 20, "L2 bytes per cycle, all slices together"},
    {"block_launch_cycles", KEY_COUNT, F32(block_launch_cycles), 0, 1000000, "cycles to start a block on an SM"},
    {"launch_latency", KEY_TIME, F64(launch_latency_ps), 0, 1000000000000ULL,
     "from a launch command to its first block"},
#define CLASS_KEYS(c, what)                                                                                      \
    {"latency." what, KEY_COUNT, LAT(c), 0, 100000, "cycles until a dependent instruction may issue: " what},   \
        {"issue." what, KEY_COUNT, ISS(c), 1, 100000, "cycles the scheduler's pipe is busy per warp instruction: " what}
    CLASS_KEYS(GPU_CLASS_INT, "int"),
    CLASS_KEYS(GPU_CLASS_INT_MUL, "int_mul"),
    CLASS_KEYS(GPU_CLASS_FP32, "fp32"),
    CLASS_KEYS(GPU_CLASS_FP64, "fp64"),
    CLASS_KEYS(GPU_CLASS_SFU, "sfu"),
    CLASS_KEYS(GPU_CLASS_CONVERT, "convert"),
    CLASS_KEYS(GPU_CLASS_BRANCH, "branch"),
    CLASS_KEYS(GPU_CLASS_BARRIER, "barrier"),
    CLASS_KEYS(GPU_CLASS_WARP, "warp"),
    CLASS_KEYS(GPU_CLASS_SHARED, "shared"),
    CLASS_KEYS(GPU_CLASS_GLOBAL, "global"),
    CLASS_KEYS(GPU_CLASS_CONST, "const"),
    CLASS_KEYS(GPU_CLASS_ATOMIC, "atomic"),
#undef CLASS_KEYS
};
#define KEY_TOTAL (sizeof keys / sizeof keys[0])

static uint64_t get_field(const struct gpu_params *p, const struct gpu_key *k)
{
    const char *at = (const char *)p + k->offset;
    if (k->width == 8) {
        uint64_t v;
        memcpy(&v, at, 8);
        return v;
    }
    uint32_t v;
    memcpy(&v, at, 4);
    return v;
}

static void set_field(struct gpu_params *p, const struct gpu_key *k, uint64_t value)
{
    char *at = (char *)p + k->offset;
    if (k->width == 8) {
        memcpy(at, &value, 8);
    } else {
        uint32_t v = (uint32_t)value;
        memcpy(at, &v, 4);
    }
}

static enum vdc_quantity quantity_of(enum key_kind kind)
{
    switch (kind) {
    case KEY_SIZE: return VDC_QTY_SIZE;
    case KEY_FREQUENCY: return VDC_QTY_FREQUENCY;
    case KEY_BANDWIDTH: return VDC_QTY_RATE;
    case KEY_TIME: return VDC_QTY_TIME;
    case KEY_COUNT:
    case KEY_FRACTION: break;
    }
    return VDC_QTY_COUNT;
}

static const char *expected_of(enum key_kind kind)
{
    switch (kind) {
    case KEY_BANDWIDTH: return "a rate in bytes per second like 3.35TB/s (units: B/s, KB/s, MB/s, GB/s, TB/s)";
    case KEY_FRACTION: return "a fraction like 0.92";
    default: return vdc_quantity_expected(quantity_of(kind));
    }
}

/* Writes a value in the key's own units, so that the text parses back to it. */
static void format_value(char *buf, size_t size, const struct gpu_key *k, uint64_t v)
{
    switch (k->kind) {
    case KEY_FRACTION: {
        int digits = v % 10 != 0 ? 3 : v % 100 != 0 ? 2 : 1;
        uint64_t shown = digits == 3 ? v : digits == 2 ? v / 10 : v / 100;
        if (v == 1000)
            snprintf(buf, size, "1");
        else
            snprintf(buf, size, "0.%0*" PRIu64, digits, shown);
        return;
    }
    case KEY_BANDWIDTH: {
        /* In bytes per second, with the largest decimal unit whose fraction stays short. */
        static const struct { const char *name; uint64_t scale; } u[] = {
            {"TB/s", 1000000000000ULL}, {"GB/s", 1000000000ULL}, {"MB/s", 1000000ULL}, {"KB/s", 1000}, {"B/s", 1}};
        for (size_t i = 0; i < sizeof u / sizeof u[0]; i++) {
            if (v >= u[i].scale && (v * 1000 / u[i].scale) * u[i].scale == v * 1000) {
                uint64_t whole = v / u[i].scale, milli = v % u[i].scale * 1000 / u[i].scale;
                if (milli == 0)
                    snprintf(buf, size, "%" PRIu64 "%s", whole, u[i].name);
                else if (milli % 100 == 0)
                    snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%s", whole, milli / 100, u[i].name);
                else if (milli % 10 == 0)
                    snprintf(buf, size, "%" PRIu64 ".%02" PRIu64 "%s", whole, milli / 10, u[i].name);
                else
                    snprintf(buf, size, "%" PRIu64 ".%03" PRIu64 "%s", whole, milli, u[i].name);
                return;
            }
        }
        snprintf(buf, size, "%" PRIu64 "B/s", v);
        return;
    }
    case KEY_FREQUENCY:
        if (v % 10000000 == 0 && v % 1000000000 != 0 && v >= 1000000000) {
            uint64_t centi = v / 10000000;
            if (centi % 10 == 0)
                snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "GHz", centi / 100, centi % 100 / 10);
            else
                snprintf(buf, size, "%" PRIu64 ".%02" PRIu64 "GHz", centi / 100, centi % 100);
            return;
        }
        vdc_format_quantity(buf, size, VDC_QTY_FREQUENCY, v);
        return;
    default: vdc_format_quantity(buf, size, quantity_of(k->kind), v); return;
    }
}

/* Parses a decimal fraction exactly into thousandths ("0.92" -> 920, "1" -> 1000). */
static bool parse_fraction(const char *text, uint64_t *out, struct vdc_error *err)
{
    const char *p = text;
    uint64_t whole = 0, milli = 0;
    if (*p < '0' || *p > '9')
        return vdc_fail(err, "'%s' is not a number", text);
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (uint64_t)(*p - '0');
        if (whole > 1000)
            return vdc_fail(err, "'%s' is too large", text);
    }
    if (*p == '.') {
        p++;
        int digits = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            if (digits >= 3) {
                if (*p != '0')
                    return vdc_fail(err, "'%s' is finer than the resolution of 0.001", text);
                continue;
            }
            milli = milli * 10 + (uint64_t)(*p - '0');
        }
        if (digits == 0)
            return vdc_fail(err, "'%s' has no digits after the decimal point", text);
        for (; digits < 3; digits++)
            milli *= 10;
    }
    if (*p != '\0')
        return vdc_fail(err, "'%s' is not a number", text);
    *out = whole * 1000 + milli;
    return true;
}

/* Edit distance, for "did you mean" on a misspelt key. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

bool gpu_params_set(struct gpu_params *p, const char *key, const char *value, struct vdc_error *err)
{
    const struct gpu_key *k = NULL;
    for (size_t i = 0; i < KEY_TOTAL && k == NULL; i++) {
        if (strcmp(keys[i].key, key) == 0)
            k = &keys[i];
    }
    if (k == NULL) {
        const char *near = NULL;
        size_t best = 4;
        for (size_t i = 0; i < KEY_TOTAL; i++) {
            size_t d = distance(key, keys[i].key);
            if (d < best)
                best = d, near = keys[i].key;
        }
        if (near != NULL)
            return vdc_fail(err, "unknown GPU parameter '%s' (did you mean '%s'?)", key, near);
        return vdc_fail(err, "unknown GPU parameter '%s' (the GPU parameters are listed in docs/higpu.md)", key);
    }
    uint64_t v;
    struct vdc_error why;
    bool ok = k->kind == KEY_FRACTION ? parse_fraction(value, &v, &why)
                                      : vdc_parse_quantity(value, quantity_of(k->kind), &v, &why);
    if (ok && k->kind == KEY_BANDWIDTH) {
        if (v % 8 != 0)
            return vdc_fail(err, "GPU parameter '%s': '%s' is not a whole number of bytes per second", key, value);
        v /= 8;
    }
    if (!ok)
        return vdc_fail(err, "GPU parameter '%s': %s; expected %s", key, why.text, expected_of(k->kind));
    if (v < k->min || v > k->max) {
        char lo[64], hi[64];
        format_value(lo, sizeof lo, k, k->min);
        format_value(hi, sizeof hi, k, k->max);
        return vdc_fail(err, "GPU parameter '%s': %s is out of range; expected %s to %s", key, value, lo, hi);
    }
    set_field(p, k, v);
    return true;
}

void gpu_params_print_keys(FILE *out)
{
    struct gpu_params a, b;
    gpu_params_preset("h100", &a, NULL);
    gpu_params_preset("h200", &b, NULL);
    fputs("| key | value | h100 | h200 | meaning |\n|---|---|---|---|---|\n", out);
    for (size_t i = 0; i < KEY_TOTAL; i++) {
        const struct gpu_key *k = &keys[i];
        char va[64], vb[64];
        format_value(va, sizeof va, k, get_field(&a, k));
        format_value(vb, sizeof vb, k, get_field(&b, k));
        const char *unit = k->kind == KEY_COUNT ? (strncmp(k->key, "latency.", 8) == 0 ||
                                                   strncmp(k->key, "issue.", 6) == 0 || strstr(k->key, "latency") ||
                                                   strstr(k->key, "cycles")
                                                       ? "cycles"
                                                   : strcmp(k->key, "l2_bandwidth") == 0 ? "bytes per cycle"
                                                                                          : "count")
                           : k->kind == KEY_SIZE      ? "size"
                           : k->kind == KEY_FREQUENCY ? "frequency"
                           : k->kind == KEY_BANDWIDTH ? "bytes/s"
                           : k->kind == KEY_TIME      ? "time"
                                                      : "fraction";
        fprintf(out, "| `%s` | %s | `%s` | `%s` | %s |\n", k->key, unit, va, vb, k->doc);
    }
}
