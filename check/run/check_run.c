/* Whole runs: the same scenario and seed give the same digest; latency matches the analytic model. */
#include <stdio.h>

#include "../../src/common/exit_codes.h"
#include "../../src/run/run_scenario.h"
#include "../../src/common/time.h"
#include "../suites.h"

static int run_file(const char *path, const char *set, uint64_t seed, struct vdc_run_outcome *outcome,
                    struct vdc_scenario *keep)
{
    struct vdc_scenario sc;
    struct vdc_error err;
    vdc_scenario_init(&sc);
    ck_assert_msg(vdc_scenario_load(&sc, path, &err), "%s", err.text);
    if (set != NULL)
        ck_assert_msg(vdc_scenario_set(&sc, set, &err), "%s", err.text);
    if (seed != 0)
        sc.seed = seed;
    ck_assert_msg(vdc_scenario_validate(&sc, &err), "%s", err.text);
    FILE *sink = fopen("/dev/null", "w");
    struct vdc_run_options options = {0};
    int code = vdc_run_scenario(&sc, &options, sink, outcome);
    fclose(sink);
    if (keep != NULL)
        *keep = sc;
    else
        vdc_scenario_free(&sc);
    return code;
}

START_TEST(same_seed_same_digest)
{
    struct vdc_run_outcome a, b, c;
    ck_assert_int_eq(run_file("scenarios/rack8.yaml", NULL, 0, &a, NULL), VDC_EXIT_OK);
    ck_assert_int_eq(run_file("scenarios/rack8.yaml", NULL, 0, &b, NULL), VDC_EXIT_OK);
    ck_assert_uint_eq(a.digest, b.digest);
    ck_assert_uint_eq(a.events, b.events);
    ck_assert_uint_eq(a.end_time, b.end_time);
    ck_assert_int_eq(run_file("scenarios/rack8.yaml", NULL, 2, &c, NULL), VDC_EXIT_OK);
    ck_assert_uint_ne(a.digest, c.digest);
}
END_TEST

/* Serialization of a frame at 100 Gbps (80 ps per byte), with preamble and inter-frame gap. */
static vdc_time wire_time_100g(vdc_time frame_bytes)
{
    return (frame_bytes + 20) * 80;
}

START_TEST(light_load_fct_is_analytic)
{
    struct vdc_run_outcome out;
    struct vdc_scenario sc;
    ck_assert_int_eq(run_file("scenarios/rack8-light.yaml", NULL, 0, &out, &sc), VDC_EXIT_OK);
    /* 4 KiB is four 1000-byte packets and one of 96 bytes; a RoCEv2 frame adds 66 bytes (Ethernet, 802.1Q, IPv4,
     * UDP, BTH, ICRC, FCS) and an ACK frame is 70 bytes. The packets leave the sender back to back, cross the TOR
     * store-and-forward (plus its 500 ns), and the last one's ACK returns over both hops. */
    ck_assert_uint_eq(sc.workload.message_size, 4096);
    vdc_time full = wire_time_100g(1066), last = wire_time_100g(162), ack = wire_time_100g(70);
    vdc_time delay = sc.topology.link_delay, tor = sc.topology.switch_latency;
    vdc_time first_at_tor = full + delay + tor;
    vdc_time last_at_tor = 4 * full + last + delay + tor;
    vdc_time tor_fourth_done = first_at_tor + 4 * full; /* the TOR's output is free after the fourth packet */
    vdc_time last_done = (last_at_tor > tor_fourth_done ? last_at_tor : tor_fourth_done) + last;
    vdc_time analytic = last_done + delay + 2 * (ack + delay) + tor;
    ck_assert_uint_eq(analytic, 5463360);
    ck_assert_uint_eq(out.latency_min, analytic);
    /* Queueing at 0.5% load adds well under 1% on average (M/D/1 wait = rho/(2(1-rho)) x service). */
    ck_assert_uint_ge(out.latency_mean, analytic);
    ck_assert_uint_le(out.latency_mean, analytic + analytic / 100);
    vdc_scenario_free(&sc);
}
END_TEST

START_TEST(failed_check_exits_1)
{
    struct vdc_run_outcome out;
    /* 8 blades sending 500 messages each cannot deliver 100000. */
    ck_assert_int_eq(run_file("scenarios/rack8-light.yaml", "checks.min_delivered=100000", 0, &out, NULL),
                     VDC_EXIT_SIM_FAILED);
    ck_assert(!out.checks_passed);
}
END_TEST

START_TEST(stop_time_ends_the_run)
{
    struct vdc_run_outcome out;
    ck_assert_int_eq(run_file("scenarios/rack8.yaml", "run.stop_time=1ms", 0, &out, NULL), VDC_EXIT_SIM_FAILED);
    ck_assert_uint_eq(out.end_time, VDC_MS);
}
END_TEST

Suite *run_suite(void)
{
    Suite *s = suite_create("run");
    TCase *tc = tcase_create("scenarios");
    tcase_add_test(tc, same_seed_same_digest);
    tcase_add_test(tc, light_load_fct_is_analytic);
    tcase_add_test(tc, failed_check_exits_1);
    tcase_add_test(tc, stop_time_ends_the_run);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}
