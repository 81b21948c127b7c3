/* The HiGPU kernels' launch test cases (guest/kernels) and how to fill, pack, expect and compare them. */
#include "gpu_kernel_cases.h"

#include <stdio.h>
#include <string.h>

#include "gpu_reference.h"

#define BUF(i) {.kind = GKC_ARG_BUFFER, .buffer = (i)}
#define NUL {.kind = GKC_ARG_NULL}
#define S32(v) {.kind = GKC_ARG_S32, .s32 = (v)}
#define U64(v) {.kind = GKC_ARG_U64, .u64 = (v)}
#define F32(v) {.kind = GKC_ARG_F32, .f32 = (v)}
#define DIM(x, y, z) {(x), (y), (z)}
#define INPUT(name, bytes, init, seed) {(name), (bytes), (init), (seed), GKC_CMP_NONE, 0}
#define OUTPUT(name, bytes) {(name), (bytes), GKC_INIT_ZERO, 0, GKC_CMP_BITS, 0}

/* The expectations read sizes from the case's own launches, so that each figure is written once. */
static int32_t arg_s32(const struct gkc_case *c, unsigned l, unsigned a)
{
    return c->launches[l].args[a].s32;
}

static void expect_vector_add(const struct gkc_case *c, uint8_t *const buf[])
{
    gref_vector_add((const float *)buf[0], (const float *)buf[1], (float *)buf[2], (size_t)arg_s32(c, 0, 3));
}

static void expect_reduce_f32(const struct gkc_case *c, uint8_t *const buf[])
{
    const struct gkc_launch *l = &c->launches[0];
    gref_reduce_sum_f32((const float *)buf[0], arg_s32(c, 0, 2), l->grid.x, l->block.x, (float *)buf[1]);
}

static void expect_reduce_f32_atomic(const struct gkc_case *c, uint8_t *const buf[])
{
    const struct gkc_launch *l = &c->launches[0];
    float *out = (float *)buf[1];
    *out += gref_reduce_sum_f32_atomic((const float *)buf[0], arg_s32(c, 0, 2), l->grid.x, l->block.x);
}

static void expect_reduce_u32(const struct gkc_case *c, uint8_t *const buf[])
{
    uint32_t *out = (uint32_t *)buf[1];
    *out = gref_reduce_sum_u32((const uint32_t *)buf[0], arg_s32(c, 0, 2), *out);
}

static void expect_gemm(const struct gkc_case *c, uint8_t *const buf[])
{
    gref_gemm_tiled((const float *)buf[0], (const float *)buf[1], (float *)buf[2], arg_s32(c, 0, 3),
                    arg_s32(c, 0, 4), arg_s32(c, 0, 5));
}

static void expect_softmax(const struct gkc_case *c, uint8_t *const buf[])
{
    const struct gkc_launch *l = &c->launches[0];
    gref_softmax_rows((const float *)buf[0], (float *)buf[1], l->grid.x, arg_s32(c, 0, 2), l->block.x);
}

static void expect_histogram(const struct gkc_case *c, uint8_t *const buf[])
{
    gref_histogram256(buf[0], arg_s32(c, 0, 2), (uint32_t *)buf[1]);
}

/* Launch 0 scans blocks and writes block sums, launch 1 scans the block sums, launch 2 adds the offsets. */
static void expect_scan_three_pass(const struct gkc_case *c, uint8_t *const buf[])
{
    int32_t n = arg_s32(c, 0, 3), blocks = (int32_t)c->launches[0].grid.x;
    gref_scan_block_i32((const int32_t *)buf[0], (int32_t *)buf[1], (int32_t *)buf[2], n, c->launches[0].block.x);
    gref_scan_inclusive_i32((const int32_t *)buf[2], (int32_t *)buf[3], blocks);
    gref_scan_inclusive_i32((const int32_t *)buf[0], (int32_t *)buf[1], n);
}

static void expect_scan_block(const struct gkc_case *c, uint8_t *const buf[])
{
    gref_scan_block_i32((const int32_t *)buf[0], (int32_t *)buf[1], (int32_t *)buf[2], arg_s32(c, 0, 3),
                        c->launches[0].block.x);
}

static void expect_copy(const struct gkc_case *c, uint8_t *const buf[])
{
    memcpy(buf[1], buf[0], c->buffers[1].bytes);
}

static uint32_t launch_threads(const struct gkc_launch *l)
{
    return l->grid.x * l->grid.y * l->grid.z * l->block.x * l->block.y * l->block.z;
}

static void expect_fma_bound(const struct gkc_case *c, uint8_t *const buf[])
{
    const struct gkc_launch *l = &c->launches[0];
    gref_fma_bound((float *)buf[0], launch_threads(l), l->args[1].f32, l->args[2].f32, l->args[3].s32);
}

static void expect_pointer_chase(const struct gkc_case *c, uint8_t *const buf[])
{
    gref_pointer_chase((const uint32_t *)buf[0], (uint32_t *)buf[1], launch_threads(&c->launches[0]),
                       arg_s32(c, 0, 2));
}

static void expect_atomics(const struct gkc_case *c, uint8_t *const buf[])
{
    gref_atomics_mix((const int32_t *)buf[2], arg_s32(c, 0, 3), (int32_t *)buf[0], (double *)buf[1]);
}

static void expect_warp_vote(const struct gkc_case *c, uint8_t *const buf[])
{
    gref_warp_vote((const int32_t *)buf[0], arg_s32(c, 0, 4), launch_threads(&c->launches[0]), (uint32_t *)buf[1],
                   (int32_t *)buf[2], (int32_t *)buf[3]);
}

static void expect_transpose(const struct gkc_case *c, uint8_t *const buf[])
{
    gref_transpose2d((const float *)buf[0], (float *)buf[1], arg_s32(c, 0, 2), arg_s32(c, 0, 3));
}

static void expect_grid3d(const struct gkc_case *c, uint8_t *const buf[])
{
    const struct gkc_launch *l = &c->launches[0];
    const uint32_t grid[3] = {l->grid.x, l->grid.y, l->grid.z}, block[3] = {l->block.x, l->block.y, l->block.z};
    gref_grid3d_ids((uint32_t *)buf[0], grid, block);
}

/* Until gref_ex2_approx_ftz_f32 is the GPU's exact ex2 (gpu_reference_float.c), softmax is compared within a
 * few ulps; the case table sets SOFTMAX_ULPS and gkc_compare_buffer uses 0 once it is exact. */
enum { SOFTMAX_ULPS = 8 };

static const struct gkc_case cases[] = {
    {"vector_add", "guest/kernels/vector_add.ptx", 3,
     {INPUT("a", 4000, GKC_INIT_F32_UNIFORM, 1), INPUT("b", 4000, GKC_INIT_F32_UNIFORM, 2),
      OUTPUT("c", 4000)},
     1, {{"vector_add", DIM(4, 1, 1), DIM(256, 1, 1), 0, 4, {BUF(0), BUF(1), BUF(2), S32(1000)}}},
     expect_vector_add},
    {"reduce_sum_f32", "guest/kernels/reduction.ptx", 2,
     {INPUT("in", 400000, GKC_INIT_F32_UNIFORM, 3), OUTPUT("partials", 32 * 4)},
     1, {{"reduce_sum_f32", DIM(32, 1, 1), DIM(256, 1, 1), 0, 3, {BUF(0), BUF(1), S32(100000)}}},
     expect_reduce_f32},
    {"reduce_sum_f32_block1024", "guest/kernels/reduction.ptx", 2,
     {INPUT("in", 20000, GKC_INIT_F32_UNIFORM, 4), OUTPUT("partials", 3 * 4)},
     1, {{"reduce_sum_f32", DIM(3, 1, 1), DIM(1024, 1, 1), 0, 3, {BUF(0), BUF(1), S32(5000)}}},
     expect_reduce_f32},
    {"reduce_sum_f32_block64", "guest/kernels/reduction.ptx", 2,
     {INPUT("in", 12000, GKC_INIT_F32_UNIFORM, 5), OUTPUT("partials", 7 * 4)},
     1, {{"reduce_sum_f32", DIM(7, 1, 1), DIM(64, 1, 1), 0, 3, {BUF(0), BUF(1), S32(3000)}}},
     expect_reduce_f32},
    {"reduce_sum_f32_atomic", "guest/kernels/reduction.ptx", 2,
     {INPUT("in", 16384, GKC_INIT_F32_UNIFORM, 6), OUTPUT("out", 4)},
     1, {{"reduce_sum_f32_atomic", DIM(2, 1, 1), DIM(128, 1, 1), 0, 3, {BUF(0), BUF(1), S32(4096)}}},
     expect_reduce_f32_atomic},
    {"reduce_sum_u32", "guest/kernels/reduction.ptx", 2,
     {INPUT("in", 400012, GKC_INIT_U32_SMALL, 7), OUTPUT("out", 4)},
     1, {{"reduce_sum_u32", DIM(40, 1, 1), DIM(256, 1, 1), 0, 3, {BUF(0), BUF(1), S32(100003)}}},
     expect_reduce_u32},
    {"gemm_64", "guest/kernels/gemm.ptx", 3,
     {INPUT("A", 64 * 64 * 4, GKC_INIT_F32_UNIFORM, 8),
      INPUT("B", 64 * 64 * 4, GKC_INIT_F32_UNIFORM, 9),
      OUTPUT("C", 64 * 64 * 4)},
     1, {{"gemm_tiled", DIM(4, 4, 1), DIM(16, 16, 1), 0, 6, {BUF(0), BUF(1), BUF(2), S32(64), S32(64), S32(64)}}},
     expect_gemm},
    {"gemm_ragged", "guest/kernels/gemm.ptx", 3,
     {INPUT("A", 37 * 29 * 4, GKC_INIT_F32_UNIFORM, 10),
      INPUT("B", 29 * 53 * 4, GKC_INIT_F32_UNIFORM, 11),
      OUTPUT("C", 37 * 53 * 4)},
     1, {{"gemm_tiled", DIM(4, 3, 1), DIM(16, 16, 1), 0, 6, {BUF(0), BUF(1), BUF(2), S32(37), S32(53), S32(29)}}},
     expect_gemm},
    {"softmax_rows", "guest/kernels/softmax.ptx", 2,
     {INPUT("in", 8 * 1000 * 4, GKC_INIT_F32_WIDE, 12),
      {"out", 8 * 1000 * 4, GKC_INIT_ZERO, 0, GKC_CMP_F32_ULPS, SOFTMAX_ULPS}},
     1, {{"softmax_rows", DIM(8, 1, 1), DIM(256, 1, 1), 0, 3, {BUF(0), BUF(1), S32(1000)}}},
     expect_softmax},
    {"softmax_narrow", "guest/kernels/softmax.ptx", 2,
     {INPUT("in", 4 * 50 * 4, GKC_INIT_F32_WIDE, 13),
      {"out", 4 * 50 * 4, GKC_INIT_ZERO, 0, GKC_CMP_F32_ULPS, SOFTMAX_ULPS}},
     1, {{"softmax_rows", DIM(4, 1, 1), DIM(64, 1, 1), 0, 3, {BUF(0), BUF(1), S32(50)}}},
     expect_softmax},
    {"histogram256", "guest/kernels/histogram.ptx", 2,
     {INPUT("data", 100000, GKC_INIT_BYTES, 14), OUTPUT("bins", 256 * 4)},
     1, {{"histogram256", DIM(16, 1, 1), DIM(256, 1, 1), 0, 3, {BUF(0), BUF(1), S32(100000)}}},
     expect_histogram},
    {"scan_three_pass", "guest/kernels/scan.ptx", 4,
     {INPUT("in", 40000, GKC_INIT_I32_SMALL, 15), OUTPUT("out", 40000),
      OUTPUT("block_sums", 40 * 4), OUTPUT("offsets", 40 * 4)},
     3,
     {{"scan_block_i32", DIM(40, 1, 1), DIM(256, 1, 1), 2 * 256 * 4, 4, {BUF(0), BUF(1), BUF(2), S32(10000)}},
      {"scan_block_i32", DIM(1, 1, 1), DIM(64, 1, 1), 2 * 64 * 4, 4, {BUF(2), BUF(3), NUL, S32(40)}},
      {"scan_add_offsets_i32", DIM(40, 1, 1), DIM(256, 1, 1), 0, 3, {BUF(1), BUF(3), S32(10000)}}},
     expect_scan_three_pass},
    {"scan_one_block", "guest/kernels/scan.ptx", 3,
     {INPUT("in", 4000, GKC_INIT_I32_SMALL, 16), OUTPUT("out", 4000),
      OUTPUT("block_sums", 4)},
     1, {{"scan_block_i32", DIM(1, 1, 1), DIM(1024, 1, 1), 2 * 1024 * 4, 4, {BUF(0), BUF(1), BUF(2), S32(1000)}}},
     expect_scan_block},
    {"stream_copy", "guest/kernels/stream_copy.ptx", 2,
     {INPUT("src", 1 << 20, GKC_INIT_F32_UNIFORM, 17), OUTPUT("dst", 1 << 20)},
     1, {{"stream_copy", DIM(132, 1, 1), DIM(256, 1, 1), 0, 3, {BUF(0), BUF(1), U64((1 << 20) / 16)}}},
     expect_copy},
    {"fma_bound", "guest/kernels/fma_bound.ptx", 1,
     {OUTPUT("out", 1024 * 4)},
     1, {{"fma_bound", DIM(8, 1, 1), DIM(128, 1, 1), 0, 4, {BUF(0), F32(0.999f), F32(0.001f), S32(256)}}},
     expect_fma_bound},
    {"pointer_chase", "guest/kernels/latency_bound.ptx", 2,
     {INPUT("next", 65536 * 4, GKC_INIT_CHASE, 18), OUTPUT("out", 4096 * 4)},
     1, {{"pointer_chase", DIM(16, 1, 1), DIM(256, 1, 1), 0, 3, {BUF(0), BUF(1), S32(64)}}},
     expect_pointer_chase},
    /* The same chase with 48 KiB of dynamic shared memory per block: fewer resident blocks, the same results. */
    {"pointer_chase_low_occupancy", "guest/kernels/latency_bound.ptx", 2,
     {INPUT("next", 65536 * 4, GKC_INIT_CHASE, 18), OUTPUT("out", 4096 * 4)},
     1, {{"pointer_chase", DIM(16, 1, 1), DIM(256, 1, 1), 48 * 1024, 3, {BUF(0), BUF(1), S32(64)}}},
     expect_pointer_chase},
    {"atomics_mix", "guest/kernels/atomics.ptx", 3,
     {{"counters", 6 * 4, GKC_INIT_ATOMIC_START, 0, GKC_CMP_BITS, 0}, OUTPUT("dsum", 8),
      INPUT("vals", 5000 * 4, GKC_INIT_I32_SMALL, 19)},
     1, {{"atomics_mix", DIM(20, 1, 1), DIM(256, 1, 1), 0, 4, {BUF(0), BUF(1), BUF(2), S32(5000)}}},
     expect_atomics},
    {"warp_vote", "guest/kernels/warp_vote.ptx", 4,
     {INPUT("in", 1000 * 4, GKC_INIT_VOTE, 20), OUTPUT("ballots", 32 * 4),
      OUTPUT("all", 32 * 4), OUTPUT("any", 32 * 4)},
     1, {{"warp_vote", DIM(4, 1, 1), DIM(256, 1, 1), 0, 5, {BUF(0), BUF(1), BUF(2), BUF(3), S32(1000)}}},
     expect_warp_vote},
    {"transpose2d", "guest/kernels/grids.ptx", 2,
     {INPUT("in", 100 * 70 * 4, GKC_INIT_F32_UNIFORM, 21),
      OUTPUT("out", 100 * 70 * 4)},
     1, {{"transpose2d", DIM(3, 4, 1), DIM(32, 8, 1), 0, 4, {BUF(0), BUF(1), S32(100), S32(70)}}},
     expect_transpose},
    {"grid3d_ids", "guest/kernels/grids.ptx", 1,
     {OUTPUT("out", 3 * 2 * 2 * 8 * 4 * 2 * 2 * 4)},
     1, {{"grid3d_ids", DIM(3, 2, 2), DIM(8, 4, 2), 0, 1, {BUF(0)}}},
     expect_grid3d},
};

const struct gkc_case *gkc_cases(unsigned *count)
{
    *count = sizeof cases / sizeof cases[0];
    return cases;
}

const struct gkc_case *gkc_case_find(const char *name)
{
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(cases[i].name, name) == 0)
            return &cases[i];
    return NULL;
}

void gkc_fill(const struct gkc_case *c, unsigned index, uint8_t *out)
{
    const struct gkc_buffer *b = &c->buffers[index];
    size_t words = b->bytes / 4;
    memset(out, 0, b->bytes);
    switch (b->init) {
    case GKC_INIT_ZERO: break;
    case GKC_INIT_F32_UNIFORM: gref_fill_f32_uniform((float *)out, words, b->seed); break;
    case GKC_INIT_F32_DYADIC: gref_fill_f32_dyadic((float *)out, words, b->seed); break;
    case GKC_INIT_F32_WIDE: gref_fill_f32_wide((float *)out, words, b->seed); break;
    case GKC_INIT_U32_SMALL: gref_fill_u32_below((uint32_t *)out, words, b->seed, 1024); break;
    case GKC_INIT_I32_SMALL: gref_fill_i32_range((int32_t *)out, words, b->seed, -1000, 1000); break;
    case GKC_INIT_BYTES: gref_fill_bytes(out, b->bytes, b->seed); break;
    case GKC_INIT_CHASE: gref_fill_chase((uint32_t *)out, words, b->seed); break;
    case GKC_INIT_VOTE: gref_fill_vote((int32_t *)out, words, b->seed); break;
    case GKC_INIT_ATOMIC_START: gref_atomics_start((int32_t *)out); break;
    }
}

void gkc_expected(const struct gkc_case *c, uint8_t *const buf[])
{
    for (unsigned i = 0; i < c->nbuffers; i++)
        gkc_fill(c, i, buf[i]);
    c->expect(c, buf);
}

uint32_t gkc_pack_params(const struct gkc_case *c, unsigned l, const uint64_t *addresses, uint8_t *out,
                         uint32_t size)
{
    const struct gkc_launch *launch = &c->launches[l];
    uint32_t offset = 0;
    for (unsigned a = 0; a < launch->nargs; a++) {
        const struct gkc_arg *arg = &launch->args[a];
        uint8_t value[8];
        uint32_t width = 8;
        uint64_t u = 0;
        switch (arg->kind) {
        case GKC_ARG_BUFFER: u = addresses[arg->buffer]; break;
        case GKC_ARG_NULL: break;
        case GKC_ARG_U64: u = arg->u64; break;
        case GKC_ARG_S32: u = (uint32_t)arg->s32; width = 4; break;
        case GKC_ARG_F32: memcpy(value, &arg->f32, 4); width = 4; break;
        }
        if (arg->kind != GKC_ARG_F32)
            for (unsigned k = 0; k < 8; k++)
                value[k] = (uint8_t)(u >> (8 * k)); /* little-endian, as the GPU reads .param */
        offset = (offset + width - 1) / width * width;
        if (offset + width > size)
            return 0;
        memcpy(out + offset, value, width);
        offset += width;
    }
    return offset;
}

/* Floats as integers that are ordered like the floats, so that their difference counts ulps. */
static int64_t f32_ordered(const uint8_t *p)
{
    int32_t i;
    memcpy(&i, p, 4);
    return i < 0 ? (int64_t)INT32_MIN - i : i;
}

bool gkc_compare_buffer(const struct gkc_case *c, unsigned index, const uint8_t *got, const uint8_t *want,
                        char *where, unsigned where_size)
{
    const struct gkc_buffer *b = &c->buffers[index];
    uint32_t ulps = b->compare == GKC_CMP_F32_ULPS && !gref_ex2_is_exact ? b->ulps : 0;
    for (uint64_t off = 0; off + 4 <= b->bytes; off += 4) {
        int64_t d = f32_ordered(got + off) - f32_ordered(want + off);
        bool ok = b->compare == GKC_CMP_NONE || memcmp(got + off, want + off, 4) == 0 ||
                  (d >= -(int64_t)ulps && d <= (int64_t)ulps);
        if (!ok) {
            uint32_t g, w;
            memcpy(&g, got + off, 4);
            memcpy(&w, want + off, 4);
            snprintf(where, where_size, "%s: %s[%llu] is 0x%08x, expected 0x%08x", c->name, b->name,
                     (unsigned long long)(off / 4), g, w);
            return false;
        }
    }
    uint64_t tail = b->bytes / 4 * 4;
    if (b->compare != GKC_CMP_NONE && memcmp(got + tail, want + tail, b->bytes - tail) != 0) {
        snprintf(where, where_size, "%s: %s differs in its last %llu bytes", c->name, b->name,
                 (unsigned long long)(b->bytes - tail));
        return false;
    }
    return true;
}
