/* HiGPU's scheduler queue against a plain list: the same (cycle, scheduler) order under random pushes, removals
 * and pops, with entries in the past, in the calendar and far beyond it. */
#include <stdlib.h>

#include "../../src/gpu/gpu_sched_queue.h"
#include "../../src/scheduler/rng.h"
#include "../suites.h"

#define IDS 300
#define NONE UINT64_MAX

/* The reference: each scheduler's one live time, and the earliest found by looking at all of them. */
static bool reference_pop(uint64_t *live, struct sched_entry *out)
{
    uint32_t best = IDS;
    for (uint32_t i = 0; i < IDS; i++)
        if (live[i] != NONE && (best == IDS || live[i] < live[best]))
            best = i;
    if (best == IDS)
        return false;
    *out = (struct sched_entry){live[best], best};
    live[best] = NONE;
    return true;
}

START_TEST(same_order_as_a_list)
{
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 42, 7);
    struct sched_queue q;
    gpu_sched_queue_init(&q, IDS);
    uint64_t live[IDS];
    for (uint32_t i = 0; i < IDS; i++)
        live[i] = NONE;
    uint64_t now = 0, pops = 0;
    for (uint32_t step = 0; step < 200000; step++) {
        uint32_t id = (uint32_t)vdc_rng_below(&rng, IDS);
        uint32_t what = (uint32_t)vdc_rng_below(&rng, 10);
        if (what < 5) {
            /* Requeue: mostly just ahead, sometimes far ahead, sometimes in the past. */
            uint32_t kind = (uint32_t)vdc_rng_below(&rng, 20);
            uint64_t time = kind == 0   ? now + SCHED_CALENDAR_SLOTS + vdc_rng_below(&rng, 5000)
                            : kind == 1 ? now - (now < 50 ? now : vdc_rng_below(&rng, 50))
                                        : now + vdc_rng_below(&rng, 40);
            if (live[id] != NONE)
                gpu_sched_queue_remove(&q, live[id], id);
            live[id] = time;
            gpu_sched_queue_push(&q, time, id);
        } else if (what < 6 && live[id] != NONE) {
            gpu_sched_queue_remove(&q, live[id], id);
            live[id] = NONE;
        } else {
            struct sched_entry got, want;
            bool have;
            /* Superseded heap entries come back and are skipped, as the launch skips them. */
            while ((have = gpu_sched_queue_pop(&q, &got)) && live[got.id] != got.time)
                ;
            ck_assert_int_eq(have, reference_pop(live, &want));
            if (have) {
                ck_assert_uint_eq(got.time, want.time);
                ck_assert_uint_eq(got.id, want.id);
                if (got.time > now)
                    now = got.time;
                pops++;
            }
        }
    }
    ck_assert_uint_gt(pops, 50000);
    gpu_sched_queue_free(&q);
}
END_TEST

START_TEST(looks_ahead_in_order)
{
    struct sched_queue q;
    gpu_sched_queue_init(&q, 130);
    q.base = 1000;
    gpu_sched_queue_push(&q, 1000, 5);
    gpu_sched_queue_push(&q, 1000, 70);
    gpu_sched_queue_push(&q, 1000, 129);
    gpu_sched_queue_push(&q, 1001, 3);
    gpu_sched_queue_push(&q, 1003, 1);
    struct sched_entry n;
    ck_assert(gpu_sched_queue_next_after(&q, 1000, 5, 1001, &n));
    ck_assert_uint_eq(n.time, 1000);
    ck_assert_uint_eq(n.id, 70);
    ck_assert(gpu_sched_queue_next_after(&q, n.time, n.id, 1001, &n));
    ck_assert_uint_eq(n.id, 129);
    ck_assert(gpu_sched_queue_next_after(&q, n.time, n.id, 1001, &n));
    ck_assert_uint_eq(n.time, 1001);
    ck_assert_uint_eq(n.id, 3);
    ck_assert(!gpu_sched_queue_next_after(&q, n.time, n.id, 1001, &n)); /* 1003 is past the last cycle asked */
    ck_assert(gpu_sched_queue_next_after(&q, 1001, 3, 1003, &n));
    ck_assert_uint_eq(n.time, 1003);
    ck_assert_uint_eq(n.id, 1);
    struct sched_entry e;
    ck_assert(gpu_sched_queue_pop(&q, &e));
    ck_assert_uint_eq(e.time, 1000);
    ck_assert_uint_eq(e.id, 5);
    gpu_sched_queue_free(&q);
}
END_TEST

Suite *gpu_sched_queue_suite(void)
{
    Suite *s = suite_create("gpu_sched_queue");
    TCase *tc = tcase_create("order");
    tcase_add_test(tc, same_order_as_a_list);
    tcase_add_test(tc, looks_ahead_in_order);
    suite_add_tcase(s, tc);
    return s;
}
