/* xoshiro256** (Blackman & Vigna) with splitmix64 seeding, written from the published algorithm. */
#include "scheduler/rng.h"

#include <math.h>

#define LN2 0x1.62e42fefa39efp-1

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

void vdc_rng_seed(struct vdc_rng *rng, uint64_t seed, uint64_t stream_id)
{
    /* Mix seed and id separately so (seed, id) pairs that add up alike still get unrelated streams. */
    uint64_t state = vdc_mix64(seed + GOLDEN_GAMMA) ^ vdc_mix64(~stream_id * GOLDEN_GAMMA);
    for (int i = 0; i < 4; i++) {
        state += GOLDEN_GAMMA;
        rng->s[i] = vdc_mix64(state);
    }
    if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0)
        rng->s[0] = GOLDEN_GAMMA; /* the all-zero state is the one xoshiro cannot leave */
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t vdc_rng_next(struct vdc_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t vdc_rng_below(struct vdc_rng *rng, uint64_t bound)
{
    if (bound == 0)
        return 0;
    unsigned __int128 m = (unsigned __int128)vdc_rng_next(rng) * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = -bound % bound;
        while (low < threshold) {
            m = (unsigned __int128)vdc_rng_next(rng) * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double vdc_rng_unit(struct vdc_rng *rng)
{
    return (double)(vdc_rng_next(rng) >> 11) * 0x1.0p-53;
}

/* Natural log from IEEE basic operations only (frexp is exact), so every machine computes the same
 * bits; libm's log may differ in the last place between library versions. ln(m) = 2 atanh(y). */
static double deterministic_ln(double x)
{
    int exponent;
    double m = frexp(x, &exponent); /* x = m * 2^exponent, m in [0.5, 1) */
    if (m < 0x1.6a09e667f3bcdp-1) { /* keep m in [sqrt(1/2), sqrt(2)) so the series converges fast */
        m *= 2.0;
        exponent--;
    }
    double y = (m - 1.0) / (m + 1.0), y2 = y * y, term = y, sum = 0.0;
    for (int k = 1; k < 40; k += 2) {
        sum += term / k;
        term *= y2;
    }
    return 2.0 * sum + exponent * LN2;
}

uint64_t vdc_rng_exponential(struct vdc_rng *rng, uint64_t mean)
{
    /* 1 - u is in (0, 1], so the log is finite; the result is truncated to an integer. */
    double x = -deterministic_ln(1.0 - vdc_rng_unit(rng)) * (double)mean;
    return x >= 0x1.0p63 ? UINT64_MAX / 2 : (uint64_t)x;
}
