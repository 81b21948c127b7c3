/* The PTX front end: nvcc's samples in check/ptx parse with the right IR; malformed and unsupported inputs give
 * their exact one-line message; mutated samples never crash, leak or hang. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/ptx/ptx_ir.h"
#include "../suites.h"
#include "../rigs/test_files.h"

#define PTX_DIR "check/ptx/"

static char *read_sample(const char *name, uint64_t *length)
{
    char path[256];
    snprintf(path, sizeof path, PTX_DIR "%s", name);
    return check_read_text(path, length);
}

static struct ptx_module *parse_sample(const char *name)
{
    uint64_t length;
    char *text = read_sample(name, &length);
    struct vdc_error err = {{0}};
    struct ptx_module *m = ptx_module_parse(text, length, name, &err);
    free(text);
    ck_assert_msg(m != NULL, "%s: %s", name, err.text);
    return m;
}

/* The first instruction from source line `line`. */
static const struct ptx_insn *at_line(const struct ptx_function *fn, uint32_t line)
{
    for (uint32_t i = 0; i < fn->insn_count; i++)
        if (fn->insns[i].line == line)
            return &fn->insns[i];
    ck_abort_msg("no instruction at line %u of %s", line, fn->name);
    return NULL;
}

static uint32_t index_at_line(const struct ptx_function *fn, uint32_t line)
{
    return (uint32_t)(at_line(fn, line) - fn->insns);
}

static int32_t var_index(const struct ptx_module *m, const char *name)
{
    for (uint32_t i = 0; i < m->var_count; i++)
        if (strcmp(m->vars[i].name, name) == 0)
            return (int32_t)i;
    ck_abort_msg("no variable %s", name);
    return -1;
}

static const char *const samples[] = {
    "reduce.ptx", "reduce_sm80.ptx", "atomics.ptx", "warp.ptx", "mathf.ptx", "intops.ptx", "vecload.ptx",
    "globals.ptx", "control.ptx", "ordering.ptx", "misc.ptx", "misc_sm90a.ptx", "structparam.ptx", "handwritten.ptx",
};
#define SAMPLE_COUNT (sizeof samples / sizeof samples[0])

START_TEST(samples_parse)
{
    for (size_t s = 0; s < SAMPLE_COUNT; s++) {
        struct ptx_module *m = parse_sample(samples[s]);
        ck_assert(m->version_major == 9 || m->version_major == 8);
        ck_assert_uint_eq(m->address_size, 64);
        ck_assert(m->target_sm == 80 || m->target_sm == 90);
        ck_assert_uint_ge(m->function_count, 1);
        for (uint32_t f = 0; f < m->function_count; f++) {
            const struct ptx_function *fn = &m->functions[f];
            ck_assert(fn->is_entry);
            ck_assert(ptx_module_find_kernel(m, fn->name) == fn);
            ck_assert_uint_gt(fn->insn_count, 10);
            ck_assert_msg(fn->registers_per_thread >= 8 && fn->registers_per_thread <= 64 &&
                              fn->registers_per_thread % 8 == 0,
                          "%s: %u registers", samples[s], fn->registers_per_thread);
            for (uint32_t i = 0; i < fn->insn_count; i++) {
                const struct ptx_insn *in = &fn->insns[i];
                ck_assert_uint_gt(in->line, 0);
                if (in->opcode == PTX_OP_BRA) {
                    ck_assert_uint_le(in->reconverge, fn->insn_count);
                    ck_assert_int_ge(in->op[0].imm, 0);
                    ck_assert_int_le(in->op[0].imm, fn->insn_count);
                }
                for (int k = 0; k < in->operand_count; k++)
                    if (in->op[k].kind == PTX_OPND_REG)
                        ck_assert_uint_lt((uint32_t)in->op[k].reg, fn->reg_count);
            }
            ck_assert(fn->insns[fn->insn_count - 1].opcode == PTX_OP_RET);
        }
        ck_assert(ptx_module_find_kernel(m, "no_such_kernel") == NULL);
        ptx_module_free(m);
    }
}
END_TEST

START_TEST(reduce_ir)
{
    struct ptx_module *m = parse_sample("reduce.ptx");
    const struct ptx_function *fn = &m->functions[0];
    ck_assert_str_eq(fn->name, "_Z10reduce_sumPKfPfi");
    ck_assert_uint_eq(fn->param_count, 3);
    ck_assert_uint_eq(fn->params[0].offset, 0);
    ck_assert_uint_eq(fn->params[1].offset, 8);
    ck_assert_uint_eq(fn->params[2].offset, 16);
    ck_assert_uint_eq(fn->params[2].type, PTX_T_U32);
    ck_assert_uint_eq(fn->param_bytes, 20);
    const struct ptx_insn *ld = at_line(fn, 31);
    ck_assert_uint_eq(ld->opcode, PTX_OP_LD);
    ck_assert_uint_eq(ld->space, PTX_SPACE_PARAM);
    ck_assert_uint_eq(ld->op[1].kind, PTX_OPND_ADDR);
    ck_assert_int_eq(ld->op[1].reg, -1);
    ck_assert_int_eq(ld->op[1].symbol, -1);
    ck_assert_int_eq(ld->op[1].imm, 16);
    int32_t partial = var_index(m, "_ZZ10reduce_sumPKfPfiE7partial");
    ck_assert_uint_eq(m->vars[partial].size, 128);
    ck_assert_uint_eq(m->vars[partial].space, PTX_SPACE_SHARED);
    ck_assert_int_eq(m->vars[partial].function, 0);
    ck_assert_uint_eq(m->vars[partial].offset, 0);
    ck_assert_uint_eq(fn->shared_bytes, 128);
    ck_assert_uint_eq(fn->local_bytes, 0);
    const struct ptx_insn *nc = at_line(fn, 43);
    ck_assert(nc->flags & PTX_FLAG_NC);
    ck_assert_uint_eq(nc->space, PTX_SPACE_GLOBAL);
    ck_assert_uint_eq(nc->type, PTX_T_F32);
    const struct ptx_insn *shfl = at_line(fn, 51);
    ck_assert_uint_eq(shfl->opcode, PTX_OP_SHFL);
    ck_assert_uint_eq(shfl->mode, PTX_MODE_SHFL_DOWN);
    ck_assert_uint_eq(shfl->operand_count, 6);
    ck_assert_uint_eq(shfl->op[1].kind, PTX_OPND_REG);
    ck_assert_str_eq(fn->regs[shfl->op[1].reg].name, "%p2");
    ck_assert_str_eq(fn->regs[shfl->op[0].reg].name, "%r11");
    ck_assert_str_eq(fn->regs[shfl->op[5].reg].name, "%r10");
    const struct ptx_insn *atom = at_line(fn, 130);
    ck_assert_uint_eq(atom->opcode, PTX_OP_ATOM);
    ck_assert_uint_eq(atom->mode, PTX_MODE_ATOM_ADD);
    ck_assert_uint_eq(atom->type, PTX_T_F32);
    const struct ptx_insn *bar = at_line(fn, 84);
    ck_assert_uint_eq(bar->opcode, PTX_OP_BAR);
    ck_assert_uint_eq(bar->mode, PTX_MODE_BAR_SYNC);
    ck_assert_uint_eq(bar->op[0].kind, PTX_OPND_IMM);
    /* `if (threadIdx.x < 32) {...}` at line 86 jumps to the final ret, where everything rejoins. */
    const struct ptx_insn *outer = at_line(fn, 86);
    ck_assert_int_eq(outer->guard >= 0, 1);
    ck_assert_uint_eq(outer->reconverge, outer->op[0].imm);
    ck_assert_uint_eq(outer->reconverge, fn->insn_count - 1);
    ck_assert_uint_le(fn->registers_per_thread, 24);
    ptx_module_free(m);
}
END_TEST

START_TEST(control_reconvergence)
{
    struct ptx_module *m = parse_sample("control.ptx");
    const struct ptx_function *fn = &m->functions[0];
    /* if/else: `@%p4 bra $L__BB0_2` (line 40), `bra.uni $L__BB0_1` (41); both arms meet at $L__BB0_3 (line 53). */
    const struct ptx_insn *branch = at_line(fn, 40);
    ck_assert_uint_eq(branch->opcode, PTX_OP_BRA);
    ck_assert_uint_eq(branch->op[0].kind, PTX_OPND_LABEL);
    ck_assert_uint_eq(branch->op[0].imm, index_at_line(fn, 44));
    ck_assert_uint_eq(branch->reconverge, index_at_line(fn, 53));
    ck_assert(at_line(fn, 41)->flags & PTX_FLAG_UNI);
    ck_assert_int_eq(at_line(fn, 41)->guard, -1);
    /* The for loop's back edge (line 74) and the `continue` (65) and `break` (69) all rejoin after the loop. */
    const struct ptx_insn *back = at_line(fn, 74);
    ck_assert_uint_eq(back->op[0].imm, index_at_line(fn, 61));
    ck_assert_uint_eq(back->reconverge, index_at_line(fn, 77));
    ck_assert_uint_eq(at_line(fn, 65)->reconverge, index_at_line(fn, 77));
    ck_assert_uint_eq(at_line(fn, 69)->reconverge, index_at_line(fn, 77));
    /* The while loop: its back edge (line 88) rejoins at the store after it. */
    ck_assert_uint_eq(at_line(fn, 88)->reconverge, index_at_line(fn, 91));
    const struct ptx_insn *sel = at_line(fn, 85);
    ck_assert_uint_eq(sel->opcode, PTX_OP_SELP);
    ck_assert_uint_eq(sel->op[3].kind, PTX_OPND_REG);
    const struct ptx_insn *setp = at_line(fn, 36);
    ck_assert_uint_eq(setp->opcode, PTX_OP_SETP);
    ck_assert_uint_eq(setp->cmp, PTX_CMP_EQ);
    ck_assert_uint_eq(setp->type, PTX_T_B32);
    ck_assert_uint_eq(setp->op[4].kind, PTX_OPND_NONE);
    ptx_module_free(m);
}
END_TEST

START_TEST(struct_params_and_vectors)
{
    struct ptx_module *m = parse_sample("structparam.ptx");
    const struct ptx_function *fn = &m->functions[0];
    ck_assert_uint_eq(fn->params[0].size, 32);
    ck_assert_uint_eq(fn->params[0].align, 8);
    ck_assert_uint_eq(fn->params[0].type, PTX_T_B8);
    ck_assert_uint_eq(fn->params[1].offset, 32);
    ck_assert_uint_eq(fn->params[4].offset, 56);
    ck_assert_uint_eq(fn->param_bytes, 64);
    ck_assert_int_eq(at_line(fn, 39)->op[1].imm, 12);
    ck_assert_uint_eq(at_line(fn, 39)->type, PTX_T_U16);
    const struct ptx_insn *v2 = at_line(fn, 48);
    ck_assert_uint_eq(v2->vector, 2);
    ck_assert_uint_eq(v2->op[0].kind, PTX_OPND_VEC);
    ck_assert_uint_eq(v2->op[0].vec_count, 2);
    ck_assert_int_eq(v2->op[1].imm, 16);
    const struct ptx_insn *st = at_line(fn, 52);
    ck_assert_uint_eq(st->space, PTX_SPACE_LOCAL);
    ck_assert_int_eq(st->op[0].imm, 24);
    ck_assert_str_eq(fn->regs[st->op[1].vec[0]].name, "%r4");
    ck_assert_uint_eq(fn->local_bytes, 32);
    /* Unpacking into a block-scoped %temp: two different slots for the two blocks' %temp. */
    const struct ptx_insn *hi = at_line(fn, 95), *lo = at_line(fn, 99);
    ck_assert_uint_eq(hi->op[0].kind, PTX_OPND_VEC);
    ck_assert_str_eq(fn->regs[hi->op[0].vec[0]].name, "%temp");
    ck_assert_str_eq(fn->regs[lo->op[0].vec[1]].name, "%temp");
    ck_assert_int_ne(hi->op[0].vec[0], lo->op[0].vec[1]);
    const struct ptx_insn *pack = at_line(fn, 101);
    ck_assert_uint_eq(pack->op[0].kind, PTX_OPND_REG);
    ck_assert_uint_eq(pack->op[1].kind, PTX_OPND_VEC);
    ck_assert_str_eq(fn->regs[pack->op[1].vec[1]].name, "%r23");
    ptx_module_free(m);
}
END_TEST

START_TEST(module_variables)
{
    struct ptx_module *m = parse_sample("globals.ptx");
    const struct ptx_function *fn = &m->functions[0];
    int32_t coeffs = var_index(m, "coeffs"), dcoef = var_index(m, "dcoef"), table = var_index(m, "table");
    int32_t stamps = var_index(m, "stamps"), counter = var_index(m, "counter");
    ck_assert_uint_eq(m->vars[coeffs].space, PTX_SPACE_CONST);
    ck_assert_uint_eq(m->vars[coeffs].size, 16);
    static const uint8_t coeff_bytes[16] = {0, 0, 128, 63, 0, 0, 0, 63, 0, 0, 128, 62, 0, 0, 0, 62};
    ck_assert_mem_eq(m->vars[coeffs].init, coeff_bytes, 16);
    double d;
    memcpy(&d, m->vars[dcoef].init, 8);
    ck_assert(d == 3.5);
    ck_assert_uint_eq(m->vars[dcoef].align, 8);
    static const uint8_t table_bytes[12] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};
    ck_assert_uint_eq(m->vars[table].size, 12);
    ck_assert_mem_eq(m->vars[table].init, table_bytes, 12);
    ck_assert(m->vars[counter].init == NULL);
    ck_assert_uint_eq(m->vars[counter].size, 4);
    ck_assert_int_eq(m->vars[counter].function, -1);
    const struct ptx_insn *st = at_line(fn, 78);
    ck_assert_uint_eq(st->op[0].kind, PTX_OPND_ADDR);
    ck_assert_int_eq(st->op[0].symbol, stamps);
    ck_assert_int_eq(st->op[0].reg, -1);
    const struct ptx_insn *mov = at_line(fn, 48);
    ck_assert_uint_eq(mov->op[1].kind, PTX_OPND_SYMBOL);
    ck_assert_int_eq(mov->op[1].symbol, coeffs);
    const struct ptx_insn *clock = at_line(fn, 35);
    ck_assert_uint_eq(clock->op[1].kind, PTX_OPND_SREG);
    ck_assert_uint_eq(clock->op[1].sreg, PTX_SREG_CLOCK64);
    ptx_module_free(m);

    m = parse_sample("vecload.ptx");
    fn = &m->functions[0];
    int32_t dyn = var_index(m, "dyn");
    ck_assert(m->vars[dyn].is_extern);
    ck_assert_uint_eq(m->vars[dyn].size, 0);
    ck_assert_uint_eq(m->vars[dyn].align, 16);
    ck_assert_uint_eq(fn->shared_bytes, 0);
    ck_assert_int_eq(at_line(fn, 58)->op[1].symbol, dyn);
    const struct ptx_insn *v4 = at_line(fn, 55);
    ck_assert_uint_eq(v4->vector, 4);
    ck_assert_uint_eq(v4->op[0].vec_count, 4);
    ck_assert(v4->flags & PTX_FLAG_NC);
    const struct ptx_insn *cta = at_line(fn, 42);
    ck_assert_uint_eq(cta->op[1].sreg, PTX_SREG_CTAID);
    ck_assert_uint_eq(cta->op[1].sreg_component, 1);
    ck_assert_uint_eq(at_line(fn, 78)->op[1].vec_count, 4);
    ptx_module_free(m);

    m = parse_sample("mathf.ptx");
    fn = &m->functions[0];
    int32_t depot = var_index(m, "__local_depot0");
    ck_assert_uint_eq(m->vars[depot].space, PTX_SPACE_LOCAL);
    ck_assert_uint_eq(m->vars[depot].size, 28);
    ck_assert_uint_eq(fn->local_bytes, 28);
    ck_assert_int_eq(at_line(fn, 34)->op[1].symbol, depot);
    ck_assert_int_eq(at_line(fn, 63)->op[1].imm, 0x34000000);
    ptx_module_free(m);
}
END_TEST

START_TEST(instruction_modifiers)
{
    struct ptx_module *m = parse_sample("intops.ptx");
    const struct ptx_function *fn = &m->functions[0];
    const struct ptx_insn *cvt = at_line(fn, 125);
    ck_assert_uint_eq(cvt->rounding, PTX_RND_RNI);
    ck_assert_uint_eq(cvt->type, PTX_T_S32);
    ck_assert_uint_eq(cvt->src_type, PTX_T_F32);
    ck_assert_uint_eq(at_line(fn, 177)->mode, PTX_MODE_SHF_L_WRAP);
    ck_assert_uint_eq(at_line(fn, 116)->opcode, PTX_OP_PRMT);
    ck_assert(at_line(fn, 108)->flags & PTX_FLAG_SHIFTAMT);
    const struct ptx_insn *mulhi = at_line(fn, 90);
    ck_assert_uint_eq(mulhi->mode, PTX_MODE_HI);
    ck_assert_int_eq(mulhi->op[2].imm, 3353953467947191203LL);
    ck_assert_int_eq(at_line(fn, 76)->op[2].imm, -4294967296LL);
    ptx_module_free(m);

    m = parse_sample("atomics.ptx");
    fn = &m->functions[0];
    const struct ptx_insn *cas = at_line(fn, 43);
    ck_assert_uint_eq(cas->mode, PTX_MODE_ATOM_CAS);
    ck_assert_uint_eq(cas->operand_count, 4);
    ck_assert_uint_eq(at_line(fn, 57)->mode, PTX_MODE_ATOM_INC);
    ck_assert_int_eq(at_line(fn, 57)->op[2].imm, 100);
    ck_assert_uint_eq(at_line(fn, 65)->type, PTX_T_F64);
    ck_assert_uint_eq(at_line(fn, 68)->type, PTX_T_B64);
    ck_assert_uint_eq(at_line(fn, 86)->space, PTX_SPACE_SHARED);
    ck_assert_uint_eq(fn->shared_bytes, 16);
    ptx_module_free(m);

    m = parse_sample("ordering.ptx");
    fn = &m->functions[0];
    const struct ptx_insn *relaxed = at_line(fn, 35);
    ck_assert(relaxed->flags & PTX_FLAG_RELAXED_ORDER);
    ck_assert_uint_eq(relaxed->space, PTX_SPACE_NONE);
    ck_assert_uint_eq(relaxed->type, PTX_T_S32);
    ck_assert(at_line(fn, 38)->flags & PTX_FLAG_RELAXED_ORDER);
    ck_assert(at_line(fn, 72)->flags & PTX_FLAG_VOLATILE);
    ck_assert_uint_eq(at_line(fn, 44)->opcode, PTX_OP_MEMBAR);
    ck_assert_uint_eq(at_line(fn, 61)->opcode, PTX_OP_LD);
    ptx_module_free(m);

    m = parse_sample("warp.ptx");
    fn = &m->functions[0];
    ck_assert_uint_eq(at_line(fn, 37)->mode, PTX_MODE_VOTE_BALLOT);
    ck_assert_uint_eq(at_line(fn, 38)->mode, PTX_MODE_VOTE_ALL);
    ck_assert_uint_eq(at_line(fn, 38)->type, PTX_T_PRED);
    ck_assert_uint_eq(at_line(fn, 42)->mode, PTX_MODE_VOTE_ANY);
    ck_assert_uint_eq(at_line(fn, 46)->mode, PTX_MODE_SHFL_IDX);
    ck_assert_uint_eq(at_line(fn, 48)->opcode, PTX_OP_ACTIVEMASK);
    ptx_module_free(m);

    m = parse_sample("misc.ptx");
    fn = &m->functions[0];
    ck_assert_uint_eq(fn->maxntid[0], 256);
    ck_assert_uint_eq(fn->maxntid[1], 1);
    ck_assert_uint_eq(fn->minnctapersm, 2);
    const struct ptx_insn *warp_sync = at_line(fn, 43);
    ck_assert_uint_eq(warp_sync->mode, PTX_MODE_BAR_WARP_SYNC);
    ck_assert_int_eq(warp_sync->op[0].imm, -1);
    ck_assert_uint_eq(at_line(fn, 44)->opcode, PTX_OP_REDUX);
    ck_assert_uint_eq(at_line(fn, 45)->mode, PTX_MODE_ATOM_MAX);
    ck_assert_uint_eq(at_line(fn, 47)->operand_count, 5);
    ck_assert_int_eq(at_line(fn, 47)->op[4].imm, 0x96);
    ck_assert_uint_eq(at_line(fn, 55)->mode, PTX_MODE_TESTP_FINITE);
    ptx_module_free(m);
}
END_TEST

static double f64_bits(int64_t bits)
{
    double d;
    memcpy(&d, &bits, 8);
    return d;
}

START_TEST(handwritten_forms)
{
    struct ptx_module *m = parse_sample("handwritten.ptx");
    const struct ptx_function *fn = &m->functions[0];
    ck_assert_uint_eq(m->version_major, 8);
    ck_assert_uint_eq(m->version_minor, 5);
    ck_assert_uint_eq(m->target_sm, 80);
    ck_assert_uint_eq(fn->reqntid[0], 128);
    ck_assert_uint_eq(fn->maxnreg, 64);
    ck_assert_uint_eq(fn->params[1].offset, 8);
    ck_assert_int_eq(at_line(fn, 22)->op[1].imm, 8);
    ck_assert_uint_eq(m->vars[var_index(m, "module_buf")].offset, 0);
    ck_assert_uint_eq(m->vars[var_index(m, "module_word")].offset, 24);
    ck_assert_uint_eq(m->vars[var_index(m, "own")].offset, 32);
    ck_assert_uint_eq(fn->shared_bytes, 80);
    float f[3];
    memcpy(f, m->vars[var_index(m, "fvals")].init, sizeof f);
    ck_assert(f[0] == 1.5f && f[1] == -2.0f && f[2] == 1.0f);
    ck_assert(*(const double *)(const void *)m->vars[var_index(m, "dval")].init == 0.25);
    ck_assert_uint_eq(m->vars[var_index(m, "nested")].size, 16);
    ck_assert_uint_eq(m->vars[var_index(m, "nested")].init[12], 5);
    ck_assert_uint_eq(at_line(fn, 24)->op[1].sreg, PTX_SREG_LANEMASK_LT);
    ck_assert_uint_eq(at_line(fn, 25)->op[1].sreg, PTX_SREG_GLOBALTIMER);
    const struct ptx_insn *setp = at_line(fn, 27);
    ck_assert_uint_eq(setp->bool_op, PTX_BOOL_AND);
    ck_assert_str_eq(fn->regs[setp->op[0].reg].name, "%p1");
    ck_assert_int_eq(setp->op[2].imm, 16);
    ck_assert_str_eq(fn->regs[setp->op[3].reg].name, "%p3");
    ck_assert_str_eq(fn->regs[setp->op[4].reg].name, "%p2");
    const struct ptx_insn *set = at_line(fn, 28);
    ck_assert_uint_eq(set->type, PTX_T_U32);
    ck_assert_uint_eq(set->src_type, PTX_T_F32);
    ck_assert_int_eq(set->op[2].imm, 0x3FC00000);
    ck_assert_uint_eq(at_line(fn, 29)->src_type, PTX_T_S32);
    ck_assert_uint_eq(at_line(fn, 30)->mode, PTX_MODE_TESTP_NOTANUMBER);
    const struct ptx_insn *bra = at_line(fn, 31);
    ck_assert_uint_eq(bra->guard_negate, 1);
    ck_assert_uint_eq(bra->op[0].imm, index_at_line(fn, 64));
    ck_assert_uint_eq(bra->reconverge, fn->insn_count);
    ck_assert_uint_eq(at_line(fn, 32)->op[0].kind, PTX_OPND_VEC);
    ck_assert(f64_bits(at_line(fn, 34)->op[1].imm) == 1.0);
    ck_assert(f64_bits(at_line(fn, 35)->op[2].imm) == 2.0);
    ck_assert_int_eq(at_line(fn, 36)->op[2].imm, 15);
    ck_assert_int_eq(at_line(fn, 37)->op[2].imm, -16);
    ck_assert_uint_eq(at_line(fn, 38)->opcode, PTX_OP_RED);
    ck_assert_uint_eq(at_line(fn, 38)->op[0].kind, PTX_OPND_ADDR);
    ck_assert_uint_eq(at_line(fn, 39)->mode, PTX_MODE_BAR_ARRIVE);
    ck_assert_int_eq(at_line(fn, 39)->op[1].imm, 64);
    ck_assert(at_line(fn, 40)->flags & PTX_FLAG_ALIGNED);
    ck_assert(at_line(fn, 41)->flags & PTX_FLAG_RELAXED_ORDER);
    ck_assert_uint_eq(at_line(fn, 42)->mode, PTX_MODE_CVTA_FROM);
    ck_assert_uint_eq(at_line(fn, 43)->mode, PTX_MODE_CVTA_TO);
    ck_assert_uint_eq(at_line(fn, 43)->space, PTX_SPACE_SHARED);
    ck_assert_uint_eq(at_line(fn, 44)->opcode, PTX_OP_LDU);
    ck_assert_uint_eq(at_line(fn, 46)->op[0].imm, 8);
    ck_assert_int_eq(at_line(fn, 47)->op[0].vec[2], -1);
    ck_assert_uint_eq(at_line(fn, 48)->op[1].kind, PTX_OPND_NONE);
    ck_assert(at_line(fn, 51)->flags & PTX_FLAG_CC);
    ck_assert_uint_eq(at_line(fn, 52)->opcode, PTX_OP_ADDC);
    ck_assert(at_line(fn, 54)->flags & PTX_FLAG_FULL);
    ck_assert_uint_eq(at_line(fn, 61)->op[0].symbol, var_index(m, "module_buf"));
    ck_assert_int_eq(at_line(fn, 61)->op[0].imm, 16);
    ck_assert_uint_eq(at_line(fn, 62)->opcode, PTX_OP_EXIT);
    ptx_module_free(m);
}
END_TEST

/* Registers live at once: n 64-bit values made, then summed; the estimate is 2n units rounded up to 8. */
static uint32_t registers_for_live_values(unsigned n)
{
    char text[4096];
    int len = snprintf(text, sizeof text,
                       ".version 9.0\n.target sm_90\n.address_size 64\n.visible .entry k(.param .u64 out)\n{\n"
                       ".reg .pred %%p<2>;\n.reg .b64 %%rd<%u>;\n", 2 * n + 2);
    for (unsigned i = 1; i <= n; i++)
        len += snprintf(text + len, sizeof text - (size_t)len, "mov.u64 %%rd%u, %u;\n", i, i);
    len += snprintf(text + len, sizeof text - (size_t)len, "add.u64 %%rd%u, %%rd1, %%rd2;\n", n + 1);
    for (unsigned i = 3; i <= n; i++)
        len += snprintf(text + len, sizeof text - (size_t)len, "add.u64 %%rd%u, %%rd%u, %%rd%u;\n", n + i - 1,
                        n + i - 2, i);
    len += snprintf(text + len, sizeof text - (size_t)len,
                    "ld.param.u64 %%rd0, [out];\nst.global.u64 [%%rd0], %%rd%u;\nret;\n}\n", 2 * n - 1);
    struct vdc_error err = {{0}};
    struct ptx_module *m = ptx_module_parse(text, (uint64_t)len, "live.ptx", &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    uint32_t r = m->functions[0].registers_per_thread;
    ptx_module_free(m);
    return r;
}

START_TEST(register_estimate)
{
    ck_assert_uint_eq(registers_for_live_values(2), 8);
    ck_assert_uint_eq(registers_for_live_values(12), 24);
    ck_assert_uint_eq(registers_for_live_values(13), 32);
    ck_assert_uint_eq(registers_for_live_values(40), 80);
}
END_TEST

struct bad_case {
    const char *body;   /* the kernel body, from line 11 */
    const char *module; /* or a whole module instead */
    const char *message;
};

#define HEADER ".version 9.0\n.target sm_90\n.address_size 64\n"
#define KERNEL_START ".visible .entry k(\n.param .u64 k_p0\n)\n{\n.reg .b32 %r<4>;\n.reg .pred %p<2>;\n.reg .b64 %rd<4>;\n"

static const struct bad_case bad_cases[] = {
    {NULL, ".version 9.0\n.target sm_75\n", "bad.ptx:2: unsupported target 'sm_75'; compile for sm_90 or sm_80 (nvcc -arch=sm_90 -ptx)"},
    {NULL, ".version 9.0\n.target sm_100a\n", "bad.ptx:2: unsupported target 'sm_100a'; compile for sm_90 or sm_80 (nvcc -arch=sm_90 -ptx)"},
    {NULL, ".version 9.1\n.target sm_90\n", "bad.ptx:1: unsupported PTX ISA version 9.1; vdc reads 7.0 to 9.0 (nvcc 11 to 13)"},
    {NULL, ".version 9.0\n.target sm_90\n.address_size 32\n", "bad.ptx:3: unsupported .address_size 32; compile for 64-bit addresses"},
    {NULL, "// a comment\n.target sm_90\n", "bad.ptx:2: the module must start with .version; is this nvcc's PTX output?"},
    {NULL, ".version 9.0\n.address_size 64\n", "bad.ptx:2: .target must follow .version; add .target sm_90"},
    {NULL, "/* nothing */\n", "bad.ptx:2: empty module: no .version directive"},
    {NULL, HEADER ".blah 3;\n", "bad.ptx:4: unknown directive '.blah'"},
    {NULL, HEADER ".global .u32 g;\n.global .u32 g;\n", "bad.ptx:5: duplicate declaration of 'g'; rename one of them"},
    {NULL, HEADER ".global .b8 t[2] = {1, 2, 3};\n", "bad.ptx:4: too many initializer elements for 't' (2 bytes)"},
    {NULL, HEADER ".global .u32 g;\n.global .u64 p = g;\n", "bad.ptx:5: addresses of symbols in initializers are not supported; set the pointer at run time"},
    {NULL, HEADER ".global .b8 big[100000000] = {1};\n", "bad.ptx:4: variable 'big' with an initializer is larger than 64 MiB; initialise it at run time"},
    {NULL, HEADER ".global .texref tex;\n", "bad.ptx:4: unsupported variable type '.texref'; textures and surfaces are not modelled"},
    {NULL, HEADER ".local .u32 x;\n", "bad.ptx:4: module-scope .local variables are not supported; declare them inside the function"},
    {NULL, HEADER ".shared .u32 s = 1;\n", "bad.ptx:4: .shared variable 's' cannot have an initializer"},
    {NULL, HEADER ".global .q32 g;\n", "bad.ptx:4: unknown type '.q32'; use .b8-.b64, .u8-.u64, .s8-.s64, .f16, .f32, .f64 or .pred"},
    {NULL, HEADER ".global .u32 g[];\n", "bad.ptx:4: variable 'g' has no size; give it one or an initializer"},
    {NULL, HEADER KERNEL_START "ret;\n", "bad.ptx:12: function 'k' is not closed; add '}'"},
    {NULL, HEADER ".visible .entry k()\n{\nret;\n}\n.visible .entry k()\n{\nret;\n}\n", "bad.ptx:8: duplicate definition of function 'k'"},
    {NULL, HEADER ".visible .entry k() .explicitcluster\n{\nret;\n}\n", "bad.ptx:4: unsupported function directive '.explicitcluster'"},
    {"add.s32 %r1, %r9, 1;\n", NULL, "bad.ptx:11: unknown register '%r9'; declare it with .reg"},
    {"add.s32 %r1, %r2, 1\nret;\n", NULL, "bad.ptx:11: missing ';' after 'add.s32'"},
    {"add.s32 %r1, %r2, 0x;\n", NULL, "bad.ptx:11: bad number '0x'; write a decimal, 0x hex, 0 octal or 0b binary integer"},
    {"add.s32 %r1, %r2, 09;\n", NULL, "bad.ptx:11: bad number '09'; write a decimal, 0x hex, 0 octal or 0b binary integer"},
    {".reg .b32 %r<4>;\n", NULL, "bad.ptx:11: duplicate declaration of register '%r'"},
    {".reg .b32 %x<0>;\n", NULL, "bad.ptx:11: register count 0 out of range (1 to 65536)"},
    {"bra $L_nope;\n", NULL, "bad.ptx:11: label '$L_nope' is not defined in this function"},
    {"$L1:\n$L1:\n", NULL, "bad.ptx:12: duplicate label '$L1' (first at line 11)"},
    {".maxntid 3;\n", NULL, "bad.ptx:11: unknown directive '.maxntid' in a function body"},
    {"frob.b32 %r1;\n", NULL, "bad.ptx:11: unknown instruction 'frob.b32'"},
    {"call foo, (%r1);\n", NULL, "bad.ptx:11: unsupported instruction 'call'; mark the callee __forceinline__ so that nvcc inlines it"},
    {"mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%r1}, {%r2}, {%r3}, {%r1};\n", NULL, "bad.ptx:11: unsupported instruction 'mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32'; vdc runs the instructions listed in docs/higpu.md"},
    {"add.xyz.s32 %r1, %r2, %r3;\n", NULL, "bad.ptx:11: unsupported modifier '.xyz' in 'add.xyz.s32'"},
    {"add.s32 %r1, %r2;\n", NULL, "bad.ptx:11: 'add.s32' takes 3 operands, found 2"},
    {"add %r1, %r2, %r3;\n", NULL, "bad.ptx:11: 'add' needs a type"},
    {"add.s32.u32 %r1, %r2, %r3;\n", NULL, "bad.ptx:11: too many types in 'add.s32.u32'"},
    {"bra.s32 $L;\n$L:\n", NULL, "bad.ptx:11: 'bra.s32' takes no type"},
    {"@%r1 ret;\n", NULL, "bad.ptx:11: guard '@%r1' is not a predicate register"},
    {"setp.s32 %p1, %r1, %r2;\n", NULL, "bad.ptx:11: 'setp.s32' needs a comparison such as .lt or .eq"},
    {"setp.lt.and.s32 %p1, %r1, %r2;\n", NULL, "bad.ptx:11: 'setp.lt.and.s32' takes 4 operands, found 3"},
    {"ld.global.u32 %r1, %rd2;\n", NULL, "bad.ptx:11: 'ld.global.u32' needs an address [..] as operand 2"},
    {"mov.u32 5, %r1;\n", NULL, "bad.ptx:11: the destination of 'mov.u32' must be a register"},
    {"ld.global.u32 %r1, [nosuch];\n", NULL, "bad.ptx:11: unknown symbol 'nosuch' in an address; declare it as a variable or parameter"},
    {"ld.global.u32 %r1, [k_p0];\n", NULL, "bad.ptx:11: parameter 'k_p0' used outside ld.param/st.param; only ld.param reads parameters"},
    {"mov.u32 %r1, %tid;\n", NULL, "bad.ptx:11: special register '%tid' needs a component .x, .y or .z"},
    {"mov.u32 %r1, %laneid.x;\n", NULL, "bad.ptx:11: special register '%laneid' has no component '.x'"},
    {"mov.b32 %r1, 0f3F80;\n", NULL, "bad.ptx:11: bad float literal '0f3F80'; write 0f followed by 8 hex digits or 0d followed by 16"},
    {"atom.global.u32 %r1, [%rd1], %r2;\n", NULL, "bad.ptx:11: 'atom.global.u32' needs an operation such as .add or .cas"},
    {"atom.global.cas.b32 %r1, [%rd1], %r2;\n", NULL, "bad.ptx:11: 'atom.global.cas.b32' takes 4 operands, found 3"},
    {"add.s32 %r1|%p1, %r2, %r3;\n", NULL, "bad.ptx:11: '|' (a second destination) is only allowed after setp's or shfl's destination"},
    {"shf.b32 %r1, %r2, %r3, %r1;\n", NULL, "bad.ptx:11: 'shf.b32' needs .l or .r and .wrap or .clamp"},
    {"cvt.rn.rz.f32.s32 %r1, %r2;\n", NULL, "bad.ptx:11: conflicting modifier '.rz' in 'cvt.rn.rz.f32.s32'"},
    {"cvt.f32 %r1, %r2;\n", NULL, "bad.ptx:11: 'cvt.f32' needs two types"},
    {"ld.global.L2::cache_hint.u32 %r1, [%rd1], %rd2;\n", NULL, "bad.ptx:11: unsupported modifier '.L2::cache_hint' in 'ld.global.L2::cache_hint.u32'; drop the cache policy"},
    {"st.global.L2::evict_zz.u32 [%rd1], %r1;\n", NULL, "bad.ptx:11: unsupported modifier '.L2::evict_zz' in 'st.global.L2::evict_zz.u32'; the PTX ISA's hints are .L1::evict_normal, evict_unchanged, evict_first, evict_last, no_allocate, .L2::evict_normal, evict_first, evict_last and .L2::64B, 128B, 256B"},
    {"ld.shared::cluster.u32 %r1, [%r2];\n", NULL, "bad.ptx:11: unsupported modifier '.shared::cluster' in 'ld.shared::cluster.u32'"},
    {"st.global.ca.u32 [%rd1], %r1;\n", NULL, "bad.ptx:11: 'st.global.ca.u32': .ca is not a cache operator of st; ld takes .ca .cg .cs .lu .cv and st .wb .cg .cs .wt"},
    {"ld.global.wt.u32 %r1, [%rd1];\n", NULL, "bad.ptx:11: 'ld.global.wt.u32': .wt is not a cache operator of ld; ld takes .ca .cg .cs .lu .cv and st .wb .cg .cs .wt"},
    {"ld.global.cg.cs.u32 %r1, [%rd1];\n", NULL, "bad.ptx:11: 'ld.global.cg.cs.u32' has two cache operators; keep one"},
    {"ld.volatile.global.cg.u32 %r1, [%rd1];\n", NULL, "bad.ptx:11: 'ld.volatile.global.cg.u32': .volatile takes no cache operator; drop .cg"},
    {"bra %r1;\n", NULL, "bad.ptx:11: 'bra' needs a label operand"},
    {"shfl.down.b32 %r1, %r2, 1, 31;\n", NULL, "bad.ptx:11: 'shfl.down.b32' needs .sync and a mode (.up, .down, .bfly or .idx)"},
    {"ld.global.v4.u32 {%r1, %r2}, [%rd1];\n", NULL, "bad.ptx:11: 'ld.global.v4.u32' needs a vector operand of 4 registers"},
    {"ld.global.u32 {%r1, %r2}, [%rd1];\n", NULL, "bad.ptx:11: 'ld.global.u32' takes no vector operand; add .v2 or .v4"},
    {"atom.global.v2.add.f32 %r1, [%rd1], %r2;\n", NULL, "bad.ptx:11: vector atomics 'atom.global.v2.add.f32' are not supported; use one atomic per element"},
    {"fence.proxy.async;\n", NULL, "bad.ptx:11: unsupported modifier '.proxy' in 'fence.proxy.async'"},
    {"add.s64 %rd1, k_p0, 8;\n", NULL, "bad.ptx:11: the address of parameter 'k_p0' is only taken by mov in a kernel; read it with ld.param"},
    {".shared .u32 s;\n.shared .u32 s;\n", NULL, "bad.ptx:12: duplicate declaration of 's'; rename one of them"},
    {"add.s32 %r1, %r2, [%rd1];\n", NULL, "bad.ptx:11: 'add.s32' takes no address operand in position 3"},
    {"trap;\n", NULL, "bad.ptx:11: unsupported instruction 'trap'; remove the trap (assert) from the kernel"},
};

START_TEST(malformed_inputs)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char text[1024];
        const struct bad_case *c = &bad_cases[i];
        if (c->module != NULL)
            snprintf(text, sizeof text, "%s", c->module);
        else
            snprintf(text, sizeof text, "%s%s%sret;\n}\n", HEADER, KERNEL_START, c->body);
        struct vdc_error err = {{0}};
        struct ptx_module *m = ptx_module_parse(text, strlen(text), "bad.ptx", &err);
        ck_assert_msg(m == NULL, "case %zu parsed: %s", i, text);
        ck_assert_msg(strcmp(err.text, c->message) == 0, "case %zu:\n got  %s\n want %s", i, err.text, c->message);
    }
}
END_TEST

/* ld's and st's cache operators are kept for the timing model; none written is the default. */
START_TEST(cache_operators_kept)
{
    const char *body = "ld.global.cg.u32 %r1, [%rd1];\nld.global.cs.u32 %r2, [%rd1];\nld.global.lu.u32 %r3, [%rd1];\n"
                       "ld.global.cv.u32 %r1, [%rd1];\nld.global.nc.u32 %r2, [%rd1];\nst.global.cs.u32 [%rd1], %r1;\n"
                       "st.global.wt.u32 [%rd1], %r1;\nld.global.ca.u32 %r3, [%rd1];\n";
    char text[2048];
    snprintf(text, sizeof text, "%s%s%sret;\n}\n", HEADER, KERNEL_START, body);
    struct vdc_error err = {{0}};
    struct ptx_module *m = ptx_module_parse(text, strlen(text), "ops.ptx", &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    const struct ptx_insn *in = m->functions[0].insns;
    const uint8_t expected[] = {PTX_CACHE_CG, PTX_CACHE_CS, PTX_CACHE_LU, PTX_CACHE_CV, PTX_CACHE_DEFAULT,
                                PTX_CACHE_CS, PTX_CACHE_WT, PTX_CACHE_CA};
    for (size_t i = 0; i < sizeof expected; i++)
        ck_assert_msg(in[i].cache_op == expected[i], "instruction %zu: cache_op %u", i, in[i].cache_op);
    ck_assert(in[4].flags & PTX_FLAG_NC);
    ptx_module_free(m);
}
END_TEST

START_TEST(call_refused)
{
    uint64_t length;
    char *text = read_sample("callfunc.ptx", &length);
    struct vdc_error err = {{0}};
    ck_assert(ptx_module_parse(text, length, "callfunc.ptx", &err) == NULL);
    ck_assert_str_eq(err.text, "callfunc.ptx:44: unsupported instruction 'call.uni'; mark the callee __forceinline__ "
                               "so that nvcc inlines it");
    free(text);
}
END_TEST

static uint64_t xorshift(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* One mutation of `text`: replace bytes with characters that matter to PTX, delete a span, duplicate a span, or
 * truncate. */
static uint64_t mutate(char *text, uint64_t length, uint64_t capacity, uint64_t *rng)
{
    static const char interesting[] = ";,{}[]()<>%.@!|+-_:=$0123456789fdxLrp \n/*\"";
    int rounds = 1 + (int)(xorshift(rng) % 3);
    for (int r = 0; r < rounds && length > 0; r++) {
        uint64_t at = xorshift(rng) % length;
        uint64_t span = 1 + xorshift(rng) % 12;
        if (span > length - at)
            span = length - at;
        switch (xorshift(rng) % 5) {
        case 0:
            text[at] = interesting[xorshift(rng) % (sizeof interesting - 1)];
            break;
        case 1:
            text[at] = (char)(xorshift(rng) & 0xff);
            break;
        case 2:
            memmove(text + at, text + at + span, length - at - span);
            length -= span;
            break;
        case 3:
            if (length + span <= capacity) {
                memmove(text + at + span, text + at, length - at);
                length += span;
            }
            break;
        default:
            length = at;
            break;
        }
    }
    return length;
}

START_TEST(mutated_samples)
{
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    unsigned parsed = 0, refused = 0;
    for (size_t s = 0; s < SAMPLE_COUNT; s++) {
        uint64_t length;
        char *original = read_sample(samples[s], &length);
        uint64_t capacity = length + 64;
        char *text = malloc(capacity);
        for (int i = 0; i < 300; i++) {
            memcpy(text, original, length);
            uint64_t n = mutate(text, length, capacity, &rng);
            struct vdc_error err = {{0}};
            struct ptx_module *m = ptx_module_parse(text, n, "mutant.ptx", &err);
            if (m != NULL) {
                parsed++;
                ptx_module_free(m);
            } else {
                refused++;
                ck_assert_msg(strncmp(err.text, "mutant.ptx:", 11) == 0, "message without a place: %s", err.text);
                ck_assert_msg(strchr(err.text, '\n') == NULL, "message on several lines: %s", err.text);
            }
        }
        free(text);
        free(original);
    }
    /* Most mutations break something; some (in comments, or a changed register number) do not. */
    ck_assert_uint_gt(refused, parsed);
    ck_assert_uint_gt(parsed, 0);
}
END_TEST

START_TEST(many_labels_resolve)
{
    /* 300 labels, each the target of a branch defined before it and of one after it (the parser's index of labels
     * grows several times), then a duplicate of an early one at the end. */
    enum { LABELS = 300 };
    size_t capacity = 64 * 1024, used = 0;
    char *text = malloc(capacity);
    used += (size_t)snprintf(text + used, capacity - used, "%s%s", HEADER, KERNEL_START);
    for (int i = 0; i < LABELS; i++)
        used += (size_t)snprintf(text + used, capacity - used, "@%%p1 bra $L__BB0_%d;\n$L__BB0_%d:\nbra $L__BB0_%d;\n",
                                 (i * 7) % LABELS, i, (i * 13) % LABELS);
    size_t body_end = used;
    used += (size_t)snprintf(text + used, capacity - used, "ret;\n}\n");
    struct vdc_error err = {{0}};
    struct ptx_module *m = ptx_module_parse(text, used, "labels.ptx", &err);
    ck_assert_msg(m != NULL, "%s", err.text);
    const struct ptx_function *fn = &m->functions[0];
    ck_assert_uint_eq(fn->insn_count, 2 * LABELS + 1);
    /* Label i is the instruction after the i-th guarded branch: 2 i + 1. */
    for (uint32_t i = 0; i < LABELS; i++) {
        ck_assert_int_eq(fn->insns[2 * i].op[0].imm, 2 * ((i * 7) % LABELS) + 1);
        ck_assert_int_eq(fn->insns[2 * i + 1].op[0].imm, 2 * ((i * 13) % LABELS) + 1);
    }
    ptx_module_free(m);

    used = body_end + (size_t)snprintf(text + body_end, capacity - body_end, "$L__BB0_5:\nret;\n}\n");
    m = ptx_module_parse(text, used, "labels.ptx", &err);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(err.text, "labels.ptx:911: duplicate label '$L__BB0_5' (first at line 27)");
    free(text);
}
END_TEST

Suite *ptx_parse_suite(void)
{
    Suite *s = suite_create("ptx_parse");
    TCase *tc = tcase_create("front end");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, samples_parse);
    tcase_add_test(tc, reduce_ir);
    tcase_add_test(tc, control_reconvergence);
    tcase_add_test(tc, struct_params_and_vectors);
    tcase_add_test(tc, module_variables);
    tcase_add_test(tc, instruction_modifiers);
    tcase_add_test(tc, handwritten_forms);
    tcase_add_test(tc, register_estimate);
    tcase_add_test(tc, malformed_inputs);
    tcase_add_test(tc, many_labels_resolve);
    tcase_add_test(tc, cache_operators_kept);
    tcase_add_test(tc, call_refused);
    tcase_add_test(tc, mutated_samples);
    suite_add_tcase(s, tc);
    return s;
}
