/* Helpers shared by the per-lane semantics files (ptx_scalar*.c): widths, sign extension, float bits, flushing. */
#ifndef VDC_DEVICES_HIGPU_PTX_SCALAR_IMPL_H
#define VDC_DEVICES_HIGPU_PTX_SCALAR_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ptx/ptx_scalar.h"

/* The NaN every f32 operation produces when its result is NaN (what NVIDIA GPUs return), and its f64
 * counterpart (a choice: the f64 payload is not documented; see docs/higpu.md). */
#define PSC_NAN32 UINT64_C(0x7fffffff)
#define PSC_NAN64 UINT64_C(0x7fffffffffffffff)

/* Bits of one value of `t` (PRED 1). */
static inline unsigned psc_width(enum ptx_type t)
{
    switch (t) {
    case PTX_T_PRED: return 1;
    case PTX_T_B8: case PTX_T_U8: case PTX_T_S8: return 8;
    case PTX_T_B16: case PTX_T_U16: case PTX_T_S16: case PTX_T_F16: case PTX_T_BF16: return 16;
    case PTX_T_B32: case PTX_T_U32: case PTX_T_S32: case PTX_T_F32: case PTX_T_F16X2: case PTX_T_BF16X2: return 32;
    case PTX_T_B64: case PTX_T_U64: case PTX_T_S64: case PTX_T_F64: return 64;
    default: return 0;
    }
}

static inline bool psc_is_signed(enum ptx_type t) { return t >= PTX_T_S8 && t <= PTX_T_S64; }
static inline bool psc_is_int(enum ptx_type t) { return t >= PTX_T_B8 && t <= PTX_T_S64; }

static inline uint64_t psc_mask(unsigned width) { return width >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << width) - 1; }

/* The low `width` bits of v, sign-extended. */
static inline int64_t psc_sext(uint64_t v, unsigned width)
{
    if (width >= 64)
        return (int64_t)v;
    uint64_t sign = UINT64_C(1) << (width - 1);
    v &= psc_mask(width);
    return (int64_t)((v ^ sign) - sign);
}

static inline float psc_f32(uint64_t v)
{
    uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t psc_u32_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline double psc_f64(uint64_t v)
{
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

static inline uint64_t psc_u64_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline bool psc_isnan32(uint32_t u) { return (u & 0x7fffffffu) > 0x7f800000u; }
static inline bool psc_isnan64(uint64_t u) { return (u & ~(UINT64_C(1) << 63)) > UINT64_C(0x7ff0000000000000); }

/* A subnormal f32 becomes a zero of the same sign (.ftz on inputs and results). */
static inline uint32_t psc_flush32(uint32_t u) { return (u & 0x7f800000u) == 0 ? u & 0x80000000u : u; }
static inline uint64_t psc_flush64(uint64_t u)
{
    return (u & UINT64_C(0x7ff0000000000000)) == 0 ? u & (UINT64_C(1) << 63) : u;
}

/* An f32 result as it leaves the unit: NaN made canonical, flushed under .ftz. */
static inline uint64_t psc_out32(float r)
{
    uint32_t u = psc_u32_of(r);
    return psc_isnan32(u) ? PSC_NAN32 : u;
}
static inline uint64_t psc_out32_ftz(float r)
{
    uint32_t u = psc_u32_of(r);
    return psc_isnan32(u) ? PSC_NAN32 : psc_flush32(u);
}
static inline uint64_t psc_out64(double r)
{
    uint64_t u = psc_u64_of(r);
    return psc_isnan64(u) ? PSC_NAN64 : u;
}

/* .sat on floats: clamp to [0, 1], NaN to +0 (the result is already canonical). */
static inline uint64_t psc_sat32(uint64_t u)
{
    if (psc_isnan32((uint32_t)u) || (u & 0x80000000u))
        return 0;
    return u > 0x3f800000u ? 0x3f800000u : u;
}
static inline uint64_t psc_sat64(uint64_t u)
{
    if (psc_isnan64(u) || (u >> 63))
        return 0;
    return u > UINT64_C(0x3ff0000000000000) ? UINT64_C(0x3ff0000000000000) : u;
}

/* Directed rounding (ptx_scalar_round.c, the one file built with -frounding-math): IEEE operations in rounding
 * mode `rnd` (PTX_RND_RN/RZ/RM/RP). Results are raw IEEE (NaN not yet canonical, not flushed). */
enum psc_fop { PSC_FADD, PSC_FSUB, PSC_FMUL, PSC_FDIV, PSC_FFMA, PSC_FSQRT, PSC_FCVT };
float ptx_scalar_round_f32(enum psc_fop op, unsigned rnd, float a, float b, float c);
double ptx_scalar_round_f64(enum psc_fop op, unsigned rnd, double a, double b, double c);
/* f64 -> f32 in rounding mode rnd (cvt.rz.f32.f64 ...). */
float ptx_scalar_round_f64_to_f32(unsigned rnd, double a);
/* Integer -> float in rounding mode rnd; `is_signed` says how to read v. */
float ptx_scalar_round_int_to_f32(unsigned rnd, uint64_t v, bool is_signed);
double ptx_scalar_round_int_to_f64(unsigned rnd, uint64_t v, bool is_signed);

/* Selection per family; each returns NULL and sets *why when the form is not supported. */
ptx_scalar_fn ptx_scalar_select_int(const struct ptx_insn *insn, const char **why);
ptx_scalar_fn ptx_scalar_select_bits(const struct ptx_insn *insn, const char **why);
ptx_scalar_fn ptx_scalar_select_cmp(const struct ptx_insn *insn, const char **why);
ptx_scalar_fn ptx_scalar_select_float(const struct ptx_insn *insn, const char **why);
ptx_scalar_fn ptx_scalar_select_cvt(const struct ptx_insn *insn, const char **why);

/* f16/bf16 <-> f32 (ptx_scalar_cvt.c), used by the float and comparison files too. */
float ptx_scalar_f16_to_f32(uint16_t h);
float ptx_scalar_bf16_to_f32(uint16_t h);
uint16_t ptx_scalar_f32_to_f16(float f, unsigned rnd);
uint16_t ptx_scalar_f32_to_bf16(float f, unsigned rnd);
uint16_t ptx_scalar_f64_to_f16(double d, unsigned rnd);
uint16_t ptx_scalar_f64_to_bf16(double d, unsigned rnd);
/* Half-precision arithmetic (ptx_scalar_half.c): .f16, .bf16 and their x2 forms. */
ptx_scalar_fn ptx_scalar_select_half(const struct ptx_insn *insn, const char **why);

#endif
