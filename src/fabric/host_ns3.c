/* HPCC ns-3's NIC for flow traffic (the hpcc-ns3 model): QPs served round robin under pacing and window, an ACK or
 * NACK per received packet as its ReceiverCheckSeq decides, go-back-N on NACK only, ECN echoed in ACKs. */
#include <stdlib.h>
#include <string.h>

#include "fabric/fabric.h"
#include "fabric/host.h"
#include "fabric/ns3.h"

static uint64_t flow_rate(const struct fabric *f, const struct fabric_flow *flow)
{
    return f->cfg.cc == FABRIC_CC_DCQCN ? flow->cc.rate : flow->ns3->rate;
}

/* RdmaQueuePair::GetWin: with a variable window it scales with the rate. */
static uint64_t window(const struct fabric *f, const struct fabric_flow *flow)
{
    const struct fabric_ns3_qp *q = flow->ns3;
    if (q->window == 0 || !f->cfg.ns3.variable_window)
        return q->window;
    uint64_t w = q->window * flow_rate(f, flow) / q->max_rate;
    return w ? w : 1;
}

static bool has_bytes_left(const struct fabric_ns3_qp *q)
{
    return q->snd_nxt < q->size;
}

static bool is_finished(const struct fabric_ns3_qp *q)
{
    return q->snd_una >= q->size;
}

/* Reads the flow (for its rate) only when a variable window needs it. */
static bool window_bound(const struct fabric *f, const struct fabric_ns3_qp *q, uint32_t flow)
{
    if (q->window == 0)
        return false;
    uint64_t w = f->cfg.ns3.variable_window ? window(f, &f->flows[flow]) : q->window;
    return w != 0 && q->snd_nxt - q->snd_una >= w;
}

/* Keeps the host's qp_ready entry of this QP up to date: called wherever next_avail or snd_nxt change. */
static void note_ready(const struct fabric *f, const struct fabric_flow *flow)
{
    const struct fabric_ns3_qp *q = flow->ns3;
    if (q->host_slot != UINT32_MAX)
        f->nodes[flow->spec.src].host->qp_ready[q->host_slot] = has_bytes_left(q) ? q->next_avail : VDC_TIME_MAX;
}

static struct fabric_packet *make_data(struct fabric_node *node, struct fabric_flow *flow)
{
    struct fabric *f = node->fabric;
    struct fabric_ns3_qp *q = flow->ns3;
    vdc_time now = fabric_now(node);
    uint64_t left = flow->spec.size - q->snd_nxt;
    uint32_t payload = left < f->cfg.payload ? (uint32_t)left : f->cfg.payload;
    struct fabric_packet *p = fabric_packet_alloc(&node->shard->pool);
    if (f->cfg.cc == FABRIC_CC_HPCC || f->cfg.cc == FABRIC_CC_TIMELY)
        fabric_packet_add_ns3(&node->shard->pool, p)->ts = now / VDC_NS;
    p->kind = FABRIC_PKT_DATA;
    p->src_host = flow->spec.src;
    p->dst_host = flow->spec.dst;
    p->udp_source_port = flow->source_port;
    p->udp_dest_port = flow->spec.dst_port;
    p->dest_qp = 0x100 + flow->index % (0xFFFFFF - 0x100);
    p->flow = flow->index;
    p->ttl = 64;
    p->ecn = FABRIC_ECN_ECT0; /* its switches mark whatever the codepoint */
    p->sent_at = now;
    p->priority = flow->spec.priority;
    p->psn = (uint32_t)q->snd_nxt;
    p->payload = payload;
    p->bth_opcode = q->snd_nxt == 0 ? (left <= payload ? FABRIC_OP_SEND_ONLY : FABRIC_OP_SEND_FIRST)
                                    : (left <= payload ? FABRIC_OP_SEND_LAST : FABRIC_OP_SEND_MIDDLE);
    p->frame_bytes = fabric_ns3_data_frame_bytes(f->cfg.cc, payload);
    q->snd_nxt += payload;
    /* PktSent: the next packet of this QP may leave one packet time (at its rate) from now. */
    q->last_packet_bytes = p->frame_bytes;
    q->next_avail = now + ns3_tx_time(p->frame_bytes, f->cfg.ns3.rate_bound ? flow_rate(f, flow) : q->max_rate);
    note_ready(f, flow);
    return p;
}

/* RdmaEgressQueue::GetNextQindex: the first QP after the last one served that is not paused, has bytes left, is
 * within its window and may send now; finished QPs met on the way are dropped from the list. */
struct fabric_packet *fabric_ns3_host_next_packet(struct fabric_host *host, struct fabric_port *port)
{
    struct fabric *f = host->node->fabric;
    vdc_time now = fabric_now(host->node);
    uint32_t n = host->qp_count, min_finished = UINT32_MAX;
    int64_t chosen = -1;
    /* With no pause and no windows, a QP whose qp_ready entry is a time still to come has bytes left and is passed
     * over: known without reading its record, which has mostly left the host's caches. */
    bool ready_decides = port->paused_mask == 0 && !f->cfg.ns3.window;
    uint32_t at = n ? host->qp_last % n : 0;
    for (uint32_t i = 1; i <= n; i++) {
        at = at + 1 == n ? 0 : at + 1; /* (i + qp_last) % n */
        if (ready_decides && host->qp_ready[at] > now && host->qp_ready[at] != VDC_TIME_MAX)
            continue;
        const struct fabric_ns3_qp *q = &f->ns3_qps[host->qps[at]];
        if (!(port->paused_mask & (1u << q->priority)) && has_bytes_left(q) && !window_bound(f, q, host->qps[at])) {
            if (q->next_avail > now)
                continue;
            chosen = at;
            break;
        }
        if (is_finished(q) && at < min_finished)
            min_finished = at;
    }
    if (min_finished != UINT32_MAX) {
        uint32_t kept = min_finished;
        f->ns3_qps[host->qps[min_finished]].host_slot = UINT32_MAX;
        for (uint32_t i = min_finished + 1; i < n; i++) {
            struct fabric_ns3_qp *q = &f->ns3_qps[host->qps[i]];
            if (is_finished(q)) {
                q->host_slot = UINT32_MAX;
                continue;
            }
            if ((int64_t)i == chosen)
                chosen = kept;
            q->host_slot = kept;
            host->qp_ready[kept] = host->qp_ready[i];
            host->qps[kept++] = host->qps[i];
        }
        host->qp_count = kept;
    }
    if (chosen < 0)
        return NULL;
    host->qp_last = (uint32_t)chosen;
    return make_data(host->node, &f->flows[host->qps[chosen]]);
}

/* With nothing to send, its NIC wakes at the earliest pacing time of a QP with bytes left. */
vdc_time fabric_ns3_host_next_ready(const struct fabric_host *host, const struct fabric_port *port)
{
    (void)port;
    vdc_time earliest = VDC_TIME_MAX;
    for (uint32_t i = 0; i < host->qp_count; i++)
        earliest = host->qp_ready[i] < earliest ? host->qp_ready[i] : earliest;
    return earliest;
}

void fabric_ns3_host_flow_start(struct fabric_node *node, struct fabric_flow *flow)
{
    struct fabric_host *host = node->host;
    struct fabric_ns3_qp *q = flow->ns3;
    uint64_t line = node->ports[0].rate;
    flow->started = true;
    q->rate = q->max_rate = q->hp_cur_rate = q->tmly_cur_rate = line;
    q->hp_u = 1.0;
    for (unsigned i = 0; i < FABRIC_INT_MAX_HOPS; i++)
        q->hp_hop_state[i] = (struct fabric_ns3_hop_state){.u = 1.0, .rc = line};
    q->dctcp_alpha = 1.0;
    fabric_dcqcn_init(&flow->cc, line);
    if (host->qp_count == host->qp_cap) {
        uint32_t kept = host->qp_cap;
        host->qp_cap = host->qp_cap ? host->qp_cap * 2 : 8;
        host->qps = vdc_xrealloc_lines(host->qps, kept, host->qp_cap, sizeof *host->qps);
        host->qp_ready = vdc_xrealloc_lines(host->qp_ready, kept, host->qp_cap, sizeof *host->qp_ready);
    }
    q->host_slot = host->qp_count;
    host->qps[host->qp_count++] = flow->index;
    note_ready(node->fabric, flow);
    fabric_port_kick(&node->ports[0]);
}

void fabric_ns3_change_rate(struct fabric_node *node, struct fabric_flow *flow, uint64_t rate)
{
    struct fabric_ns3_qp *q = flow->ns3;
    int64_t shift = (int64_t)ns3_tx_time(q->last_packet_bytes, rate) - (int64_t)ns3_tx_time(q->last_packet_bytes,
                                                                                            q->rate);
    int64_t moved = (int64_t)q->next_avail + shift;
    q->next_avail = moved > 0 ? (vdc_time)moved : 0;
    q->rate = rate;
    note_ready(node->fabric, flow);
    fabric_port_kick(&node->ports[0]);
}

/* ReceiverCheckSeq: 1 ACK, 2 NACK, 3 duplicate, 4 a gap already NACKed, 5 in order without an ACK. Its milestone
 * is reset to L2_ACK_INTERVAL (a byte count) before every check, so every in-order packet past the first
 * interval's bytes is ACKed: that is what HPCC ns-3 does, and what this model does. */
static int check_sequence(struct fabric_node *node, struct fabric_flow *flow, uint32_t seq, uint32_t size)
{
    const struct fabric *f = node->fabric;
    const struct fabric_ns3_params *params = &f->cfg.ns3;
    struct fabric_flow_rx *rx = flow->rx;
    uint64_t expected = rx->ns3_expected;
    if (seq == expected) {
        rx->ns3_expected = expected + size;
        rx->bytes_received += size;
        node->shard->data_packets_delivered++;
        if (rx->ns3_expected >= params->ack_interval)
            return 1;
        if (params->chunk && rx->ns3_expected % params->chunk == 0)
            return 1;
        return 5;
    }
    if (seq > expected) {
        vdc_time now = fabric_now(node);
        if (now >= rx->ns3_nack_timer || rx->ns3_last_nack != expected) {
            rx->ns3_nack_timer = now + f->cfg.nack_interval;
            rx->ns3_last_nack = expected;
            if (params->back_to_zero && params->chunk)
                rx->ns3_expected = rx->ns3_expected / params->chunk * params->chunk;
            return 2;
        }
        return 4;
    }
    return 3;
}

static void send_ack(struct fabric *f, struct fabric_node *node, struct fabric_flow *flow,
                     const struct fabric_packet *data, bool nack)
{
    struct fabric_packet *a = fabric_packet_alloc(&node->shard->pool);
    const struct fabric_ns3_fields *d = data->ns3;
    if (d != NULL) {
        struct fabric_ns3_fields *h = fabric_packet_add_ns3(&node->shard->pool, a);
        h->ts = d->ts;
        h->nhop = d->nhop;
        memcpy(h->hop, d->hop, (d->nhop < FABRIC_INT_MAX_HOPS ? d->nhop : FABRIC_INT_MAX_HOPS) * sizeof *h->hop);
    }
    a->kind = nack ? FABRIC_PKT_NACK : FABRIC_PKT_ACK;
    a->src_host = flow->spec.dst;
    a->dst_host = flow->spec.src;
    a->udp_source_port = data->udp_dest_port; /* the data packet's ports, swapped */
    a->udp_dest_port = data->udp_source_port;
    a->cnp_echo = data->ecn == FABRIC_ECN_CE;
    a->flow = flow->index;
    a->dest_qp = data->dest_qp;
    a->ttl = 64;
    a->ecn = FABRIC_ECN_NOT_ECT;
    a->sent_at = fabric_now(node);
    a->priority = f->cfg.ns3.ack_high_priority ? f->cfg.control_priority : data->priority;
    a->psn = (uint32_t)flow->rx->ns3_expected;
    a->bth_opcode = FABRIC_OP_ACKNOWLEDGE;
    a->aeth_syndrome = nack ? 0x60 : 0x1F;
    a->frame_bytes = fabric_ns3_ack_frame_bytes(f->cfg.cc);
    fabric_port_enqueue(&node->ports[0], a);
}

static void receive_ack(struct fabric *f, struct fabric_node *node, struct fabric_flow *flow,
                        const struct fabric_packet *p)
{
    struct fabric_ns3_qp *q = flow->ns3;
    const struct fabric_ns3_params *params = &f->cfg.ns3;
    if (flow->done)
        return; /* its QP is gone */
    if (params->ack_interval != 0) {
        uint64_t acked = params->back_to_zero && params->chunk ? p->psn / params->chunk * params->chunk : p->psn;
        if (acked > q->snd_una) {
            q->snd_una = acked;
            flow->last_progress = fabric_now(node);
        }
        if (is_finished(q)) {
            fabric_host_flow_done(node, flow);
            return;
        }
    }
    if (p->kind == FABRIC_PKT_NACK) {
        flow->retransmitted += (q->snd_nxt - q->snd_una + f->cfg.payload - 1) / f->cfg.payload;
        q->snd_nxt = q->snd_una;
        note_ready(f, flow);
    }
    if (p->cnp_echo && f->cfg.cc == FABRIC_CC_DCQCN)
        fabric_host_dcqcn_cnp(node, flow);
    fabric_ns3_cc_on_ack(node, flow, p);
    fabric_port_kick(&node->ports[0]);
}

void fabric_ns3_host_receive(struct fabric_node *node, struct fabric_flow *flow, struct fabric_packet *p)
{
    struct fabric *f = node->fabric;
    if ((f->cfg.cc == FABRIC_CC_HPCC || f->cfg.cc == FABRIC_CC_TIMELY) && p->ns3 == NULL)
        return; /* not a packet of this model */
    if (p->kind == FABRIC_PKT_DATA) {
        int verdict = check_sequence(node, flow, p->psn, p->payload);
        if (verdict == 1 || verdict == 2)
            send_ack(f, node, flow, p, verdict == 2);
    } else if (p->kind == FABRIC_PKT_ACK || p->kind == FABRIC_PKT_NACK) {
        receive_ack(f, node, flow, p);
    }
}

/* Base RTT and bottleneck from every host to host `dst`, as its CalculateRoute finds them: breadth first through
 * switches; the RTT is twice the links' delay plus one payload's transmit time per hop (ns, truncated). */
static void pair_paths(const struct fabric *f, uint32_t dst, uint32_t *queue, uint32_t *dist, uint64_t *delay,
                       uint64_t *tx_delay, uint64_t *bw)
{
    for (uint32_t i = 0; i < f->node_count; i++)
        dist[i] = UINT32_MAX;
    uint32_t head = 0, tail = 0;
    queue[tail++] = dst;
    dist[dst] = 0;
    delay[dst] = tx_delay[dst] = 0;
    bw[dst] = UINT64_MAX;
    while (head < tail) {
        uint32_t at = queue[head++];
        const struct fabric_node *node = &f->nodes[at];
        for (uint16_t p = 0; p < node->port_count; p++) {
            const struct fabric_port *port = &node->ports[p];
            uint32_t next = port->peer_node;
            if (!port->up || dist[next] != UINT32_MAX)
                continue;
            dist[next] = dist[at] + 1;
            delay[next] = delay[at] + port->delay / VDC_NS;
            tx_delay[next] = tx_delay[at] + (uint64_t)f->cfg.payload * 1000000000u * 8 / port->rate;
            bw[next] = bw[at] < port->rate ? bw[at] : port->rate;
            if (f->nodes[next].is_switch)
                queue[tail++] = next;
        }
    }
}

static int by_pair_then_index(const void *a, const void *b, void *context)
{
    const struct fabric_flow *flows = context;
    const struct fabric_flow *x = &flows[*(const uint32_t *)a], *y = &flows[*(const uint32_t *)b];
    if (x->spec.src != y->spec.src)
        return x->spec.src < y->spec.src ? -1 : 1;
    if (x->spec.dst != y->spec.dst)
        return x->spec.dst < y->spec.dst ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void fabric_ns3_hosts_prepare(struct fabric *f)
{
    uint32_t n = f->node_count;
    f->ns3_qps = vdc_xcalloc_lines(f->flow_count ? f->flow_count : 1, sizeof *f->ns3_qps);
    /* Source ports count from 10000 per host pair, in flow-file order (its portNumder). */
    uint32_t *order = vdc_xmalloc((f->flow_count ? f->flow_count : 1) * sizeof *order);
    for (uint32_t i = 0; i < f->flow_count; i++) {
        order[i] = i;
        f->flows[i].ns3 = &f->ns3_qps[i];
        f->ns3_qps[i].size = f->flows[i].spec.size;
        f->ns3_qps[i].host_slot = UINT32_MAX; /* until the flow starts */
        f->ns3_qps[i].priority = f->flows[i].spec.priority;
    }
    qsort_r(order, f->flow_count, sizeof *order, by_pair_then_index, f->flows);
    for (uint32_t i = 0; i < f->flow_count; i++) {
        struct fabric_flow *flow = &f->flows[order[i]];
        const struct fabric_flow *before = i ? &f->flows[order[i - 1]] : NULL;
        bool same_pair = before && before->spec.src == flow->spec.src && before->spec.dst == flow->spec.dst;
        flow->source_port = same_pair ? (uint16_t)(before->source_port + 1) : 10000;
    }
    free(order);
    /* Every host pair's base RTT and BDP: flows take their pair's, and the largest is the global T and window. */
    uint32_t *queue = vdc_xmalloc(n * sizeof *queue), *dist = vdc_xmalloc(n * sizeof *dist);
    uint64_t *delay = vdc_xmalloc(n * sizeof *delay), *tx_delay = vdc_xmalloc(n * sizeof *tx_delay);
    uint64_t *bw = vdc_xmalloc(n * sizeof *bw);
    uint64_t *pair_rtt = vdc_xcalloc(f->flow_count ? f->flow_count : 1, sizeof *pair_rtt);
    uint64_t *pair_bdp = vdc_xcalloc(f->flow_count ? f->flow_count : 1, sizeof *pair_bdp);
    uint64_t max_rtt = 0, max_bdp = 0;
    for (uint32_t dst = 0; dst < n; dst++) {
        if (f->nodes[dst].is_switch)
            continue;
        pair_paths(f, dst, queue, dist, delay, tx_delay, bw);
        for (uint32_t src = 0; src < n; src++) {
            if (f->nodes[src].is_switch || src == dst || dist[src] == UINT32_MAX)
                continue;
            uint64_t rtt = delay[src] * 2 + tx_delay[src];
            uint64_t bdp = rtt * bw[src] / 1000000000u / 8;
            max_rtt = rtt > max_rtt ? rtt : max_rtt;
            max_bdp = bdp > max_bdp ? bdp : max_bdp;
        }
        for (uint32_t i = 0; i < f->flow_count; i++) {
            struct fabric_flow *flow = &f->flows[i];
            if (flow->spec.dst != dst || dist[flow->spec.src] == UINT32_MAX)
                continue;
            flow->ns3->pair_rtt_ns = delay[flow->spec.src] * 2 + tx_delay[flow->spec.src];
            flow->ns3->pair_bw = bw[flow->spec.src];
            pair_rtt[i] = flow->ns3->pair_rtt_ns;
            pair_bdp[i] = pair_rtt[i] * bw[flow->spec.src] / 1000000000u / 8;
        }
    }
    f->ns3_max_rtt = max_rtt * VDC_NS;
    f->ns3_max_bdp = max_bdp;
    const struct fabric_ns3_params *params = &f->cfg.ns3;
    for (uint32_t i = 0; i < f->flow_count; i++) {
        struct fabric_ns3_qp *q = f->flows[i].ns3;
        q->window = params->window ? (params->global_rtt ? max_bdp : pair_bdp[i]) : 0;
        q->base_rtt_ns = params->global_rtt ? max_rtt : pair_rtt[i]; /* ns, as its HPCC arithmetic uses it */
    }
    free(queue);
    free(dist);
    free(delay);
    free(tx_delay);
    free(bw);
    free(pair_rtt);
    free(pair_bdp);
}

/* Its standalone FCT: the pair's base RTT plus the flow's bytes with HPCC's 48-byte header per packet at the
 * bottleneck rate (qp_finish in its third.cc). */
vdc_time fabric_ns3_standalone_fct(const struct fabric *f, const struct fabric_flow *flow)
{
    const struct fabric_ns3_qp *q = flow->ns3;
    if (q->pair_bw == 0)
        return 0;
    uint64_t size = flow->spec.size;
    uint32_t total = (uint32_t)(size + ((size - 1) / f->cfg.payload + 1) * NS3_DATA_OVERHEAD);
    return (q->pair_rtt_ns + (uint64_t)total * 8000000000u / q->pair_bw) * VDC_NS;
}
