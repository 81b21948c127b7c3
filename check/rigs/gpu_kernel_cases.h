/* The HiGPU kernels' test cases: buffers and their inputs, launches and their arguments, expected outputs. */
#ifndef VDC_CHECK_GPU_KERNEL_CASES_H
#define VDC_CHECK_GPU_KERNEL_CASES_H

#include <stdbool.h>
#include <stdint.h>

#include "../../src/gpu/gpu.h"

/* A launch test: allocate each buffer in device memory and fill it (gkc_fill), run the launches in order (each
 * with its arguments packed by gkc_pack_params, the buffers' device addresses standing for GKC_ARG_BUFFER),
 * read the buffers back, and compare those whose `compare` is not GKC_CMP_NONE with the contents `expect`
 * computes (gkc_expected). */

enum gkc_init {
    GKC_INIT_ZERO = 0,
    GKC_INIT_F32_UNIFORM,   /* gref_fill_f32_uniform */
    GKC_INIT_F32_DYADIC,    /* gref_fill_f32_dyadic */
    GKC_INIT_F32_WIDE,      /* gref_fill_f32_wide */
    GKC_INIT_U32_SMALL,     /* gref_fill_u32_below, bound 1024 */
    GKC_INIT_I32_SMALL,     /* gref_fill_i32_range, [-1000, 1000] */
    GKC_INIT_BYTES,         /* gref_fill_bytes */
    GKC_INIT_CHASE,         /* gref_fill_chase over the whole buffer */
    GKC_INIT_VOTE,          /* gref_fill_vote */
    GKC_INIT_ATOMIC_START,  /* gref_atomics_start */
};

enum gkc_compare {
    GKC_CMP_NONE = 0,       /* an input, or scratch whose final contents do not matter */
    GKC_CMP_BITS,           /* byte for byte */
    GKC_CMP_F32_ULPS,       /* floats within `ulps` units in the last place (only while a reference is not exact) */
};

struct gkc_buffer {
    const char *name;
    uint64_t bytes;
    enum gkc_init init;
    uint64_t seed;
    enum gkc_compare compare;
    uint32_t ulps;
};

enum gkc_arg_kind { GKC_ARG_BUFFER, GKC_ARG_NULL, GKC_ARG_S32, GKC_ARG_U64, GKC_ARG_F32 };

/* One kernel parameter, in .param order: a buffer's device address (.u64), a null pointer (.u64), or a scalar. */
struct gkc_arg {
    enum gkc_arg_kind kind;
    uint32_t buffer;        /* GKC_ARG_BUFFER: index into the case's buffers */
    int32_t s32;
    uint64_t u64;
    float f32;
};

enum { GKC_MAX_BUFFERS = 6, GKC_MAX_ARGS = 8, GKC_MAX_LAUNCHES = 3 };

struct gkc_launch {
    const char *kernel;
    struct gpu_dim grid, block;
    uint32_t dynamic_shared_bytes;
    unsigned nargs;
    struct gkc_arg args[GKC_MAX_ARGS];
};

struct gkc_case {
    const char *name;
    const char *ptx;        /* relative to the repository root */
    unsigned nbuffers;
    struct gkc_buffer buffers[GKC_MAX_BUFFERS];
    unsigned nlaunches;
    struct gkc_launch launches[GKC_MAX_LAUNCHES];
    /* On entry buf[i] holds buffer i's initial contents; on return the buffers to compare hold what the
     * launches must leave there (the others are left as they are). */
    void (*expect)(const struct gkc_case *c, uint8_t *const buf[]);
};

const struct gkc_case *gkc_cases(unsigned *count);
const struct gkc_case *gkc_case_find(const char *name);

/* Fills `out` (buffers[index].bytes long) with the buffer's initial contents. */
void gkc_fill(const struct gkc_case *c, unsigned index, uint8_t *out);

/* The expected contents of every buffer: buf[i] must be buffers[i].bytes long; filled, then `expect` run. */
void gkc_expected(const struct gkc_case *c, uint8_t *const buf[]);

/* Lays out launch `l`'s arguments as its .param list (each at its natural alignment), with `addresses[i]` the
 * device address of buffer i. Returns the size in bytes, at most `size` (0 when it does not fit). */
uint32_t gkc_pack_params(const struct gkc_case *c, unsigned l, const uint64_t *addresses, uint8_t *out,
                         uint32_t size);

/* Whether `got` matches `want` for buffer `index`; on a mismatch, `where` says at which element and how. */
bool gkc_compare_buffer(const struct gkc_case *c, unsigned index, const uint8_t *got, const uint8_t *want,
                        char *where, unsigned where_size);

#endif
