/* PTX instructions: an opcode with its dotted modifiers and its operands, checked and turned into a ptx_insn. */
#include <stdio.h>
#include <string.h>

#include "ptx/ptx_parse_internal.h"
#include "ptx/ptx_scalar.h"

/* Kinds of modifier an opcode may carry. */
enum modifier_kind {
    MK_TYPE = 1u << 0, MK_ROUND = 1u << 1, MK_FTZ = 1u << 2, MK_SAT = 1u << 3, MK_APPROX = 1u << 4,
    MK_FULL = 1u << 5, MK_CC = 1u << 6, MK_UNI = 1u << 7, MK_NC = 1u << 8, MK_VOLATILE = 1u << 9,
    MK_SPACE = 1u << 10, MK_VEC = 1u << 11, MK_CMP = 1u << 12, MK_BOOL = 1u << 13, MK_MUL = 1u << 14,
    MK_ATOM = 1u << 15, MK_ORDER = 1u << 16, MK_SCOPE = 1u << 17, MK_CACHE = 1u << 18, MK_HINT = 1u << 19,
    MK_SHFL = 1u << 20, MK_VOTE = 1u << 21, MK_SYNC = 1u << 22, MK_BAR = 1u << 23, MK_ALIGNED = 1u << 24,
    MK_TO = 1u << 25, MK_SHF = 1u << 26, MK_PRMT = 1u << 27, MK_TESTP = 1u << 28, MK_SHIFTAMT = 1u << 29,
    MK_LEVEL = 1u << 30, MK_WARP = 1u << 31,
};

struct opcode_info {
    const char *name;
    enum ptx_opcode op;
    uint8_t min_operands, max_operands;
    uint8_t types;       /* how many type modifiers it takes */
    uint32_t allowed;
};

#define MEM (MK_TYPE | MK_SPACE | MK_VEC | MK_CACHE | MK_HINT | MK_VOLATILE | MK_ORDER | MK_SCOPE)
#define FLT (MK_TYPE | MK_ROUND | MK_FTZ | MK_SAT)

static const struct opcode_info opcodes[] = {
    {"ld", PTX_OP_LD, 2, 2, 1, MEM | MK_NC},
    {"ldu", PTX_OP_LDU, 2, 2, 1, MEM},
    {"st", PTX_OP_ST, 2, 2, 1, MEM},
    {"mov", PTX_OP_MOV, 2, 2, 1, MK_TYPE},
    {"cvta", PTX_OP_CVTA, 2, 2, 1, MK_TYPE | MK_SPACE | MK_TO},
    {"cvt", PTX_OP_CVT, 2, 2, 2, MK_TYPE | MK_ROUND | MK_FTZ | MK_SAT},
    {"prefetch", PTX_OP_PREFETCH, 1, 1, 0, MK_SPACE | MK_LEVEL | MK_HINT},
    {"add", PTX_OP_ADD, 3, 3, 1, FLT | MK_CC},
    {"sub", PTX_OP_SUB, 3, 3, 1, FLT | MK_CC},
    {"mul", PTX_OP_MUL, 3, 3, 1, FLT | MK_MUL},
    {"mad", PTX_OP_MAD, 4, 4, 1, FLT | MK_MUL | MK_CC},
    {"mul24", PTX_OP_MUL24, 3, 3, 1, MK_TYPE | MK_MUL},
    {"mad24", PTX_OP_MAD24, 4, 4, 1, MK_TYPE | MK_MUL | MK_SAT},
    {"sad", PTX_OP_SAD, 4, 4, 1, MK_TYPE},
    {"div", PTX_OP_DIV, 3, 3, 1, FLT | MK_APPROX | MK_FULL},
    {"rem", PTX_OP_REM, 3, 3, 1, MK_TYPE},
    {"abs", PTX_OP_ABS, 2, 2, 1, MK_TYPE | MK_FTZ},
    {"neg", PTX_OP_NEG, 2, 2, 1, MK_TYPE | MK_FTZ},
    {"min", PTX_OP_MIN, 3, 3, 1, MK_TYPE | MK_FTZ},
    {"max", PTX_OP_MAX, 3, 3, 1, MK_TYPE | MK_FTZ},
    {"fma", PTX_OP_FMA, 4, 4, 1, FLT},
    {"addc", PTX_OP_ADDC, 3, 3, 1, MK_TYPE | MK_CC},
    {"subc", PTX_OP_SUBC, 3, 3, 1, MK_TYPE | MK_CC},
    {"madc", PTX_OP_MADC, 4, 4, 1, MK_TYPE | MK_MUL | MK_CC},
    {"rcp", PTX_OP_RCP, 2, 2, 1, FLT | MK_APPROX},
    {"sqrt", PTX_OP_SQRT, 2, 2, 1, FLT | MK_APPROX},
    {"rsqrt", PTX_OP_RSQRT, 2, 2, 1, MK_TYPE | MK_FTZ | MK_APPROX},
    {"ex2", PTX_OP_EX2, 2, 2, 1, MK_TYPE | MK_FTZ | MK_APPROX},
    {"lg2", PTX_OP_LG2, 2, 2, 1, MK_TYPE | MK_FTZ | MK_APPROX},
    {"sin", PTX_OP_SIN, 2, 2, 1, MK_TYPE | MK_FTZ | MK_APPROX},
    {"cos", PTX_OP_COS, 2, 2, 1, MK_TYPE | MK_FTZ | MK_APPROX},
    {"tanh", PTX_OP_TANH, 2, 2, 1, MK_TYPE | MK_APPROX},
    {"copysign", PTX_OP_COPYSIGN, 3, 3, 1, MK_TYPE},
    {"testp", PTX_OP_TESTP, 2, 2, 1, MK_TYPE | MK_TESTP},
    {"and", PTX_OP_AND, 3, 3, 1, MK_TYPE},
    {"or", PTX_OP_OR, 3, 3, 1, MK_TYPE},
    {"xor", PTX_OP_XOR, 3, 3, 1, MK_TYPE},
    {"not", PTX_OP_NOT, 2, 2, 1, MK_TYPE},
    {"cnot", PTX_OP_CNOT, 2, 2, 1, MK_TYPE},
    {"shl", PTX_OP_SHL, 3, 3, 1, MK_TYPE},
    {"shr", PTX_OP_SHR, 3, 3, 1, MK_TYPE},
    {"shf", PTX_OP_SHF, 4, 4, 1, MK_TYPE | MK_SHF},
    {"popc", PTX_OP_POPC, 2, 2, 1, MK_TYPE},
    {"clz", PTX_OP_CLZ, 2, 2, 1, MK_TYPE},
    {"brev", PTX_OP_BREV, 2, 2, 1, MK_TYPE},
    {"bfe", PTX_OP_BFE, 4, 4, 1, MK_TYPE},
    {"bfi", PTX_OP_BFI, 5, 5, 1, MK_TYPE},
    {"prmt", PTX_OP_PRMT, 4, 4, 1, MK_TYPE | MK_PRMT},
    {"bfind", PTX_OP_BFIND, 2, 2, 1, MK_TYPE | MK_SHIFTAMT},
    {"lop3", PTX_OP_LOP3, 5, 5, 1, MK_TYPE},
    {"setp", PTX_OP_SETP, 3, 4, 1, MK_TYPE | MK_CMP | MK_BOOL | MK_FTZ},
    {"set", PTX_OP_SET, 3, 4, 2, MK_TYPE | MK_CMP | MK_BOOL | MK_FTZ},
    {"selp", PTX_OP_SELP, 4, 4, 1, MK_TYPE},
    {"slct", PTX_OP_SLCT, 4, 4, 2, MK_TYPE | MK_FTZ},
    {"bra", PTX_OP_BRA, 1, 1, 0, MK_UNI},
    {"ret", PTX_OP_RET, 0, 0, 0, MK_UNI},
    {"exit", PTX_OP_EXIT, 0, 0, 0, 0},
    {"bar", PTX_OP_BAR, 1, 2, 0, MK_BAR | MK_ALIGNED | MK_WARP},
    {"barrier", PTX_OP_BAR, 1, 2, 0, MK_BAR | MK_ALIGNED},
    {"membar", PTX_OP_MEMBAR, 0, 0, 0, MK_SCOPE},
    {"fence", PTX_OP_FENCE, 0, 0, 0, MK_ORDER | MK_SCOPE},
    {"atom", PTX_OP_ATOM, 3, 4, 1, MK_TYPE | MK_SPACE | MK_VEC | MK_ATOM | MK_ORDER | MK_SCOPE | MK_HINT},
    {"red", PTX_OP_RED, 2, 2, 1, MK_TYPE | MK_SPACE | MK_VEC | MK_ATOM | MK_ORDER | MK_SCOPE | MK_HINT},
    {"shfl", PTX_OP_SHFL, 5, 5, 1, MK_TYPE | MK_SHFL | MK_SYNC},
    {"vote", PTX_OP_VOTE, 3, 3, 1, MK_TYPE | MK_VOTE | MK_SYNC},
    {"activemask", PTX_OP_ACTIVEMASK, 1, 1, 1, MK_TYPE},
    {"redux", PTX_OP_REDUX, 3, 3, 1, MK_TYPE | MK_ATOM | MK_SYNC},
};

struct modifier {
    const char *name;
    uint32_t kind;
    int value;
};

static const struct modifier modifiers[] = {
    {"rn", MK_ROUND, PTX_RND_RN}, {"rz", MK_ROUND, PTX_RND_RZ}, {"rm", MK_ROUND, PTX_RND_RM},
    {"rp", MK_ROUND, PTX_RND_RP}, {"rni", MK_ROUND, PTX_RND_RNI}, {"rzi", MK_ROUND, PTX_RND_RZI},
    {"rmi", MK_ROUND, PTX_RND_RMI}, {"rpi", MK_ROUND, PTX_RND_RPI},
    {"ftz", MK_FTZ, PTX_FLAG_FTZ}, {"sat", MK_SAT, PTX_FLAG_SAT}, {"approx", MK_APPROX, PTX_FLAG_APPROX},
    {"full", MK_FULL, PTX_FLAG_FULL}, {"cc", MK_CC, PTX_FLAG_CC}, {"uni", MK_UNI, PTX_FLAG_UNI},
    {"nc", MK_NC, PTX_FLAG_NC}, {"volatile", MK_VOLATILE, PTX_FLAG_VOLATILE},
    {"shiftamt", MK_SHIFTAMT, PTX_FLAG_SHIFTAMT}, {"aligned", MK_ALIGNED, PTX_FLAG_ALIGNED},
    {"global", MK_SPACE, PTX_SPACE_GLOBAL}, {"shared", MK_SPACE, PTX_SPACE_SHARED},
    {"shared::cta", MK_SPACE, PTX_SPACE_SHARED}, {"local", MK_SPACE, PTX_SPACE_LOCAL},
    {"const", MK_SPACE, PTX_SPACE_CONST}, {"param", MK_SPACE, PTX_SPACE_PARAM},
    {"v2", MK_VEC, 2}, {"v4", MK_VEC, 4},
    {"eq", MK_CMP, PTX_CMP_EQ}, {"ne", MK_CMP, PTX_CMP_NE}, {"lt", MK_CMP, PTX_CMP_LT},
    {"le", MK_CMP, PTX_CMP_LE}, {"gt", MK_CMP, PTX_CMP_GT}, {"ge", MK_CMP, PTX_CMP_GE},
    {"lo", MK_CMP, PTX_CMP_LO}, {"ls", MK_CMP, PTX_CMP_LS}, {"hi", MK_CMP, PTX_CMP_HI},
    {"hs", MK_CMP, PTX_CMP_HS}, {"equ", MK_CMP, PTX_CMP_EQU}, {"neu", MK_CMP, PTX_CMP_NEU},
    {"ltu", MK_CMP, PTX_CMP_LTU}, {"leu", MK_CMP, PTX_CMP_LEU}, {"gtu", MK_CMP, PTX_CMP_GTU},
    {"geu", MK_CMP, PTX_CMP_GEU}, {"num", MK_CMP, PTX_CMP_NUM}, {"nan", MK_CMP, PTX_CMP_NAN},
    {"and", MK_BOOL, PTX_BOOL_AND}, {"or", MK_BOOL, PTX_BOOL_OR}, {"xor", MK_BOOL, PTX_BOOL_XOR},
    {"lo", MK_MUL, PTX_MODE_LO}, {"hi", MK_MUL, PTX_MODE_HI}, {"wide", MK_MUL, PTX_MODE_WIDE},
    {"add", MK_ATOM, PTX_MODE_ATOM_ADD}, {"min", MK_ATOM, PTX_MODE_ATOM_MIN}, {"max", MK_ATOM, PTX_MODE_ATOM_MAX},
    {"and", MK_ATOM, PTX_MODE_ATOM_AND}, {"or", MK_ATOM, PTX_MODE_ATOM_OR}, {"xor", MK_ATOM, PTX_MODE_ATOM_XOR},
    {"exch", MK_ATOM, PTX_MODE_ATOM_EXCH}, {"cas", MK_ATOM, PTX_MODE_ATOM_CAS},
    {"inc", MK_ATOM, PTX_MODE_ATOM_INC}, {"dec", MK_ATOM, PTX_MODE_ATOM_DEC},
    {"relaxed", MK_ORDER, 0}, {"acquire", MK_ORDER, 0}, {"release", MK_ORDER, 0}, {"acq_rel", MK_ORDER, 0},
    {"sc", MK_ORDER, 0}, {"weak", MK_ORDER, 0},
    {"cta", MK_SCOPE, 0}, {"gpu", MK_SCOPE, 0}, {"sys", MK_SCOPE, 1}, {"gl", MK_SCOPE, 0},
    {"ca", MK_CACHE, PTX_CACHE_CA}, {"cg", MK_CACHE, PTX_CACHE_CG}, {"cs", MK_CACHE, PTX_CACHE_CS},
    {"lu", MK_CACHE, PTX_CACHE_LU}, {"cv", MK_CACHE, PTX_CACHE_CV}, {"wb", MK_CACHE, PTX_CACHE_WB},
    {"wt", MK_CACHE, PTX_CACHE_WT},
    {"up", MK_SHFL, PTX_MODE_SHFL_UP}, {"down", MK_SHFL, PTX_MODE_SHFL_DOWN},
    {"bfly", MK_SHFL, PTX_MODE_SHFL_BFLY}, {"idx", MK_SHFL, PTX_MODE_SHFL_IDX},
    {"all", MK_VOTE, PTX_MODE_VOTE_ALL}, {"any", MK_VOTE, PTX_MODE_VOTE_ANY}, {"uni", MK_VOTE, PTX_MODE_VOTE_UNI},
    {"ballot", MK_VOTE, PTX_MODE_VOTE_BALLOT},
    {"sync", MK_SYNC, 0}, {"sync", MK_BAR, PTX_MODE_BAR_SYNC}, {"arrive", MK_BAR, PTX_MODE_BAR_ARRIVE},
    {"warp", MK_WARP, PTX_MODE_BAR_WARP_SYNC},
    {"to", MK_TO, PTX_MODE_CVTA_TO},
    {"l", MK_SHF, 'l'}, {"r", MK_SHF, 'r'}, {"wrap", MK_SHF, 'w'}, {"clamp", MK_SHF, 'c'},
    {"f4e", MK_PRMT, PTX_MODE_PRMT_F4E}, {"b4e", MK_PRMT, PTX_MODE_PRMT_B4E}, {"rc8", MK_PRMT, PTX_MODE_PRMT_RC8},
    {"ecl", MK_PRMT, PTX_MODE_PRMT_ECL}, {"ecr", MK_PRMT, PTX_MODE_PRMT_ECR},
    {"rc16", MK_PRMT, PTX_MODE_PRMT_RC16},
    {"finite", MK_TESTP, PTX_MODE_TESTP_FINITE}, {"infinite", MK_TESTP, PTX_MODE_TESTP_INFINITE},
    {"number", MK_TESTP, PTX_MODE_TESTP_NUMBER}, {"notanumber", MK_TESTP, PTX_MODE_TESTP_NOTANUMBER},
    {"normal", MK_TESTP, PTX_MODE_TESTP_NORMAL}, {"subnormal", MK_TESTP, PTX_MODE_TESTP_SUBNORMAL},
    {"L1", MK_LEVEL, 0}, {"L2", MK_LEVEL, 0},
};

static const struct {
    const char *name;
    enum ptx_type type;
} type_names[] = {
    {"pred", PTX_T_PRED}, {"b8", PTX_T_B8}, {"b16", PTX_T_B16}, {"b32", PTX_T_B32}, {"b64", PTX_T_B64},
    {"u8", PTX_T_U8}, {"u16", PTX_T_U16}, {"u32", PTX_T_U32}, {"u64", PTX_T_U64}, {"s8", PTX_T_S8},
    {"s16", PTX_T_S16}, {"s32", PTX_T_S32}, {"s64", PTX_T_S64}, {"f16", PTX_T_F16}, {"f16x2", PTX_T_F16X2},
    {"bf16", PTX_T_BF16}, {"bf16x2", PTX_T_BF16X2}, {"f32", PTX_T_F32}, {"f64", PTX_T_F64},
};

enum ptx_type ptx_type_from_name(const char *name, size_t length)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (ptx_name_is(type_names[i].name, name, length))
            return type_names[i].type;
    return PTX_T_NONE;
}

/* Instructions PTX has that vdc does not run, with what to do instead where there is something. */
static const struct {
    const char *name;
    const char *hint;
} unsupported[] = {
    {"call", "mark the callee __forceinline__ so that nvcc inlines it"},
    {"trap", "remove the trap (assert) from the kernel"},
    {"brkpt", NULL}, {"nanosleep", NULL}, {"pmevent", NULL}, {"mma", NULL}, {"wmma", NULL},
    {"ldmatrix", NULL}, {"stmatrix", NULL}, {"cp", NULL}, {"tex", NULL}, {"tld4", NULL}, {"suld", NULL},
    {"sust", NULL}, {"mbarrier", NULL}, {"elect", NULL}, {"griddepcontrol", NULL}, {"setmaxnreg", NULL},
    {"wgmma", NULL}, {"cvt.pack", NULL}, {"dp4a", NULL}, {"dp2a", NULL}, {"fns", NULL}, {"match", NULL},
    {"isspacep", NULL}, {"istypep", NULL}, {"alloca", NULL}, {"stackrestore", NULL}, {"stacksave", NULL},
    {"brx", NULL}, {"vadd", NULL}, {"vsub", NULL}, {"vmad", NULL}, {"multimem", NULL}, {"applypriority", NULL},
    {"discard", NULL}, {"createpolicy", NULL}, {"prefetchu", NULL}, {"getctarank", NULL}, {"mapa", NULL},
    {"bmsk", NULL}, {"szext", NULL}, {"clusterlaunchcontrol", NULL}, {"tcgen05", NULL}, {"cp.async", NULL},
};

/* Checks the bits that decide the layout of the operands: where the memory operand and destinations sit. */
static bool check_operand_kinds(struct ptx_parser *p, struct ptx_insn *in, const char *opname, uint32_t line)
{
    enum ptx_opcode op = in->opcode;
    int memory = -1;
    if (op == PTX_OP_LD || op == PTX_OP_LDU || op == PTX_OP_ATOM)
        memory = 1;
    else if (op == PTX_OP_ST || op == PTX_OP_RED || op == PTX_OP_PREFETCH)
        memory = 0;
    for (int i = 0; i < in->operand_count; i++) {
        uint8_t k = in->op[i].kind;
        if (k == PTX_OPND_ADDR && i != memory)
            return ptx_fail_at(p, line, "'%s' takes no address operand in position %d", opname, i + 1);
        if (k != PTX_OPND_ADDR && i == memory)
            return ptx_fail_at(p, line, "'%s' needs an address [..] as operand %d", opname, i + 1);
        if (k == PTX_OPND_LABEL && op != PTX_OP_BRA)
            return ptx_fail_at(p, line, "'%s' takes no label operand", opname);
    }
    if (op == PTX_OP_BRA && in->op[0].kind != PTX_OPND_LABEL)
        return ptx_fail_at(p, line, "'%s' needs a label operand", opname);
    bool has_destination = !(op == PTX_OP_ST || op == PTX_OP_RED || op == PTX_OP_PREFETCH || op == PTX_OP_BRA ||
                             op == PTX_OP_BAR || op == PTX_OP_RET || op == PTX_OP_EXIT || op == PTX_OP_MEMBAR ||
                             op == PTX_OP_FENCE);
    if (has_destination) {
        uint8_t k = in->op[0].kind;
        bool vector_ok = op == PTX_OP_LD || op == PTX_OP_LDU || op == PTX_OP_MOV;
        bool sink_ok = op == PTX_OP_ATOM || op == PTX_OP_SHFL;
        if (!(k == PTX_OPND_REG || (k == PTX_OPND_VEC && vector_ok) || (k == PTX_OPND_SINK && sink_ok)) ||
            in->op[0].negate)
            return ptx_fail_at(p, line, "the destination of '%s' must be a register", opname);
    }
    if (in->vector > 1) {
        int v = op == PTX_OP_ST ? 1 : 0;
        if (in->op[v].kind != PTX_OPND_VEC || in->op[v].vec_count != in->vector)
            return ptx_fail_at(p, line, "'%s' needs a vector operand of %u registers", opname, in->vector);
    } else {
        for (int i = 0; i < in->operand_count; i++)
            if (in->op[i].kind == PTX_OPND_VEC && op != PTX_OP_MOV)
                return ptx_fail_at(p, line, "'%s' takes no vector operand; add .v2 or .v4", opname);
    }
    if (op == PTX_OP_LD && in->space == PTX_SPACE_PARAM && in->op[1].reg >= 0 && !p->fn->is_entry)
        return ptx_fail_at(p, line, "'%s' through a register is only supported in a kernel (a parameter's address "
                           "taken by mov); read a function's parameters by name", opname);
    return true;
}

/* The type an immediate in operand position `i` is written in. */
static enum ptx_type immediate_type(const struct ptx_insn *in, int i)
{
    switch (in->opcode) {
    case PTX_OP_CVT:
        return i >= 1 ? in->src_type : in->type;
    case PTX_OP_SET:
        return i >= 1 && i <= 2 ? in->src_type : PTX_T_U32;
    case PTX_OP_SLCT:
        return i == 3 ? in->src_type : in->type;
    case PTX_OP_SHL: case PTX_OP_SHR: case PTX_OP_SHF: case PTX_OP_BFE: case PTX_OP_BFI: case PTX_OP_SHFL:
    case PTX_OP_VOTE: case PTX_OP_BAR: case PTX_OP_LOP3: case PTX_OP_REDUX:
        return i >= 2 ? PTX_T_U32 : in->type;
    case PTX_OP_SELP:
        return i == 3 ? PTX_T_PRED : in->type;
    default:
        return in->type;
    }
}

/* Applies one dotted modifier to the instruction; `kinds` are the modifier kinds the opcode allows. */
static bool apply_modifier(struct ptx_parser *p, struct ptx_insn *in, const struct opcode_info *info,
                           const char *part, size_t len, uint32_t *types_seen, int *shf_dir, int *shf_mode,
                           uint32_t *seen, const char *opname, uint32_t line)
{
    enum ptx_type t = ptx_type_from_name(part, len);
    if (t != PTX_T_NONE && (info->allowed & MK_TYPE)) {
        if (*types_seen >= info->types)
            return ptx_fail_at(p, line, "too many types in '%s'", opname);
        if (*types_seen == 0)
            in->type = (uint8_t)t;
        else
            in->src_type = (uint8_t)t;
        (*types_seen)++;
        return true;
    }
    if (len > 4 && (memcmp(part, "L1::", 4) == 0 || memcmp(part, "L2::", 4) == 0) && (info->allowed & MK_HINT)) {
        if (len == 14 && memcmp(part, "L2::cache_hint", 14) == 0)
            return ptx_fail_at(p, line, "unsupported modifier '.L2::cache_hint' in '%s'; drop the cache policy",
                               opname);
        /* The eviction priorities and prefetch sizes the PTX ISA defines; they change nothing here. */
        static const char *const hints[] = {"L1::evict_normal", "L1::evict_unchanged", "L1::evict_first",
                                            "L1::evict_last", "L1::no_allocate", "L2::evict_normal",
                                            "L2::evict_first", "L2::evict_last", "L2::64B", "L2::128B", "L2::256B"};
        for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
            if (ptx_name_is(hints[i], part, len))
                return true;
        return ptx_fail_at(p, line, "unsupported modifier '.%.*s' in '%s'; the PTX ISA's hints are .L1::evict_normal, "
                                    "evict_unchanged, evict_first, evict_last, no_allocate, .L2::evict_normal, "
                                    "evict_first, evict_last and .L2::64B, 128B, 256B",
                           (int)len, part, opname);
    }
    for (size_t i = 0; i < sizeof modifiers / sizeof modifiers[0]; i++) {
        const struct modifier *m = &modifiers[i];
        if (!(m->kind & info->allowed) || !ptx_name_is(m->name, part, len))
            continue;
        /* setp/set read and/or/xor as the combining operation; lo/hi as comparisons. */
        if (m->kind == MK_ATOM && (info->allowed & MK_BOOL))
            continue;
        if (m->kind & *seen & (MK_ROUND | MK_SPACE | MK_VEC | MK_CMP | MK_BOOL | MK_MUL | MK_ATOM | MK_SHFL |
                               MK_VOTE | MK_PRMT | MK_TESTP | MK_BAR))
            return ptx_fail_at(p, line, "conflicting modifier '.%.*s' in '%s'", (int)len, part, opname);
        *seen |= m->kind;
        switch (m->kind) {
        case MK_ROUND: in->rounding = (uint8_t)m->value; break;
        case MK_SPACE: in->space = (uint8_t)m->value; break;
        case MK_VEC: in->vector = (uint8_t)m->value; break;
        case MK_CMP: in->cmp = (uint8_t)m->value; break;
        case MK_BOOL: in->bool_op = (uint8_t)m->value; break;
        case MK_BAR:
            /* bar.warp.sync keeps its own mode */
            if (in->mode != PTX_MODE_BAR_WARP_SYNC)
                in->mode = (uint8_t)m->value;
            break;
        case MK_MUL: case MK_ATOM: case MK_SHFL: case MK_VOTE: case MK_TO: case MK_PRMT: case MK_TESTP:
        case MK_WARP:
            in->mode = (uint8_t)m->value;
            break;
        case MK_ORDER: case MK_SCOPE:
            if (in->opcode != PTX_OP_MEMBAR)
                in->flags |= PTX_FLAG_RELAXED_ORDER;
            if (m->kind == MK_SCOPE && m->value == 1 && (in->opcode == PTX_OP_MEMBAR || in->opcode == PTX_OP_FENCE))
                in->flags |= PTX_FLAG_SCOPE_SYS;
            break;
        case MK_SHF:
            if (m->value == 'l' || m->value == 'r')
                *shf_dir = m->value;
            else
                *shf_mode = m->value;
            break;
        case MK_CACHE:
            if (in->cache_op != PTX_CACHE_DEFAULT)
                return ptx_fail_at(p, line, "'%s' has two cache operators; keep one", opname);
            in->cache_op = (uint8_t)m->value;
            break;
        case MK_LEVEL: case MK_SYNC:
            break;
        default:
            in->flags |= (uint32_t)m->value;
            break;
        }
        return true;
    }
    if (t != PTX_T_NONE)
        return ptx_fail_at(p, line, "'%s' takes no type", opname);
    return ptx_fail_at(p, line, "unsupported modifier '.%.*s' in '%s'", (int)len, part, opname);
}

/* Checks what each opcode requires once all modifiers are read, and settles modes made of two modifiers. */
static bool finish_modifiers(struct ptx_parser *p, struct ptx_insn *in, const struct opcode_info *info,
                             uint32_t types_seen, int shf_dir, int shf_mode, uint32_t seen, const char *opname,
                             uint32_t line)
{
    if (types_seen < info->types)
        return ptx_fail_at(p, line, "'%s' needs %s", opname, info->types == 2 ? "two types" : "a type");
    if (in->cache_op != PTX_CACHE_DEFAULT) {
        static const char *const names[] = {"", "ca", "cg", "cs", "lu", "cv", "wb", "wt"};
        bool load = in->opcode == PTX_OP_LD || in->opcode == PTX_OP_LDU;
        bool store = in->opcode == PTX_OP_ST;
        bool fits = load ? in->cache_op <= PTX_CACHE_CV
                         : store && (in->cache_op == PTX_CACHE_CG || in->cache_op == PTX_CACHE_CS ||
                                     in->cache_op >= PTX_CACHE_WB);
        if (!fits)
            return ptx_fail_at(p, line, "'%s': .%s is not a cache operator of %s; ld takes .ca .cg .cs .lu .cv and "
                                        "st .wb .cg .cs .wt",
                               opname, names[in->cache_op], load ? "ld" : store ? "st" : "this instruction");
        if (in->flags & PTX_FLAG_VOLATILE)
            return ptx_fail_at(p, line, "'%s': .volatile takes no cache operator; drop .%s", opname,
                               names[in->cache_op]);
    }
    switch (in->opcode) {
    case PTX_OP_SHF:
        if (shf_dir == 0 || shf_mode == 0)
            return ptx_fail_at(p, line, "'%s' needs .l or .r and .wrap or .clamp", opname);
        in->mode = (uint8_t)(shf_dir == 'l' ? (shf_mode == 'w' ? PTX_MODE_SHF_L_WRAP : PTX_MODE_SHF_L_CLAMP)
                                            : (shf_mode == 'w' ? PTX_MODE_SHF_R_WRAP : PTX_MODE_SHF_R_CLAMP));
        break;
    case PTX_OP_CVTA:
        if (in->space == PTX_SPACE_NONE || in->space == PTX_SPACE_PARAM)
            return ptx_fail_at(p, line, "'%s' needs a state space (.global, .shared, .local or .const)", opname);
        if (in->mode != PTX_MODE_CVTA_TO)
            in->mode = PTX_MODE_CVTA_FROM;
        break;
    case PTX_OP_SETP: case PTX_OP_SET:
        if (in->cmp == PTX_CMP_NONE)
            return ptx_fail_at(p, line, "'%s' needs a comparison such as .lt or .eq", opname);
        break;
    case PTX_OP_ATOM: case PTX_OP_RED: case PTX_OP_REDUX:
        if (in->mode == PTX_MODE_NONE)
            return ptx_fail_at(p, line, "'%s' needs an operation such as .add or .cas", opname);
        if (in->vector > 1)
            return ptx_fail_at(p, line, "vector atomics '%s' are not supported; use one atomic per element",
                               opname);
        if (in->opcode != PTX_OP_ATOM && in->mode == PTX_MODE_ATOM_CAS)
            return ptx_fail_at(p, line, "'%s': .cas exists only for atom", opname);
        if (in->opcode == PTX_OP_REDUX && !(seen & MK_SYNC))
            return ptx_fail_at(p, line, "'%s' needs .sync", opname);
        break;
    case PTX_OP_SHFL:
        if (in->mode == PTX_MODE_NONE || !(seen & MK_SYNC))
            return ptx_fail_at(p, line, "'%s' needs .sync and a mode (.up, .down, .bfly or .idx)", opname);
        break;
    case PTX_OP_VOTE:
        if (in->mode == PTX_MODE_NONE || !(seen & MK_SYNC))
            return ptx_fail_at(p, line, "'%s' needs .sync and a mode (.all, .any, .uni or .ballot)", opname);
        break;
    case PTX_OP_BAR:
        if (in->mode == PTX_MODE_BAR_WARP_SYNC) {
            if (!(seen & MK_BAR) || (seen & MK_ALIGNED))
                return ptx_fail_at(p, line, "'%s': write bar.warp.sync", opname);
        } else if (in->mode == PTX_MODE_NONE) {
            return ptx_fail_at(p, line, "'%s' needs .sync or .arrive", opname);
        }
        break;
    case PTX_OP_TESTP:
        if (in->mode == PTX_MODE_NONE)
            return ptx_fail_at(p, line, "'%s' needs a property such as .finite or .nan", opname);
        break;
    default:
        break;
    }
    if (in->vector == 0)
        in->vector = 1;
    return true;
}

/* Places parsed operands where the IR expects them (setp's q and shfl's predicate have fixed slots). */
static bool place_operands(struct ptx_parser *p, struct ptx_insn *in, struct ptx_operand *list, int count,
                           const struct ptx_operand *second_destination, const struct opcode_info *info,
                           const char *opname, uint32_t line)
{
    if (count < info->min_operands || count > info->max_operands)
        return ptx_fail_at(p, line, "'%s' takes %u%s operand%s, found %d", opname, info->min_operands,
                           info->max_operands != info->min_operands ? " or more" : "",
                           info->max_operands == 1 ? "" : "s", count);
    if (in->opcode == PTX_OP_ATOM && (count == 4) != (in->mode == PTX_MODE_ATOM_CAS))
        return ptx_fail_at(p, line, "'%s' takes %d operands, found %d", opname,
                           in->mode == PTX_MODE_ATOM_CAS ? 4 : 3, count);
    if ((in->opcode == PTX_OP_SETP || in->opcode == PTX_OP_SET) && (count == 4) != (in->bool_op != PTX_BOOL_NONE))
        return ptx_fail_at(p, line, "'%s' takes %d operands, found %d", opname,
                           in->bool_op != PTX_BOOL_NONE ? 4 : 3, count);
    if (second_destination != NULL && in->opcode != PTX_OP_SETP && in->opcode != PTX_OP_SHFL)
        return ptx_fail_at(p, line, "'|' (a second destination) is only allowed after setp's or shfl's destination");
    memset(in->op, 0, sizeof in->op);
    for (int i = 0; i < PTX_MAX_OPERANDS; i++) {
        in->op[i].reg = -1;
        in->op[i].symbol = -1;
        for (int j = 0; j < 4; j++)
            in->op[i].vec[j] = -1;
    }
    if (in->opcode == PTX_OP_SHFL) {
        in->op[0] = list[0];
        if (second_destination != NULL)
            in->op[1] = *second_destination;
        for (int i = 1; i < count; i++)
            in->op[i + 1] = list[i];
        in->operand_count = 6;
    } else if (in->opcode == PTX_OP_SETP) {
        for (int i = 0; i < count; i++)
            in->op[i] = list[i];
        in->operand_count = (uint8_t)count;
        if (second_destination != NULL) {
            in->op[4] = *second_destination;
            in->operand_count = 5;
        }
    } else {
        for (int i = 0; i < count; i++)
            in->op[i] = list[i];
        in->operand_count = (uint8_t)count;
    }
    return check_operand_kinds(p, in, opname, line);
}

static struct ptx_insn *append_insn(struct ptx_parser *p)
{
    struct ptx_function *fn = p->fn;
    if (fn->insn_count == p->insn_capacity) {
        p->insn_capacity = p->insn_capacity ? p->insn_capacity * 2 : 64;
        fn->insns = vdc_xrealloc(fn->insns, p->insn_capacity, sizeof *fn->insns);
    }
    return &fn->insns[fn->insn_count++];
}

bool ptx_parse_instruction(struct ptx_parser *p, int32_t guard, bool guard_negate, uint32_t line)
{
    char opname[160];
    ptx_tok_copy(p, opname, sizeof opname);
    if (p->tok.length >= sizeof opname)
        return ptx_fail(p, "instruction name too long");
    const char *dot = strchr(opname, '.');
    size_t base = dot != NULL ? (size_t)(dot - opname) : strlen(opname);
    const struct opcode_info *info = NULL;
    for (size_t i = 0; i < sizeof opcodes / sizeof opcodes[0]; i++)
        if (ptx_name_is(opcodes[i].name, opname, base))
            info = &opcodes[i];
    if (info == NULL) {
        for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++) {
            if (ptx_name_is(unsupported[i].name, opname, base)) {
                if (unsupported[i].hint != NULL)
                    return ptx_fail(p, "unsupported instruction '%s'; %s", opname, unsupported[i].hint);
                return ptx_fail(p, "unsupported instruction '%s'; vdc runs the instructions listed in docs/higpu.md",
                                opname);
            }
        }
        return ptx_fail(p, "unknown instruction '%s'", opname);
    }
    struct ptx_insn in;
    memset(&in, 0, sizeof in);
    in.opcode = (uint16_t)info->op;
    in.guard = guard;
    in.guard_negate = guard_negate;
    in.line = line;
    uint32_t types_seen = 0, seen = 0;
    int shf_dir = 0, shf_mode = 0;
    const char *part = dot;
    while (part != NULL) {
        part++;
        const char *next = strchr(part, '.');
        size_t len = next != NULL ? (size_t)(next - part) : strlen(part);
        if (len == 0)
            return ptx_fail_at(p, line, "empty modifier in '%s'", opname);
        if (!apply_modifier(p, &in, info, part, len, &types_seen, &shf_dir, &shf_mode, &seen, opname, line))
            return false;
        part = next;
    }
    if (!finish_modifiers(p, &in, info, types_seen, shf_dir, shf_mode, seen, opname, line))
        return false;
    ptx_lex_next(p);
    struct ptx_operand list[8], second;
    bool has_second = false;
    int count = 0;
    if (!ptx_tok_punct(p, ';')) {
        for (;;) {
            if (count == 8)
                return ptx_fail(p, "too many operands for '%s'", opname);
            if (!ptx_parse_operand(p, &in, &list[count], immediate_type(&in, count), in.opcode == PTX_OP_BRA))
                return false;
            count++;
            if (count == 1 && ptx_tok_punct(p, '|')) {
                ptx_lex_next(p);
                if (!ptx_parse_operand(p, &in, &second, PTX_T_PRED, false))
                    return false;
                if (second.kind != PTX_OPND_REG)
                    return ptx_fail_at(p, line, "the second destination of '%s' must be a register", opname);
                has_second = true;
            }
            if (!ptx_tok_punct(p, ','))
                break;
            ptx_lex_next(p);
        }
    }
    if (!ptx_tok_punct(p, ';')) {
        if (p->tok.line != line && p->tok.kind != PTX_TOK_EOF)
            return ptx_fail_at(p, line, "missing ';' after '%s'", opname);
        return ptx_fail_expected(p, "',' or ';'");
    }
    ptx_lex_next(p);
    if (!place_operands(p, &in, list, count, has_second ? &second : NULL, info, opname, line))
        return false;
    if (in.guard >= 0 && p->fn->regs[in.guard].type != PTX_T_PRED)
        return ptx_fail_at(p, line, "guard '@%s' is not a predicate register", p->fn->regs[in.guard].name);
    /* Forms whose semantics vdc does not implement (a type or modifier of an otherwise known instruction) are
     * refused here, with their line, rather than at run time. */
    const char *why = NULL;
    if (!ptx_scalar_supported(&in, &why))
        return ptx_fail_at(p, line, "unsupported instruction '%s': %s", opname, why ? why : "not implemented");
    in.reconverge = 0;
    *append_insn(p) = in;
    return true;
}
