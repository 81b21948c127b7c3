/* Half-precision arithmetic per lane: add/sub/mul/fma, min/max, abs/neg on .f16 and .bf16, and on each half of
 * their .f16x2/.bf16x2 pairs, correctly rounded to nearest even (the only rounding PTX gives them). */
#include <math.h>

#include "ptx/ptx_scalar_impl.h"

#define UNUSED_ARGS (void)insn, (void)a, (void)b, (void)c, (void)carry
#define FN(name) static uint64_t name(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint64_t c, uint32_t *carry)

static bool is_bf16(const struct ptx_insn *insn)
{
    return insn->type == PTX_T_BF16 || insn->type == PTX_T_BF16X2;
}

static bool is_pair(const struct ptx_insn *insn)
{
    return insn->type == PTX_T_F16X2 || insn->type == PTX_T_BF16X2;
}

static double to_double(const struct ptx_insn *insn, uint16_t h)
{
    return is_bf16(insn) ? ptx_scalar_bf16_to_f32(h) : ptx_scalar_f16_to_f32(h);
}

static bool is_nan(const struct ptx_insn *insn, uint16_t h)
{
    return is_bf16(insn) ? (h & 0x7f80) == 0x7f80 && (h & 0x7f) != 0 : (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

/* .ftz (f16 only): a subnormal becomes a zero of its sign. */
static uint16_t flush(const struct ptx_insn *insn, uint16_t h)
{
    if ((insn->flags & PTX_FLAG_FTZ) && (h & 0x7c00) == 0)
        return h & 0x8000;
    return h;
}

/* The result of the operation on (x, y, z), rounded once to the instruction's format. Sums and products of two
 * half values are exact in double; fma's sum of an exact product and a third value is computed in double and,
 * when that rounds, turned into round-to-odd (the truncation with its last bit set), which a second rounding to
 * 11 or 8 bits of precision leaves correct (53 >= p + 2). */
static uint16_t round_result(const struct ptx_insn *insn, double x, double y, double z)
{
    double r;
    switch (insn->opcode) {
    case PTX_OP_ADD: r = x + y; break;
    case PTX_OP_SUB: r = x - y; break;
    case PTX_OP_MUL: r = x * y; break;
    default: {
        double product = x * y; /* exact: at most 22 significant bits */
        r = product + z;
        double back = r - product, error = (product - (r - back)) + (z - back); /* TwoSum: r + error is exact */
        if (error != 0 && isfinite(r)) {
            if ((error < 0) != (r < 0)) /* r is farther from zero than the exact value: step back towards it */
                r = nextafter(r, 0.0);
            uint64_t bits = psc_u64_of(r) | 1;
            r = psc_f64(bits);
        }
        break;
    }
    }
    return is_bf16(insn) ? ptx_scalar_f64_to_bf16(r, PTX_RND_RN) : ptx_scalar_f64_to_f16(r, PTX_RND_RN);
}

/* .sat: clamps to [0, 1], NaN to +0. */
static uint16_t saturate(const struct ptx_insn *insn, uint16_t h)
{
    const uint16_t one = is_bf16(insn) ? 0x3f80 : 0x3c00;
    if (is_nan(insn, h) || (h & 0x8000))
        return 0;
    return h > one ? one : h;
}

static uint16_t arith_one(const struct ptx_insn *insn, uint16_t a, uint16_t b, uint16_t c)
{
    a = flush(insn, a);
    b = flush(insn, b);
    c = flush(insn, c);
    uint16_t r = round_result(insn, to_double(insn, a), to_double(insn, b), to_double(insn, c));
    r = flush(insn, r);
    return (insn->flags & PTX_FLAG_SAT) ? saturate(insn, r) : r;
}

/* min/max: a NaN operand yields the other, two NaNs the canonical NaN; -0 orders below +0 (as the f32 forms). */
static uint16_t minmax_one(const struct ptx_insn *insn, uint16_t a, uint16_t b, uint16_t c)
{
    (void)c;
    a = flush(insn, a);
    b = flush(insn, b);
    bool an = is_nan(insn, a), bn = is_nan(insn, b);
    if (an || bn)
        return an && bn ? 0x7fff : an ? b : a;
    double x = to_double(insn, a), y = to_double(insn, b);
    bool is_min = insn->opcode == PTX_OP_MIN;
    if (x == y)
        return is_min ? (a | b) : (a & b);
    return (x < y) == is_min ? a : b;
}

/* abs and neg change the sign bit only. */
static uint16_t sign_one(const struct ptx_insn *insn, uint16_t a, uint16_t b, uint16_t c)
{
    (void)b, (void)c;
    a = flush(insn, a);
    return insn->opcode == PTX_OP_ABS ? a & 0x7fff : a ^ 0x8000;
}

typedef uint16_t (*half_op)(const struct ptx_insn *insn, uint16_t a, uint16_t b, uint16_t c);

/* One value, or each half of a pair (the low half is the first element). */
static uint64_t apply(const struct ptx_insn *insn, half_op op, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t low = op(insn, (uint16_t)a, (uint16_t)b, (uint16_t)c);
    if (!is_pair(insn))
        return low;
    uint64_t high = op(insn, (uint16_t)(a >> 16), (uint16_t)(b >> 16), (uint16_t)(c >> 16));
    return high << 16 | low;
}

FN(arith_half) { UNUSED_ARGS; return apply(insn, arith_one, a, b, c); }
FN(minmax_half) { UNUSED_ARGS; return apply(insn, minmax_one, a, b, c); }
FN(sign_half) { UNUSED_ARGS; return apply(insn, sign_one, a, b, c); }

ptx_scalar_fn ptx_scalar_select_half(const struct ptx_insn *insn, const char **why)
{
    unsigned op = insn->opcode, rnd = insn->rounding;
    uint32_t flags = insn->flags;
    if (rnd != PTX_RND_NONE && rnd != PTX_RND_RN)
        return *why = "a rounding other than .rn on half-precision arithmetic", NULL;
    if ((flags & PTX_FLAG_APPROX) || (flags & PTX_FLAG_FULL))
        return *why = ".approx or .full on half-precision arithmetic", NULL;
    if (is_bf16(insn) && (flags & (PTX_FLAG_FTZ | PTX_FLAG_SAT)))
        return *why = ".ftz or .sat on .bf16 arithmetic", NULL;
    switch (op) {
    case PTX_OP_ADD: case PTX_OP_SUB: case PTX_OP_MUL: case PTX_OP_FMA:
        if (op == PTX_OP_FMA && rnd == PTX_RND_NONE)
            return *why = "fma on half precision without .rn", NULL;
        return arith_half;
    case PTX_OP_MIN: case PTX_OP_MAX:
        if (flags & PTX_FLAG_SAT)
            return *why = ".sat on min/max", NULL;
        return minmax_half;
    case PTX_OP_ABS: case PTX_OP_NEG:
        if (flags & PTX_FLAG_SAT)
            return *why = ".sat on abs/neg", NULL;
        return sign_half;
    default:
        return *why = "this opcode on half precision (add, sub, mul, fma, min, max, abs and neg are run)", NULL;
    }
}
