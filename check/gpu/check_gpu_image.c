/* PTX texts parsed and compiled once per process (gpu_image.c): GPUs loading the same text share it and run alike,
 * each with its own variables; another text, other compile parameters or a failing text are never taken for it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/gpu/gpu.h"
#include "../../src/gpu/gpu_image.h"
#include "../../src/gpu/gpu_internal.h"
#include "../suites.h"
#include "../rigs/gpu_rig.h"
#include "../rigs/test_files.h"

/* Each thread writes tid + bias[0] + bias[1]: bias[0] read through its symbol in the address, bias[1] through the
 * symbol's address plus 4 in a register, so both forms of a variable's address are in the compiled kernel. */
#define BIAS_PTX(second)                                                                                          \
    ".version 8.0\n.target sm_90\n.address_size 64\n"                                                            \
    ".global .align 4 .u32 bias[2] = {100, " second "};\n"                                                        \
    ".visible .entry add_bias(\n\t.param .u64 add_bias_param_0\n)\n{\n"                                           \
    "\t.reg .b32 %r<6>;\n\t.reg .b64 %rd<7>;\n"                                                                   \
    "\tld.param.u64 %rd1, [add_bias_param_0];\n\tcvta.to.global.u64 %rd2, %rd1;\n\tmov.u32 %r1, %tid.x;\n"        \
    "\tld.global.u32 %r2, [bias];\n\tmov.u64 %rd3, bias+4;\n\tld.global.u32 %r3, [%rd3];\n"                       \
    "\tadd.s32 %r4, %r2, %r1;\n\tadd.s32 %r5, %r4, %r3;\n\tmul.wide.u32 %rd4, %r1, 4;\n"                          \
    "\tadd.s64 %rd5, %rd2, %rd4;\n\tst.global.u32 [%rd5], %r5;\n\tret;\n}\n"

static const char bias7[] = BIAS_PTX("7");
static const char bias8[] = BIAS_PTX("8"); /* the same length, one byte apart */

#define THREADS 64

static struct gpu_params small_params(void)
{
    struct gpu_params p;
    struct vdc_error err;
    ck_assert_msg(gpu_params_preset("h100", &p, &err), "%s", err.text);
    p.memory_bytes = 64ull << 20;
    return p;
}

static struct gpu *open_at(const struct gpu_params *p, uint32_t place)
{
    struct vdc_error err;
    struct gpu *gpu = gpu_create_at(p, place, &err);
    ck_assert_msg(gpu != NULL, "%s", err.text);
    return gpu;
}

static struct gpu_module *load(struct gpu *gpu, const char *text, const char *name)
{
    struct gpu_module *m = NULL;
    struct vdc_error err;
    ck_assert_msg(gpu_module_load(gpu, text, strlen(text), name, &m, &err), "%s: %s", name, err.text);
    return m;
}

/* Runs add_bias over THREADS threads into `out` (THREADS words); returns the launch's stats. */
static struct gpu_launch_stats run_bias(struct gpu *gpu, struct gpu_module *m, uint32_t *out)
{
    uint64_t buffer = check_gpu_zeroed(gpu, THREADS * 4);
    struct gpu_launch l = {.kernel = "add_bias", .grid = {1, 1, 1}, .block = {THREADS, 1, 1}, .params = &buffer,
                           .params_bytes = sizeof buffer};
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    struct vdc_error err;
    ck_assert_msg(gpu_launch(gpu, m, &l, &s, &fault, &err), "%s", err.text);
    ck_assert_msg(!fault.happened, "fault: %s at %llx", fault.what, (unsigned long long)fault.address);
    ck_assert(gpu_memory_read(gpu_get_memory(gpu), buffer, out, THREADS * 4, "test", &err));
    return s;
}

static void assert_bias(const uint32_t *got, uint32_t second)
{
    for (uint32_t t = 0; t < THREADS; t++)
        ck_assert_uint_eq(got[t], t + 100 + second);
}

START_TEST(the_same_text_on_two_gpus_is_compiled_once_and_runs_alike)
{
    uint32_t before = gpu_image_count();
    struct gpu_params p = small_params();
    struct gpu *g0 = open_at(&p, 0), *g1 = open_at(&p, 1);
    struct gpu_module *m0 = load(g0, bias7, "first.ptx"), *m1 = load(g1, bias7, "second.ptx");
    ck_assert_uint_eq(gpu_image_count(), before + 1);

    /* One compile, two GPUs: the same results and the same timing. */
    uint32_t out0[THREADS], out1[THREADS];
    struct gpu_launch_stats s0 = run_bias(g0, m0, out0), s1 = run_bias(g1, m1, out1);
    assert_bias(out0, 7);
    ck_assert_mem_eq(out0, out1, sizeof out0);
    ck_assert_uint_eq(s0.cycles, s1.cycles);
    ck_assert_uint_eq(s0.thread_insns, s1.thread_insns);
    ck_assert_uint_eq(s0.registers_per_thread, s1.registers_per_thread);

    /* Each GPU's variable is its own, in its own memory: a write to the second's is seen by its kernel only. */
    uint64_t a0, a1, size;
    ck_assert(gpu_module_symbol(m0, "bias", &a0, &size));
    ck_assert(gpu_module_symbol(m1, "bias", &a1, &size));
    ck_assert_uint_eq(size, 8);
    ck_assert_uint_eq(a0 / GPU_PLACE_BYTES + 1, a1 / GPU_PLACE_BYTES);
    uint32_t nine = 9;
    struct vdc_error err;
    ck_assert(gpu_memory_write(gpu_get_memory(g1), a1 + 4, &nine, sizeof nine, "test", &err));
    run_bias(g1, m1, out1);
    assert_bias(out1, 9);
    run_bias(g0, m0, out0);
    assert_bias(out0, 7);

    /* A second load on the same GPU shares the image too, with variables of its own. */
    struct gpu_module *m0b = load(g0, bias7, "again.ptx");
    ck_assert_uint_eq(gpu_image_count(), before + 1);
    uint64_t a0b;
    ck_assert(gpu_module_symbol(m0b, "bias", &a0b, &size));
    ck_assert_uint_ne(a0b, a0);
    run_bias(g0, m0b, out0);
    assert_bias(out0, 7);

    /* Each load keeps its own name for messages. */
    ck_assert_str_eq(gpu_module_ptx(m1)->source_name, "second.ptx");
    struct gpu_launch l = {.kernel = "missing", .grid = {1, 1, 1}, .block = {1, 1, 1}};
    struct gpu_launch_stats s;
    struct gpu_fault fault;
    ck_assert(!gpu_launch(g1, m1, &l, &s, &fault, &err));
    ck_assert_str_eq(err.text, "kernel missing: no .entry of that name in second.ptx");

    /* The image lives until its last load goes. */
    gpu_module_unload(g0, m0);
    gpu_module_unload(g0, m0b);
    ck_assert_uint_eq(gpu_image_count(), before + 1);
    run_bias(g1, m1, out1);
    assert_bias(out1, 9);
    gpu_module_unload(g1, m1);
    ck_assert_uint_eq(gpu_image_count(), before);
    gpu_free(g0);
    gpu_free(g1);
}
END_TEST

START_TEST(an_nvcc_module_runs_alike_from_the_cache)
{
    /* exec_tests.ptx's divergence kernel on a GPU that compiles it and on one that finds it compiled. */
    uint32_t before = gpu_image_count();
    struct gpu_params p = small_params();
    struct gpu *gpus[2] = {open_at(&p, 0), open_at(&p, 1)};
    uint64_t len;
    char *text = check_read_text("check/ptx_exec/exec_tests.ptx", &len);
    struct gpu_module *mods[2];
    int got[2][128];
    uint64_t cycles[2];
    for (int g = 0; g < 2; g++) {
        struct vdc_error err;
        ck_assert_msg(gpu_module_load(gpus[g], text, len, "exec_tests.ptx", &mods[g], &err), "%s", err.text);
        ck_assert_uint_eq(gpu_image_count(), before + 1);
        uint64_t out = check_gpu_zeroed(gpus[g], sizeof got[g]);
        struct gpu_launch l = {.kernel = "divergence", .grid = {2, 1, 1}, .block = {64, 1, 1}, .params = &out,
                               .params_bytes = sizeof out};
        struct gpu_launch_stats s;
        struct gpu_fault fault;
        ck_assert_msg(gpu_launch(gpus[g], mods[g], &l, &s, &fault, &err), "%s", err.text);
        ck_assert(!fault.happened);
        ck_assert(gpu_memory_read(gpu_get_memory(gpus[g]), out, got[g], sizeof got[g], "test", &err));
        cycles[g] = s.cycles;
    }
    ck_assert_mem_eq(got[0], got[1], sizeof got[0]);
    ck_assert_uint_eq(cycles[0], cycles[1]);
    for (int g = 0; g < 2; g++) {
        gpu_module_unload(gpus[g], mods[g]);
        gpu_free(gpus[g]);
    }
    free(text);
    ck_assert_uint_eq(gpu_image_count(), before);
}
END_TEST

START_TEST(another_text_or_other_parameters_are_not_taken_for_a_cached_one)
{
    uint32_t before = gpu_image_count();
    struct gpu_params p = small_params();
    struct gpu_params slow = p;
    slow.latency[GPU_CLASS_INT] += 5;
    struct gpu *g0 = open_at(&p, 0), *g1 = open_at(&p, 1), *g2 = open_at(&slow, 2);
    struct gpu_module *m0 = load(g0, bias7, "a.ptx"), *m1 = load(g1, bias8, "b.ptx");
    ck_assert_uint_eq(gpu_image_count(), before + 2);
    uint32_t out[THREADS];
    struct gpu_launch_stats s0 = run_bias(g0, m0, out);
    assert_bias(out, 7);
    run_bias(g1, m1, out);
    assert_bias(out, 8);

    /* The same bytes with a different length (one more newline) are another text. */
    size_t n = strlen(bias7);
    char *longer = malloc(n + 2);
    memcpy(longer, bias7, n);
    memcpy(longer + n, "\n", 2);
    struct gpu_module *m1b = load(g1, longer, "c.ptx");
    ck_assert_uint_eq(gpu_image_count(), before + 3);
    free(longer);

    /* The same text for a GPU whose instructions take longer: compiled again, for its latencies. */
    struct gpu_module *m2 = load(g2, bias7, "d.ptx");
    ck_assert_uint_eq(gpu_image_count(), before + 4);
    struct gpu_launch_stats s2 = run_bias(g2, m2, out);
    assert_bias(out, 7);
    ck_assert_uint_gt(s2.cycles, s0.cycles);

    gpu_module_unload(g0, m0);
    gpu_module_unload(g1, m1);
    gpu_module_unload(g1, m1b);
    gpu_module_unload(g2, m2);
    ck_assert_uint_eq(gpu_image_count(), before);
    gpu_free(g0);
    gpu_free(g1);
    gpu_free(g2);
}
END_TEST

START_TEST(a_failing_text_fails_again_with_its_own_message)
{
    uint32_t before = gpu_image_count();
    struct gpu_params p = small_params();
    struct gpu *g0 = open_at(&p, 0), *g1 = open_at(&p, 1);
    struct gpu_module *m = NULL;
    struct vdc_error err;

    /* A parse error is never kept. */
    const char *bad = ".version 8.0\n.target sm_90\n.address_size 64\n.visible .entry k()\n{\n\tfrob.u32 %r1;\n}\n";
    ck_assert(!gpu_module_load(g0, bad, strlen(bad), "x.ptx", &m, &err));
    ck_assert_msg(strncmp(err.text, "x.ptx:6: ", 9) == 0, "%s", err.text);
    ck_assert(!gpu_module_load(g1, bad, strlen(bad), "y.ptx", &m, &err));
    ck_assert_msg(strncmp(err.text, "y.ptx:6: ", 9) == 0, "%s", err.text);
    ck_assert_uint_eq(gpu_image_count(), before);

    /* A text that parses but does not compile fails at every load, naming that load. */
    const char *sink = ".version 8.0\n.target sm_90\n.address_size 64\n.visible .entry k()\n{\n\t.reg .b32 %r<3>;\n"
                       "\t.reg .pred %p<2>;\n\tshfl.sync.down.b32 _|%p1, %r1, 1, 31, -1;\n\tret;\n}\n";
    const char *want = ":8: the operands of shfl are in a form HiGPU does not run";
    char expect[128];
    ck_assert(!gpu_module_load(g0, sink, strlen(sink), "a.ptx", &m, &err));
    snprintf(expect, sizeof expect, "a.ptx%s", want);
    ck_assert_msg(strncmp(err.text, expect, strlen(expect)) == 0, "%s", err.text);
    ck_assert(!gpu_module_load(g1, sink, strlen(sink), "b.ptx", &m, &err));
    snprintf(expect, sizeof expect, "b.ptx%s", want);
    ck_assert_msg(strncmp(err.text, expect, strlen(expect)) == 0, "%s", err.text);
    ck_assert_uint_eq(gpu_image_count(), before);
    gpu_free(g0);
    gpu_free(g1);
}
END_TEST

/* The register pass shares slots the same way from build to build: HiCCL's 21 kernels (up to 26 000 virtual
 * registers) keep the slot counts they had when the pass's matrix was made a triangle. A change to the pass
 * that colours differently shows here, not only as a change of speed. */
START_TEST(the_register_pass_gives_the_collective_kernels_their_slots)
{
    struct gpu_params p = small_params();
    struct gpu *gpu = open_at(&p, 0);
    uint64_t length;
    char *text = check_read_text("guest/kernels/hiccl.ptx", &length);
    struct gpu_module *m = NULL;
    struct vdc_error err;
    ck_assert_msg(gpu_module_load(gpu, text, length, "hiccl.ptx", &m, &err), "%s", err.text);
    uint32_t kernels = 0;
    uint64_t slots = 0, weighted = 0;
    for (uint32_t f = 0; f < m->ptx.function_count; f++) {
        if (m->kernels[f].insns == NULL)
            continue;
        kernels++;
        slots += m->kernels[f].slot_count;
        weighted += (uint64_t)kernels * m->kernels[f].slot_count;
    }
    ck_assert_uint_eq(kernels, 21);
    ck_assert_uint_eq(slots, 2104);
    ck_assert_uint_eq(weighted, 21300); /* each kernel's count by its place: a trade between two shows */
    gpu_module_unload(gpu, m);
    free(text);
    gpu_free(gpu);
}
END_TEST

Suite *gpu_image_suite(void)
{
    Suite *s = suite_create("gpu_image");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, the_same_text_on_two_gpus_is_compiled_once_and_runs_alike);
    tcase_add_test(tc, an_nvcc_module_runs_alike_from_the_cache);
    tcase_add_test(tc, another_text_or_other_parameters_are_not_taken_for_a_cached_one);
    tcase_add_test(tc, a_failing_text_fails_again_with_its_own_message);
    tcase_add_test(tc, the_register_pass_gives_the_collective_kernels_their_slots);
    suite_add_tcase(s, tc);
    return s;
}
