/* PTX's per-lane semantics, bit-exact: every instruction whose result depends only on its own lane's operands. */
#ifndef VDC_DEVICES_HIGPU_PTX_SCALAR_H
#define VDC_DEVICES_HIGPU_PTX_SCALAR_H

#include <stdint.h>

#include "ptx/ptx_ir.h"

/* Register slots hold 64 bits; a value of a narrower type sits in the low bits, zero-extended (results are
 * masked to their type's width). Floats are their IEEE bits. Predicates are 0 or 1.
 *
 * Operands a, b, c are op[1], op[2], op[3] of the instruction as read by the executor (a predicate source with
 * `!` already inverted). `carry` is the lane's carry flag for add.cc/addc and friends (in and out).
 * For setp the result has p in bit 0 and q (the complement, combined with c by the same bool op) in bit 1.
 * For selp and slct, c is the selector. bfi has four sources (a, b, pos, len): the executor passes pos in the low
 * 32 bits of c and len in its high 32 bits. lop3's truth table is read from the instruction (op[4].imm).
 * Functions ignore operand bits above their type's width. */
typedef uint64_t (*ptx_scalar_fn)(const struct ptx_insn *insn, uint64_t a, uint64_t b, uint64_t c,
                                  uint32_t *carry);

/* The function evaluating `insn` for one lane, or NULL when its opcode is not a per-lane operation (ld, st, mov,
 * bra, bar, atom, red, shfl, vote, ...). Chosen once at load, so it may be specialised for type and modifiers. */
ptx_scalar_fn ptx_scalar_select(const struct ptx_insn *insn);

/* An atomic's new memory value from the `old` one, for atom/red operation `mode` on `type` (b = the operand,
 * c = cas's new value). atom returns `old` to its destination; this computes what is stored. */
uint64_t ptx_atom_apply(enum ptx_mode mode, enum ptx_type type, uint64_t old, uint64_t b, uint64_t c);

/* Whether the parser should accept this combination of opcode, type and modifiers (so that unsupported forms are
 * refused at load with their name and line rather than misbehaving at run time). On false, `why` names the
 * part that is not supported ("rounding .rm on sqrt.f64" ...). */
bool ptx_scalar_supported(const struct ptx_insn *insn, const char **why);

#endif
