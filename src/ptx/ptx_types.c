/* Names and sizes of PTX types and opcodes, for the front end, the executor and messages. */
#include "ptx/ptx_ir.h"

static const struct {
    const char *name;
    unsigned size;
} type_table[PTX_T_COUNT] = {
    [PTX_T_NONE] = {"none", 0},   [PTX_T_PRED] = {"pred", 1},   [PTX_T_B8] = {"b8", 1},
    [PTX_T_B16] = {"b16", 2},     [PTX_T_B32] = {"b32", 4},     [PTX_T_B64] = {"b64", 8},
    [PTX_T_U8] = {"u8", 1},       [PTX_T_U16] = {"u16", 2},     [PTX_T_U32] = {"u32", 4},
    [PTX_T_U64] = {"u64", 8},     [PTX_T_S8] = {"s8", 1},       [PTX_T_S16] = {"s16", 2},
    [PTX_T_S32] = {"s32", 4},     [PTX_T_S64] = {"s64", 8},     [PTX_T_F16] = {"f16", 2},
    [PTX_T_F16X2] = {"f16x2", 4}, [PTX_T_BF16] = {"bf16", 2},   [PTX_T_BF16X2] = {"bf16x2", 4},
    [PTX_T_F32] = {"f32", 4},     [PTX_T_F64] = {"f64", 8},
};

unsigned ptx_type_size(enum ptx_type t)
{
    return (unsigned)t < PTX_T_COUNT ? type_table[t].size : 0;
}

bool ptx_type_is_signed(enum ptx_type t)
{
    return t >= PTX_T_S8 && t <= PTX_T_S64;
}

bool ptx_type_is_float(enum ptx_type t)
{
    return t >= PTX_T_F16 && t <= PTX_T_F64;
}

const char *ptx_type_name(enum ptx_type t)
{
    return (unsigned)t < PTX_T_COUNT ? type_table[t].name : "?";
}

static const char *const opcode_names[PTX_OP_COUNT] = {
    [PTX_OP_NONE] = "none",       [PTX_OP_LD] = "ld",           [PTX_OP_LDU] = "ldu",
    [PTX_OP_ST] = "st",           [PTX_OP_MOV] = "mov",         [PTX_OP_CVTA] = "cvta",
    [PTX_OP_CVT] = "cvt",         [PTX_OP_PREFETCH] = "prefetch", [PTX_OP_ADD] = "add",
    [PTX_OP_SUB] = "sub",         [PTX_OP_MUL] = "mul",         [PTX_OP_MAD] = "mad",
    [PTX_OP_MUL24] = "mul24",     [PTX_OP_MAD24] = "mad24",     [PTX_OP_SAD] = "sad",
    [PTX_OP_DIV] = "div",         [PTX_OP_REM] = "rem",         [PTX_OP_ABS] = "abs",
    [PTX_OP_NEG] = "neg",         [PTX_OP_MIN] = "min",         [PTX_OP_MAX] = "max",
    [PTX_OP_FMA] = "fma",         [PTX_OP_ADDC] = "addc",       [PTX_OP_SUBC] = "subc",
    [PTX_OP_MADC] = "madc",       [PTX_OP_RCP] = "rcp",         [PTX_OP_SQRT] = "sqrt",
    [PTX_OP_RSQRT] = "rsqrt",     [PTX_OP_EX2] = "ex2",         [PTX_OP_LG2] = "lg2",
    [PTX_OP_SIN] = "sin",         [PTX_OP_COS] = "cos",         [PTX_OP_TANH] = "tanh",
    [PTX_OP_COPYSIGN] = "copysign", [PTX_OP_TESTP] = "testp",   [PTX_OP_AND] = "and",
    [PTX_OP_OR] = "or",           [PTX_OP_XOR] = "xor",         [PTX_OP_NOT] = "not",
    [PTX_OP_CNOT] = "cnot",       [PTX_OP_SHL] = "shl",         [PTX_OP_SHR] = "shr",
    [PTX_OP_SHF] = "shf",         [PTX_OP_POPC] = "popc",       [PTX_OP_CLZ] = "clz",
    [PTX_OP_BREV] = "brev",       [PTX_OP_BFE] = "bfe",         [PTX_OP_BFI] = "bfi",
    [PTX_OP_PRMT] = "prmt",       [PTX_OP_BFIND] = "bfind",     [PTX_OP_LOP3] = "lop3",
    [PTX_OP_SETP] = "setp",       [PTX_OP_SET] = "set",         [PTX_OP_SELP] = "selp",
    [PTX_OP_SLCT] = "slct",       [PTX_OP_BRA] = "bra",         [PTX_OP_RET] = "ret",
    [PTX_OP_EXIT] = "exit",       [PTX_OP_BAR] = "bar",         [PTX_OP_MEMBAR] = "membar",
    [PTX_OP_FENCE] = "fence",     [PTX_OP_ATOM] = "atom",       [PTX_OP_RED] = "red",
    [PTX_OP_SHFL] = "shfl",       [PTX_OP_VOTE] = "vote",       [PTX_OP_ACTIVEMASK] = "activemask",
    [PTX_OP_REDUX] = "redux",
};

const char *ptx_opcode_name(enum ptx_opcode op)
{
    return (unsigned)op < PTX_OP_COUNT && opcode_names[op] != NULL ? opcode_names[op] : "?";
}
