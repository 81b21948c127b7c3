/* The PTX intermediate form: what the parser (ptx_parse.c) makes of nvcc's text and the SIMT executor runs. */
#ifndef VDC_DEVICES_HIGPU_PTX_IR_H
#define VDC_DEVICES_HIGPU_PTX_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* The contract between the front end (ptx_parse*.c, ptx_cfg.c) and the executor:
 *
 * - Registers are numbered slots, one per declared register of any type, predicates included
 *   (ptx_function.regs). `%r<89>` declares %r0..%r88. A register declared in a nested `{ }` block gets its own
 *   slot even when its name repeats an outer or earlier one (nvcc's `{ .reg .b32 %temp; ... }`).
 * - op[0] is the destination; sources follow in PTX order. Fixed slots where PTX has optional parts:
 *   setp: op[0] p, op[1] a, op[2] b, op[3] c (the .and/.or/.xor predicate, kind NONE without one),
 *         op[4] q (the second destination of `p|q`, kind NONE when absent); its `type` is the comparison type.
 *   shfl: op[0] d, op[1] the predicate destination of `d|p` (kind NONE when absent), op[2] a, op[3] b, op[4] c,
 *         op[5] membermask. vote: op[0] d, op[1] the predicate (negate set for `!p`), op[2] membermask.
 *   st and red: op[0] the address, op[1] the value. atom: op[0] d, op[1] the address, op[2] b, op[3] c (cas).
 *   bar/barrier: op[0] the barrier id, op[1] the thread count (or NONE); bar.warp.sync: op[0] the mask.
 * - `type` is the type suffix as written (mul.wide.s32 has S32, the destination being twice as wide); the
 *   second type of cvt (source), set and slct (comparison) is src_type.
 * - PTX_OPND_SYMBOL and PTX_OPND_ADDR with symbol >= 0 refer to ptx_module.vars; function-scope .shared and
 *   .local variables are there too, with `function` set.
 * - A kernel parameter in an address (`ld.param.u32 %r1, [k_param_2+4]`) is an ADDR operand with symbol = -1,
 *   reg = -1 and imm = the parameter's offset in the parameter buffer plus the written offset; the instruction's
 *   space is PARAM. ld.param through a register is refused.
 * - PTX_OPND_LABEL's imm is the target instruction index (insn_count for a label after the last instruction).
 * - Immediates of float instructions are the bits of the instruction's float type (0f literals for f32, 0d for
 *   f64; a decimal or integer literal is converted with round-to-nearest).
 * - Cache operators (.ca .cg .cs .lu .cv on ld, .wb .cg .cs .wt on st) are kept in `cache_op`, any other use of
 *   one is refused; L1::/L2:: hints and prefetch levels are accepted and dropped;
 *   memory ordering (.relaxed .acquire .release .acq_rel .sc .weak) and scopes (.cta .gpu .sys) set
 *   PTX_FLAG_RELAXED_ORDER and change nothing else but that a .sys scope also sets PTX_FLAG_SCOPE_SYS (on membar
 *   and fence: wait for the warp's stores to peers to land).
 */

/* Instruction and variable types. Order matters: helpers below test ranges. */
enum ptx_type {
    PTX_T_NONE = 0,
    PTX_T_PRED,
    PTX_T_B8, PTX_T_B16, PTX_T_B32, PTX_T_B64,
    PTX_T_U8, PTX_T_U16, PTX_T_U32, PTX_T_U64,
    PTX_T_S8, PTX_T_S16, PTX_T_S32, PTX_T_S64,
    PTX_T_F16, PTX_T_F16X2, PTX_T_BF16, PTX_T_BF16X2, PTX_T_F32, PTX_T_F64,
    PTX_T_COUNT
};

/* Bytes of one value of `t` (1 for PRED, as in memory; 0 for NONE). */
unsigned ptx_type_size(enum ptx_type t);
bool ptx_type_is_signed(enum ptx_type t);
bool ptx_type_is_float(enum ptx_type t);
const char *ptx_type_name(enum ptx_type t); /* "s32", "f64", ... */

/* State spaces. NONE is generic addressing. */
enum ptx_space {
    PTX_SPACE_NONE = 0,
    PTX_SPACE_GLOBAL,
    PTX_SPACE_SHARED,
    PTX_SPACE_LOCAL,
    PTX_SPACE_CONST,
    PTX_SPACE_PARAM,
    PTX_SPACE_REG,
    PTX_SPACE_COUNT
};

enum ptx_opcode {
    PTX_OP_NONE = 0,
    /* data movement and addresses */
    PTX_OP_LD, PTX_OP_LDU, PTX_OP_ST, PTX_OP_MOV, PTX_OP_CVTA, PTX_OP_CVT, PTX_OP_PREFETCH,
    /* integer and float arithmetic (type says which) */
    PTX_OP_ADD, PTX_OP_SUB, PTX_OP_MUL, PTX_OP_MAD, PTX_OP_MUL24, PTX_OP_MAD24, PTX_OP_SAD, PTX_OP_DIV, PTX_OP_REM,
    PTX_OP_ABS, PTX_OP_NEG, PTX_OP_MIN, PTX_OP_MAX, PTX_OP_FMA,
    PTX_OP_ADDC, PTX_OP_SUBC, PTX_OP_MADC, /* carry-in forms; the .cc carry-out is PTX_MOD_CC on ADD/SUB/MAD */
    /* float-only */
    PTX_OP_RCP, PTX_OP_SQRT, PTX_OP_RSQRT, PTX_OP_EX2, PTX_OP_LG2, PTX_OP_SIN, PTX_OP_COS, PTX_OP_TANH,
    PTX_OP_COPYSIGN, PTX_OP_TESTP,
    /* bits */
    PTX_OP_AND, PTX_OP_OR, PTX_OP_XOR, PTX_OP_NOT, PTX_OP_CNOT, PTX_OP_SHL, PTX_OP_SHR, PTX_OP_SHF,
    PTX_OP_POPC, PTX_OP_CLZ, PTX_OP_BREV, PTX_OP_BFE, PTX_OP_BFI, PTX_OP_PRMT, PTX_OP_BFIND, PTX_OP_LOP3,
    /* comparison and selection */
    PTX_OP_SETP, PTX_OP_SET, PTX_OP_SELP, PTX_OP_SLCT,
    /* control */
    PTX_OP_BRA, PTX_OP_RET, PTX_OP_EXIT, PTX_OP_BAR, PTX_OP_MEMBAR, PTX_OP_FENCE,
    /* atomics and warp-level */
    PTX_OP_ATOM, PTX_OP_RED, PTX_OP_SHFL, PTX_OP_VOTE, PTX_OP_ACTIVEMASK, PTX_OP_REDUX,
    PTX_OP_COUNT
};
const char *ptx_opcode_name(enum ptx_opcode op);

enum ptx_cmp {
    PTX_CMP_NONE = 0,
    PTX_CMP_EQ, PTX_CMP_NE, PTX_CMP_LT, PTX_CMP_LE, PTX_CMP_GT, PTX_CMP_GE,
    PTX_CMP_LO, PTX_CMP_LS, PTX_CMP_HI, PTX_CMP_HS,                          /* unsigned */
    PTX_CMP_EQU, PTX_CMP_NEU, PTX_CMP_LTU, PTX_CMP_LEU, PTX_CMP_GTU, PTX_CMP_GEU, /* float, unordered or */
    PTX_CMP_NUM, PTX_CMP_NAN,
    PTX_CMP_COUNT
};

/* setp/set's combining operation with a third predicate operand. */
enum ptx_bool_op { PTX_BOOL_NONE = 0, PTX_BOOL_AND, PTX_BOOL_OR, PTX_BOOL_XOR };

/* Rounding: float rounding (.rn .rz .rm .rp) and float-to-integer rounding (.rni .rzi .rmi .rpi). */
enum ptx_rounding {
    PTX_RND_NONE = 0,
    PTX_RND_RN, PTX_RND_RZ, PTX_RND_RM, PTX_RND_RP,
    PTX_RND_RNI, PTX_RND_RZI, PTX_RND_RMI, PTX_RND_RPI,
};

/* The instruction's mode, whose meaning depends on the opcode. */
enum ptx_mode {
    PTX_MODE_NONE = 0,
    /* mul, mad, mul24, mad24 */
    PTX_MODE_LO, PTX_MODE_HI, PTX_MODE_WIDE,
    /* atom, red, redux */
    PTX_MODE_ATOM_ADD, PTX_MODE_ATOM_MIN, PTX_MODE_ATOM_MAX, PTX_MODE_ATOM_AND, PTX_MODE_ATOM_OR,
    PTX_MODE_ATOM_XOR, PTX_MODE_ATOM_EXCH, PTX_MODE_ATOM_CAS, PTX_MODE_ATOM_INC, PTX_MODE_ATOM_DEC,
    /* shfl */
    PTX_MODE_SHFL_UP, PTX_MODE_SHFL_DOWN, PTX_MODE_SHFL_BFLY, PTX_MODE_SHFL_IDX,
    /* vote */
    PTX_MODE_VOTE_ALL, PTX_MODE_VOTE_ANY, PTX_MODE_VOTE_UNI, PTX_MODE_VOTE_BALLOT,
    /* cvta: .to.space (generic to space) or from space to generic */
    PTX_MODE_CVTA_TO, PTX_MODE_CVTA_FROM,
    /* shf */
    PTX_MODE_SHF_L_WRAP, PTX_MODE_SHF_L_CLAMP, PTX_MODE_SHF_R_WRAP, PTX_MODE_SHF_R_CLAMP,
    /* prmt */
    PTX_MODE_PRMT_F4E, PTX_MODE_PRMT_B4E, PTX_MODE_PRMT_RC8, PTX_MODE_PRMT_ECL, PTX_MODE_PRMT_ECR,
    PTX_MODE_PRMT_RC16,
    /* bar: bar.sync / barrier.sync (wait) or bar.arrive (no wait), bar.red.* is refused */
    PTX_MODE_BAR_SYNC, PTX_MODE_BAR_ARRIVE,
    PTX_MODE_BAR_WARP_SYNC, /* bar.warp.sync membermask (__syncwarp): op[0] is the mask */
    /* testp */
    PTX_MODE_TESTP_FINITE, PTX_MODE_TESTP_INFINITE, PTX_MODE_TESTP_NUMBER, PTX_MODE_TESTP_NOTANUMBER,
    PTX_MODE_TESTP_NORMAL, PTX_MODE_TESTP_SUBNORMAL,
    PTX_MODE_COUNT
};

/* Modifier flags. */
enum ptx_flag {
    PTX_FLAG_FTZ = 1u << 0,     /* flush subnormal inputs and results to sign-preserving zero */
    PTX_FLAG_SAT = 1u << 1,     /* saturate (float: clamp to [0,1], NaN to 0; integer: clamp to the type) */
    PTX_FLAG_APPROX = 1u << 2,
    PTX_FLAG_FULL = 1u << 3,    /* div.full.f32 */
    PTX_FLAG_CC = 1u << 4,      /* writes the carry flag (add.cc, sub.cc, mad.cc) */
    PTX_FLAG_UNI = 1u << 5,     /* bra.uni: the parser promises no divergence, the executor does not rely on it */
    PTX_FLAG_NC = 1u << 6,      /* ld.global.nc: non-coherent (read-only) path */
    PTX_FLAG_VOLATILE = 1u << 7,
    PTX_FLAG_SHIFTAMT = 1u << 8, /* bfind.shiftamt */
    PTX_FLAG_ALIGNED = 1u << 9, /* bar.sync .aligned / barrier.sync.aligned */
    PTX_FLAG_RELAXED_ORDER = 1u << 10, /* atom/red/fence ordering modifiers that change nothing here */
    PTX_FLAG_SCOPE_SYS = 1u << 11, /* membar.sys, fence.*.sys: waits for the thread's stores to peers to land */
};

/* One operand. */
enum ptx_operand_kind {
    PTX_OPND_NONE = 0,
    PTX_OPND_REG,     /* reg: a register slot */
    PTX_OPND_IMM,     /* imm: the value's bits (integers sign-extended to 64; f32 in the low 32 bits; f64 all 64) */
    PTX_OPND_SREG,    /* sreg, sreg_component: a special register such as %tid.x */
    PTX_OPND_ADDR,    /* [reg + offset] or [symbol + offset] or [offset]: reg or symbol (or neither), plus imm */
    PTX_OPND_SYMBOL,  /* the address of a variable (symbol) + imm: `mov.u64 %rd1, sym;` or `sym+8` */
    PTX_OPND_VEC,     /* {r0, r1[, r2, r3]}: vec_count registers in vec[] (an entry of -1 is the sink `_`) */
    PTX_OPND_LABEL,   /* target: an instruction index in the function */
    PTX_OPND_SINK,    /* `_` */
};

enum ptx_sreg {
    PTX_SREG_TID = 1, PTX_SREG_NTID, PTX_SREG_CTAID, PTX_SREG_NCTAID, /* with component 0..2 (x, y, z) */
    PTX_SREG_LANEID, PTX_SREG_WARPID, PTX_SREG_NWARPID, PTX_SREG_SMID, PTX_SREG_NSMID, PTX_SREG_GRIDID,
    PTX_SREG_CLOCK, PTX_SREG_CLOCK64, PTX_SREG_GLOBALTIMER,
    PTX_SREG_LANEMASK_EQ, PTX_SREG_LANEMASK_LE, PTX_SREG_LANEMASK_LT, PTX_SREG_LANEMASK_GE, PTX_SREG_LANEMASK_GT,
    PTX_SREG_DYNAMIC_SMEM_SIZE, PTX_SREG_TOTAL_SMEM_SIZE,
};

struct ptx_operand {
    uint8_t kind;           /* enum ptx_operand_kind */
    uint8_t negate;         /* `!%p` as a predicate source operand */
    uint8_t vec_count;      /* PTX_OPND_VEC */
    uint8_t sreg_component; /* 0, 1, 2 for .x .y .z */
    uint16_t sreg;          /* enum ptx_sreg */
    int32_t reg;            /* register slot, or -1 */
    int32_t symbol;         /* index into the module's variables (ptx_module.vars), or -1 */
    int32_t vec[4];         /* register slots of a vector operand; -1 for `_` */
    int64_t imm;            /* immediate bits, address offset, or label target (instruction index) */
};

#define PTX_MAX_OPERANDS 6

/* ld's and st's cache operators (PTX ISA, "Cache Operators"). */
enum ptx_cache_op {
    PTX_CACHE_DEFAULT = 0, /* none written: .ca for ld, .wb for st */
    PTX_CACHE_CA,          /* ld: cache at all levels */
    PTX_CACHE_CG,          /* ld/st: cache in L2, not L1 */
    PTX_CACHE_CS,          /* ld/st: streaming, likely accessed once: evict first */
    PTX_CACHE_LU,          /* ld: last use (on global addresses, as .cs) */
    PTX_CACHE_CV,          /* ld: do not cache, fetch again (L1 is bypassed; device memory's L2 is the point of
                            * coherence, so it is read there) */
    PTX_CACHE_WB,          /* st: write back */
    PTX_CACHE_WT,          /* st: write through to system memory (on device memory, as .wb) */
};

struct ptx_insn {
    uint16_t opcode;     /* enum ptx_opcode */
    uint8_t type;        /* enum ptx_type: the instruction's (destination) type */
    uint8_t src_type;    /* cvt's source type; set's/slct's comparison type; else NONE */
    uint8_t space;       /* enum ptx_space for ld/st/atom/red/cvta/prefetch */
    uint8_t vector;      /* 1, 2 or 4 (ld/st .v2 .v4) */
    uint8_t cmp;         /* enum ptx_cmp (setp, set) */
    uint8_t bool_op;     /* enum ptx_bool_op (setp, set) */
    uint8_t rounding;    /* enum ptx_rounding */
    uint8_t mode;        /* enum ptx_mode */
    uint8_t operand_count;
    uint8_t guard_negate;
    uint8_t cache_op;    /* enum ptx_cache_op (ld, st) */
    uint32_t flags;      /* enum ptx_flag bits */
    int32_t guard;       /* guard predicate register slot, -1 when unguarded */
    uint32_t line;       /* line in the source text, for messages */
    /* For a branch: the instruction index where the paths it may split rejoin (its immediate post-dominator);
     * the function's instruction count when they only rejoin at exit. */
    uint32_t reconverge;
    /* Operands in PTX's order: destination(s) first. setp with two destinations (p|q) has them as op[0] and
     * op[1]; shfl's optional predicate destination likewise (op[1], kind NONE when absent). */
    struct ptx_operand op[PTX_MAX_OPERANDS];
};

/* A variable: module-scope .global/.const/.shared, function-scope .shared/.local (after nvcc's demotion). */
struct ptx_var {
    char *name;
    uint8_t space;       /* enum ptx_space */
    uint8_t type;        /* element type */
    bool is_extern;      /* `.extern .shared ... x[]`: dynamic shared memory, size 0 */
    uint32_t align;      /* bytes; a power of two */
    uint64_t size;       /* bytes */
    uint8_t *init;       /* `size` bytes of initial value, or NULL (zeros) */
    int32_t function;    /* index of the function it is declared in, or -1 at module scope */
    /* .shared: byte offset in the block's shared memory (the same in every kernel for module-scope ones; 0 for an
     * extern one, which sits at the start of dynamic shared memory, i.e. at the kernel's shared_bytes).
     * .local: byte offset in the thread's local memory. 0 for .global and .const. */
    uint64_t offset;
};

struct ptx_param {
    char *name;
    uint8_t type;        /* enum ptx_type; B8 with size for .param .align A .b8 p[N] */
    uint32_t align;
    uint32_t size;
    uint32_t offset;     /* in the kernel's parameter buffer, aligned */
};

struct ptx_reg_info {
    char *name;          /* "%r12" */
    uint8_t type;        /* declared type */
};

struct ptx_function {
    char *name;
    bool is_entry;               /* .entry (a kernel) rather than .func */
    struct ptx_param *params;
    uint32_t param_count;
    uint32_t param_bytes;        /* size of the parameter buffer */
    struct ptx_reg_info *regs;   /* every register slot, declared with .reg */
    uint32_t reg_count;
    struct ptx_insn *insns;
    uint32_t insn_count;
    uint64_t shared_bytes;       /* static shared memory of this kernel (its own and module-scope .shared it uses) */
    uint64_t local_bytes;        /* per-thread .local */
    /* Registers a compiler would allocate per thread: the most 32-bit registers live at once (64-bit values
     * count twice, predicates not at all), by liveness analysis, rounded up to 8. Occupancy uses it. */
    uint32_t registers_per_thread;
    /* Performance-tuning directives (0 when absent). */
    uint32_t maxntid[3], reqntid[3], minnctapersm, maxnreg;
};

struct ptx_module {
    char *source_name;           /* for messages */
    uint32_t version_major, version_minor; /* .version */
    uint32_t target_sm;          /* .target sm_NN */
    uint32_t address_size;       /* 64 (32 is refused) */
    struct ptx_var *vars;
    uint32_t var_count;
    struct ptx_function *functions;
    uint32_t function_count;
};

/* Reads nvcc's PTX text. A .func's return parameters follow its parameters in `params` (call is refused, so a
 * .func is parsed but never runs). On error returns NULL with a one-line message "NAME:LINE: what; how to fix". An
 * instruction, type or modifier vdc does not implement is refused here, by name and line. */
struct ptx_module *ptx_module_parse(const char *text, uint64_t length, const char *source_name,
                                    struct vdc_error *err);
void ptx_module_free(struct ptx_module *module);

/* The kernel (.entry) called `name`, or NULL. */
const struct ptx_function *ptx_module_find_kernel(const struct ptx_module *module, const char *name);

#endif
