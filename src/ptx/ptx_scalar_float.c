/* Floating-point arithmetic per lane: f32/f64 add/sub/mul/fma/div/sqrt/rcp with rounding, ftz, sat; approximate
 * functions; min/max, abs/neg, copysign, testp. */
#include <math.h>

#include "ptx/ptx_approx.h"
#include "ptx/ptx_scalar_impl.h"

#define UNUSED_ARGS (void)insn, (void)a, (void)b, (void)c, (void)carry
#define FN(name) static uint64_t name(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint64_t c, uint32_t *carry)

/* Specialised round-to-nearest forms: the host's SSE unit in its default mode is IEEE round-to-nearest-even,
 * which is what the GPU does. fma is fmaf (correctly rounded in software or by the FMA instruction). */
FN(add_f32_rn) { UNUSED_ARGS; return psc_out32(psc_f32(a) + psc_f32(b)); }
FN(sub_f32_rn) { UNUSED_ARGS; return psc_out32(psc_f32(a) - psc_f32(b)); }
FN(mul_f32_rn) { UNUSED_ARGS; return psc_out32(psc_f32(a) * psc_f32(b)); }
FN(fma_f32_rn) { UNUSED_ARGS; return psc_out32(fmaf(psc_f32(a), psc_f32(b), psc_f32(c))); }
#define F32_FTZ(x) psc_f32(psc_flush32((uint32_t)(x)))
FN(add_f32_rn_ftz) { UNUSED_ARGS; return psc_out32_ftz(F32_FTZ(a) + F32_FTZ(b)); }
FN(sub_f32_rn_ftz) { UNUSED_ARGS; return psc_out32_ftz(F32_FTZ(a) - F32_FTZ(b)); }
FN(mul_f32_rn_ftz) { UNUSED_ARGS; return psc_out32_ftz(F32_FTZ(a) * F32_FTZ(b)); }
FN(fma_f32_rn_ftz) { UNUSED_ARGS; return psc_out32_ftz(fmaf(F32_FTZ(a), F32_FTZ(b), F32_FTZ(c))); }
FN(add_f64_rn) { UNUSED_ARGS; return psc_out64(psc_f64(a) + psc_f64(b)); }
FN(sub_f64_rn) { UNUSED_ARGS; return psc_out64(psc_f64(a) - psc_f64(b)); }
FN(mul_f64_rn) { UNUSED_ARGS; return psc_out64(psc_f64(a) * psc_f64(b)); }
FN(fma_f64_rn) { UNUSED_ARGS; return psc_out64(fma(psc_f64(a), psc_f64(b), psc_f64(c))); }
FN(div_f32_rn) { UNUSED_ARGS; return psc_out32(psc_f32(a) / psc_f32(b)); }
FN(div_f32_rn_ftz) { UNUSED_ARGS; return psc_out32_ftz(F32_FTZ(a) / F32_FTZ(b)); }
FN(rcp_f32_rn) { UNUSED_ARGS; return psc_out32(1.0f / psc_f32(a)); }
FN(rcp_f32_rn_ftz) { UNUSED_ARGS; return psc_out32_ftz(1.0f / F32_FTZ(a)); }
FN(sqrt_f32_rn) { UNUSED_ARGS; return psc_out32(sqrtf(psc_f32(a))); }
FN(sqrt_f32_rn_ftz) { UNUSED_ARGS; return psc_out32_ftz(sqrtf(F32_FTZ(a))); }
FN(div_f64_rn) { UNUSED_ARGS; return psc_out64(psc_f64(a) / psc_f64(b)); }
FN(rcp_f64_rn) { UNUSED_ARGS; return psc_out64(1.0 / psc_f64(a)); }
FN(sqrt_f64_rn) { UNUSED_ARGS; return psc_out64(sqrt(psc_f64(a))); }

static enum psc_fop fop_of(const struct ptx_insn *insn)
{
    switch (insn->opcode) {
    case PTX_OP_ADD: return PSC_FADD;
    case PTX_OP_SUB: return PSC_FSUB;
    case PTX_OP_MUL: return PSC_FMUL;
    case PTX_OP_DIV: return PSC_FDIV;
    case PTX_OP_SQRT: return PSC_FSQRT;
    case PTX_OP_RCP: return PSC_FDIV;
    default: return PSC_FFMA; /* fma, mad */
    }
}

/* Every f32 IEEE operation in any rounding mode, with .ftz and .sat. rcp is 1/a. */
FN(arith_f32)
{
    UNUSED_ARGS;
    bool ftz = insn->flags & PTX_FLAG_FTZ;
    if (ftz) {
        a = psc_flush32((uint32_t)a);
        b = psc_flush32((uint32_t)b);
        c = psc_flush32((uint32_t)c);
    }
    enum psc_fop op = fop_of(insn);
    float x = psc_f32(a), y = psc_f32(b), z = psc_f32(c);
    if (insn->opcode == PTX_OP_RCP) {
        y = x;
        x = 1.0f;
    }
    float r = ptx_scalar_round_f32(op, insn->rounding, x, y, z);
    uint64_t out = ftz ? psc_out32_ftz(r) : psc_out32(r);
    return (insn->flags & PTX_FLAG_SAT) ? psc_sat32(out) : out;
}

FN(arith_f64)
{
    UNUSED_ARGS;
    enum psc_fop op = fop_of(insn);
    double x = psc_f64(a), y = psc_f64(b), z = psc_f64(c);
    if (insn->opcode == PTX_OP_RCP) {
        y = x;
        x = 1.0;
    }
    uint64_t out = psc_out64(ptx_scalar_round_f64(op, insn->rounding, x, y, z));
    return (insn->flags & PTX_FLAG_SAT) ? psc_sat64(out) : out;
}

/* The approximate f32 functions of ptx_approx.h, inputs and results flushed under .ftz. */
FN(approx_f32)
{
    UNUSED_ARGS;
    bool ftz = insn->flags & PTX_FLAG_FTZ;
    float x = ftz ? F32_FTZ(a) : psc_f32(a), y = ftz ? F32_FTZ(b) : psc_f32(b), r;
    switch (insn->opcode) {
    case PTX_OP_EX2: r = ptx_approx_ex2_f32(x); break;
    case PTX_OP_LG2: r = ptx_approx_lg2_f32(x); break;
    case PTX_OP_SIN: r = ptx_approx_sin_f32(x); break;
    case PTX_OP_COS: r = ptx_approx_cos_f32(x); break;
    case PTX_OP_TANH: r = ptx_approx_tanh_f32(x); break;
    case PTX_OP_RCP: r = ptx_approx_rcp_f32(x); break;
    case PTX_OP_RSQRT: r = ptx_approx_rsqrt_f32(x); break;
    case PTX_OP_SQRT: r = ptx_approx_sqrt_f32(x); break;
    default:
        r = (insn->flags & PTX_FLAG_FULL) ? ptx_approx_div_full_f32(x, y) : ptx_approx_div_approx_f32(x, y);
        break;
    }
    return ftz ? psc_out32_ftz(r) : psc_out32(r);
}

FN(rcp_approx_ftz_f64) { UNUSED_ARGS; return psc_out64(ptx_approx_rcp_ftz_f64(psc_f64(a))); }
FN(rsqrt_approx_f64)
{
    UNUSED_ARGS;
    double x = psc_f64(a);
    if (insn->flags & PTX_FLAG_FTZ)
        return psc_out64(ptx_approx_ftz64(ptx_approx_rsqrt_f64(ptx_approx_ftz64(x))));
    return psc_out64(ptx_approx_rsqrt_f64(x));
}

/* abs and neg change the sign bit only (NaN payloads pass through, as the GPU does for f64). */
FN(abs_f32) { UNUSED_ARGS; uint32_t u = (uint32_t)a; if (insn->flags & PTX_FLAG_FTZ) u = psc_flush32(u); return u & 0x7fffffffu; }
FN(neg_f32) { UNUSED_ARGS; uint32_t u = (uint32_t)a; if (insn->flags & PTX_FLAG_FTZ) u = psc_flush32(u); return u ^ 0x80000000u; }
FN(abs_f64) { UNUSED_ARGS; return a & ~(UINT64_C(1) << 63); }
FN(neg_f64) { UNUSED_ARGS; return a ^ (UINT64_C(1) << 63); }

/* copysign: b's magnitude with a's sign. */
FN(copysign_f32) { UNUSED_ARGS; return ((uint32_t)b & 0x7fffffffu) | ((uint32_t)a & 0x80000000u); }
FN(copysign_f64)
{
    UNUSED_ARGS;
    uint64_t s = UINT64_C(1) << 63;
    return (b & ~s) | (a & s);
}

/* min/max: a NaN operand yields the other; two NaNs the canonical NaN; -0 orders below +0. */
FN(minmax_f32)
{
    UNUSED_ARGS;
    uint32_t x = (uint32_t)a, y = (uint32_t)b;
    if (insn->flags & PTX_FLAG_FTZ) {
        x = psc_flush32(x);
        y = psc_flush32(y);
    }
    bool xn = psc_isnan32(x), yn = psc_isnan32(y);
    if (xn || yn)
        return xn && yn ? PSC_NAN32 : xn ? y : x;
    float fx = psc_f32(x), fy = psc_f32(y);
    bool is_min = insn->opcode == PTX_OP_MIN;
    if (fx == fy) /* equal, or zeros of either sign */
        return is_min ? (x | y) : (x & y);
    return (fx < fy) == is_min ? x : y;
}

FN(minmax_f64)
{
    UNUSED_ARGS;
    bool xn = psc_isnan64(a), yn = psc_isnan64(b);
    if (xn || yn)
        return xn && yn ? PSC_NAN64 : xn ? b : a;
    double fx = psc_f64(a), fy = psc_f64(b);
    bool is_min = insn->opcode == PTX_OP_MIN;
    if (fx == fy)
        return is_min ? (a | b) : (a & b);
    return (fx < fy) == is_min ? a : b;
}

FN(testp_any)
{
    UNUSED_ARGS;
    bool f64 = insn->type == PTX_T_F64;
    uint64_t exp_mask = f64 ? UINT64_C(0x7ff0000000000000) : 0x7f800000u;
    uint64_t man_mask = f64 ? UINT64_C(0x000fffffffffffff) : 0x007fffffu;
    uint64_t e = a & exp_mask, m = a & man_mask;
    switch (insn->mode) {
    case PTX_MODE_TESTP_FINITE: return e != exp_mask;
    case PTX_MODE_TESTP_INFINITE: return e == exp_mask && m == 0;
    case PTX_MODE_TESTP_NUMBER: return !(e == exp_mask && m != 0);
    case PTX_MODE_TESTP_NOTANUMBER: return e == exp_mask && m != 0;
    case PTX_MODE_TESTP_NORMAL: return e != 0 && e != exp_mask;
    default: return e == 0 && m != 0; /* subnormal */
    }
}

static bool directed(unsigned rnd) { return rnd == PTX_RND_RZ || rnd == PTX_RND_RM || rnd == PTX_RND_RP; }
static bool float_rounding(unsigned rnd) { return rnd == PTX_RND_RN || directed(rnd); }

static ptx_scalar_fn select_f32(const struct ptx_insn *insn, const char **why)
{
    unsigned op = insn->opcode, rnd = insn->rounding;
    uint32_t flags = insn->flags;
    bool ftz = flags & PTX_FLAG_FTZ, sat = flags & PTX_FLAG_SAT, approx = flags & PTX_FLAG_APPROX;
    if (rnd != PTX_RND_NONE && !float_rounding(rnd))
        return *why = "integer rounding (.rni ...) on float arithmetic", NULL;
    if (sat && op != PTX_OP_ADD && op != PTX_OP_SUB && op != PTX_OP_MUL && op != PTX_OP_FMA && op != PTX_OP_MAD)
        return *why = ".sat on this float instruction", NULL;
    switch (op) {
    case PTX_OP_ADD: case PTX_OP_SUB: case PTX_OP_MUL: case PTX_OP_FMA: case PTX_OP_MAD:
        if (approx)
            return *why = ".approx on this instruction", NULL;
        if ((op == PTX_OP_FMA) && rnd == PTX_RND_NONE)
            return *why = "fma.f32 without a rounding modifier", NULL;
        if (sat || directed(rnd))
            return arith_f32;
        switch (op) {
        case PTX_OP_ADD: return ftz ? add_f32_rn_ftz : add_f32_rn;
        case PTX_OP_SUB: return ftz ? sub_f32_rn_ftz : sub_f32_rn;
        case PTX_OP_MUL: return ftz ? mul_f32_rn_ftz : mul_f32_rn;
        default: return ftz ? fma_f32_rn_ftz : fma_f32_rn;
        }
    case PTX_OP_DIV:
        if (approx || (flags & PTX_FLAG_FULL))
            return rnd == PTX_RND_NONE ? approx_f32 : (*why = "rounding on div.approx/div.full", NULL);
        if (rnd == PTX_RND_RN)
            return ftz ? div_f32_rn_ftz : div_f32_rn;
        return float_rounding(rnd) ? arith_f32 : (*why = "div.f32 without .approx, .full or a rounding", NULL);
    case PTX_OP_SQRT:
    case PTX_OP_RCP:
        if (approx)
            return rnd == PTX_RND_NONE ? approx_f32 : (*why = "rounding on .approx", NULL);
        if (rnd == PTX_RND_RN && op == PTX_OP_SQRT)
            return ftz ? sqrt_f32_rn_ftz : sqrt_f32_rn;
        if (rnd == PTX_RND_RN)
            return ftz ? rcp_f32_rn_ftz : rcp_f32_rn;
        return float_rounding(rnd) ? arith_f32 : (*why = "sqrt/rcp.f32 without .approx or a rounding", NULL);
    case PTX_OP_RSQRT: case PTX_OP_EX2: case PTX_OP_LG2: case PTX_OP_SIN: case PTX_OP_COS: case PTX_OP_TANH:
        if (!approx || rnd != PTX_RND_NONE)
            return *why = "this function without .approx", NULL;
        return approx_f32;
    case PTX_OP_ABS: return abs_f32;
    case PTX_OP_NEG: return neg_f32;
    case PTX_OP_MIN: case PTX_OP_MAX: return minmax_f32;
    case PTX_OP_COPYSIGN: return copysign_f32;
    case PTX_OP_TESTP:
        if (insn->mode < PTX_MODE_TESTP_FINITE || insn->mode > PTX_MODE_TESTP_SUBNORMAL)
            return *why = "testp without its operation", NULL;
        return testp_any;
    default:
        return *why = "this opcode on .f32", NULL;
    }
}

static ptx_scalar_fn select_f64(const struct ptx_insn *insn, const char **why)
{
    unsigned op = insn->opcode, rnd = insn->rounding;
    uint32_t flags = insn->flags;
    bool ftz = flags & PTX_FLAG_FTZ, approx = flags & PTX_FLAG_APPROX;
    if (rnd != PTX_RND_NONE && !float_rounding(rnd))
        return *why = "integer rounding (.rni ...) on float arithmetic", NULL;
    if (flags & PTX_FLAG_SAT)
        return *why = ".sat on .f64 arithmetic", NULL;
    if (ftz && !(approx && (op == PTX_OP_RCP || op == PTX_OP_RSQRT)))
        return *why = ".ftz on .f64 (only rcp.approx.ftz.f64 and rsqrt.approx.ftz.f64)", NULL;
    switch (op) {
    case PTX_OP_ADD: case PTX_OP_SUB: case PTX_OP_MUL: case PTX_OP_FMA: case PTX_OP_MAD:
        if (approx)
            return *why = ".approx on this instruction", NULL;
        if ((op == PTX_OP_FMA || op == PTX_OP_MAD) && rnd == PTX_RND_NONE)
            return *why = "fma/mad.f64 without a rounding modifier", NULL;
        if (directed(rnd))
            return arith_f64;
        switch (op) {
        case PTX_OP_ADD: return add_f64_rn;
        case PTX_OP_SUB: return sub_f64_rn;
        case PTX_OP_MUL: return mul_f64_rn;
        default: return fma_f64_rn;
        }
    case PTX_OP_DIV: case PTX_OP_SQRT: case PTX_OP_RCP:
        if (approx && op == PTX_OP_RCP && ftz && rnd == PTX_RND_NONE)
            return rcp_approx_ftz_f64;
        if (rnd == PTX_RND_RN && !approx)
            return op == PTX_OP_DIV ? div_f64_rn : op == PTX_OP_SQRT ? sqrt_f64_rn : rcp_f64_rn;
        return float_rounding(rnd) && !approx ? arith_f64 : (*why = "this .f64 form (it needs a rounding)", NULL);
    case PTX_OP_RSQRT:
        return approx && rnd == PTX_RND_NONE ? rsqrt_approx_f64 : (*why = "rsqrt.f64 without .approx", NULL);
    case PTX_OP_ABS: return abs_f64;
    case PTX_OP_NEG: return neg_f64;
    case PTX_OP_MIN: case PTX_OP_MAX: return minmax_f64;
    case PTX_OP_COPYSIGN: return copysign_f64;
    case PTX_OP_TESTP:
        if (insn->mode < PTX_MODE_TESTP_FINITE || insn->mode > PTX_MODE_TESTP_SUBNORMAL)
            return *why = "testp without its operation", NULL;
        return testp_any;
    default:
        return *why = "this opcode on .f64", NULL;
    }
}

ptx_scalar_fn ptx_scalar_select_float(const struct ptx_insn *insn, const char **why)
{
    if (insn->type == PTX_T_F32)
        return select_f32(insn, why);
    if (insn->type == PTX_T_F64)
        return select_f64(insn, why);
    return ptx_scalar_select_half(insn, why);
}
