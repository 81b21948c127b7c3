/* Whole-warp forms of the most frequent per-lane instructions: 32 lanes in one loop the compiler can vectorise,
 * instead of 32 calls of the per-lane function. Each gives bit for bit what ptx_scalar.c gives. */
/* Vectorised loops are the point of this file. */
#pragma GCC optimize("O3")

#include <immintrin.h>
#include <string.h>

#include "gpu/gpu_internal.h"

#define LANES for (int l = 0; l < WARP_LANES; l++)

#define BINARY(name, expr)                                                                                         \
    static void name(const uint64_t *a, const uint64_t *b, const uint64_t *c, uint64_t *d)                       \
    {                                                                                                              \
        (void)b, (void)c;                                                                                          \
        LANES d[l] = (expr);                                                                                       \
    }

BINARY(add_u32, (uint32_t)(a[l] + b[l]))
BINARY(sub_u32, (uint32_t)(a[l] - b[l]))
BINARY(mul_lo_u32, (uint32_t)((uint32_t)a[l] * (uint32_t)b[l]))
BINARY(mad_lo_u32, (uint32_t)((uint32_t)a[l] * (uint32_t)b[l] + (uint32_t)c[l]))
BINARY(add_u64, a[l] + b[l])
BINARY(sub_u64, a[l] - b[l])
BINARY(mul_lo_u64, a[l] * b[l])
BINARY(and_b32, (uint32_t)(a[l] & b[l]))
BINARY(or_b32, (uint32_t)(a[l] | b[l]))
BINARY(xor_b32, (uint32_t)(a[l] ^ b[l]))
BINARY(and_b64, a[l] & b[l])
BINARY(or_b64, a[l] | b[l])
BINARY(and_pred, a[l] & b[l] & 1)
BINARY(or_pred, (a[l] | b[l]) & 1)
BINARY(shl_b32, (uint32_t)b[l] >= 32 ? 0 : (uint32_t)((uint32_t)a[l] << (uint32_t)b[l]))
BINARY(shr_u32, (uint32_t)b[l] >= 32 ? 0 : (uint32_t)a[l] >> (uint32_t)b[l])
BINARY(shl_b64, (uint32_t)b[l] >= 64 ? 0 : a[l] << (uint32_t)b[l])
BINARY(mul_wide_u32, (uint64_t)(uint32_t)a[l] * (uint32_t)b[l])
BINARY(mul_wide_s32, (uint64_t)((int64_t)(int32_t)a[l] * (int32_t)b[l]))
BINARY(cvt_u64_u32, (uint32_t)a[l])
BINARY(cvt_s64_s32, (uint64_t)(int64_t)(int32_t)a[l])
BINARY(selp_32, (c[l] & 1) ? (uint32_t)a[l] : (uint32_t)b[l])
BINARY(selp_64, (c[l] & 1) ? a[l] : b[l])
BINARY(setp_lt_s32, (int32_t)a[l] < (int32_t)b[l])
BINARY(setp_le_s32, (int32_t)a[l] <= (int32_t)b[l])
BINARY(setp_gt_s32, (int32_t)a[l] > (int32_t)b[l])
BINARY(setp_ge_s32, (int32_t)a[l] >= (int32_t)b[l])
BINARY(setp_eq_32, (uint32_t)a[l] == (uint32_t)b[l])
BINARY(setp_ne_32, (uint32_t)a[l] != (uint32_t)b[l])
BINARY(setp_lt_u32, (uint32_t)a[l] < (uint32_t)b[l])
BINARY(setp_le_u32, (uint32_t)a[l] <= (uint32_t)b[l])
BINARY(setp_gt_u32, (uint32_t)a[l] > (uint32_t)b[l])
BINARY(setp_ge_u32, (uint32_t)a[l] >= (uint32_t)b[l])

/* f32 add and mul round to nearest like the host's SSE arithmetic; a NaN result is the canonical NaN, as from
 * ptx_scalar.c. */
static inline uint64_t f32_out(float r)
{
    uint32_t u;
    memcpy(&u, &r, 4);
    return r != r ? 0x7fffffffu : u;
}

static inline float f32_in(uint64_t v)
{
    uint32_t u = (uint32_t)v;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

BINARY(add_f32, f32_out(f32_in(a[l]) + f32_in(b[l])))
BINARY(mul_f32, f32_out(f32_in(a[l]) * f32_in(b[l])))

/* fma.rn.f32 with the host's fused multiply-add (correctly rounded, as fmaf), eight lanes at a time: the low
 * halves of eight 64-bit slots gathered into one vector, the results widened back with zeros above. */
__attribute__((target("avx2,fma"))) static __m256 low_halves(const uint64_t *v)
{
    const __m256i pick = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m256i lo = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)v), pick);
    __m256i hi = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(v + 4)), pick);
    return _mm256_castsi256_ps(_mm256_permute2x128_si256(lo, hi, 0x20));
}

__attribute__((target("avx2,fma"))) static void fma_f32_hw(const uint64_t *a, const uint64_t *b, const uint64_t *c,
                                                           uint64_t *d)
{
    const __m256 canonical_nan = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (int l = 0; l < WARP_LANES; l += 8) {
        __m256 r = _mm256_fmadd_ps(low_halves(a + l), low_halves(b + l), low_halves(c + l));
        r = _mm256_blendv_ps(r, canonical_nan, _mm256_cmp_ps(r, r, _CMP_UNORD_Q));
        __m256i bits = _mm256_castps_si256(r);
        _mm256_storeu_si256((__m256i *)(d + l), _mm256_cvtepu32_epi64(_mm256_castsi256_si128(bits)));
        _mm256_storeu_si256((__m256i *)(d + l + 4), _mm256_cvtepu32_epi64(_mm256_extracti128_si256(bits, 1)));
    }
}

static bool is_plain(const struct ptx_insn *in)
{
    return (in->flags & (PTX_FLAG_FTZ | PTX_FLAG_SAT | PTX_FLAG_CC | PTX_FLAG_APPROX)) == 0;
}

warp_alu_fn gpu_warp_alu_select(const struct ptx_insn *in)
{
    if (!is_plain(in))
        return NULL;
    enum ptx_type t = in->type;
    bool w32 = t == PTX_T_B32 || t == PTX_T_U32 || t == PTX_T_S32;
    bool w64 = t == PTX_T_B64 || t == PTX_T_U64 || t == PTX_T_S64;
    switch (in->opcode) {
    case PTX_OP_ADD:
        if (t == PTX_T_F32 && (in->rounding == PTX_RND_NONE || in->rounding == PTX_RND_RN))
            return add_f32;
        return w32 ? add_u32 : w64 ? add_u64 : NULL;
    case PTX_OP_SUB: return w32 ? sub_u32 : w64 ? sub_u64 : NULL;
    case PTX_OP_MUL:
        if (t == PTX_T_F32 && (in->rounding == PTX_RND_NONE || in->rounding == PTX_RND_RN))
            return mul_f32;
        if (in->mode == PTX_MODE_LO)
            return w32 ? mul_lo_u32 : w64 ? mul_lo_u64 : NULL;
        if (in->mode == PTX_MODE_WIDE)
            return t == PTX_T_U32 ? mul_wide_u32 : t == PTX_T_S32 ? mul_wide_s32 : NULL;
        return NULL;
    case PTX_OP_MAD:
        return in->mode == PTX_MODE_LO && w32 ? mad_lo_u32 : NULL;
    case PTX_OP_FMA:
        if (t == PTX_T_F32 && in->rounding == PTX_RND_RN && __builtin_cpu_supports("fma") &&
            __builtin_cpu_supports("avx2"))
            return fma_f32_hw;
        return NULL;
    case PTX_OP_AND: return w32 ? and_b32 : w64 ? and_b64 : t == PTX_T_PRED ? and_pred : NULL;
    case PTX_OP_OR: return w32 ? or_b32 : w64 ? or_b64 : t == PTX_T_PRED ? or_pred : NULL;
    case PTX_OP_XOR: return w32 ? xor_b32 : NULL;
    case PTX_OP_SHL: return w32 ? shl_b32 : w64 ? shl_b64 : NULL;
    case PTX_OP_SHR: return t == PTX_T_U32 || t == PTX_T_B32 ? shr_u32 : NULL;
    case PTX_OP_CVT:
        if (in->rounding != PTX_RND_NONE)
            return NULL;
        if (t == PTX_T_U64 && in->src_type == PTX_T_U32)
            return cvt_u64_u32;
        if (t == PTX_T_S64 && in->src_type == PTX_T_S32)
            return cvt_s64_s32;
        return NULL;
    case PTX_OP_SELP: return w32 || t == PTX_T_F32 ? selp_32 : w64 || t == PTX_T_F64 ? selp_64 : NULL;
    case PTX_OP_SETP:
        if (in->bool_op != PTX_BOOL_NONE || in->op[4].kind != PTX_OPND_NONE)
            return NULL;
        if (t == PTX_T_S32) {
            switch (in->cmp) {
            case PTX_CMP_LT: return setp_lt_s32;
            case PTX_CMP_LE: return setp_le_s32;
            case PTX_CMP_GT: return setp_gt_s32;
            case PTX_CMP_GE: return setp_ge_s32;
            case PTX_CMP_EQ: return setp_eq_32;
            case PTX_CMP_NE: return setp_ne_32;
            default: return NULL;
            }
        }
        if (t == PTX_T_U32 || t == PTX_T_B32) {
            switch (in->cmp) {
            case PTX_CMP_LT: case PTX_CMP_LO: return setp_lt_u32;
            case PTX_CMP_LE: case PTX_CMP_LS: return setp_le_u32;
            case PTX_CMP_GT: case PTX_CMP_HI: return setp_gt_u32;
            case PTX_CMP_GE: case PTX_CMP_HS: return setp_ge_u32;
            case PTX_CMP_EQ: return setp_eq_32;
            case PTX_CMP_NE: return setp_ne_32;
            default: return NULL;
            }
        }
        return NULL;
    default:
        return NULL;
    }
}
