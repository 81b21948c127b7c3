/* Every kernel of guest/kernels on HiGPU: the nvcc PTX runs, and each compared buffer equals the CPU reference
 * bit for bit (check/rigs/gpu_kernel_cases.c); the same case twice gives the same cycles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/gpu/gpu.h"
#include "../rigs/gpu_kernel_cases.h"
#include "../suites.h"
#include "../rigs/test_files.h"

/* Runs case `c` on a fresh h100; returns the cycles of all its launches. */
static uint64_t run_case(const struct gkc_case *c)
{
    struct gpu_params p;
    struct vdc_error err;
    ck_assert(gpu_params_preset("h100", &p, &err));
    struct gpu *gpu = gpu_create(&p, &err);
    ck_assert_msg(gpu != NULL, "%s", err.text);
    uint64_t len;
    char *text = check_read_text(c->ptx, &len);
    struct gpu_module *m;
    ck_assert_msg(gpu_module_load(gpu, text, len, c->ptx, &m, &err), "%s: %s", c->name, err.text);
    free(text);
    uint64_t addresses[GKC_MAX_BUFFERS];
    uint8_t *want[GKC_MAX_BUFFERS];
    for (unsigned i = 0; i < c->nbuffers; i++) {
        uint8_t *init = malloc(c->buffers[i].bytes);
        gkc_fill(c, i, init);
        ck_assert(gpu_memory_alloc(gpu_get_memory(gpu), c->buffers[i].bytes, &addresses[i], &err));
        ck_assert(gpu_memory_write(gpu_get_memory(gpu), addresses[i], init, c->buffers[i].bytes, "init", &err));
        free(init);
        want[i] = malloc(c->buffers[i].bytes);
    }
    gkc_expected(c, want);
    uint64_t cycles = 0;
    for (unsigned l = 0; l < c->nlaunches; l++) {
        uint8_t params[256];
        uint32_t size = gkc_pack_params(c, l, addresses, params, sizeof params);
        ck_assert_uint_gt(size, 0);
        const struct gkc_launch *gl = &c->launches[l];
        struct gpu_launch launch = {.kernel = gl->kernel, .grid = gl->grid, .block = gl->block,
                                    .dynamic_shared_bytes = gl->dynamic_shared_bytes, .params = params,
                                    .params_bytes = size};
        struct gpu_launch_stats s;
        struct gpu_fault fault;
        ck_assert_msg(gpu_launch(gpu, m, &launch, &s, &fault, &err), "%s: %s", c->name, err.text);
        ck_assert_msg(!fault.happened, "%s: fault in %s: %s at 0x%llx (line %u)", c->name, fault.kernel, fault.what,
                      (unsigned long long)fault.address, fault.line);
        ck_assert_uint_gt(s.cycles, 0);
        cycles += s.cycles;
    }
    for (unsigned i = 0; i < c->nbuffers; i++) {
        if (c->buffers[i].compare != GKC_CMP_NONE) {
            uint8_t *got = malloc(c->buffers[i].bytes);
            ck_assert(gpu_memory_read(gpu_get_memory(gpu), addresses[i], got, c->buffers[i].bytes, "check", &err));
            char where[256];
            ck_assert_msg(gkc_compare_buffer(c, i, got, want[i], where, sizeof where), "%s, buffer %s: %s", c->name,
                          c->buffers[i].name, where);
            free(got);
        }
        free(want[i]);
    }
    gpu_module_unload(gpu, m);
    gpu_free(gpu);
    return cycles;
}

START_TEST(kernel_case_matches_reference)
{
    unsigned count;
    const struct gkc_case *cases = gkc_cases(&count);
    ck_assert_uint_lt((unsigned)_i, count);
    run_case(&cases[_i]);
}
END_TEST

START_TEST(kernel_cycles_repeat)
{
    const struct gkc_case *c = gkc_case_find("gemm_tiled_square");
    if (c == NULL) {
        unsigned count;
        c = &gkc_cases(&count)[0];
    }
    ck_assert_uint_eq(run_case(c), run_case(c));
}
END_TEST

Suite *gpu_kernels_suite(void)
{
    Suite *s = suite_create("gpu_kernels");
    TCase *tc = tcase_create("kernels");
    tcase_set_timeout(tc, 120);
    unsigned count;
    gkc_cases(&count);
    tcase_add_loop_test(tc, kernel_case_matches_reference, 0, (int)count);
    tcase_add_test(tc, kernel_cycles_repeat);
    suite_add_tcase(s, tc);
    return s;
}
