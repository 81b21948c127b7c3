/* Compiles a PTX function for the SIMT executor: operands become register-slot or constant references, symbols
 * become addresses (a device-memory variable's a relocation, filled per GPU), each instruction gets its handler,
 * per-lane function, timing class and scoreboard sources. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_internal.h"

struct compile {
    const struct gpu_params *params;
    const struct ptx_module *module;
    struct gpu_kernel *k;
    const struct ptx_function *f;
    uint64_t *var_value;     /* per module variable: its shared or local offset as this kernel sees it, else 0 */
    uint32_t constant_capacity, reloc_capacity;
    bool *relocated;         /* per constant: filled by a relocation (so no other constant may be merged into it) */
    struct vdc_error *err;
};

enum gpu_insn_class gpu_insn_class_of(const struct ptx_insn *in)
{
    enum ptx_type t = in->type;
    switch (in->opcode) {
    case PTX_OP_LD:
    case PTX_OP_LDU:
    case PTX_OP_ST:
    case PTX_OP_PREFETCH:
        if (in->space == PTX_SPACE_SHARED)
            return GPU_CLASS_SHARED;
        if (in->space == PTX_SPACE_CONST || in->space == PTX_SPACE_PARAM)
            return GPU_CLASS_CONST;
        return GPU_CLASS_GLOBAL;
    case PTX_OP_ATOM:
    case PTX_OP_RED:
        return GPU_CLASS_ATOMIC;
    case PTX_OP_BRA:
    case PTX_OP_RET:
    case PTX_OP_EXIT:
        return GPU_CLASS_BRANCH;
    case PTX_OP_BAR:
    case PTX_OP_MEMBAR:
    case PTX_OP_FENCE:
        return GPU_CLASS_BARRIER;
    case PTX_OP_SHFL:
    case PTX_OP_VOTE:
    case PTX_OP_ACTIVEMASK:
    case PTX_OP_REDUX:
        return GPU_CLASS_WARP;
    case PTX_OP_RCP:
    case PTX_OP_SQRT:
    case PTX_OP_RSQRT:
    case PTX_OP_EX2:
    case PTX_OP_LG2:
    case PTX_OP_SIN:
    case PTX_OP_COS:
    case PTX_OP_TANH:
        return t == PTX_T_F64 ? GPU_CLASS_FP64 : GPU_CLASS_SFU;
    case PTX_OP_DIV:
    case PTX_OP_REM:
        return t == PTX_T_F64 ? GPU_CLASS_FP64 : GPU_CLASS_SFU;
    case PTX_OP_CVT:
        if (ptx_type_is_float(t) || ptx_type_is_float(in->src_type))
            return (t == PTX_T_F64 || in->src_type == PTX_T_F64) ? GPU_CLASS_FP64 : GPU_CLASS_CONVERT;
        return GPU_CLASS_INT;
    case PTX_OP_MUL:
    case PTX_OP_MAD:
    case PTX_OP_MUL24:
    case PTX_OP_MAD24:
    case PTX_OP_SAD:
    case PTX_OP_MADC:
        if (t == PTX_T_F64)
            return GPU_CLASS_FP64;
        return ptx_type_is_float(t) ? GPU_CLASS_FP32 : GPU_CLASS_INT_MUL;
    default:
        if (t == PTX_T_F64 || (in->opcode == PTX_OP_SETP && in->src_type == PTX_T_F64))
            return GPU_CLASS_FP64;
        if (ptx_type_is_float(t))
            return GPU_CLASS_FP32;
        return GPU_CLASS_INT;
    }
}

static uint32_t new_constant(struct compile *c, uint64_t value)
{
    struct gpu_kernel *k = c->k;
    if (k->constant_count == c->constant_capacity) {
        c->constant_capacity = c->constant_capacity ? 2 * c->constant_capacity : 16;
        k->constants = vdc_xrealloc(k->constants, (uint64_t)c->constant_capacity * WARP_LANES, sizeof(uint64_t));
        c->relocated = vdc_xrealloc(c->relocated, c->constant_capacity, sizeof *c->relocated);
    }
    uint64_t *lanes = &k->constants[(uint64_t)k->constant_count * WARP_LANES];
    for (int i = 0; i < WARP_LANES; i++)
        lanes[i] = value;
    c->relocated[k->constant_count] = false;
    return k->constant_count++;
}

static uint32_t add_constant(struct compile *c, uint64_t value)
{
    struct gpu_kernel *k = c->k;
    for (uint32_t i = 0; i < k->constant_count; i++)
        if (!c->relocated[i] && k->constants[(uint64_t)i * WARP_LANES] == value)
            return i;
    return new_constant(c, value);
}

/* The constant holding variable `v`'s address plus `addend`. A device-memory variable's address is the loading
 * GPU's: its constant is a relocation, one per (variable, addend), so that the compiled form is the same for
 * every GPU (which constant is which never depends on where a GPU placed its variables). A .shared or .local
 * variable's is an offset fixed by this kernel's layout. */
static uint32_t symbol_constant(struct compile *c, int32_t v, int64_t addend)
{
    if (!gpu_var_in_device_memory(&c->module->vars[v]))
        return add_constant(c, c->var_value[v] + (uint64_t)addend);
    struct gpu_kernel *k = c->k;
    for (uint32_t r = 0; r < k->reloc_count; r++)
        if (k->relocs[r].var == (uint32_t)v && k->relocs[r].addend == (uint64_t)addend)
            return k->relocs[r].constant;
    if (k->reloc_count == c->reloc_capacity) {
        c->reloc_capacity = c->reloc_capacity ? 2 * c->reloc_capacity : 8;
        k->relocs = vdc_xrealloc(k->relocs, c->reloc_capacity, sizeof *k->relocs);
    }
    uint32_t constant = new_constant(c, 0);
    c->relocated[constant] = true;
    k->relocs[k->reloc_count++] = (struct gpu_reloc){.constant = constant, .var = (uint32_t)v,
                                                      .addend = (uint64_t)addend};
    return constant;
}

static exec_ref sreg_ref(struct compile *c, const struct ptx_operand *o)
{
    static const uint8_t triple[] = {
        [PTX_SREG_TID] = SLOT_TID_X, [PTX_SREG_NTID] = SLOT_NTID_X,
        [PTX_SREG_CTAID] = SLOT_CTAID_X, [PTX_SREG_NCTAID] = SLOT_NCTAID_X,
    };
    uint32_t slot;
    switch (o->sreg) {
    case PTX_SREG_TID:
    case PTX_SREG_NTID:
    case PTX_SREG_CTAID:
    case PTX_SREG_NCTAID:
        slot = triple[o->sreg] + (o->sreg_component < 3 ? o->sreg_component : 0);
        break;
    case PTX_SREG_LANEID: slot = SLOT_LANEID; break;
    case PTX_SREG_WARPID: slot = SLOT_WARPID; break;
    case PTX_SREG_NWARPID: slot = SLOT_NWARPID; break;
    case PTX_SREG_SMID: slot = SLOT_SMID; break;
    case PTX_SREG_NSMID: slot = SLOT_NSMID; break;
    case PTX_SREG_GRIDID: slot = SLOT_GRIDID; break;
    case PTX_SREG_LANEMASK_EQ: slot = SLOT_LANEMASK_EQ; break;
    case PTX_SREG_LANEMASK_LE: slot = SLOT_LANEMASK_LE; break;
    case PTX_SREG_LANEMASK_LT: slot = SLOT_LANEMASK_LT; break;
    case PTX_SREG_LANEMASK_GE: slot = SLOT_LANEMASK_GE; break;
    case PTX_SREG_LANEMASK_GT: slot = SLOT_LANEMASK_GT; break;
    case PTX_SREG_DYNAMIC_SMEM_SIZE: slot = SLOT_DYNAMIC_SMEM; break;
    case PTX_SREG_TOTAL_SMEM_SIZE: slot = SLOT_TOTAL_SMEM; break;
    default: return REF_NONE; /* clocks: read by EXEC_CLOCK */
    }
    /* Only the special registers a kernel reads get a slot, so warps start (and take memory) in proportion. */
    struct gpu_kernel *k = c->k;
    uint32_t i = 0;
    while (i < k->sreg_count && k->sreg_kind[i] != slot)
        i++;
    if (i == k->sreg_count) {
        k->sreg_kind[k->sreg_count++] = (uint8_t)slot;
        k->slot_count++;
    }
    return REF_MAKE(k->sreg_base + i, false);
}

/* A source operand as a reference; records register sources for the scoreboard. */
static exec_ref source_ref(struct compile *c, struct exec_insn *x, const struct ptx_operand *o)
{
    exec_ref r;
    switch (o->kind) {
    case PTX_OPND_REG:
        r = REF_MAKE(o->reg, false);
        break;
    case PTX_OPND_IMM:
        return REF_MAKE(add_constant(c, (uint64_t)o->imm), true);
    case PTX_OPND_SYMBOL:
        return REF_MAKE(symbol_constant(c, o->symbol, o->imm), true);
    case PTX_OPND_SREG:
        return sreg_ref(c, o);
    default:
        return REF_NONE;
    }
    if (x->source_count < EXEC_MAX_SOURCES)
        x->sources[x->source_count++] = (uint32_t)o->reg;
    return r;
}

static exec_ref dest_ref(const struct ptx_operand *o)
{
    return o->kind == PTX_OPND_REG ? REF_MAKE(o->reg, false) : REF_NONE;
}

/* An address operand: a base (register, symbol or nothing) and a constant offset. */
static void address_operand(struct compile *c, struct exec_insn *x, const struct ptx_operand *o, exec_ref *base)
{
    if (o->kind == PTX_OPND_ADDR && o->reg >= 0) {
        *base = REF_MAKE(o->reg, false);
        if (x->source_count < EXEC_MAX_SOURCES)
            x->sources[x->source_count++] = (uint32_t)o->reg;
        x->offset = o->imm;
    } else if (o->symbol >= 0) {
        *base = REF_MAKE(symbol_constant(c, o->symbol, 0), true);
        x->offset = o->imm;
    } else {
        *base = REF_MAKE(add_constant(c, 0), true);
        x->offset = o->imm;
    }
}

static unsigned reg_bytes(const struct ptx_function *f, const struct ptx_operand *o)
{
    if (o->kind != PTX_OPND_REG || o->reg < 0 || (uint32_t)o->reg >= f->reg_count)
        return 8;
    unsigned size = ptx_type_size(f->regs[o->reg].type);
    return size == 0 ? 8 : size;
}

static void vector_refs(struct exec_insn *x, const struct ptx_operand *o, bool sources)
{
    for (unsigned i = 0; i < 4; i++) {
        if (i >= o->vec_count || o->vec[i] < 0) {
            x->vec[i] = REF_NONE;
            continue;
        }
        x->vec[i] = REF_MAKE(o->vec[i], false);
        if (sources && x->source_count < EXEC_MAX_SOURCES)
            x->sources[x->source_count++] = (uint32_t)o->vec[i];
    }
}

/* Whether every operand the instruction's handler reads or writes unconditionally has a value: the handlers
 * index register files with these references and must never see REF_NONE there. */
static bool operands_complete(const struct exec_insn *x)
{
    switch (x->kind) {
    case EXEC_ALU:
    case EXEC_MOV_PACK:
    case EXEC_CLOCK:
    case EXEC_ACTIVEMASK:
        return x->dst != REF_NONE;
    case EXEC_MOV:
    case EXEC_CVTA:
        return x->dst != REF_NONE && x->a != REF_NONE;
    case EXEC_MOV_UNPACK:
        return x->a != REF_NONE;
    case EXEC_SHFL:
        return x->dst != REF_NONE && x->a != REF_NONE && x->b != REF_NONE && x->c != REF_NONE;
    case EXEC_VOTE:
    case EXEC_REDUX:
        return x->dst != REF_NONE && x->a != REF_NONE && x->b != REF_NONE;
    case EXEC_ATOM:
        return x->b != REF_NONE && (x->ptx->mode != PTX_MODE_ATOM_CAS || x->c != REF_NONE);
    case EXEC_ST:
        return x->vec[0] != REF_NONE || x->vector > 1;
    default:
        return true;
    }
}

static bool compile_insn(struct compile *c, const struct ptx_insn *in, struct exec_insn *x)
{
    const struct gpu_params *p = c->params;
    memset(x, 0, sizeof *x);
    x->ptx = in;
    x->dst = x->dst2 = x->a = x->b = x->c = x->d = REF_NONE;
    for (int i = 0; i < 4; i++)
        x->vec[i] = REF_NONE;
    x->guard_slot = in->guard;
    x->guard_negate = in->guard_negate;
    if (in->guard >= 0)
        x->sources[x->source_count++] = (uint32_t)in->guard;
    x->insn_class = (uint8_t)gpu_insn_class_of(in);
    x->latency = p->latency[x->insn_class];
    x->issue = p->issue[x->insn_class] ? p->issue[x->insn_class] : 1;
    x->vector = in->vector ? in->vector : 1;
    x->space = in->space;
    x->access_bytes = (uint8_t)ptx_type_size(in->type);
    x->reconverge = in->reconverge;
    const struct ptx_operand *op = in->op;

    switch (in->opcode) {
    case PTX_OP_LD:
    case PTX_OP_LDU:
        x->kind = EXEC_LD;
        if (op[0].kind == PTX_OPND_VEC)
            vector_refs(x, &op[0], false);
        else
            x->vec[0] = dest_ref(&op[0]);
        x->dst_bytes = (uint8_t)reg_bytes(c->f, op[0].kind == PTX_OPND_VEC ? &op[0] : &op[0]);
        if (op[0].kind == PTX_OPND_VEC && op[0].vec[0] >= 0) {
            struct ptx_operand one = {.kind = PTX_OPND_REG, .reg = op[0].vec[0]};
            x->dst_bytes = (uint8_t)reg_bytes(c->f, &one);
        }
        x->sign_extend = ptx_type_is_signed(in->type);
        address_operand(c, x, &op[1], &x->a);
        break;
    case PTX_OP_ST:
        x->kind = EXEC_ST;
        address_operand(c, x, &op[0], &x->a);
        if (op[1].kind == PTX_OPND_VEC)
            vector_refs(x, &op[1], true);
        else
            x->vec[0] = source_ref(c, x, &op[1]);
        break;
    case PTX_OP_ATOM:
    case PTX_OP_RED: {
        x->kind = EXEC_ATOM;
        int first = in->opcode == PTX_OP_ATOM ? 1 : 0;
        if (in->opcode == PTX_OP_ATOM)
            x->dst = dest_ref(&op[0]);
        address_operand(c, x, &op[first], &x->a);
        x->b = source_ref(c, x, &op[first + 1]);
        if (in->mode == PTX_MODE_ATOM_CAS)
            x->c = source_ref(c, x, &op[first + 2]);
        break;
    }
    case PTX_OP_MOV:
        if (op[1].kind == PTX_OPND_SREG &&
            (op[1].sreg == PTX_SREG_CLOCK || op[1].sreg == PTX_SREG_CLOCK64 || op[1].sreg == PTX_SREG_GLOBALTIMER)) {
            x->kind = EXEC_CLOCK;
            x->dst = dest_ref(&op[0]);
            x->offset = op[1].sreg;
        } else if (op[1].kind == PTX_OPND_VEC) {
            x->kind = EXEC_MOV_PACK;
            x->dst = dest_ref(&op[0]);
            vector_refs(x, &op[1], true);
            x->vector = op[1].vec_count;
        } else if (op[0].kind == PTX_OPND_VEC) {
            x->kind = EXEC_MOV_UNPACK;
            vector_refs(x, &op[0], false);
            x->vector = op[0].vec_count;
            x->a = source_ref(c, x, &op[1]);
        } else {
            x->kind = EXEC_MOV;
            x->dst = dest_ref(&op[0]);
            x->a = source_ref(c, x, &op[1]);
        }
        if (x->kind == EXEC_MOV_PACK || x->kind == EXEC_MOV_UNPACK)
            x->access_bytes = (uint8_t)(ptx_type_size(in->type) / (x->vector ? x->vector : 1));
        break;
    case PTX_OP_CVTA:
        x->kind = EXEC_CVTA;
        x->dst = dest_ref(&op[0]);
        x->a = source_ref(c, x, &op[1]);
        break;
    case PTX_OP_BRA:
        x->kind = EXEC_BRA;
        x->target = (uint32_t)op[0].imm;
        break;
    case PTX_OP_RET:
    case PTX_OP_EXIT:
        x->kind = EXEC_EXIT;
        break;
    case PTX_OP_BAR:
        /* bar.arrive does not wait; bar.warp.sync only orders one warp, whose lanes run together here anyway. */
        x->kind = in->mode == PTX_MODE_BAR_SYNC ? EXEC_BAR : EXEC_NOP;
        break;
    case PTX_OP_MEMBAR:
    case PTX_OP_FENCE:
        x->kind = (in->flags & PTX_FLAG_SCOPE_SYS) ? EXEC_FENCE_SYS : EXEC_NOP;
        break;
    case PTX_OP_PREFETCH:
        x->kind = EXEC_NOP;
        break;
    case PTX_OP_SHFL:
        /* shfl.sync.mode.b32 d[|p], a, b, c, membermask */
        x->kind = EXEC_SHFL;
        x->dst = dest_ref(&op[0]);
        x->dst2 = dest_ref(&op[1]);
        x->a = source_ref(c, x, &op[2]);
        x->b = source_ref(c, x, &op[3]);
        x->c = source_ref(c, x, &op[4]);
        x->d = source_ref(c, x, &op[5]);
        break;
    case PTX_OP_VOTE:
        /* vote.sync.mode.{pred|b32} d, {!}a, membermask */
        x->kind = EXEC_VOTE;
        x->dst = dest_ref(&op[0]);
        x->a = source_ref(c, x, &op[1]);
        x->negate_a = op[1].negate;
        x->b = source_ref(c, x, &op[2]);
        break;
    case PTX_OP_ACTIVEMASK:
        x->kind = EXEC_ACTIVEMASK;
        x->dst = dest_ref(&op[0]);
        break;
    case PTX_OP_REDUX:
        x->kind = EXEC_REDUX;
        x->dst = dest_ref(&op[0]);
        x->a = source_ref(c, x, &op[1]);
        x->b = source_ref(c, x, &op[2]);
        break;
    case PTX_OP_SETP:
        /* setp.cmp[.bool].type p[|q], a, b[, c]: q is op[4] */
        x->kind = EXEC_SETP;
        x->dst = dest_ref(&op[0]);
        x->dst2 = dest_ref(&op[4]);
        x->a = source_ref(c, x, &op[1]);
        x->b = source_ref(c, x, &op[2]);
        if (op[3].kind != PTX_OPND_NONE) {
            x->c = source_ref(c, x, &op[3]);
            x->negate_c = op[3].negate;
        }
        x->scalar = ptx_scalar_select(in);
        break;
    default:
        x->kind = EXEC_ALU;
        x->scalar = ptx_scalar_select(in);
        if (x->scalar == NULL)
            return vdc_fail(c->err, "%s:%" PRIu32 ": instruction %s has no executor; it cannot run on HiGPU",
                            c->module->source_name, in->line, ptx_opcode_name(in->opcode));
        x->dst = dest_ref(&op[0]);
        if (in->operand_count > 1) {
            x->a = source_ref(c, x, &op[1]);
            x->negate_a = op[1].negate;
        }
        if (in->operand_count > 2) {
            x->b = source_ref(c, x, &op[2]);
            x->negate_b = op[2].negate;
        }
        if (in->operand_count > 3) {
            x->c = source_ref(c, x, &op[3]);
            x->negate_c = op[3].negate;
        }
        if (in->opcode == PTX_OP_BFI) /* bfi's fourth source, len: packed above pos in c (ptx_scalar.h) */
            x->d = source_ref(c, x, &op[4]);
        break;
    }
    if (!operands_complete(x))
        return vdc_fail(c->err, "%s:%" PRIu32 ": the operands of %s are in a form HiGPU does not run (a register is "
                                "needed where another kind of operand or '_' is written)",
                        c->module->source_name, in->line, ptx_opcode_name(in->opcode));
    if (x->scalar != NULL && !x->negate_a && !x->negate_b && !x->negate_c)
        x->warp_alu = gpu_warp_alu_select(in);
    return true;
}

static uint64_t align_up(uint64_t value, uint64_t align)
{
    return align > 1 ? (value + align - 1) / align * align : value;
}

/* Places the shared and local variables this function can see, as offsets in its block's shared memory and its
 * threads' local memory. Module-scope .shared variables come first, in declaration order, so every kernel of a
 * module agrees on them. */
static void layout_function_vars(struct compile *c, uint32_t function_index)
{
    const struct ptx_module *m = c->module;
    uint64_t shared = 0, local = 0;
    bool has_extern = false;
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t v = 0; v < m->var_count; v++) {
            const struct ptx_var *var = &m->vars[v];
            bool mine = var->function == (int32_t)function_index;
            if ((pass == 0 && var->function != -1) || (pass == 1 && !mine))
                continue;
            if (var->space == PTX_SPACE_SHARED) {
                if (var->is_extern) {
                    has_extern = true;
                    continue;
                }
                shared = align_up(shared, var->align);
                c->var_value[v] = shared;
                shared += var->size;
            } else if (var->space == PTX_SPACE_LOCAL) {
                local = align_up(local, var->align);
                c->var_value[v] = local;
                local += var->size;
            }
        }
    c->k->static_shared = shared;
    c->k->dynamic_shared_offset = align_up(shared, 16);
    for (uint32_t v = 0; has_extern && v < m->var_count; v++)
        if (m->vars[v].space == PTX_SPACE_SHARED && m->vars[v].is_extern)
            c->var_value[v] = c->k->dynamic_shared_offset;
    c->k->local_bytes = align_up(local, 16);
}

/* Keep in step with what compile_insn reads of the parameters: kernels compiled for one GPU are shared with every
 * GPU for which this is true (gpu_image.c). */
bool gpu_compile_params_equal(const struct gpu_params *a, const struct gpu_params *b)
{
    return memcmp(a->latency, b->latency, sizeof a->latency) == 0 && memcmp(a->issue, b->issue, sizeof a->issue) == 0;
}

bool gpu_kernel_compile(const struct gpu_params *params, const struct ptx_module *m, uint32_t function_index,
                        struct gpu_kernel *out, struct vdc_error *err)
{
    const struct ptx_function *f = &m->functions[function_index];
    memset(out, 0, sizeof *out);
    struct compile c = {.params = params, .module = m, .k = out, .f = f, .err = err};
    c.var_value = vdc_xcalloc(m->var_count ? m->var_count : 1, sizeof *c.var_value);
    out->function = f;
    out->sreg_base = f->reg_count;
    out->slot_count = f->reg_count;
    out->registers_per_thread = f->registers_per_thread;
    layout_function_vars(&c, function_index);
    out->insn_count = f->insn_count;
    out->insns = vdc_xcalloc(f->insn_count ? f->insn_count : 1, sizeof *out->insns);
    bool ok = true;
    for (uint32_t i = 0; ok && i < f->insn_count; i++)
        ok = compile_insn(&c, &f->insns[i], &out->insns[i]);
    free(c.var_value);
    free(c.relocated);
    if (!ok)
        gpu_kernel_release(out);
    else
        gpu_kernel_compact_registers(out);
    return ok;
}

void gpu_kernel_release(struct gpu_kernel *k)
{
    free(k->insns);
    free(k->constants);
    free(k->relocs);
    memset(k, 0, sizeof *k);
}

void gpu_kernel_instantiate(const struct gpu_kernel *code, const uint64_t *var_address, struct gpu_kernel *out)
{
    *out = *code;
    out->constants = NULL;
    if (code->constant_count == 0)
        return;
    uint64_t bytes = (uint64_t)code->constant_count * WARP_LANES * sizeof *out->constants;
    out->constants = vdc_xcalloc_lines(1, bytes); /* a constant's 32 lanes are then 4 host cache lines, not 5 */
    memcpy(out->constants, code->constants, bytes);
    for (uint32_t r = 0; r < code->reloc_count; r++) {
        const struct gpu_reloc *rel = &code->relocs[r];
        uint64_t *lanes = &out->constants[(uint64_t)rel->constant * WARP_LANES];
        for (int i = 0; i < WARP_LANES; i++)
            lanes[i] = var_address[rel->var] + rel->addend;
    }
}

void gpu_kernel_release_instance(struct gpu_kernel *k)
{
    free(k->constants);
    memset(k, 0, sizeof *k);
}
