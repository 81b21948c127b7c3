/* The HiGPU kernels' CPU references against naive computations, so that a wrong reference cannot pass for right. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../rigs/gpu_reference.h"
#include "../suites.h"

START_TEST(generators_are_pinned_and_in_range)
{
    /* The inputs are part of the tests' expected outputs: these values hold on every machine. */
    struct gref_rng r;
    gref_rng_seed(&r, 1);
    ck_assert_uint_eq(gref_rng_next(&r), UINT64_C(0x4b46a55df3611b9b));
    ck_assert_uint_eq(gref_rng_next(&r), UINT64_C(0xd7e1f1410e763ef4));
    gref_rng_seed(&r, 2);
    ck_assert_uint_ne(gref_rng_next(&r), UINT64_C(0x4b46a55df3611b9b));

    float u[4096], d[4096];
    gref_fill_f32_uniform(u, 4096, 3);
    gref_fill_f32_dyadic(d, 4096, 3);
    ck_assert_float_eq(u[0], 0x1.81c442p-1f);
    ck_assert_float_eq(u[1], -0x1.bd78e4p-2f);
    int negative = 0;
    for (int i = 0; i < 4096; i++) {
        ck_assert(u[i] >= -1.0f && u[i] < 1.0f);
        ck_assert(d[i] >= -1.0f && d[i] < 1.0f);
        ck_assert_float_eq(d[i] * 4096.0f, floorf(d[i] * 4096.0f));
        negative += u[i] < 0;
    }
    ck_assert_int_gt(negative, 1800);
    ck_assert_int_lt(negative, 2300);
}
END_TEST

START_TEST(chase_is_one_cycle)
{
    enum { N = 1000 };
    uint32_t next[N];
    unsigned char seen[N] = {0};
    gref_fill_chase(next, N, 7);
    uint32_t p = 0;
    for (int s = 0; s < N; s++) {
        ck_assert(!seen[p]);
        seen[p] = 1;
        p = next[p];
    }
    ck_assert_uint_eq(p, 0);
    uint32_t out[4];
    gref_pointer_chase(next, out, 4, N);
    for (uint32_t g = 0; g < 4; g++)
        ck_assert_uint_eq(out[g], g); /* a whole lap comes back */
}
END_TEST

START_TEST(gemm_matches_double_gemm)
{
    enum { M = 37, N = 53, K = 29 };
    static float A[M * K], B[K * N], C[M * N];
    gref_fill_f32_uniform(A, M * K, 10);
    gref_fill_f32_uniform(B, K * N, 11);
    gref_gemm_tiled(A, B, C, M, N, K);
    int differ_from_unfused = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double exact = 0, magnitude = 0;
            float unfused = 0.0f;
            for (int k = 0; k < K; k++) {
                exact += (double)A[i * K + k] * B[k * N + j];
                magnitude += fabs((double)A[i * K + k] * B[k * N + j]);
                unfused += A[i * K + k] * B[k * N + j];
            }
            ck_assert_double_le(fabs(C[i * N + j] - exact), K * magnitude * 0x1p-24);
            differ_from_unfused += C[i * N + j] != unfused;
        }
    /* The fused accumulation rounds differently from mul-then-add on a good share of elements. */
    ck_assert_int_gt(differ_from_unfused, M * N / 10);
}
END_TEST

START_TEST(reductions_match_sequential_sums)
{
    enum { N = 3000 };
    static float d[N], u[N];
    gref_fill_f32_dyadic(d, N, 5);
    gref_fill_f32_uniform(u, N, 5);
    double exact_d = 0, exact_u = 0;
    for (int i = 0; i < N; i++) {
        exact_d += d[i];
        exact_u += u[i];
    }
    /* Dyadic inputs sum exactly in any order: every block shape gives the exact total. */
    const uint32_t shapes[][2] = {{1, 64}, {7, 64}, {3, 1024}, {5, 128}, {2, 256}};
    for (unsigned s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        float partials[8];
        gref_reduce_sum_f32(d, N, shapes[s][0], shapes[s][1], partials);
        double total = 0;
        for (uint32_t b = 0; b < shapes[s][0]; b++)
            total += partials[b];
        ck_assert_double_eq(total, exact_d);
        ck_assert_double_eq(gref_reduce_sum_f32_atomic(d, N, shapes[s][0], shapes[s][1]), exact_d);
        ck_assert_double_le(fabs(gref_reduce_sum_f32_atomic(u, N, shapes[s][0], shapes[s][1]) - exact_u),
                            N * 0x1p-24);
    }
    uint32_t v[N];
    gref_fill_u32_below(v, N, 6, 1024);
    uint64_t sum = 0;
    for (int i = 0; i < N; i++)
        sum += v[i];
    ck_assert_uint_eq(gref_reduce_sum_u32(v, N, 5), (uint32_t)(sum + 5));
}
END_TEST

START_TEST(scan_passes_compose_to_the_prefix_sum)
{
    enum { N = 10000, BLOCK = 256, BLOCKS = (N + BLOCK - 1) / BLOCK };
    static int32_t in[N], out[N], whole[N];
    int32_t sums[BLOCKS], offsets[BLOCKS];
    gref_fill_i32_range(in, N, 15, -1000, 1000);
    gref_scan_block_i32(in, out, sums, N, BLOCK);
    gref_scan_inclusive_i32(sums, offsets, BLOCKS);
    for (int i = BLOCK; i < N; i++) /* what scan_add_offsets_i32 does */
        out[i] += offsets[i / BLOCK - 1];
    int64_t s = 0;
    for (int i = 0; i < N; i++) {
        s += in[i];
        ck_assert_int_eq(out[i], s);
    }
    gref_scan_inclusive_i32(in, whole, N);
    ck_assert_mem_eq(whole, out, sizeof out);
    ck_assert_int_eq(offsets[BLOCKS - 1], s);
}
END_TEST

START_TEST(histogram_counts_every_byte)
{
    enum { N = 100000 };
    static uint8_t data[N];
    uint32_t bins[256] = {0};
    gref_fill_bytes(data, N, 14);
    gref_histogram256(data, N, bins);
    uint64_t total = 0;
    for (int b = 0; b < 256; b++)
        total += bins[b];
    ck_assert_uint_eq(total, N);
    ck_assert_uint_gt(bins[3], bins[200] * 4); /* the skew: low nibble values are favoured */
}
END_TEST

START_TEST(fma_round_down)
{
    ck_assert_float_eq(gref_fma_rm_f32(1.0f, 1.0f, -0x1p-30f), nextafterf(1.0f, 0.0f));
    ck_assert_float_eq(gref_fma_rm_f32(1.0f, 1.0f, 0x1p-30f), 1.0f);
    ck_assert_float_eq(gref_fma_rm_f32(-1.0f, 1.0f, -0x1p-30f), nextafterf(-1.0f, -2.0f));
    ck_assert_float_eq(fmaf(1.0f, 1.0f, -0x1p-30f), 1.0f); /* the rounding mode was restored */
    /* On expf's domain, t in [0, 1]: the sum lies in [2^23, 2^24), where rounding down is floor. */
    struct gref_rng r;
    gref_rng_seed(&r, 9);
    for (int i = 0; i < 100000; i++) {
        float t = (float)(gref_rng_next(&r) >> 40) * 0x1p-24f;
        float want = (float)(12582913.0 + floor((double)t * 252.0));
        ck_assert_float_eq(gref_fma_rm_f32(t, 252.0f, 12582913.0f), want);
    }
}
END_TEST

START_TEST(expf_sequence_matches_libm)
{
    /* The PTX's expf is accurate to about 2 ulp; a mistake in the reconstructed sequence is off by far more. */
    struct gref_rng r;
    gref_rng_seed(&r, 10);
    for (int i = 0; i < 200000; i++) {
        float x = (float)((int64_t)(gref_rng_next(&r) >> 36) - (INT64_C(1) << 27)) * 0x1p-20f; /* [-128, 128) */
        float got = gref_expf(x), want = expf(x);
        if (want == 0.0f || isinf(want)) {
            ck_assert(got == want || fabsf(got - want) <= 0x1p-126f || (isinf(want) && got > 1e38f));
            continue;
        }
        ck_assert_msg(fabsf(got - want) <= 3.0f * (nextafterf(fabsf(want), INFINITY) - fabsf(want)),
                      "expf(%a): %a, libm %a", x, got, want);
    }
    ck_assert_float_eq(gref_expf(0.0f), 1.0f);
}
END_TEST

START_TEST(softmax_matches_double_softmax)
{
    enum { ROWS = 3, COLS = 300 };
    static float in[ROWS * COLS], out[ROWS * COLS];
    gref_fill_f32_wide(in, ROWS * COLS, 12);
    gref_softmax_rows(in, out, ROWS, COLS, 128);
    for (int r = 0; r < ROWS; r++) {
        double m = -INFINITY, sum = 0, total = 0;
        for (int c = 0; c < COLS; c++)
            m = fmax(m, in[r * COLS + c]);
        for (int c = 0; c < COLS; c++)
            sum += exp((double)in[r * COLS + c] - m);
        for (int c = 0; c < COLS; c++) {
            double want = exp((double)in[r * COLS + c] - m) / sum;
            ck_assert_double_le(fabs(out[r * COLS + c] - want), want * 1e-5);
            total += out[r * COLS + c];
        }
        ck_assert_double_le(fabs(total - 1.0), 1e-5);
    }
}
END_TEST

START_TEST(fma_chains_match_double)
{
    enum { THREADS = 300 };
    float out[THREADS];
    gref_fma_bound(out, THREADS, 0.999f, 0.001f, 256);
    for (int g = 0; g < THREADS; g++) {
        double s = 0;
        for (int j = 0; j < 8; j++) {
            double x = (double)((float)g * 0.001f + (float)j);
            for (int it = 0; it < 256; it++)
                x = x * 0.999f + 0.001f;
            s += x;
        }
        ck_assert_double_le(fabs(out[g] - s), s * 1e-5);
    }
}
END_TEST

START_TEST(atomics_and_votes)
{
    enum { N = 5000 };
    static int32_t vals[N];
    gref_fill_i32_range(vals, N, 19, -1000, 1000);
    int32_t counters[6];
    double dsum = 0;
    gref_atomics_start(counters);
    gref_atomics_mix(vals, N, counters, &dsum);
    int64_t sum = 0;
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (int i = 0; i < N; i++) {
        sum += vals[i];
        lo = vals[i] < lo ? vals[i] : lo;
        hi = vals[i] > hi ? vals[i] : hi;
    }
    ck_assert_int_eq(counters[0], sum);
    ck_assert_int_eq(counters[1], lo);
    ck_assert_int_eq(counters[2], hi);
    ck_assert_int_eq(counters[3], 1);
    ck_assert_int_eq(counters[4], 1);
    ck_assert_int_eq(counters[5], sum);
    ck_assert_double_eq(dsum, (double)sum / 2);

    int32_t in[1000];
    uint32_t ballots[32];
    int32_t all[32], any[32];
    gref_fill_vote(in, 1000, 20);
    gref_warp_vote(in, 1000, 1024, ballots, all, any);
    ck_assert_uint_eq(ballots[0], 0xffffffffu);
    ck_assert(all[0] && any[0]);
    ck_assert_uint_eq(ballots[1], 0);
    ck_assert(!all[1] && !any[1]);
    ck_assert(ballots[2] != 0 && ballots[2] != 0xffffffffu && !all[2] && any[2]);
    gref_warp_vote(in, 970, 1024, ballots, all, any); /* warp 30, all positive, ends at n */
    ck_assert_uint_eq(ballots[30], 0x3ffu);
    ck_assert(!all[30] && any[30]);
}
END_TEST

START_TEST(transpose_and_grid_ids)
{
    enum { R = 10, C = 7 };
    float in[R * C], t[R * C], back[R * C];
    gref_fill_f32_uniform(in, R * C, 21);
    gref_transpose2d(in, t, R, C);
    ck_assert_float_eq(t[3 * R + 2], in[2 * C + 3]);
    gref_transpose2d(t, back, C, R);
    ck_assert_mem_eq(back, in, sizeof in);

    const uint32_t grid[3] = {3, 2, 2}, block[3] = {8, 4, 2};
    uint32_t out[2 * 768];
    gref_grid3d_ids(out, grid, block);
    /* The last thread of the last block, and one in the middle: block (1, 1, 0), thread (5, 2, 1). */
    ck_assert_uint_eq(out[2 * 767], 2u | 1u << 10 | 1u << 20);
    ck_assert_uint_eq(out[2 * 767 + 1], 7u | 3u << 10 | 1u << 20);
    uint32_t id = (1 + 3 * 1) * 64 + 5 + 8 * (2 + 4 * 1);
    ck_assert_uint_eq(out[2 * id], 1u | 1u << 10);
    ck_assert_uint_eq(out[2 * id + 1], 5u | 2u << 10 | 1u << 20);
}
END_TEST


Suite *gpu_reference_suite(void)
{
    Suite *s = suite_create("gpu_reference");
    TCase *tc = tcase_create("references");
    tcase_add_test(tc, generators_are_pinned_and_in_range);
    tcase_add_test(tc, chase_is_one_cycle);
    tcase_add_test(tc, gemm_matches_double_gemm);
    tcase_add_test(tc, reductions_match_sequential_sums);
    tcase_add_test(tc, scan_passes_compose_to_the_prefix_sum);
    tcase_add_test(tc, histogram_counts_every_byte);
    tcase_add_test(tc, fma_round_down);
    tcase_add_test(tc, expf_sequence_matches_libm);
    tcase_add_test(tc, softmax_matches_double_softmax);
    tcase_add_test(tc, fma_chains_match_double);
    tcase_add_test(tc, atomics_and_votes);
    tcase_add_test(tc, transpose_and_grid_ids);
    suite_add_tcase(s, tc);
    return s;
}
