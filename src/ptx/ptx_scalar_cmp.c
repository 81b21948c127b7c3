/* Comparison and selection per lane: setp (two predicate results), set, selp, slct. */
#include "ptx/ptx_scalar_impl.h"

#define UNUSED_ARGS (void)insn, (void)a, (void)b, (void)c, (void)carry
#define FN(name) static uint64_t name(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint64_t c, uint32_t *carry)

/* setp without a combining operation: p in bit 0, q = !p in bit 1. */
#define PQ(p) ((p) ? UINT64_C(1) : UINT64_C(2))

/* Specialised setp forms. Ordered float comparisons are false when either side is NaN; C's != is not, so ne is
 * written as < or >. */
#define SETP_INT(name, ctype, expr) \
    FN(name) { UNUSED_ARGS; ctype x = (ctype)a, y = (ctype)b; return PQ(expr); }
SETP_INT(setp_eq_32, uint32_t, x == y)
SETP_INT(setp_ne_32, uint32_t, x != y)
SETP_INT(setp_lt_s32, int32_t, x < y)
SETP_INT(setp_le_s32, int32_t, x <= y)
SETP_INT(setp_gt_s32, int32_t, x > y)
SETP_INT(setp_ge_s32, int32_t, x >= y)
SETP_INT(setp_lt_u32, uint32_t, x < y)
SETP_INT(setp_le_u32, uint32_t, x <= y)
SETP_INT(setp_gt_u32, uint32_t, x > y)
SETP_INT(setp_ge_u32, uint32_t, x >= y)
SETP_INT(setp_eq_64, uint64_t, x == y)
SETP_INT(setp_ne_64, uint64_t, x != y)
SETP_INT(setp_lt_s64, int64_t, x < y)
SETP_INT(setp_le_s64, int64_t, x <= y)
SETP_INT(setp_gt_s64, int64_t, x > y)
SETP_INT(setp_ge_s64, int64_t, x >= y)
SETP_INT(setp_lt_u64, uint64_t, x < y)
SETP_INT(setp_le_u64, uint64_t, x <= y)
SETP_INT(setp_gt_u64, uint64_t, x > y)
SETP_INT(setp_ge_u64, uint64_t, x >= y)

#define SETP_F32(name, expr) \
    FN(name) { UNUSED_ARGS; float x = psc_f32(a), y = psc_f32(b); return PQ(expr); }
SETP_F32(setp_eq_f32, x == y)
SETP_F32(setp_ne_f32, x < y || x > y)
SETP_F32(setp_lt_f32, x < y)
SETP_F32(setp_le_f32, x <= y)
SETP_F32(setp_gt_f32, x > y)
SETP_F32(setp_ge_f32, x >= y)
SETP_F32(setp_neu_f32, !(x == y))
SETP_F32(setp_ltu_f32, !(x >= y))
SETP_F32(setp_geu_f32, !(x < y))

/* The general comparison on the low bits of a and b read as `t` (f32 inputs flushed first under .ftz). */
static bool compare(unsigned cmp, enum ptx_type t, bool ftz, uint64_t a, uint64_t b)
{
    if (t == PTX_T_F32 || t == PTX_T_F64 || t == PTX_T_F16 || t == PTX_T_BF16) {
        double x, y;
        if (t == PTX_T_F32) {
            x = psc_f32(ftz ? psc_flush32((uint32_t)a) : a);
            y = psc_f32(ftz ? psc_flush32((uint32_t)b) : b);
        } else if (t == PTX_T_F16) {
            x = ptx_scalar_f16_to_f32((uint16_t)a);
            y = ptx_scalar_f16_to_f32((uint16_t)b);
        } else if (t == PTX_T_BF16) {
            x = ptx_scalar_bf16_to_f32((uint16_t)a);
            y = ptx_scalar_bf16_to_f32((uint16_t)b);
        } else {
            x = psc_f64(a);
            y = psc_f64(b);
        }
        bool unordered = x != x || y != y;
        switch (cmp) {
        case PTX_CMP_EQ: return x == y;
        case PTX_CMP_NE: return x < y || x > y;
        case PTX_CMP_LT: return x < y;
        case PTX_CMP_LE: return x <= y;
        case PTX_CMP_GT: return x > y;
        case PTX_CMP_GE: return x >= y;
        case PTX_CMP_EQU: return unordered || x == y;
        case PTX_CMP_NEU: return unordered || x != y;
        case PTX_CMP_LTU: return unordered || x < y;
        case PTX_CMP_LEU: return unordered || x <= y;
        case PTX_CMP_GTU: return unordered || x > y;
        case PTX_CMP_GEU: return unordered || x >= y;
        case PTX_CMP_NUM: return !unordered;
        case PTX_CMP_NAN: return unordered;
        default: return false;
        }
    }
    unsigned w = psc_width(t);
    uint64_t ux = a & psc_mask(w), uy = b & psc_mask(w);
    int64_t sx = psc_sext(a, w), sy = psc_sext(b, w);
    bool s = psc_is_signed(t);
    switch (cmp) {
    case PTX_CMP_EQ: return ux == uy;
    case PTX_CMP_NE: return ux != uy;
    case PTX_CMP_LT: return s ? sx < sy : ux < uy;
    case PTX_CMP_LE: return s ? sx <= sy : ux <= uy;
    case PTX_CMP_GT: return s ? sx > sy : ux > uy;
    case PTX_CMP_GE: return s ? sx >= sy : ux >= uy;
    case PTX_CMP_LO: return ux < uy;
    case PTX_CMP_LS: return ux <= uy;
    case PTX_CMP_HI: return ux > uy;
    case PTX_CMP_HS: return ux >= uy;
    default: return false;
    }
}

static bool combine(unsigned bool_op, bool v, bool c)
{
    switch (bool_op) {
    case PTX_BOOL_AND: return v && c;
    case PTX_BOOL_OR: return v || c;
    case PTX_BOOL_XOR: return v != c;
    default: return v;
    }
}

/* setp.cmp.bool: p = cmp BOOL c, q = !cmp BOOL c. */
FN(setp_any)
{
    UNUSED_ARGS;
    bool v = compare(insn->cmp, insn->type, insn->flags & PTX_FLAG_FTZ, a, b);
    bool pc = c & 1;
    return (uint64_t)combine(insn->bool_op, v, pc) | (uint64_t)combine(insn->bool_op, !v, pc) << 1;
}

/* set: all ones (integer destination) or 1.0f (f32 destination) when true, 0 when false. */
FN(set_any)
{
    UNUSED_ARGS;
    bool v = combine(insn->bool_op, compare(insn->cmp, insn->src_type, insn->flags & PTX_FLAG_FTZ, a, b), c & 1);
    if (!v)
        return 0;
    return insn->type == PTX_T_F32 ? 0x3f800000u : 0xffffffffu;
}

FN(selp_any) { UNUSED_ARGS; return (c & 1) ? a : b; }

/* slct: a when c >= 0 (c is .s32 or .f32; -0.0 counts as >= 0, NaN does not). */
FN(slct_s32) { UNUSED_ARGS; return (int32_t)c >= 0 ? a : b; }
FN(slct_f32)
{
    UNUSED_ARGS;
    uint32_t u = (uint32_t)c;
    if (insn->flags & PTX_FLAG_FTZ)
        u = psc_flush32(u);
    return psc_f32(u) >= 0.0f ? a : b;
}

static bool cmp_valid(unsigned cmp, enum ptx_type t)
{
    bool fl = t == PTX_T_F32 || t == PTX_T_F64 || t == PTX_T_F16 || t == PTX_T_BF16;
    if (cmp == PTX_CMP_NONE || cmp >= PTX_CMP_COUNT)
        return false;
    if (fl)
        return cmp < PTX_CMP_LO || cmp > PTX_CMP_HS;
    if (!psc_is_int(t) || psc_width(t) < 16)
        return false;
    return cmp <= PTX_CMP_HS;
}

static ptx_scalar_fn setp_special(const struct ptx_insn *insn)
{
    enum ptx_type t = insn->type;
    unsigned cmp = insn->cmp;
    bool s = psc_is_signed(t);
    if (insn->bool_op != PTX_BOOL_NONE)
        return NULL;
    if (psc_is_int(t) && psc_width(t) == 32) {
        switch (cmp) {
        case PTX_CMP_EQ: return setp_eq_32;
        case PTX_CMP_NE: return setp_ne_32;
        case PTX_CMP_LT: return s ? setp_lt_s32 : setp_lt_u32;
        case PTX_CMP_LE: return s ? setp_le_s32 : setp_le_u32;
        case PTX_CMP_GT: return s ? setp_gt_s32 : setp_gt_u32;
        case PTX_CMP_GE: return s ? setp_ge_s32 : setp_ge_u32;
        case PTX_CMP_LO: return setp_lt_u32;
        case PTX_CMP_LS: return setp_le_u32;
        case PTX_CMP_HI: return setp_gt_u32;
        case PTX_CMP_HS: return setp_ge_u32;
        default: return NULL;
        }
    }
    if (psc_is_int(t) && psc_width(t) == 64) {
        switch (cmp) {
        case PTX_CMP_EQ: return setp_eq_64;
        case PTX_CMP_NE: return setp_ne_64;
        case PTX_CMP_LT: return s ? setp_lt_s64 : setp_lt_u64;
        case PTX_CMP_LE: return s ? setp_le_s64 : setp_le_u64;
        case PTX_CMP_GT: return s ? setp_gt_s64 : setp_gt_u64;
        case PTX_CMP_GE: return s ? setp_ge_s64 : setp_ge_u64;
        case PTX_CMP_LO: return setp_lt_u64;
        case PTX_CMP_LS: return setp_le_u64;
        case PTX_CMP_HI: return setp_gt_u64;
        case PTX_CMP_HS: return setp_ge_u64;
        default: return NULL;
        }
    }
    if (t == PTX_T_F32 && !(insn->flags & PTX_FLAG_FTZ)) {
        switch (cmp) {
        case PTX_CMP_EQ: return setp_eq_f32;
        case PTX_CMP_NE: return setp_ne_f32;
        case PTX_CMP_LT: return setp_lt_f32;
        case PTX_CMP_LE: return setp_le_f32;
        case PTX_CMP_GT: return setp_gt_f32;
        case PTX_CMP_GE: return setp_ge_f32;
        case PTX_CMP_NEU: return setp_neu_f32;
        case PTX_CMP_LTU: return setp_ltu_f32;
        case PTX_CMP_GEU: return setp_geu_f32;
        default: return NULL;
        }
    }
    return NULL;
}

ptx_scalar_fn ptx_scalar_select_cmp(const struct ptx_insn *insn, const char **why)
{
    enum ptx_type t = insn->type;
    switch (insn->opcode) {
    case PTX_OP_SETP: {
        if (!cmp_valid(insn->cmp, t))
            return *why = "this comparison on this type", NULL;
        if ((insn->flags & PTX_FLAG_FTZ) && t != PTX_T_F32)
            return *why = ".ftz on a comparison of a type other than .f32", NULL;
        ptx_scalar_fn fn = setp_special(insn);
        return fn ? fn : setp_any;
    }
    case PTX_OP_SET:
        if (t != PTX_T_U32 && t != PTX_T_S32 && t != PTX_T_F32 && t != PTX_T_B32)
            return *why = "set with a destination type other than .u32/.s32/.f32", NULL;
        if (!cmp_valid(insn->cmp, insn->src_type))
            return *why = "this comparison on this type", NULL;
        return set_any;
    case PTX_OP_SELP:
        if (t == PTX_T_PRED || psc_width(t) < 16 || t == PTX_T_F16X2 || t == PTX_T_BF16X2)
            return *why = "selp on this type", NULL;
        return selp_any;
    case PTX_OP_SLCT:
        if (psc_width(t) < 16 || t == PTX_T_PRED)
            return *why = "slct on this type", NULL;
        if (insn->src_type == PTX_T_S32 && !(insn->flags & PTX_FLAG_FTZ))
            return slct_s32;
        if (insn->src_type == PTX_T_F32)
            return slct_f32;
        return *why = "slct with a selector type other than .s32/.f32", NULL;
    default:
        return *why = "this opcode", NULL;
    }
}
