/* The PTX front end's shared parts: tokens, the parser's state, and the helpers its files share. */
#ifndef VDC_DEVICES_HIGPU_PTX_PARSE_INTERNAL_H
#define VDC_DEVICES_HIGPU_PTX_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ptx/ptx_ir.h"

enum ptx_token_kind {
    PTX_TOK_EOF = 0,
    PTX_TOK_WORD,    /* identifier, opcode with dotted modifiers, %register, $label, .directive */
    PTX_TOK_NUMBER,  /* an integer or float literal (0f/0d hex floats, decimal with '.' or exponent) */
    PTX_TOK_STRING,  /* "..." */
    PTX_TOK_PUNCT,   /* one character: , ; : [ ] { } ( ) + - | ! @ < > = */
};

struct ptx_token {
    enum ptx_token_kind kind;
    const char *text;    /* into the parser's copy of the source; not NUL-terminated */
    uint32_t length;
    uint32_t line;
};

/* A register declaration: `%r<89>` (a range of `count` slots from `first_slot`) or `%SP` (one, count 0). */
struct ptx_reg_decl {
    char *prefix;
    uint32_t count;
    int32_t first_slot;
    uint32_t scope_depth;
};

/* A name that the parser resolves in the current function: a label, or a call sequence's local .param. */
struct ptx_name_ref {
    char *name;
    uint32_t insn;       /* instruction index (labels: the definition; fixups: the using instruction) */
    uint32_t operand;
    uint32_t line;
};

struct ptx_parser {
    const char *name;
    char *text;          /* NUL-terminated copy of the source */
    size_t length;
    size_t pos;
    uint32_t line;
    struct ptx_token tok; /* the current token */
    struct vdc_error *err;
    struct ptx_module *module;
    /* The function being parsed. */
    struct ptx_function *fn;
    int32_t fn_index;
    uint32_t insn_capacity, reg_capacity;
    struct ptx_reg_decl *reg_decls;
    uint32_t reg_decl_count, reg_decl_capacity;
    uint32_t scope_depth;
    struct ptx_name_ref *labels, *fixups, *call_params;
    uint32_t label_count, label_capacity, fixup_count, fixup_capacity, call_param_count, call_param_capacity;
    /* The labels by name: open addressing on the name's hash, each slot a label's index + 1 (0: empty), for the
     * duplicate check and the branches' fixups, which compared every name with every label (nvcc's larger kernels
     * have thousands of each). */
    uint32_t *label_slots;
    uint32_t label_slot_count; /* a power of two, at least twice label_count; 0 before the first label */
    uint32_t var_capacity, function_capacity;
};

/* Whether table entry `name` is the `length` bytes at `text` (not NUL-terminated there): most entries differ in
 * their first byte, so a lookup through a table of names measures (never past length + 1) only those that do not. */
static inline bool ptx_name_is(const char *name, const char *text, size_t length)
{
    if (length == 0)
        return name[0] == '\0';
    return name[0] == text[0] && strnlen(name, length + 1) == length && memcmp(name, text, length) == 0;
}

/* Lexer (ptx_lex.c). */
void ptx_lex_next(struct ptx_parser *p);
bool ptx_tok_is(const struct ptx_parser *p, const char *word);   /* the current token is exactly `word` */
bool ptx_tok_punct(const struct ptx_parser *p, char c);
/* Copies the current token into `buf` (truncated, NUL-terminated) for lookups and messages. */
const char *ptx_tok_copy(const struct ptx_parser *p, char *buf, size_t size);
/* Parses an integer literal (decimal, 0x hex, 0 octal, 0b binary; U suffix allowed) of the current token. */
bool ptx_tok_integer(const struct ptx_parser *p, uint64_t *value);
/* Parses a float literal (0fXXXXXXXX, 0dXXXXXXXXXXXXXXXX, or decimal). `is_f32_bits` says which 0f/0d it was. */
bool ptx_tok_float(const struct ptx_parser *p, uint64_t *bits, bool *is_f32_bits, bool *hex_literal, double *decimal);
bool ptx_tok_is_float_literal(const struct ptx_parser *p);

/* Messages: "NAME:LINE: ..." at the current token's line (or `line`). Always return false. */
bool ptx_fail(struct ptx_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool ptx_fail_at(struct ptx_parser *p, uint32_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* "expected X, found 'tok'" */
bool ptx_fail_expected(struct ptx_parser *p, const char *what);

/* Types (ptx_parse_insn.c). */
enum ptx_type ptx_type_from_name(const char *name, size_t length);

/* Instructions (ptx_parse_insn.c): parses one instruction from the current token (the opcode) through ';'. */
bool ptx_parse_instruction(struct ptx_parser *p, int32_t guard, bool guard_negate, uint32_t line);

/* Operands (ptx_parse_operand.c). `value_type` types immediates; `allow_label` for branch targets. */
bool ptx_parse_operand(struct ptx_parser *p, struct ptx_insn *insn, struct ptx_operand *op,
                       enum ptx_type value_type, bool allow_label);
int32_t ptx_lookup_register(const struct ptx_parser *p, const char *name);

/* Control flow and liveness (ptx_cfg.c): fills reconverge of every bra and registers_per_thread. */
void ptx_cfg_analyse(struct ptx_function *fn);

#endif
