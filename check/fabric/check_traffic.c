/* Flow generators: HPCC's size tables and their means, Poisson load, determinism by seed, incast, refusals. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../src/fabric/traffic.h"
#include "../suites.h"


/* `hosts` hosts (nodes 0..hosts-1) and one switch after them. */
static void star(struct fabric_topology *t, uint32_t hosts)
{
    fabric_topology_init(t, hosts + 1);
    t->is_switch[hosts] = true;
    for (uint32_t h = 0; h < hosts; h++)
        ck_assert(fabric_topology_add_link(t, h, hosts, 100000000000ULL, VDC_US, 0.0, NULL));
}

START_TEST(tables_hold_hpccs_numbers)
{
    struct vdc_error err;
    ck_assert_msg(fabric_size_cdf_check(&fabric_cdf_websearch, &err), "%s", err.text);
    ck_assert_msg(fabric_size_cdf_check(&fabric_cdf_fb_hadoop, &err), "%s", err.text);
    ck_assert_uint_eq(fabric_cdf_websearch.count, 12);
    ck_assert_uint_eq(fabric_cdf_fb_hadoop.count, 20);
    ck_assert_uint_eq(fabric_cdf_websearch.points[5].bytes, 80000);
    ck_assert(fabric_cdf_websearch.points[5].percent == 53);
    ck_assert_uint_eq(fabric_cdf_websearch.points[11].bytes, 30000000);
    ck_assert_uint_eq(fabric_cdf_fb_hadoop.points[17].bytes, 1000000);
    ck_assert(fabric_cdf_fb_hadoop.points[17].percent == 97.5);
    ck_assert_uint_eq(fabric_cdf_fb_hadoop.points[19].bytes, 10000000);
    /* Trapezoids under the CDF, worked by hand: both are exact in binary. */
    ck_assert(fabric_size_cdf_mean(&fabric_cdf_websearch) == 1711250.0);
    ck_assert(fabric_size_cdf_mean(&fabric_cdf_fb_hadoop) == 120420.75);
    ck_assert_ptr_eq(fabric_size_cdf_named("websearch"), &fabric_cdf_websearch);
    ck_assert_ptr_eq(fabric_size_cdf_named("fb_hadoop"), &fabric_cdf_fb_hadoop);
    ck_assert_ptr_null(fabric_size_cdf_named("WebSearch"));
    ck_assert_ptr_null(fabric_size_cdf_named(NULL));
}
END_TEST

START_TEST(bad_tables_are_refused)
{
    static const struct fabric_cdf_point short_of_100[] = {{0, 0}, {10, 50}, {20, 99}};
    static const struct fabric_cdf_point late_start[] = {{5, 1}, {10, 100}};
    static const struct fabric_cdf_point flat[] = {{0, 0}, {10, 50}, {10, 60}, {20, 100}};
    static const struct fabric_cdf_point one[] = {{0, 0}};
    const struct {
        struct fabric_size_cdf cdf;
        const char *message;
    } cases[] = {
        {{"short", short_of_100, 3}, "flow-size CDF 'short' ends at 99 %; its last point must be at 100 %"},
        {{"late", late_start, 2}, "flow-size CDF 'late' starts at 1 %; its first point must be at 0 %"},
        {{"flat", flat, 4},
         "flow-size CDF 'flat': point 2 (10 bytes, 60 %) does not grow past point 1 (10 bytes, 50 %); both columns "
         "must increase strictly"},
        {{"one", one, 1}, "flow-size CDF 'one' has 1 points; it needs at least two, from 0 % to 100 %"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct vdc_error err;
        ck_assert(!fabric_size_cdf_check(&cases[i].cdf, &err));
        ck_assert_str_eq(err.text, cases[i].message);
    }
}
END_TEST

static void check_sampled_mean(const struct fabric_size_cdf *cdf, int samples)
{
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 2024, 1);
    double sum = 0;
    uint64_t largest = cdf->points[cdf->count - 1].bytes;
    int at_most_second_point = 0;
    int out_of_range = 0; /* counted, not asserted each time: Check reports every passed assertion */
    for (int i = 0; i < samples; i++) {
        uint64_t size = fabric_size_cdf_sample(cdf, &rng);
        out_of_range += size < 1 || size > largest;
        sum += (double)size;
        at_most_second_point += size <= cdf->points[1].bytes;
    }
    ck_assert_int_eq(out_of_range, 0);
    double mean = sum / samples, table = fabric_size_cdf_mean(cdf);
    ck_assert_msg(fabs(mean - table) < 0.02 * table, "%s: sampled mean %.0f, table mean %.0f", cdf->name, mean,
                  table);
    /* The CDF itself, at its second point: 15 % of web-search flows are at most 10 kB, 1 % of Hadoop's 100 B. */
    double fraction = (double)at_most_second_point / samples * 100, expected = cdf->points[1].percent;
    ck_assert_msg(fabs(fraction - expected) < 0.1 * expected, "%s: %.2f %% at most %llu bytes, expected %.2f %%",
                  cdf->name, fraction, (unsigned long long)cdf->points[1].bytes, expected);
}

START_TEST(sampled_means_match_the_tables)
{
    /* Relative standard errors: about 0.23 % and 0.28 %, so 2 % is far outside chance. */
    check_sampled_mean(&fabric_cdf_websearch, 1000000);
    check_sampled_mean(&fabric_cdf_fb_hadoop, 4000000);
}
END_TEST

static struct fabric_poisson_params websearch_half_load(void)
{
    return (struct fabric_poisson_params){
        .load = 0.5, .host_rate = 100000000000ULL, .sizes = &fabric_cdf_websearch, .start = VDC_MS,
        .duration = 5 * VDC_SEC, .seed = 42, .priority = 3, .dst_port = 100,
    };
}

static void check_offered_load(const struct fabric_poisson_params *params, uint32_t hosts)
{
    struct fabric_topology t;
    star(&t, hosts);
    struct fabric_flow_set flows = {0};
    struct vdc_error err;
    ck_assert_msg(fabric_traffic_poisson(&t, params, &flows, &err), "%s", err.text);
    double bits = 0;
    uint64_t sent[64] = {0}, received[64] = {0};
    for (size_t i = 0; i < flows.count; i++) {
        const struct fabric_flow_spec *f = &flows.items[i];
        bool good = f->src < hosts && f->dst < hosts && f->src != f->dst && f->start > params->start &&
                    f->start < params->start + params->duration && f->priority == params->priority &&
                    f->dst_port == params->dst_port && (i == 0 || flows.items[i - 1].start <= f->start);
        if (!good) /* one assertion per flow would make Check report each of them */
            ck_abort_msg("flow %zu (%u -> %u at %llu ps) breaks the generator's rules", i, f->src, f->dst,
                         (unsigned long long)f->start);
        bits += (double)f->size * 8;
        sent[f->src]++;
        received[f->dst]++;
    }
    double offered = bits / ((double)params->host_rate * hosts * ((double)params->duration / VDC_SEC));
    ck_assert_msg(fabs(offered - params->load) < 0.03 * params->load, "%s: offered load %.4f for a target of %.4f "
                  "over %zu flows", params->sizes->name, offered, params->load, flows.count);
    /* Every host opens, and receives, about its share of the flows. */
    double share = (double)flows.count / hosts;
    for (uint32_t h = 0; h < hosts; h++) {
        ck_assert_msg(fabs((double)sent[h] - share) < 0.05 * share, "host %u opened %llu flows of %.0f expected", h,
                      (unsigned long long)sent[h], share);
        ck_assert_msg(fabs((double)received[h] - share) < 0.05 * share, "host %u received %llu flows of %.0f", h,
                      (unsigned long long)received[h], share);
    }
    fabric_flow_set_free(&flows);
    fabric_topology_free(&t);
}

START_TEST(poisson_offers_the_target_load)
{
    /* About 290000 web-search flows: the offered load's relative standard error is about 0.5 %. */
    struct fabric_poisson_params params = websearch_half_load();
    check_offered_load(&params, 16);
    /* About 750000 Hadoop flows at 30 % of 25 Gbps (heavier tailed): relative standard error about 0.65 %. */
    params.sizes = &fabric_cdf_fb_hadoop;
    params.load = 0.3;
    params.host_rate = 25000000000ULL;
    params.duration = 6 * VDC_SEC;
    check_offered_load(&params, 16);
}
END_TEST

/* seed_decides_the_flows's flows, recorded once: any change to the generator or the RNG shows here. */
#define PINNED_COUNT 1439
#define PINNED_FIRST_SRC 0
#define PINNED_FIRST_DST 6
#define PINNED_FIRST_SIZE 5915
#define PINNED_FIRST_START 1059983720
#define PINNED_DIGEST 0xc2288f27c8ed1de6ULL

static bool same_flows(const struct fabric_flow_set *a, const struct fabric_flow_set *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++) {
        const struct fabric_flow_spec *x = &a->items[i], *y = &b->items[i];
        if (x->src != y->src || x->dst != y->dst || x->size != y->size || x->start != y->start ||
            x->priority != y->priority || x->dst_port != y->dst_port)
            return false;
    }
    return true;
}

START_TEST(seed_decides_the_flows)
{
    struct fabric_topology t;
    star(&t, 8);
    struct fabric_poisson_params params = websearch_half_load();
    params.duration = 50 * VDC_MS;
    struct fabric_flow_set a = {0}, b = {0}, c = {0};
    ck_assert(fabric_traffic_poisson(&t, &params, &a, NULL));
    ck_assert(fabric_traffic_poisson(&t, &params, &b, NULL));
    params.seed = 43;
    ck_assert(fabric_traffic_poisson(&t, &params, &c, NULL));
    ck_assert_uint_gt(a.count, 1000);
    ck_assert(same_flows(&a, &b));
    ck_assert(!same_flows(&a, &c));

    /* Pinned: the generator is part of the determinism contract, the same on every machine. */
    uint64_t digest = 14695981039346656037ULL; /* FNV-1a over the fields */
    for (size_t i = 0; i < a.count; i++) {
        const uint64_t fields[] = {a.items[i].src, a.items[i].dst, a.items[i].size, a.items[i].start};
        for (int k = 0; k < 4; k++) {
            digest ^= fields[k];
            digest *= 1099511628211ULL;
        }
    }
    ck_assert_uint_eq(a.count, PINNED_COUNT);
    ck_assert_uint_eq(a.items[0].src, PINNED_FIRST_SRC);
    ck_assert_uint_eq(a.items[0].dst, PINNED_FIRST_DST);
    ck_assert_uint_eq(a.items[0].size, PINNED_FIRST_SIZE);
    ck_assert_uint_eq(a.items[0].start, PINNED_FIRST_START);
    ck_assert_uint_eq(digest, PINNED_DIGEST);

    /* Appending keeps what the set held and sorts only the new flows. */
    struct fabric_flow_spec marker = {.src = 99, .start = VDC_TIME_MAX};
    struct fabric_flow_set d = {0};
    fabric_flow_set_add(&d, &marker);
    params.seed = 42;
    ck_assert(fabric_traffic_poisson(&t, &params, &d, NULL));
    ck_assert_uint_eq(d.count, a.count + 1);
    ck_assert_uint_eq(d.items[0].src, 99);
    ck_assert_uint_eq(d.items[1].start, a.items[0].start);
    fabric_flow_set_free(&a);
    fabric_flow_set_free(&b);
    fabric_flow_set_free(&c);
    fabric_flow_set_free(&d);
    fabric_topology_free(&t);
}
END_TEST

/* A duration shorter than every gap between arrivals draws no flow: an empty set, fine (the empty array is never
 * handed to qsort, which the sanitizers' build would stop at). */
START_TEST(poisson_may_draw_no_flow)
{
    struct fabric_topology t;
    star(&t, 8);
    struct fabric_poisson_params params = websearch_half_load();
    params.duration = 1;
    struct fabric_flow_set flows = {0};
    ck_assert(fabric_traffic_poisson(&t, &params, &flows, NULL));
    ck_assert_uint_eq(flows.count, 0);
    fabric_flow_set_free(&flows);
    fabric_topology_free(&t);
}
END_TEST

START_TEST(poisson_refuses_impossible_parameters)
{
    struct fabric_topology t, lonely;
    star(&t, 4);
    star(&lonely, 1);
    static const struct fabric_cdf_point unfinished[] = {{0, 0}, {10, 50}};
    static const struct fabric_size_cdf half = {"half", unfinished, 2};
    const struct {
        struct fabric_poisson_params params;
        const struct fabric_topology *topology;
        const char *message;
    } cases[] = {
        {{.load = 0, .host_rate = 1000000000, .sizes = &fabric_cdf_websearch, .duration = VDC_SEC}, &t,
         "Poisson traffic: load 0 is outside (0, 1]; give the fraction of each host's link rate to offer, e.g. 0.5"},
        {{.load = 1.5, .host_rate = 1000000000, .sizes = &fabric_cdf_websearch, .duration = VDC_SEC}, &t,
         "Poisson traffic: load 1.5 is outside (0, 1]; give the fraction of each host's link rate to offer, e.g. 0.5"},
        {{.load = NAN, .host_rate = 1000000000, .sizes = &fabric_cdf_websearch, .duration = VDC_SEC}, &t,
         "Poisson traffic: load nan is outside (0, 1]; give the fraction of each host's link rate to offer, e.g. 0.5"},
        {{.load = 0.5, .host_rate = 0, .sizes = &fabric_cdf_websearch, .duration = VDC_SEC}, &t,
         "Poisson traffic: host rate 0 bit/s; give the rate of the hosts' links"},
        {{.load = 0.5, .host_rate = 1000000000, .sizes = &fabric_cdf_websearch, .duration = 0}, &t,
         "Poisson traffic: duration 0; give how long the hosts keep opening flows"},
        {{.load = 0.5, .host_rate = 1000000000, .sizes = &fabric_cdf_websearch, .duration = VDC_SEC, .priority = 8},
         &t, "Poisson traffic: priority 8 is outside 0..7"},
        {{.load = 0.5, .host_rate = 1000000000, .sizes = &fabric_cdf_websearch, .duration = VDC_SEC}, &lonely,
         "Poisson traffic: the topology has 1 host; it needs at least two"},
        {{.load = 0.5, .host_rate = 1000000000, .sizes = NULL, .duration = VDC_SEC}, &t,
         "Poisson traffic: no flow-size distribution; choose websearch or fb_hadoop"},
        {{.load = 0.5, .host_rate = 1000000000, .sizes = &half, .duration = VDC_SEC}, &t,
         "Poisson traffic: flow-size CDF 'half' ends at 50 %; its last point must be at 100 %"},
        {{.load = 1, .host_rate = 1600000000000ULL, .sizes = &fabric_cdf_fb_hadoop, .duration = 100 * VDC_SEC}, &t,
         "Poisson traffic: 4 hosts at load 1 for 100 s would open about 664337058 flows, more than 10000000; "
         "shorten the duration or lower the load"},
        {{.load = 1e-12, .host_rate = 1000000, .sizes = &fabric_cdf_websearch, .duration = VDC_SEC}, &t,
         "Poisson traffic: a host would open a flow every 1.369e+25 ps on average, beyond any run; raise the load"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fabric_flow_set flows = {0};
        struct vdc_error err;
        ck_assert_msg(!fabric_traffic_poisson(cases[i].topology, &cases[i].params, &flows, &err), "case %zu", i);
        ck_assert_str_eq(err.text, cases[i].message);
        ck_assert_uint_eq(flows.count, 0);
    }
    fabric_topology_free(&t);
    fabric_topology_free(&lonely);
}
END_TEST

START_TEST(incast_sends_from_every_sender_at_once)
{
    struct fabric_topology t;
    star(&t, 10);
    const uint32_t senders[] = {3, 1, 4, 5, 9, 2, 6, 8};
    struct fabric_incast_params params = {
        .senders = senders, .sender_count = 8, .receiver = 0, .size = 64000, .start = 7 * VDC_US, .priority = 3,
        .dst_port = 100,
    };
    struct fabric_flow_set flows = {0};
    struct vdc_error err;
    ck_assert_msg(fabric_traffic_incast(&t, &params, &flows, &err), "%s", err.text);
    ck_assert_uint_eq(flows.count, 8);
    for (size_t i = 0; i < 8; i++) {
        ck_assert_uint_eq(flows.items[i].src, senders[i]);
        ck_assert_uint_eq(flows.items[i].dst, 0);
        ck_assert_uint_eq(flows.items[i].size, 64000);
        ck_assert_uint_eq(flows.items[i].start, 7 * VDC_US);
        ck_assert_uint_eq(flows.items[i].priority, 3);
        ck_assert_uint_eq(flows.items[i].dst_port, 100);
    }
    fabric_flow_set_free(&flows);
    fabric_topology_free(&t);
}
END_TEST

START_TEST(incast_refuses_impossible_parameters)
{
    struct fabric_topology t;
    star(&t, 4); /* hosts 0..3, switch 4 */
    const uint32_t twice[] = {1, 2, 1}, with_receiver[] = {1, 0}, to_switch[] = {1, 4}, outside[] = {1, 7};
    const struct {
        struct fabric_incast_params params;
        const char *message;
    } cases[] = {
        {{.senders = twice, .sender_count = 0, .receiver = 0, .size = 1},
         "incast: no senders; list the hosts that send to the receiver"},
        {{.senders = twice, .sender_count = 3, .receiver = 0, .size = 0}, "incast: size 0; give the bytes each sender "
                                                                          "sends"},
        {{.senders = twice, .sender_count = 3, .receiver = 0, .size = 1, .priority = 9},
         "incast: priority 9 is outside 0..7"},
        {{.senders = twice, .sender_count = 3, .receiver = 4, .size = 1},
         "incast: receiver node 4 ('switch4') is a switch; choose a host"},
        {{.senders = twice, .sender_count = 3, .receiver = 0, .size = 1},
         "incast: sender node 1 is listed twice; list each sender once"},
        {{.senders = with_receiver, .sender_count = 2, .receiver = 0, .size = 1},
         "incast: sender node 0 is also the receiver; a host does not send to itself"},
        {{.senders = to_switch, .sender_count = 2, .receiver = 0, .size = 1},
         "incast: sender node 4 ('switch4') is a switch; choose a host"},
        {{.senders = outside, .sender_count = 2, .receiver = 0, .size = 1},
         "incast: sender node 7 does not exist (nodes are 0..4)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fabric_flow_set flows = {0};
        struct vdc_error err;
        ck_assert_msg(!fabric_traffic_incast(&t, &cases[i].params, &flows, &err), "case %zu", i);
        ck_assert_str_eq(err.text, cases[i].message);
        ck_assert_uint_eq(flows.count, 0);
    }
    fabric_topology_free(&t);
}
END_TEST

Suite *traffic_suite(void)
{
    Suite *s = suite_create("traffic");
    TCase *sizes = tcase_create("sizes");
    tcase_add_test(sizes, tables_hold_hpccs_numbers);
    tcase_add_test(sizes, bad_tables_are_refused);
    tcase_add_test(sizes, sampled_means_match_the_tables);
    tcase_set_timeout(sizes, 60);
    suite_add_tcase(s, sizes);
    TCase *generators = tcase_create("generators");
    tcase_add_test(generators, poisson_offers_the_target_load);
    tcase_add_test(generators, seed_decides_the_flows);
    tcase_add_test(generators, poisson_may_draw_no_flow);
    tcase_add_test(generators, poisson_refuses_impossible_parameters);
    tcase_add_test(generators, incast_sends_from_every_sender_at_once);
    tcase_add_test(generators, incast_refuses_impossible_parameters);
    tcase_set_timeout(generators, 120);
    suite_add_tcase(s, generators);
    return s;
}
