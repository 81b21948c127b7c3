/* Per-entity random streams depend on (seed, id) only, never on creation order or other streams. */
#include "../../src/scheduler/sim.h"
#include "../suites.h"

static void noop(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)self;
    (void)ev;
}

START_TEST(streams_independent_of_creation_order)
{
    const uint32_t ids[] = {5, 3, 900, 17};
    struct vdc_sim a, b;
    vdc_sim_init(&a, 99);
    vdc_sim_init(&b, 99);
    for (int i = 0; i < 4; i++)
        vdc_entity_create(&a, ids[i], "e", noop, NULL, NULL);
    for (int i = 3; i >= 0; i--)
        vdc_entity_create(&b, ids[i], "e", noop, NULL, NULL);
    /* Draw from the streams in different interleavings too. */
    uint64_t first[4][50];
    for (int k = 0; k < 50; k++)
        for (int i = 0; i < 4; i++)
            first[i][k] = vdc_rng_next(&vdc_entity_find(&a, ids[i])->rng);
    for (int i = 3; i >= 0; i--)
        for (int k = 0; k < 50; k++)
            ck_assert_uint_eq(vdc_rng_next(&vdc_entity_find(&b, ids[i])->rng), first[i][k]);
    vdc_sim_free(&a);
    vdc_sim_free(&b);
}
END_TEST

START_TEST(streams_differ_by_id_and_seed)
{
    struct vdc_rng x, y, z;
    vdc_rng_seed(&x, 1, 1);
    vdc_rng_seed(&y, 1, 2);
    vdc_rng_seed(&z, 2, 1);
    int same_xy = 0, same_xz = 0;
    for (int k = 0; k < 1000; k++) {
        uint64_t vx = vdc_rng_next(&x), vy = vdc_rng_next(&y), vz = vdc_rng_next(&z);
        same_xy += vx == vy;
        same_xz += vx == vz;
    }
    ck_assert_int_eq(same_xy, 0);
    ck_assert_int_eq(same_xz, 0);
}
END_TEST

START_TEST(stream_values_are_pinned)
{
    /* The generator is part of the determinism contract: these values hold on every machine. */
    struct vdc_rng r;
    vdc_rng_seed(&r, 1, 0);
    ck_assert_uint_eq(vdc_rng_next(&r), UINT64_C(0x17b6af93b88d9c6a));
    ck_assert_uint_eq(vdc_rng_next(&r), UINT64_C(0x7c74486039646c2a));
    ck_assert_uint_eq(vdc_rng_exponential(&r, 1000000), UINT64_C(606559));
}
END_TEST

START_TEST(bounded_and_exponential_draws)
{
    struct vdc_rng r;
    vdc_rng_seed(&r, 3, 4);
    uint64_t counts[7] = {0};
    for (int k = 0; k < 70000; k++) {
        uint64_t v = vdc_rng_below(&r, 7);
        ck_assert_uint_lt(v, 7);
        counts[v]++;
    }
    for (int i = 0; i < 7; i++) /* 10000 expected each; 5 sigma is about 470 */
        ck_assert(counts[i] > 9500 && counts[i] < 10500);
    ck_assert_uint_eq(vdc_rng_below(&r, 0), 0);
    double sum = 0;
    for (int k = 0; k < 100000; k++)
        sum += (double)vdc_rng_exponential(&r, 1000000);
    double mean = sum / 100000; /* standard error 1000000/sqrt(1e5) = 3162 */
    ck_assert(mean > 1000000 - 16000 && mean < 1000000 + 16000);
}
END_TEST

Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("streams");
    tcase_add_test(tc, streams_independent_of_creation_order);
    tcase_add_test(tc, streams_differ_by_id_and_seed);
    tcase_add_test(tc, stream_values_are_pinned);
    tcase_add_test(tc, bounded_and_exponential_draws);
    suite_add_tcase(s, tc);
    return s;
}
