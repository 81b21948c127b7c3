/* PTX's approximate functions (ex2, lg2, sin, cos, tanh, rcp, rsqrt, sqrt, div .approx/.full) in plain C. */
#ifndef VDC_DEVICES_HIGPU_PTX_APPROX_H
#define VDC_DEVICES_HIGPU_PTX_APPROX_H

/* Freestanding and header-only, so that a guest program (no libc, no libm) and the simulator compute the same
 * bits: only IEEE double and float +, -, *, / in round-to-nearest, comparisons, conversions and integer bit work.
 * It must be compiled with SSE arithmetic (x86-64's default) and without floating-point contraction (gcc with
 * -std=c11, or -ffp-contract=off), so that every operation rounds exactly once as written.
 *
 * Each function computes in double with errors near 2^-50 relative, then rounds once to float, so its result is
 * within about half an ulp of the true value: well inside PTX's documented maximum errors (see docs/higpu.md).
 * NaN results here are whatever IEEE produces; the simulator makes them canonical (0x7fffffff) afterwards. */

#include <stdint.h>

static inline uint32_t ptx_approx_bits32(float f)
{
    union { float f; uint32_t u; } v = {.f = f};
    return v.u;
}
static inline float ptx_approx_f32(uint32_t u)
{
    union { uint32_t u; float f; } v = {.u = u};
    return v.f;
}
static inline uint64_t ptx_approx_bits64(double d)
{
    union { double d; uint64_t u; } v = {.d = d};
    return v.u;
}
static inline double ptx_approx_f64(uint64_t u)
{
    union { uint64_t u; double d; } v = {.u = u};
    return v.d;
}

/* A subnormal input or result of an .ftz form becomes a zero of the same sign. */
static inline float ptx_approx_ftz(float x)
{
    uint32_t u = ptx_approx_bits32(x);
    return (u & 0x7f800000u) == 0 ? ptx_approx_f32(u & 0x80000000u) : x;
}
static inline double ptx_approx_ftz64(double x)
{
    uint64_t u = ptx_approx_bits64(x);
    return (u & 0x7ff0000000000000ull) == 0 ? ptx_approx_f64(u & 0x8000000000000000ull) : x;
}

/* round-to-nearest-even integer of |y| < 2^51, by the 1.5 * 2^52 shifter */
static inline double ptx_approx_rint_d(double y)
{
    return (y + 0x1.8p52) - 0x1.8p52;
}

/* 2^y for |y| <= 1000: 2^n exactly (bits) times 2^f, |f| <= 1/2, by the Taylor series of e^(f ln 2) to degree
 * 12 (truncation below 2^-52 relative). */
static inline double ptx_approx_exp2_d(double y)
{
    double n = ptx_approx_rint_d(y);
    double f = y - n;
    double p = 0x1.c3bd650fc2986p-36;
    p = p * f + 0x1.e8cac7351bb25p-32;
    p = p * f + 0x1.e4cf5158b8ecap-28;
    p = p * f + 0x1.b5253d395e7c4p-24;
    p = p * f + 0x1.62c0223a5c824p-20;
    p = p * f + 0x1.ffcbfc588b0c7p-17;
    p = p * f + 0x1.430912f86c787p-13;
    p = p * f + 0x1.5d87fe78a6731p-10;
    p = p * f + 0x1.3b2ab6fba4e77p-7;
    p = p * f + 0x1.c6b08d704a0c0p-5;
    p = p * f + 0x1.ebfbdff82c58fp-3;
    p = p * f + 0x1.62e42fefa39efp-1;
    p = p * f + 1.0;
    int64_t e = (int64_t)n;
    /* split the scale in two so that results down to 2^-2000 and up to 2^2000 stay in range of the factors */
    int64_t e1 = e / 2, e2 = e - e1;
    double s1 = ptx_approx_f64((uint64_t)(e1 + 1023) << 52), s2 = ptx_approx_f64((uint64_t)(e2 + 1023) << 52);
    return p * s1 * s2;
}

/* ex2.approx.f32: 2^x. PTX: max 2 ulp over the full range. */
static inline float ptx_approx_ex2_f32(float x)
{
    if (x != x)
        return x + x;
    if (x >= 128.0f)
        return ptx_approx_f32(0x7f800000u);
    if (x < -160.0f)
        return 0.0f;
    return (float)ptx_approx_exp2_d((double)x);
}

/* log2 of a positive finite normal double m * 2^e: ln m = 2 atanh(s), s = (m - 1)/(m + 1) with m in
 * [sqrt(1/2), sqrt(2)), |s| <= 0.1716, series to s^23 (truncation below 2^-60). */
static inline double ptx_approx_log2_d(double x)
{
    uint64_t u = ptx_approx_bits64(x);
    int64_t e = (int64_t)((u >> 52) & 0x7ff) - 1023;
    double m = ptx_approx_f64((u & 0x000fffffffffffffull) | 0x3ff0000000000000ull);
    if (m > 0x1.6a09e667f3bcdp+0) { /* sqrt(2) */
        m = m * 0.5;
        e += 1;
    }
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double p = 0x1.642c8590b2164p-5;          /* 1/23 */
    p = p * s2 + 0x1.8618618618618p-5;        /* 1/21 */
    p = p * s2 + 0x1.af286bca1af28p-5;        /* 1/19 */
    p = p * s2 + 0x1.e1e1e1e1e1e1ep-5;        /* 1/17 */
    p = p * s2 + 0x1.1111111111111p-4;        /* 1/15 */
    p = p * s2 + 0x1.3b13b13b13b14p-4;        /* 1/13 */
    p = p * s2 + 0x1.745d1745d1746p-4;        /* 1/11 */
    p = p * s2 + 0x1.c71c71c71c71cp-4;        /* 1/9 */
    p = p * s2 + 0x1.2492492492492p-3;        /* 1/7 */
    p = p * s2 + 0x1.999999999999ap-3;        /* 1/5 */
    p = p * s2 + 0x1.5555555555555p-2;        /* 1/3 */
    p = p * s2 + 1.0;
    /* log2(m) = 2 s p / ln 2 */
    return (double)e + (s * p) * 0x1.71547652b82fep+1;
}

/* lg2.approx.f32: log2(x). PTX: max absolute error 2^-22.6 (relative 2^-22 for results far from 0). */
static inline float ptx_approx_lg2_f32(float x)
{
    if (x != x)
        return x + x;
    if (x == 0.0f)
        return ptx_approx_f32(0xff800000u);
    if (x < 0.0f)
        return ptx_approx_f32(0x7fffffffu);
    if (x == ptx_approx_f32(0x7f800000u))
        return x;
    return (float)ptx_approx_log2_d((double)x);
}

/* x (a float, finite) reduced by multiples of pi/2: r in about [-pi/4, pi/4] and the quadrant q mod 4.
 * |x| < 2^18: Cody and Waite with pi/2 in three parts (the first two of 33 bits, so k * part is exact).
 * Larger: Payne and Hanek, x's 24-bit significand times a 96-bit window of 2/pi's bits, in integers. */
static inline double ptx_approx_reduce(float x, unsigned *q)
{
    double ax = (double)x;
    if (ax < 0x1p18 && ax > -0x1p18) {
        double k = ptx_approx_rint_d(ax * 0x1.45f306dc9c883p-1);
        double r = ((ax - k * 0x1.921fb54400000p+0) - k * 0x1.0b4611a400000p-34) - k * 0x1.13198a2e03707p-65;
        *q = (unsigned)(int64_t)k & 3;
        return r;
    }
    static const uint64_t two_over_pi[4] = {0xa2f9836e4e441529ull, 0xfc2757d1f534ddc0ull,
                                            0xdb6295993c439041ull, 0xfe5163abdebbc561ull};
    uint32_t u = ptx_approx_bits32(x);
    int neg = (u >> 31) != 0;
    uint64_t m = (u & 0x7fffffu) | 0x800000u;
    int e = (int)((u >> 23) & 0xff) - 150; /* |x| = m * 2^e, e >= -5 here */
    /* W = bits i0 .. i0+95 of 2/pi (bit 1 is the first after the point), i0 = e - 1: the bits of weight
     * >= 4 after multiplying by 2^e contribute multiples of 4 and drop out. */
    int i0 = e - 1;
    uint64_t whi = 0, wlo = 0; /* 32 + 64 bits */
    for (int k = 0; k < 96; k++) {
        int i = i0 + k;
        uint64_t bit = 0;
        if (i >= 1 && i <= 256)
            bit = (two_over_pi[(i - 1) / 64] >> (63 - (i - 1) % 64)) & 1;
        if (k < 32)
            whi = whi << 1 | bit;
        else
            wlo = wlo << 1 | bit;
    }
    /* |x| * 2/pi mod 4 = m * W * 2^-94 */
    unsigned __int128 p = (unsigned __int128)m * wlo + ((unsigned __int128)(m * whi) << 64);
    unsigned quad = (unsigned)(p >> 94) & 3;
    uint64_t frac = (uint64_t)(p >> 30); /* the top 64 of the 94 fraction bits */
    int64_t sfrac = (int64_t)frac;  /* >= 1/2 reads as negative: the next quadrant minus the rest */
    if (sfrac < 0)
        quad += 1;
    double r = (double)sfrac * 0x1p-64 * 0x1.921fb54442d18p+0;
    if (neg) {
        r = -r;
        quad = (4 - (quad & 3)) & 3;
    }
    *q = quad & 3;
    return r;
}

/* sin and cos of |r| <= pi/4 + a little: Taylor series to r^19 and r^20 (truncation below 2^-60). */
static inline double ptx_approx_sin_poly(double r)
{
    double r2 = r * r;
    double p = -0x1.2f49b46814157p-57;  /* -1/19! */
    p = p * r2 + 0x1.952c77030ad4ap-49; /* 1/17! */
    p = p * r2 - 0x1.ae7f3e733b81fp-41; /* 1/15! */
    p = p * r2 + 0x1.6124613a86d09p-33; /* 1/13! */
    p = p * r2 - 0x1.ae64567f544e4p-26; /* 1/11! */
    p = p * r2 + 0x1.71de3a556c734p-19; /* 1/9! */
    p = p * r2 - 0x1.a01a01a01a01ap-13; /* 1/7! */
    p = p * r2 + 0x1.1111111111111p-7;  /* 1/5! */
    p = p * r2 - 0x1.5555555555555p-3;  /* 1/3! */
    return r + (r * r2) * p;
}

static inline double ptx_approx_cos_poly(double r)
{
    double r2 = r * r;
    double p = 0x1.e542ba4020225p-62;   /* 1/20! */
    p = p * r2 - 0x1.6827863b97d97p-53; /* 1/18! */
    p = p * r2 + 0x1.ae7f3e733b81fp-45; /* 1/16! */
    p = p * r2 - 0x1.93974a8c07c9dp-37; /* 1/14! */
    p = p * r2 + 0x1.1eed8eff8d898p-29; /* 1/12! */
    p = p * r2 - 0x1.27e4fb7789f5cp-22; /* 1/10! */
    p = p * r2 + 0x1.a01a01a01a01ap-16; /* 1/8! */
    p = p * r2 - 0x1.6c16c16c16c17p-10; /* 1/6! */
    p = p * r2 + 0x1.5555555555555p-5;  /* 1/4! */
    p = p * r2 - 0x1p-1;                /* 1/2! */
    return 1.0 + r2 * p;
}

/* sin(x + q pi/2) from the reduced argument. */
static inline double ptx_approx_sin_quadrant(double r, unsigned q)
{
    switch (q & 3) {
    case 0: return ptx_approx_sin_poly(r);
    case 1: return ptx_approx_cos_poly(r);
    case 2: return -ptx_approx_sin_poly(r);
    default: return -ptx_approx_cos_poly(r);
    }
}

/* sin.approx.f32. PTX: max absolute error 2^-20.9 in [-pi, pi]. This one keeps that bound at every finite x. */
static inline float ptx_approx_sin_f32(float x)
{
    if (x - x != 0.0f) /* NaN or infinity */
        return ptx_approx_f32(0x7fffffffu);
    if (x == 0.0f)
        return x; /* keeps -0 */
    unsigned q;
    double r = ptx_approx_reduce(x, &q);
    return (float)ptx_approx_sin_quadrant(r, q);
}

/* cos.approx.f32. PTX: max absolute error 2^-20.9 in [-pi, pi]. */
static inline float ptx_approx_cos_f32(float x)
{
    if (x - x != 0.0f)
        return ptx_approx_f32(0x7fffffffu);
    unsigned q;
    double r = ptx_approx_reduce(x, &q);
    return (float)ptx_approx_sin_quadrant(r, q + 1);
}

/* tanh.approx.f32. PTX: max relative error 2^-11 (about). |x| < 2^-13: x itself (relative error < 2^-27);
 * up to 0.55: e^(2|x|) - 1 by its Taylor series, then em / (em + 2); beyond: 1 - 2 / (e^(2|x|) + 1); past 10
 * the float result is 1. */
static inline float ptx_approx_tanh_f32(float x)
{
    if (x != x)
        return x + x;
    double ax = x < 0.0f ? -(double)x : (double)x, r;
    if (ax < 0x1p-13)
        return x;
    if (ax < 0.55) {
        double t = 2.0 * ax, p = 0x1.6827863b97d97p-53; /* 1/18! */
        p = p * t + 0x1.952c77030ad4ap-49; /* 1/17! */
        p = p * t + 0x1.ae7f3e733b81fp-45; /* 1/16! */
        p = p * t + 0x1.ae7f3e733b81fp-41; /* 1/15! */
        p = p * t + 0x1.93974a8c07c9dp-37; /* 1/14! */
        p = p * t + 0x1.6124613a86d09p-33; /* 1/13! */
        p = p * t + 0x1.1eed8eff8d898p-29; /* 1/12! */
        p = p * t + 0x1.ae64567f544e4p-26; /* 1/11! */
        p = p * t + 0x1.27e4fb7789f5cp-22; /* 1/10! */
        p = p * t + 0x1.71de3a556c734p-19; /* 1/9! */
        p = p * t + 0x1.a01a01a01a01ap-16; /* 1/8! */
        p = p * t + 0x1.a01a01a01a01ap-13; /* 1/7! */
        p = p * t + 0x1.6c16c16c16c17p-10; /* 1/6! */
        p = p * t + 0x1.1111111111111p-7;  /* 1/5! */
        p = p * t + 0x1.5555555555555p-5;  /* 1/4! */
        p = p * t + 0x1.5555555555555p-3;  /* 1/3! */
        p = p * t + 0x1p-1;                /* 1/2! */
        p = p * t + 1.0;
        double em = t * p;
        r = em / (em + 2.0);
    } else if (ax < 10.0) {
        double e = ptx_approx_exp2_d(2.0 * ax * 0x1.71547652b82fep+0);
        r = 1.0 - 2.0 / (e + 1.0);
    } else {
        r = 1.0;
    }
    return (float)(x < 0.0f ? -r : r);
}

/* 1/sqrt(y) for a positive normal double: a bit-pattern first guess (3.5% off), then five Newton steps. */
static inline double ptx_approx_rsqrt_d(double y)
{
    double r = ptx_approx_f64(0x5fe6eb50c7b537a9ull - (ptx_approx_bits64(y) >> 1));
    double h = 0.5 * y;
    for (int i = 0; i < 5; i++)
        r = r * (1.5 - h * r * r);
    return r;
}

/* rsqrt.approx.f32. PTX: max relative error 2^-22.9. Computed in double, rounded once. */
static inline float ptx_approx_rsqrt_f32(float x)
{
    if (x != x)
        return x + x;
    if (x == 0.0f)
        return 1.0f / x; /* +-inf */
    if (x < 0.0f)
        return ptx_approx_f32(0x7fffffffu);
    if (x == ptx_approx_f32(0x7f800000u))
        return 0.0f;
    return (float)ptx_approx_rsqrt_d((double)x);
}

/* rsqrt.approx.f64: subnormals scaled into range first; relative error near 2^-51 (see docs/higpu.md). */
static inline double ptx_approx_rsqrt_f64(double x)
{
    if (x != x)
        return x + x;
    if (x == 0.0)
        return 1.0 / x;
    if (x < 0.0)
        return ptx_approx_f64(0x7fffffffffffffffull);
    if (x == ptx_approx_f64(0x7ff0000000000000ull))
        return 0.0;
    if (x < 0x1p-1000)
        return ptx_approx_rsqrt_d(x * 0x1p200) * 0x1p100;
    return ptx_approx_rsqrt_d(x);
}

/* sqrt.approx.f32: correctly rounded (so inside PTX's bound): sqrt in double through rsqrt, rounded to float,
 * then moved by one ulp when the exact square of a neighbouring midpoint (25 bits, squared exactly in double)
 * shows the root lies beyond it. */
static inline float ptx_approx_sqrt_f32(float x)
{
    if (x != x)
        return x + x;
    if (x == 0.0f || x == ptx_approx_f32(0x7f800000u))
        return x;
    if (x < 0.0f)
        return ptx_approx_f32(0x7fffffffu);
    double d = (double)x;
    float f = (float)(d * ptx_approx_rsqrt_d(d));
    uint32_t u = ptx_approx_bits32(f);
    double up = ((double)f + (double)ptx_approx_f32(u + 1)) * 0.5;
    double down = ((double)f + (double)ptx_approx_f32(u - 1)) * 0.5;
    if (up * up < d)
        return ptx_approx_f32(u + 1);
    if (down * down > d)
        return ptx_approx_f32(u - 1);
    return f;
}

/* rcp.approx.f32 (PTX: max 1 ulp) and rcp.approx.ftz.f64: the correctly rounded reciprocal. */
static inline float ptx_approx_rcp_f32(float x) { return 1.0f / x; }
static inline double ptx_approx_rcp_ftz_f64(double x) { return ptx_approx_ftz64(1.0 / ptx_approx_ftz64(x)); }

/* div.approx.f32: a * (1/b) as PTX defines it (max 2 ulp for |b| in [2^-126, 2^126]); for |b| beyond 2^126 the
 * reciprocal flushes to zero, so a finite a gives a zero. */
static inline float ptx_approx_div_approx_f32(float a, float b)
{
    float ab = b < 0.0f ? -b : b;
    if (ab > 0x1p126f && ab != ptx_approx_f32(0x7f800000u) && a - a == 0.0f) {
        uint32_t s = (ptx_approx_bits32(a) ^ ptx_approx_bits32(b)) & 0x80000000u;
        return ptx_approx_f32(s);
    }
    return a * (1.0f / b);
}

/* div.full.f32: PTX allows 2 ulp over the full range; this one is the correctly rounded quotient. */
static inline float ptx_approx_div_full_f32(float a, float b) { return a / b; }

#endif
