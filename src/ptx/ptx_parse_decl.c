/* PTX declarations: variables with their initializers, .reg registers, and parameter lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptx/ptx_parse_internal.h"
#include "ptx/ptx_parse_decl.h"

#define MAX_REGISTERS_PER_FUNCTION 65536u
#define MAX_VARIABLE_BYTES (1ull << 32)
#define MAX_INITIALIZED_BYTES (64ull << 20)

static bool parse_count(struct ptx_parser *p, uint64_t *value, const char *what)
{
    if (p->tok.kind != PTX_TOK_NUMBER || ptx_tok_is_float_literal(p) || !ptx_tok_integer(p, value))
        return ptx_fail_expected(p, what);
    ptx_lex_next(p);
    return true;
}

bool ptx_parse_align(struct ptx_parser *p, uint32_t *align)
{
    ptx_lex_next(p); /* .align */
    uint64_t a;
    if (!parse_count(p, &a, "an alignment"))
        return false;
    if (a == 0 || (a & (a - 1)) != 0 || a > 65536)
        return ptx_fail(p, "alignment %llu is not a power of two up to 65536", (unsigned long long)a);
    *align = (uint32_t)a;
    return true;
}

/* A .type directive at the current token, or PTX_T_NONE. */
static enum ptx_type directive_type(const struct ptx_parser *p)
{
    if (p->tok.kind != PTX_TOK_WORD || p->tok.length < 2 || p->tok.text[0] != '.')
        return PTX_T_NONE;
    return ptx_type_from_name(p->tok.text + 1, p->tok.length - 1);
}

static bool parse_type(struct ptx_parser *p, enum ptx_type *type)
{
    *type = directive_type(p);
    if (*type == PTX_T_NONE) {
        char buf[64];
        if (p->tok.kind == PTX_TOK_WORD && p->tok.text[0] == '.')
            return ptx_fail(p, "unknown type '%s'; use .b8-.b64, .u8-.u64, .s8-.s64, .f16, .f32, .f64 or .pred",
                            ptx_tok_copy(p, buf, sizeof buf));
        return ptx_fail_expected(p, "a type such as .u32");
    }
    ptx_lex_next(p);
    return true;
}

static bool parse_name(struct ptx_parser *p, char *buf, size_t size, const char *what)
{
    if (p->tok.kind != PTX_TOK_WORD || p->tok.text[0] == '.')
        return ptx_fail_expected(p, what);
    if (p->tok.length >= size)
        return ptx_fail(p, "name too long (%u characters)", p->tok.length);
    ptx_tok_copy(p, buf, size);
    ptx_lex_next(p);
    return true;
}

/* Stores one initializer element of `type` at `at`. */
static bool store_element(struct ptx_parser *p, uint8_t *at, enum ptx_type type)
{
    bool negative = false;
    if (ptx_tok_punct(p, '-')) {
        negative = true;
        ptx_lex_next(p);
    }
    unsigned size = ptx_type_size(type);
    uint64_t bits = 0;
    if (p->tok.kind != PTX_TOK_NUMBER) {
        if (p->tok.kind == PTX_TOK_WORD)
            return ptx_fail(p, "addresses of symbols in initializers are not supported; set the pointer at run time");
        return ptx_fail_expected(p, "a number in the initializer");
    }
    if (ptx_tok_is_float_literal(p)) {
        uint64_t raw = 0;
        bool f32_bits = false, hex = false;
        double d = 0;
        if (!ptx_tok_float(p, &raw, &f32_bits, &hex, &d))
            return ptx_fail(p, "bad float literal in the initializer");
        if (hex && !negative && (size == 4) == f32_bits) {
            bits = raw;
        } else {
            if (hex && f32_bits) {
                float f;
                uint32_t b = (uint32_t)raw;
                memcpy(&f, &b, 4);
                d = f;
            } else if (hex) {
                memcpy(&d, &raw, 8);
            }
            d = negative ? -d : d;
            if (size == 4) {
                float f = (float)d;
                uint32_t b;
                memcpy(&b, &f, 4);
                bits = b;
            } else if (size == 8) {
                memcpy(&bits, &d, 8);
            } else {
                return ptx_fail(p, "a float literal cannot initialise a .%s variable", ptx_type_name(type));
            }
        }
    } else {
        uint64_t v;
        if (!ptx_tok_integer(p, &v))
            return ptx_fail(p, "bad number in the initializer");
        int64_t s = negative ? (int64_t)(0 - v) : (int64_t)v;
        if (type == PTX_T_F32) {
            float f = (float)s;
            uint32_t b;
            memcpy(&b, &f, 4);
            bits = b;
        } else if (type == PTX_T_F64) {
            double d = (double)s;
            memcpy(&bits, &d, 8);
        } else {
            bits = (uint64_t)s;
        }
    }
    for (unsigned i = 0; i < size; i++)
        at[i] = (uint8_t)(bits >> (8 * i));
    ptx_lex_next(p);
    return true;
}

/* `= value` or `= {v, v, {v, ...}}`: elements fill the variable in order; the rest stays zero. */
static bool parse_initializer(struct ptx_parser *p, struct ptx_var *v, enum ptx_type elem, bool unsized)
{
    unsigned esize = ptx_type_size(elem);
    uint64_t capacity = unsized ? 64 : v->size;
    uint8_t *buf = vdc_xcalloc(capacity ? capacity : 1, 1);
    uint64_t used = 0;
    uint32_t depth = 0;
    bool ok = true;
    do {
        if (ptx_tok_punct(p, '{')) {
            if (++depth > 8) {
                ok = ptx_fail(p, "initializer nested too deeply");
                break;
            }
            ptx_lex_next(p);
            continue;
        }
        if (used + esize > capacity) {
            if (!unsized || capacity >= MAX_INITIALIZED_BYTES) {
                ok = ptx_fail(p, "too many initializer elements for '%s' (%llu bytes)", v->name,
                              (unsigned long long)v->size);
                break;
            }
            buf = vdc_xrealloc(buf, capacity * 2, 1);
            memset(buf + capacity, 0, capacity);
            capacity *= 2;
        }
        if (!store_element(p, buf + used, elem)) {
            ok = false;
            break;
        }
        used += esize;
        while (depth > 0 && ptx_tok_punct(p, '}')) {
            depth--;
            ptx_lex_next(p);
        }
        if (depth == 0)
            break;
        if (!ptx_tok_punct(p, ',')) {
            ok = ptx_fail_expected(p, "',' or '}' in the initializer");
            break;
        }
        ptx_lex_next(p);
    } while (true);
    if (!ok) {
        free(buf);
        return false;
    }
    if (unsized)
        v->size = used;
    v->init = buf;
    return true;
}

static struct ptx_var *append_var(struct ptx_parser *p)
{
    struct ptx_module *m = p->module;
    if (m->var_count == p->var_capacity) {
        p->var_capacity = p->var_capacity ? p->var_capacity * 2 : 16;
        m->vars = vdc_xrealloc(m->vars, p->var_capacity, sizeof *m->vars);
    }
    struct ptx_var *v = &m->vars[m->var_count++];
    memset(v, 0, sizeof *v);
    return v;
}

bool ptx_parse_variable(struct ptx_parser *p, bool is_extern, int32_t function)
{
    char name[256];
    struct ptx_var tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.function = function;
    tmp.is_extern = is_extern;
    uint32_t line = p->tok.line;
    if (ptx_tok_is(p, ".global"))
        tmp.space = PTX_SPACE_GLOBAL;
    else if (ptx_tok_is(p, ".const"))
        tmp.space = PTX_SPACE_CONST;
    else if (ptx_tok_is(p, ".shared"))
        tmp.space = PTX_SPACE_SHARED;
    else
        tmp.space = PTX_SPACE_LOCAL;
    if (tmp.space == PTX_SPACE_LOCAL && function < 0)
        return ptx_fail(p, "module-scope .local variables are not supported; declare them inside the function");
    ptx_lex_next(p);
    unsigned vector = 1;
    enum ptx_type type = PTX_T_NONE;
    for (;;) {
        if (ptx_tok_is(p, ".align")) {
            if (!ptx_parse_align(p, &tmp.align))
                return false;
        } else if (ptx_tok_is(p, ".v2") || ptx_tok_is(p, ".v4")) {
            vector = p->tok.text[2] == '2' ? 2 : 4;
            ptx_lex_next(p);
        } else if (ptx_tok_is(p, ".texref") || ptx_tok_is(p, ".surfref") || ptx_tok_is(p, ".samplerref")) {
            char buf[32];
            return ptx_fail(p, "unsupported variable type '%s'; textures and surfaces are not modelled",
                            ptx_tok_copy(p, buf, sizeof buf));
        } else {
            break;
        }
    }
    if (!parse_type(p, &type) || !parse_name(p, name, sizeof name, "a variable name"))
        return false;
    tmp.type = (uint8_t)type;
    uint64_t elements = vector;
    bool unsized = false;
    while (ptx_tok_punct(p, '[')) {
        ptx_lex_next(p);
        if (ptx_tok_punct(p, ']')) {
            unsized = true;
        } else {
            uint64_t n;
            if (!parse_count(p, &n, "an array size"))
                return false;
            if (n == 0 || n > MAX_VARIABLE_BYTES || elements > MAX_VARIABLE_BYTES / n)
                return ptx_fail(p, "array size of '%s' out of range (1 to 4 GiB)", name);
            elements *= n;
        }
        if (!ptx_tok_punct(p, ']'))
            return ptx_fail_expected(p, "']'");
        ptx_lex_next(p);
    }
    unsigned esize = ptx_type_size(type);
    if (type == PTX_T_PRED)
        return ptx_fail(p, "variable '%s' cannot have type .pred", name);
    tmp.size = unsized ? 0 : elements * esize;
    if (tmp.size > MAX_VARIABLE_BYTES)
        return ptx_fail(p, "variable '%s' is larger than 4 GiB", name);
    if (tmp.align == 0)
        tmp.align = esize * vector;
    for (uint32_t i = 0; i < p->module->var_count; i++) {
        const struct ptx_var *o = &p->module->vars[i];
        if (o->function == function && strcmp(o->name, name) == 0)
            return ptx_fail_at(p, line, "duplicate declaration of '%s'; rename one of them", name);
    }
    tmp.name = vdc_xstrdup(name);
    struct ptx_var *v = append_var(p);
    *v = tmp;
    if (ptx_tok_punct(p, '=')) {
        if (v->space == PTX_SPACE_SHARED || v->space == PTX_SPACE_LOCAL)
            return ptx_fail(p, "%s variable '%s' cannot have an initializer",
                            v->space == PTX_SPACE_SHARED ? ".shared" : ".local", name);
        if (v->size > MAX_INITIALIZED_BYTES)
            return ptx_fail(p, "variable '%s' with an initializer is larger than 64 MiB; initialise it at run time",
                            name);
        ptx_lex_next(p);
        if (!parse_initializer(p, v, type, unsized))
            return false;
        unsized = false;
    }
    if (unsized && !(is_extern && v->space == PTX_SPACE_SHARED))
        return ptx_fail_at(p, line, "variable '%s' has no size; give it one or an initializer", name);
    if (!ptx_tok_punct(p, ';'))
        return ptx_fail_expected(p, "';' after the variable declaration");
    ptx_lex_next(p);
    return true;
}

static bool add_register(struct ptx_parser *p, const char *name, enum ptx_type type)
{
    struct ptx_function *fn = p->fn;
    if (fn->reg_count >= MAX_REGISTERS_PER_FUNCTION)
        return ptx_fail(p, "more than %u registers in one function", MAX_REGISTERS_PER_FUNCTION);
    if (fn->reg_count == p->reg_capacity) {
        p->reg_capacity = p->reg_capacity ? p->reg_capacity * 2 : 64;
        fn->regs = vdc_xrealloc(fn->regs, p->reg_capacity, sizeof *fn->regs);
    }
    fn->regs[fn->reg_count++] = (struct ptx_reg_info){vdc_xstrdup(name), (uint8_t)type};
    return true;
}

/* `prefix` (`prefix_length` bytes, under 128) then `number` in decimal, into `buf` (of 160 bytes): what snprintf would
 * make, without its cost for each of the thousands of registers a `%r<N>` of nvcc's declares. */
static void name_with_number(char *buf, const char *prefix, size_t prefix_length, uint64_t number)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + number % 10);
        number /= 10;
    } while (number != 0);
    memcpy(buf, prefix, prefix_length);
    for (size_t i = 0; i < n; i++)
        buf[prefix_length + i] = digits[n - 1 - i];
    buf[prefix_length + n] = '\0';
}

bool ptx_parse_registers(struct ptx_parser *p)
{
    ptx_lex_next(p); /* .reg */
    enum ptx_type type;
    if (ptx_tok_is(p, ".v2") || ptx_tok_is(p, ".v4"))
        return ptx_fail(p, "vector registers are not supported; declare one register per element");
    if (!parse_type(p, &type))
        return false;
    for (;;) {
        char prefix[128];
        if (!parse_name(p, prefix, sizeof prefix, "a register name"))
            return false;
        uint64_t count = 0;
        if (ptx_tok_punct(p, '<')) {
            ptx_lex_next(p);
            if (!parse_count(p, &count, "a register count"))
                return false;
            if (count == 0 || count > MAX_REGISTERS_PER_FUNCTION)
                return ptx_fail(p, "register count %llu out of range (1 to %u)", (unsigned long long)count,
                                MAX_REGISTERS_PER_FUNCTION);
            if (!ptx_tok_punct(p, '>'))
                return ptx_fail_expected(p, "'>'");
            ptx_lex_next(p);
        }
        for (uint32_t i = 0; i < p->reg_decl_count; i++)
            if (p->reg_decls[i].scope_depth == p->scope_depth && strcmp(p->reg_decls[i].prefix, prefix) == 0)
                return ptx_fail(p, "duplicate declaration of register '%s'", prefix);
        if (p->reg_decl_count == p->reg_decl_capacity) {
            p->reg_decl_capacity = p->reg_decl_capacity ? p->reg_decl_capacity * 2 : 16;
            p->reg_decls = vdc_xrealloc(p->reg_decls, p->reg_decl_capacity, sizeof *p->reg_decls);
        }
        struct ptx_reg_decl *d = &p->reg_decls[p->reg_decl_count];
        *d = (struct ptx_reg_decl){vdc_xstrdup(prefix), (uint32_t)count, (int32_t)p->fn->reg_count,
                                   p->scope_depth};
        p->reg_decl_count++;
        if (count == 0) {
            if (!add_register(p, prefix, type))
                return false;
        } else {
            size_t prefix_length = strlen(prefix);
            for (uint64_t i = 0; i < count; i++) {
                char name[160];
                name_with_number(name, prefix, prefix_length, i);
                if (!add_register(p, name, type))
                    return false;
            }
        }
        if (!ptx_tok_punct(p, ','))
            break;
        ptx_lex_next(p);
    }
    if (!ptx_tok_punct(p, ';'))
        return ptx_fail_expected(p, "';' after the register declaration");
    ptx_lex_next(p);
    return true;
}

/* One `.param [.ptr .space] [.align N] .type name[N]` entry; `offset` is the running buffer size. */
bool ptx_parse_param(struct ptx_parser *p, struct ptx_param *out, uint32_t *offset)
{
    char name[256];
    if (!ptx_tok_is(p, ".param"))
        return ptx_fail_expected(p, "'.param'");
    ptx_lex_next(p);
    uint32_t align = 0;
    for (;;) {
        if (ptx_tok_is(p, ".align")) {
            if (!ptx_parse_align(p, &align))
                return false;
        } else if (ptx_tok_is(p, ".ptr") || ptx_tok_is(p, ".global") || ptx_tok_is(p, ".shared") ||
                   ptx_tok_is(p, ".const") || ptx_tok_is(p, ".local")) {
            ptx_lex_next(p);
        } else {
            break;
        }
    }
    enum ptx_type type;
    if (!parse_type(p, &type) || !parse_name(p, name, sizeof name, "a parameter name"))
        return false;
    uint64_t size = ptx_type_size(type);
    if (ptx_tok_punct(p, '[')) {
        ptx_lex_next(p);
        uint64_t n;
        if (!parse_count(p, &n, "an array size"))
            return false;
        if (n == 0 || n > 65536)
            return ptx_fail(p, "parameter array size %llu out of range (1 to 65536)", (unsigned long long)n);
        size *= n;
        if (!ptx_tok_punct(p, ']'))
            return ptx_fail_expected(p, "']'");
        ptx_lex_next(p);
    }
    if (align == 0)
        align = ptx_type_size(type);
    uint64_t at = ((uint64_t)*offset + align - 1) / align * align;
    if (at + size > 65536)
        return ptx_fail(p, "parameters larger than 64 KiB");
    *out = (struct ptx_param){vdc_xstrdup(name), (uint8_t)type, align, (uint32_t)size, (uint32_t)at};
    *offset = (uint32_t)(at + size);
    return true;
}
