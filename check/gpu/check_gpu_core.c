/* HiGPU's SIMT executor and launch, on nvcc's PTX of check/ptx_exec/exec_tests.cu: divergence and reconvergence,
 * barriers, shuffles, votes, atomics, local and generic memory, faults, launch errors, determinism of cycles. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/common/popcount.h"
#include "../../src/gpu/gpu.h"
#include "../suites.h"
#include "../rigs/gpu_rig.h"

#define EXEC_PTX "check/ptx_exec/exec_tests.ptx"

struct rig {
    struct gpu *gpu;
    struct gpu_module *module;
};

static void rig_open(struct rig *r, const char *path)
{
    r->gpu = check_gpu_open("h100", path, &r->module);
}

static void rig_close(struct rig *r)
{
    gpu_module_unload(r->gpu, r->module);
    gpu_free(r->gpu);
}

static uint64_t buffer(struct rig *r, const void *data, uint64_t size)
{
    uint64_t address;
    struct vdc_error err;
    ck_assert(gpu_memory_alloc(gpu_get_memory(r->gpu), size, &address, &err));
    if (data != NULL)
        ck_assert(gpu_memory_write(gpu_get_memory(r->gpu), address, data, size, "test", &err));
    return address;
}

static void fetch(struct rig *r, uint64_t address, void *out, uint64_t size)
{
    struct vdc_error err;
    ck_assert_msg(gpu_memory_read(gpu_get_memory(r->gpu), address, out, size, "test", &err), "%s", err.text);
}

/* Launches with parameters packed as 8-byte values (pointers, 64-bit) or 4-byte ones, by the kernel's list. */
static struct gpu_launch_stats run(struct rig *r, const char *kernel, uint32_t grid, uint32_t block,
                                   const uint64_t *args, struct gpu_fault *fault)
{
    const struct ptx_function *f = ptx_module_find_kernel(gpu_module_ptx(r->module), kernel);
    ck_assert_msg(f != NULL, "no kernel %s", kernel);
    uint8_t params[256] = {0};
    for (uint32_t i = 0; i < f->param_count; i++)
        memcpy(params + f->params[i].offset, &args[i], f->params[i].size);
    struct gpu_launch l = {.kernel = kernel, .grid = {grid, 1, 1}, .block = {block, 1, 1}, .params = params,
                           .params_bytes = f->param_bytes};
    struct gpu_launch_stats s;
    struct gpu_fault local_fault;
    struct vdc_error err;
    ck_assert_msg(gpu_launch(r->gpu, r->module, &l, &s, fault ? fault : &local_fault, &err), "%s", err.text);
    if (fault == NULL)
        ck_assert_msg(!local_fault.happened, "fault: %s at %llx line %u", local_fault.what,
                      (unsigned long long)local_fault.address, local_fault.line);
    return s;
}

START_TEST(divergent_paths_reconverge)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    uint64_t out = buffer(&r, NULL, 128 * 4);
    uint64_t args[] = {out};
    run(&r, "divergence", 2, 64, args, NULL);
    int got[128];
    fetch(&r, out, got, sizeof got);
    for (int t = 0; t < 128; t++) {
        int lane = t & 31, v = 0;
        if (lane & 1)
            v = 10 + ((lane & 2) ? 100 : -3);
        else
            for (int i = 0; i < lane && i != 7; i++)
                v += i;
        int want = lane == 5 ? 0 : 2 * v + 31; /* lane 5 returned early: 31 lanes are active at the end */
        ck_assert_msg(got[t] == want, "thread %d: got %d, want %d", t, got[t], want);
    }
    rig_close(&r);
}
END_TEST

START_TEST(barrier_orders_shared_memory)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    int in[1024], got[1024];
    for (int i = 0; i < 1024; i++)
        in[i] = i * 37 - 5;
    uint64_t a = buffer(&r, in, sizeof in), b = buffer(&r, NULL, sizeof got);
    uint64_t args[] = {a, b};
    run(&r, "reverse_block", 4, 256, args, NULL);
    fetch(&r, b, got, sizeof got);
    for (int blk = 0; blk < 4; blk++)
        for (int t = 0; t < 256; t++)
            ck_assert_int_eq(got[blk * 256 + t], in[blk * 256 + 255 - t]);
    rig_close(&r);
}
END_TEST

START_TEST(shuffles_follow_ptx_lane_rules)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    int in[32], got[32 * 5];
    for (int i = 0; i < 32; i++)
        in[i] = i * i + 1;
    uint64_t a = buffer(&r, in, sizeof in), b = buffer(&r, NULL, sizeof got);
    uint64_t args[] = {a, b};
    run(&r, "shuffles", 1, 32, args, NULL);
    fetch(&r, b, got, sizeof got);
    for (int t = 0; t < 32; t++) {
        ck_assert_int_eq(got[t * 5 + 0], in[t >= 3 ? t - 3 : t]);
        ck_assert_int_eq(got[t * 5 + 1], in[t + 5 <= 31 ? t + 5 : t]);
        ck_assert_int_eq(got[t * 5 + 2], in[t ^ 9]);
        ck_assert_int_eq(got[t * 5 + 3], in[(t * 7) & 31]);
        ck_assert_int_eq(got[t * 5 + 4], in[(t % 16) + 2 < 16 ? t + 2 : t]);
    }
    rig_close(&r);
}
END_TEST

START_TEST(votes_and_active_masks)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    int in[64];
    unsigned got[64 * 4];
    for (int i = 0; i < 64; i++)
        in[i] = (i * 13) % 23;
    uint64_t a = buffer(&r, in, sizeof in), b = buffer(&r, NULL, sizeof got);
    uint64_t args[] = {a, b};
    run(&r, "votes", 1, 64, args, NULL);
    fetch(&r, b, got, sizeof got);
    for (int w = 0; w < 2; w++) {
        unsigned ballot = 0, odd = 0;
        for (int l = 0; l < 32; l++) {
            ballot |= (unsigned)(in[w * 32 + l] > 10) << l;
            odd |= (unsigned)(in[w * 32 + l] & 1) << l;
        }
        for (int l = 0; l < 32; l++) {
            int t = w * 32 + l;
            ck_assert_uint_eq(got[t * 4 + 0], ballot);
            ck_assert_uint_eq(got[t * 4 + 1], 1);
            ck_assert_uint_eq(got[t * 4 + 2], 0);
            ck_assert_uint_eq(got[t * 4 + 3], (in[t] & 1) ? odd : 0);
        }
    }
    rig_close(&r);
}
END_TEST

START_TEST(shared_and_global_atomics)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    enum { N = 1000 };
    unsigned in[N], bins[16] = {0}, want_max = 0;
    uint64_t state = 88172645463325252ull;
    for (int i = 0; i < N; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        in[i] = (unsigned)(state >> 20);
        bins[in[i] & 15]++;
        if (in[i] > want_max)
            want_max = in[i];
    }
    uint64_t a = buffer(&r, in, sizeof in), b = buffer(&r, NULL, 16 * 4), m = buffer(&r, NULL, 4);
    uint64_t args[] = {a, b, m, N};
    run(&r, "atomics", 4, 64, args, NULL);
    unsigned got[16], got_max;
    fetch(&r, b, got, sizeof got);
    fetch(&r, m, &got_max, 4);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(got[i], bins[i]);
    ck_assert_uint_eq(got_max, want_max);
    rig_close(&r);
}
END_TEST

START_TEST(local_and_generic_memory)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    int idx[64], in[64], got[64];
    for (int i = 0; i < 64; i++) {
        idx[i] = (i * 11 + 3) % 50;
        in[i] = i * 5 - 100;
    }
    uint64_t a = buffer(&r, idx, sizeof idx), b = buffer(&r, NULL, sizeof got);
    uint64_t args[] = {a, b};
    run(&r, "local_array", 1, 64, args, NULL);
    fetch(&r, b, got, sizeof got);
    for (int t = 0; t < 64; t++)
        ck_assert_int_eq(got[t], ((idx[t] % 24) * t + 1) + (((idx[t] + 5) % 24) * t + 1));
    uint64_t c = buffer(&r, in, sizeof in);
    uint64_t args2[] = {c, b};
    run(&r, "generic_pointers", 1, 64, args2, NULL);
    fetch(&r, b, got, sizeof got);
    for (int t = 0; t < 64; t++)
        ck_assert_int_eq(got[t], (t & 1) ? in[63 - t] * 3 : in[t]);
    rig_close(&r);
}
END_TEST

START_TEST(out_of_bounds_store_is_a_fault_naming_its_thread)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    uint64_t out = buffer(&r, NULL, 64);
    uint64_t args[] = {out, 1000000};
    struct gpu_fault fault;
    run(&r, "store_at", 2, 32, args, &fault);
    ck_assert(fault.happened);
    ck_assert_str_eq(fault.kernel, "store_at");
    ck_assert_uint_eq(fault.block.x, 1);
    ck_assert_uint_eq(fault.thread.x, 3);
    ck_assert_uint_eq(fault.address, out + 4000000);
    ck_assert_str_eq(fault.what, "global store of 4 bytes outside its memory");
    ck_assert_uint_gt(fault.line, 0);
    /* In bounds, the same kernel runs clean. */
    uint64_t args_ok[] = {out, 5};
    run(&r, "store_at", 2, 32, args_ok, NULL);
    int got[16];
    fetch(&r, out, got, sizeof got);
    ck_assert_int_eq(got[5], 7);
    rig_close(&r);
}
END_TEST

START_TEST(bad_launches_are_refused)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    uint8_t params[16] = {0};
    struct gpu_launch l = {.kernel = "store_at", .grid = {0, 1, 1}, .block = {32, 1, 1}, .params = params,
                           .params_bytes = 16};
    struct gpu_launch_stats s;
    struct gpu_fault f;
    struct vdc_error err;
    ck_assert(!gpu_launch(r.gpu, r.module, &l, &s, &f, &err));
    ck_assert_str_eq(err.text, "kernel store_at: grid 0x1x1 is not a valid grid; give 1..2147483647 x 1..65535 x "
                               "1..65535 blocks");
    l.grid.x = 1;
    l.block.x = 2048;
    ck_assert(!gpu_launch(r.gpu, r.module, &l, &s, &f, &err));
    ck_assert_str_eq(err.text, "kernel store_at: block 2048x1x1 is not a valid block; give at most 1024x1024x64 "
                               "threads and 1024 in all");
    l.block.x = 32;
    l.params_bytes = 8;
    ck_assert(!gpu_launch(r.gpu, r.module, &l, &s, &f, &err));
    ck_assert_str_eq(err.text, "kernel store_at: 8 bytes of parameters given, its .param list takes 16");
    l.kernel = "nothing";
    ck_assert(!gpu_launch(r.gpu, r.module, &l, &s, &f, &err));
    ck_assert_str_eq(err.text, "kernel nothing: no .entry of that name in check/ptx_exec/exec_tests.ptx");
    rig_close(&r);
}
END_TEST

START_TEST(cycles_are_deterministic_and_grow_with_work)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    uint64_t out = buffer(&r, NULL, 256 * 8);
    uint64_t short_args[] = {out, 100}, long_args[] = {out, 1000};
    struct gpu_launch_stats a = run(&r, "spin", 1, 256, short_args, NULL);
    struct gpu_launch_stats b = run(&r, "spin", 1, 256, short_args, NULL);
    struct gpu_launch_stats c = run(&r, "spin", 1, 256, long_args, NULL);
    ck_assert_uint_eq(a.cycles, b.cycles);
    ck_assert_uint_eq(a.thread_insns, b.thread_insns);
    ck_assert_uint_gt(c.cycles, 5 * a.cycles);
    ck_assert_uint_eq(a.warp_insns * 32, a.thread_insns);
    uint64_t measured[256];
    fetch(&r, out, measured, sizeof measured);
    /* clock64 differences inside the kernel: positive, and below the kernel's whole length. */
    for (int t = 0; t < 256; t++) {
        ck_assert_uint_gt(measured[t], 0);
        ck_assert_uint_lt(measured[t], c.cycles);
    }
    rig_close(&r);
}
END_TEST

static uint32_t ref_bfi(uint32_t a, uint32_t b, uint32_t pos, uint32_t len)
{
    uint32_t out = b;
    for (uint32_t i = 0; i < len && pos + i < 32; i++)
        out = (out & ~(1u << (pos + i))) | (((a >> i) & 1u) << (pos + i));
    return out;
}

static uint32_t ref_bfe_u32(uint32_t a, uint32_t pos, uint32_t len)
{
    uint32_t out = 0;
    for (uint32_t i = 0; i < len && pos + i < 32; i++)
        out |= ((a >> (pos + i)) & 1u) << i;
    return out;
}

static uint32_t ref_byte_perm(uint32_t x, uint32_t y, uint32_t s)
{
    uint64_t both = ((uint64_t)y << 32) | x;
    uint32_t out = 0;
    for (int i = 0; i < 4; i++)
        out |= (uint32_t)((both >> (8 * ((s >> (4 * i)) & 7))) & 0xff) << (8 * i);
    return out;
}

START_TEST(bit_field_instructions)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    uint32_t in[64], got[64 * 5];
    uint64_t state = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 64; i++) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        in[i] = i == 5 ? 0 : (uint32_t)(state >> 16);
    }
    uint64_t a = buffer(&r, in, sizeof in), b = buffer(&r, NULL, sizeof got);
    uint64_t args[] = {a, b};
    run(&r, "bits", 1, 64, args, NULL);
    fetch(&r, b, got, sizeof got);
    for (uint32_t t = 0; t < 64; t++) {
        uint32_t v = in[t], rev = 0;
        for (int i = 0; i < 32; i++)
            rev |= ((v >> i) & 1u) << (31 - i);
        ck_assert_uint_eq(got[t * 5 + 0], ref_bfi(v, 0xf0f0f0f0u, t % 29, t % 7 + 1));
        ck_assert_uint_eq(got[t * 5 + 1], ref_bfe_u32(v, t % 31, t % 9));
        ck_assert_uint_eq(got[t * 5 + 2], ref_byte_perm(v, t * 0x01010101u, t * 0x1111u));
        ck_assert_uint_eq(got[t * 5 + 3], rev ^ (uint32_t)(v ? __builtin_clz(v) : 32));
        ck_assert_uint_eq(got[t * 5 + 4], (uint32_t)__builtin_popcount(v) + (uint32_t)__builtin_ffs((int)v));
    }
    rig_close(&r);
}
END_TEST

/* A by-value struct's array indexed by the block: the parameter's address taken by mov and read through it. */
START_TEST(a_struct_parameter_indexed_by_the_block)
{
    struct rig r;
    rig_open(&r, EXEC_PTX);
    struct { int32_t count, pad; struct { uint64_t base; int32_t scale, pad; } entry[8]; uint64_t out; } params;
    memset(&params, 0, sizeof params);
    params.count = 5;
    for (int e = 0; e < 8; e++) {
        params.entry[e].base = 1000u * (uint64_t)(e + 1);
        params.entry[e].scale = e + 2;
    }
    params.out = buffer(&r, NULL, 8 * 32 * 8);
    ck_assert_uint_eq(offsetof(__typeof__(params), out), 136);
    struct gpu_launch l = {.kernel = "param_table", .grid = {8, 1, 1}, .block = {32, 1, 1}, .params = &params,
                           .params_bytes = sizeof params};
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    struct vdc_error err;
    ck_assert_msg(gpu_launch(r.gpu, r.module, &l, &s, &fault, &err), "%s", err.text);
    ck_assert(!fault.happened);
    uint64_t got[8 * 32];
    fetch(&r, params.out, got, sizeof got);
    for (uint64_t b = 0; b < 8; b++)
        for (uint64_t t = 0; t < 32; t++)
            ck_assert_uint_eq(got[b * 32 + t], b < 5 ? 1000 * (b + 1) + (b + 2) * t : 0);
    rig_close(&r);
}
END_TEST

/* A parameter read through a register past the parameter buffer (hostile or broken PTX) faults that thread; it
 * reads nothing outside the buffer. */
START_TEST(a_parameter_read_past_the_buffer_faults)
{
    struct gpu_params p;
    struct vdc_error err;
    ck_assert(gpu_params_preset("h100", &p, &err));
    struct gpu *gpu = gpu_create(&p, &err);
    const char *text = ".version 8.0\n.target sm_90\n.address_size 64\n.visible .entry k(\n.param .u64 k_p0\n)\n{\n"
                       "\t.reg .b64 %rd<4>;\n\tmov.b64 %rd1, k_p0;\n\tld.param.u64 %rd2, [%rd1+8];\n\tret;\n}\n";
    struct gpu_module *m = NULL;
    ck_assert_msg(gpu_module_load(gpu, text, strlen(text), "param.ptx", &m, &err), "%s", err.text);
    uint64_t params = 0;
    struct gpu_launch l = {.kernel = "k", .grid = {1, 1, 1}, .block = {32, 1, 1}, .params = &params,
                           .params_bytes = sizeof params};
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    ck_assert_msg(gpu_launch(gpu, m, &l, &s, &fault, &err), "%s", err.text);
    ck_assert(fault.happened);
    ck_assert_uint_eq(fault.line, 10);
    ck_assert_msg(strstr(fault.what, "param") != NULL, "%s", fault.what);
    gpu_module_unload(gpu, m);
    gpu_free(gpu);
}
END_TEST

START_TEST(unsupported_forms_are_refused_at_load)
{
    struct gpu_params p;
    struct vdc_error err;
    ck_assert(gpu_params_preset("h100", &p, &err));
    struct gpu *gpu = gpu_create(&p, &err);
    const char *text = ".version 8.0\n.target sm_90\n.address_size 64\n.visible .entry k()\n{\n"
                       "\t.reg .b16 %h<3>;\n\tex2.approx.f16 %h1, %h2;\n\tret;\n}\n";
    struct gpu_module *m = NULL;
    ck_assert(!gpu_module_load(gpu, text, strlen(text), "half.ptx", &m, &err));
    ck_assert_msg(strncmp(err.text, "half.ptx:7: unsupported instruction 'ex2.approx.f16'", 52) == 0, "%s", err.text);
    gpu_free(gpu);
}
END_TEST

START_TEST(deeply_nested_divergence)
{
    /* Four nested loops whose trip counts differ by lane: the reconvergence stack grows past its inline part. */
    struct rig r;
    rig_open(&r, EXEC_PTX);
    uint64_t out = buffer(&r, NULL, 64 * 4);
    uint64_t args[] = {out};
    run(&r, "nested_loops", 1, 64, args, NULL);
    int got[64];
    fetch(&r, out, got, sizeof got);
    for (int t = 0; t < 64; t++) {
        int lane = t & 31, v = 0;
        for (int a = 0; a < (lane & 3); a++)
            for (int b = 0; b < ((lane >> 2) & 3); b++)
                for (int c = 0; c < ((lane >> 4) & 1) + a; c++)
                    for (int d = 0; d < (lane & 1) + b; d++)
                        v += a * 1000 + b * 100 + c * 10 + d;
        ck_assert_int_eq(got[t], v);
    }
    rig_close(&r);
}
END_TEST

/* The lane and sector counts the model takes: every bit of a word, whatever its neighbours (a walking bit, runs
 * from either end, and mixed words against a count bit by bit). */
START_TEST(population_counts_count_every_bit)
{
    for (uint32_t b = 0; b < 64; b++) {
        ck_assert_uint_eq(vdc_popcount64(1ull << b), 1);
        ck_assert_uint_eq(vdc_popcount64(~0ull >> b), 64 - b);
        ck_assert_uint_eq(vdc_popcount64(~0ull << b), 64 - b);
        if (b < 32) {
            ck_assert_uint_eq(vdc_popcount32(1u << b), 1);
            ck_assert_uint_eq(vdc_popcount32(~0u >> b), 32 - b);
        }
    }
    uint64_t v = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 1000; i++) {
        v ^= v << 13, v ^= v >> 7, v ^= v << 17;
        uint32_t bits = 0;
        for (uint32_t b = 0; b < 64; b++)
            bits += (uint32_t)(v >> b) & 1;
        ck_assert_uint_eq(vdc_popcount64(v), bits);
        ck_assert_uint_eq(vdc_popcount32((uint32_t)v) + vdc_popcount32((uint32_t)(v >> 32)), bits);
    }
}
END_TEST

Suite *gpu_core_suite(void)
{
    Suite *s = suite_create("gpu_core");
    TCase *tc = tcase_create("exec");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, population_counts_count_every_bit);
    tcase_add_test(tc, divergent_paths_reconverge);
    tcase_add_test(tc, barrier_orders_shared_memory);
    tcase_add_test(tc, shuffles_follow_ptx_lane_rules);
    tcase_add_test(tc, votes_and_active_masks);
    tcase_add_test(tc, shared_and_global_atomics);
    tcase_add_test(tc, local_and_generic_memory);
    tcase_add_test(tc, out_of_bounds_store_is_a_fault_naming_its_thread);
    tcase_add_test(tc, bad_launches_are_refused);
    tcase_add_test(tc, cycles_are_deterministic_and_grow_with_work);
    tcase_add_test(tc, bit_field_instructions);
    tcase_add_test(tc, deeply_nested_divergence);
    tcase_add_test(tc, unsupported_forms_are_refused_at_load);
    tcase_add_test(tc, a_struct_parameter_indexed_by_the_block);
    tcase_add_test(tc, a_parameter_read_past_the_buffer_faults);
    suite_add_tcase(s, tc);
    return s;
}
