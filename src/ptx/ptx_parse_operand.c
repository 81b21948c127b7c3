/* PTX operands: registers, special registers, immediates, addresses, vectors, symbols and labels. */
#include <string.h>

#include "ptx/ptx_parse_internal.h"

static const struct {
    const char *name;
    enum ptx_sreg sreg;
    bool has_component;
} special_registers[] = {
    {"%tid", PTX_SREG_TID, true},
    {"%ntid", PTX_SREG_NTID, true},
    {"%ctaid", PTX_SREG_CTAID, true},
    {"%nctaid", PTX_SREG_NCTAID, true},
    {"%laneid", PTX_SREG_LANEID, false},
    {"%warpid", PTX_SREG_WARPID, false},
    {"%nwarpid", PTX_SREG_NWARPID, false},
    {"%smid", PTX_SREG_SMID, false},
    {"%nsmid", PTX_SREG_NSMID, false},
    {"%gridid", PTX_SREG_GRIDID, false},
    {"%clock", PTX_SREG_CLOCK, false},
    {"%clock64", PTX_SREG_CLOCK64, false},
    {"%globaltimer", PTX_SREG_GLOBALTIMER, false},
    {"%lanemask_eq", PTX_SREG_LANEMASK_EQ, false},
    {"%lanemask_le", PTX_SREG_LANEMASK_LE, false},
    {"%lanemask_lt", PTX_SREG_LANEMASK_LT, false},
    {"%lanemask_ge", PTX_SREG_LANEMASK_GE, false},
    {"%lanemask_gt", PTX_SREG_LANEMASK_GT, false},
    {"%dynamic_smem_size", PTX_SREG_DYNAMIC_SMEM_SIZE, false},
    {"%total_smem_size", PTX_SREG_TOTAL_SMEM_SIZE, false},
};

/* Whether `name` is `prefix` followed by a decimal index below `count` (no leading zeros), giving the index. */
static bool match_range(const char *name, const struct ptx_reg_decl *d, uint32_t *index)
{
    size_t n = strlen(d->prefix);
    if (strncmp(name, d->prefix, n) != 0)
        return false;
    const char *digits = name + n;
    if (d->count == 0)
        return *digits == '\0' && (*index = 0, true);
    if (*digits == '\0' || (digits[0] == '0' && digits[1] != '\0'))
        return false;
    uint64_t v = 0;
    for (const char *c = digits; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        v = v * 10 + (uint64_t)(*c - '0');
        if (v >= d->count)
            return false;
    }
    *index = (uint32_t)v;
    return true;
}

int32_t ptx_lookup_register(const struct ptx_parser *p, const char *name)
{
    /* Innermost declarations first, so a nested block's `%temp` hides an outer one. */
    for (uint32_t i = p->reg_decl_count; i-- > 0;) {
        uint32_t index;
        if (match_range(name, &p->reg_decls[i], &index))
            return p->reg_decls[i].first_slot + (int32_t)index;
    }
    return -1;
}

static int32_t lookup_variable(const struct ptx_parser *p, const char *name)
{
    for (uint32_t i = 0; i < p->module->var_count; i++) {
        const struct ptx_var *v = &p->module->vars[i];
        if (v->function == p->fn_index && strcmp(v->name, name) == 0)
            return (int32_t)i;
    }
    for (uint32_t i = 0; i < p->module->var_count; i++) {
        const struct ptx_var *v = &p->module->vars[i];
        if (v->function < 0 && strcmp(v->name, name) == 0)
            return (int32_t)i;
    }
    return -1;
}

static const struct ptx_param *lookup_param(const struct ptx_parser *p, const char *name)
{
    for (uint32_t i = 0; i < p->fn->param_count; i++)
        if (strcmp(p->fn->params[i].name, name) == 0)
            return &p->fn->params[i];
    return NULL;
}

static bool is_call_param(const struct ptx_parser *p, const char *name)
{
    for (uint32_t i = 0; i < p->call_param_count; i++)
        if (strcmp(p->call_params[i].name, name) == 0)
            return true;
    return false;
}

/* An immediate from the current number token, typed by the instruction: float literals become the bits of the
 * operand's float type; integers are kept sign-extended (and converted for float types). */
static bool parse_immediate(struct ptx_parser *p, struct ptx_operand *op, enum ptx_type value_type, bool negative)
{
    char buf[64];
    op->kind = PTX_OPND_IMM;
    if (ptx_tok_is_float_literal(p)) {
        uint64_t bits = 0;
        bool f32_bits = false, hex = false;
        double d = 0;
        if (!ptx_tok_float(p, &bits, &f32_bits, &hex, &d))
            return ptx_fail(p, "bad float literal '%s'; write 0f followed by 8 hex digits or 0d followed by 16",
                            ptx_tok_copy(p, buf, sizeof buf));
        if (hex && !negative && (value_type != PTX_T_F64 || !f32_bits) && (value_type != PTX_T_F32 || f32_bits)) {
            op->imm = (int64_t)bits;
        } else {
            if (hex) {
                if (f32_bits) {
                    float f;
                    uint32_t b32 = (uint32_t)bits;
                    memcpy(&f, &b32, 4);
                    d = f;
                } else {
                    memcpy(&d, &bits, 8);
                }
            }
            if (negative)
                d = -d;
            if (value_type == PTX_T_F64 || !(value_type == PTX_T_F32 || f32_bits)) {
                uint64_t b;
                memcpy(&b, &d, 8);
                op->imm = (int64_t)b;
            } else {
                float f = (float)d;
                uint32_t b;
                memcpy(&b, &f, 4);
                op->imm = (int64_t)b;
            }
        }
        ptx_lex_next(p);
        return true;
    }
    uint64_t v;
    if (!ptx_tok_integer(p, &v))
        return ptx_fail(p, "bad number '%s'; write a decimal, 0x hex, 0 octal or 0b binary integer",
                        ptx_tok_copy(p, buf, sizeof buf));
    int64_t s = negative ? (int64_t)(0 - v) : (int64_t)v;
    if (value_type == PTX_T_F32) {
        float f = (float)s;
        uint32_t b;
        memcpy(&b, &f, 4);
        op->imm = (int64_t)b;
    } else if (value_type == PTX_T_F64) {
        double d = (double)s;
        uint64_t b;
        memcpy(&b, &d, 8);
        op->imm = (int64_t)b;
    } else {
        op->imm = s;
    }
    ptx_lex_next(p);
    return true;
}

/* An optional "+N", "+-N" or "-N" after a register or symbol. */
static bool parse_offset(struct ptx_parser *p, int64_t *offset)
{
    *offset = 0;
    bool negative = false;
    if (ptx_tok_punct(p, '+')) {
        ptx_lex_next(p);
        if (ptx_tok_punct(p, '-')) {
            negative = true;
            ptx_lex_next(p);
        }
    } else if (ptx_tok_punct(p, '-')) {
        negative = true;
        ptx_lex_next(p);
    } else {
        return true;
    }
    uint64_t v;
    if (p->tok.kind != PTX_TOK_NUMBER || ptx_tok_is_float_literal(p) || !ptx_tok_integer(p, &v))
        return ptx_fail_expected(p, "an integer offset");
    *offset = negative ? (int64_t)(0 - v) : (int64_t)v;
    ptx_lex_next(p);
    return true;
}

static bool parse_register_name(struct ptx_parser *p, int32_t *slot, bool allow_sink)
{
    char name[128];
    if (allow_sink && ptx_tok_is(p, "_")) {
        *slot = -1;
        ptx_lex_next(p);
        return true;
    }
    if (p->tok.kind != PTX_TOK_WORD)
        return ptx_fail_expected(p, "a register");
    ptx_tok_copy(p, name, sizeof name);
    *slot = ptx_lookup_register(p, name);
    if (*slot < 0)
        return ptx_fail(p, "unknown register '%s'; declare it with .reg", name);
    ptx_lex_next(p);
    return true;
}

static bool parse_address(struct ptx_parser *p, struct ptx_insn *insn, struct ptx_operand *op)
{
    char name[256];
    ptx_lex_next(p); /* '[' */
    op->kind = PTX_OPND_ADDR;
    int64_t offset = 0;
    if (p->tok.kind == PTX_TOK_NUMBER) {
        uint64_t v;
        if (ptx_tok_is_float_literal(p) || !ptx_tok_integer(p, &v))
            return ptx_fail_expected(p, "an address");
        op->imm = (int64_t)v;
        ptx_lex_next(p);
    } else if (p->tok.kind == PTX_TOK_WORD) {
        ptx_tok_copy(p, name, sizeof name);
        int32_t reg = ptx_lookup_register(p, name);
        const struct ptx_param *param;
        if (reg >= 0) {
            op->reg = reg;
        } else if (name[0] == '%') {
            return ptx_fail(p, "unknown register '%s'; declare it with .reg", name);
        } else if ((param = lookup_param(p, name)) != NULL) {
            /* A parameter: its offset in the parameter buffer (symbol and reg stay -1). */
            if (insn->space != PTX_SPACE_PARAM)
                return ptx_fail(p, "parameter '%s' used outside ld.param/st.param; only ld.param reads parameters",
                                name);
            op->imm = param->offset;
        } else if (is_call_param(p, name)) {
            op->imm = 0;
        } else {
            op->symbol = lookup_variable(p, name);
            if (op->symbol < 0)
                return ptx_fail(p, "unknown symbol '%s' in an address; declare it as a variable or parameter", name);
        }
        ptx_lex_next(p);
        if (!parse_offset(p, &offset))
            return false;
        op->imm += offset;
    } else {
        return ptx_fail_expected(p, "an address");
    }
    if (!ptx_tok_punct(p, ']'))
        return ptx_fail_expected(p, "']'");
    ptx_lex_next(p);
    return true;
}

static bool parse_vector(struct ptx_parser *p, struct ptx_operand *op)
{
    ptx_lex_next(p); /* '{' */
    op->kind = PTX_OPND_VEC;
    for (;;) {
        if (op->vec_count == 4)
            return ptx_fail(p, "vector operand has more than 4 elements");
        int32_t slot;
        if (!parse_register_name(p, &slot, true))
            return false;
        op->vec[op->vec_count++] = slot;
        if (ptx_tok_punct(p, '}'))
            break;
        if (!ptx_tok_punct(p, ','))
            return ptx_fail_expected(p, "',' or '}' in a vector operand");
        ptx_lex_next(p);
    }
    ptx_lex_next(p);
    return true;
}

static bool parse_special_register(struct ptx_parser *p, struct ptx_operand *op, const char *name)
{
    const char *dot = strchr(name, '.');
    size_t base = dot != NULL ? (size_t)(dot - name) : strlen(name);
    for (size_t i = 0; i < sizeof special_registers / sizeof special_registers[0]; i++) {
        if (!ptx_name_is(special_registers[i].name, name, base))
            continue;
        op->kind = PTX_OPND_SREG;
        op->sreg = (uint16_t)special_registers[i].sreg;
        if (special_registers[i].has_component) {
            if (dot == NULL || dot[1] < 'x' || dot[1] > 'z' || dot[2] != '\0')
                return ptx_fail(p, "special register '%s' needs a component .x, .y or .z", name);
            op->sreg_component = (uint8_t)(dot[1] - 'x');
        } else if (dot != NULL) {
            return ptx_fail(p, "special register '%.*s' has no component '%s'", (int)base, name, dot);
        }
        ptx_lex_next(p);
        return true;
    }
    return ptx_fail(p, "unknown register '%s'; declare it with .reg", name);
}

static bool add_label_fixup(struct ptx_parser *p, const char *name)
{
    if (p->fixup_count == p->fixup_capacity) {
        p->fixup_capacity = p->fixup_capacity ? p->fixup_capacity * 2 : 16;
        p->fixups = vdc_xrealloc(p->fixups, p->fixup_capacity, sizeof *p->fixups);
    }
    p->fixups[p->fixup_count++] = (struct ptx_name_ref){vdc_xstrdup(name), p->fn->insn_count, 0, p->tok.line};
    return true;
}

bool ptx_parse_operand(struct ptx_parser *p, struct ptx_insn *insn, struct ptx_operand *op,
                       enum ptx_type value_type, bool allow_label)
{
    char name[256];
    memset(op, 0, sizeof *op);
    op->reg = -1;
    op->symbol = -1;
    for (int i = 0; i < 4; i++)
        op->vec[i] = -1;
    if (ptx_tok_punct(p, '!')) {
        ptx_lex_next(p);
        op->negate = 1;
        op->kind = PTX_OPND_REG;
        return parse_register_name(p, &op->reg, false);
    }
    if (ptx_tok_punct(p, '-')) {
        ptx_lex_next(p);
        if (p->tok.kind != PTX_TOK_NUMBER)
            return ptx_fail_expected(p, "a number after '-'");
        return parse_immediate(p, op, value_type, true);
    }
    if (p->tok.kind == PTX_TOK_NUMBER)
        return parse_immediate(p, op, value_type, false);
    if (ptx_tok_punct(p, '['))
        return parse_address(p, insn, op);
    if (ptx_tok_punct(p, '{'))
        return parse_vector(p, op);
    if (p->tok.kind != PTX_TOK_WORD)
        return ptx_fail_expected(p, "an operand");
    ptx_tok_copy(p, name, sizeof name);
    if (strcmp(name, "_") == 0) {
        op->kind = PTX_OPND_SINK;
        ptx_lex_next(p);
        return true;
    }
    int32_t reg = ptx_lookup_register(p, name);
    if (reg >= 0) {
        op->kind = PTX_OPND_REG;
        op->reg = reg;
        ptx_lex_next(p);
        return true;
    }
    if (name[0] == '%')
        return parse_special_register(p, op, name);
    if (allow_label) {
        op->kind = PTX_OPND_LABEL;
        add_label_fixup(p, name);
        ptx_lex_next(p);
        return true;
    }
    op->symbol = lookup_variable(p, name);
    const struct ptx_param *param;
    if (op->symbol < 0 && (param = lookup_param(p, name)) != NULL) {
        /* A kernel parameter's address, in the .param space (nvcc takes it to index a by-value struct's array, then
         * reads with ld.param through the register): its offset in the parameter buffer. */
        if (!p->fn->is_entry || insn->opcode != PTX_OP_MOV)
            return ptx_fail(p, "the address of parameter '%s' is only taken by mov in a kernel; read it with "
                            "ld.param", name);
        op->kind = PTX_OPND_IMM;
        op->imm = param->offset;
        ptx_lex_next(p);
        return true;
    }
    if (op->symbol < 0)
        return ptx_fail(p, "unknown symbol '%s'; declare it as a variable", name);
    op->kind = PTX_OPND_SYMBOL;
    ptx_lex_next(p);
    return parse_offset(p, &op->imm);
}
