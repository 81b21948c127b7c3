/* The HiGPU float kernels' references, each repeating its PTX's operations in their order (see gpu_reference.h). */
#include "gpu_reference.h"
#include "../../src/ptx/ptx_approx.h"

#include <fenv.h>
#include <math.h>
#include <string.h>

static float f32_from_bits(uint32_t b)
{
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static uint32_t f32_bits(float f)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

/* One block of the reduction kernels: its threads' strided sums, the shared-memory tree down to 64 values,
 * then warp 0's sh[t] + sh[t + 32] and shfl.down by 16, 8, 4, 2, 1 (a lane whose source is past lane 31 gets
 * its own value back, as shfl.sync.down with clamp 31 does). Returns lane 0's value. */
static float reduce_block_f32(const float *in, int32_t n, uint32_t grid, uint32_t block, uint32_t b)
{
    float sh[1024];
    for (uint32_t t = 0; t < block; t++) {
        float v = 0.0f;
        for (int64_t i = (int64_t)b * block + t; i < n; i += (int64_t)grid * block)
            v += in[i];
        sh[t] = v;
    }
    for (uint32_t s = block / 2; s >= 64; s >>= 1)
        for (uint32_t t = 0; t < s; t++)
            sh[t] += sh[t + s];
    float lane[32], shifted[32];
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

void gref_reduce_sum_f32(const float *in, int32_t n, uint32_t grid, uint32_t block, float *partials)
{
    for (uint32_t b = 0; b < grid; b++)
        partials[b] = reduce_block_f32(in, n, grid, block, b);
}

float gref_reduce_sum_f32_atomic(const float *in, int32_t n, uint32_t grid, uint32_t block)
{
    float out = 0.0f;
    for (uint32_t b = 0; b < grid; b++)
        out += reduce_block_f32(in, n, grid, block, b);
    return out;
}

/* The PTX's inner loop is 16 fma.rn.f32 per tile, k ascending: acc = fma(As[ty][k], Bs[k][tx], acc). */
void gref_gemm_tiled(const float *A, const float *B, float *C, int32_t M, int32_t N, int32_t K)
{
    for (int32_t row = 0; row < M; row++)
        for (int32_t col = 0; col < N; col++) {
            float acc = 0.0f;
            for (int32_t t = 0; t < K; t += 16)
                for (int32_t k = t; k < t + 16; k++) {
                    float a = k < K ? A[(size_t)row * K + k] : 0.0f;
                    float b = k < K ? B[(size_t)k * N + col] : 0.0f;
                    acc = fmaf(a, b, acc);
                }
            C[(size_t)row * N + col] = acc;
        }
}

float gref_fma_rm_f32(float a, float b, float c)
{
    int saved = fegetround();
    fesetround(FE_DOWNWARD);
    /* Read through volatiles after the mode change and written through one before it is undone: fmaf is a
     * pure built-in to the compiler, which could otherwise evaluate it on either side of fesetround. glibc's
     * fmaf rounds once, in the current rounding mode. */
    volatile float va = a, vb = b, vc = c;
    volatile float r = fmaf(va, vb, vc);
    fesetround(saved);
    return r;
}

/* ex2.approx.ftz.f32: HiGPU's approximation from ptx_approx.h (the same code the executor runs, so the bits
 * agree), with the .ftz flushes of input and result. */
const int gref_ex2_is_exact = 1;

float gref_ex2_approx_ftz_f32(float x)
{
    if (fpclassify(x) == FP_SUBNORMAL)
        x = copysignf(0.0f, x);
    float r = ptx_approx_ex2_f32(x);
    if (fpclassify(r) == FP_SUBNORMAL)
        r = copysignf(0.0f, r);
    return r;
}

/* cvt.sat.f32.f32: clamped to [0, 1], NaN to 0. */
static float saturate(float x)
{
    if (!(x > 0.0f))
        return 0.0f;
    return x < 1.0f ? x : 1.0f;
}

/* nvcc 13's expf (softmax.ptx, the sequence after sub.f32): j = round-down of 252 * sat(x * log2(e) / 252
 * + 0.5) placed in the low mantissa bits of 2^23 + 2^22 + 1; the reduced argument r = x * log2(e) - (j - 126)
 * by two fma (log2(e) split into a float and a small correction); then e = ex2.approx.ftz(r) and
 * scale = 2^(j - 126), made by shifting the low mantissa bits into the exponent. */
void gref_expf_parts(float x, float *e, float *scale)
{
    float t = saturate(fmaf(x, f32_from_bits(0x3BBB989Du), 0.5f));
    float j = gref_fma_rm_f32(t, f32_from_bits(0x437C0000u) /* 252 */, f32_from_bits(0x4B400001u));
    float k = -(j + f32_from_bits(0xCB40007Fu));
    float r = fmaf(x, f32_from_bits(0x3FB8AA3Bu), k);
    r = fmaf(x, f32_from_bits(0x32A57060u), r);
    *scale = f32_from_bits(f32_bits(j) << 23);
    *e = gref_ex2_approx_ftz_f32(r);
}

float gref_expf(float x)
{
    float e, scale;
    gref_expf_parts(x, &e, &scale);
    return e * scale;
}

/* Per row: the block's threads' strided maxima (max.f32), a max tree, strided sums where nvcc fused expf's
 * final multiply into the sum (fma.rn.f32 e, scale, sum), a sum tree, then (e * scale) / sum with div.rn. */
void gref_softmax_rows(const float *in, float *out, uint32_t rows, int32_t cols, uint32_t block)
{
    float sh[1024];
    for (uint32_t row = 0; row < rows; row++) {
        const float *x = in + (size_t)row * cols;
        float *y = out + (size_t)row * cols;
        for (uint32_t t = 0; t < block; t++) {
            float m = -INFINITY;
            for (int64_t c = t; c < cols; c += block)
                m = fmaxf(m, x[c]);
            sh[t] = m;
        }
        for (uint32_t s = block / 2; s > 0; s >>= 1)
            for (uint32_t t = 0; t < s; t++)
                sh[t] = fmaxf(sh[t], sh[t + s]);
        float m = sh[0];
        for (uint32_t t = 0; t < block; t++) {
            float sum = 0.0f, e, scale;
            for (int64_t c = t; c < cols; c += block) {
                gref_expf_parts(x[c] - m, &e, &scale);
                sum = fmaf(e, scale, sum);
            }
            sh[t] = sum;
        }
        for (uint32_t s = block / 2; s > 0; s >>= 1)
            for (uint32_t t = 0; t < s; t++)
                sh[t] += sh[t + s];
        for (int32_t c = 0; c < cols; c++) {
            float e, scale;
            gref_expf_parts(x[c] - m, &e, &scale);
            y[c] = e * scale / sh[0];
        }
    }
}

/* Chains start at (float)gid * 0.001f + j (mul.f32 then add.f32, not fused), take `iters` fma.rn.f32 each,
 * and are added left to right. */
void gref_fma_bound(float *out, uint32_t threads, float a, float b, int32_t iters)
{
    for (uint32_t g = 0; g < threads; g++) {
        float base = (float)(int32_t)g * 0.001f, x[8];
        for (int j = 0; j < 8; j++)
            x[j] = base + (float)j;
        for (int32_t it = 0; it < iters; it++)
            for (int j = 0; j < 8; j++)
                x[j] = fmaf(x[j], a, b);
        float s = x[0];
        for (int j = 1; j < 8; j++)
            s += x[j];
        out[g] = s;
    }
}
