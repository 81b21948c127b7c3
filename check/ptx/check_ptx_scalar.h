/* Shared helpers of the per-lane semantics tests: building an instruction and evaluating it for one lane. */
#ifndef VDC_CHECK_PTX_SCALAR_H
#define VDC_CHECK_PTX_SCALAR_H

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "../../src/ptx/ptx_scalar.h"

static inline struct ptx_insn ptx_test_insn(unsigned opcode, unsigned type)
{
    struct ptx_insn in;
    memset(&in, 0, sizeof in);
    in.opcode = (uint16_t)opcode;
    in.type = (uint8_t)type;
    in.guard = -1;
    return in;
}

/* One lane's result; fails the test when the form has no function. */
static inline uint64_t ptx_test_eval(const struct ptx_insn *in, uint64_t a, uint64_t b, uint64_t c)
{
    ptx_scalar_fn fn = ptx_scalar_select(in);
    const char *why = "";
    ck_assert_msg(fn != NULL, "opcode %u type %u has no function (%s)", in->opcode, in->type,
                  ptx_scalar_supported(in, &why) ? "supported?" : why);
    uint32_t carry = 0;
    return fn(in, a, b, c, &carry);
}

static inline uint32_t ptx_test_bits32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float ptx_test_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* xorshift64*: the tests' fixed-seed source of operands */
static inline uint64_t ptx_test_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

void ptx_scalar_add_fp_tests(Suite *suite);

#endif
