/* The GPU microbenchmark suite (vdc bench gpu-micro) on the h100 preset: every figure with a published value stays
 * within its tolerance of it, and atomics on one address are as slow as the serialization at its L2 slice (or
 * its shared-memory bank) makes them (docs/validation.md, "GPU microbenchmarks"). */
#include <stdio.h>
#include <string.h>

#include "../../src/bench/gpu_micro.h"
#include "../suites.h"

static double row(const struct gpu_micro_row *rows, size_t count, const char *metric)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(rows[i].metric, metric) == 0)
            return rows[i].simulated;
    }
    ck_abort_msg("no row '%s'", metric);
    return 0;
}

START_TEST(every_figure_within_its_tolerance)
{
    struct gpu_micro_row rows[GPU_MICRO_ROWS];
    size_t count = 0;
    struct vdc_error err;
    ck_assert_msg(vdc_bench_gpu_micro("h100", rows, &count, &err), "%s", err.text);
    size_t compared = 0;
    for (size_t i = 0; i < count; i++) {
        const struct gpu_micro_row *r = &rows[i];
        if (r->published <= 0)
            continue;
        double ratio = r->simulated / r->published;
        ck_assert_msg(ratio >= 1 - r->tolerance && ratio <= 1 + r->tolerance, "%s: %.4g %s, published %.4g (%s)",
                      r->metric, r->simulated, r->unit, r->published, r->source);
        compared++;
    }
    ck_assert_uint_ge(compared, 12);
    /* Atomics on one word take turns at its L2 slice, one a cycle: one hot address gives about one a cycle for
     * the whole GPU, eight about eight, distinct addresses far more. */
    double one = row(rows, count, "global atomics, one address");
    double eight = row(rows, count, "global atomics, 8 addresses");
    double distinct = row(rows, count, "global atomics, distinct addresses");
    ck_assert_msg(one > 0.9 && one <= 1.0, "one address: %.3f a cycle", one);
    ck_assert_msg(eight > 7.2 && eight <= 8.0, "eight addresses: %.3f a cycle", eight);
    ck_assert_msg(distinct > 50 * one, "distinct addresses: %.3f a cycle", distinct);
    /* Shared-memory atomics take a pass per lane on the busiest bank: one word per block is slower than a word per
     * lane (the kernel waits for each result, so the 48-cycle latency bounds both and the ratio stays near 2). */
    double shared_one = row(rows, count, "shared atomics, one address per block");
    double shared_distinct = row(rows, count, "shared atomics, distinct addresses");
    ck_assert_msg(shared_distinct > 1.5 * shared_one, "shared atomics: %.3f a cycle on one word, %.3f on distinct ones",
                  shared_one, shared_distinct);
}
END_TEST

Suite *gpu_micro_suite(void)
{
    Suite *s = suite_create("gpu_micro");
    TCase *t = tcase_create("suite");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, every_figure_within_its_tolerance);
    suite_add_tcase(s, t);
    return s;
}
