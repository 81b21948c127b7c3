/* The HiGPU kernel cases agree with the committed PTX (entries, parameter lists) and their expectations can fail. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rigs/gpu_kernel_cases.h"
#include "../rigs/gpu_reference.h"
#include "../suites.h"
#include "../rigs/test_files.h"

/* The widths of `kernel`'s .param list in `ptx` (8 for .u64, 4 for .u32/.s32/.f32); returns the count. */
static unsigned entry_params(const char *ptx, const char *kernel, unsigned widths[], unsigned max)
{
    char head[96];
    snprintf(head, sizeof head, ".entry %s(", kernel);
    const char *p = strstr(ptx, head);
    ck_assert_msg(p != NULL, "no %s in the PTX", head);
    const char *end = strchr(p, ')');
    unsigned n = 0;
    for (const char *q = strstr(p, ".param ."); q != NULL && q < end; q = strstr(q + 1, ".param .")) {
        ck_assert_uint_lt(n, max);
        const char *type = q + strlen(".param .");
        widths[n++] = strncmp(type, "u64", 3) == 0 || strncmp(type, "b64", 3) == 0 ? 8 : 4;
    }
    return n;
}

START_TEST(cases_match_their_ptx)
{
    unsigned count;
    const struct gkc_case *cases = gkc_cases(&count);
    ck_assert_uint_ge(count, 15);
    for (unsigned i = 0; i < count; i++) {
        const struct gkc_case *c = &cases[i];
        ck_assert_ptr_eq(gkc_case_find(c->name), c);
        char *ptx = check_read_text(c->ptx, NULL);
        for (unsigned l = 0; l < c->nlaunches; l++) {
            const struct gkc_launch *launch = &c->launches[l];
            unsigned widths[GKC_MAX_ARGS + 1];
            unsigned n = entry_params(ptx, launch->kernel, widths, GKC_MAX_ARGS + 1);
            ck_assert_msg(n == launch->nargs, "%s: %s takes %u parameters, the case gives %u", c->name,
                          launch->kernel, n, launch->nargs);
            uint32_t layout = 0;
            for (unsigned a = 0; a < n; a++) {
                enum gkc_arg_kind k = launch->args[a].kind;
                unsigned want = k == GKC_ARG_S32 || k == GKC_ARG_F32 ? 4 : 8;
                ck_assert_msg(widths[a] == want, "%s: %s parameter %u is %u bytes", c->name, launch->kernel, a,
                              widths[a]);
                if (k == GKC_ARG_BUFFER)
                    ck_assert_uint_lt(launch->args[a].buffer, c->nbuffers);
                layout = (layout + want - 1) / want * want + want;
            }
            uint64_t addresses[GKC_MAX_BUFFERS] = {0};
            uint8_t params[128];
            ck_assert_uint_eq(gkc_pack_params(c, l, addresses, params, sizeof params), layout);
        }
        free(ptx);
    }
}
END_TEST

START_TEST(expectations_change_what_they_compare)
{
    unsigned count;
    const struct gkc_case *cases = gkc_cases(&count);
    for (unsigned i = 0; i < count; i++) {
        const struct gkc_case *c = &cases[i];
        uint8_t *want[GKC_MAX_BUFFERS], *start[GKC_MAX_BUFFERS];
        for (unsigned b = 0; b < c->nbuffers; b++) {
            want[b] = malloc(c->buffers[b].bytes);
            start[b] = malloc(c->buffers[b].bytes);
            gkc_fill(c, b, start[b]);
        }
        gkc_expected(c, want);
        for (unsigned b = 0; b < c->nbuffers; b++) {
            char where[160];
            if (c->buffers[b].compare == GKC_CMP_NONE) {
                ck_assert_mem_eq(want[b], start[b], c->buffers[b].bytes); /* inputs stay as they were */
                continue;
            }
            /* untouched initial contents must not pass for the kernel's output */
            ck_assert_msg(!gkc_compare_buffer(c, b, start[b], want[b], where, sizeof where),
                          "%s: %s's expectation is its initial contents", c->name, c->buffers[b].name);
            ck_assert(gkc_compare_buffer(c, b, want[b], want[b], where, sizeof where));
        }
        for (unsigned b = 0; b < c->nbuffers; b++) {
            free(want[b]);
            free(start[b]);
        }
    }
}
END_TEST

START_TEST(comparison_sees_one_bit)
{
    const struct gkc_case *c = gkc_case_find("gemm_64");
    ck_assert_ptr_nonnull(c);
    uint8_t *buf[3];
    for (unsigned b = 0; b < 3; b++)
        buf[b] = malloc(c->buffers[b].bytes);
    gkc_expected(c, buf);
    uint8_t *got = malloc(c->buffers[2].bytes);
    memcpy(got, buf[2], c->buffers[2].bytes);
    got[4 * 100] ^= 1;
    char where[160];
    ck_assert(!gkc_compare_buffer(c, 2, got, buf[2], where, sizeof where));
    ck_assert_ptr_nonnull(strstr(where, "gemm_64: C[100]"));
    /* softmax's floats are compared within a few ulps until its reference is exact, then bit for bit */
    const struct gkc_case *s = gkc_case_find("softmax_rows");
    ck_assert_ptr_nonnull(s);
    float *want = calloc(1, s->buffers[1].bytes), *near = calloc(1, s->buffers[1].bytes);
    want[7] = 0.25f;
    near[7] = nextafterf(0.25f, 1.0f);
    ck_assert(gkc_compare_buffer(s, 1, (uint8_t *)near, (uint8_t *)want, where, sizeof where) == !gref_ex2_is_exact);
    near[7] = 0.2501f;
    ck_assert(!gkc_compare_buffer(s, 1, (uint8_t *)near, (uint8_t *)want, where, sizeof where));
    free(want);
    free(near);
    free(got);
    for (unsigned b = 0; b < 3; b++)
        free(buf[b]);
}
END_TEST

START_TEST(parameters_are_little_endian_and_aligned)
{
    const struct gkc_case *c = gkc_case_find("fma_bound");
    ck_assert_ptr_nonnull(c);
    const uint64_t addresses[1] = {UINT64_C(0x0000010000200040)};
    uint8_t p[64];
    ck_assert_uint_eq(gkc_pack_params(c, 0, addresses, p, sizeof p), 20);
    uint64_t a;
    float f;
    int32_t iters;
    memcpy(&a, p, 8);
    ck_assert_uint_eq(a, addresses[0]);
    memcpy(&f, p + 8, 4);
    ck_assert_float_eq(f, 0.999f);
    memcpy(&iters, p + 16, 4);
    ck_assert_int_eq(iters, 256);
    ck_assert_uint_eq(gkc_pack_params(c, 0, addresses, p, 16), 0); /* too small a buffer */
}
END_TEST


Suite *gpu_kernel_cases_suite(void)
{
    Suite *s = suite_create("gpu_kernel_cases");
    TCase *tc = tcase_create("cases");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, cases_match_their_ptx);
    tcase_add_test(tc, expectations_change_what_they_compare);
    tcase_add_test(tc, comparison_sees_one_bit);
    tcase_add_test(tc, parameters_are_little_endian_and_aligned);
    suite_add_tcase(s, tc);
    return s;
}
