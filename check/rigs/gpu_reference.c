/* The HiGPU kernels' input generators and the references of the kernels without float rounding to repeat. */
#include "gpu_reference.h"

#include <string.h>

void gref_rng_seed(struct gref_rng *rng, uint64_t seed)
{
    /* splitmix64 of the seed, so that small seeds (0, 1, 2) still give unrelated, non-zero states */
    uint64_t z = seed + UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    rng->state = z != 0 ? z : 1;
}

uint64_t gref_rng_next(struct gref_rng *rng)
{
    uint64_t x = rng->state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng->state = x;
    return x * UINT64_C(0x2545f4914f6cdd1d);
}

uint32_t gref_rng_below(struct gref_rng *rng, uint32_t bound)
{
    /* the high 32 bits scaled: bias below 2^-32 per value, irrelevant for test inputs */
    return (uint32_t)(((gref_rng_next(rng) >> 32) * bound) >> 32);
}

void gref_fill_f32_uniform(float *x, size_t n, uint64_t seed)
{
    struct gref_rng r;
    gref_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        /* 25 random bits: sign and 24 bits of magnitude, k / 2^24 in [-1, 1) */
        int32_t k = (int32_t)(gref_rng_next(&r) >> 39) - (1 << 24);
        x[i] = (float)k / 16777216.0f;
    }
}

void gref_fill_f32_dyadic(float *x, size_t n, uint64_t seed)
{
    struct gref_rng r;
    gref_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((int32_t)gref_rng_below(&r, 8192) - 4096) / 4096.0f;
}

void gref_fill_f32_wide(float *x, size_t n, uint64_t seed)
{
    gref_fill_f32_uniform(x, n, seed);
    for (size_t i = 0; i < n; i++)
        x[i] *= 8.0f; /* exact: a power of two */
}

void gref_fill_u32_below(uint32_t *x, size_t n, uint64_t seed, uint32_t bound)
{
    struct gref_rng r;
    gref_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = gref_rng_below(&r, bound);
}

void gref_fill_i32_range(int32_t *x, size_t n, uint64_t seed, int32_t lo, int32_t hi)
{
    struct gref_rng r;
    gref_rng_seed(&r, seed);
    uint32_t span = (uint32_t)hi - (uint32_t)lo + 1u;
    for (size_t i = 0; i < n; i++)
        x[i] = (int32_t)((uint32_t)lo + (span != 0 ? gref_rng_below(&r, span) : (uint32_t)gref_rng_next(&r)));
}

void gref_fill_bytes(uint8_t *x, size_t n, uint64_t seed)
{
    struct gref_rng r;
    gref_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        /* skewed: half the bytes from 16 values, so shared-memory atomics collide as in real histograms */
        uint64_t v = gref_rng_next(&r);
        x[i] = (v >> 63) ? (uint8_t)(v >> 8) : (uint8_t)((v >> 8) & 0x0f);
    }
}

void gref_fill_chase(uint32_t *next, size_t n, uint64_t seed)
{
    struct gref_rng r;
    gref_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        next[i] = (uint32_t)i;
    /* Sattolo: swapping only with earlier entries makes the permutation a single cycle */
    for (size_t i = n; i > 1; i--) {
        uint32_t j = gref_rng_below(&r, (uint32_t)(i - 1));
        uint32_t t = next[i - 1];
        next[i - 1] = next[j];
        next[j] = t;
    }
}

void gref_fill_vote(int32_t *x, size_t n, uint64_t seed)
{
    struct gref_rng r;
    gref_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        int32_t v = (int32_t)gref_rng_below(&r, 1000);
        switch ((i / 32) % 3) {
        case 0: x[i] = v + 1; break;
        case 1: x[i] = -v; break;
        default: x[i] = v - 500; break;
        }
    }
}

void gref_vector_add(const float *a, const float *b, float *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        c[i] = a[i] + b[i];
}

uint32_t gref_reduce_sum_u32(const uint32_t *in, int32_t n, uint32_t start)
{
    uint32_t s = start;
    for (int32_t i = 0; i < n; i++)
        s += in[i];
    return s;
}

void gref_histogram256(const uint8_t *data, int32_t n, uint32_t *bins)
{
    for (int32_t i = 0; i < n; i++)
        bins[data[i]]++;
}

void gref_scan_block_i32(const int32_t *in, int32_t *out, int32_t *block_sums, int32_t n, uint32_t block)
{
    uint32_t blocks = ((uint32_t)n + block - 1) / block;
    for (uint32_t b = 0; b < blocks; b++) {
        uint32_t s = 0; /* unsigned: wraps as the GPU's add.s32 does */
        for (uint32_t t = 0; t < block; t++) {
            int64_t i = (int64_t)b * block + t;
            s += i < n ? (uint32_t)in[i] : 0u;
            if (i < n)
                out[i] = (int32_t)s;
        }
        if (block_sums != NULL)
            block_sums[b] = (int32_t)s;
    }
}

void gref_scan_inclusive_i32(const int32_t *in, int32_t *out, int32_t n)
{
    uint32_t s = 0;
    for (int32_t i = 0; i < n; i++) {
        s += (uint32_t)in[i];
        out[i] = (int32_t)s;
    }
}

void gref_pointer_chase(const uint32_t *next, uint32_t *out, uint32_t threads, int32_t steps)
{
    for (uint32_t g = 0; g < threads; g++) {
        uint32_t p = g;
        for (int32_t s = 0; s < steps; s++)
            p = next[p];
        out[g] = p;
    }
}

void gref_atomics_start(int32_t *counters)
{
    const int32_t start[6] = {0, INT32_MAX, INT32_MIN, 0, 0, 0};
    memcpy(counters, start, sizeof start);
}

void gref_atomics_mix(const int32_t *vals, int32_t n, int32_t *counters, double *dsum)
{
    uint32_t add = (uint32_t)counters[0], cas = (uint32_t)counters[5];
    for (int32_t i = 0; i < n; i++) {
        int32_t v = vals[i];
        add += (uint32_t)v;
        cas += (uint32_t)v;
        if (v < counters[1])
            counters[1] = v;
        if (v > counters[2])
            counters[2] = v;
        if (counters[4] == 0)
            counters[3]++; /* only the first exchange finds 0 */
        counters[4] = 1;
        *dsum += (double)v * 0.5; /* exact: halves of small integers */
    }
    counters[0] = (int32_t)add;
    counters[5] = (int32_t)cas;
}

void gref_warp_vote(const int32_t *in, int32_t n, uint32_t threads, uint32_t *ballots, int32_t *all_flags,
                    int32_t *any_flags)
{
    for (uint32_t w = 0; w < threads / 32; w++) {
        uint32_t ballot = 0;
        for (uint32_t lane = 0; lane < 32; lane++) {
            int64_t i = (int64_t)w * 32 + lane;
            if (i < n && in[i] > 0)
                ballot |= 1u << lane;
        }
        ballots[w] = ballot;
        all_flags[w] = ballot == 0xffffffffu;
        any_flags[w] = ballot != 0;
    }
}

void gref_transpose2d(const float *in, float *out, int32_t rows, int32_t cols)
{
    for (int32_t r = 0; r < rows; r++)
        for (int32_t c = 0; c < cols; c++)
            out[(size_t)c * rows + r] = in[(size_t)r * cols + c];
}

void gref_grid3d_ids(uint32_t *out, const uint32_t grid[3], const uint32_t block[3])
{
    uint32_t threads = block[0] * block[1] * block[2];
    for (uint32_t bz = 0; bz < grid[2]; bz++)
        for (uint32_t by = 0; by < grid[1]; by++)
            for (uint32_t bx = 0; bx < grid[0]; bx++)
                for (uint32_t tz = 0; tz < block[2]; tz++)
                    for (uint32_t ty = 0; ty < block[1]; ty++)
                        for (uint32_t tx = 0; tx < block[0]; tx++) {
                            uint32_t b = bx + grid[0] * (by + grid[1] * bz);
                            uint32_t id = b * threads + tx + block[0] * (ty + block[1] * tz);
                            out[2 * id] = bx | by << 10 | bz << 20;
                            out[2 * id + 1] = tx | ty << 10 | tz << 20;
                        }
}
