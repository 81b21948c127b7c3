/* The PTX parser: module directives, functions and their bodies, then the layout of shared and local memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptx/ptx_parse_decl.h"
#include "ptx/ptx_parse_internal.h"

static const uint32_t supported_targets[] = {80, 86, 89, 90};

static void lex_save(const struct ptx_parser *p, size_t *pos, uint32_t *line, struct ptx_token *tok)
{
    *pos = p->pos;
    *line = p->line;
    *tok = p->tok;
}

static void lex_restore(struct ptx_parser *p, size_t pos, uint32_t line, const struct ptx_token *tok)
{
    p->pos = pos;
    p->line = line;
    p->tok = *tok;
}

/* Whether the token after the current one is punctuation `c`. */
static bool next_is_punct(struct ptx_parser *p, char c)
{
    size_t pos;
    uint32_t line;
    struct ptx_token tok;
    lex_save(p, &pos, &line, &tok);
    ptx_lex_next(p);
    bool is = ptx_tok_punct(p, c);
    lex_restore(p, pos, line, &tok);
    return is;
}

static void skip_line(struct ptx_parser *p)
{
    uint32_t line = p->tok.line;
    while (p->tok.kind != PTX_TOK_EOF && p->tok.line == line)
        ptx_lex_next(p);
}

static bool skip_through_semicolon(struct ptx_parser *p)
{
    while (p->tok.kind != PTX_TOK_EOF && !ptx_tok_punct(p, ';'))
        ptx_lex_next(p);
    if (p->tok.kind == PTX_TOK_EOF)
        return ptx_fail_expected(p, "';'");
    ptx_lex_next(p);
    return true;
}

/* `.section name { ... }` (DWARF from -G or -lineinfo): skipped whole. */
static bool skip_section(struct ptx_parser *p)
{
    while (p->tok.kind != PTX_TOK_EOF && !ptx_tok_punct(p, '{'))
        ptx_lex_next(p);
    uint32_t depth = 0;
    while (p->tok.kind != PTX_TOK_EOF) {
        if (ptx_tok_punct(p, '{'))
            depth++;
        else if (ptx_tok_punct(p, '}') && --depth == 0) {
            ptx_lex_next(p);
            return true;
        }
        ptx_lex_next(p);
    }
    return ptx_fail_expected(p, "'}' closing the .section");
}

static bool parse_version(struct ptx_parser *p)
{
    char buf[32];
    ptx_lex_next(p);
    ptx_tok_copy(p, buf, sizeof buf);
    unsigned major, minor;
    char extra;
    if (p->tok.kind != PTX_TOK_NUMBER || sscanf(buf, "%u.%u%c", &major, &minor, &extra) != 2)
        return ptx_fail_expected(p, "a version such as 9.0");
    if (major > 9 || (major == 9 && minor > 0) || major < 7)
        return ptx_fail(p, "unsupported PTX ISA version %u.%u; vdc reads 7.0 to 9.0 (nvcc 11 to 13)", major, minor);
    p->module->version_major = major;
    p->module->version_minor = minor;
    ptx_lex_next(p);
    return true;
}

static bool parse_target(struct ptx_parser *p)
{
    char buf[64];
    ptx_lex_next(p);
    ptx_tok_copy(p, buf, sizeof buf);
    unsigned sm = 0;
    char suffix[8] = "";
    int n = sscanf(buf, "sm_%u%7s", &sm, suffix);
    bool ok = false;
    for (size_t i = 0; i < sizeof supported_targets / sizeof supported_targets[0]; i++)
        if (n >= 1 && sm == supported_targets[i])
            ok = true;
    if (n == 2 && !(sm == 90 && strcmp(suffix, "a") == 0))
        ok = false;
    if (p->tok.kind != PTX_TOK_WORD || !ok)
        return ptx_fail(p, "unsupported target '%s'; compile for sm_90 or sm_80 (nvcc -arch=sm_90 -ptx)", buf);
    p->module->target_sm = sm;
    ptx_lex_next(p);
    /* Further target options (debug, texmode_*) change nothing here. */
    while (ptx_tok_punct(p, ',')) {
        ptx_lex_next(p);
        if (p->tok.kind != PTX_TOK_WORD)
            return ptx_fail_expected(p, "a target option");
        ptx_lex_next(p);
    }
    return true;
}

static bool parse_address_size(struct ptx_parser *p)
{
    ptx_lex_next(p);
    uint64_t v;
    if (p->tok.kind != PTX_TOK_NUMBER || !ptx_tok_integer(p, &v))
        return ptx_fail_expected(p, "64");
    if (v != 64)
        return ptx_fail(p, "unsupported .address_size %llu; compile for 64-bit addresses", (unsigned long long)v);
    p->module->address_size = 64;
    ptx_lex_next(p);
    return true;
}

static bool parse_param_list(struct ptx_parser *p, struct ptx_param **params, uint32_t *count, uint32_t *bytes)
{
    ptx_lex_next(p); /* '(' */
    uint32_t capacity = 0;
    while (!ptx_tok_punct(p, ')')) {
        if (*count == capacity) {
            capacity = capacity ? capacity * 2 : 8;
            *params = vdc_xrealloc(*params, capacity, sizeof **params);
        }
        if (!ptx_parse_param(p, &(*params)[*count], bytes))
            return false;
        (*count)++;
        if (ptx_tok_punct(p, ','))
            ptx_lex_next(p);
        else if (!ptx_tok_punct(p, ')'))
            return ptx_fail_expected(p, "',' or ')' in the parameter list");
    }
    ptx_lex_next(p);
    return true;
}

static bool parse_dims(struct ptx_parser *p, uint32_t *dims, unsigned count)
{
    ptx_lex_next(p);
    for (unsigned i = 0; i < count; i++) {
        uint64_t v;
        if (p->tok.kind != PTX_TOK_NUMBER || !ptx_tok_integer(p, &v) || v > 0xffffffffu)
            return ptx_fail_expected(p, "a count");
        dims[i] = (uint32_t)v;
        ptx_lex_next(p);
        if (!ptx_tok_punct(p, ','))
            break;
        ptx_lex_next(p);
    }
    return true;
}

static void add_name_ref(struct ptx_name_ref **list, uint32_t *count, uint32_t *capacity, const char *name,
                         uint32_t insn, uint32_t line)
{
    if (*count == *capacity) {
        *capacity = *capacity ? *capacity * 2 : 16;
        *list = vdc_xrealloc(*list, *capacity, sizeof **list);
    }
    (*list)[(*count)++] = (struct ptx_name_ref){vdc_xstrdup(name), insn, 0, line};
}

static void free_name_refs(struct ptx_name_ref *list, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        free(list[i].name);
    free(list);
}

static void close_scope(struct ptx_parser *p)
{
    p->scope_depth--;
    while (p->reg_decl_count > 0 && p->reg_decls[p->reg_decl_count - 1].scope_depth > p->scope_depth)
        free(p->reg_decls[--p->reg_decl_count].prefix);
}

/* A call sequence's `.param .b32 param0;`: its name only, so that the `call` after it is what gets refused. */
static bool parse_call_param(struct ptx_parser *p)
{
    struct ptx_param param;
    uint32_t offset = 0;
    uint32_t line = p->tok.line;
    if (!ptx_parse_param(p, &param, &offset))
        return false;
    add_name_ref(&p->call_params, &p->call_param_count, &p->call_param_capacity, param.name, 0, line);
    free(param.name);
    if (!ptx_tok_punct(p, ';'))
        return ptx_fail_expected(p, "';'");
    ptx_lex_next(p);
    return true;
}

static uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *name != '\0'; name++)
        h = (h ^ (uint8_t)*name) * 16777619u;
    return h;
}

/* The slot of label `name` in p->label_slots, or of the empty slot where it would go. */
static uint32_t label_slot(const struct ptx_parser *p, const char *name)
{
    uint32_t mask = p->label_slot_count - 1, at = name_hash(name) & mask;
    while (p->label_slots[at] != 0 && strcmp(p->labels[p->label_slots[at] - 1].name, name) != 0)
        at = (at + 1) & mask;
    return at;
}

/* The label named `name`'s index, or UINT32_MAX when the function has none of that name (yet). */
static uint32_t find_label(const struct ptx_parser *p, const char *name)
{
    if (p->label_slot_count == 0)
        return UINT32_MAX;
    uint32_t slot = p->label_slots[label_slot(p, name)];
    return slot == 0 ? UINT32_MAX : slot - 1;
}

/* Label `index` (just added to p->labels) into the slots, which double when half full. */
static void index_label(struct ptx_parser *p, uint32_t index)
{
    if (2 * (index + 1) > p->label_slot_count) {
        free(p->label_slots);
        p->label_slot_count = p->label_slot_count ? 2 * p->label_slot_count : 64;
        p->label_slots = vdc_xcalloc(p->label_slot_count, sizeof *p->label_slots);
        for (uint32_t i = 0; i < index; i++)
            p->label_slots[label_slot(p, p->labels[i].name)] = i + 1;
    }
    p->label_slots[label_slot(p, p->labels[index].name)] = index + 1;
}

static bool parse_statement(struct ptx_parser *p)
{
    char buf[128];
    uint32_t line = p->tok.line;
    if (ptx_tok_punct(p, '{')) {
        if (p->scope_depth >= 64)
            return ptx_fail(p, "blocks nested too deeply");
        p->scope_depth++;
        ptx_lex_next(p);
        return true;
    }
    if (ptx_tok_is(p, ".reg"))
        return ptx_parse_registers(p);
    if (ptx_tok_is(p, ".shared") || ptx_tok_is(p, ".local"))
        return ptx_parse_variable(p, false, p->fn_index);
    if (ptx_tok_is(p, ".param"))
        return parse_call_param(p);
    if (ptx_tok_is(p, ".pragma"))
        return skip_through_semicolon(p);
    if (ptx_tok_is(p, ".loc") || ptx_tok_is(p, ".file")) {
        skip_line(p);
        return true;
    }
    if (p->tok.kind == PTX_TOK_WORD && p->tok.text[0] == '.')
        return ptx_fail(p, "unknown directive '%s' in a function body", ptx_tok_copy(p, buf, sizeof buf));
    int32_t guard = -1;
    bool negate = false;
    if (ptx_tok_punct(p, '@')) {
        ptx_lex_next(p);
        if (ptx_tok_punct(p, '!')) {
            negate = true;
            ptx_lex_next(p);
        }
        if (p->tok.kind != PTX_TOK_WORD)
            return ptx_fail_expected(p, "a predicate register after '@'");
        ptx_tok_copy(p, buf, sizeof buf);
        guard = ptx_lookup_register(p, buf);
        if (guard < 0)
            return ptx_fail(p, "unknown register '%s'; declare it with .reg", buf);
        ptx_lex_next(p);
    } else if (p->tok.kind == PTX_TOK_WORD && next_is_punct(p, ':')) {
        ptx_tok_copy(p, buf, sizeof buf);
        uint32_t first = find_label(p, buf);
        if (first != UINT32_MAX)
            return ptx_fail(p, "duplicate label '%s' (first at line %u)", buf, p->labels[first].line);
        add_name_ref(&p->labels, &p->label_count, &p->label_capacity, buf, p->fn->insn_count, line);
        index_label(p, p->label_count - 1);
        ptx_lex_next(p);
        ptx_lex_next(p);
        return true;
    }
    if (p->tok.kind != PTX_TOK_WORD)
        return ptx_fail_expected(p, "an instruction");
    return ptx_parse_instruction(p, guard, negate, p->tok.line);
}

static bool resolve_labels(struct ptx_parser *p)
{
    for (uint32_t i = 0; i < p->fixup_count; i++) {
        const struct ptx_name_ref *f = &p->fixups[i];
        uint32_t j = find_label(p, f->name);
        if (j == UINT32_MAX)
            return ptx_fail_at(p, f->line, "label '%s' is not defined in this function", f->name);
        p->fn->insns[f->insn].op[f->operand].imm = p->labels[j].insn;
    }
    return true;
}

static void reset_function_state(struct ptx_parser *p)
{
    while (p->reg_decl_count > 0)
        free(p->reg_decls[--p->reg_decl_count].prefix);
    free_name_refs(p->labels, p->label_count);
    free(p->label_slots);
    p->label_slots = NULL;
    p->label_slot_count = 0;
    free_name_refs(p->fixups, p->fixup_count);
    free_name_refs(p->call_params, p->call_param_count);
    p->labels = p->fixups = p->call_params = NULL;
    p->label_count = p->label_capacity = p->fixup_count = p->fixup_capacity = 0;
    p->call_param_count = p->call_param_capacity = 0;
    p->scope_depth = 0;
    p->insn_capacity = p->reg_capacity = 0;
    p->fn = NULL;
    p->fn_index = -1;
}

static bool parse_body(struct ptx_parser *p)
{
    ptx_lex_next(p); /* '{' */
    p->scope_depth = 1;
    while (p->scope_depth > 0) {
        if (p->tok.kind == PTX_TOK_EOF)
            return ptx_fail(p, "function '%s' is not closed; add '}'", p->fn->name);
        if (ptx_tok_punct(p, '}')) {
            close_scope(p);
            ptx_lex_next(p);
            continue;
        }
        if (!parse_statement(p))
            return false;
    }
    return resolve_labels(p);
}

static void free_function(struct ptx_function *fn)
{
    free(fn->name);
    for (uint32_t i = 0; i < fn->param_count; i++)
        free(fn->params[i].name);
    free(fn->params);
    for (uint32_t i = 0; i < fn->reg_count; i++)
        free(fn->regs[i].name);
    free(fn->regs);
    free(fn->insns);
}

/* `.entry name (params) directives { body }` or `.func [(ret)] name [(params)] { body }`; a prototype ending in
 * ';' declares nothing that runs and is skipped. */
static bool parse_function(struct ptx_parser *p, bool is_entry)
{
    char name[256];
    struct ptx_function fn;
    memset(&fn, 0, sizeof fn);
    fn.is_entry = is_entry;
    struct ptx_param *ret = NULL;
    uint32_t ret_count = 0, ret_bytes = 0;
    bool ok = false;
    ptx_lex_next(p);
    if (!is_entry && ptx_tok_punct(p, '(') && !parse_param_list(p, &ret, &ret_count, &ret_bytes))
        goto out;
    if (p->tok.kind != PTX_TOK_WORD || p->tok.text[0] == '.' || p->tok.length >= sizeof name) {
        ptx_fail_expected(p, "a function name");
        goto out;
    }
    ptx_tok_copy(p, name, sizeof name);
    uint32_t line = p->tok.line;
    ptx_lex_next(p);
    if (ptx_tok_punct(p, '(') && !parse_param_list(p, &fn.params, &fn.param_count, &fn.param_bytes))
        goto out;
    /* A .func's return parameters follow its parameters in the buffer. */
    for (uint32_t i = 0; i < ret_count; i++) {
        struct ptx_param r = ret[i];
        uint32_t at = (fn.param_bytes + r.align - 1) / r.align * r.align;
        r.offset = at;
        fn.param_bytes = at + r.size;
        fn.params = vdc_xrealloc(fn.params, fn.param_count + 1, sizeof *fn.params);
        fn.params[fn.param_count++] = r;
        ret[i].name = NULL;
    }
    for (;;) {
        if (ptx_tok_is(p, ".maxntid")) {
            if (!parse_dims(p, fn.maxntid, 3))
                goto out;
        } else if (ptx_tok_is(p, ".reqntid")) {
            if (!parse_dims(p, fn.reqntid, 3))
                goto out;
        } else if (ptx_tok_is(p, ".minnctapersm")) {
            if (!parse_dims(p, &fn.minnctapersm, 1))
                goto out;
        } else if (ptx_tok_is(p, ".maxnreg")) {
            if (!parse_dims(p, &fn.maxnreg, 1))
                goto out;
        } else if (ptx_tok_is(p, ".noreturn")) {
            ptx_lex_next(p);
        } else if (ptx_tok_is(p, ".pragma")) {
            if (!skip_through_semicolon(p))
                goto out;
        } else {
            break;
        }
    }
    if (ptx_tok_punct(p, ';')) {
        ptx_lex_next(p);
        ok = true;
        goto out;
    }
    if (!ptx_tok_punct(p, '{')) {
        char buf[64];
        if (p->tok.kind == PTX_TOK_WORD && p->tok.text[0] == '.')
            ptx_fail(p, "unsupported function directive '%s'", ptx_tok_copy(p, buf, sizeof buf));
        else
            ptx_fail_expected(p, "'{' starting the function body");
        goto out;
    }
    for (uint32_t i = 0; i < p->module->function_count; i++) {
        if (strcmp(p->module->functions[i].name, name) == 0) {
            ptx_fail_at(p, line, "duplicate definition of function '%s'", name);
            goto out;
        }
    }
    struct ptx_module *m = p->module;
    if (m->function_count == p->function_capacity) {
        p->function_capacity = p->function_capacity ? p->function_capacity * 2 : 4;
        m->functions = vdc_xrealloc(m->functions, p->function_capacity, sizeof *m->functions);
    }
    fn.name = vdc_xstrdup(name);
    p->fn_index = (int32_t)m->function_count;
    m->functions[m->function_count++] = fn;
    memset(&fn, 0, sizeof fn);
    p->fn = &m->functions[p->fn_index];
    ok = parse_body(p);
    reset_function_state(p);
out:
    for (uint32_t i = 0; i < ret_count; i++)
        free(ret[i].name);
    free(ret);
    free_function(&fn);
    return ok;
}

static bool parse_module_statement(struct ptx_parser *p)
{
    char buf[64];
    if (ptx_tok_is(p, ".version"))
        return parse_version(p);
    if (ptx_tok_is(p, ".target"))
        return parse_target(p);
    if (ptx_tok_is(p, ".address_size"))
        return parse_address_size(p);
    if (ptx_tok_is(p, ".file") || ptx_tok_is(p, ".loc")) {
        skip_line(p);
        return true;
    }
    if (ptx_tok_is(p, ".section"))
        return skip_section(p);
    if (ptx_tok_is(p, ".pragma"))
        return skip_through_semicolon(p);
    bool is_extern = false;
    while (ptx_tok_is(p, ".visible") || ptx_tok_is(p, ".extern") || ptx_tok_is(p, ".weak")) {
        if (ptx_tok_is(p, ".extern"))
            is_extern = true;
        ptx_lex_next(p);
    }
    if (ptx_tok_is(p, ".entry") || ptx_tok_is(p, ".func"))
        return parse_function(p, ptx_tok_is(p, ".entry"));
    if (ptx_tok_is(p, ".global") || ptx_tok_is(p, ".const") || ptx_tok_is(p, ".shared") || ptx_tok_is(p, ".local"))
        return ptx_parse_variable(p, is_extern, -1);
    if (p->tok.kind == PTX_TOK_EOF)
        return ptx_fail_expected(p, "a declaration");
    if (p->tok.kind == PTX_TOK_WORD && p->tok.text[0] == '.')
        return ptx_fail(p, "unknown directive '%s'", ptx_tok_copy(p, buf, sizeof buf));
    return ptx_fail_expected(p, "a directive");
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return a > 1 ? (v + a - 1) / a * a : v;
}

/* Shared and local offsets: module-scope .shared first (the same offsets in every kernel), then each function's
 * own after them when it uses any module-scope one, else from 0. Dynamic shared memory starts at shared_bytes,
 * rounded up to 16 bytes (or the largest alignment an extern .shared declares). */
static void lay_out_memory(struct ptx_module *m)
{
    uint64_t module_shared = 0, dynamic_align = 16;
    for (uint32_t i = 0; i < m->var_count; i++) {
        struct ptx_var *v = &m->vars[i];
        if (v->function >= 0 || v->space != PTX_SPACE_SHARED)
            continue;
        if (v->is_extern) {
            v->offset = 0;
            dynamic_align = v->align > dynamic_align ? v->align : dynamic_align;
            continue;
        }
        v->offset = align_up(module_shared, v->align);
        module_shared = v->offset + v->size;
    }
    for (uint32_t f = 0; f < m->function_count; f++) {
        struct ptx_function *fn = &m->functions[f];
        bool uses_module_shared = false;
        for (uint32_t i = 0; i < fn->insn_count && !uses_module_shared; i++) {
            for (int k = 0; k < fn->insns[i].operand_count; k++) {
                int32_t s = fn->insns[i].op[k].symbol;
                if (s >= 0 && m->vars[s].function < 0 && m->vars[s].space == PTX_SPACE_SHARED &&
                    !m->vars[s].is_extern)
                    uses_module_shared = true;
            }
        }
        uint64_t shared = uses_module_shared ? module_shared : 0, local = 0;
        for (uint32_t i = 0; i < m->var_count; i++) {
            struct ptx_var *v = &m->vars[i];
            if (v->function != (int32_t)f)
                continue;
            if (v->space == PTX_SPACE_SHARED) {
                v->offset = align_up(shared, v->align);
                shared = v->offset + v->size;
            } else if (v->space == PTX_SPACE_LOCAL) {
                v->offset = align_up(local, v->align);
                local = v->offset + v->size;
            }
        }
        fn->shared_bytes = align_up(shared, dynamic_align);
        fn->local_bytes = local;
    }
}

struct ptx_module *ptx_module_parse(const char *text, uint64_t length, const char *source_name,
                                    struct vdc_error *err)
{
    struct ptx_parser p;
    memset(&p, 0, sizeof p);
    p.name = source_name != NULL ? source_name : "ptx";
    p.text = vdc_xmalloc(length + 1);
    memcpy(p.text, text, length);
    p.text[length] = '\0';
    p.length = length;
    p.line = 1;
    p.err = err;
    p.fn_index = -1;
    p.module = vdc_xcalloc(1, sizeof *p.module);
    p.module->source_name = vdc_xstrdup(p.name);
    bool ok = true;
    ptx_lex_next(&p);
    bool seen_version = false, seen_target = false;
    while (ok && p.tok.kind != PTX_TOK_EOF) {
        bool is_version = ptx_tok_is(&p, ".version"), is_target = ptx_tok_is(&p, ".target");
        if (!seen_version && !is_version) {
            ok = ptx_fail(&p, "the module must start with .version; is this nvcc's PTX output?");
            break;
        }
        if (seen_version && !seen_target && !is_target) {
            ok = ptx_fail(&p, ".target must follow .version; add .target sm_90");
            break;
        }
        seen_version |= is_version;
        seen_target |= is_target;
        ok = parse_module_statement(&p);
    }
    if (ok && !seen_version)
        ok = ptx_fail(&p, "empty module: no .version directive");
    if (ok && p.module->address_size == 0)
        p.module->address_size = 64;
    reset_function_state(&p);
    free(p.reg_decls);
    free(p.text);
    if (!ok) {
        ptx_module_free(p.module);
        return NULL;
    }
    lay_out_memory(p.module);
    for (uint32_t f = 0; f < p.module->function_count; f++)
        ptx_cfg_analyse(&p.module->functions[f]);
    return p.module;
}

void ptx_module_free(struct ptx_module *module)
{
    if (module == NULL)
        return;
    for (uint32_t i = 0; i < module->var_count; i++) {
        free(module->vars[i].name);
        free(module->vars[i].init);
    }
    free(module->vars);
    for (uint32_t i = 0; i < module->function_count; i++)
        free_function(&module->functions[i]);
    free(module->functions);
    free(module->source_name);
    free(module);
}

const struct ptx_function *ptx_module_find_kernel(const struct ptx_module *module, const char *name)
{
    if (module == NULL || name == NULL)
        return NULL;
    for (uint32_t i = 0; i < module->function_count; i++)
        if (module->functions[i].is_entry && strcmp(module->functions[i].name, name) == 0)
            return &module->functions[i];
    return NULL;
}
