/* Directed rounding (.rz .rm .rp): IEEE operations done by the host's SSE unit in the requested rounding mode. */
#include <fenv.h>
#include <math.h>
#include <xmmintrin.h>

#include "ptx/ptx_scalar_impl.h"

/* This file is built with -frounding-math (see the Makefile), and operands and results pass through volatile
 * objects, so the compiler neither folds nor moves the operations across the mode switches. The mode is the
 * calling thread's MXCSR, restored before returning, so nothing else ever sees it changed. */

/* Operations the SSE unit does inline (add, sub, mul, div, sqrt, conversions) only need MXCSR's rounding field,
 * which is much cheaper to switch than fesetround's x87 and SSE pair. fma may be a libm routine that reads the
 * x87 control word, so it switches both through fesetround. */
static unsigned sse_mode(unsigned rnd)
{
    switch (rnd) {
    case PTX_RND_RZ: return _MM_ROUND_TOWARD_ZERO;
    case PTX_RND_RM: return _MM_ROUND_DOWN;
    case PTX_RND_RP: return _MM_ROUND_UP;
    default: return _MM_ROUND_NEAREST;
    }
}

#define SSE_ROUNDED(rnd, stmt)                                                \
    do {                                                                      \
        unsigned saved_csr = _mm_getcsr();                                    \
        _mm_setcsr((saved_csr & ~(unsigned)_MM_ROUND_MASK) | sse_mode(rnd));  \
        stmt;                                                                 \
        _mm_setcsr(saved_csr);                                                \
    } while (0)

static int host_mode(unsigned rnd)
{
    switch (rnd) {
    case PTX_RND_RZ: return FE_TOWARDZERO;
    case PTX_RND_RM: return FE_DOWNWARD;
    case PTX_RND_RP: return FE_UPWARD;
    default: return FE_TONEAREST;
    }
}

float ptx_scalar_round_f32(enum psc_fop op, unsigned rnd, float a, float b, float c)
{
    volatile float x = a, y = b, z = c, r;
    switch (op) {
    case PSC_FADD: SSE_ROUNDED(rnd, r = x + y); return r;
    case PSC_FSUB: SSE_ROUNDED(rnd, r = x - y); return r;
    case PSC_FMUL: SSE_ROUNDED(rnd, r = x * y); return r;
    case PSC_FDIV: SSE_ROUNDED(rnd, r = x / y); return r;
    case PSC_FSQRT: SSE_ROUNDED(rnd, r = __builtin_sqrtf(x)); return r;
    default: break;
    }
    int saved = fegetround();
    fesetround(host_mode(rnd));
    switch (op) {
    case PSC_FADD: r = x + y; break;
    case PSC_FSUB: r = x - y; break;
    case PSC_FMUL: r = x * y; break;
    case PSC_FDIV: r = x / y; break;
    case PSC_FFMA: r = fmaf(x, y, z); break;
    case PSC_FSQRT: r = sqrtf(x); break;
    default: r = x; break;
    }
    fesetround(saved);
    return r;
}

double ptx_scalar_round_f64(enum psc_fop op, unsigned rnd, double a, double b, double c)
{
    volatile double x = a, y = b, z = c, r;
    switch (op) {
    case PSC_FADD: SSE_ROUNDED(rnd, r = x + y); return r;
    case PSC_FSUB: SSE_ROUNDED(rnd, r = x - y); return r;
    case PSC_FMUL: SSE_ROUNDED(rnd, r = x * y); return r;
    case PSC_FDIV: SSE_ROUNDED(rnd, r = x / y); return r;
    case PSC_FSQRT: SSE_ROUNDED(rnd, r = __builtin_sqrt(x)); return r;
    default: break;
    }
    int saved = fegetround();
    fesetround(host_mode(rnd));
    switch (op) {
    case PSC_FADD: r = x + y; break;
    case PSC_FSUB: r = x - y; break;
    case PSC_FMUL: r = x * y; break;
    case PSC_FDIV: r = x / y; break;
    case PSC_FFMA: r = fma(x, y, z); break;
    case PSC_FSQRT: r = sqrt(x); break;
    default: r = x; break;
    }
    fesetround(saved);
    return r;
}

float ptx_scalar_round_f64_to_f32(unsigned rnd, double a)
{
    volatile double x = a;
    volatile float r;
    int saved = fegetround();
    fesetround(host_mode(rnd));
    r = (float)x;
    fesetround(saved);
    return r;
}

float ptx_scalar_round_int_to_f32(unsigned rnd, uint64_t v, bool is_signed)
{
    volatile uint64_t u = v;
    volatile int64_t s = (int64_t)v;
    volatile float r;
    int saved = fegetround();
    fesetround(host_mode(rnd));
    if (is_signed)
        r = (float)s;
    else
        r = (float)u;
    fesetround(saved);
    return r;
}

double ptx_scalar_round_int_to_f64(unsigned rnd, uint64_t v, bool is_signed)
{
    volatile uint64_t u = v;
    volatile int64_t s = (int64_t)v;
    volatile double r;
    int saved = fegetround();
    fesetround(host_mode(rnd));
    if (is_signed)
        r = (double)s;
    else
        r = (double)u;
    fesetround(saved);
    return r;
}
