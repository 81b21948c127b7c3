/* Fabric validation: fair sharing of one bottleneck, lossless vs lossy incast, the RED marking ramp, DCQCN
 * convergence, and a multi-bottleneck SimGrid platform's steady-state rates against SimGrid's max-min rates.
 * docs/validation.md gives each tolerance and why. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../src/fabric/fabric.h"
#include "../../src/fabric/host.h"
#include "../../src/fabric/simgrid_import.h"
#include "../../src/fabric/topologies.h"
#include "../suites.h"

#define GBPS 1000000000ULL
#define LONG_FLOW (1ULL << 40) /* bytes: never finishes within a test */
#define MAX_FLOWS 64
#define PARKING_LOT "scenarios/platforms/parking-lot.xml"

/* A fabric under test: topology, configuration, simulation and flows. */
struct testbed {
    struct fabric_topology topo;
    struct fabric_config cfg;
    struct fabric_flow_set flows;
    struct vdc_sim sim;
    struct fabric f;
    uint64_t mark[MAX_FLOWS]; /* delivered bytes at the start of the current window */
    vdc_time mark_at;
};

/* `hosts` hosts on one switch, every link at `rate` with `delay`; HPCC's defaults. */
static void testbed_rack(struct testbed *tb, uint32_t hosts, uint64_t rate, vdc_time delay)
{
    memset(tb, 0, sizeof *tb);
    struct vdc_error err = {{0}};
    ck_assert_msg(fabric_topology_rack(&tb->topo, hosts, hosts, rate, delay, &err), "%s", err.text);
    fabric_config_defaults(&tb->cfg);
}

static void testbed_platform(struct testbed *tb, const char *path)
{
    memset(tb, 0, sizeof *tb);
    struct vdc_error err = {{0}};
    ck_assert_msg(fabric_simgrid_read_platform(path, &tb->topo, &err), "%s", err.text);
    fabric_config_defaults(&tb->cfg);
}

static void testbed_flow(struct testbed *tb, uint32_t src, uint32_t dst, uint64_t size, vdc_time start)
{
    struct fabric_flow_spec spec = {.src = src, .dst = dst, .priority = 3, .dst_port = 100, .size = size,
                                    .start = start};
    fabric_flow_set_add(&tb->flows, &spec);
}

/* Builds the fabric from tb->cfg and installs the flows. */
static void testbed_start(struct testbed *tb, uint64_t seed)
{
    struct vdc_error err = {{0}};
    ck_assert_uint_le(tb->flows.count, MAX_FLOWS);
    vdc_sim_init(&tb->sim, seed);
    ck_assert_msg(fabric_build(&tb->f, &tb->sim, &tb->topo, &tb->cfg, &err), "%s", err.text);
    ck_assert_msg(fabric_hosts_add_flows(&tb->f, &tb->flows, &err), "%s", err.text);
}

static void testbed_free(struct testbed *tb)
{
    fabric_free(&tb->f);
    vdc_sim_free(&tb->sim);
    fabric_flow_set_free(&tb->flows);
    fabric_topology_free(&tb->topo);
}

/* Runs to `until`; from then on, windows count what each flow delivers. */
static void run_to_window_start(struct testbed *tb, vdc_time until)
{
    vdc_sim_run(&tb->sim, until);
    for (uint32_t i = 0; i < tb->f.flow_count; i++)
        tb->mark[i] = tb->f.flows[i].rx->bytes_received;
    tb->mark_at = until;
}

/* Runs to `until` and gives each flow's goodput since the window started: payload delivered in order to the
 * receiver, in bit/s. The next window starts here. */
static void run_window(struct testbed *tb, vdc_time until, double *bps)
{
    vdc_sim_run(&tb->sim, until);
    double seconds = (double)(until - tb->mark_at) / (double)VDC_SEC;
    for (uint32_t i = 0; i < tb->f.flow_count; i++) {
        bps[i] = (double)(tb->f.flows[i].rx->bytes_received - tb->mark[i]) * 8.0 / seconds;
        tb->mark[i] = tb->f.flows[i].rx->bytes_received;
    }
    tb->mark_at = until;
}

/* Wire bytes per payload byte of a full data packet: Ethernet/802.1Q/IPv4/UDP/BTH/ICRC/FCS and preamble + gap. */
static double wire_per_payload(uint32_t payload)
{
    return (double)(payload + FABRIC_ROCE_OVERHEAD + FABRIC_PREAMBLE_IFG) / (double)payload;
}

static double jain_index(const double *x, uint32_t n)
{
    double sum = 0, squares = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += x[i];
        squares += x[i] * x[i];
    }
    return squares > 0 ? sum * sum / (n * squares) : 0;
}

static uint64_t pauses_sent(const struct fabric *f)
{
    uint64_t n = 0;
    for (uint32_t a = 0; a < f->node_count; a++)
        for (uint16_t p = 0; p < f->nodes[a].port_count; p++)
            n += f->nodes[a].ports[p].count.pauses_sent;
    return n;
}

static uint64_t retransmitted(const struct fabric *f)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < f->flow_count; i++)
        n += f->flows[i].retransmitted;
    return n;
}

/* The switch port of a rack that sends to host `host` (the rack's switch is its last node; port i faces host i). */
static struct fabric_port *rack_port_to(struct testbed *tb, uint32_t host)
{
    return &tb->f.nodes[tb->f.node_count - 1].ports[host];
}

/* --- 1. Fair sharing of one bottleneck ---------------------------------------------------------------------- */

START_TEST(flows_share_one_bottleneck_fairly)
{
    static const uint32_t sender_counts[] = {4, 8};
    for (unsigned c = 0; c < 2; c++) {
        uint32_t n = sender_counts[c];
        struct testbed tb;
        testbed_rack(&tb, n + 1, 100 * GBPS, VDC_US);
        for (uint32_t i = 0; i < n; i++)
            testbed_flow(&tb, i, n, LONG_FLOW, 0);
        testbed_start(&tb, 1);
        /* DCQCN's start-up (every flow at line rate, alpha at 1, cut to the minimum and recovering on the 900 us
         * timer) is over within about 4 ms; measure the 10 ms after 5 ms. */
        run_to_window_start(&tb, 5 * VDC_MS);
        double bps[MAX_FLOWS], total = 0;
        run_window(&tb, 15 * VDC_MS, bps);
        for (uint32_t i = 0; i < n; i++)
            total += bps[i];
        double payload_rate = 100e9 / wire_per_payload(tb.cfg.payload);
        double jain = jain_index(bps, n);
        ck_assert_msg(jain >= 0.99, "%u flows: Jain index %.5f", n, jain);
        for (uint32_t i = 0; i < n; i++)
            ck_assert_msg(fabs(bps[i] * n / total - 1) <= 0.1, "%u flows: flow %u at %.3f Gbps, the fair share is %.3f",
                          n, i, bps[i] / 1e9, total / n / 1e9);
        ck_assert_msg(total >= 0.97 * payload_rate && total <= 1.001 * payload_rate,
                      "%u flows: aggregate goodput %.3f Gbps, the link's payload rate is %.3f Gbps", n, total / 1e9,
                      payload_rate / 1e9);
        ck_assert_uint_eq(fabric_drops(&tb.f), 0);
        testbed_free(&tb);
    }
}
END_TEST

START_TEST(priorities_share_one_bottleneck_by_weight)
{
    /* Two senders into one receiver on priorities 1 and 2 with DWRR weights 1 and 3, DCQCN off: PFC keeps both
     * classes' queues at the receiver's switch port backlogged, and the port's DWRR gives them its payload rate 1 : 3.
     * (Before the turns of deficit round robin, the class the pointer was on sent as long as it was backlogged.) */
    struct testbed tb;
    testbed_rack(&tb, 3, 100 * GBPS, VDC_US);
    tb.cfg.dcqcn.enabled = false;
    tb.cfg.dwrr_weight[1] = 1;
    tb.cfg.dwrr_weight[2] = 3;
    for (uint32_t i = 0; i < 2; i++) {
        struct fabric_flow_spec spec = {.src = i, .dst = 2, .priority = (uint8_t)(1 + i), .dst_port = 100,
                                        .size = LONG_FLOW};
        fabric_flow_set_add(&tb.flows, &spec);
    }
    testbed_start(&tb, 1);
    run_to_window_start(&tb, 1 * VDC_MS);
    double bps[MAX_FLOWS];
    run_window(&tb, 3 * VDC_MS, bps);
    double total = bps[0] + bps[1], payload_rate = 100e9 / wire_per_payload(tb.cfg.payload);
    ck_assert_msg(fabs(bps[1] / total - 0.75) <= 0.01, "priority 2 (weight 3) got %.4f of %.3f Gbps", bps[1] / total,
                  total / 1e9);
    ck_assert_msg(total >= 0.97 * payload_rate, "aggregate goodput %.3f Gbps, the link's payload rate is %.3f Gbps",
                  total / 1e9, payload_rate / 1e9);
    ck_assert_uint_eq(fabric_drops(&tb.f), 0);
    testbed_free(&tb);
}
END_TEST

/* --- 2. Lossless vs lossy under incast ---------------------------------------------------------------------- */

struct incast_case {
    uint32_t senders;
    uint64_t rate;
    vdc_time delay;
    uint64_t buffer;      /* 0: the default 32 MB */
    uint64_t flow_bytes;
    bool dcqcn;
};

/* Runs the incast until every flow completed (checked); gives drops, pauses sent and packets sent again. */
static void run_incast(const struct incast_case *c, bool lossless, uint64_t *drops, uint64_t *pauses,
                       uint64_t *resent)
{
    struct testbed tb;
    testbed_rack(&tb, c->senders + 1, c->rate, c->delay);
    if (c->buffer)
        tb.cfg.buffer = c->buffer;
    tb.cfg.dcqcn.enabled = c->dcqcn;
    tb.cfg.pfc = lossless;
    tb.cfg.lossy = !lossless;
    for (uint32_t i = 0; i < c->senders; i++)
        testbed_flow(&tb, i, c->senders, c->flow_bytes, 0);
    testbed_start(&tb, 1);
    /* A second is ten times the slowest case (lossy at 1 Gbps); a transport that never recovers ends here. */
    vdc_sim_run(&tb.sim, VDC_SEC);
    ck_assert_msg(fabric_flows_done(&tb.f) == c->senders, "%u->1 at %.0f Gbps, %s: %u of %u flows completed", c->senders,
                  (double)c->rate / 1e9, lossless ? "PFC" : "lossy", fabric_flows_done(&tb.f), c->senders);
    *drops = fabric_drops(&tb.f);
    *pauses = pauses_sent(&tb.f);
    *resent = retransmitted(&tb.f);
    testbed_free(&tb);
}

START_TEST(pfc_never_drops_lossy_drops_and_recovers)
{
    static const struct incast_case cases[] = {
        /* A shallow-buffer switch: 16 x 1 MB into 4 MB, DCQCN on. */
        {16, 100 * GBPS, VDC_US, 4000000, 1000000, true},
        /* HPCC's 32 MB buffer: 64 x 1 MB, DCQCN on. */
        {64, 100 * GBPS, VDC_US, 0, 1000000, true},
        /* Slow, short links where HPCC's headroom formula gives less than one frame; PFC alone. */
        {16, 1 * GBPS, 2 * VDC_US, 200000, 100000, false},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct incast_case *c = &cases[i];
        uint64_t drops, pauses, resent;
        run_incast(c, true, &drops, &pauses, &resent);
        ck_assert_msg(drops == 0, "case %u, PFC: %llu frames dropped", i, (unsigned long long)drops);
        ck_assert_msg(pauses > 0, "case %u, PFC: the incast never needed a pause; it tests nothing", i);
        run_incast(c, false, &drops, &pauses, &resent);
        ck_assert_msg(drops > 0, "case %u, lossy: nothing dropped; the incast is too light to test loss", i);
        ck_assert_uint_eq(pauses, 0);
        ck_assert_msg(resent > 0, "case %u, lossy: %llu drops but nothing sent again", i,
                      (unsigned long long)drops);
    }
}
END_TEST

/* --- 3. The RED marking ramp -------------------------------------------------------------------------------- */

/* RED as specified: no mark up to Kmin, probability rising linearly to Pmax at Kmax, always above Kmax. */
static double red_expected(uint64_t kmin, uint64_t kmax, double pmax, uint64_t depth)
{
    if (depth <= kmin)
        return 0.0;
    if (depth > kmax)
        return 1.0;
    double fraction = (double)(depth - kmin) / (double)(kmax - kmin);
    return fraction * pmax;
}

START_TEST(red_marks_on_the_ramp)
{
    /* HPCC's 100 Gbps thresholds, and the DCQCN paper's (Kmin 5 KB, Kmax 200 KB, Pmax 1%). */
    static const struct {
        uint64_t kmin, kmax;
        double pmax;
    } ramps[] = {{400000, 1600000, 0.2}, {5000, 200000, 0.01}};
    enum { SAMPLES = 200000 };
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 1, 0xEC0);
    for (unsigned r = 0; r < 2; r++) {
        uint64_t kmin = ramps[r].kmin, kmax = ramps[r].kmax, span = kmax - kmin;
        double pmax = ramps[r].pmax;
        const uint64_t depths[] = {0, kmin - 1, kmin, kmin + 1, kmin + span / 4, kmin + span / 2,
                                   kmin + 3 * span / 4, kmax - 1, kmax, kmax + 1, 4 * kmax};
        for (unsigned d = 0; d < sizeof depths / sizeof depths[0]; d++) {
            uint64_t depth = depths[d];
            double p = red_expected(kmin, kmax, pmax, depth);
            double q = fabric_red_probability(kmin, kmax, pmax, depth);
            ck_assert_msg(fabs(q - p) <= 1e-12, "ramp %u, depth %llu: probability %.15g, expected %.15g", r,
                          (unsigned long long)depth, q, p);
            struct vdc_rng before = rng;
            uint32_t marks = 0;
            for (unsigned s = 0; s < SAMPLES; s++)
                marks += fabric_red_mark(kmin, kmax, pmax, depth, &rng);
            if (p == 0.0 || p == 1.0) {
                ck_assert_uint_eq(marks, p == 0.0 ? 0 : SAMPLES);
                /* Off the ramp the decision draws nothing: the switch's stream is left as it was. */
                ck_assert(memcmp(&before, &rng, sizeof rng) == 0);
                continue;
            }
            /* Binomial(SAMPLES, p): within 5 standard deviations (a 6e-7 chance of failing for a correct ramp). */
            double mean = SAMPLES * p, sd = sqrt(SAMPLES * p * (1 - p));
            ck_assert_msg(fabs(marks - mean) <= 5 * sd, "ramp %u, depth %llu: %u marks of %d, expected %.1f +- %.1f",
                          r, (unsigned long long)depth, marks, SAMPLES, mean, 5 * sd);
        }
    }
}
END_TEST

START_TEST(red_marks_follow_the_switch_queue)
{
    /* Two senders at line rate into one receiver, DCQCN off so marks change nothing: the switch's queue toward
     * the receiver grows by about a frame per frame time, through Kmin (400 KB) and Kmax (1.6 MB) in ~130 us.
     * Stepping 100 ns (about one 1086-byte frame at 100 Gbps) gives the depth each dequeued frame saw, to within
     * two frames. First HPCC's ramp at 100 Gbps, then a step (Kmax one byte above Kmin, DCTCP-style), whose
     * deterministic marks pin where marking starts to those two frames. */
    static const uint64_t thresholds[][2] = {{0, 0}, {400000, 400001}};
    for (unsigned c = 0; c < 2; c++) {
        struct testbed tb;
        testbed_rack(&tb, 3, 100 * GBPS, VDC_US);
        tb.cfg.dcqcn.enabled = false;
        tb.cfg.ecn_kmin = thresholds[c][0];
        tb.cfg.ecn_kmax = thresholds[c][1];
        testbed_flow(&tb, 0, 2, LONG_FLOW, 0);
        testbed_flow(&tb, 1, 2, LONG_FLOW, 0);
        testbed_start(&tb, 1);
        struct fabric_port *port = rack_port_to(&tb, 2);
        const uint64_t kmin = port->ecn_kmin, kmax = port->ecn_kmax, frame = fabric_data_frame_bytes(tb.cfg.payload);
        ck_assert_uint_eq(kmin, 400000);
        ck_assert_uint_eq(kmax, c == 0 ? 1600000 : 400001);
        double ramp_expected = 0, ramp_variance = 0;
        uint64_t ramp_marks = 0, saturated_frames = 0, saturated_marks = 0;
        for (vdc_time t = 100 * VDC_NS; t <= 200 * VDC_US; t += 100 * VDC_NS) {
            uint64_t depth_before = port->queue[3].bytes, marks_before = port->count.ecn_marked;
            uint64_t sent_before = port->count.tx_frames;
            vdc_sim_run(&tb.sim, t);
            uint64_t depth = port->queue[3].bytes, marks = port->count.ecn_marked - marks_before;
            uint64_t sent = port->count.tx_frames - sent_before;
            ck_assert_uint_ge(depth + frame, depth_before); /* the queue only grows, give or take a frame */
            if (depth + 2 * frame <= kmin) {
                ck_assert_msg(port->count.ecn_marked == 0, "a mark at %.1f us with %llu bytes queued, under Kmin",
                              (double)t / VDC_US, (unsigned long long)depth);
            } else if (depth_before > kmax + 2 * frame) {
                saturated_frames += sent;
                saturated_marks += marks;
            } else if (depth_before > kmin + 2 * frame && depth + 2 * frame <= kmax) {
                double p = red_expected(kmin, kmax, tb.cfg.ecn_pmax, depth);
                ramp_expected += (double)sent * p;
                ramp_variance += (double)sent * p * (1 - p);
                ramp_marks += marks;
            }
        }
        ck_assert_msg(saturated_frames > 500 && saturated_marks == saturated_frames,
                      "above Kmax: %llu of %llu frames marked", (unsigned long long)saturated_marks,
                      (unsigned long long)saturated_frames);
        if (c == 0) {
            /* The depth seen at dequeue differs from the sampled one by a couple of frames: 2 x 1086 / 1.2 MB x
             * Pmax is a 0.04% error in p, far inside the binomial tolerance. */
            ck_assert_msg(ramp_expected > 50 && fabs((double)ramp_marks - ramp_expected) <= 5 * sqrt(ramp_variance),
                          "on the ramp: %llu marks, expected %.1f +- %.1f", (unsigned long long)ramp_marks,
                          ramp_expected, 5 * sqrt(ramp_variance));
        }
        testbed_free(&tb);
    }
}
END_TEST

/* --- 4. DCQCN convergence ----------------------------------------------------------------------------------- */

START_TEST(dcqcn_flows_converge_to_fair_shares)
{
    const vdc_time second_start = 3 * VDC_MS, end = second_start + 20 * VDC_MS;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        struct testbed tb;
        testbed_rack(&tb, 3, 100 * GBPS, VDC_US);
        testbed_flow(&tb, 0, 2, LONG_FLOW, 0);
        testbed_flow(&tb, 1, 2, LONG_FLOW, second_start);
        testbed_start(&tb, seed);
        struct fabric_port *port = rack_port_to(&tb, 2);
        double payload_rate = 100e9 / wire_per_payload(tb.cfg.payload), bps[2];

        /* Alone, the first flow fills the link and nothing queues. */
        run_to_window_start(&tb, 1 * VDC_MS);
        run_window(&tb, second_start, bps);
        ck_assert_msg(fabs(bps[0] - payload_rate) <= 0.001 * payload_rate, "seed %llu: alone at %.3f Gbps",
                      (unsigned long long)seed, bps[0] / 1e9);
        ck_assert_uint_eq(port->count.ecn_marked, 0);

        /* Then 1 ms windows; the queue sampled every microsecond. */
        uint64_t queue_peak = 0;
        double steady[2] = {0, 0};
        unsigned steady_windows = 0;
        for (vdc_time w = second_start + VDC_MS; w <= end; w += VDC_MS) {
            for (vdc_time t = w - VDC_MS + VDC_US; t <= w; t += VDC_US) {
                vdc_sim_run(&tb.sim, t);
                if (port->queue[3].bytes > queue_peak)
                    queue_peak = port->queue[3].bytes;
            }
            run_window(&tb, w, bps);
            double slower = fmin(bps[0], bps[1]), faster = fmax(bps[0], bps[1]);
            if (w >= second_start + 2 * VDC_MS)
                ck_assert_msg(slower >= 0.8 * faster, "seed %llu, window ending %.0f ms: %.2f and %.2f Gbps",
                              (unsigned long long)seed, (double)w / VDC_MS, bps[0] / 1e9, bps[1] / 1e9);
            if (w > second_start + 2 * VDC_MS) {
                steady[0] += bps[0];
                steady[1] += bps[1];
                steady_windows++;
            }
        }
        double jain = jain_index(steady, 2);
        double utilization = (steady[0] + steady[1]) / steady_windows / payload_rate;
        ck_assert_msg(jain >= 0.99, "seed %llu: Jain index %.5f over the last 18 ms", (unsigned long long)seed, jain);
        ck_assert_msg(utilization >= 0.9, "seed %llu: the link carried %.1f%% of its payload rate",
                      (unsigned long long)seed, 100 * utilization);
        ck_assert_msg(queue_peak <= port->ecn_kmax, "seed %llu: the queue reached %llu bytes (Kmax %llu)",
                      (unsigned long long)seed, (unsigned long long)queue_peak,
                      (unsigned long long)port->ecn_kmax);
        ck_assert_uint_eq(pauses_sent(&tb.f), 0);
        testbed_free(&tb);
    }
}
END_TEST

/* --- 5. A multi-bottleneck SimGrid platform against SimGrid's max-min --------------------------------------- */

/* Runs long-lived flows for `pairs` on the parking lot, measures each one's wire rate (goodput x wire bytes per
 * payload byte: what SimGrid's link bandwidth counts) from 30 to 230 ms, and gets SimGrid's max-min rates. */
static void parking_lot_rates(const uint32_t (*pairs)[2], uint32_t count, double *vdc_bps, double *simgrid_bps)
{
    struct vdc_error err = {{0}};
    ck_assert_msg(fabric_simgrid_maxmin_rates(PARKING_LOT, pairs, count, simgrid_bps, &err), "%s", err.text);
    struct testbed tb;
    testbed_platform(&tb, PARKING_LOT);
    for (uint32_t i = 0; i < count; i++)
        testbed_flow(&tb, pairs[i][0], pairs[i][1], LONG_FLOW, 0);
    testbed_start(&tb, 1);
    /* The flow from b3 (1 Gbps NIC) is cut to DCQCN's minimum at the start and climbs back on the 900 us timer
     * in about 30 ms. */
    run_to_window_start(&tb, 30 * VDC_MS);
    run_window(&tb, 230 * VDC_MS, vdc_bps);
    for (uint32_t i = 0; i < count; i++)
        vdc_bps[i] *= wire_per_payload(tb.cfg.payload);
    ck_assert_uint_eq(fabric_drops(&tb.f), 0);
    testbed_free(&tb);
}

static double relative_error(double measured, double reference)
{
    return (measured - reference) / reference;
}

/* Host numbers on the parking lot (hosts in name order): a1 0, a2 1, b1 2, b2 3, b3 4, c1 5, c2 6, c3 7. */
START_TEST(parking_lot_rates_match_maxmin)
{
    /* Three bottleneck levels, each flow crossing one saturated link: a1->b1 and a2->b2 share r1-r2 (10 Gbps,
     * 5 each); b1->c1 and b2->c2 share r2-r3 (6 Gbps) with b3->c3, which its 1 Gbps NIC link holds to 1. */
    const uint32_t pairs[][2] = {{0, 2}, {1, 3}, {2, 5}, {3, 6}, {4, 7}};
    const double maxmin[] = {5e9, 5e9, 2.5e9, 2.5e9, 1e9};
    double vdc_bps[5], simgrid_bps[5];
    parking_lot_rates(pairs, 5, vdc_bps, simgrid_bps);
    for (unsigned i = 0; i < 5; i++) {
        ck_assert_msg(fabs(simgrid_bps[i] - maxmin[i]) <= 1e-6 * maxmin[i], "SimGrid gave %.6g", simgrid_bps[i]);
        double e = relative_error(vdc_bps[i], simgrid_bps[i]);
        ck_assert_msg(fabs(e) <= 0.05, "flow %u: vdc %.4f Gbps on the wire, SimGrid %.4f Gbps (%+.2f%%)", i,
                      vdc_bps[i] / 1e9, simgrid_bps[i] / 1e9, 100 * e);
    }
}
END_TEST

START_TEST(parking_lot_flow_over_two_bottlenecks_gets_less_than_maxmin)
{
    /* The classic parking lot: a1->c1 crosses both saturated links, r1-r2 (with a2->b1) and r2-r3 (with b2->c2
     * and b3->c3). Max-min: 2.5, 7.5, 2.5 and 1 Gbps. DCQCN reacts to marks from either queue, so the long flow
     * is cut more often than its competitors and gets less than max-min (docs/validation.md). */
    const uint32_t pairs[][2] = {{0, 5}, {1, 2}, {3, 6}, {4, 7}};
    double vdc_bps[4], simgrid_bps[4];
    parking_lot_rates(pairs, 4, vdc_bps, simgrid_bps);
    for (unsigned i = 1; i <= 3; i += 2) {
        double e = relative_error(vdc_bps[i], simgrid_bps[i]);
        ck_assert_msg(fabs(e) <= 0.05, "flow %u: vdc %.4f Gbps, SimGrid %.4f Gbps (%+.2f%%)", i, vdc_bps[i] / 1e9,
                      simgrid_bps[i] / 1e9, 100 * e);
    }
    double long_flow = relative_error(vdc_bps[0], simgrid_bps[0]);
    ck_assert_msg(long_flow < 0 && long_flow > -0.25, "a1->c1: vdc %.4f Gbps, max-min %.4f Gbps (%+.2f%%)",
                  vdc_bps[0] / 1e9, simgrid_bps[0] / 1e9, 100 * long_flow);
    /* Both links stay full: what a1->c1 loses, the flows beside it take. */
    double r1_r2 = vdc_bps[0] + vdc_bps[1], r2_r3 = vdc_bps[0] + vdc_bps[2] + vdc_bps[3];
    ck_assert_msg(fabs(relative_error(r1_r2, simgrid_bps[0] + simgrid_bps[1])) <= 0.05, "r1-r2 carries %.4f Gbps",
                  r1_r2 / 1e9);
    ck_assert_msg(fabs(relative_error(r2_r3, simgrid_bps[0] + simgrid_bps[2] + simgrid_bps[3])) <= 0.05,
                  "r2-r3 carries %.4f Gbps", r2_r3 / 1e9);
}
END_TEST


Suite *fabric_validation_suite(void)
{
    Suite *s = suite_create("fabric_validation");
    TCase *tc = tcase_create("fabric");
    tcase_set_timeout(tc, 120); /* seconds under the sanitizers; a few in the normal build */
    tcase_add_test(tc, flows_share_one_bottleneck_fairly);
    tcase_add_test(tc, priorities_share_one_bottleneck_by_weight);
    tcase_add_test(tc, pfc_never_drops_lossy_drops_and_recovers);
    tcase_add_test(tc, red_marks_on_the_ramp);
    tcase_add_test(tc, red_marks_follow_the_switch_queue);
    tcase_add_test(tc, dcqcn_flows_converge_to_fair_shares);
    tcase_add_test(tc, parking_lot_rates_match_maxmin);
    tcase_add_test(tc, parking_lot_flow_over_two_bottlenecks_gets_less_than_maxmin);
    suite_add_tcase(s, tc);
    return s;
}
