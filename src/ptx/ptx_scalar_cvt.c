/* cvt per lane: integer widths with .sat, float to integer (.rni .rzi .rmi .rpi, clamped, NaN to 0), integer to
 * float, f32/f64 with rounding, and f16/bf16 (single and packed x2) both ways. */
#include <math.h>

#include "ptx/ptx_scalar_impl.h"

#define UNUSED_ARGS (void)insn, (void)a, (void)b, (void)c, (void)carry
#define FN(name) static uint64_t name(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint64_t c, uint32_t *carry)

/* The half formats: P significand bits (with the implicit one), exponent range and bias, total width 16. */
struct small_format {
    int precision, emin, emax, bias;
};
static const struct small_format F16 = {11, -14, 15, 15};
static const struct small_format BF16 = {8, -126, 127, 127};

/* mant * 2^exp2 (mant > 0), with sign `neg`, rounded to the format in mode rnd (any of RN RZ RM RP). Integer
 * arithmetic only, so there is no double rounding whatever the source. */
static uint16_t round_small(const struct small_format *fmt, bool neg, uint64_t mant, int exp2, unsigned rnd)
{
    int p = fmt->precision;
    int msb = 63 - __builtin_clzll(mant);
    int e = exp2 + msb;
    int q = (e > fmt->emin ? e : fmt->emin) - (p - 1); /* exponent of the last kept bit */
    int shift = q - exp2;
    uint64_t n, rem = 0, half = 0;
    if (shift <= 0) {
        n = mant << -shift; /* exact: n < 2^p */
    } else if (shift > 64) {
        n = 0;
        rem = 1; /* below half, not zero */
        half = 2;
    } else {
        n = shift == 64 ? 0 : mant >> shift;
        rem = shift == 64 ? mant : mant & ((UINT64_C(1) << shift) - 1);
        half = UINT64_C(1) << (shift - 1);
    }
    bool inc;
    switch (rnd) {
    case PTX_RND_RZ: inc = false; break;
    case PTX_RND_RM: inc = neg && rem != 0; break;
    case PTX_RND_RP: inc = !neg && rem != 0; break;
    default: inc = rem > half || (rem == half && half != 0 && (n & 1)); break;
    }
    n += inc;
    if (n == (UINT64_C(1) << p)) {
        n >>= 1;
        q += 1;
    }
    int exp_bits = 15 - (p - 1);
    uint16_t sign = neg ? 0x8000 : 0;
    uint16_t inf = (uint16_t)(((1u << exp_bits) - 1) << (p - 1));
    if (n == 0)
        return sign;
    if (n < (UINT64_C(1) << (p - 1))) /* subnormal */
        return sign | (uint16_t)n;
    if (q + p - 1 > fmt->emax) {
        bool to_inf = rnd == PTX_RND_RZ ? false : rnd == PTX_RND_RM ? neg : rnd == PTX_RND_RP ? !neg : true;
        return sign | (to_inf ? inf : (uint16_t)(inf - 1));
    }
    unsigned biased = (unsigned)(q + p - 1 + fmt->bias);
    return sign | (uint16_t)(biased << (p - 1)) | (uint16_t)(n & ((UINT64_C(1) << (p - 1)) - 1));
}

/* f32 or f64 bits to a half format; NaN becomes the canonical half NaN 0x7fff. */
static uint16_t float_to_small(const struct small_format *fmt, uint64_t bits, bool is_f64, unsigned rnd)
{
    bool neg;
    uint64_t mant;
    int exp2;
    uint16_t inf = fmt == &F16 ? 0x7c00 : 0x7f80;
    if (is_f64) {
        neg = bits >> 63;
        unsigned e = (unsigned)(bits >> 52) & 0x7ff;
        mant = bits & UINT64_C(0x000fffffffffffff);
        if (e == 0x7ff)
            return mant ? 0x7fff : (uint16_t)((neg ? 0x8000 : 0) | inf);
        exp2 = e ? (int)e - 1075 : -1074;
        if (e)
            mant |= UINT64_C(1) << 52;
    } else {
        uint32_t u = (uint32_t)bits;
        neg = u >> 31;
        unsigned e = (u >> 23) & 0xff;
        mant = u & 0x7fffffu;
        if (e == 0xff)
            return mant ? 0x7fff : (uint16_t)((neg ? 0x8000 : 0) | inf);
        exp2 = e ? (int)e - 150 : -149;
        if (e)
            mant |= 0x800000u;
    }
    if (mant == 0)
        return neg ? 0x8000 : 0;
    return round_small(fmt, neg, mant, exp2, rnd);
}

uint16_t ptx_scalar_f32_to_f16(float f, unsigned rnd) { return float_to_small(&F16, psc_u32_of(f), false, rnd); }
uint16_t ptx_scalar_f64_to_f16(double d, unsigned rnd) { return float_to_small(&F16, psc_u64_of(d), true, rnd); }
uint16_t ptx_scalar_f64_to_bf16(double d, unsigned rnd) { return float_to_small(&BF16, psc_u64_of(d), true, rnd); }
uint16_t ptx_scalar_f32_to_bf16(float f, unsigned rnd) { return float_to_small(&BF16, psc_u32_of(f), false, rnd); }

float ptx_scalar_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    unsigned e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0x1f)
        return psc_f32(sign | 0x7f800000u | (uint32_t)m << 13);
    if (e == 0) { /* zero or subnormal: m * 2^-24, exact in f32 */
        float v = (float)m * 0x1p-24f;
        return psc_f32(psc_u32_of(v) | sign);
    }
    return psc_f32(sign | (uint32_t)(e + 112) << 23 | (uint32_t)m << 13);
}

float ptx_scalar_bf16_to_f32(uint16_t h) { return psc_f32((uint32_t)h << 16); }

/* Reads a source value of type `t` as a double (exact for every float type and for integers up to 2^53). */
static double source_as_double(enum ptx_type t, uint64_t v, bool ftz)
{
    switch (t) {
    case PTX_T_F16: return ptx_scalar_f16_to_f32((uint16_t)v);
    case PTX_T_BF16: return ptx_scalar_bf16_to_f32((uint16_t)v);
    case PTX_T_F32: return psc_f32(ftz ? psc_flush32((uint32_t)v) : v);
    default: return psc_f64(v);
    }
}

static double round_integral(double x, unsigned rnd)
{
    switch (rnd) {
    case PTX_RND_RZI: return trunc(x);
    case PTX_RND_RMI: return floor(x);
    case PTX_RND_RPI: return ceil(x);
    default: return rint(x); /* the host's mode is round-to-nearest-even */
    }
}

/* An integral double clamped into integer type t (NaN gives 0, as PTX specifies). */
static uint64_t clamp_to_int(double x, enum ptx_type t)
{
    unsigned w = psc_width(t);
    if (x != x)
        return 0;
    if (psc_is_signed(t)) {
        double hi = (double)(UINT64_C(1) << (w - 1)); /* 2^(w-1), exact */
        if (x <= -hi)
            return (uint64_t)(-(int64_t)psc_mask(w - 1) - 1) & psc_mask(w);
        if (x >= hi)
            return psc_mask(w - 1);
        return (uint64_t)(int64_t)x & psc_mask(w);
    }
    if (x <= 0)
        return 0;
    if (x >= (w == 64 ? 0x1p64 : (double)(UINT64_C(1) << w)))
        return psc_mask(w);
    return (uint64_t)x;
}

/* integer <- integer: the source read by its own type, then clamped (.sat) or truncated to the destination. */
FN(cvt_u64_u32) { UNUSED_ARGS; return (uint32_t)a; }
FN(cvt_s64_s32) { UNUSED_ARGS; return (uint64_t)(int64_t)(int32_t)a; }
FN(cvt_u32_u64) { UNUSED_ARGS; return (uint32_t)a; }
FN(cvt_int_int)
{
    UNUSED_ARGS;
    enum ptx_type d = insn->type, s = insn->src_type;
    unsigned dw = psc_width(d), sw = psc_width(s);
    if (!(insn->flags & PTX_FLAG_SAT))
        return (psc_is_signed(s) ? (uint64_t)psc_sext(a, sw) : a & psc_mask(sw)) & psc_mask(dw);
    if (psc_is_signed(s)) {
        int64_t v = psc_sext(a, sw);
        if (psc_is_signed(d)) {
            int64_t hi = (int64_t)psc_mask(dw - 1), lo = -hi - 1;
            return (uint64_t)(v > hi ? hi : v < lo ? lo : v) & psc_mask(dw);
        }
        if (v < 0)
            return 0;
        return (uint64_t)v > psc_mask(dw) ? psc_mask(dw) : (uint64_t)v;
    }
    uint64_t v = a & psc_mask(sw);
    uint64_t hi = psc_is_signed(d) ? psc_mask(dw - 1) : psc_mask(dw);
    return v > hi ? hi : v;
}

/* integer <- float */
FN(cvt_int_float)
{
    UNUSED_ARGS;
    double x = source_as_double(insn->src_type, a, insn->flags & PTX_FLAG_FTZ);
    return clamp_to_int(round_integral(x, insn->rounding), insn->type);
}

/* An f32 result: canonical NaN, then .ftz and .sat. */
static uint64_t float_result(const struct ptx_insn *insn, float r32)
{
    bool ftz = insn->flags & PTX_FLAG_FTZ;
    uint64_t out = ftz ? psc_out32_ftz(r32) : psc_out32(r32);
    return (insn->flags & PTX_FLAG_SAT) ? psc_sat32(out) : out;
}

/* float <- integer */
FN(cvt_float_int)
{
    UNUSED_ARGS;
    enum ptx_type s = insn->src_type;
    unsigned sw = psc_width(s);
    bool sgn = psc_is_signed(s);
    uint64_t v = sgn ? (uint64_t)psc_sext(a, sw) : a & psc_mask(sw);
    unsigned rnd = insn->rounding == PTX_RND_NONE ? PTX_RND_RN : insn->rounding;
    switch (insn->type) {
    case PTX_T_F32:
        return float_result(insn, ptx_scalar_round_int_to_f32(rnd, v, sgn));
    case PTX_T_F64: {
        uint64_t out = psc_out64(ptx_scalar_round_int_to_f64(rnd, v, sgn));
        return (insn->flags & PTX_FLAG_SAT) ? psc_sat64(out) : out;
    }
    default: {
        bool neg = sgn && (int64_t)v < 0;
        uint64_t mag = neg ? 0 - v : v;
        if (mag == 0)
            return 0;
        return round_small(insn->type == PTX_T_F16 ? &F16 : &BF16, neg, mag, 0, rnd);
    }
    }
}

FN(cvt_rn_f32_s32) { UNUSED_ARGS; return psc_u32_of((float)(int32_t)a); }
FN(cvt_rn_f32_u32) { UNUSED_ARGS; return psc_u32_of((float)(uint32_t)a); }
FN(cvt_f64_s32) { UNUSED_ARGS; return psc_u64_of((double)(int32_t)a); }
FN(cvt_f64_u32) { UNUSED_ARGS; return psc_u64_of((double)(uint32_t)a); }
FN(cvt_f64_f32) { UNUSED_ARGS; return psc_out64((double)psc_f32(a)); }
FN(cvt_rn_f32_f64) { UNUSED_ARGS; return psc_out32((float)psc_f64(a)); }

/* float <- float */
FN(cvt_float_float)
{
    UNUSED_ARGS;
    enum ptx_type d = insn->type, s = insn->src_type;
    unsigned rnd = insn->rounding;
    bool integral = rnd >= PTX_RND_RNI;
    bool ftz = insn->flags & PTX_FLAG_FTZ;
    if ((d == PTX_T_F16 || d == PTX_T_BF16) && !integral) {
        const struct small_format *fmt = d == PTX_T_F16 ? &F16 : &BF16;
        if (s == PTX_T_F32 || s == PTX_T_F64)
            return float_to_small(fmt, s == PTX_T_F32 && ftz ? psc_flush32((uint32_t)a) : a, s == PTX_T_F64, rnd);
        return float_to_small(fmt, psc_u32_of((float)source_as_double(s, a, false)), false, rnd);
    }
    double x = source_as_double(s, a, ftz);
    if (integral)
        x = round_integral(x, rnd);
    switch (d) {
    case PTX_T_F64: {
        uint64_t out = psc_out64(x);
        return (insn->flags & PTX_FLAG_SAT) ? psc_sat64(out) : out;
    }
    case PTX_T_F32: {
        float r = s == PTX_T_F64 && !integral ? ptx_scalar_round_f64_to_f32(rnd, x) : (float)x;
        return float_result(insn, r);
    }
    default: /* f16/bf16 from an integral value */
        return float_to_small(d == PTX_T_F16 ? &F16 : &BF16, psc_u64_of(x), true, PTX_RND_RN);
    }
}

/* cvt.rn.f16x2.f32 d, a, b: a converted into the upper half, b into the lower (bf16x2 likewise). */
FN(cvt_x2)
{
    UNUSED_ARGS;
    const struct small_format *fmt = insn->type == PTX_T_F16X2 ? &F16 : &BF16;
    unsigned rnd = insn->rounding;
    return (uint64_t)float_to_small(fmt, (uint32_t)a, false, rnd) << 16 | float_to_small(fmt, (uint32_t)b, false, rnd);
}

static bool is_float(enum ptx_type t)
{
    return t == PTX_T_F16 || t == PTX_T_BF16 || t == PTX_T_F32 || t == PTX_T_F64;
}
static bool is_cvt_int(enum ptx_type t) { return (t >= PTX_T_U8 && t <= PTX_T_S64); }

ptx_scalar_fn ptx_scalar_select_cvt(const struct ptx_insn *insn, const char **why)
{
    enum ptx_type d = insn->type, s = insn->src_type;
    unsigned rnd = insn->rounding;
    bool float_rnd = rnd >= PTX_RND_RN && rnd <= PTX_RND_RP, int_rnd = rnd >= PTX_RND_RNI;
    bool ftz = insn->flags & PTX_FLAG_FTZ;
    if (ftz && s != PTX_T_F32 && d != PTX_T_F32)
        return *why = ".ftz on a cvt with no .f32 side", NULL;
    if (d == PTX_T_F16X2 || d == PTX_T_BF16X2) {
        if (s != PTX_T_F32 || !float_rnd)
            return *why = "packed cvt other than cvt.{rn,rz,rm,rp}.{f16x2,bf16x2}.f32", NULL;
        return cvt_x2;
    }
    if (is_cvt_int(d) && is_cvt_int(s)) {
        if (rnd != PTX_RND_NONE)
            return *why = "rounding on an integer-to-integer cvt", NULL;
        if (insn->flags & PTX_FLAG_SAT)
            return cvt_int_int;
        if ((d == PTX_T_U64 || d == PTX_T_S64) && s == PTX_T_U32)
            return cvt_u64_u32;
        if (d == PTX_T_S64 && s == PTX_T_S32)
            return cvt_s64_s32;
        if ((d == PTX_T_U32 || d == PTX_T_S32) && (s == PTX_T_U64 || s == PTX_T_S64))
            return cvt_u32_u64;
        return cvt_int_int;
    }
    if (is_cvt_int(d) && is_float(s)) {
        if (!int_rnd)
            return *why = "float-to-integer cvt without .rni/.rzi/.rmi/.rpi", NULL;
        return cvt_int_float;
    }
    if (is_float(d) && is_cvt_int(s)) {
        if (!float_rnd)
            return *why = "integer-to-float cvt without .rn/.rz/.rm/.rp", NULL;
        bool plain = rnd == PTX_RND_RN && !(insn->flags & (PTX_FLAG_SAT | PTX_FLAG_FTZ));
        if (plain && d == PTX_T_F32 && s == PTX_T_S32)
            return cvt_rn_f32_s32;
        if (plain && d == PTX_T_F32 && s == PTX_T_U32)
            return cvt_rn_f32_u32;
        if (plain && d == PTX_T_F64 && s == PTX_T_S32)
            return cvt_f64_s32;
        if (plain && d == PTX_T_F64 && s == PTX_T_U32)
            return cvt_f64_u32;
        return cvt_float_int;
    }
    if (is_float(d) && is_float(s)) {
        bool narrowing = psc_width(d) < psc_width(s) || (d == PTX_T_F16 && s == PTX_T_BF16) ||
                         (d == PTX_T_BF16 && s == PTX_T_F16);
        if (narrowing && !float_rnd && !int_rnd)
            return *why = "a narrowing float cvt without .rn/.rz/.rm/.rp", NULL;
        bool plain = !(insn->flags & (PTX_FLAG_SAT | PTX_FLAG_FTZ));
        if (plain && d == PTX_T_F64 && s == PTX_T_F32 && rnd == PTX_RND_NONE)
            return cvt_f64_f32;
        if (plain && d == PTX_T_F32 && s == PTX_T_F64 && rnd == PTX_RND_RN)
            return cvt_rn_f32_f64;
        return cvt_float_float;
    }
    return *why = "cvt between these types", NULL;
}
