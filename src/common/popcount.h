/* Population counts without a library call: the build targets baseline x86-64, where __builtin_popcount becomes a
 * call into libgcc's table loop, and the GPU model counts lanes and sectors on its hottest paths. */
#ifndef VDC_COMMON_POPCOUNT_H
#define VDC_COMMON_POPCOUNT_H

#include <stdint.h>

/* Bits set in v, counted in parallel within the word (pairs, nibbles, then bytes summed by one multiply). */
static inline uint32_t vdc_popcount64(uint64_t v)
{
    v = v - ((v >> 1) & 0x5555555555555555ull);
    v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
    v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (uint32_t)((v * 0x0101010101010101ull) >> 56);
}

static inline uint32_t vdc_popcount32(uint32_t v)
{
    v = v - ((v >> 1) & 0x55555555u);
    v = (v & 0x33333333u) + ((v >> 2) & 0x33333333u);
    v = (v + (v >> 4)) & 0x0f0f0f0fu;
    return (v * 0x01010101u) >> 24;
}

#endif
