/* Per-lane semantics: which function evaluates an instruction, which forms are supported, and atomics' new values. */
#include "ptx/ptx_scalar_impl.h"

static ptx_scalar_fn select_why(const struct ptx_insn *insn, const char **why)
{
    enum ptx_type t = insn->type;
    bool fl = t == PTX_T_F32 || t == PTX_T_F64 || t == PTX_T_F16 || t == PTX_T_BF16 || t == PTX_T_F16X2 ||
              t == PTX_T_BF16X2;
    switch (insn->opcode) {
    case PTX_OP_CVT:
        return ptx_scalar_select_cvt(insn, why);
    case PTX_OP_ADD: case PTX_OP_SUB: case PTX_OP_MUL: case PTX_OP_MAD: case PTX_OP_DIV:
    case PTX_OP_MIN: case PTX_OP_MAX: case PTX_OP_ABS: case PTX_OP_NEG:
        return fl ? ptx_scalar_select_float(insn, why) : ptx_scalar_select_int(insn, why);
    case PTX_OP_MUL24: case PTX_OP_MAD24: case PTX_OP_SAD: case PTX_OP_REM:
    case PTX_OP_ADDC: case PTX_OP_SUBC: case PTX_OP_MADC:
        return ptx_scalar_select_int(insn, why);
    case PTX_OP_FMA: case PTX_OP_RCP: case PTX_OP_SQRT: case PTX_OP_RSQRT: case PTX_OP_EX2: case PTX_OP_LG2:
    case PTX_OP_SIN: case PTX_OP_COS: case PTX_OP_TANH: case PTX_OP_COPYSIGN: case PTX_OP_TESTP:
        return ptx_scalar_select_float(insn, why);
    case PTX_OP_AND: case PTX_OP_OR: case PTX_OP_XOR: case PTX_OP_NOT: case PTX_OP_CNOT: case PTX_OP_SHL:
    case PTX_OP_SHR: case PTX_OP_SHF: case PTX_OP_POPC: case PTX_OP_CLZ: case PTX_OP_BREV: case PTX_OP_BFE:
    case PTX_OP_BFI: case PTX_OP_PRMT: case PTX_OP_BFIND: case PTX_OP_LOP3:
        return ptx_scalar_select_bits(insn, why);
    case PTX_OP_SETP: case PTX_OP_SET: case PTX_OP_SELP: case PTX_OP_SLCT:
        return ptx_scalar_select_cmp(insn, why);
    default:
        *why = "not a per-lane operation";
        return NULL;
    }
}

ptx_scalar_fn ptx_scalar_select(const struct ptx_insn *insn)
{
    const char *why;
    return select_why(insn, &why);
}

/* Which atom/red operations ptx_atom_apply implements, by type. */
static bool atom_supported(const struct ptx_insn *insn, const char **why)
{
    enum ptx_type t = insn->type;
    bool w32 = t == PTX_T_B32 || t == PTX_T_U32 || t == PTX_T_S32;
    bool w64 = t == PTX_T_B64 || t == PTX_T_U64 || t == PTX_T_S64;
    bool ok;
    switch (insn->mode) {
    case PTX_MODE_ATOM_ADD: ok = t == PTX_T_U32 || t == PTX_T_S32 || t == PTX_T_U64 || t == PTX_T_S64 ||
                                 t == PTX_T_F32 || t == PTX_T_F64; break;
    case PTX_MODE_ATOM_MIN: case PTX_MODE_ATOM_MAX:
        ok = t == PTX_T_U32 || t == PTX_T_S32 || t == PTX_T_U64 || t == PTX_T_S64; break;
    case PTX_MODE_ATOM_AND: case PTX_MODE_ATOM_OR: case PTX_MODE_ATOM_XOR:
    case PTX_MODE_ATOM_EXCH: case PTX_MODE_ATOM_CAS:
        ok = w32 || w64 || (insn->mode == PTX_MODE_ATOM_EXCH && (t == PTX_T_F32 || t == PTX_T_F64)); break;
    case PTX_MODE_ATOM_INC: case PTX_MODE_ATOM_DEC: ok = t == PTX_T_U32; break;
    default: *why = "atom/red without its operation"; return false;
    }
    if (!ok)
        *why = "this atom/red operation on this type";
    return ok;
}

bool ptx_scalar_supported(const struct ptx_insn *insn, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    *why = NULL;
    switch (insn->opcode) {
    case PTX_OP_ATOM: case PTX_OP_RED:
        return atom_supported(insn, why);
    case PTX_OP_NONE: case PTX_OP_LD: case PTX_OP_LDU: case PTX_OP_ST: case PTX_OP_MOV: case PTX_OP_CVTA:
    case PTX_OP_PREFETCH: case PTX_OP_BRA: case PTX_OP_RET: case PTX_OP_EXIT: case PTX_OP_BAR: case PTX_OP_MEMBAR:
    case PTX_OP_FENCE: case PTX_OP_SHFL: case PTX_OP_VOTE: case PTX_OP_ACTIVEMASK: case PTX_OP_REDUX:
        return true; /* not per-lane: other parts judge them */
    default:
        return select_why(insn, why) != NULL;
    }
}

/* The stored value of an atomic. f32/f64 add rounds to nearest and keeps subnormals (sm_90's behaviour on
 * global and shared memory alike); a NaN sum is canonical. inc and dec wrap as PTX defines them. */
uint64_t ptx_atom_apply(enum ptx_mode mode, enum ptx_type type, uint64_t old, uint64_t b, uint64_t c)
{
    unsigned w = psc_width(type) == 64 ? 64 : 32;
    uint64_t m = psc_mask(w);
    old &= m;
    b &= m;
    bool s = psc_is_signed(type);
    switch (mode) {
    case PTX_MODE_ATOM_ADD:
        if (type == PTX_T_F32)
            return psc_out32(psc_f32(old) + psc_f32(b));
        if (type == PTX_T_F64)
            return psc_out64(psc_f64(old) + psc_f64(b));
        return (old + b) & m;
    case PTX_MODE_ATOM_MIN:
    case PTX_MODE_ATOM_MAX: {
        bool less = s ? psc_sext(old, w) < psc_sext(b, w) : old < b;
        return (mode == PTX_MODE_ATOM_MIN) == less ? old : b;
    }
    case PTX_MODE_ATOM_AND: return old & b;
    case PTX_MODE_ATOM_OR: return old | b;
    case PTX_MODE_ATOM_XOR: return old ^ b;
    case PTX_MODE_ATOM_EXCH: return b;
    case PTX_MODE_ATOM_CAS: return old == b ? c & m : old;
    case PTX_MODE_ATOM_INC: return old >= b ? 0 : old + 1;
    case PTX_MODE_ATOM_DEC: return (old == 0 || old > b) ? b : old - 1;
    default: return old;
    }
}
