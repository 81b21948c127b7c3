/* Bit instructions per lane: logic, shifts, funnel shift, popc, clz, brev, bfe, bfi, prmt, bfind, lop3. */
#include "common/popcount.h"
#include "ptx/ptx_scalar_impl.h"

#define UNUSED_ARGS (void)insn, (void)a, (void)b, (void)c, (void)carry
#define FN(name) static uint64_t name(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint64_t c, uint32_t *carry)

FN(and_32) { UNUSED_ARGS; return (uint32_t)(a & b); }
FN(or_32) { UNUSED_ARGS; return (uint32_t)(a | b); }
FN(xor_32) { UNUSED_ARGS; return (uint32_t)(a ^ b); }
FN(and_any) { UNUSED_ARGS; return a & b & psc_mask(psc_width(insn->type)); }
FN(or_any) { UNUSED_ARGS; return (a | b) & psc_mask(psc_width(insn->type)); }
FN(xor_any) { UNUSED_ARGS; return (a ^ b) & psc_mask(psc_width(insn->type)); }
FN(not_any) { UNUSED_ARGS; return ~a & psc_mask(psc_width(insn->type)); }
FN(cnot_any) { UNUSED_ARGS; return (a & psc_mask(psc_width(insn->type))) == 0; }

/* The shift amount is always a .u32; amounts of the width or more shift everything out (sign fill for .s). */
FN(shl_32) { UNUSED_ARGS; uint32_t n = (uint32_t)b; return n >= 32 ? 0 : (uint32_t)((uint32_t)a << n); }
FN(shr_u32) { UNUSED_ARGS; uint32_t n = (uint32_t)b; return n >= 32 ? 0 : (uint32_t)a >> n; }
FN(shr_s32) { UNUSED_ARGS; uint32_t n = (uint32_t)b; return (uint32_t)((int32_t)a >> (n >= 32 ? 31 : n)); }
FN(shl_64) { UNUSED_ARGS; uint32_t n = (uint32_t)b; return n >= 64 ? 0 : a << n; }
FN(shr_u64) { UNUSED_ARGS; uint32_t n = (uint32_t)b; return n >= 64 ? 0 : a >> n; }
FN(shr_s64) { UNUSED_ARGS; uint32_t n = (uint32_t)b; return (uint64_t)((int64_t)a >> (n >= 64 ? 63 : n)); }

FN(shl_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    uint32_t n = (uint32_t)b;
    return n >= w ? 0 : (a << n) & psc_mask(w);
}

FN(shr_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    uint32_t n = (uint32_t)b;
    if (psc_is_signed(insn->type))
        return (uint64_t)(psc_sext(a, w) >> (n >= w ? w - 1 : n)) & psc_mask(w);
    return n >= w ? 0 : (a & psc_mask(w)) >> n;
}

/* shf: {b:a} as 64 bits shifted by n; .l keeps the high word, .r the low word. .clamp caps n at 32, .wrap
 * takes it modulo 32. */
FN(shf_any)
{
    UNUSED_ARGS;
    uint32_t n = (uint32_t)c;
    bool clamp = insn->mode == PTX_MODE_SHF_L_CLAMP || insn->mode == PTX_MODE_SHF_R_CLAMP;
    n = clamp ? (n > 32 ? 32 : n) : n & 31;
    uint64_t pair = (uint64_t)(uint32_t)b << 32 | (uint32_t)a;
    if (insn->mode == PTX_MODE_SHF_L_WRAP || insn->mode == PTX_MODE_SHF_L_CLAMP)
        return (uint32_t)((pair << n) >> 32);
    return (uint32_t)(pair >> n);
}

FN(popc_any) { UNUSED_ARGS; return vdc_popcount64(a & psc_mask(psc_width(insn->type))); }

FN(clz_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    uint64_t v = a & psc_mask(w);
    return v == 0 ? w : (uint32_t)(__builtin_clzll(v) - (64 - w));
}

FN(brev_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    uint64_t v = a, r = 0;
    for (unsigned i = 0; i < w; i++, v >>= 1)
        r = r << 1 | (v & 1);
    return r;
}

/* bfe: len bits from pos (both taken mod 256); bits past the msb and past len are the sign bit
 * a[min(pos + len - 1, msb)] for signed types (0 when len is 0), zero for unsigned. */
FN(bfe_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    unsigned pos = (unsigned)b & 0xff, len = (unsigned)c & 0xff;
    uint64_t v = a & psc_mask(w);
    uint64_t sbit = 0;
    if (psc_is_signed(insn->type) && len != 0) {
        unsigned top = pos + len - 1 < w - 1 ? pos + len - 1 : w - 1;
        sbit = (v >> top) & 1;
    }
    unsigned avail = pos >= w ? 0 : w - pos; /* bits of a at or above pos */
    unsigned take = len < avail ? len : avail;
    uint64_t field = take == 0 ? 0 : (v >> pos) & psc_mask(take);
    if (sbit)
        field |= ~psc_mask(take);
    return field & psc_mask(w);
}

/* bfi: f = b with len bits from pos replaced by the low bits of a, clipped at the msb. The executor passes
 * pos in the low 32 bits of c and len in its high 32 bits (bfi is the only per-lane op with four sources). */
FN(bfi_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    unsigned pos = (unsigned)c & 0xff, len = (unsigned)(c >> 32) & 0xff;
    if (pos >= w || len == 0)
        return b & psc_mask(w);
    unsigned take = len < w - pos ? len : w - pos;
    uint64_t field = psc_mask(take) << pos;
    return ((b & ~field) | ((a << pos) & field)) & psc_mask(w);
}

/* prmt: byte i of the result is byte sel_i of {b, a} (a is bytes 0..3); in the default mode each selector
 * nibble's bit 3 replicates the chosen byte's top bit instead. The other modes' selectors come from c[1:0]. */
static const uint8_t prmt_table[6][4][4] = {
    /* byte 0, 1, 2, 3 of the result */
    [0] = {{0, 1, 2, 3}, {1, 2, 3, 4}, {2, 3, 4, 5}, {3, 4, 5, 6}},  /* f4e */
    [1] = {{0, 7, 6, 5}, {1, 0, 7, 6}, {2, 1, 0, 7}, {3, 2, 1, 0}},  /* b4e */
    [2] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}, {3, 3, 3, 3}},  /* rc8 */
    [3] = {{0, 1, 2, 3}, {1, 1, 2, 3}, {2, 2, 2, 3}, {3, 3, 3, 3}},  /* ecl */
    [4] = {{0, 0, 0, 0}, {0, 1, 1, 1}, {0, 1, 2, 2}, {0, 1, 2, 3}},  /* ecr */
    [5] = {{0, 1, 0, 1}, {2, 3, 2, 3}, {0, 1, 0, 1}, {2, 3, 2, 3}},  /* rc16 */
};

FN(prmt_default)
{
    UNUSED_ARGS;
    uint64_t pair = (uint64_t)(uint32_t)b << 32 | (uint32_t)a;
    uint32_t r = 0;
    for (unsigned i = 0; i < 4; i++) {
        unsigned sel = ((uint32_t)c >> (4 * i)) & 0xf;
        uint32_t byte = (uint32_t)(pair >> (8 * (sel & 7))) & 0xff;
        if (sel & 8)
            byte = (byte & 0x80) ? 0xff : 0;
        r |= byte << (8 * i);
    }
    return r;
}

FN(prmt_mode)
{
    UNUSED_ARGS;
    uint64_t pair = (uint64_t)(uint32_t)b << 32 | (uint32_t)a;
    const uint8_t *sel = prmt_table[insn->mode - PTX_MODE_PRMT_F4E][c & 3];
    uint32_t r = 0;
    for (unsigned i = 0; i < 4; i++)
        r |= (uint32_t)((pair >> (8 * sel[i])) & 0xff) << (8 * i);
    return r;
}

/* bfind: the position of the most significant non-sign bit (0xffffffff when there is none); .shiftamt gives
 * the left shift that brings it to the msb instead. */
FN(bfind_any)
{
    UNUSED_ARGS;
    unsigned w = psc_width(insn->type);
    uint64_t v = a & psc_mask(w);
    if (psc_is_signed(insn->type) && (v >> (w - 1)))
        v = ~v & psc_mask(w);
    if (v == 0)
        return 0xffffffffu;
    unsigned pos = 63 - (unsigned)__builtin_clzll(v);
    return (insn->flags & PTX_FLAG_SHIFTAMT) ? w - 1 - pos : pos;
}

/* lop3: the immediate truth table (op[4]) indexed by the bits of a (4), b (2) and c (1). */
FN(lop3_32)
{
    UNUSED_ARGS;
    uint32_t lut = (uint32_t)insn->op[4].imm & 0xff;
    uint32_t x = (uint32_t)a, y = (uint32_t)b, z = (uint32_t)c, r = 0;
    for (unsigned k = 0; k < 8; k++) {
        if (!(lut >> k & 1))
            continue;
        r |= ((k & 4) ? x : ~x) & ((k & 2) ? y : ~y) & ((k & 1) ? z : ~z);
    }
    return r;
}

static bool is_b_type(enum ptx_type t, bool pred, bool b16)
{
    return (pred && t == PTX_T_PRED) || (b16 && t == PTX_T_B16) || t == PTX_T_B32 || t == PTX_T_B64;
}

static bool is_shift_type(enum ptx_type t)
{
    unsigned w = psc_width(t);
    return psc_is_int(t) && w >= 16;
}

ptx_scalar_fn ptx_scalar_select_bits(const struct ptx_insn *insn, const char **why)
{
    enum ptx_type t = insn->type;
    unsigned w = psc_width(t);
    *why = "this type on a bit instruction";
    switch (insn->opcode) {
    case PTX_OP_AND: case PTX_OP_OR: case PTX_OP_XOR:
        if (!is_b_type(t, true, true))
            return NULL;
        if (t == PTX_T_B32)
            return insn->opcode == PTX_OP_AND ? and_32 : insn->opcode == PTX_OP_OR ? or_32 : xor_32;
        return insn->opcode == PTX_OP_AND ? and_any : insn->opcode == PTX_OP_OR ? or_any : xor_any;
    case PTX_OP_NOT:
        return is_b_type(t, true, true) ? not_any : NULL;
    case PTX_OP_CNOT:
        return is_b_type(t, false, true) ? cnot_any : NULL;
    case PTX_OP_SHL:
        if (!is_b_type(t, false, true))
            return NULL;
        return w == 32 ? shl_32 : w == 64 ? shl_64 : shl_any;
    case PTX_OP_SHR:
        if (!is_shift_type(t))
            return NULL;
        if (w == 32)
            return psc_is_signed(t) ? shr_s32 : shr_u32;
        if (w == 64)
            return psc_is_signed(t) ? shr_s64 : shr_u64;
        return shr_any;
    case PTX_OP_SHF:
        if (t != PTX_T_B32)
            return NULL;
        if (insn->mode < PTX_MODE_SHF_L_WRAP || insn->mode > PTX_MODE_SHF_R_CLAMP)
            return *why = "shf needs .l or .r and .wrap or .clamp", NULL;
        return shf_any;
    case PTX_OP_POPC: case PTX_OP_CLZ: case PTX_OP_BREV:
        if (t != PTX_T_B32 && t != PTX_T_B64)
            return NULL;
        return insn->opcode == PTX_OP_POPC ? popc_any : insn->opcode == PTX_OP_CLZ ? clz_any : brev_any;
    case PTX_OP_BFE:
    case PTX_OP_BFIND:
        if (t != PTX_T_U32 && t != PTX_T_S32 && t != PTX_T_U64 && t != PTX_T_S64)
            return NULL;
        return insn->opcode == PTX_OP_BFE ? bfe_any : bfind_any;
    case PTX_OP_BFI:
        return t == PTX_T_B32 || t == PTX_T_B64 ? bfi_any : NULL;
    case PTX_OP_PRMT:
        if (t != PTX_T_B32)
            return NULL;
        if (insn->mode == PTX_MODE_NONE)
            return prmt_default;
        if (insn->mode >= PTX_MODE_PRMT_F4E && insn->mode <= PTX_MODE_PRMT_RC16)
            return prmt_mode;
        return *why = "this prmt mode", NULL;
    case PTX_OP_LOP3:
        if (t != PTX_T_B32)
            return NULL;
        if (insn->operand_count < 5 || insn->op[4].kind != PTX_OPND_IMM)
            return *why = "lop3 without an immediate truth table (or with a predicate output)", NULL;
        return lop3_32;
    default:
        return *why = "this opcode", NULL;
    }
}
