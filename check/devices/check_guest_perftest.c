/* The perftest guest program on the host, run as rank 0 of a simulated guest (guest_host.h) whose peer, rank 1,
 * is its own NIC: its banner, tables and refusals; and perftest's statistics on their own. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../rigs/guest_host.h"
#include "../rigs/hinic_closed_form.h"
#include "perftest_stats.h"
#include "../suites.h"

/* The perftest program, its console captured. */
static char console[1 << 16];
static size_t console_len;

static int captured_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int captured_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(console + console_len, sizeof console - console_len, fmt, ap);
    va_end(ap);
    console_len += (size_t)n < sizeof console - console_len ? (size_t)n : 0;
    return n;
}

#define main perftest_main
#define PERFTEST_HOST_TEST 1
#define printf(...) captured_printf(__VA_ARGS__)
#include "../../guest/programs/perftest.c"
#undef printf
#undef main

/* Runs the program as rank 0, whose peer is its own NIC, each exit costing `exit_cost` (0: the default), and
 * returns its exit code. */
static int run_perftest_at(const char *args, vdc_time exit_cost)
{
    guest_host_boot(&(struct guest_host_options){.bootargs = args, .peer_gids = true, .exit_cost = exit_cost});
    console_len = 0;
    console[0] = '\0';
    int rc = perftest_main();
    ck_assert_ptr_null(strchr(console, '\t'));
    /* No guest error, and nothing sent twice (a SEND that found no receive posted, a lost packet). */
    struct hinic_stats stats = guest_host_nic_stats();
    ck_assert_msg(stats.errors == 0, "the NIC logged: %s", guest_host_nic_log());
    ck_assert_uint_eq(stats.retransmitted, 0);
    guest_host_halt();
    return rc;
}

static int run_perftest(const char *args)
{
    return run_perftest_at(args, 0);
}

/* The table's row for `size`: its numbers, or 0 fields when there is none. */
static int table_row(unsigned long size, double *v, int count)
{
    char key[32];
    snprintf(key, sizeof key, "\n %lu ", size);
    const char *row = strstr(console, key);
    if (row == NULL)
        return 0;
    unsigned long bytes, iters;
    int n = sscanf(row, " %lu %lu %lf %lf %lf %lf %lf %lf %lf", &bytes, &iters, &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6]);
    return n == 2 + count && bytes == size ? (int)iters : 0;
}

START_TEST(perftest_bandwidth_tables)
{
    double v[7];
    ck_assert_int_eq(run_perftest("write_bw -s 4096 -n 300 --report_gbits"), 0);
    ck_assert_ptr_nonnull(strstr(console, "RDMA_Write BW Test"));
    ck_assert_ptr_nonnull(strstr(console, " local address: LID 0000 QPN 0x0101 PSN 0x"));
    ck_assert_ptr_nonnull(strstr(console, " GID: 00:00:00:00:00:00:00:00:00:00:255:255:11:00:00:01\n"));
    ck_assert_ptr_nonnull(
        strstr(console, "\n #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]\n"));
    ck_assert_int_eq(table_row(4096, v, 3), 300);
    ck_assert_double_gt(v[1], 0);
    ck_assert_double_ge(v[0], v[1]); /* peak at least the average */
    ck_assert_double_eq_tol(v[1] * 1e9 / 8 / 4096 / 1e6, v[2], 1e-3); /* Gb/s and Mpps agree */

    ck_assert_int_eq(run_perftest("ib_read_bw -s 65536 -n 200 -t 16 -N"), 0);
    ck_assert_ptr_nonnull(
        strstr(console, "\n #bytes     #iterations    BW peak[MiB/sec]    BW average[MiB/sec]   MsgRate[Mpps]\n"));
    ck_assert_int_eq(table_row(65536, v, 3), 200);
    ck_assert_double_eq(v[0], 0); /* -N: no peak */
    ck_assert_double_eq_tol(v[1] * 1048576 / 65536 / 1e6, v[2], 1e-3);
    /* The responses share the blade's link: 16 frames of 4096 bytes, AETH on the first and the last. */
    double wire_bytes = 16.0 * (4096 + FABRIC_ROCE_OVERHEAD + FABRIC_PREAMBLE_IFG) + 2 * FABRIC_AETH;
    double analytic = (double)GUEST_HOST_LINK_RATE / 8 * 65536 / wire_bytes / 1048576; /* MiB/sec */
    ck_assert_msg(v[1] >= 0.9 * analytic && v[1] <= analytic, "read_bw %.2f MiB/sec, the link's payload share %.2f",
                  v[1], analytic);
}
END_TEST

START_TEST(perftest_latency_tables)
{
    double v[7];
    ck_assert_int_eq(run_perftest("send_lat -s 64 -n 200 -r 16"), 0);
    ck_assert_ptr_nonnull(strstr(console, "\n #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    "
                                          "t_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% "
                                          "percentile[usec] \n"));
    ck_assert_int_eq(table_row(64, v, 7), 200);
    ck_assert_double_gt(v[0], 0);
    ck_assert_double_le(v[0], v[2]); /* t_min <= t_typical <= 99% <= 99.9% <= t_max */
    ck_assert_double_le(v[2], v[5]);
    ck_assert_double_le(v[5], v[6]);
    ck_assert_double_le(v[6], v[1]);

    ck_assert_int_eq(run_perftest("write_lat -a -n 20"), 0);
    for (unsigned long size = 2; size <= 8388608; size *= 2)
        ck_assert_int_eq(table_row(size, v, 7), 20);
}
END_TEST

/* send_lat and write_lat of small messages against the closed form. The QP is its own peer here, so a round trip
 * is one message, whose latency costs the client two exits (the clock read before the doorbell, and the WAIT's
 * end); perftest halves it: latency = exit cost + one way / 2 (docs/hinic.md). Two exit costs, so that the exits'
 * share is tested too. */
START_TEST(perftest_latency_is_analytic)
{
    static const char *const tests[2] = {"send_lat -s 8 -n 100", "write_lat -s 8 -n 100"};
    static const uint32_t headers[2] = {0, FABRIC_RETH + FABRIC_IMMDT}; /* a WRITE with immediate: RETH, ImmDt */
    static const vdc_time exit_costs[2] = {GUEST_HOST_EXIT_COST, VDC_US};
    struct hinic_params params;
    hinic_params_defaults(&params);
    for (int t = 0; t < 2; t++) {
        for (int e = 0; e < 2; e++) {
            double v[7];
            ck_assert_int_eq(run_perftest_at(tests[t], exit_costs[e]), 0);
            ck_assert_int_eq(table_row(8, v, 7), 100);
            double one_way = closed_form_nic_ps(&params) +
                             closed_form_wire_ps(closed_form_frame(8, headers[t]), (double)GUEST_HOST_LINK_RATE,
                                                 GUEST_HOST_LINK_DELAY, GUEST_HOST_SWITCH_LATENCY);
            double analytic = ((double)exit_costs[e] + one_way / 2) / 1e6; /* usec */
            ck_assert_msg(v[2] >= 0.95 * analytic && v[2] <= 1.05 * analytic, "%s at %llu ps per exit: %.2f usec, "
                          "the closed form %.4f", tests[t], (unsigned long long)exit_costs[e], v[2], analytic);
            ck_assert_double_eq(v[0], v[1]); /* nothing else on the link: every round trip the same */
        }
    }
}
END_TEST

START_TEST(perftest_refuses_bad_arguments)
{
    ck_assert_int_eq(run_perftest("bogus"), 2);
    ck_assert_ptr_nonnull(strstr(console, "unknown test: bogus"));
    ck_assert_int_eq(run_perftest("write_bw -s 0"), 2);
    ck_assert_int_eq(run_perftest("write_bw --size=9000000"), 2);
    ck_assert_int_eq(run_perftest("write_bw -m 1000"), 2);
    ck_assert_int_eq(run_perftest("send_lat --iters"), 2);
    ck_assert_int_eq(run_perftest("write_bw -q"), 2);
    ck_assert_int_eq(run_perftest("-a"), 2);
    ck_assert_ptr_nonnull(strstr(console, "no test named"));
    ck_assert_int_eq(run_perftest("write_bw --size=128 -n5 --tx-depth 4"), 0);
    ck_assert_int_eq(table_row(128, (double[7]){0}, 3), 5);
}
END_TEST

START_TEST(latency_summary)
{
    uint64_t delta[1002];
    for (int i = 0; i < 1002; i++)
        delta[i] = 2000 + (uint64_t)((i * 7919) % 1002); /* 2000..3001 ns in a scrambled order */
    struct perftest_lat s;
    ck_assert_int_eq(perftest_lat_stats(delta, 1002, 2, &s), 0);
    for (int i = 1; i < 1002; i++)
        ck_assert_uint_le(delta[i - 1], delta[i]);
    ck_assert_double_eq_tol(s.min, 1.0, 1e-9);     /* 2000 ns round trip, halved */
    ck_assert_double_eq_tol(s.max, 1.5, 1e-9);     /* delta[1000]: the two largest are left out */
    ck_assert_double_eq_tol(s.typical, 1.24975, 1e-9); /* even count: the two middle ones averaged */
    ck_assert_double_eq_tol(s.avg, 1.24975, 1e-9);
    ck_assert_double_eq_tol(s.p99, 1.495, 1e-9);   /* delta[990] */
    ck_assert_double_eq_tol(s.p999, 1.4995, 1e-9); /* delta[999] */
    ck_assert_double_eq_tol(s.stdev, 0.1443, 1e-4);
    ck_assert_int_eq(perftest_lat_stats(delta, 3, 2, &s), -1);
}
END_TEST

START_TEST(bandwidth_peak)
{
    /* Eight messages posted in two batches, at 0 and 500 ns; the best run is messages 4-7, posted at 500 ns and
     * done at 600 ns (25 ns each), better than all eight in 600 ns (75 ns each). */
    struct perftest_stamp posts[] = {{0, 0}, {500, 4}};
    struct perftest_stamp done[] = {{450, 3}, {560, 5}, {600, 7}};
    ck_assert_double_eq_tol(perftest_peak_ns(posts, 2, done, 3), 25.0, 1e-9);
    ck_assert_double_eq_tol(perftest_peak_ns(posts, 1, done, 3), 75.0, 1e-9);
    ck_assert_double_eq_tol(perftest_peak_ns(posts, 1, done, 1), 112.5, 1e-9);
    ck_assert_double_eq(perftest_peak_ns(posts, 0, done, 3), 0);
}
END_TEST

Suite *guest_perftest_suite(void)
{
    Suite *s = suite_create("guest_perftest");
    TCase *tc = tcase_create("perftest");
    tcase_add_test(tc, perftest_bandwidth_tables);
    tcase_add_test(tc, perftest_latency_tables);
    tcase_add_test(tc, perftest_latency_is_analytic);
    tcase_add_test(tc, perftest_refuses_bad_arguments);
    tcase_add_test(tc, latency_summary);
    tcase_add_test(tc, bandwidth_peak);
    suite_add_tcase(s, tc);
    return s;
}
