/* CPU references of the HiGPU kernels in guest/kernels: what each kernel leaves in memory, bit for bit. */
#ifndef VDC_CHECK_GPU_REFERENCE_H
#define VDC_CHECK_GPU_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

/* Each reference repeats its kernel's floating-point operations in the order of the committed PTX
 * (guest/kernels/NAME.ptx), fused where nvcc emitted fma.rn.f32 and separate where it emitted mul/add (this file
 * is compiled with -ffp-contract=off). The PTX is taken literally, as HiGPU runs it: on silicon ptxas may still
 * fuse an unmarked mul.f32 + add.f32, so a real GPU can differ from these in the last bits. */

/* Deterministic inputs: xorshift64* from a fixed seed, the same on every machine. */
struct gref_rng {
    uint64_t state;
};
void gref_rng_seed(struct gref_rng *rng, uint64_t seed);
uint64_t gref_rng_next(struct gref_rng *rng);
uint32_t gref_rng_below(struct gref_rng *rng, uint32_t bound); /* uniform in [0, bound), bound > 0 */

/* Floats in [-1, 1) with a full 24-bit mantissa's worth of random bits: sums round. */
void gref_fill_f32_uniform(float *x, size_t n, uint64_t seed);
/* Floats k / 4096, k in [-4096, 4096): sums of up to 2048 of them are exact in float, in any order. */
void gref_fill_f32_dyadic(float *x, size_t n, uint64_t seed);
/* Floats in [-8, 8): softmax inputs, whose exponentials stay far from overflow and underflow. */
void gref_fill_f32_wide(float *x, size_t n, uint64_t seed);
void gref_fill_u32_below(uint32_t *x, size_t n, uint64_t seed, uint32_t bound);
void gref_fill_i32_range(int32_t *x, size_t n, uint64_t seed, int32_t lo, int32_t hi); /* in [lo, hi] */
void gref_fill_bytes(uint8_t *x, size_t n, uint64_t seed);
/* next[] as one cycle through all n entries (Sattolo's shuffle), so a pointer chase never settles in a loop. */
void gref_fill_chase(uint32_t *next, size_t n, uint64_t seed);
/* Vote inputs by warp (32 entries): warp w % 3 == 0 all positive, 1 all non-positive, 2 mixed at random. */
void gref_fill_vote(int32_t *x, size_t n, uint64_t seed);

/* vector_add: c = a + b. */
void gref_vector_add(const float *a, const float *b, float *c, size_t n);

/* reduce_sum_f32 with `grid` blocks of `block` threads (a power of two in [64, 1024]): partials[grid]. */
void gref_reduce_sum_f32(const float *in, int32_t n, uint32_t grid, uint32_t block, float *partials);
/* reduce_sum_f32_atomic's *out from 0.0f, blocks committing in ascending order (any order when grid <= 2). */
float gref_reduce_sum_f32_atomic(const float *in, int32_t n, uint32_t grid, uint32_t block);
/* reduce_sum_u32's *out added to `start`: the sum modulo 2^32, the same in any order. */
uint32_t gref_reduce_sum_u32(const uint32_t *in, int32_t n, uint32_t start);

/* gemm_tiled: C (M x N) = A (M x K) * B (K x N), row-major, in the kernel's tile order. */
void gref_gemm_tiled(const float *A, const float *B, float *C, int32_t M, int32_t N, int32_t K);

/* softmax_rows over `rows` rows of `cols`, with `block` threads per row (a power of two <= 1024). */
void gref_softmax_rows(const float *in, float *out, uint32_t rows, int32_t cols, uint32_t block);
/* nvcc's expf as the softmax PTX computes it, in two parts: e * scale == expf(x), scale a power of two. */
void gref_expf_parts(float x, float *e, float *scale);
float gref_expf(float x);
/* ex2.approx.ftz.f32. Whether it is bit-exact with the GPU's: see gpu_reference_float.c. */
float gref_ex2_approx_ftz_f32(float x);
extern const int gref_ex2_is_exact;
/* fma.rm.f32: a * b + c rounded once, toward minus infinity. */
float gref_fma_rm_f32(float a, float b, float c);

/* histogram256: bins[256] += counts of each byte value. */
void gref_histogram256(const uint8_t *data, int32_t n, uint32_t *bins);

/* scan_block_i32 with blocks of `block` threads: each block's own inclusive scan, and each block's total
 * (padding past n counts 0) into block_sums when it is not NULL. */
void gref_scan_block_i32(const int32_t *in, int32_t *out, int32_t *block_sums, int32_t n, uint32_t block);
/* The whole inclusive prefix sum (modulo 2^32), which the three-launch scan produces. */
void gref_scan_inclusive_i32(const int32_t *in, int32_t *out, int32_t n);

/* fma_bound: out[gid] for every one of `threads` threads. */
void gref_fma_bound(float *out, uint32_t threads, float a, float b, int32_t iters);

/* pointer_chase: out[gid] = next applied `steps` times to gid, for `threads` threads. */
void gref_pointer_chase(const uint32_t *next, uint32_t *out, uint32_t threads, int32_t steps);

/* atomics_mix: counters[6] and *dsum after the kernel from the given starting values. */
void gref_atomics_mix(const int32_t *vals, int32_t n, int32_t *counters, double *dsum);
/* The starting counters the cases use: 0, INT32_MAX, INT32_MIN, 0, 0, 0. */
void gref_atomics_start(int32_t *counters);

/* warp_vote with `threads` threads (whole warps): ballots, all and any flags per warp. */
void gref_warp_vote(const int32_t *in, int32_t n, uint32_t threads, uint32_t *ballots, int32_t *all_flags,
                    int32_t *any_flags);

/* transpose2d: out (cols x rows) = in (rows x cols) transposed. */
void gref_transpose2d(const float *in, float *out, int32_t rows, int32_t cols);

/* grid3d_ids: two words per thread of the grid (gx, gy, gz) x block (bx, by, bz). */
void gref_grid3d_ids(uint32_t *out, const uint32_t grid[3], const uint32_t block[3]);

#endif
