/* PTX per-lane semantics: hand-checked cases per opcode from the PTX ISA's definitions, carries, atomics. */
#include <stdio.h>

#include "check_ptx_scalar.h"
#include "../suites.h"

struct scalar_case {
    const char *name;
    uint16_t op;
    uint8_t type, src, mode, rnd, cmp, bool_op;
    uint32_t flags;
    uint64_t a, b, c, want;
};

static void run_cases(const struct scalar_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct scalar_case *k = &cases[i];
        struct ptx_insn in = ptx_test_insn(k->op, k->type);
        in.src_type = k->src;
        in.mode = k->mode;
        in.rounding = k->rnd;
        in.cmp = k->cmp;
        in.bool_op = k->bool_op;
        in.flags = k->flags;
        uint64_t got = ptx_test_eval(&in, k->a, k->b, k->c);
        ck_assert_msg(got == k->want, "%s: got 0x%llx, want 0x%llx", k->name, (unsigned long long)got,
                      (unsigned long long)k->want);
    }
}

#define N(x) (sizeof(x) / sizeof((x)[0]))
#define M32 0xffffffffull
#define NEG32(x) ((uint64_t)(uint32_t)(-(int32_t)(x)))

static const struct scalar_case int_cases[] = {
    {"add.s32 wraps", PTX_OP_ADD, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x7fffffff, 1, 0, 0x80000000},
    {"add.u32 ignores high garbage", PTX_OP_ADD, PTX_T_U32, 0, 0, 0, 0, 0, 0, 0xffffffff00000005ull, 7, 0, 12},
    {"add.u16 wraps", PTX_OP_ADD, PTX_T_U16, 0, 0, 0, 0, 0, 0, 0xffff, 2, 0, 1},
    {"add.sat.s32 high", PTX_OP_ADD, PTX_T_S32, 0, 0, 0, 0, 0, PTX_FLAG_SAT, 0x7fffffff, 1, 0, 0x7fffffff},
    {"add.sat.s32 low", PTX_OP_ADD, PTX_T_S32, 0, 0, 0, 0, 0, PTX_FLAG_SAT, 0x80000000, M32, 0, 0x80000000},
    {"sub.sat.s32", PTX_OP_SUB, PTX_T_S32, 0, 0, 0, 0, 0, PTX_FLAG_SAT, 0x80000000, 1, 0, 0x80000000},
    {"sub.u64", PTX_OP_SUB, PTX_T_U64, 0, 0, 0, 0, 0, 0, 0, 1, 0, ~0ull},
    {"mul.lo.s32", PTX_OP_MUL, PTX_T_S32, 0, PTX_MODE_LO, 0, 0, 0, 0, NEG32(3), 5, 0, NEG32(15)},
    {"mul.hi.s32", PTX_OP_MUL, PTX_T_S32, 0, PTX_MODE_HI, 0, 0, 0, 0, NEG32(1), 5, 0, M32},
    {"mul.hi.u32", PTX_OP_MUL, PTX_T_U32, 0, PTX_MODE_HI, 0, 0, 0, 0, M32, M32, 0, 0xfffffffe},
    {"mul.wide.s32", PTX_OP_MUL, PTX_T_S32, 0, PTX_MODE_WIDE, 0, 0, 0, 0, NEG32(2), 0x40000000, 0, 0xffffffff80000000ull},
    {"mul.wide.u32", PTX_OP_MUL, PTX_T_U32, 0, PTX_MODE_WIDE, 0, 0, 0, 0, M32, M32, 0, 0xfffffffe00000001ull},
    {"mul.wide.s16", PTX_OP_MUL, PTX_T_S16, 0, PTX_MODE_WIDE, 0, 0, 0, 0, 0xffff, 0x7fff, 0, 0xffff8001},
    {"mul.hi.u64", PTX_OP_MUL, PTX_T_U64, 0, PTX_MODE_HI, 0, 0, 0, 0, ~0ull, ~0ull, 0, 0xfffffffffffffffeull},
    {"mul.hi.s64", PTX_OP_MUL, PTX_T_S64, 0, PTX_MODE_HI, 0, 0, 0, 0, ~0ull, 3, 0, ~0ull},
    {"mul.lo.u16", PTX_OP_MUL, PTX_T_U16, 0, PTX_MODE_LO, 0, 0, 0, 0, 0x1234, 0x100, 0, 0x3400},
    {"mul.hi.u16", PTX_OP_MUL, PTX_T_U16, 0, PTX_MODE_HI, 0, 0, 0, 0, 0x1234, 0x100, 0, 0x12},
    {"mad.lo.s32", PTX_OP_MAD, PTX_T_S32, 0, PTX_MODE_LO, 0, 0, 0, 0, 7, 6, NEG32(2), 40},
    {"mad.wide.u32", PTX_OP_MAD, PTX_T_U32, 0, PTX_MODE_WIDE, 0, 0, 0, 0, M32, 2, 5, 0x200000003ull},
    {"mad.hi.u32", PTX_OP_MAD, PTX_T_U32, 0, PTX_MODE_HI, 0, 0, 0, 0, 0x80000000, 4, 1, 3},
    {"mad.hi.sat.s32", PTX_OP_MAD, PTX_T_S32, 0, PTX_MODE_HI, 0, 0, 0, PTX_FLAG_SAT, 0x7fffffff, 0x7fffffff,
     0x7fffffff, 0x7fffffff},
    {"mul24.lo.u32 drops bits 24+", PTX_OP_MUL24, PTX_T_U32, 0, PTX_MODE_LO, 0, 0, 0, 0, 0x01000003, 5, 0, 15},
    {"mul24.lo.s32 sign-extends bit 23", PTX_OP_MUL24, PTX_T_S32, 0, PTX_MODE_LO, 0, 0, 0, 0, 0x00ffffff, 2, 0,
     NEG32(2)},
    {"mul24.hi.u32", PTX_OP_MUL24, PTX_T_U32, 0, PTX_MODE_HI, 0, 0, 0, 0, 0xffffff, 0xffffff, 0, 0xfffffe00},
    {"mad24.lo.u32", PTX_OP_MAD24, PTX_T_U32, 0, PTX_MODE_LO, 0, 0, 0, 0, 3, 4, 5, 17},
    {"sad.u32", PTX_OP_SAD, PTX_T_U32, 0, 0, 0, 0, 0, 0, 3, 10, 100, 107},
    {"sad.s32", PTX_OP_SAD, PTX_T_S32, 0, 0, 0, 0, 0, 0, NEG32(5), 5, 1, 11},
    {"div.s32 INT_MIN/-1", PTX_OP_DIV, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x80000000, M32, 0, 0x80000000},
    {"div.s32 truncates", PTX_OP_DIV, PTX_T_S32, 0, 0, 0, 0, 0, 0, NEG32(7), 2, 0, NEG32(3)},
    {"div.u32 by 0", PTX_OP_DIV, PTX_T_U32, 0, 0, 0, 0, 0, 0, 5, 0, 0, M32},
    {"div.s32 positive by 0", PTX_OP_DIV, PTX_T_S32, 0, 0, 0, 0, 0, 0, 5, 0, 0, M32},
    {"div.s32 negative by 0", PTX_OP_DIV, PTX_T_S32, 0, 0, 0, 0, 0, 0, NEG32(5), 0, 0, 1},
    {"div.u64 by 0", PTX_OP_DIV, PTX_T_U64, 0, 0, 0, 0, 0, 0, 5, 0, 0, ~0ull},
    {"div.s64 INT_MIN/-1", PTX_OP_DIV, PTX_T_S64, 0, 0, 0, 0, 0, 0, 1ull << 63, ~0ull, 0, 1ull << 63},
    {"div.u16", PTX_OP_DIV, PTX_T_U16, 0, 0, 0, 0, 0, 0, 0xffff, 0x10, 0, 0xfff},
    {"rem.s32 sign of dividend", PTX_OP_REM, PTX_T_S32, 0, 0, 0, 0, 0, 0, NEG32(7), 2, 0, M32},
    {"rem.s32 INT_MIN%-1", PTX_OP_REM, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x80000000, M32, 0, 0},
    {"rem.u32 by 0", PTX_OP_REM, PTX_T_U32, 0, 0, 0, 0, 0, 0, 9, 0, 0, 9},
    {"rem.s64 by 0", PTX_OP_REM, PTX_T_S64, 0, 0, 0, 0, 0, 0, ~0ull, 0, 0, ~0ull},
    {"min.s32", PTX_OP_MIN, PTX_T_S32, 0, 0, 0, 0, 0, 0, M32, 1, 0, M32},
    {"min.u32", PTX_OP_MIN, PTX_T_U32, 0, 0, 0, 0, 0, 0, M32, 1, 0, 1},
    {"max.s64", PTX_OP_MAX, PTX_T_S64, 0, 0, 0, 0, 0, 0, ~0ull, 1, 0, 1},
    {"max.u16", PTX_OP_MAX, PTX_T_U16, 0, 0, 0, 0, 0, 0, 0xffff, 1, 0, 0xffff},
    {"min.s16", PTX_OP_MIN, PTX_T_S16, 0, 0, 0, 0, 0, 0, 0xffff, 1, 0, 0xffff},
    {"abs.s32 INT_MIN", PTX_OP_ABS, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x80000000, 0, 0, 0x80000000},
    {"abs.s16", PTX_OP_ABS, PTX_T_S16, 0, 0, 0, 0, 0, 0, 0xfffe, 0, 0, 2},
    {"neg.s32", PTX_OP_NEG, PTX_T_S32, 0, 0, 0, 0, 0, 0, 1, 0, 0, M32},
    {"neg.s64 INT_MIN", PTX_OP_NEG, PTX_T_S64, 0, 0, 0, 0, 0, 0, 1ull << 63, 0, 0, 1ull << 63},
};

START_TEST(integer_arithmetic) { run_cases(int_cases, N(int_cases)); }
END_TEST

static const struct scalar_case bit_cases[] = {
    {"and.b32", PTX_OP_AND, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0xf0f0, 0xff00, 0, 0xf000},
    {"or.pred", PTX_OP_OR, PTX_T_PRED, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},
    {"xor.b16", PTX_OP_XOR, PTX_T_B16, 0, 0, 0, 0, 0, 0, 0xffff, 0x00ff, 0, 0xff00},
    {"not.b32", PTX_OP_NOT, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0, 0, 0, M32},
    {"not.pred", PTX_OP_NOT, PTX_T_PRED, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0},
    {"cnot.b32 zero", PTX_OP_CNOT, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
    {"cnot.b32 nonzero", PTX_OP_CNOT, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0x100, 0, 0, 0},
    {"shl.b32 31", PTX_OP_SHL, PTX_T_B32, 0, 0, 0, 0, 0, 0, 3, 31, 0, 0x80000000},
    {"shl.b32 32", PTX_OP_SHL, PTX_T_B32, 0, 0, 0, 0, 0, 0, 3, 32, 0, 0},
    {"shl.b32 huge", PTX_OP_SHL, PTX_T_B32, 0, 0, 0, 0, 0, 0, 3, 0xffffffff, 0, 0},
    {"shl.b64 63", PTX_OP_SHL, PTX_T_B64, 0, 0, 0, 0, 0, 0, 1, 63, 0, 1ull << 63},
    {"shl.b16 16", PTX_OP_SHL, PTX_T_B16, 0, 0, 0, 0, 0, 0, 1, 16, 0, 0},
    {"shl.b16 15", PTX_OP_SHL, PTX_T_B16, 0, 0, 0, 0, 0, 0, 3, 15, 0, 0x8000},
    {"shr.u32 40", PTX_OP_SHR, PTX_T_U32, 0, 0, 0, 0, 0, 0, M32, 40, 0, 0},
    {"shr.s32 40", PTX_OP_SHR, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x80000000, 40, 0, M32},
    {"shr.s32 4", PTX_OP_SHR, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x80000000, 4, 0, 0xf8000000},
    {"shr.b32 is logical", PTX_OP_SHR, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0x80000000, 4, 0, 0x08000000},
    {"shr.s64 64", PTX_OP_SHR, PTX_T_S64, 0, 0, 0, 0, 0, 0, 1ull << 63, 64, 0, ~0ull},
    {"shr.u64 64", PTX_OP_SHR, PTX_T_U64, 0, 0, 0, 0, 0, 0, ~0ull, 64, 0, 0},
    {"shr.s16 20", PTX_OP_SHR, PTX_T_S16, 0, 0, 0, 0, 0, 0, 0x8000, 20, 0, 0xffff},
    {"shf.l.wrap 4", PTX_OP_SHF, PTX_T_B32, 0, PTX_MODE_SHF_L_WRAP, 0, 0, 0, 0, 0xa0000000, 0x1, 4, 0x1a},
    {"shf.l.wrap 36 = 4", PTX_OP_SHF, PTX_T_B32, 0, PTX_MODE_SHF_L_WRAP, 0, 0, 0, 0, 0xa0000000, 0x1, 36, 0x1a},
    {"shf.l.clamp 36 = 32", PTX_OP_SHF, PTX_T_B32, 0, PTX_MODE_SHF_L_CLAMP, 0, 0, 0, 0, 0xa0000000, 0x1, 36,
     0xa0000000},
    {"shf.r.wrap 4", PTX_OP_SHF, PTX_T_B32, 0, PTX_MODE_SHF_R_WRAP, 0, 0, 0, 0, 0x12345678, 0xabcdef01, 4,
     0x11234567},
    {"shf.r.clamp 40 = 32", PTX_OP_SHF, PTX_T_B32, 0, PTX_MODE_SHF_R_CLAMP, 0, 0, 0, 0, 0x12345678, 0xabcdef01, 40,
     0xabcdef01},
    {"shf.r.wrap 0", PTX_OP_SHF, PTX_T_B32, 0, PTX_MODE_SHF_R_WRAP, 0, 0, 0, 0, 0x12345678, 0xabcdef01, 32,
     0x12345678},
    {"popc.b32", PTX_OP_POPC, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0xf0f0f0f1, 0, 0, 17},
    {"popc.b64", PTX_OP_POPC, PTX_T_B64, 0, 0, 0, 0, 0, 0, ~0ull, 0, 0, 64},
    {"clz.b32 0", PTX_OP_CLZ, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32},
    {"clz.b32", PTX_OP_CLZ, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0x00010000, 0, 0, 15},
    {"clz.b64", PTX_OP_CLZ, PTX_T_B64, 0, 0, 0, 0, 0, 0, 1, 0, 0, 63},
    {"brev.b32", PTX_OP_BREV, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0x00000001, 0, 0, 0x80000000},
    {"brev.b64", PTX_OP_BREV, PTX_T_B64, 0, 0, 0, 0, 0, 0, 0x3, 0, 0, 0xc000000000000000ull},
    {"bfe.u32", PTX_OP_BFE, PTX_T_U32, 0, 0, 0, 0, 0, 0, 0xabcd1234, 8, 8, 0x12},
    {"bfe.s32 sign", PTX_OP_BFE, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x0000f000, 12, 4, M32},
    {"bfe.s32 len 0", PTX_OP_BFE, PTX_T_S32, 0, 0, 0, 0, 0, 0, M32, 4, 0, 0},
    {"bfe.u32 pos >= 32", PTX_OP_BFE, PTX_T_U32, 0, 0, 0, 0, 0, 0, M32, 40, 8, 0},
    {"bfe.s32 pos >= 32 takes msb", PTX_OP_BFE, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x80000000, 40, 8, M32},
    {"bfe.s32 past msb", PTX_OP_BFE, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0x80000000, 28, 8, 0xfffffff8},
    {"bfe.u32 past msb", PTX_OP_BFE, PTX_T_U32, 0, 0, 0, 0, 0, 0, 0x80000000, 28, 8, 0x8},
    {"bfe.u32 pos mod 256", PTX_OP_BFE, PTX_T_U32, 0, 0, 0, 0, 0, 0, 0xabcd1234, 0x108, 0x108, 0x12},
    {"bfe.s64", PTX_OP_BFE, PTX_T_S64, 0, 0, 0, 0, 0, 0, 0x8000000000ull, 36, 4, 0xfffffffffffffff8ull},
    {"bfe.u32 len 32", PTX_OP_BFE, PTX_T_U32, 0, 0, 0, 0, 0, 0, 0xabcd1234, 0, 32, 0xabcd1234},
    {"bfi.b32", PTX_OP_BFI, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0xff, 0x12345678, 8 | (4ull << 32), 0x12345f78},
    {"bfi.b32 clipped", PTX_OP_BFI, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0xff, 0, 28 | (8ull << 32), 0xf0000000},
    {"bfi.b32 len 0", PTX_OP_BFI, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0xff, 0x1234, 4, 0x1234},
    {"bfi.b32 pos >= 32", PTX_OP_BFI, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0xff, 0x1234, 32 | (8ull << 32), 0x1234},
    {"bfi.b64", PTX_OP_BFI, PTX_T_B64, 0, 0, 0, 0, 0, 0, 1, 0, 63 | (1ull << 32), 1ull << 63},
    {"prmt default", PTX_OP_PRMT, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0x33221100, 0x77665544, 0x7531, 0x77553311},
    {"prmt default sign", PTX_OP_PRMT, PTX_T_B32, 0, 0, 0, 0, 0, 0, 0x00008000, 0x7f000000, 0x8f9f, 0x0000ff00},
    {"prmt f4e 1", PTX_OP_PRMT, PTX_T_B32, 0, PTX_MODE_PRMT_F4E, 0, 0, 0, 0, 0x33221100, 0x77665544, 1, 0x44332211},
    {"prmt f4e 3", PTX_OP_PRMT, PTX_T_B32, 0, PTX_MODE_PRMT_F4E, 0, 0, 0, 0, 0x33221100, 0x77665544, 3, 0x66554433},
    {"prmt b4e 0", PTX_OP_PRMT, PTX_T_B32, 0, PTX_MODE_PRMT_B4E, 0, 0, 0, 0, 0x33221100, 0x77665544, 0, 0x55667700},
    {"prmt b4e 2", PTX_OP_PRMT, PTX_T_B32, 0, PTX_MODE_PRMT_B4E, 0, 0, 0, 0, 0x33221100, 0x77665544, 2, 0x77001122},
    {"prmt rc8 2", PTX_OP_PRMT, PTX_T_B32, 0, PTX_MODE_PRMT_RC8, 0, 0, 0, 0, 0x33221100, 0x77665544, 2, 0x22222222},
    {"prmt ecl 1", PTX_OP_PRMT, PTX_T_B32, 0, PTX_MODE_PRMT_ECL, 0, 0, 0, 0, 0x33221100, 0x77665544, 1, 0x33221111},
    {"prmt ecr 2", PTX_OP_PRMT, PTX_T_B32, 0, PTX_MODE_PRMT_ECR, 0, 0, 0, 0, 0x33221100, 0x77665544, 2, 0x22221100},
    {"prmt rc16 1", PTX_OP_PRMT, PTX_T_B32, 0, PTX_MODE_PRMT_RC16, 0, 0, 0, 0, 0x33221100, 0x77665544, 1,
     0x33223322},
    {"bfind.u32", PTX_OP_BFIND, PTX_T_U32, 0, 0, 0, 0, 0, 0, 0x00010000, 0, 0, 16},
    {"bfind.u32 0", PTX_OP_BFIND, PTX_T_U32, 0, 0, 0, 0, 0, 0, 0, 0, 0, M32},
    {"bfind.s32 -1", PTX_OP_BFIND, PTX_T_S32, 0, 0, 0, 0, 0, 0, M32, 0, 0, M32},
    {"bfind.s32 negative", PTX_OP_BFIND, PTX_T_S32, 0, 0, 0, 0, 0, 0, 0xffff0000, 0, 0, 15},
    {"bfind.shiftamt.u32", PTX_OP_BFIND, PTX_T_U32, 0, 0, 0, 0, 0, PTX_FLAG_SHIFTAMT, 0x00010000, 0, 0, 15},
    {"bfind.u64", PTX_OP_BFIND, PTX_T_U64, 0, 0, 0, 0, 0, 0, 1ull << 40, 0, 0, 40},
};

START_TEST(bit_instructions) { run_cases(bit_cases, N(bit_cases)); }
END_TEST

START_TEST(lop3_tables)
{
    struct ptx_insn in = ptx_test_insn(PTX_OP_LOP3, PTX_T_B32);
    in.operand_count = 5;
    in.op[4].kind = PTX_OPND_IMM;
    uint32_t a = 0xf0f0f0f0, b = 0xcccccccc, c = 0xaaaaaaaa;
    static const uint8_t luts[] = {0x00, 0xff, 0xf0, 0xcc, 0xaa, 0x96, 0xe8, 0x80, 0xfe, 0x5a};
    for (size_t i = 0; i < sizeof luts; i++) {
        in.op[4].imm = luts[i];
        /* with these operands, every bit position k of the inputs is the truth-table row k mod 8 */
        uint32_t want = 0;
        for (int bit = 0; bit < 32; bit++) {
            unsigned row = ((a >> bit & 1) << 2) | ((b >> bit & 1) << 1) | (c >> bit & 1);
            want |= (uint32_t)(luts[i] >> row & 1) << bit;
        }
        ck_assert_uint_eq(ptx_test_eval(&in, a, b, c), want);
        ck_assert_uint_eq(want & 0xff, luts[i] == 0 ? 0 : want & 0xff); /* sanity */
    }
    in.op[4].imm = 0x96; /* xor of the three */
    ck_assert_uint_eq(ptx_test_eval(&in, 0x1, 0x2, 0x4), 0x7);
    in.op[4].imm = 0xe8; /* majority */
    ck_assert_uint_eq(ptx_test_eval(&in, 0x3, 0x5, 0x6), 0x7);
}
END_TEST

/* setp results: p in bit 0, q in bit 1. */
#define PT 1
#define PF 2
#define F_NAN 0x7fc00000
static const struct scalar_case cmp_cases[] = {
    {"setp.lt.s32", PTX_OP_SETP, PTX_T_S32, 0, 0, 0, PTX_CMP_LT, 0, 0, M32, 0, 0, PT},
    {"setp.lt.u32", PTX_OP_SETP, PTX_T_U32, 0, 0, 0, PTX_CMP_LT, 0, 0, M32, 0, 0, PF},
    {"setp.lo.u32", PTX_OP_SETP, PTX_T_U32, 0, 0, 0, PTX_CMP_LO, 0, 0, 0, M32, 0, PT},
    {"setp.hs.u64", PTX_OP_SETP, PTX_T_U64, 0, 0, 0, PTX_CMP_HS, 0, 0, ~0ull, 1, 0, PT},
    {"setp.ge.s64", PTX_OP_SETP, PTX_T_S64, 0, 0, 0, PTX_CMP_GE, 0, 0, ~0ull, 1, 0, PF},
    {"setp.ne.b16", PTX_OP_SETP, PTX_T_B16, 0, 0, 0, PTX_CMP_NE, 0, 0, 0x10000, 0, 0, PF},
    {"setp.gt.s16", PTX_OP_SETP, PTX_T_S16, 0, 0, 0, PTX_CMP_GT, 0, 0, 0x8000, 1, 0, PF},
    {"setp.eq.f32 0 -0", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_EQ, 0, 0, 0, 0x80000000, 0, PT},
    {"setp.eq.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_EQ, 0, 0, F_NAN, F_NAN, 0, PF},
    {"setp.ne.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_NE, 0, 0, F_NAN, 0, 0, PF},
    {"setp.neu.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_NEU, 0, 0, F_NAN, 0, 0, PT},
    {"setp.equ.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_EQU, 0, 0, 0, F_NAN, 0, PT},
    {"setp.ltu.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_LTU, 0, 0, F_NAN, 0, 0, PT},
    {"setp.ltu.f32 ordered", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_LTU, 0, 0, 0x40000000, 0x3f800000, 0, PF},
    {"setp.leu.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_LEU, 0, 0, F_NAN, 0, 0, PT},
    {"setp.gtu.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_GTU, 0, 0, F_NAN, 0, 0, PT},
    {"setp.geu.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_GEU, 0, 0, F_NAN, 0, 0, PT},
    {"setp.gt.f32 NaN", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_GT, 0, 0, F_NAN, 0, 0, PF},
    {"setp.le.f32", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_LE, 0, 0, 0xbf800000, 0x3f800000, 0, PT},
    {"setp.num.f32", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_NUM, 0, 0, 0, 0x7f800000, 0, PT},
    {"setp.nan.f32", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_NAN, 0, 0, 0, F_NAN, 0, PT},
    {"setp.lt.f64 NaN", PTX_OP_SETP, PTX_T_F64, 0, 0, 0, PTX_CMP_LT, 0, 0, 0x7ff8000000000000ull, 0, 0, PF},
    {"setp.ltu.f64 NaN", PTX_OP_SETP, PTX_T_F64, 0, 0, 0, PTX_CMP_LTU, 0, 0, 0x7ff8000000000000ull, 0, 0, PT},
    {"setp.gt.ftz.f32 subnormal", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_GT, 0, PTX_FLAG_FTZ, 1, 0, 0, PF},
    {"setp.gt.f32 subnormal", PTX_OP_SETP, PTX_T_F32, 0, 0, 0, PTX_CMP_GT, 0, 0, 1, 0, 0, PT},
    {"setp.lt.and true", PTX_OP_SETP, PTX_T_S32, 0, 0, 0, PTX_CMP_LT, PTX_BOOL_AND, 0, 1, 2, 1, PT},
    {"setp.lt.and c false", PTX_OP_SETP, PTX_T_S32, 0, 0, 0, PTX_CMP_LT, PTX_BOOL_AND, 0, 1, 2, 0, 0},
    {"setp.lt.or", PTX_OP_SETP, PTX_T_S32, 0, 0, 0, PTX_CMP_LT, PTX_BOOL_OR, 0, 3, 2, 1, PT | PF},
    {"setp.lt.xor", PTX_OP_SETP, PTX_T_S32, 0, 0, 0, PTX_CMP_LT, PTX_BOOL_XOR, 0, 1, 2, 1, PF},
    {"setp.lt.xor c false", PTX_OP_SETP, PTX_T_S32, 0, 0, 0, PTX_CMP_LT, PTX_BOOL_XOR, 0, 1, 2, 0, PT},
    {"set.lt.u32.s32", PTX_OP_SET, PTX_T_U32, PTX_T_S32, 0, 0, PTX_CMP_LT, 0, 0, M32, 0, 0, M32},
    {"set.gt.f32.s32 false", PTX_OP_SET, PTX_T_F32, PTX_T_S32, 0, 0, PTX_CMP_GT, 0, 0, M32, 0, 0, 0},
    {"set.ne.f32.f32", PTX_OP_SET, PTX_T_F32, PTX_T_F32, 0, 0, PTX_CMP_NE, 0, 0, 0x3f800000, 0, 0, 0x3f800000},
    {"set.eq.and.u32.u32", PTX_OP_SET, PTX_T_U32, PTX_T_U32, 0, 0, PTX_CMP_EQ, PTX_BOOL_AND, 0, 4, 4, 0, 0},
    {"selp.b32 true", PTX_OP_SELP, PTX_T_B32, 0, 0, 0, 0, 0, 0, 11, 22, 1, 11},
    {"selp.b32 false", PTX_OP_SELP, PTX_T_B32, 0, 0, 0, 0, 0, 0, 11, 22, 0, 22},
    {"selp.f64", PTX_OP_SELP, PTX_T_F64, 0, 0, 0, 0, 0, 0, 1ull << 62, 3, 1, 1ull << 62},
    {"slct.s32 0", PTX_OP_SLCT, PTX_T_B32, PTX_T_S32, 0, 0, 0, 0, 0, 11, 22, 0, 11},
    {"slct.s32 negative", PTX_OP_SLCT, PTX_T_B32, PTX_T_S32, 0, 0, 0, 0, 0, 11, 22, M32, 22},
    {"slct.f32 -0", PTX_OP_SLCT, PTX_T_B32, PTX_T_F32, 0, 0, 0, 0, 0, 11, 22, 0x80000000, 11},
    {"slct.f32 NaN", PTX_OP_SLCT, PTX_T_B32, PTX_T_F32, 0, 0, 0, 0, 0, 11, 22, F_NAN, 22},
    {"slct.f32 -subnormal", PTX_OP_SLCT, PTX_T_B32, PTX_T_F32, 0, 0, 0, 0, 0, 11, 22, 0x80000001, 22},
    {"slct.ftz.f32 -subnormal", PTX_OP_SLCT, PTX_T_B32, PTX_T_F32, 0, 0, 0, 0, PTX_FLAG_FTZ, 11, 22, 0x80000001,
     11},
};

START_TEST(comparison_and_selection) { run_cases(cmp_cases, N(cmp_cases)); }
END_TEST

/* Carries: a 96-bit sum and difference through add.cc/addc.cc/addc and sub.cc/subc.cc/subc, checked against
 * __int128 arithmetic; mad.lo.cc/madc.hi for a 64x32 product. */
static uint32_t lane_carry;
static uint32_t step(unsigned op, unsigned type, uint32_t flags, unsigned mode, uint64_t a, uint64_t b, uint64_t c)
{
    struct ptx_insn in = ptx_test_insn(op, type);
    in.flags = flags;
    in.mode = (uint8_t)mode;
    ptx_scalar_fn fn = ptx_scalar_select(&in);
    ck_assert_ptr_nonnull(fn);
    return (uint32_t)fn(&in, a, b, c, &lane_carry);
}

START_TEST(carry_chains)
{
    uint64_t seed = 0x1234567;
    for (int i = 0; i < 2000; i++) {
        unsigned __int128 x = (unsigned __int128)ptx_test_rand(&seed) << 32 | (uint32_t)ptx_test_rand(&seed);
        unsigned __int128 y = (unsigned __int128)ptx_test_rand(&seed) << 32 | (uint32_t)ptx_test_rand(&seed);
        if (i % 7 == 0)
            y = ~x & (((unsigned __int128)1 << 96) - 1); /* all carries propagate */
        uint32_t x0 = (uint32_t)x, x1 = (uint32_t)(x >> 32), x2 = (uint32_t)(x >> 64);
        uint32_t y0 = (uint32_t)y, y1 = (uint32_t)(y >> 32), y2 = (uint32_t)(y >> 64);
        lane_carry = 0;
        uint32_t s0 = step(PTX_OP_ADD, PTX_T_U32, PTX_FLAG_CC, 0, x0, y0, 0);
        uint32_t s1 = step(PTX_OP_ADDC, PTX_T_U32, PTX_FLAG_CC, 0, x1, y1, 0);
        uint32_t s2 = step(PTX_OP_ADDC, PTX_T_U32, PTX_FLAG_CC, 0, x2, y2, 0);
        unsigned __int128 sum = x + y;
        ck_assert_uint_eq(s0, (uint32_t)sum);
        ck_assert_uint_eq(s1, (uint32_t)(sum >> 32));
        ck_assert_uint_eq(s2, (uint32_t)(sum >> 64));
        ck_assert_uint_eq(lane_carry, (uint32_t)(sum >> 96) & 1);
        lane_carry = 0;
        uint32_t d0 = step(PTX_OP_SUB, PTX_T_U32, PTX_FLAG_CC, 0, x0, y0, 0);
        uint32_t d1 = step(PTX_OP_SUBC, PTX_T_U32, PTX_FLAG_CC, 0, x1, y1, 0);
        uint32_t d2 = step(PTX_OP_SUBC, PTX_T_U32, PTX_FLAG_CC, 0, x2, y2, 0);
        unsigned __int128 diff = x - y;
        ck_assert_uint_eq(d0, (uint32_t)diff);
        ck_assert_uint_eq(d1, (uint32_t)(diff >> 32));
        ck_assert_uint_eq(d2, (uint32_t)(diff >> 64));
        ck_assert_uint_eq(lane_carry, x < y); /* the borrow out */
        /* (x1:x0) * y0 with mad.lo.cc / madc.hi: lo = x0*y0.lo, mid = x0*y0.hi + x1*y0.lo, hi = x1*y0.hi + c */
        lane_carry = 0;
        uint64_t p = (uint64_t)x0 * y0;
        uint32_t lo = (uint32_t)p;
        uint32_t mid = step(PTX_OP_MAD, PTX_T_U32, PTX_FLAG_CC, PTX_MODE_LO, x1, y0, (uint32_t)(p >> 32));
        uint32_t hi = step(PTX_OP_MADC, PTX_T_U32, 0, PTX_MODE_HI, x1, y0, 0);
        unsigned __int128 prod = (unsigned __int128)(((uint64_t)x1 << 32) | x0) * y0;
        ck_assert_uint_eq(lo, (uint32_t)prod);
        ck_assert_uint_eq(mid, (uint32_t)(prod >> 32));
        ck_assert_uint_eq(hi, (uint32_t)(prod >> 64));
    }
    /* 64-bit carry forms */
    lane_carry = 0;
    struct ptx_insn in = ptx_test_insn(PTX_OP_ADD, PTX_T_U64);
    in.flags = PTX_FLAG_CC;
    ck_assert_uint_eq(ptx_scalar_select(&in)(&in, ~0ull, 1, 0, &lane_carry), 0);
    ck_assert_uint_eq(lane_carry, 1);
    in = ptx_test_insn(PTX_OP_ADDC, PTX_T_U64);
    ck_assert_uint_eq(ptx_scalar_select(&in)(&in, ~0ull, 0, 0, &lane_carry), 0);
    ck_assert_uint_eq(lane_carry, 1); /* addc without .cc leaves the flag */
    in.flags = PTX_FLAG_CC;
    ck_assert_uint_eq(ptx_scalar_select(&in)(&in, ~0ull, ~0ull, 0, &lane_carry), ~0ull);
    ck_assert_uint_eq(lane_carry, 1);
}
END_TEST

struct atom_case {
    const char *name;
    enum ptx_mode mode;
    enum ptx_type type;
    uint64_t old, b, c, want;
};

static const struct atom_case atom_cases[] = {
    {"add.u32 wraps", PTX_MODE_ATOM_ADD, PTX_T_U32, M32, 2, 0, 1},
    {"add.u64", PTX_MODE_ATOM_ADD, PTX_T_U64, ~0ull, 2, 0, 1},
    {"add.f32", PTX_MODE_ATOM_ADD, PTX_T_F32, 0x3f800000, 0x3f800000, 0, 0x40000000},
    {"add.f32 keeps subnormals", PTX_MODE_ATOM_ADD, PTX_T_F32, 1, 1, 0, 2},
    {"add.f32 NaN canonical", PTX_MODE_ATOM_ADD, PTX_T_F32, 0x7f800000, 0xff800000, 0, 0x7fffffff},
    {"add.f64", PTX_MODE_ATOM_ADD, PTX_T_F64, 0x3ff0000000000000ull, 0x3ff0000000000000ull, 0, 0x4000000000000000ull},
    {"min.s32", PTX_MODE_ATOM_MIN, PTX_T_S32, 5, M32, 0, M32},
    {"min.u32", PTX_MODE_ATOM_MIN, PTX_T_U32, 5, M32, 0, 5},
    {"max.s64", PTX_MODE_ATOM_MAX, PTX_T_S64, ~0ull, 3, 0, 3},
    {"max.u64", PTX_MODE_ATOM_MAX, PTX_T_U64, ~0ull, 3, 0, ~0ull},
    {"and.b32", PTX_MODE_ATOM_AND, PTX_T_B32, 0xff, 0x0f, 0, 0x0f},
    {"or.b64", PTX_MODE_ATOM_OR, PTX_T_B64, 1ull << 40, 1, 0, (1ull << 40) | 1},
    {"xor.b32", PTX_MODE_ATOM_XOR, PTX_T_B32, 0xff, 0x0f, 0, 0xf0},
    {"exch.b32", PTX_MODE_ATOM_EXCH, PTX_T_B32, 7, 9, 0, 9},
    {"cas.b32 equal", PTX_MODE_ATOM_CAS, PTX_T_B32, 7, 7, 9, 9},
    {"cas.b32 differs", PTX_MODE_ATOM_CAS, PTX_T_B32, 7, 8, 9, 7},
    {"cas.b64", PTX_MODE_ATOM_CAS, PTX_T_B64, 1ull << 40, 1ull << 40, 3, 3},
    {"inc below", PTX_MODE_ATOM_INC, PTX_T_U32, 4, 5, 0, 5},
    {"inc at limit", PTX_MODE_ATOM_INC, PTX_T_U32, 5, 5, 0, 0},
    {"inc above", PTX_MODE_ATOM_INC, PTX_T_U32, 9, 5, 0, 0},
    {"dec from 0", PTX_MODE_ATOM_DEC, PTX_T_U32, 0, 5, 0, 5},
    {"dec above", PTX_MODE_ATOM_DEC, PTX_T_U32, 9, 5, 0, 5},
    {"dec", PTX_MODE_ATOM_DEC, PTX_T_U32, 3, 5, 0, 2},
};

START_TEST(atomics)
{
    for (size_t i = 0; i < N(atom_cases); i++) {
        const struct atom_case *k = &atom_cases[i];
        uint64_t got = ptx_atom_apply(k->mode, k->type, k->old, k->b, k->c);
        ck_assert_msg(got == k->want, "atom %s: got 0x%llx want 0x%llx", k->name, (unsigned long long)got,
                      (unsigned long long)k->want);
    }
}
END_TEST

START_TEST(supported_forms)
{
    const char *why = NULL;
    struct ptx_insn in = ptx_test_insn(PTX_OP_DIV, PTX_T_F32);
    ck_assert(!ptx_scalar_supported(&in, &why));
    ck_assert_ptr_nonnull(why);
    in.rounding = PTX_RND_RN;
    ck_assert(ptx_scalar_supported(&in, &why));
    in = ptx_test_insn(PTX_OP_CVT, PTX_T_S32);
    in.src_type = PTX_T_F32;
    ck_assert(!ptx_scalar_supported(&in, &why));
    ck_assert(strstr(why, "rni") != NULL);
    in.rounding = PTX_RND_RZI;
    ck_assert(ptx_scalar_supported(&in, &why));
    in = ptx_test_insn(PTX_OP_FMA, PTX_T_F64);
    ck_assert(!ptx_scalar_supported(&in, &why));
    in = ptx_test_insn(PTX_OP_ADD, PTX_T_F16);
    ck_assert(ptx_scalar_supported(&in, &why));
    in = ptx_test_insn(PTX_OP_DIV, PTX_T_F16); /* PTX has no half-precision div */
    ck_assert(!ptx_scalar_supported(&in, &why));
    in = ptx_test_insn(PTX_OP_MUL, PTX_T_S32);
    ck_assert(!ptx_scalar_supported(&in, &why)); /* integer mul needs .lo/.hi/.wide */
    in = ptx_test_insn(PTX_OP_LD, PTX_T_U32);
    ck_assert(ptx_scalar_supported(&in, &why));
    ck_assert_ptr_null(ptx_scalar_select(&in));
    in = ptx_test_insn(PTX_OP_ATOM, PTX_T_F32);
    in.mode = PTX_MODE_ATOM_ADD;
    ck_assert(ptx_scalar_supported(&in, &why));
    in.mode = PTX_MODE_ATOM_INC;
    ck_assert(!ptx_scalar_supported(&in, &why));
    in = ptx_test_insn(PTX_OP_SQRT, PTX_T_F64);
    in.rounding = PTX_RND_RM;
    ck_assert(ptx_scalar_supported(&in, &why));
}
END_TEST

Suite *ptx_scalar_suite(void)
{
    Suite *s = suite_create("ptx_scalar");
    TCase *tc = tcase_create("tables");
    tcase_add_test(tc, integer_arithmetic);
    tcase_add_test(tc, bit_instructions);
    tcase_add_test(tc, lop3_tables);
    tcase_add_test(tc, comparison_and_selection);
    tcase_add_test(tc, carry_chains);
    tcase_add_test(tc, atomics);
    tcase_add_test(tc, supported_forms);
    suite_add_tcase(s, tc);
    ptx_scalar_add_fp_tests(s);
    return s;
}
