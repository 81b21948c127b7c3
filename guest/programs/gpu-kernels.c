/* gpu-kernels: runs vector_add, reductions, tiled GEMM, softmax, histogram and scan on HiGPU and checks each. */
/*
 * Each kernel (guest/kernels, launched as check/gpu_kernel_cases.c launches it) gets inputs from a fixed-seed
 * xorshift64* generator (the same generator and fills as check/gpu_reference.c), and its results are compared
 * with a CPU computation done here, in the guest, bit for bit: the CPU repeats the kernel's operations in their
 * order (tree shapes, shuffles, fma chains). The guest has no libm, so fma.rn.f32 and the fma.rm.f32 of nvcc's
 * expf are computed in software (an exact double product, a sum rounded to odd, then one rounding to float), and
 * ex2.approx.ftz.f32 is HiGPU's own approximation from ptx_approx.h with the .ftz flushes. Each kernel prints
 * one line: its check and its GPU time between two events; the last line is "gpu-kernels: passed" (exit 0)
 * or "gpu-kernels: FAILED" (exit 1).
 */
#include "vdc_gpu.h"
#include "vdc_guest.h"

#include "../../src/ptx/ptx_approx.h"

VDC_PTX_DECLARE(vector_add);
VDC_PTX_DECLARE(reduction);
VDC_PTX_DECLARE(gemm);
VDC_PTX_DECLARE(softmax);
VDC_PTX_DECLARE(histogram);
VDC_PTX_DECLARE(scan);

static int failures;

/* ---- inputs: splitmix64 of the seed, then xorshift64* (check/gpu_reference.c's generator) ---- */

static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    rng_state = z != 0 ? z : 1;
}

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint32_t rng_below(uint32_t bound)
{
    return (uint32_t)(((rng_next() >> 32) * bound) >> 32);
}

/* k / 2^24 in [-1, 1), times `scale` (a power of two, so exact) */
static void fill_f32(float *x, uint32_t n, uint64_t seed, float scale)
{
    rng_seed(seed);
    for (uint32_t i = 0; i < n; i++) {
        int32_t k = (int32_t)(rng_next() >> 39) - (1 << 24);
        x[i] = (float)k / 16777216.0f * scale;
    }
}

/* ---- float helpers without libm ---- */

static uint32_t f32_bits(float f)
{
    return ptx_approx_bits32(f);
}

static float f32_from_bits(uint32_t u)
{
    return ptx_approx_f32(u);
}

/* p + c rounded to odd in double: with 53 bits against float's 24, rounding this once more to float in any
 * mode gives the exact sum's rounding (no double-rounding error). TwoSum finds the error of the nearest sum. */
static double sum_round_odd(double p, double c)
{
    double s = p + c;
    if (s - s != 0.0) /* infinity or NaN */
        return s;
    double bv = s - p;
    double e = (p - (s - bv)) + (c - bv);
    uint64_t u = ptx_approx_bits64(s);
    if (e != 0.0 && (u & 1) == 0) {
        if ((e > 0.0) == (s > 0.0))
            u++; /* the exact sum is further from zero than s */
        else
            u--;
        s = ptx_approx_f64(u);
    }
    return s;
}

/* fma.rn.f32: the product of two floats is exact in double. */
static float fma_rn(float a, float b, float c)
{
    return (float)sum_round_odd((double)a * (double)b, (double)c);
}

/* fma.rm.f32: the nearest float, stepped down one when it is above the exact result. */
static float fma_rm(float a, float b, float c)
{
    double p = (double)a * (double)b, d = sum_round_odd(p, (double)c);
    if (d == 0.0) { /* an exact zero: -0 in this mode unless both addends are zeros of one sign */
        int same_zeros = p == 0.0 && c == 0.0 && (ptx_approx_bits64(p) >> 63) == (f32_bits(c) >> 31);
        return same_zeros ? c : f32_from_bits(0x80000000u);
    }
    float f = (float)d;
    if ((double)f > d) {
        uint32_t u = f32_bits(f);
        if (f > 0.0f)
            u--;
        else if (f == 0.0f)
            u = 0x80000001u;
        else
            u++;
        f = f32_from_bits(u);
    }
    return f;
}

static float max_f32(float a, float b)
{
    return a != a ? b : b != b ? a : a > b ? a : b;
}

static int same_f32(float a, float b)
{
    return f32_bits(a) == f32_bits(b);
}

/* ---- the GPU side ---- */

static void report(const char *name, int ok, uint64_t ps)
{
    char what[64];
    snprintf(what, sizeof what, "%s: results equal the CPU's", name);
    printf("%-40s %s  GPU time %llu.%03llu us\n", what, ok ? "OK" : "FAILED", (unsigned long long)(ps / 1000000),
           (unsigned long long)(ps / 1000 % 1000));
    failures += !ok;
}

static void fail(const char *name, const char *what, struct gpu_device *gpu, int status)
{
    printf("%s: %s: %s: %s\n", name, what, gpu_status_name(status), gpu_error_text(gpu));
    printf("%-40s FAILED\n", name);
    failures++;
}

static int load(struct gpu_device *gpu, struct gpu_module_handle *module, const char *name, const char *ptx,
                uint64_t length)
{
    int status = gpu_module_load(gpu, module, ptx, length);
    if (status != GPU_SUCCESS)
        fail(name, "module not loaded", gpu, status);
    return status == GPU_SUCCESS;
}

static uint64_t device_copy(struct gpu_device *gpu, const void *src, uint64_t bytes)
{
    uint64_t address = 0;
    if (gpu_malloc(gpu, &address, bytes) != GPU_SUCCESS)
        return 0;
    if (src != NULL)
        gpu_memcpy_h2d(gpu, address, src, bytes);
    else
        gpu_memset(gpu, address, 0, bytes);
    return address;
}

static struct gpu_dim3 dim(uint32_t x, uint32_t y)
{
    return (struct gpu_dim3){x, y, 1};
}

/* Events around the launches queued by the caller between timer_start and timer_stop. The queue is idle when the
 * start event is recorded (copies run to completion), so the interval also holds the guest's submission of the
 * first launch (its doorbell exits): about a microsecond on top of the kernel's own time. */
static uint32_t event_start, event_stop;

static void timer_start(struct gpu_device *gpu)
{
    gpu_event_record(gpu, event_start);
}

static int timer_stop(struct gpu_device *gpu, const char *name, uint64_t *ps)
{
    gpu_event_record(gpu, event_stop);
    int status = gpu_event_elapsed_ps(gpu, event_start, event_stop, ps);
    if (status == GPU_SUCCESS)
        status = gpu_synchronize(gpu);
    if (status != GPU_SUCCESS)
        fail(name, "launch", gpu, status);
    return status == GPU_SUCCESS;
}

struct params3 {
    uint64_t a, b;
    int32_t n;
};

static void vector_add(struct gpu_device *gpu)
{
    struct gpu_module_handle module;
    if (!load(gpu, &module, "vector_add", VDC_PTX_TEXT(vector_add), VDC_PTX_LENGTH(vector_add)))
        return;
    const uint32_t n = 100000;
    float *a = vdc_alloc(n * 4, 64), *b = vdc_alloc(n * 4, 64), *c = vdc_alloc(n * 4, 64);
    fill_f32(a, n, 1, 1.0f);
    fill_f32(b, n, 2, 1.0f);
    struct {
        uint64_t a, b, c;
        int32_t n;
    } params = {device_copy(gpu, a, n * 4), device_copy(gpu, b, n * 4), device_copy(gpu, NULL, n * 4), (int32_t)n};
    uint64_t ps;
    timer_start(gpu);
    gpu_launch(gpu, module, "vector_add", dim((n + 255) / 256, 1), dim(256, 1), 0, &params, 28);
    if (!timer_stop(gpu, "vector_add", &ps))
        return;
    gpu_memcpy_d2h(gpu, c, params.c, n * 4);
    int ok = 1;
    for (uint32_t i = 0; i < n; i++)
        ok &= same_f32(c[i], a[i] + b[i]);
    report("vector_add", ok, ps);
    gpu_free(gpu, params.a);
    gpu_free(gpu, params.b);
    gpu_free(gpu, params.c);
    gpu_module_unload(gpu, module);
}

/* reduction.cu's block: strided sums, a shared-memory tree down to 64 values, then warp 0's sh[t] + sh[t + 32]
 * and shfl.down by 16 .. 1 (a lane whose source is past lane 31 keeps its own value). */
static float reduce_block_f32(const float *in, int32_t n, uint32_t grid, uint32_t block, uint32_t b)
{
    static float sh[1024];
    float lane[32], shifted[32];
    for (uint32_t t = 0; t < block; t++) {
        float v = 0.0f;
        for (int64_t i = (int64_t)b * block + t; i < n; i += (int64_t)grid * block)
            v += in[i];
        sh[t] = v;
    }
    for (uint32_t s = block / 2; s >= 64; s >>= 1)
        for (uint32_t t = 0; t < s; t++)
            sh[t] += sh[t + s];
    for (uint32_t l = 0; l < 32; l++)
        lane[l] = sh[l] + sh[l + 32];
    for (uint32_t offset = 16; offset > 0; offset >>= 1) {
        for (uint32_t l = 0; l < 32; l++)
            shifted[l] = l + offset < 32 ? lane[l + offset] : lane[l];
        for (uint32_t l = 0; l < 32; l++)
            lane[l] += shifted[l];
    }
    return lane[0];
}

static void reduce_f32(struct gpu_device *gpu, struct gpu_module_handle module)
{
    const uint32_t n = 100000, grid = 32, block = 256;
    float *in = vdc_alloc(n * 4, 64), partials[32];
    fill_f32(in, n, 3, 1.0f);
    struct params3 params = {device_copy(gpu, in, n * 4), device_copy(gpu, NULL, grid * 4), (int32_t)n};
    uint64_t ps;
    timer_start(gpu);
    gpu_launch(gpu, module, "reduce_sum_f32", dim(grid, 1), dim(block, 1), 0, &params, 20);
    if (!timer_stop(gpu, "reduce_sum_f32", &ps))
        return;
    gpu_memcpy_d2h(gpu, partials, params.b, grid * 4);
    int ok = 1;
    for (uint32_t b = 0; b < grid; b++)
        ok &= same_f32(partials[b], reduce_block_f32(in, (int32_t)n, grid, block, b));
    report("reduce_sum_f32", ok, ps);
    gpu_free(gpu, params.a);
    gpu_free(gpu, params.b);
}

static void reduce_u32(struct gpu_device *gpu, struct gpu_module_handle module)
{
    const uint32_t n = 100003, grid = 40, block = 256;
    uint32_t *in = vdc_alloc(n * 4, 64), got = 0, want = 0;
    rng_seed(7);
    for (uint32_t i = 0; i < n; i++)
        want += in[i] = rng_below(1024);
    struct params3 params = {device_copy(gpu, in, n * 4), device_copy(gpu, NULL, 4), (int32_t)n};
    uint64_t ps;
    timer_start(gpu);
    gpu_launch(gpu, module, "reduce_sum_u32", dim(grid, 1), dim(block, 1), 0, &params, 20);
    if (!timer_stop(gpu, "reduce_sum_u32", &ps))
        return;
    gpu_memcpy_d2h(gpu, &got, params.b, 4);
    report("reduce_sum_u32", got == want, ps);
    gpu_free(gpu, params.a);
    gpu_free(gpu, params.b);
}

static void reductions(struct gpu_device *gpu)
{
    struct gpu_module_handle module;
    if (!load(gpu, &module, "reduction", VDC_PTX_TEXT(reduction), VDC_PTX_LENGTH(reduction)))
        return;
    reduce_f32(gpu, module);
    reduce_u32(gpu, module);
    gpu_module_unload(gpu, module);
}

/* gemm.cu: acc = fma(As[ty][k], Bs[k][tx], acc) over 16-wide tiles, k ascending, padding loaded as 0. */
static void gemm(struct gpu_device *gpu)
{
    struct gpu_module_handle module;
    if (!load(gpu, &module, "gemm_tiled", VDC_PTX_TEXT(gemm), VDC_PTX_LENGTH(gemm)))
        return;
    const int32_t M = 70, N = 53, K = 45;
    float *A = vdc_alloc((size_t)M * K * 4, 64), *B = vdc_alloc((size_t)K * N * 4, 64),
          *C = vdc_alloc((size_t)M * N * 4, 64);
    fill_f32(A, (uint32_t)(M * K), 8, 1.0f);
    fill_f32(B, (uint32_t)(K * N), 9, 1.0f);
    struct {
        uint64_t a, b, c;
        int32_t m, n, k;
    } params = {device_copy(gpu, A, (uint64_t)M * K * 4), device_copy(gpu, B, (uint64_t)K * N * 4),
                device_copy(gpu, NULL, (uint64_t)M * N * 4), M, N, K};
    uint64_t ps;
    timer_start(gpu);
    gpu_launch(gpu, module, "gemm_tiled", dim((uint32_t)(N + 15) / 16, (uint32_t)(M + 15) / 16), dim(16, 16), 0,
               &params, 36);
    if (!timer_stop(gpu, "gemm_tiled", &ps))
        return;
    gpu_memcpy_d2h(gpu, C, params.c, (uint64_t)M * N * 4);
    int ok = 1;
    for (int32_t row = 0; row < M; row++)
        for (int32_t col = 0; col < N; col++) {
            float acc = 0.0f;
            for (int32_t t = 0; t < K; t += 16)
                for (int32_t k = t; k < t + 16; k++) {
                    float a = k < K ? A[row * K + k] : 0.0f;
                    float b = k < K ? B[k * N + col] : 0.0f;
                    acc = fma_rn(a, b, acc);
                }
            ok &= same_f32(C[row * N + col], acc);
        }
    report("gemm_tiled", ok, ps);
    gpu_free(gpu, params.a);
    gpu_free(gpu, params.b);
    gpu_free(gpu, params.c);
    gpu_module_unload(gpu, module);
}

/* cvt.sat.f32.f32: clamped to [0, 1], NaN to 0. */
static float saturate(float x)
{
    if (!(x > 0.0f))
        return 0.0f;
    return x < 1.0f ? x : 1.0f;
}

/* nvcc's expf in softmax.ptx (check/gpu_reference_float.c's gref_expf_parts): j from a saturated, rounded-down
 * fma placed in the low mantissa bits of 2^23 + 2^22 + 1, the reduced argument by two fma, e = ex2.approx.ftz
 * of it, scale = 2^(j - 126) from the low bits shifted into the exponent. */
static void expf_parts(float x, float *e, float *scale)
{
    float t = saturate(fma_rn(x, f32_from_bits(0x3BBB989Du), 0.5f));
    float j = fma_rm(t, f32_from_bits(0x437C0000u) /* 252 */, f32_from_bits(0x4B400001u));
    float k = -(j + f32_from_bits(0xCB40007Fu));
    float r = fma_rn(x, f32_from_bits(0x3FB8AA3Bu), k);
    r = fma_rn(x, f32_from_bits(0x32A57060u), r);
    *scale = f32_from_bits(f32_bits(j) << 23);
    *e = ptx_approx_ftz(ptx_approx_ex2_f32(ptx_approx_ftz(r)));
}

/* softmax.cu per row: strided maxima and a max tree, strided sums fma(e, scale, sum) and a sum tree, then
 * (e * scale) / sum. */
static void softmax_cpu(const float *in, float *out, uint32_t rows, int32_t cols, uint32_t block)
{
    static float sh[1024];
    for (uint32_t row = 0; row < rows; row++) {
        const float *x = in + (size_t)row * cols;
        float *y = out + (size_t)row * cols;
        for (uint32_t t = 0; t < block; t++) {
            float m = f32_from_bits(0xff800000u); /* -infinity */
            for (int64_t c = t; c < cols; c += block)
                m = max_f32(m, x[c]);
            sh[t] = m;
        }
        for (uint32_t s = block / 2; s > 0; s >>= 1)
            for (uint32_t t = 0; t < s; t++)
                sh[t] = max_f32(sh[t], sh[t + s]);
        float m = sh[0], e, scale;
        for (uint32_t t = 0; t < block; t++) {
            float sum = 0.0f;
            for (int64_t c = t; c < cols; c += block) {
                expf_parts(x[c] - m, &e, &scale);
                sum = fma_rn(e, scale, sum);
            }
            sh[t] = sum;
        }
        for (uint32_t s = block / 2; s > 0; s >>= 1)
            for (uint32_t t = 0; t < s; t++)
                sh[t] += sh[t + s];
        for (int32_t c = 0; c < cols; c++) {
            expf_parts(x[c] - m, &e, &scale);
            y[c] = e * scale / sh[0];
        }
    }
}

static void softmax(struct gpu_device *gpu)
{
    struct gpu_module_handle module;
    if (!load(gpu, &module, "softmax_rows", VDC_PTX_TEXT(softmax), VDC_PTX_LENGTH(softmax)))
        return;
    const uint32_t rows = 8, cols = 1000, block = 256, n = rows * cols;
    float *in = vdc_alloc(n * 4, 64), *out = vdc_alloc(n * 4, 64), *want = vdc_alloc(n * 4, 64);
    fill_f32(in, n, 12, 8.0f);
    struct params3 params = {device_copy(gpu, in, n * 4), device_copy(gpu, NULL, n * 4), (int32_t)cols};
    uint64_t ps;
    timer_start(gpu);
    gpu_launch(gpu, module, "softmax_rows", dim(rows, 1), dim(block, 1), 0, &params, 20);
    if (!timer_stop(gpu, "softmax_rows", &ps))
        return;
    gpu_memcpy_d2h(gpu, out, params.b, n * 4);
    softmax_cpu(in, want, rows, (int32_t)cols, block);
    int ok = 1;
    for (uint32_t i = 0; i < n; i++)
        ok &= same_f32(out[i], want[i]);
    report("softmax_rows", ok, ps);
    gpu_free(gpu, params.a);
    gpu_free(gpu, params.b);
    gpu_module_unload(gpu, module);
}

static void histogram(struct gpu_device *gpu)
{
    struct gpu_module_handle module;
    if (!load(gpu, &module, "histogram256", VDC_PTX_TEXT(histogram), VDC_PTX_LENGTH(histogram)))
        return;
    const uint32_t n = 100000;
    uint8_t *data = vdc_alloc(n, 64);
    uint32_t *bins = vdc_alloc(256 * 4, 64), *want = vdc_alloc(256 * 4, 64);
    memset(want, 0, 256 * 4);
    rng_seed(14);
    for (uint32_t i = 0; i < n; i++) {
        /* skewed: half the bytes from 16 values, so that the shared-memory atomics collide */
        uint64_t v = rng_next();
        data[i] = (v >> 63) ? (uint8_t)(v >> 8) : (uint8_t)((v >> 8) & 0x0f);
        want[data[i]]++;
    }
    struct params3 params = {device_copy(gpu, data, n), device_copy(gpu, NULL, 256 * 4), (int32_t)n};
    uint64_t ps;
    timer_start(gpu);
    gpu_launch(gpu, module, "histogram256", dim(16, 1), dim(256, 1), 0, &params, 20);
    if (!timer_stop(gpu, "histogram256", &ps))
        return;
    gpu_memcpy_d2h(gpu, bins, params.b, 256 * 4);
    int ok = 1;
    for (uint32_t i = 0; i < 256; i++)
        ok &= bins[i] == want[i];
    report("histogram256", ok, ps);
    gpu_free(gpu, params.a);
    gpu_free(gpu, params.b);
    gpu_module_unload(gpu, module);
}

/* Three launches: each block's scan and total, the totals scanned by one block, the offsets added. */
static void scan(struct gpu_device *gpu)
{
    struct gpu_module_handle module;
    if (!load(gpu, &module, "scan", VDC_PTX_TEXT(scan), VDC_PTX_LENGTH(scan)))
        return;
    const uint32_t n = 10000, block = 256, blocks = (n + block - 1) / block;
    int32_t *in = vdc_alloc(n * 4, 64), *out = vdc_alloc(n * 4, 64);
    rng_seed(15);
    for (uint32_t i = 0; i < n; i++)
        in[i] = (int32_t)((uint32_t)-1000 + rng_below(2001));
    uint64_t din = device_copy(gpu, in, n * 4), dout = device_copy(gpu, NULL, n * 4),
             dsums = device_copy(gpu, NULL, blocks * 4), doffsets = device_copy(gpu, NULL, blocks * 4);
    struct {
        uint64_t in, out, block_sums;
        int32_t n;
    } pass1 = {din, dout, dsums, (int32_t)n}, sums = {dsums, doffsets, 0, (int32_t)blocks};
    struct params3 pass2 = {dout, doffsets, (int32_t)n};
    uint64_t ps;
    timer_start(gpu);
    gpu_launch(gpu, module, "scan_block_i32", dim(blocks, 1), dim(block, 1), 2 * block * 4, &pass1, 28);
    gpu_launch(gpu, module, "scan_block_i32", dim(1, 1), dim(64, 1), 2 * 64 * 4, &sums, 28);
    gpu_launch(gpu, module, "scan_add_offsets_i32", dim(blocks, 1), dim(block, 1), 0, &pass2, 20);
    if (!timer_stop(gpu, "scan", &ps))
        return;
    gpu_memcpy_d2h(gpu, out, dout, n * 4);
    uint32_t s = 0; /* wraps as add.s32 does */
    int ok = 1;
    for (uint32_t i = 0; i < n; i++) {
        s += (uint32_t)in[i];
        ok &= out[i] == (int32_t)s;
    }
    report("scan", ok, ps);
    gpu_free(gpu, din);
    gpu_free(gpu, dout);
    gpu_free(gpu, dsums);
    gpu_free(gpu, doffsets);
    gpu_module_unload(gpu, module);
}

int main(void);
int main(void)
{
    int status;
    struct gpu_device *gpu = vdc_gpu_open(0, &status);
    if (gpu == NULL) {
        printf("gpu-kernels: %s\n", gpu_status_name(status));
        printf("gpu-kernels: FAILED\n");
        return 1;
    }
    gpu_event_create(gpu, &event_start);
    gpu_event_create(gpu, &event_stop);
    vector_add(gpu);
    reductions(gpu);
    gemm(gpu);
    softmax(gpu);
    histogram(gpu);
    scan(gpu);
    printf("gpu-kernels: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
