/* Per-entity pseudo-random streams: xoshiro256** seeded by splitmix64 from (scenario seed, entity id). */
#ifndef VDC_SCHEDULER_RNG_H
#define VDC_SCHEDULER_RNG_H

#include <stdint.h>

struct vdc_rng {
    uint64_t s[4];
};

/* The stream depends only on (seed, stream_id): never on creation order or on other streams. */
void vdc_rng_seed(struct vdc_rng *rng, uint64_t seed, uint64_t stream_id);

uint64_t vdc_rng_next(struct vdc_rng *rng);

/* Uniform in [0, bound) without modulo bias (Lemire's method); bound 0 returns 0. */
uint64_t vdc_rng_below(struct vdc_rng *rng, uint64_t bound);

/* Uniform double in [0, 1) with 53 random bits. */
double vdc_rng_unit(struct vdc_rng *rng);

/* Exponentially distributed integer with the given mean (inverse transform, rounded down). */
uint64_t vdc_rng_exponential(struct vdc_rng *rng, uint64_t mean);

/* splitmix64's output function: a bijective 64-bit mixer, also used to derive seeds. */
static inline uint64_t vdc_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
