/* The PTX lexer: words (opcodes with their dotted modifiers, registers, labels, directives), numbers,
 * strings and punctuation; comments and line counting. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptx/ptx_parse_internal.h"

/* The characters of words as bit sets over the 128 ASCII codes, two words each, so that a test is a shift and a
 * mask: letters, '_', '$', '%' and '.' start a word, and digits may follow. */
#define LETTERS_AND_UNDERSCORE ((UINT64_C(0x3ffffff) << 1) | (UINT64_C(1) << 31) | (UINT64_C(0x3ffffff) << 33))
static const uint64_t word_start_set[2] = {(UINT64_C(1) << '$') | (UINT64_C(1) << '%') | (UINT64_C(1) << '.'),
                                           LETTERS_AND_UNDERSCORE};
static const uint64_t word_char_set[2] = {(UINT64_C(1) << '$') | (UINT64_C(1) << '%') | (UINT64_C(1) << '.') |
                                              (UINT64_C(0x3ff) << '0'),
                                          LETTERS_AND_UNDERSCORE};

static bool in_set(const uint64_t set[2], char c)
{
    unsigned char u = (unsigned char)c;
    return u < 128 && (set[u >> 6] >> (u & 63) & 1) != 0;
}

static bool is_word_start(char c)
{
    return in_set(word_start_set, c);
}

static bool is_word_char(char c)
{
    return in_set(word_char_set, c);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Skips blanks and comments, counting lines; an unterminated block comment runs to the end. */
static void skip_space(struct ptx_parser *p)
{
    while (p->pos < p->length) {
        char c = p->text[p->pos];
        if (c == '\n') {
            p->line++;
            p->pos++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            p->pos++;
        } else if (c == '/' && p->pos + 1 < p->length && p->text[p->pos + 1] == '/') {
            while (p->pos < p->length && p->text[p->pos] != '\n')
                p->pos++;
        } else if (c == '/' && p->pos + 1 < p->length && p->text[p->pos + 1] == '*') {
            p->pos += 2;
            while (p->pos < p->length && !(p->text[p->pos] == '*' && p->pos + 1 < p->length &&
                                           p->text[p->pos + 1] == '/')) {
                if (p->text[p->pos] == '\n')
                    p->line++;
                p->pos++;
            }
            p->pos = p->pos + 2 <= p->length ? p->pos + 2 : p->length;
        } else {
            break;
        }
    }
}

void ptx_lex_next(struct ptx_parser *p)
{
    skip_space(p);
    struct ptx_token *t = &p->tok;
    t->line = p->line;
    t->text = p->text + p->pos;
    t->length = 0;
    if (p->pos >= p->length) {
        t->kind = PTX_TOK_EOF;
        return;
    }
    size_t start = p->pos;
    char c = p->text[p->pos];
    if (is_digit(c)) {
        /* Numbers: digits, hex letters, 0f/0d/0x/0b prefixes, a decimal point, an exponent sign, U suffix. */
        t->kind = PTX_TOK_NUMBER;
        p->pos++;
        while (p->pos < p->length) {
            char d = p->text[p->pos];
            char prev = p->text[p->pos - 1];
            if (is_hex(d) || d == 'x' || d == 'X' || d == 'U' || d == 'u' || d == '.' ||
                ((d == '+' || d == '-') && (prev == 'e' || prev == 'E') && !(p->pos - start >= 2 &&
                                                                              (p->text[start + 1] == 'x' ||
                                                                               p->text[start + 1] == 'X' ||
                                                                               p->text[start + 1] == 'f' ||
                                                                               p->text[start + 1] == 'F' ||
                                                                               p->text[start + 1] == 'd' ||
                                                                               p->text[start + 1] == 'D'))) ||
                ((d == 'f' || d == 'F' || d == 'd' || d == 'D') && p->pos == start + 1))
                p->pos++;
            else
                break;
        }
    } else if (is_word_start(c)) {
        t->kind = PTX_TOK_WORD;
        /* "::" belongs to a word (ld.global.L2::evict_last); a single ':' ends it (a label definition). */
        const char *text = p->text;
        size_t pos = p->pos + 1, length = p->length;
        while (pos < length) {
            char d = text[pos];
            if (is_word_char(d))
                pos++;
            else if (d == ':' && pos + 1 < length && text[pos + 1] == ':')
                pos += 2;
            else
                break;
        }
        p->pos = pos;
    } else if (c == '"') {
        t->kind = PTX_TOK_STRING;
        p->pos++;
        while (p->pos < p->length && p->text[p->pos] != '"' && p->text[p->pos] != '\n')
            p->pos++;
        if (p->pos < p->length && p->text[p->pos] == '"')
            p->pos++;
    } else {
        t->kind = PTX_TOK_PUNCT;
        p->pos++;
    }
    t->length = (uint32_t)(p->pos - start);
}

bool ptx_tok_is(const struct ptx_parser *p, const char *word)
{
    size_t n = strlen(word);
    return p->tok.kind == PTX_TOK_WORD && p->tok.length == n && memcmp(p->tok.text, word, n) == 0;
}

bool ptx_tok_punct(const struct ptx_parser *p, char c)
{
    return p->tok.kind == PTX_TOK_PUNCT && p->tok.text[0] == c;
}

const char *ptx_tok_copy(const struct ptx_parser *p, char *buf, size_t size)
{
    if (p->tok.kind == PTX_TOK_EOF) {
        snprintf(buf, size, "end of file");
        return buf;
    }
    size_t n = p->tok.length < size - 1 ? p->tok.length : size - 1;
    /* Control bytes become '?', so a message stays one printable line. */
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p->tok.text[i];
        buf[i] = ch < 0x20 || ch >= 0x7f ? '?' : (char)ch;
    }
    buf[n] = '\0';
    return buf;
}

bool ptx_tok_is_float_literal(const struct ptx_parser *p)
{
    const struct ptx_token *t = &p->tok;
    if (t->kind != PTX_TOK_NUMBER)
        return false;
    if (t->length >= 2 && t->text[0] == '0' && (t->text[1] == 'f' || t->text[1] == 'F' || t->text[1] == 'd' ||
                                                 t->text[1] == 'D'))
        return true;
    if (t->length >= 2 && t->text[0] == '0' && (t->text[1] == 'x' || t->text[1] == 'X'))
        return false;
    for (uint32_t i = 0; i < t->length; i++)
        if (t->text[i] == '.' || t->text[i] == 'e' || t->text[i] == 'E')
            return true;
    return false;
}

bool ptx_tok_integer(const struct ptx_parser *p, uint64_t *value)
{
    const struct ptx_token *t = &p->tok;
    if (t->kind != PTX_TOK_NUMBER)
        return false;
    uint32_t n = t->length;
    if (n > 0 && (t->text[n - 1] == 'U' || t->text[n - 1] == 'u'))
        n--;
    uint32_t i = 0;
    unsigned base = 10;
    if (n >= 2 && t->text[0] == '0' && (t->text[1] == 'x' || t->text[1] == 'X')) {
        base = 16;
        i = 2;
    } else if (n >= 2 && t->text[0] == '0' && (t->text[1] == 'b' || t->text[1] == 'B')) {
        base = 2;
        i = 2;
    } else if (n >= 2 && t->text[0] == '0') {
        base = 8;
        i = 1;
    }
    if (i >= n)
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        char c = t->text[i];
        unsigned d;
        if (is_digit(c))
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        if (d >= base)
            return false;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    *value = v;
    return true;
}

bool ptx_tok_float(const struct ptx_parser *p, uint64_t *bits, bool *is_f32_bits, bool *hex_literal, double *decimal)
{
    const struct ptx_token *t = &p->tok;
    if (!ptx_tok_is_float_literal(p))
        return false;
    if (t->text[0] == '0' && t->length >= 2 && (t->text[1] == 'f' || t->text[1] == 'F' || t->text[1] == 'd' ||
                                                 t->text[1] == 'D')) {
        bool f32 = t->text[1] == 'f' || t->text[1] == 'F';
        uint32_t digits = f32 ? 8 : 16;
        if (t->length != 2 + digits)
            return false;
        uint64_t v = 0;
        for (uint32_t i = 2; i < t->length; i++) {
            char c = t->text[i];
            if (!is_hex(c))
                return false;
            v = v * 16 + (uint64_t)(is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        *bits = v;
        *is_f32_bits = f32;
        *hex_literal = true;
        return true;
    }
    char buf[64];
    if (t->length >= sizeof buf)
        return false;
    memcpy(buf, t->text, t->length);
    buf[t->length] = '\0';
    char *end;
    /* strtod rounds correctly (IEEE), so the value does not depend on the host. */
    double d = strtod(buf, &end);
    if (*end != '\0')
        return false;
    *decimal = d;
    *hex_literal = false;
    *is_f32_bits = false;
    return true;
}

static bool fail_line(struct ptx_parser *p, uint32_t line, const char *fmt, va_list ap)
{
    char what[600];
    vsnprintf(what, sizeof what, fmt, ap);
    return vdc_fail(p->err, "%s:%u: %s", p->name, line, what);
}

bool ptx_fail(struct ptx_parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_line(p, p->tok.line, fmt, ap);
    va_end(ap);
    return false;
}

bool ptx_fail_at(struct ptx_parser *p, uint32_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_line(p, line, fmt, ap);
    va_end(ap);
    return false;
}

bool ptx_fail_expected(struct ptx_parser *p, const char *what)
{
    char buf[64];
    if (p->tok.kind == PTX_TOK_EOF)
        return ptx_fail(p, "expected %s, found the end of the file", what);
    return ptx_fail(p, "expected %s, found '%s'", what, ptx_tok_copy(p, buf, sizeof buf));
}
