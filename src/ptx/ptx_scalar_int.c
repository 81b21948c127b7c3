/* Integer arithmetic per lane: add/sub/mul/mad (lo, hi, wide), 24-bit forms, sad, div, rem, min, max, abs, neg, carries. */
#include "ptx/ptx_scalar_impl.h"

#define UNUSED_ARGS (void)insn, (void)a, (void)b, (void)c, (void)carry
#define FN(name) static uint64_t name(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint64_t c, uint32_t *carry)

/* Specialised common forms: no switch inside, the operands' high garbage ignored by the casts. */
FN(add_32) { UNUSED_ARGS; return (uint32_t)((uint32_t)a + (uint32_t)b); }
FN(add_64) { UNUSED_ARGS; return a + b; }
FN(sub_32) { UNUSED_ARGS; return (uint32_t)((uint32_t)a - (uint32_t)b); }
FN(sub_64) { UNUSED_ARGS; return a - b; }
FN(mul_lo_32) { UNUSED_ARGS; return (uint32_t)((uint32_t)a * (uint32_t)b); }
FN(mul_lo_64) { UNUSED_ARGS; return a * b; }
FN(mad_lo_32) { UNUSED_ARGS; return (uint32_t)((uint32_t)a * (uint32_t)b + (uint32_t)c); }
FN(mad_lo_64) { UNUSED_ARGS; return a * b + c; }
FN(mul_wide_s32) { UNUSED_ARGS; return (uint64_t)((int64_t)(int32_t)a * (int64_t)(int32_t)b); }
FN(mul_wide_u32) { UNUSED_ARGS; return (uint64_t)(uint32_t)a * (uint32_t)b; }
FN(mad_wide_s32) { UNUSED_ARGS; return (uint64_t)((int64_t)(int32_t)a * (int64_t)(int32_t)b) + c; }
FN(mad_wide_u32) { UNUSED_ARGS; return (uint64_t)(uint32_t)a * (uint32_t)b + c; }
FN(mul_hi_s32) { UNUSED_ARGS; return (uint32_t)((uint64_t)((int64_t)(int32_t)a * (int32_t)b) >> 32); }
FN(mul_hi_u32) { UNUSED_ARGS; return (uint32_t)(((uint64_t)(uint32_t)a * (uint32_t)b) >> 32); }
FN(mul_hi_s64) { UNUSED_ARGS; return (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64); }
FN(mul_hi_u64) { UNUSED_ARGS; return (uint64_t)(((unsigned __int128)a * b) >> 64); }

/* The general form for every width (8/16-bit types and the rarer modes). */
static uint64_t int_mul_mode(const struct ptx_insn *insn, uint64_t a, uint64_t b)
{
    unsigned w = psc_width(insn->type);
    bool s = psc_is_signed(insn->type);
    if (w == 64) {
        if (insn->mode == PTX_MODE_HI)
            return s ? (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64)
                     : (uint64_t)(((unsigned __int128)a * b) >> 64);
        return a * b;
    }
    /* w <= 32: the full product fits in 64 bits. */
    uint64_t p = s ? (uint64_t)(psc_sext(a, w) * psc_sext(b, w)) : (a & psc_mask(w)) * (b & psc_mask(w));
    switch (insn->mode) {
    case PTX_MODE_HI: return (p >> w) & psc_mask(w);
    case PTX_MODE_WIDE: return p & psc_mask(2 * w);
    default: return p & psc_mask(w);
    }
}

FN(mul_any) { UNUSED_ARGS; return int_mul_mode(insn, a, b); }

FN(mad_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    unsigned rw = insn->mode == PTX_MODE_WIDE ? 2 * w : w;
    if (insn->flags & PTX_FLAG_SAT) { /* mad.hi.sat.s32: the sum clamped to s32 */
        int64_t sum = (int64_t)(int32_t)int_mul_mode(insn, a, b) + (int32_t)c;
        return (uint32_t)(sum > INT32_MAX ? INT32_MAX : sum < INT32_MIN ? INT32_MIN : sum);
    }
    return (int_mul_mode(insn, a, b) + c) & psc_mask(rw);
}

FN(add_any) { UNUSED_ARGS; return (a + b) & psc_mask(psc_width(insn->type)); }
FN(sub_any) { UNUSED_ARGS; return (a - b) & psc_mask(psc_width(insn->type)); }

static uint64_t clamp_s32(int64_t v) { return (uint32_t)(v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : v); }
FN(add_sat_s32) { UNUSED_ARGS; return clamp_s32((int64_t)(int32_t)a + (int32_t)b); }
FN(sub_sat_s32) { UNUSED_ARGS; return clamp_s32((int64_t)(int32_t)a - (int32_t)b); }

/* 24-bit multiplies: the low 24 bits of each operand (sign-extended for .s32) give a 48-bit product; .lo is its
 * low 32 bits, .hi bits 16..47. */
static uint64_t mul24(const struct ptx_insn *insn, uint64_t a, uint64_t b)
{
    int64_t p = insn->type == PTX_T_S32 ? psc_sext(a, 24) * psc_sext(b, 24)
                                         : (int64_t)((a & 0xffffff) * (b & 0xffffff));
    return insn->mode == PTX_MODE_HI ? (uint32_t)((uint64_t)p >> 16) : (uint32_t)p;
}
FN(mul24_any) { UNUSED_ARGS; return mul24(insn, a, b); }
FN(mad24_any)
{
    UNUSED_ARGS;
    if (insn->flags & PTX_FLAG_SAT)
        return clamp_s32((int64_t)(int32_t)mul24(insn, a, b) + (int32_t)c);
    return (uint32_t)(mul24(insn, a, b) + c);
}

FN(sad_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    uint64_t diff;
    if (psc_is_signed(insn->type)) {
        int64_t x = psc_sext(a, w), y = psc_sext(b, w);
        diff = x < y ? (uint64_t)y - (uint64_t)x : (uint64_t)x - (uint64_t)y;
    } else {
        uint64_t x = a & psc_mask(w), y = b & psc_mask(w);
        diff = x < y ? y - x : x - y;
    }
    return (c + diff) & psc_mask(w);
}

/* Division by zero gives what the GPU's unsigned reciprocal sequence gives: all ones for unsigned; for signed,
 * the magnitude quotient is all ones and takes the dividend's sign (-1 for a >= 0, 1 for a < 0). INT_MIN / -1
 * wraps to INT_MIN. A remainder by zero is the dividend; INT_MIN % -1 is 0. */
FN(div_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    uint64_t m = psc_mask(w);
    if (!psc_is_signed(insn->type)) {
        uint64_t x = a & m, y = b & m;
        return y == 0 ? m : x / y;
    }
    int64_t x = psc_sext(a, w), y = psc_sext(b, w);
    if (y == 0)
        return (x >= 0 ? UINT64_MAX : 1) & m;
    if (y == -1)
        return (0 - (uint64_t)x) & m;
    return (uint64_t)(x / y) & m;
}

FN(rem_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    uint64_t m = psc_mask(w);
    if (!psc_is_signed(insn->type)) {
        uint64_t x = a & m, y = b & m;
        return y == 0 ? x : x % y;
    }
    int64_t x = psc_sext(a, w), y = psc_sext(b, w);
    if (y == 0)
        return (uint64_t)x & m;
    if (y == -1)
        return 0;
    return (uint64_t)(x % y) & m;
}

FN(min_s32) { UNUSED_ARGS; return (int32_t)a < (int32_t)b ? (uint32_t)a : (uint32_t)b; }
FN(max_s32) { UNUSED_ARGS; return (int32_t)a > (int32_t)b ? (uint32_t)a : (uint32_t)b; }
FN(min_u32) { UNUSED_ARGS; return (uint32_t)a < (uint32_t)b ? (uint32_t)a : (uint32_t)b; }
FN(max_u32) { UNUSED_ARGS; return (uint32_t)a > (uint32_t)b ? (uint32_t)a : (uint32_t)b; }

FN(minmax_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    bool a_less = psc_is_signed(insn->type) ? psc_sext(a, w) < psc_sext(b, w) : (a & psc_mask(w)) < (b & psc_mask(w));
    bool take_a = insn->opcode == PTX_OP_MIN ? a_less : !a_less;
    return (take_a ? a : b) & psc_mask(w);
}

/* abs and neg wrap: abs(INT_MIN) = INT_MIN. */
FN(abs_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    int64_t x = psc_sext(a, w);
    return (x < 0 ? 0 - (uint64_t)x : (uint64_t)x) & psc_mask(w);
}
FN(neg_any) { UNUSED_ARGS; return (0 - a) & psc_mask(psc_width(insn->type)); }

/* Carry chains. CF is the carry out of an addition and the borrow out of a subtraction, as PTX defines
 * subc: d = a - (b + CF). */
static uint64_t add_carry(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint32_t cin, uint32_t *carry)
{
    unsigned w = psc_width(insn->type);
    uint64_t m = psc_mask(w);
    a &= m;
    b &= m;
    uint64_t s = a + b + cin;
    uint32_t cout = w == 64 ? (s < a || (cin && s == a)) : (uint32_t)(s >> w);
    if (insn->flags & PTX_FLAG_CC)
        *carry = cout;
    return s & m;
}

static uint64_t sub_borrow(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint32_t bin, uint32_t *carry)
{
    unsigned w = psc_width(insn->type);
    uint64_t m = psc_mask(w);
    a &= m;
    b &= m;
    uint32_t bout = a < b || (bin && a == b);
    if (insn->flags & PTX_FLAG_CC)
        *carry = bout;
    return (a - b - bin) & m;
}

FN(add_cc) { UNUSED_ARGS; return add_carry(insn, a, b, 0, carry); }
FN(addc) { UNUSED_ARGS; return add_carry(insn, a, b, *carry & 1, carry); }
FN(sub_cc) { UNUSED_ARGS; return sub_borrow(insn, a, b, 0, carry); }
FN(subc) { UNUSED_ARGS; return sub_borrow(insn, a, b, *carry & 1, carry); }
FN(mad_cc) { UNUSED_ARGS; return add_carry(insn, int_mul_mode(insn, a, b), c, 0, carry); }
FN(madc) { UNUSED_ARGS; return add_carry(insn, int_mul_mode(insn, a, b), c, *carry & 1, carry); }

static bool int_type_in(enum ptx_type t, bool allow8, bool allow16)
{
    unsigned w = psc_width(t);
    if (!psc_is_int(t) || t == PTX_T_B8 || t == PTX_T_B16 || t == PTX_T_B32 || t == PTX_T_B64)
        return false;
    return w >= 32 || (w == 16 && allow16) || (w == 8 && allow8);
}

static bool is_32(enum ptx_type t) { return t == PTX_T_U32 || t == PTX_T_S32; }
static bool is_64(enum ptx_type t) { return t == PTX_T_U64 || t == PTX_T_S64; }

ptx_scalar_fn ptx_scalar_select_int(const struct ptx_insn *insn, const char **why)
{
    enum ptx_type t = insn->type;
    unsigned op = insn->opcode;
    uint32_t flags = insn->flags;
    bool cc = flags & PTX_FLAG_CC;
    *why = "this integer type";

    if (op == PTX_OP_ADDC || op == PTX_OP_SUBC || op == PTX_OP_MADC || cc) {
        if (!is_32(t) && !is_64(t))
            return *why = "carry arithmetic on a type other than .u32/.s32/.u64/.s64", NULL;
        if (flags & PTX_FLAG_SAT)
            return *why = ".sat with carry arithmetic", NULL;
        if ((op == PTX_OP_MAD || op == PTX_OP_MADC) && insn->mode != PTX_MODE_LO && insn->mode != PTX_MODE_HI)
            return *why = "mad with carry needs .lo or .hi", NULL;
        switch (op) {
        case PTX_OP_ADD: return add_cc;
        case PTX_OP_ADDC: return addc;
        case PTX_OP_SUB: return sub_cc;
        case PTX_OP_SUBC: return subc;
        case PTX_OP_MAD: return mad_cc;
        case PTX_OP_MADC: return madc;
        default: return *why = ".cc on this opcode", NULL;
        }
    }
    if ((flags & PTX_FLAG_SAT) && !(t == PTX_T_S32 && (op == PTX_OP_ADD || op == PTX_OP_SUB ||
                                                      (op == PTX_OP_MAD && insn->mode == PTX_MODE_HI) ||
                                                      (op == PTX_OP_MAD24 && insn->mode == PTX_MODE_HI))))
        return *why = ".sat on this integer instruction (only add/sub.sat.s32, mad.hi.sat.s32, mad24.hi.sat.s32)",
               NULL;

    switch (op) {
    case PTX_OP_ADD:
    case PTX_OP_SUB:
        if (!int_type_in(t, false, true))
            return NULL;
        if (flags & PTX_FLAG_SAT)
            return op == PTX_OP_ADD ? add_sat_s32 : sub_sat_s32;
        if (is_32(t))
            return op == PTX_OP_ADD ? add_32 : sub_32;
        if (is_64(t))
            return op == PTX_OP_ADD ? add_64 : sub_64;
        return op == PTX_OP_ADD ? add_any : sub_any;
    case PTX_OP_MUL:
    case PTX_OP_MAD: {
        if (!int_type_in(t, false, true))
            return NULL;
        unsigned mode = insn->mode == PTX_MODE_NONE ? PTX_MODE_LO : insn->mode;
        if (mode != PTX_MODE_LO && mode != PTX_MODE_HI && mode != PTX_MODE_WIDE)
            return *why = "mul/mad needs .lo, .hi or .wide", NULL;
        if (mode == PTX_MODE_WIDE && psc_width(t) == 64)
            return *why = ".wide on a 64-bit type", NULL;
        if (insn->mode == PTX_MODE_NONE)
            return *why = "integer mul/mad without .lo, .hi or .wide", NULL;
        bool mad = op == PTX_OP_MAD;
        if (flags & PTX_FLAG_SAT)
            return mad_any;
        if (mode == PTX_MODE_LO && is_32(t))
            return mad ? mad_lo_32 : mul_lo_32;
        if (mode == PTX_MODE_LO && is_64(t))
            return mad ? mad_lo_64 : mul_lo_64;
        if (mode == PTX_MODE_WIDE && t == PTX_T_S32)
            return mad ? mad_wide_s32 : mul_wide_s32;
        if (mode == PTX_MODE_WIDE && t == PTX_T_U32)
            return mad ? mad_wide_u32 : mul_wide_u32;
        if (!mad && mode == PTX_MODE_HI) {
            switch (t) {
            case PTX_T_S32: return mul_hi_s32;
            case PTX_T_U32: return mul_hi_u32;
            case PTX_T_S64: return mul_hi_s64;
            case PTX_T_U64: return mul_hi_u64;
            default: break;
            }
        }
        return mad ? mad_any : mul_any;
    }
    case PTX_OP_MUL24:
    case PTX_OP_MAD24:
        if (!is_32(t))
            return *why = "mul24/mad24 on a type other than .u32/.s32", NULL;
        if (insn->mode != PTX_MODE_LO && insn->mode != PTX_MODE_HI)
            return *why = "mul24/mad24 needs .lo or .hi", NULL;
        return op == PTX_OP_MUL24 ? mul24_any : mad24_any;
    case PTX_OP_SAD:
        return int_type_in(t, false, true) ? sad_any : NULL;
    case PTX_OP_DIV:
        return int_type_in(t, false, true) ? div_any : NULL;
    case PTX_OP_REM:
        return int_type_in(t, false, true) ? rem_any : NULL;
    case PTX_OP_MIN:
    case PTX_OP_MAX:
        if (!int_type_in(t, false, true))
            return NULL;
        if (t == PTX_T_S32)
            return op == PTX_OP_MIN ? min_s32 : max_s32;
        if (t == PTX_T_U32)
            return op == PTX_OP_MIN ? min_u32 : max_u32;
        return minmax_any;
    case PTX_OP_ABS:
    case PTX_OP_NEG:
        if (!psc_is_signed(t) || psc_width(t) < 16)
            return *why = "abs/neg on a type other than .s16/.s32/.s64", NULL;
        return op == PTX_OP_ABS ? abs_any : neg_any;
    default:
        return *why = "this opcode with an integer type", NULL;
    }
}
