/* PTX per-lane float semantics: hand-checked cases, cvt, directed rounding against an independent exact
 * computation over random operands, and the accuracy of the approximate functions. */
#include <fenv.h>
#include <math.h>
#include <stdio.h>

#include "../../src/ptx/ptx_approx.h"
#include "check_ptx_scalar.h"

struct fp_case {
    const char *name;
    uint16_t op;
    uint8_t type, src, mode, rnd;
    uint32_t flags;
    uint64_t a, b, c, want;
};

static void run_fp_cases(const struct fp_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct fp_case *k = &cases[i];
        struct ptx_insn in = ptx_test_insn(k->op, k->type);
        in.src_type = k->src;
        in.mode = k->mode;
        in.rounding = k->rnd;
        in.flags = k->flags;
        uint64_t got = ptx_test_eval(&in, k->a, k->b, k->c);
        ck_assert_msg(got == k->want, "%s: got 0x%llx, want 0x%llx", k->name, (unsigned long long)got,
                      (unsigned long long)k->want);
    }
}

#define N(x) (sizeof(x) / sizeof((x)[0]))
#define ONE 0x3f800000
#define TWO 0x40000000
#define THREE 0x40400000
#define HALF 0x3f000000
#define INF 0x7f800000
#define NINF 0xff800000
#define CNAN 0x7fffffff
#define FMAX 0x7f7fffff
#define FMIN 0x00800000
#define NZERO 0x80000000
#define D1 0x3ff0000000000000ull
#define RN PTX_RND_RN
#define RZ PTX_RND_RZ
#define RM PTX_RND_RM
#define RP PTX_RND_RP
#define FTZ PTX_FLAG_FTZ
#define SAT PTX_FLAG_SAT

/* Directed cases, reasoned exactly:
 *   1 + 0x1.8p-24 = 1 + 0.75 ulp(1): rn and rp 1 + ulp, rz and rm 1 (mirrored for the negatives).
 *   3 * (1 + 2^-23) = 3 + 1.5 ulp(3): a tie, rn to even (3 + 2 ulp), rz/rm 3 + 1 ulp, rp 3 + 2 ulp.
 *   (1 + 2^-23)(1 - 2^-23) = 1 - 2^-46: rn and rp 1, rz and rm 1 - 2^-24 (0x3f7fffff).
 *   1/3 = 0x1.555555|0101...p-2: rn and rp 0x3eaaaaab, rz and rm 0x3eaaaaaa.
 *   sqrt 2 = 0x1.6a09e6|6...p0 above 0x3fb504f3 by less than half an ulp: rp 0x3fb504f4, others 0x3fb504f3. */
static const struct fp_case float_cases[] = {
    {"add.f32 NaN canonical", PTX_OP_ADD, PTX_T_F32, 0, 0, RN, 0, 0xffc00001, ONE, 0, CNAN},
    {"add.f32 inf-inf", PTX_OP_ADD, PTX_T_F32, 0, 0, RN, 0, INF, NINF, 0, CNAN},
    {"mul.f32 0*inf", PTX_OP_MUL, PTX_T_F32, 0, 0, RN, 0, 0, INF, 0, CNAN},
    {"add.f64 NaN canonical", PTX_OP_ADD, PTX_T_F64, 0, 0, RN, 0, 0xfff8000000000001ull, D1, 0,
     0x7fffffffffffffffull},
    {"add.f32 default rn", PTX_OP_ADD, PTX_T_F32, 0, 0, 0, 0, ONE, 0x33c00000, 0, 0x3f800001},
    {"add.rn.f32", PTX_OP_ADD, PTX_T_F32, 0, 0, RN, 0, ONE, 0x33c00000, 0, 0x3f800001},
    {"add.rz.f32", PTX_OP_ADD, PTX_T_F32, 0, 0, RZ, 0, ONE, 0x33c00000, 0, ONE},
    {"add.rm.f32", PTX_OP_ADD, PTX_T_F32, 0, 0, RM, 0, ONE, 0x33c00000, 0, ONE},
    {"add.rp.f32", PTX_OP_ADD, PTX_T_F32, 0, 0, RP, 0, ONE, 0x33c00000, 0, 0x3f800001},
    {"add.rz.f32 neg", PTX_OP_ADD, PTX_T_F32, 0, 0, RZ, 0, 0xbf800000, 0xb3c00000, 0, 0xbf800000},
    {"add.rm.f32 neg", PTX_OP_ADD, PTX_T_F32, 0, 0, RM, 0, 0xbf800000, 0xb3c00000, 0, 0xbf800001},
    {"add.rp.f32 neg", PTX_OP_ADD, PTX_T_F32, 0, 0, RP, 0, 0xbf800000, 0xb3c00000, 0, 0xbf800000},
    {"sub.rm.f32 x-x is -0", PTX_OP_SUB, PTX_T_F32, 0, 0, RM, 0, ONE, ONE, 0, NZERO},
    {"sub.rn.f32 x-x is +0", PTX_OP_SUB, PTX_T_F32, 0, 0, RN, 0, ONE, ONE, 0, 0},
    {"add.rz.f32 overflow", PTX_OP_ADD, PTX_T_F32, 0, 0, RZ, 0, FMAX, FMAX, 0, FMAX},
    {"add.rn.f32 overflow", PTX_OP_ADD, PTX_T_F32, 0, 0, RN, 0, FMAX, FMAX, 0, INF},
    {"add.rm.f32 overflow", PTX_OP_ADD, PTX_T_F32, 0, 0, RM, 0, FMAX, FMAX, 0, FMAX},
    {"add.rp.f32 -overflow", PTX_OP_ADD, PTX_T_F32, 0, 0, RP, 0, 0xff7fffff, 0xff7fffff, 0, 0xff7fffff},
    {"mul.rn.f32 tie", PTX_OP_MUL, PTX_T_F32, 0, 0, RN, 0, THREE, 0x3f800001, 0, 0x40400002},
    {"mul.rz.f32", PTX_OP_MUL, PTX_T_F32, 0, 0, RZ, 0, THREE, 0x3f800001, 0, 0x40400001},
    {"mul.rm.f32", PTX_OP_MUL, PTX_T_F32, 0, 0, RM, 0, THREE, 0x3f800001, 0, 0x40400001},
    {"mul.rp.f32", PTX_OP_MUL, PTX_T_F32, 0, 0, RP, 0, THREE, 0x3f800001, 0, 0x40400002},
    {"fma.rn.f32", PTX_OP_FMA, PTX_T_F32, 0, 0, RN, 0, 0x3f800001, 0x3f7ffffe, 0, ONE},
    {"fma.rz.f32", PTX_OP_FMA, PTX_T_F32, 0, 0, RZ, 0, 0x3f800001, 0x3f7ffffe, 0, 0x3f7fffff},
    {"fma.rm.f32", PTX_OP_FMA, PTX_T_F32, 0, 0, RM, 0, 0x3f800001, 0x3f7ffffe, 0, 0x3f7fffff},
    {"fma.rp.f32", PTX_OP_FMA, PTX_T_F32, 0, 0, RP, 0, 0x3f800001, 0x3f7ffffe, 0, ONE},
    {"fma.rn.f32 is fused", PTX_OP_FMA, PTX_T_F32, 0, 0, RN, 0, 0x3f800001, 0x3f7ffffe, 0xbf800000, 0xa8800000},
    {"mad.rn.f32 is fused", PTX_OP_MAD, PTX_T_F32, 0, 0, RN, 0, 0x3f800001, 0x3f7ffffe, 0xbf800000, 0xa8800000},
    {"div.rn.f32 1/3", PTX_OP_DIV, PTX_T_F32, 0, 0, RN, 0, ONE, THREE, 0, 0x3eaaaaab},
    {"div.rz.f32 1/3", PTX_OP_DIV, PTX_T_F32, 0, 0, RZ, 0, ONE, THREE, 0, 0x3eaaaaaa},
    {"div.rm.f32 1/3", PTX_OP_DIV, PTX_T_F32, 0, 0, RM, 0, ONE, THREE, 0, 0x3eaaaaaa},
    {"div.rp.f32 1/3", PTX_OP_DIV, PTX_T_F32, 0, 0, RP, 0, ONE, THREE, 0, 0x3eaaaaab},
    {"div.rm.f32 -1/3", PTX_OP_DIV, PTX_T_F32, 0, 0, RM, 0, 0xbf800000, THREE, 0, 0xbeaaaaab},
    {"rcp.rz.f32 3", PTX_OP_RCP, PTX_T_F32, 0, 0, RZ, 0, THREE, 0, 0, 0x3eaaaaaa},
    {"rcp.rn.f32 3", PTX_OP_RCP, PTX_T_F32, 0, 0, RN, 0, THREE, 0, 0, 0x3eaaaaab},
    {"div.rn.f32 0/0", PTX_OP_DIV, PTX_T_F32, 0, 0, RN, 0, 0, 0, 0, CNAN},
    {"div.rn.f32 1/-0", PTX_OP_DIV, PTX_T_F32, 0, 0, RN, 0, ONE, NZERO, 0, NINF},
    {"sqrt.rn.f32 2", PTX_OP_SQRT, PTX_T_F32, 0, 0, RN, 0, TWO, 0, 0, 0x3fb504f3},
    {"sqrt.rz.f32 2", PTX_OP_SQRT, PTX_T_F32, 0, 0, RZ, 0, TWO, 0, 0, 0x3fb504f3},
    {"sqrt.rm.f32 2", PTX_OP_SQRT, PTX_T_F32, 0, 0, RM, 0, TWO, 0, 0, 0x3fb504f3},
    {"sqrt.rp.f32 2", PTX_OP_SQRT, PTX_T_F32, 0, 0, RP, 0, TWO, 0, 0, 0x3fb504f4},
    {"sqrt.rn.f32 -1", PTX_OP_SQRT, PTX_T_F32, 0, 0, RN, 0, 0xbf800000, 0, 0, CNAN},
    {"sqrt.rn.f32 -0", PTX_OP_SQRT, PTX_T_F32, 0, 0, RN, 0, NZERO, 0, 0, NZERO},
    {"add.rz.f64", PTX_OP_ADD, PTX_T_F64, 0, 0, RZ, 0, D1, 0x3ca8000000000000ull, 0, D1},
    {"add.rp.f64", PTX_OP_ADD, PTX_T_F64, 0, 0, RP, 0, D1, 0x3ca8000000000000ull, 0, D1 + 1},
    {"div.rm.f64 1/3", PTX_OP_DIV, PTX_T_F64, 0, 0, RM, 0, D1, 0x4008000000000000ull, 0, 0x3fd5555555555555ull},
    {"div.rp.f64 1/3", PTX_OP_DIV, PTX_T_F64, 0, 0, RP, 0, D1, 0x4008000000000000ull, 0, 0x3fd5555555555556ull},
    {"sqrt.rp.f64 2", PTX_OP_SQRT, PTX_T_F64, 0, 0, RP, 0, 0x4000000000000000ull, 0, 0, 0x3ff6a09e667f3bcdull},
    {"sqrt.rm.f64 2", PTX_OP_SQRT, PTX_T_F64, 0, 0, RM, 0, 0x4000000000000000ull, 0, 0, 0x3ff6a09e667f3bccull},
    {"fma.rn.f64", PTX_OP_FMA, PTX_T_F64, 0, 0, RN, 0, D1 + 1, D1 + 1, 0xbff0000000000000ull, 0x3cc0000000000000ull},
    /* ftz: subnormal inputs and results become signed zeros */
    {"mul.f32 subnormal result", PTX_OP_MUL, PTX_T_F32, 0, 0, RN, 0, FMIN, HALF, 0, 0x00400000},
    {"mul.ftz.f32 subnormal result", PTX_OP_MUL, PTX_T_F32, 0, 0, RN, FTZ, FMIN, HALF, 0, 0},
    {"mul.ftz.f32 -subnormal result", PTX_OP_MUL, PTX_T_F32, 0, 0, RN, FTZ, FMIN, 0xbf000000, 0, NZERO},
    {"add.ftz.f32 subnormal input", PTX_OP_ADD, PTX_T_F32, 0, 0, RN, FTZ, 0x00000003, FMIN, 0, FMIN},
    {"add.f32 subnormal input", PTX_OP_ADD, PTX_T_F32, 0, 0, RN, 0, 0x00000003, FMIN, 0, FMIN + 3},
    {"fma.rn.ftz.f32", PTX_OP_FMA, PTX_T_F32, 0, 0, RN, FTZ, 0x00000001, 0x7f000000, 0, 0},
    {"add.rz.ftz.f32", PTX_OP_ADD, PTX_T_F32, 0, 0, RZ, FTZ, 0x00000001, 0x00000001, 0, 0},
    {"add.sat.f32 clamps 1", PTX_OP_ADD, PTX_T_F32, 0, 0, RN, SAT, 0x3f400000, HALF, 0, ONE},
    {"add.sat.f32 clamps 0", PTX_OP_ADD, PTX_T_F32, 0, 0, RN, SAT, 0xbf400000, 0, 0, 0},
    {"mul.sat.f32 NaN", PTX_OP_MUL, PTX_T_F32, 0, 0, RN, SAT, 0, INF, 0, 0},
    {"fma.rn.sat.f32 -0", PTX_OP_FMA, PTX_T_F32, 0, 0, RN, SAT, NZERO, ONE, NZERO, 0},
    {"min.f32 NaN a", PTX_OP_MIN, PTX_T_F32, 0, 0, 0, 0, 0x7fc00000, TWO, 0, TWO},
    {"max.f32 NaN b", PTX_OP_MAX, PTX_T_F32, 0, 0, 0, 0, TWO, 0xffc00000, 0, TWO},
    {"min.f32 two NaNs", PTX_OP_MIN, PTX_T_F32, 0, 0, 0, 0, 0x7fc00001, 0xffc00000, 0, CNAN},
    {"min.f32 -0 +0", PTX_OP_MIN, PTX_T_F32, 0, 0, 0, 0, 0, NZERO, 0, NZERO},
    {"max.f32 -0 +0", PTX_OP_MAX, PTX_T_F32, 0, 0, 0, 0, NZERO, 0, 0, 0},
    {"min.f32", PTX_OP_MIN, PTX_T_F32, 0, 0, 0, 0, 0xbf800000, ONE, 0, 0xbf800000},
    {"max.f32 inf", PTX_OP_MAX, PTX_T_F32, 0, 0, 0, 0, NINF, INF, 0, INF},
    {"min.ftz.f32 subnormal", PTX_OP_MIN, PTX_T_F32, 0, 0, 0, FTZ, 0x80000001, 0, 0, NZERO},
    {"min.f64 NaN", PTX_OP_MIN, PTX_T_F64, 0, 0, 0, 0, 0x7ff8000000000000ull, D1, 0, D1},
    {"max.f64 two NaNs", PTX_OP_MAX, PTX_T_F64, 0, 0, 0, 0, 0x7ff8000000000000ull, 0x7ff8000000000000ull, 0,
     0x7fffffffffffffffull},
    {"abs.f32 -0", PTX_OP_ABS, PTX_T_F32, 0, 0, 0, 0, NZERO, 0, 0, 0},
    {"abs.f32 NaN keeps payload", PTX_OP_ABS, PTX_T_F32, 0, 0, 0, 0, 0xffc00001, 0, 0, 0x7fc00001},
    {"neg.f32", PTX_OP_NEG, PTX_T_F32, 0, 0, 0, 0, ONE, 0, 0, 0xbf800000},
    {"neg.ftz.f32 subnormal", PTX_OP_NEG, PTX_T_F32, 0, 0, 0, FTZ, 0x00000005, 0, 0, NZERO},
    {"neg.f64 NaN", PTX_OP_NEG, PTX_T_F64, 0, 0, 0, 0, 0x7ff8000000000001ull, 0, 0, 0xfff8000000000001ull},
    {"copysign.f32", PTX_OP_COPYSIGN, PTX_T_F32, 0, 0, 0, 0, 0xbf800000, TWO, 0, 0xc0000000},
    {"copysign.f64", PTX_OP_COPYSIGN, PTX_T_F64, 0, 0, 0, 0, 0, 0xbff0000000000000ull, 0, D1},
    {"testp.finite inf", PTX_OP_TESTP, PTX_T_F32, 0, PTX_MODE_TESTP_FINITE, 0, 0, INF, 0, 0, 0},
    {"testp.infinite", PTX_OP_TESTP, PTX_T_F32, 0, PTX_MODE_TESTP_INFINITE, 0, 0, NINF, 0, 0, 1},
    {"testp.number NaN", PTX_OP_TESTP, PTX_T_F32, 0, PTX_MODE_TESTP_NUMBER, 0, 0, CNAN, 0, 0, 0},
    {"testp.notanumber", PTX_OP_TESTP, PTX_T_F64, 0, PTX_MODE_TESTP_NOTANUMBER, 0, 0, 0x7ff0000000000001ull, 0, 0,
     1},
    {"testp.normal 0", PTX_OP_TESTP, PTX_T_F32, 0, PTX_MODE_TESTP_NORMAL, 0, 0, 0, 0, 0, 0},
    {"testp.normal", PTX_OP_TESTP, PTX_T_F32, 0, PTX_MODE_TESTP_NORMAL, 0, 0, FMIN, 0, 0, 1},
    {"testp.subnormal", PTX_OP_TESTP, PTX_T_F32, 0, PTX_MODE_TESTP_SUBNORMAL, 0, 0, 0x80000001, 0, 0, 1},
    {"testp.subnormal 0", PTX_OP_TESTP, PTX_T_F64, 0, PTX_MODE_TESTP_SUBNORMAL, 0, 0, 0, 0, 0, 0},
    /* approximate forms */
    {"div.approx.f32", PTX_OP_DIV, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, ONE, THREE, 0, 0x3eaaaaab},
    {"div.approx.f32 huge b", PTX_OP_DIV, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, ONE, 0x7f000000, 0, 0},
    {"div.approx.f32 -huge b", PTX_OP_DIV, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, ONE, 0xff000000, 0, NZERO},
    {"div.full.f32 huge b", PTX_OP_DIV, PTX_T_F32, 0, 0, 0, PTX_FLAG_FULL, 0x7f000000, 0x7f000000, 0, ONE},
    {"rcp.approx.f32 0", PTX_OP_RCP, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, NZERO, 0, 0, NINF},
    {"sqrt.approx.f32 4", PTX_OP_SQRT, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 0x40800000, 0, 0, TWO},
    {"rsqrt.approx.f32 4", PTX_OP_RSQRT, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 0x40800000, 0, 0, HALF},
    {"ex2.approx.f32 3", PTX_OP_EX2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, THREE, 0, 0, 0x41000000},
    {"ex2.approx.f32 -inf", PTX_OP_EX2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, NINF, 0, 0, 0},
    {"ex2.approx.f32 -149", PTX_OP_EX2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 0xc3150000, 0, 0, 1},
    {"ex2.approx.ftz.f32 -149", PTX_OP_EX2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX | FTZ, 0xc3150000, 0, 0, 0},
    {"lg2.approx.f32 8", PTX_OP_LG2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 0x41000000, 0, 0, THREE},
    {"lg2.approx.f32 0", PTX_OP_LG2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 0, 0, 0, NINF},
    {"lg2.approx.f32 -1", PTX_OP_LG2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 0xbf800000, 0, 0, CNAN},
    {"lg2.approx.f32 2^-149", PTX_OP_LG2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 1, 0, 0, 0xc3150000},
    {"lg2.approx.ftz.f32 2^-149", PTX_OP_LG2, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX | FTZ, 1, 0, 0, NINF},
    {"sin.approx.f32 -0", PTX_OP_SIN, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, NZERO, 0, 0, NZERO},
    {"cos.approx.f32 0", PTX_OP_COS, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 0, 0, 0, ONE},
    {"sin.approx.f32 inf", PTX_OP_SIN, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, INF, 0, 0, CNAN},
    {"tanh.approx.f32 big", PTX_OP_TANH, PTX_T_F32, 0, 0, 0, PTX_FLAG_APPROX, 0xc2c80000, 0, 0, 0xbf800000},
    {"rcp.approx.ftz.f64", PTX_OP_RCP, PTX_T_F64, 0, 0, 0, PTX_FLAG_APPROX | FTZ, 0x4000000000000000ull, 0, 0,
     0x3fe0000000000000ull},
    {"rcp.approx.ftz.f64 subnormal", PTX_OP_RCP, PTX_T_F64, 0, 0, 0, PTX_FLAG_APPROX | FTZ, 1, 0, 0,
     0x7ff0000000000000ull},
    {"rsqrt.approx.f64 4", PTX_OP_RSQRT, PTX_T_F64, 0, 0, 0, PTX_FLAG_APPROX, 0x4010000000000000ull, 0, 0,
     0x3fe0000000000000ull},
};

START_TEST(float_arithmetic) { run_fp_cases(float_cases, N(float_cases)); }
END_TEST

#define CVT(name, d, s, rnd, flags, a, want) {name, PTX_OP_CVT, d, s, 0, rnd, flags, a, 0, 0, want}
static const struct fp_case cvt_cases[] = {
    CVT("u64.u32", PTX_T_U64, PTX_T_U32, 0, 0, 0xffffffffull, 0xffffffffull),
    CVT("s64.s32", PTX_T_S64, PTX_T_S32, 0, 0, 0x80000000ull, 0xffffffff80000000ull),
    CVT("u64.s32 sign-extends", PTX_T_U64, PTX_T_S32, 0, 0, 0xffffffffull, ~0ull),
    CVT("s32.s8", PTX_T_S32, PTX_T_S8, 0, 0, 0x1234ff80ull, 0xffffff80ull),
    CVT("u32.u16", PTX_T_U32, PTX_T_U16, 0, 0, 0xabcd8001ull, 0x8001),
    CVT("u16.u32 truncates", PTX_T_U16, PTX_T_U32, 0, 0, 0x12345678, 0x5678),
    CVT("u16.u32.sat", PTX_T_U16, PTX_T_U32, 0, SAT, 0x12345678, 0xffff),
    CVT("s8.s32.sat low", PTX_T_S8, PTX_T_S32, 0, SAT, 0xffffff00, 0x80),
    CVT("u32.s32.sat negative", PTX_T_U32, PTX_T_S32, 0, SAT, 0xffffffff, 0),
    CVT("s32.u32.sat", PTX_T_S32, PTX_T_U32, 0, SAT, 0xffffffff, 0x7fffffff),
    CVT("s32.s64.sat", PTX_T_S32, PTX_T_S64, 0, SAT, 0x8000000000000000ull, 0x80000000),
    CVT("u64.s64.sat", PTX_T_U64, PTX_T_S64, 0, SAT, ~0ull, 0),
    CVT("u32.u64", PTX_T_U32, PTX_T_U64, 0, 0, 0x1234567890ull, 0x34567890),
    CVT("rni.s32.f32 2.5", PTX_T_S32, PTX_T_F32, PTX_RND_RNI, 0, 0x40200000, 2),
    CVT("rni.s32.f32 -1.5", PTX_T_S32, PTX_T_F32, PTX_RND_RNI, 0, 0xbfc00000, 0xfffffffe),
    CVT("rzi.s32.f32 -1.5", PTX_T_S32, PTX_T_F32, PTX_RND_RZI, 0, 0xbfc00000, 0xffffffff),
    CVT("rmi.s32.f32 -0.5", PTX_T_S32, PTX_T_F32, PTX_RND_RMI, 0, 0xbf000000, 0xffffffff),
    CVT("rpi.s32.f32 1.1", PTX_T_S32, PTX_T_F32, PTX_RND_RPI, 0, 0x3f8ccccd, 2),
    CVT("rzi.s32.f32 NaN", PTX_T_S32, PTX_T_F32, PTX_RND_RZI, 0, 0x7fc00000, 0),
    CVT("rzi.s32.f32 inf", PTX_T_S32, PTX_T_F32, PTX_RND_RZI, 0, INF, 0x7fffffff),
    CVT("rzi.s32.f32 -inf", PTX_T_S32, PTX_T_F32, PTX_RND_RZI, 0, NINF, 0x80000000),
    CVT("rzi.s32.f32 3e9", PTX_T_S32, PTX_T_F32, PTX_RND_RZI, 0, 0x4f32d05e, 0x7fffffff),
    CVT("rzi.u32.f32 negative", PTX_T_U32, PTX_T_F32, PTX_RND_RZI, 0, 0xbf800000, 0),
    CVT("rzi.u32.f32 -0.5", PTX_T_U32, PTX_T_F32, PTX_RND_RZI, 0, 0xbf000000, 0),
    CVT("rzi.u32.f32 5e9", PTX_T_U32, PTX_T_F32, PTX_RND_RZI, 0, 0x4f9502f9, 0xffffffff),
    CVT("rzi.u64.f64 1e20", PTX_T_U64, PTX_T_F64, PTX_RND_RZI, 0, 0x4415af1d78b58c40ull, ~0ull),
    CVT("rzi.s64.f64 -1e20", PTX_T_S64, PTX_T_F64, PTX_RND_RZI, 0, 0xc415af1d78b58c40ull, 1ull << 63),
    CVT("rzi.s64.f64 2^63", PTX_T_S64, PTX_T_F64, PTX_RND_RZI, 0, 0x43e0000000000000ull, 0x7fffffffffffffffull),
    CVT("rni.u8.f32 300", PTX_T_U8, PTX_T_F32, PTX_RND_RNI, 0, 0x43960000, 0xff),
    CVT("rni.s16.f32 -40000", PTX_T_S16, PTX_T_F32, PTX_RND_RNI, 0, 0xc71c4000, 0x8000),
    CVT("rmi.s32.f32 -subnormal", PTX_T_S32, PTX_T_F32, PTX_RND_RMI, 0, 0x80000001, 0xffffffff),
    CVT("rmi.ftz.s32.f32 -subnormal", PTX_T_S32, PTX_T_F32, PTX_RND_RMI, FTZ, 0x80000001, 0),
    CVT("rni.s32.f16 2.5", PTX_T_S32, PTX_T_F16, PTX_RND_RNI, 0, 0x4100, 2),
    CVT("rn.f32.s32 2^24+1", PTX_T_F32, PTX_T_S32, RN, 0, 0x01000001, 0x4b800000),
    CVT("rz.f32.s32 2^24+3", PTX_T_F32, PTX_T_S32, RZ, 0, 0x01000003, 0x4b800001),
    CVT("rp.f32.s32 2^24+1", PTX_T_F32, PTX_T_S32, RP, 0, 0x01000001, 0x4b800001),
    CVT("rm.f32.s32 -(2^24+1)", PTX_T_F32, PTX_T_S32, RM, 0, 0xfeffffff, 0xcb800001),
    CVT("rn.f32.u32 max", PTX_T_F32, PTX_T_U32, RN, 0, 0xffffffff, 0x4f800000),
    CVT("rz.f32.u32 max", PTX_T_F32, PTX_T_U32, RZ, 0, 0xffffffff, 0x4f7fffff),
    CVT("rn.f32.u64 max", PTX_T_F32, PTX_T_U64, RN, 0, ~0ull, 0x5f800000),
    CVT("rn.f64.s64 min", PTX_T_F64, PTX_T_S64, RN, 0, 1ull << 63, 0xc3e0000000000000ull),
    CVT("rz.f64.u64 max", PTX_T_F64, PTX_T_U64, RZ, 0, ~0ull, 0x43efffffffffffffull),
    CVT("rn.f64.s32", PTX_T_F64, PTX_T_S32, RN, 0, 0xffffffff, 0xbff0000000000000ull),
    CVT("f64.f32", PTX_T_F64, PTX_T_F32, 0, 0, 0x3f800000, D1),
    CVT("f64.f32 subnormal", PTX_T_F64, PTX_T_F32, 0, 0, 1, 0x36a0000000000000ull),
    CVT("ftz.f64.f32 subnormal", PTX_T_F64, PTX_T_F32, 0, FTZ, 0x80000001, 1ull << 63),
    CVT("f64.f32 NaN", PTX_T_F64, PTX_T_F32, 0, 0, 0x7fc00000, 0x7fffffffffffffffull),
    CVT("rn.f32.f64 0.1", PTX_T_F32, PTX_T_F64, RN, 0, 0x3fb999999999999aull, 0x3dcccccd),
    CVT("rz.f32.f64 0.1", PTX_T_F32, PTX_T_F64, RZ, 0, 0x3fb999999999999aull, 0x3dcccccc),
    CVT("rm.f32.f64 0.1", PTX_T_F32, PTX_T_F64, RM, 0, 0x3fb999999999999aull, 0x3dcccccc),
    CVT("rp.f32.f64 0.1", PTX_T_F32, PTX_T_F64, RP, 0, 0x3fb999999999999aull, 0x3dcccccd),
    CVT("rn.f32.f64 overflow", PTX_T_F32, PTX_T_F64, RN, 0, 0x47f0000000000000ull, INF),
    CVT("rz.f32.f64 overflow", PTX_T_F32, PTX_T_F64, RZ, 0, 0x47f0000000000000ull, FMAX),
    CVT("rn.f32.f64 NaN", PTX_T_F32, PTX_T_F64, RN, 0, 0x7ff8000000000001ull, CNAN),
    CVT("rn.ftz.f32.f64 subnormal", PTX_T_F32, PTX_T_F64, RN, FTZ, 0x3800000000000000ull, 0),
    CVT("rn.f32.f64 subnormal", PTX_T_F32, PTX_T_F64, RN, 0, 0x3800000000000000ull, 0x00400000),
    CVT("rn.sat.f32.f64", PTX_T_F32, PTX_T_F64, RN, SAT, 0x4000000000000000ull, ONE),
    CVT("rni.f32.f32", PTX_T_F32, PTX_T_F32, PTX_RND_RNI, 0, 0x40200000, TWO),
    CVT("rmi.f32.f32 -0.5", PTX_T_F32, PTX_T_F32, PTX_RND_RMI, 0, 0xbf000000, 0xbf800000),
    CVT("rpi.f32.f32 -0.5", PTX_T_F32, PTX_T_F32, PTX_RND_RPI, 0, 0xbf000000, NZERO),
    CVT("rzi.f64.f64", PTX_T_F64, PTX_T_F64, PTX_RND_RZI, 0, 0xc004000000000000ull, 0xc000000000000000ull),
    CVT("ftz.f32.f32", PTX_T_F32, PTX_T_F32, 0, FTZ, 0x00000010, 0),
    CVT("sat.f32.f32", PTX_T_F32, PTX_T_F32, 0, SAT, 0xbf800000, 0),
    CVT("rn.f16.f32 1", PTX_T_F16, PTX_T_F32, RN, 0, ONE, 0x3c00),
    CVT("rn.f16.f32 65504", PTX_T_F16, PTX_T_F32, RN, 0, 0x477fe000, 0x7bff),
    CVT("rn.f16.f32 65520 to inf", PTX_T_F16, PTX_T_F32, RN, 0, 0x477ff000, 0x7c00),
    CVT("rz.f16.f32 65520", PTX_T_F16, PTX_T_F32, RZ, 0, 0x477ff000, 0x7bff),
    CVT("rm.f16.f32 -1e6", PTX_T_F16, PTX_T_F32, RM, 0, 0xc9742400, 0xfc00),
    CVT("rp.f16.f32 -1e6", PTX_T_F16, PTX_T_F32, RP, 0, 0xc9742400, 0xfbff),
    CVT("rn.f16.f32 2^-24", PTX_T_F16, PTX_T_F32, RN, 0, 0x33800000, 0x0001),
    CVT("rn.f16.f32 2^-25 tie to 0", PTX_T_F16, PTX_T_F32, RN, 0, 0x33000000, 0),
    CVT("rn.f16.f32 3*2^-26", PTX_T_F16, PTX_T_F32, RN, 0, 0x33400000, 0x0001),
    CVT("rp.f16.f32 tiny", PTX_T_F16, PTX_T_F32, RP, 0, 1, 0x0001),
    CVT("rm.f16.f32 -tiny", PTX_T_F16, PTX_T_F32, RM, 0, 0x80000001, 0x8001),
    CVT("rz.f16.f32 -tiny", PTX_T_F16, PTX_T_F32, RZ, 0, 0x80000001, 0x8000),
    CVT("rn.f16.f32 NaN", PTX_T_F16, PTX_T_F32, RN, 0, 0xffc00000, 0x7fff),
    CVT("rn.f16.f32 -0", PTX_T_F16, PTX_T_F32, RN, 0, NZERO, 0x8000),
    CVT("rn.f16.f32 1+2^-11 tie to even", PTX_T_F16, PTX_T_F32, RN, 0, 0x3f801000, 0x3c00),
    CVT("rn.f16.f32 1+3*2^-11", PTX_T_F16, PTX_T_F32, RN, 0, 0x3f803000, 0x3c02),
    CVT("rn.f16.f64 1+2^-11+2^-40", PTX_T_F16, PTX_T_F64, RN, 0, 0x3ff0020000000100ull, 0x3c01),
    CVT("f32.f16 subnormal", PTX_T_F32, PTX_T_F16, 0, 0, 0x0001, 0x33800000),
    CVT("f32.f16 max", PTX_T_F32, PTX_T_F16, 0, 0, 0x7bff, 0x477fe000),
    CVT("f32.f16 -inf", PTX_T_F32, PTX_T_F16, 0, 0, 0xfc00, NINF),
    CVT("f32.f16 NaN", PTX_T_F32, PTX_T_F16, 0, 0, 0x7e00, CNAN),
    CVT("f64.f16", PTX_T_F64, PTX_T_F16, 0, 0, 0xc000, 0xc000000000000000ull),
    CVT("rn.bf16.f32 1", PTX_T_BF16, PTX_T_F32, RN, 0, ONE, 0x3f80),
    CVT("rn.bf16.f32 tie to even", PTX_T_BF16, PTX_T_F32, RN, 0, 0x3f808000, 0x3f80),
    CVT("rn.bf16.f32 tie up", PTX_T_BF16, PTX_T_F32, RN, 0, 0x3f818000, 0x3f82),
    CVT("rz.bf16.f32", PTX_T_BF16, PTX_T_F32, RZ, 0, 0x3f81ffff, 0x3f81),
    CVT("rn.bf16.f32 overflow", PTX_T_BF16, PTX_T_F32, RN, 0, FMAX, 0x7f80),
    CVT("f32.bf16", PTX_T_F32, PTX_T_BF16, 0, 0, 0xbf80, 0xbf800000),
    CVT("rn.f16.s32", PTX_T_F16, PTX_T_S32, RN, 0, 0xfffff801, 0xe7ff),
    CVT("rn.f16.u32 2049 tie", PTX_T_F16, PTX_T_U32, RN, 0, 2049, 0x6800),
    CVT("rn.f16.u32 70000", PTX_T_F16, PTX_T_U32, RN, 0, 70000, 0x7c00),
    CVT("rz.f16.u32 70000", PTX_T_F16, PTX_T_U32, RZ, 0, 70000, 0x7bff),
    CVT("rn.bf16.u64", PTX_T_BF16, PTX_T_U64, RN, 0, ~0ull, 0x5f80),
    {"rn.f16x2.f32", PTX_OP_CVT, PTX_T_F16X2, PTX_T_F32, 0, RN, 0, ONE, 0xc0000000, 0, 0x3c00c000},
    {"rn.bf16x2.f32", PTX_OP_CVT, PTX_T_BF16X2, PTX_T_F32, 0, RN, 0, 0xc0000000, ONE, 0, 0xc0003f80},
};

START_TEST(conversions) { run_fp_cases(cvt_cases, N(cvt_cases)); }
END_TEST

static uint64_t cvt_eval(unsigned d, unsigned s, unsigned rnd, uint64_t a)
{
    struct ptx_insn in = ptx_test_insn(PTX_OP_CVT, d);
    in.src_type = (uint8_t)s;
    in.rounding = (uint8_t)rnd;
    return ptx_test_eval(&in, a, 0, 0);
}

/* Every f16 value through f32 and back is itself (NaNs excepted); f32 -> f16 and f64 -> f16 in rn agree with the
 * compiler's _Float16 conversions (libgcc's soft-float) and f32 -> bf16 rn/rz with the bit formulas. */
START_TEST(half_conversions)
{
    for (uint32_t h = 0; h < 0x10000; h++) {
        bool nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
        bool bnan = (h & 0x7f80) == 0x7f80 && (h & 0x7f);
        ck_assert_uint_eq(cvt_eval(PTX_T_F32, PTX_T_BF16, 0, h), bnan ? 0x7fffffff : (uint64_t)h << 16);
        uint64_t f = cvt_eval(PTX_T_F32, PTX_T_F16, 0, h);
        if (nan) {
            ck_assert_uint_eq(f, 0x7fffffff);
            continue;
        }
        ck_assert_uint_eq(cvt_eval(PTX_T_F16, PTX_T_F32, RN, f), h);
        ck_assert_uint_eq(cvt_eval(PTX_T_F16, PTX_T_F32, RZ, f), h);
    }
    uint64_t seed = 99;
    for (int i = 0; i < 300000; i++) {
        uint64_t r = ptx_test_rand(&seed);
        uint32_t u = (uint32_t)r;
        if (i % 3 == 0) /* concentrate on the half range */
            u = (u & 0x81ffffffu) | ((0x66u + (uint32_t)(r >> 40) % 42u) << 23);
        float f = ptx_test_f32(u);
        if (f != f)
            continue;
        _Float16 ref = (_Float16)f;
        uint16_t rb;
        memcpy(&rb, &ref, sizeof rb);
        ck_assert_msg(cvt_eval(PTX_T_F16, PTX_T_F32, RN, u) == rb, "f16 of 0x%08x", u);
        double d = (double)f * (1.0 + ldexp((double)((r >> 32) & 0xffff), -40));
        uint64_t db;
        memcpy(&db, &d, sizeof db);
        ref = (_Float16)d;
        memcpy(&rb, &ref, sizeof rb);
        ck_assert_msg(cvt_eval(PTX_T_F16, PTX_T_F64, RN, db) == rb, "f16 of double 0x%016llx",
                      (unsigned long long)db);
        uint32_t bf_rn = (u + 0x7fffu + ((u >> 16) & 1)) >> 16;
        ck_assert_msg(cvt_eval(PTX_T_BF16, PTX_T_F32, RN, u) == bf_rn, "bf16 of 0x%08x", u);
        ck_assert_uint_eq(cvt_eval(PTX_T_BF16, PTX_T_F32, RZ, u), u >> 16);
    }
}
END_TEST

/* Independent directed rounding: the exact result is hi + lo (doubles, |lo| below half an ulp of hi) or hi with
 * the sign of the rest in lo; start from the nearest float and step one ulp where the mode requires it. */
static float step_toward(float f, float to) { return nextafterf(f, to); }

static float reference_round(double hi, double lo, unsigned rnd)
{
    float f = (float)hi;
    int cmp; /* sign of (f - exact) */
    if ((double)f != hi)
        cmp = (double)f > hi ? 1 : -1;
    else
        cmp = lo > 0 ? -1 : lo < 0 ? 1 : 0;
    if (cmp == 0)
        return f;
    if (rnd == PTX_RND_RN) { /* hi exactly halfway between two floats: the rest decides, not ties-to-even */
        float g = step_toward(f, cmp > 0 ? -INFINITY : INFINITY);
        if (((double)f + (double)g) * 0.5 == hi && lo != 0)
            return (lo > 0) == (g > f) ? g : f;
        return f;
    }
    bool exact_negative = hi < 0 || (hi == 0 && lo < 0);
    switch (rnd) {
    case PTX_RND_RZ:
        if (exact_negative ? cmp < 0 : cmp > 0)
            return step_toward(f, 0.0f);
        return f;
    case PTX_RND_RM: return cmp > 0 ? step_toward(f, -INFINITY) : f;
    case PTX_RND_RP: return cmp < 0 ? step_toward(f, INFINITY) : f;
    default: return f;
    }
}

static float random_float(uint64_t *seed)
{
    uint64_t r = ptx_test_rand(seed);
    uint32_t u = (uint32_t)r;
    switch ((r >> 32) % 4) {
    case 0: break;                                                          /* any bits */
    case 1: u = (u & 0x807fffffu) | ((120u + (uint32_t)(r >> 40) % 16) << 23); break; /* near 1 */
    case 2: u = (u & 0x807fffffu) | ((uint32_t)(r >> 40) % 8) << 23; break;          /* subnormal or tiny */
    default: u = (u & 0x807fffffu) | ((240u + (uint32_t)(r >> 40) % 14) << 23); break; /* huge */
    }
    if ((u & 0x7f800000u) == 0x7f800000u)
        u &= 0xbfffffffu; /* finite */
    return ptx_test_f32(u);
}

/* The adjacent f16 values of h (towards -inf and +inf; h itself at the ends of the range). */
static double f16_value(uint16_t h)
{
    _Float16 v;
    memcpy(&v, &h, sizeof v);
    return (double)v;
}

/* Whether h is the f16 value nearest to `exact` (ties to the even one), exact given in quad precision. */
static bool nearest_f16(uint16_t h, __float128 exact)
{
    __float128 here = f16_value(h), err = exact - here;
    if (err < 0)
        err = -err;
    for (int step = -1; step <= 1; step += 2) {
        uint16_t n = (uint16_t)(h & 0x8000 ? h - step : h + step);
        if ((h & 0x7fff) == 0 && step < 0)
            n = (uint16_t)((h ^ 0x8000) + 1); /* from a zero to the smallest subnormal of the other sign */
        if ((n & 0x7c00) == 0x7c00)
            continue; /* past the largest finite value */
        __float128 other = f16_value(n), e = exact - other;
        if (e < 0)
            e = -e;
        if (e < err || (e == err && (n & 1) == 0 && (h & 1) != 0))
            return false;
    }
    return true;
}

/* f16 add/sub/mul agree with the compiler's _Float16 (float arithmetic rounded once more, which is exact for these
 * sizes); f16 fma is the nearest value to the exact a*b+c (quad precision holds it); bf16 add/mul agree with f32
 * arithmetic rounded to bf16; min/max/abs/neg and the x2 forms on their halves. */
START_TEST(half_arithmetic)
{
    uint64_t seed = 7;
    for (int i = 0; i < 200000; i++) {
        uint64_t r = ptx_test_rand(&seed);
        uint16_t a = (uint16_t)r, b = (uint16_t)(r >> 16), c = (uint16_t)(r >> 32);
        if (i % 2 == 0) { /* near each other's exponents, where sums round */
            b = (uint16_t)((b & 0x83ff) | (a & 0x7c00));
            c = (uint16_t)((c & 0x83ff) | ((uint16_t)((((a >> 10) & 0x1f) + ((b >> 10) & 0x1f) + 1) / 2) << 10));
        }
        double x = f16_value(a), y = f16_value(b), z = f16_value(c);
        if (x != x || y != y || z != z)
            continue;
        const unsigned ops[] = {PTX_OP_ADD, PTX_OP_SUB, PTX_OP_MUL};
        for (int o = 0; o < 3; o++) {
            struct ptx_insn in = ptx_test_insn(ops[o], PTX_T_F16);
            in.rounding = RN;
            float exact = o == 0 ? (float)x + (float)y : o == 1 ? (float)x - (float)y : (float)x * (float)y;
            _Float16 ref = (_Float16)exact;
            uint16_t rb;
            memcpy(&rb, &ref, sizeof rb);
            ck_assert_msg(ptx_test_eval(&in, a, b, 0) == rb, "op %d of 0x%04x 0x%04x", o, a, b);
        }
        struct ptx_insn fma = ptx_test_insn(PTX_OP_FMA, PTX_T_F16);
        fma.rounding = RN;
        uint16_t got = (uint16_t)ptx_test_eval(&fma, a, b, c);
        __float128 exact = (__float128)x * (__float128)y + (__float128)z;
        double bound = 65520.0; /* from here on a result rounds to infinity */
        if (exact < bound && exact > -bound)
            ck_assert_msg(nearest_f16(got, exact), "fma 0x%04x 0x%04x 0x%04x = 0x%04x", a, b, c, got);
        uint32_t fx = ptx_test_bits32((float)x) & 0xffff0000u, fy = ptx_test_bits32((float)y) & 0xffff0000u;
        uint16_t ba = (uint16_t)(fx >> 16), bb = (uint16_t)(fy >> 16);
        float bsum = ptx_test_f32(fx) + ptx_test_f32(fy), bprod = ptx_test_f32(fx) * ptx_test_f32(fy);
        struct ptx_insn badd = ptx_test_insn(PTX_OP_ADD, PTX_T_BF16), bmul = ptx_test_insn(PTX_OP_MUL, PTX_T_BF16);
        uint32_t us = ptx_test_bits32(bsum), up = ptx_test_bits32(bprod);
        ck_assert_uint_eq(ptx_test_eval(&badd, ba, bb, 0), (us + 0x7fffu + ((us >> 16) & 1)) >> 16);
        ck_assert_uint_eq(ptx_test_eval(&bmul, ba, bb, 0), (up + 0x7fffu + ((up >> 16) & 1)) >> 16);
    }
    struct ptx_insn min = ptx_test_insn(PTX_OP_MIN, PTX_T_F16), max = ptx_test_insn(PTX_OP_MAX, PTX_T_BF16);
    ck_assert_uint_eq(ptx_test_eval(&min, 0x4000, 0xc000, 0), 0xc000);  /* min(2, -2) */
    ck_assert_uint_eq(ptx_test_eval(&min, 0x7e00, 0x3c00, 0), 0x3c00);  /* a NaN yields the other */
    ck_assert_uint_eq(ptx_test_eval(&min, 0x0000, 0x8000, 0), 0x8000);  /* -0 below +0 */
    ck_assert_uint_eq(ptx_test_eval(&max, 0x3f80, 0x4040, 0), 0x4040);  /* max(1, 3) */
    struct ptx_insn neg = ptx_test_insn(PTX_OP_NEG, PTX_T_F16), abs_ = ptx_test_insn(PTX_OP_ABS, PTX_T_BF16);
    ck_assert_uint_eq(ptx_test_eval(&neg, 0x3c00, 0, 0), 0xbc00);
    ck_assert_uint_eq(ptx_test_eval(&abs_, 0xbf80, 0, 0), 0x3f80);
    struct ptx_insn pair = ptx_test_insn(PTX_OP_ADD, PTX_T_F16X2);
    ck_assert_uint_eq(ptx_test_eval(&pair, 0x40003c00u, 0x3c004000u, 0), 0x42004200u); /* (1+2, 2+1) */
    struct ptx_insn bpair = ptx_test_insn(PTX_OP_FMA, PTX_T_BF16X2);
    bpair.rounding = RN;
    ck_assert_uint_eq(ptx_test_eval(&bpair, 0x40003f80u, 0x40404000u, 0x3f803f80u), 0x40e04040u); /* 1*2+1, 2*3+1 */
    /* 1.75 * 1.15625 is 2 + 3 * 2^-7, the midpoint of two bf16 values; -2^-100 puts the exact sum just below it,
     * which double precision alone would round back onto the midpoint (and then to the even neighbour). */
    struct ptx_insn bfma = ptx_test_insn(PTX_OP_FMA, PTX_T_BF16);
    bfma.rounding = RN;
    ck_assert_uint_eq(ptx_test_eval(&bfma, 0x3fe0, 0x3f94, 0x8d80), 0x4001);
    ck_assert_uint_eq(ptx_test_eval(&bfma, 0x3fe0, 0x3f94, 0x0d80), 0x4002);
    struct ptx_insn sat = ptx_test_insn(PTX_OP_ADD, PTX_T_F16);
    sat.flags = PTX_FLAG_SAT;
    ck_assert_uint_eq(ptx_test_eval(&sat, 0x3c00, 0x3c00, 0), 0x3c00);  /* 2 clamps to 1 */
    ck_assert_uint_eq(ptx_test_eval(&sat, 0xbc00, 0x3800, 0), 0x0000);  /* -0.5 clamps to 0 */
    struct ptx_insn directed = ptx_test_insn(PTX_OP_ADD, PTX_T_F16);
    directed.rounding = RZ;
    const char *why = NULL;
    ck_assert(!ptx_scalar_supported(&directed, &why));
}
END_TEST

START_TEST(directed_rounding_random)
{
    static const unsigned ops[] = {PTX_OP_ADD, PTX_OP_MUL, PTX_OP_FMA, PTX_OP_DIV, PTX_OP_SQRT};
    static const unsigned modes[] = {RZ, RM, RP, RN};
    uint64_t seed = 0xfeedbeef;
    long checked = 0;
    for (size_t o = 0; o < N(ops); o++) {
        for (int i = 0; i < 120000; i++) {
            unsigned rnd = modes[i % 4];
            float a = random_float(&seed), b = random_float(&seed), c = random_float(&seed);
            if (i % 5 == 0) /* near-cancellation */
                c = -(float)((double)a * b);
            if (ops[o] == PTX_OP_SQRT)
                a = fabsf(a);
            double hi, lo;
            switch (ops[o]) {
            case PTX_OP_ADD: { /* two-sum: exact error of the double sum */
                hi = (double)a + b;
                double bv = hi - a;
                lo = ((double)a - (hi - bv)) + ((double)b - bv);
                break;
            }
            case PTX_OP_MUL: /* exact in double: 48 bits */
                hi = (double)a * b;
                lo = 0;
                break;
            case PTX_OP_FMA: {
                double p = (double)a * b; /* exact */
                hi = p + c;
                double bv = hi - p;
                lo = (p - (hi - bv)) + ((double)c - bv);
                break;
            }
            case PTX_OP_DIV: { /* the remainder a - q b is exact and tells on which side of q the quotient is */
                hi = (double)a / b;
                double rem = fma(-hi, (double)b, (double)a);
                lo = (rem == 0) ? 0 : ((rem > 0) == (b > 0) ? 0x1p-1074 : -0x1p-1074);
                break;
            }
            default: { /* sqrt: the sign of a - s^2 tells the side */
                hi = sqrt((double)a);
                double rem = fma(-hi, hi, (double)a);
                lo = rem == 0 ? 0 : rem > 0 ? 0x1p-1074 : -0x1p-1074;
                break;
            }
            }
            if (!isfinite(hi) || (hi == 0 && lo == 0))
                continue; /* exact zeros: their signs are in the hand-checked table */
            float want = reference_round(hi, lo, rnd);
            struct ptx_insn in = ptx_test_insn(ops[o], PTX_T_F32);
            in.rounding = (uint8_t)rnd;
            uint64_t got = ptx_test_eval(&in, ptx_test_bits32(a), ptx_test_bits32(b), ptx_test_bits32(c));
            ck_assert_msg(got == ptx_test_bits32(want),
                          "op %u mode %u a=%a b=%a c=%a: got 0x%08llx want 0x%08x", ops[o], rnd, (double)a,
                          (double)b, (double)c, (unsigned long long)got, ptx_test_bits32(want));
            checked++;
        }
    }
    ck_assert_int_gt(checked, 500000);
    ck_assert_int_eq(fegetround(), FE_TONEAREST); /* the host mode is restored */
}
END_TEST

/* ulps between a float result and a long double reference, in units of the reference's float ulp */
static double ulp_error(float got, long double ref)
{
    int e;
    frexpl(ref, &e);
    long double ulp = ldexpl(1.0L, (e - 24 < -149 ? -149 : e - 24));
    return (double)(fabsl((long double)got - ref) / ulp);
}

START_TEST(approx_accuracy)
{
    uint64_t seed = 4242;
    double worst_ex2 = 0, worst_lg2 = 0, worst_sin = 0, worst_cos = 0, worst_tanh = 0, worst_rsqrt = 0;
    double worst_big_sin = 0, worst_rsqrt64 = 0, worst_div = 0;
    for (int i = 0; i < 1000000; i++) {
        uint64_t r = ptx_test_rand(&seed);
        double t = (double)(r >> 11) * 0x1p-53; /* [0, 1) */
        float x = (float)(-150.0 + 278.0 * t);
        worst_ex2 = fmax(worst_ex2, ulp_error(ptx_approx_ex2_f32(x), exp2l(x)));
        float y = ptx_test_f32((uint32_t)(r >> 8) & 0x7fffffffu);
        if (y == y && y != INFINITY && y != 0) {
            long double ref = log2l(y);
            double err = (double)fabsl(ptx_approx_lg2_f32(y) - ref);
            worst_lg2 = fmax(worst_lg2, fabsl(ref) < 1 ? err : err / (double)fabsl(ref));
            worst_rsqrt = fmax(worst_rsqrt,
                               (double)(fabsl(ptx_approx_rsqrt_f32(y) - 1 / sqrtl(y)) * sqrtl(y)));
            ck_assert_uint_eq(ptx_test_bits32(ptx_approx_sqrt_f32(y)), ptx_test_bits32(sqrtf(y)));
        }
        float s = (float)(-M_PI + 2 * M_PI * t);
        worst_sin = fmax(worst_sin, (double)fabsl(ptx_approx_sin_f32(s) - sinl(s)));
        worst_cos = fmax(worst_cos, (double)fabsl(ptx_approx_cos_f32(s) - cosl(s)));
        float big = ptx_test_f32((uint32_t)(r >> 8) & 0x7f7fffffu) * ((r & 1) ? -1.0f : 1.0f);
        if (big - big == 0) {
            worst_big_sin = fmax(worst_big_sin, (double)fabsl(ptx_approx_sin_f32(big) - sinl(big)));
            worst_big_sin = fmax(worst_big_sin, (double)fabsl(ptx_approx_cos_f32(big) - cosl(big)));
        }
        float h = (float)((t - 0.5) * 24.0) * ((r & 2) ? 1.0f : 1e-3f);
        if (h != 0) {
            long double ref = tanhl(h);
            worst_tanh = fmax(worst_tanh, (double)(fabsl(ptx_approx_tanh_f32(h) - ref) / fabsl(ref)));
        }
        double d = ptx_approx_f64(r & 0x7fefffffffffffffull);
        if (d != 0) {
            long double ref = 1 / sqrtl(d);
            worst_rsqrt64 = fmax(worst_rsqrt64, (double)(fabsl(ptx_approx_rsqrt_f64(d) - ref) / ref));
        }
        float na = random_float(&seed), nb = random_float(&seed);
        float bb = fabsf(nb);
        if (bb >= 0x1p-126f && bb <= 0x1p126f) {
            long double q = (long double)na / nb;
            float got = ptx_approx_div_approx_f32(na, nb);
            if (fabsl(q) < 0x1p127L && fabsl(q) > 0x1p-126L)
                worst_div = fmax(worst_div, ulp_error(got, q));
        }
    }
    printf("ptx_approx worst: ex2 %.3f ulp, lg2 2^%.1f, sin 2^%.1f, cos 2^%.1f (any x 2^%.1f), tanh 2^%.1f rel, "
           "rsqrt.f32 2^%.1f rel, rsqrt.f64 2^%.1f rel, div.approx %.3f ulp\n",
           worst_ex2, log2(worst_lg2), log2(worst_sin), log2(worst_cos), log2(worst_big_sin), log2(worst_tanh),
           log2(worst_rsqrt), log2(worst_rsqrt64), worst_div);
    ck_assert(worst_ex2 <= 2.0);            /* PTX: 2 ulp */
    ck_assert(worst_lg2 <= exp2(-22.6));      /* PTX: 2^-22.6 absolute */
    ck_assert(worst_sin <= exp2(-20.9));      /* PTX: 2^-20.9 absolute in [-pi, pi] */
    ck_assert(worst_cos <= exp2(-20.9));
    ck_assert(worst_big_sin <= exp2(-20.9));  /* kept everywhere by the exact reduction */
    ck_assert(worst_tanh <= exp2(-10.987));   /* PTX: 2^-10.987 relative */
    ck_assert(worst_rsqrt <= exp2(-22.9));    /* PTX: 2^-22.9 relative */
    ck_assert(worst_rsqrt64 <= 0x1p-50);
    ck_assert(worst_div <= 2.0);            /* PTX: 2 ulp */
}
END_TEST

void ptx_scalar_add_fp_tests(Suite *suite)
{
    TCase *tc = tcase_create("float");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, float_arithmetic);
    tcase_add_test(tc, conversions);
    tcase_add_test(tc, half_conversions);
    tcase_add_test(tc, half_arithmetic);
    tcase_add_test(tc, directed_rounding_random);
    tcase_add_test(tc, approx_accuracy);
    suite_add_tcase(suite, tc);
}
