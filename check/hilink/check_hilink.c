/* HiLink on a bare simulator: test GPUs that send streams of packets, and the fabric's latency, bandwidth, credits,
 * fairness, order per pair, port down and up, a corrupted payload, determinism and polls in windows checked against
 * closed forms or against each other (parameters: check_hilink_params.c). */
#include <stdlib.h>
#include <string.h>

#include "../../src/hilink/hilink.h"
#include "../../src/scheduler/entity_ids.h"
#include "../../src/scheduler/sim.h"
#include "../suites.h"
#include "check_hilink.h"

#define GPUS 8
#define PAYLOAD 256
#define MIB (1u << 20)

struct delivery {
    vdc_time now, arrive;
    uint16_t src, dst;
    uint64_t tag;
    uint16_t bytes;
    uint8_t first_byte; /* of the payload, 0 as sent */
};

struct rig;

/* A test GPU: packets of `bytes` to each destination it has some for, destinations in turn, as fast as the fabric
 * pulls them, from `start` on and at least `gap` apart; tags count 0, 1, 2... per destination. */
struct gpu_side {
    struct rig *rig;
    uint32_t gpu;
    uint64_t remaining[GPUS];
    uint64_t next_tag[GPUS];
    uint32_t turn;
    uint16_t bytes;
    vdc_time start, gap, last_sent;
    bool sent_any;
    /* Lending payloads (hilink.h): packet k's payload is store[k], on loan until given back. */
    bool lends;
    uint8_t (*store)[PAYLOAD];
    bool *on_loan;
    uint32_t lent_count, store_capacity;
    uint64_t given_back, given_back_twice;
};

#define LEND_STORE 4096

struct rig {
    struct vdc_sim sim;
    struct hilink_params p;
    struct hilink *h;
    struct gpu_side side[GPUS];
    vdc_time first_sent; /* the first bit of the first packet any GPU sent */
    bool any_sent;
    /* What arrived, checked as it arrives: per pair the tag expected next, counts and arrive times. */
    uint64_t expect[GPUS][GPUS];
    vdc_time last_arrive[GPUS][GPUS];
    uint64_t delivered, out_of_order, late_notice, backwards;
    vdc_time first_arrive, final_arrive;
    struct delivery *log;
    size_t log_count, log_capacity;
};

static bool side_next(void *ctx, vdc_time now, struct hilink_packet *out, vdc_time *wake)
{
    struct gpu_side *s = ctx;
    uint32_t gpus = s->rig->p.gpus;
    if (now < s->start) {
        *wake = s->start;
        return false;
    }
    if (s->gap != 0 && s->sent_any && now < s->last_sent + s->gap) {
        *wake = s->last_sent + s->gap;
        return false;
    }
    for (uint32_t j = 0; j < gpus; j++) {
        uint32_t dst = (s->turn + j) % gpus;
        if (dst == s->gpu || s->remaining[dst] == 0)
            continue;
        s->remaining[dst]--;
        s->turn = dst + 1;
        *out = (struct hilink_packet){.src = (uint16_t)s->gpu, .dst = (uint16_t)dst, .bytes = s->bytes,
                                      .tag = s->next_tag[dst]++};
        if (s->lends) {
            ck_assert_uint_lt(s->lent_count, s->store_capacity);
            uint32_t k = s->lent_count++;
            memset(s->store[k], 0, PAYLOAD);
            s->store[k][1] = (uint8_t)out->tag; /* what the receiver must find where the sender keeps it */
            s->on_loan[k] = true;
            out->payload = s->store[k];
            out->lent = k;
        }
        if (!s->rig->any_sent)
            s->rig->first_sent = now;
        s->rig->any_sent = true;
        s->sent_any = true;
        s->last_sent = now;
        return true;
    }
    return false; /* nothing more: *wake stays VDC_TIME_MAX */
}

static void side_deliver(void *ctx, const struct hilink_packet *pkt, vdc_time arrive)
{
    struct gpu_side *s = ctx;
    struct rig *r = s->rig;
    vdc_time now = r->sim.now;
    if (pkt->dst != s->gpu || pkt->tag != r->expect[pkt->src][pkt->dst])
        r->out_of_order++;
    r->expect[pkt->src][pkt->dst] = pkt->tag + 1;
    if (now + r->p.link_latency > arrive)
        r->late_notice++;
    if (arrive < r->last_arrive[pkt->src][pkt->dst])
        r->backwards++;
    r->last_arrive[pkt->src][pkt->dst] = arrive;
    if (r->delivered++ == 0)
        r->first_arrive = arrive;
    if (arrive > r->final_arrive)
        r->final_arrive = arrive;
    if (r->log_count == r->log_capacity) {
        r->log_capacity = r->log_capacity ? 2 * r->log_capacity : 4096;
        r->log = realloc(r->log, r->log_capacity * sizeof *r->log);
        ck_assert_ptr_nonnull(r->log);
    }
    r->log[r->log_count++] =
        (struct delivery){now, arrive, pkt->src, pkt->dst, pkt->tag, pkt->bytes, hilink_packet_payload(pkt)[0]};
    if (pkt->payload != NULL) {
        if (pkt->payload[1] != (uint8_t)pkt->tag)
            r->out_of_order++; /* not the bytes its sender lent for this packet */
        hilink_return_payload(r->h, pkt->src, pkt->lent);
    }
}

static void side_give_back(void *ctx, uint32_t lent)
{
    struct gpu_side *s = ctx;
    if (lent < s->lent_count && s->on_loan[lent]) {
        s->on_loan[lent] = false;
        s->given_back++;
    } else {
        s->given_back_twice++;
    }
}

/* GPU g lends its payloads from now on (room for LEND_STORE packets). */
static void side_lend(struct gpu_side *s)
{
    s->lends = true;
    s->store_capacity = LEND_STORE;
    s->store = calloc(LEND_STORE, sizeof *s->store);
    s->on_loan = calloc(LEND_STORE, sizeof *s->on_loan);
    ck_assert(s->store != NULL && s->on_loan != NULL);
}

/* Every delivery is the receiving side's business alone: steps may hand them over to the windows. */
static bool side_delivers_alone(const struct hilink_packet *p)
{
    (void)p;
    return true;
}

/* Preset h100 with `links` links in `planes` planes and `credits` per link direction (0: the preset's); with
 * `alone`, sides whose deliveries steps may hand over to their windows. */
static void rig_init_sides(struct rig *r, uint32_t links, uint32_t planes, uint32_t credits, bool alone)
{
    struct vdc_error err;
    memset(r, 0, sizeof *r);
    vdc_sim_init(&r->sim, 1);
    ck_assert(hilink_params_preset("h100", &r->p, &err));
    r->p.links_per_gpu = links;
    r->p.planes = planes;
    if (credits)
        r->p.credits = credits;
    r->h = hilink_create(&r->sim, &r->p, VDC_IDS_HILINK_BASE, &err);
    ck_assert_msg(r->h != NULL, "%s", err.text);
    for (uint32_t g = 0; g < r->p.gpus; g++) {
        r->side[g] = (struct gpu_side){.rig = r, .gpu = g, .turn = g + 1, .bytes = PAYLOAD};
        struct hilink_gpu_ops ops = {.ctx = &r->side[g], .next = side_next, .deliver = side_deliver,
                                     .delivers_alone = alone ? side_delivers_alone : NULL,
                                     .give_back = side_give_back};
        ck_assert_msg(hilink_attach(r->h, g, &ops, &err), "%s", err.text);
    }
}

static void rig_init(struct rig *r, uint32_t links, uint32_t planes, uint32_t credits)
{
    rig_init_sides(r, links, planes, credits, false);
}

static void rig_free(struct rig *r)
{
    for (uint32_t g = 0; g < r->p.gpus; g++) {
        free(r->side[g].store);
        free(r->side[g].on_loan);
    }
    hilink_free(r->h);
    vdc_sim_free(&r->sim);
    free(r->log);
}

/* Gives GPU `src` packets for `dst` and tells the fabric. */
static void traffic(struct rig *r, uint32_t src, uint32_t dst, uint64_t packets)
{
    r->side[src].remaining[dst] += packets;
    hilink_kick(r->h, src);
}

static void run_idle(struct rig *r)
{
    ck_assert_int_eq(vdc_sim_run(&r->sim, VDC_TIME_MAX), VDC_RUN_IDLE);
}

static uint64_t sent_by(const struct rig *r, uint32_t src, uint32_t dst)
{
    return r->side[src].next_tag[dst];
}

/* Every packet sent arrived once, in order, announced a link latency ahead, never earlier than its predecessor. */
static void expect_all_delivered(const struct rig *r)
{
    ck_assert_uint_eq(r->out_of_order, 0);
    ck_assert_uint_eq(r->late_notice, 0);
    ck_assert_uint_eq(r->backwards, 0);
    uint64_t sent = 0;
    for (uint32_t s = 0; s < r->p.gpus; s++) {
        for (uint32_t d = 0; d < r->p.gpus; d++) {
            ck_assert_uint_eq(r->expect[s][d], sent_by(r, s, d));
            sent += sent_by(r, s, d);
        }
    }
    ck_assert_uint_eq(r->delivered, sent);
}

/* A link's payload rate in a saturated stream: the wire carries header + 256 for 256 of payload. */
static double payload_rate(const struct hilink_params *p, uint32_t links)
{
    return (double)links * (double)p->link_bytes_per_second * PAYLOAD / (PAYLOAD + p->header_bytes);
}

static double delivered_rate(uint64_t bytes, vdc_time from, vdc_time to)
{
    return (double)bytes * 1e12 / (double)(to - from);
}

static void expect_near(double got, double want, double tolerance, const char *what)
{
    ck_assert_msg(got >= want * (1 - tolerance) && got <= want * (1 + tolerance), "%s: %.6g B/s, want %.6g +- %g%%",
                  what, got, want, tolerance * 100);
}

/* --- 1. one lone packet --------------------------------------------------------------------------------------- */

START_TEST(lone_packet_takes_the_idle_latency)
{
    struct rig r;
    rig_init(&r, 18, 4, 0);
    r.side[3].start = 1 * VDC_US;
    traffic(&r, 3, 5, 1);
    run_idle(&r);
    expect_all_delivered(&r);
    ck_assert_uint_eq(r.delivered, 1);
    ck_assert_uint_eq(r.first_sent, 1 * VDC_US);
    /* 272 B at 25 GB/s is 10.88 ns, twice; two links of 150 ns; the switch's 200 ns. */
    ck_assert_uint_eq(hilink_serialisation(&r.p, PAYLOAD), 10880);
    ck_assert_uint_eq(hilink_idle_latency(&r.p, PAYLOAD), 2 * 10880 + 2 * 150000 + 200000);
    ck_assert_uint_eq(r.log[0].arrive - r.first_sent, hilink_idle_latency(&r.p, PAYLOAD));
    /* Told by the step in which it leaves the switch (hilink_step.c): at least one serialisation and one link latency
     * ahead, at most a step (a link latency) more. */
    ck_assert_uint_ge(r.log[0].arrive - r.log[0].now, 10880 + 150000);
    ck_assert_uint_lt(r.log[0].arrive - r.log[0].now, 10880 + 2 * 150000);
    struct hilink_port_stats s3, s5;
    hilink_port_stats(r.h, 3, &s3);
    hilink_port_stats(r.h, 5, &s5);
    ck_assert_uint_eq(s3.packets_sent, 1);
    ck_assert_uint_eq(s3.bytes_sent, PAYLOAD);
    ck_assert_uint_eq(s3.wire_bytes_sent, PAYLOAD + 16);
    ck_assert_uint_eq(s5.packets_received, 1);
    ck_assert_uint_eq(s5.bytes_received, PAYLOAD);
    ck_assert_uint_eq(s3.credit_stall, 0);
    rig_free(&r);
}
END_TEST

/* --- 2. bandwidth --------------------------------------------------------------------------------------------- */

/* 64 MiB from GPU 0 to GPU 1 over `links` links: the delivered rate is the links' payload rate (64 credits, as the
 * preset: 32 could not cover a credit's round trip, test 6, which would hide the links' rate). */
static void stream_rate(uint32_t links)
{
    struct rig r;
    rig_init(&r, links, 1, 64);
    uint64_t packets = 64 * MIB / PAYLOAD;
    traffic(&r, 0, 1, packets);
    run_idle(&r);
    expect_all_delivered(&r);
    ck_assert_uint_eq(r.delivered, packets);
    /* From the first bit sent to the last landing, less the one idle latency every packet pays on top of the
     * stream's time, so that the figure is the rate and not the pipeline's fill. */
    vdc_time span = r.final_arrive - r.first_sent - hilink_idle_latency(&r.p, PAYLOAD) +
                    hilink_serialisation(&r.p, PAYLOAD);
    expect_near(delivered_rate(packets * PAYLOAD, 0, span), payload_rate(&r.p, links), 0.005, "stream");
    rig_free(&r);
}

START_TEST(stream_reaches_the_links_rate)
{
    stream_rate(1);
    stream_rate(4);
    stream_rate(18);
}
END_TEST

/* --- 3. two senders, one destination -------------------------------------------------------------------------- */

START_TEST(two_senders_share_a_destination)
{
    struct rig r;
    rig_init(&r, 18, 1, 64);
    uint64_t packets = 16 * MIB / PAYLOAD;
    traffic(&r, 0, 1, packets);
    traffic(&r, 2, 1, packets);
    run_idle(&r);
    expect_all_delivered(&r);
    /* While both still send: from the first landing to the time the first of them is done. */
    vdc_time from = r.first_arrive, to = r.last_arrive[0][1] < r.last_arrive[2][1] ? r.last_arrive[0][1]
                                                                                     : r.last_arrive[2][1];
    uint64_t bytes[GPUS] = {0};
    for (size_t i = 0; i < r.log_count; i++)
        if (r.log[i].arrive <= to)
            bytes[r.log[i].src] += PAYLOAD;
    double half = payload_rate(&r.p, 18) / 2;
    expect_near(delivered_rate(bytes[0], from, to), half, 0.01, "sender 0");
    expect_near(delivered_rate(bytes[2], from, to), half, 0.01, "sender 2");
    rig_free(&r);
}
END_TEST

/* --- 4. all to all -------------------------------------------------------------------------------------------- */

/* Each GPU can send and receive at most its links' rate, and uniform all-to-all loads every GPU's sending and
 * receiving alike, so the fabric's capacity is 8 GPUs' links' payload rate: the rate, measured like the stream's
 * (less the pipeline's fill), is within 0.5% below it; what the bound allows is the outputs of one destination
 * holding momentarily different queues, and the pairs' streams ending at slightly different times. */
START_TEST(all_to_all_is_complete_and_near_capacity)
{
    struct rig r;
    rig_init(&r, 18, 1, 64);
    uint64_t packets = 4 * MIB / PAYLOAD;
    for (uint32_t s = 0; s < GPUS; s++)
        for (uint32_t d = 0; d < GPUS; d++)
            if (s != d)
                traffic(&r, s, d, packets);
    run_idle(&r);
    expect_all_delivered(&r);
    ck_assert_uint_eq(r.delivered, GPUS * (GPUS - 1) * packets);
    vdc_time fill = hilink_idle_latency(&r.p, PAYLOAD) - hilink_serialisation(&r.p, PAYLOAD);
    double rate = delivered_rate(r.delivered * PAYLOAD, r.first_sent + fill, r.final_arrive);
    double capacity = GPUS * payload_rate(&r.p, 18);
    ck_assert_msg(rate >= 0.995 * capacity && rate <= capacity, "all to all %.6g B/s of %.6g", rate, capacity);
    rig_free(&r);
}
END_TEST

/* --- 5. order per pair over planes of different loads --------------------------------------------------------- */

/* GPU 0 streams to GPU 1 over four planes (5/4/4/5 links); GPU 2 adds packets to GPU 1 one at a time, which take
 * its lowest link, so plane 0's outputs to GPU 1 queue while the others do not: GPU 0's packets through plane 0
 * fall behind those through the other planes, and the fabric must put them back in order. */
static void planes_scenario(struct rig *r)
{
    rig_init(r, 18, 4, 0);
    traffic(r, 0, 1, 8192);
    traffic(r, 0, 3, 2048);
    r->side[2].gap = hilink_serialisation(&r->p, PAYLOAD);
    traffic(r, 2, 1, 4096);
    run_idle(r);
}

START_TEST(order_holds_across_planes)
{
    struct rig r;
    planes_scenario(&r);
    expect_all_delivered(&r);
    struct hilink_port_stats s1;
    hilink_port_stats(r.h, 1, &s1);
    /* Packets did overtake each other on the way (else this test would prove nothing) and were held. */
    ck_assert_uint_gt(s1.packets_held, 0);
    ck_assert_uint_eq(s1.packets_received, 8192 + 4096);
    rig_free(&r);
}
END_TEST

/* --- 6. credits ----------------------------------------------------------------------------------------------- */

/* One link: a packet's credit comes back after its serialisation, the link to the switch, the switch latency
 * (it leaves its output at once in an idle switch) and the link back; `credits` packets per that round trip. */
START_TEST(credits_bound_a_link)
{
    struct rig r;
    rig_init(&r, 1, 1, 1);
    vdc_time ser = hilink_serialisation(&r.p, PAYLOAD);
    vdc_time round_trip = ser + 2 * r.p.link_latency + r.p.switch_latency;
    ck_assert_uint_eq(round_trip, 10880 + 300000 + 200000);
    traffic(&r, 0, 1, 1000);
    run_idle(&r);
    expect_all_delivered(&r);
    for (size_t i = 1; i < r.log_count; i++)
        ck_assert_uint_eq(r.log[i].arrive - r.log[i - 1].arrive, round_trip);
    /* Every packet's link then waited 2 link latencies and the switch latency for its credit. */
    struct hilink_port_stats s0;
    hilink_port_stats(r.h, 0, &s0);
    ck_assert_uint_eq(s0.credit_stall, 1000 * (round_trip - ser));
    rig_free(&r);

    /* 32 credits: 32 packets per round trip, 32 * 256 B / 510.88 ns = 16.0 GB/s of the link's 23.5 GB/s of
     * payload (the preset's 64 cover the round trip). */
    rig_init(&r, 1, 1, 32);
    traffic(&r, 0, 1, 1000);
    run_idle(&r);
    expect_all_delivered(&r);
    for (size_t i = 32; i < r.log_count; i++)
        ck_assert_uint_eq(r.log[i].arrive - r.log[i - 32].arrive, round_trip);
    rig_free(&r);
}
END_TEST

/* --- 7. port down and up -------------------------------------------------------------------------------------- */

START_TEST(destination_down_holds_everything)
{
    struct rig r;
    rig_init(&r, 18, 4, 0);
    traffic(&r, 0, 1, 20000);
    vdc_time up_at = 20 * VDC_US;
    hilink_schedule_port_state(r.h, 1, 2 * VDC_US, false);
    hilink_schedule_port_state(r.h, 1, up_at, true);
    ck_assert_int_eq(vdc_sim_run(&r.sim, 2 * VDC_US), VDC_RUN_TIME_REACHED);
    uint64_t before = r.delivered;
    ck_assert_uint_gt(before, 0);
    /* Everything stops, every packet waiting where it is. */
    ck_assert_int_eq(vdc_sim_run(&r.sim, up_at - 1), VDC_RUN_TIME_REACHED);
    ck_assert_uint_eq(r.delivered, before);
    /* The sender stopped once every switch input buffer of its links was full: back-pressure, not loss. */
    struct hilink_port_stats s0;
    hilink_port_stats(r.h, 0, &s0);
    ck_assert_uint_le(s0.packets_sent, before + 18 * r.p.credits);
    ck_assert_uint_gt(s0.credit_stall, 0);
    run_idle(&r);
    expect_all_delivered(&r);
    ck_assert_uint_eq(r.delivered, 20000);
    for (size_t i = before; i < r.log_count; i++)
        ck_assert_uint_ge(r.log[i].now, up_at);
    rig_free(&r);
}
END_TEST

START_TEST(sender_down_stops_sending)
{
    struct rig r;
    rig_init(&r, 18, 1, 0);
    traffic(&r, 0, 1, 20000);
    hilink_schedule_port_state(r.h, 0, 2 * VDC_US, false);
    hilink_schedule_port_state(r.h, 0, 20 * VDC_US, true);
    ck_assert_int_eq(vdc_sim_run(&r.sim, 2 * VDC_US), VDC_RUN_TIME_REACHED);
    struct hilink_port_stats at_down, later;
    hilink_port_stats(r.h, 0, &at_down);
    ck_assert_int_eq(vdc_sim_run(&r.sim, 20 * VDC_US - 1), VDC_RUN_TIME_REACHED);
    hilink_port_stats(r.h, 0, &later);
    ck_assert_uint_eq(later.packets_sent, at_down.packets_sent);
    /* What was in the switch went on to GPU 1. */
    ck_assert_uint_eq(r.delivered, at_down.packets_sent);
    run_idle(&r);
    expect_all_delivered(&r);
    ck_assert_uint_eq(r.delivered, 20000);
    rig_free(&r);

    /* Credits stop too: one credit, its packet leaves the switch while its sender is down, and the credit crosses
     * back only once the port is up, so the next packet starts a link latency after that. */
    rig_init(&r, 1, 1, 1);
    traffic(&r, 0, 1, 1);
    vdc_time up_at = 5 * VDC_US;
    hilink_schedule_port_state(r.h, 0, 1 * VDC_NS, false);
    hilink_schedule_port_state(r.h, 0, up_at, true);
    ck_assert_int_eq(vdc_sim_run(&r.sim, 1 * VDC_NS), VDC_RUN_TIME_REACHED);
    traffic(&r, 0, 1, 1);
    ck_assert_int_eq(vdc_sim_run(&r.sim, up_at - 1), VDC_RUN_TIME_REACHED);
    ck_assert_uint_eq(r.delivered, 1);
    run_idle(&r);
    expect_all_delivered(&r);
    ck_assert_uint_eq(r.side[0].last_sent, up_at + r.p.link_latency);
    rig_free(&r);
}
END_TEST

/* --- 8. a corrupting fault ------------------------------------------------------------------------------------ */

/* Scheduled before any traffic, it waits for the first packet with a payload: GPU 2's empty packet lands first and
 * passes; of GPU 0's packets the first lands with one bit flipped and the rest as sent. */
START_TEST(corruption_flips_one_bit_of_the_next_payload)
{
    struct rig r;
    rig_init(&r, 18, 4, 0);
    r.side[2].bytes = 0;
    r.side[0].start = 1 * VDC_US;
    hilink_schedule_corruption(r.h, 1, 0);
    traffic(&r, 2, 1, 1);
    traffic(&r, 0, 1, 10);
    run_idle(&r);
    expect_all_delivered(&r);
    ck_assert_uint_eq(r.log_count, 11);
    ck_assert_uint_eq(r.log[0].src, 2);
    ck_assert_uint_eq(r.log[0].bytes, 0);
    ck_assert_uint_eq(r.log[1].src, 0);
    ck_assert_uint_eq(r.log[1].first_byte, 1);
    for (size_t i = 2; i < r.log_count; i++)
        ck_assert_uint_eq(r.log[i].first_byte, 0);
    struct hilink_port_stats s1;
    hilink_port_stats(r.h, 1, &s1);
    ck_assert_uint_eq(s1.packets_corrupted, 1);
    rig_free(&r);
}
END_TEST

/* Lent payloads cross as references: each receiver finds the bytes its sender lent for that packet, a corrupting
 * fault flips them where they are, every loan comes back exactly once (from the receiver, or from the fabric for a
 * receiver that has left), and the timing is that of payloads carried in the packets. */
START_TEST(lent_payloads_go_back_once)
{
    struct rig r, carried;
    rig_init(&r, 18, 4, 0);
    rig_init(&carried, 18, 4, 0);
    for (uint32_t g = 0; g < 3; g++)
        side_lend(&r.side[g]);
    hilink_schedule_corruption(r.h, 1, 0);
    hilink_schedule_corruption(carried.h, 1, 0);
    traffic(&r, 0, 1, 300);
    traffic(&r, 2, 1, 200);
    traffic(&carried, 0, 1, 300);
    traffic(&carried, 2, 1, 200);
    run_idle(&r);
    run_idle(&carried);
    expect_all_delivered(&r);
    ck_assert_uint_eq(r.log_count, carried.log_count);
    for (size_t i = 0; i < r.log_count; i++) {
        ck_assert_uint_eq(r.log[i].arrive, carried.log[i].arrive);
        ck_assert_uint_eq(r.log[i].first_byte, carried.log[i].first_byte);
    }
    ck_assert_uint_eq(r.log[0].first_byte, 1);
    ck_assert_uint_eq(r.side[0].given_back, 300);
    ck_assert_uint_eq(r.side[2].given_back, 200);
    /* A receiver that has left: the fabric drops its packets and hands their payloads back itself. */
    hilink_detach(r.h, 1);
    traffic(&r, 0, 1, 20);
    run_idle(&r);
    ck_assert_uint_eq(r.side[0].given_back, 320);
    for (uint32_t g = 0; g < 3; g++)
        ck_assert_uint_eq(r.side[g].given_back_twice, 0);
    rig_free(&r);
    rig_free(&carried);
}
END_TEST

/* --- 9. determinism ------------------------------------------------------------------------------------------- */

START_TEST(same_scenario_same_deliveries)
{
    struct rig a, b;
    planes_scenario(&a);
    planes_scenario(&b);
    ck_assert_uint_eq(a.log_count, b.log_count);
    ck_assert_uint_gt(a.log_count, 0);
    for (size_t i = 0; i < a.log_count; i++) {
        ck_assert_uint_eq(a.log[i].now, b.log[i].now);
        ck_assert_uint_eq(a.log[i].arrive, b.log[i].arrive);
        ck_assert_uint_eq(a.log[i].src, b.log[i].src);
        ck_assert_uint_eq(a.log[i].dst, b.log[i].dst);
        ck_assert_uint_eq(a.log[i].tag, b.log[i].tag);
    }
    ck_assert_uint_eq(a.sim.digest, b.sim.digest);
    ck_assert_uint_eq(a.sim.events_processed, b.sim.events_processed);
    rig_free(&a);
    rig_free(&b);
}
END_TEST

/* --- 10. polls in the GPUs' windows ---------------------------------------------------------------------------- */

/* What a GPU's kernel windows do for its port (hilink_poll_window): at each multiple T of `window`, every GPU's polls
 * up to T + window run at once, from an event, until `horizon`, after which the polls are events again. */
struct window_driver {
    struct rig *rig;
    struct vdc_entity *self;
    vdc_time window, horizon;
    uint64_t runs;
    bool takes;     /* each window starts with what the steps handed over (hilink_take_handed), as a GPU's does */
};

static void window_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct window_driver *d = self->model;
    d->runs++;
    for (uint32_t g = 0; d->takes && g < d->rig->p.gpus; g++)
        hilink_take_handed(d->rig->h, g);
    for (uint32_t g = 0; g < d->rig->p.gpus; g++)
        hilink_poll_window(d->rig->h, g, ev->time + d->window);
    if (ev->time + d->window < d->horizon) {
        vdc_schedule_at(self, ev->time + d->window, VDC_PRIO_STEP, self->id, 0, 0);
        return;
    }
    for (uint32_t g = 0; g < d->rig->p.gpus; g++)
        hilink_windows_over(d->rig->h, g);
}

/* Order held across planes, credit stalls (8 credits a link), senders that wait between packets and start late:
 * polled as events (`window` 0), or in windows of `window` for the first 40 us; with `takes`, sides whose windows
 * take what the steps hand over. */
static void windowed_scenario_taking(struct rig *r, struct window_driver *d, vdc_time window, bool takes)
{
    rig_init_sides(r, 18, 4, 8, takes);
    traffic(r, 0, 1, 8192);
    traffic(r, 0, 3, 2048);
    r->side[2].gap = 3 * hilink_serialisation(&r->p, PAYLOAD);
    traffic(r, 2, 1, 4096);
    r->side[5].start = 7 * VDC_US + 1234;
    traffic(r, 5, 6, 3000);
    if (window > 0) {
        struct vdc_error err;
        *d = (struct window_driver){.rig = r, .window = window, .horizon = 40 * VDC_US, .takes = takes};
        d->self = vdc_entity_create(&r->sim, VDC_IDS_GPU_ENGINE_BASE, "windows", window_event, d, &err);
        ck_assert_msg(d->self != NULL, "%s", err.text);
        vdc_schedule_at(d->self, 0, VDC_PRIO_STEP, d->self->id, 0, 0);
    }
    run_idle(r);
}

/* The same deliveries in the same order as `ref`'s (landing, sender, tag, and with `same_notice` the loop's time each
 * was handed to its side at), the same counters and digest. */
static void expect_same_deliveries(const struct rig *r, const struct rig *ref, bool same_notice)
{
    ck_assert_uint_eq(r->log_count, ref->log_count);
    for (size_t i = 0; i < r->log_count; i++) {
        if (same_notice)
            ck_assert_uint_eq(r->log[i].now, ref->log[i].now);
        ck_assert_uint_eq(r->log[i].arrive, ref->log[i].arrive);
        ck_assert_uint_eq(r->log[i].src, ref->log[i].src);
        ck_assert_uint_eq(r->log[i].tag, ref->log[i].tag);
    }
    for (uint32_t g = 0; g < r->p.gpus; g++) {
        struct hilink_port_stats a, b;
        hilink_port_stats(r->h, g, &a);
        hilink_port_stats(ref->h, g, &b);
        ck_assert_mem_eq(&a, &b, sizeof a);
    }
    ck_assert_uint_eq(r->sim.digest, ref->sim.digest);
}

static void windowed_scenario(struct rig *r, struct window_driver *d, vdc_time window)
{
    windowed_scenario_taking(r, d, window, false);
}

/* Deliveries and credits handed over to windows a link latency long (hilink_step.c, hand_over) reach each side in
 * the order, with the landing times, counters and digest of the steps' handlers doing them; the sides hear of them
 * at the start of the window their landing falls in (late by the handlers' measure: the proof they were handed
 * over). With windows of another length nothing is handed over. */
START_TEST(handed_over_deliveries_match_the_handlers)
{
    struct rig events;
    windowed_scenario(&events, NULL, 0);
    expect_all_delivered(&events);
    const vdc_time windows[] = {150 * VDC_NS, 50 * VDC_NS};
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        struct rig r;
        struct window_driver d;
        ck_assert_uint_eq(events.p.link_latency, 150 * VDC_NS);
        windowed_scenario_taking(&r, &d, windows[w], true);
        ck_assert_uint_eq(r.out_of_order, 0);
        ck_assert_uint_eq(r.backwards, 0);
        ck_assert_uint_eq(r.delivered, events.delivered);
        if (windows[w] == events.p.link_latency)
            ck_assert_uint_gt(r.late_notice, 0);
        else
            ck_assert_uint_eq(r.late_notice, 0);
        expect_same_deliveries(&r, &events, false);
        rig_free(&r);
    }
    rig_free(&events);
}
END_TEST

/* The same packets at the same times, the same counters and digest, whether a GPU's polls are events or run at
 * the end of its windows, for windows that divide the link latency and one that does not. */
START_TEST(polls_in_windows_match_polls_as_events)
{
    struct rig events;
    windowed_scenario(&events, NULL, 0);
    expect_all_delivered(&events);
    struct hilink_port_stats held;
    hilink_port_stats(events.h, 1, &held);
    ck_assert_uint_gt(held.packets_held, 0);
    const vdc_time windows[] = {150 * VDC_NS, 50 * VDC_NS, 70 * VDC_NS, 1 * VDC_NS};
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
        struct rig r;
        struct window_driver d;
        windowed_scenario(&r, &d, windows[w]);
        expect_all_delivered(&r);
        expect_same_deliveries(&r, &events, true);
        /* Fewer events but the windows' own: the polls of the first 40 us ran in the windows. */
        ck_assert_uint_lt(r.sim.events_processed - d.runs, events.sim.events_processed);
        rig_free(&r);
    }
    rig_free(&events);
}
END_TEST

Suite *hilink_suite(void)
{
    Suite *s = suite_create("hilink");
    TCase *t = tcase_create("fabric");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, lone_packet_takes_the_idle_latency);
    tcase_add_test(t, stream_reaches_the_links_rate);
    tcase_add_test(t, two_senders_share_a_destination);
    tcase_add_test(t, all_to_all_is_complete_and_near_capacity);
    tcase_add_test(t, order_holds_across_planes);
    tcase_add_test(t, credits_bound_a_link);
    tcase_add_test(t, destination_down_holds_everything);
    tcase_add_test(t, sender_down_stops_sending);
    tcase_add_test(t, corruption_flips_one_bit_of_the_next_payload);
    tcase_add_test(t, lent_payloads_go_back_once);
    tcase_add_test(t, same_scenario_same_deliveries);
    tcase_add_test(t, polls_in_windows_match_polls_as_events);
    tcase_add_test(t, handed_over_deliveries_match_the_handlers);
    suite_add_tcase(s, t);
    suite_add_tcase(s, hilink_params_tcase());
    return s;
}
