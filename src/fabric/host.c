/* Host NICs for flow traffic: round-robin over flows under their DCQCN rates, ACK/NACK/CNP, go-back-N, timeouts. */
#include "fabric/host.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/fabric.h"
#include "fabric/outputs.h"
#include "fabric/routing.h"

enum { DCQCN_TIMER_DECREASE = 0, DCQCN_TIMER_INCREASE = 1 };

static void activate(struct fabric_host *host, struct fabric_flow *flow)
{
    if (flow->active || flow->done)
        return;
    if (host->active_count == host->active_cap) {
        uint32_t kept = host->active_cap;
        host->active_cap = host->active_cap ? host->active_cap * 2 : 8;
        host->active = vdc_xrealloc_lines(host->active, kept, host->active_cap, sizeof *host->active);
    }
    host->active[host->active_count++] = flow->index;
    flow->active = true;
}

bool fabric_hosts_add_flows(struct fabric *f, const struct fabric_flow_set *flows, struct vdc_error *err)
{
    char a[32], b[32];
    f->flows = vdc_xcalloc_lines(flows->count ? flows->count : 1, sizeof *f->flows);
    f->flow_rx = vdc_xcalloc_lines(flows->count ? flows->count : 1, sizeof *f->flow_rx);
    f->flow_count = (uint32_t)flows->count;
    for (size_t i = 0; i < flows->count; i++) {
        const struct fabric_flow_spec *spec = &flows->items[i];
        if (spec->src >= f->node_count || spec->dst >= f->node_count || f->nodes[spec->src].is_switch ||
            f->nodes[spec->dst].is_switch || spec->src == spec->dst)
            return vdc_fail(err, "flow %zu from %s to %s: flows run between two different hosts", i,
                            fabric_node_name(f->topo, spec->src, a, sizeof a),
                            fabric_node_name(f->topo, spec->dst, b, sizeof b));
        if (spec->size == 0 || spec->size / f->cfg.payload >= UINT32_MAX - 1)
            return vdc_fail(err, "flow %zu: size must be 1 byte to %" PRIu64 " bytes", i,
                            (uint64_t)f->cfg.payload * (UINT32_MAX - 2));
        struct fabric_flow *flow = &f->flows[i];
        struct fabric_host *host = f->nodes[spec->src].host;
        flow->spec = *spec;
        flow->index = (uint32_t)i;
        flow->rx = &f->flow_rx[i];
        flow->source_port = host->next_source_port++;
        flow->packets = (uint32_t)((spec->size + f->cfg.payload - 1) / f->cfg.payload);
        flow->last_payload = (uint32_t)(spec->size - (uint64_t)(flow->packets - 1) * f->cfg.payload);
        if (f->cfg.model == FABRIC_MODEL_HPCC_NS3 && spec->size > UINT32_MAX)
            return vdc_fail(err, "flow %zu: %" PRIu64 " bytes; HPCC ns-3's sequence numbers are 32-bit, so the "
                                 "hpcc-ns3 model takes flows up to 4294967295 bytes", i, spec->size);
        if (f->cfg.model == FABRIC_MODEL_HPCC_NS3) /* its flows start at Seconds(t): whole nanoseconds */
            flow->spec.start = spec->start / VDC_NS * VDC_NS;
        struct fabric_node *node = &f->nodes[spec->src];
        vdc_schedule_at(node->entity, flow->spec.start, VDC_PRIO_GUEST, node->entity->id, FABRIC_EV_FLOW_START, i);
    }
    if (f->cfg.model == FABRIC_MODEL_HPCC_NS3)
        fabric_ns3_hosts_prepare(f);
    return true;
}

bool fabric_host_has_data(const struct fabric_host *host)
{
    return host->active_count > 0;
}

static struct fabric_packet *new_packet(struct fabric_node *node, const struct fabric_flow *flow,
                                        enum fabric_packet_kind kind, bool from_receiver)
{
    const struct fabric *f = node->fabric;
    struct fabric_packet *p = fabric_packet_alloc(&node->shard->pool);
    p->kind = (uint8_t)kind;
    p->src_host = from_receiver ? flow->spec.dst : flow->spec.src;
    p->dst_host = from_receiver ? flow->spec.src : flow->spec.dst;
    p->udp_source_port = flow->source_port;
    /* QP 0 and 1 are InfiniBand's management QPs: flow QPs start at 0x100. */
    p->dest_qp = 0x100 + flow->index % (0xFFFFFF - 0x100);
    p->flow = flow->index;
    p->ttl = 64;
    p->ecn = f->cfg.ecn ? FABRIC_ECN_ECT0 : FABRIC_ECN_NOT_ECT;
    p->sent_at = fabric_now(node);
    return p;
}

static uint8_t data_opcode(const struct fabric_flow *flow, uint32_t psn)
{
    if (flow->packets == 1)
        return FABRIC_OP_SEND_ONLY;
    if (psn == 0)
        return FABRIC_OP_SEND_FIRST;
    return psn + 1 == flow->packets ? FABRIC_OP_SEND_LAST : FABRIC_OP_SEND_MIDDLE;
}

static void arm_timeout(struct fabric_node *node, struct fabric_flow *flow, vdc_time at)
{
    flow->rto_pending = true;
    vdc_schedule_at(node->entity, at, VDC_PRIO_DEVICE, node->entity->id, FABRIC_EV_RTO,
                    vdc_arg_put(flow->index, 0, 32) | vdc_arg_put(flow->rto_epoch, 32, 32));
}

static struct fabric_packet *make_data(struct fabric *f, struct fabric_node *node, struct fabric_flow *flow,
                                       const struct fabric_port *port)
{
    uint32_t psn = flow->next_psn++;
    struct fabric_packet *p = new_packet(node, flow, FABRIC_PKT_DATA, false);
    p->priority = flow->spec.priority;
    p->psn = psn;
    p->payload = psn + 1 == flow->packets ? flow->last_payload : f->cfg.payload;
    p->bth_opcode = data_opcode(flow, psn);
    p->ack_request = true;
    p->frame_bytes = fabric_data_frame_bytes(p->payload);
    if (f->cfg.dcqcn.enabled && flow->cc.rate < port->rate) {
        uint64_t bits = fabric_wire_bits(p->frame_bytes);
        flow->next_send_at = fabric_now(node) + (bits * VDC_SEC + flow->cc.rate - 1) / flow->cc.rate;
    }
    if (!flow->rto_pending)
        arm_timeout(node, flow, fabric_now(node) + f->cfg.retransmit_timeout);
    return p;
}

struct fabric_packet *fabric_host_next_packet(struct fabric_host *host, struct fabric_port *port)
{
    struct fabric_node *node = host->node;
    /* The attached device goes first: flow-file traffic beside a NIC is background load. */
    const struct fabric_endpoint *endpoint = host->endpoints_attached ? &host->endpoints[port->index] : NULL;
    if (endpoint != NULL && endpoint->device != NULL) {
        struct fabric_packet *p = endpoint->next_packet(endpoint->device, port);
        if (p != NULL)
            return p;
    }
    struct fabric *f = node->fabric;
    if (f->cfg.model == FABRIC_MODEL_HPCC_NS3)
        return fabric_ns3_host_next_packet(host, port);
    vdc_time now = fabric_now(node);
    uint32_t scanned = 0;
    while (scanned < host->active_count) {
        if (host->round_robin >= host->active_count)
            host->round_robin = 0;
        uint32_t slot = host->round_robin;
        struct fabric_flow *flow = &f->flows[host->active[slot]];
        if (flow->done || flow->next_psn >= flow->packets) {
            /* Nothing left to send: leave the ring (a NACK or timeout brings it back). */
            flow->active = false;
            host->active[slot] = host->active[--host->active_count];
            continue;
        }
        scanned++;
        host->round_robin = slot + 1;
        if ((port->paused_mask & (1u << flow->spec.priority)) || flow->next_send_at > now)
            continue;
        return make_data(f, node, flow, port);
    }
    return NULL;
}

vdc_time fabric_host_next_ready(const struct fabric_host *host, const struct fabric_port *port)
{
    const struct fabric *f = host->node->fabric;
    vdc_time earliest = VDC_TIME_MAX;
    const struct fabric_endpoint *endpoint = host->endpoints_attached ? &host->endpoints[port->index] : NULL;
    if (endpoint != NULL && endpoint->device != NULL)
        earliest = endpoint->next_ready(endpoint->device, port);
    if (f->cfg.model == FABRIC_MODEL_HPCC_NS3) {
        vdc_time ready = fabric_ns3_host_next_ready(host, port);
        return ready < earliest ? ready : earliest;
    }
    for (uint32_t i = 0; i < host->active_count; i++) {
        const struct fabric_flow *flow = &f->flows[host->active[i]];
        if (flow->done || flow->next_psn >= flow->packets || (port->paused_mask & (1u << flow->spec.priority)))
            continue;
        if (flow->next_send_at < earliest)
            earliest = flow->next_send_at;
    }
    return earliest;
}

void fabric_host_flow_start(struct fabric_node *node, uint32_t index)
{
    struct fabric *f = node->fabric;
    struct fabric_flow *flow = &f->flows[index];
    if (f->cfg.model == FABRIC_MODEL_HPCC_NS3) {
        fabric_ns3_host_flow_start(node, flow);
        return;
    }
    flow->started = true;
    flow->last_progress = fabric_now(node);
    fabric_dcqcn_init(&flow->cc, node->ports[0].rate);
    activate(node->host, flow);
    fabric_port_kick(&node->ports[0]);
}

static void send_reply(struct fabric *f, struct fabric_node *node, struct fabric_flow *flow,
                       enum fabric_packet_kind kind)
{
    struct fabric_packet *p = new_packet(node, flow, kind, true);
    p->priority = f->cfg.control_priority;
    p->ecn = FABRIC_ECN_NOT_ECT;
    if (kind == FABRIC_PKT_CNP) {
        p->bth_opcode = FABRIC_OP_CNP;
        p->frame_bytes = FABRIC_ROCE_OVERHEAD + FABRIC_CNP_PAD;
    } else {
        p->bth_opcode = FABRIC_OP_ACKNOWLEDGE;
        p->psn = flow->rx->expected;
        /* AETH syndrome: 0x1F is an ACK with an unlimited credit count; 0x60 a NAK for a PSN sequence error. */
        p->aeth_syndrome = kind == FABRIC_PKT_ACK ? 0x1F : 0x60;
        p->frame_bytes = FABRIC_ROCE_OVERHEAD + FABRIC_AETH;
    }
    fabric_port_enqueue(&node->ports[0], p);
}

static void receive_data(struct fabric *f, struct fabric_node *node, struct fabric_flow *flow,
                         const struct fabric_packet *p)
{
    struct fabric_flow_rx *rx = flow->rx;
    vdc_time now = fabric_now(node);
    if (p->ecn == FABRIC_ECN_CE && now >= rx->cnp_quiet_until) {
        rx->cnp_quiet_until = now + f->cfg.cnp_interval;
        send_reply(f, node, flow, FABRIC_PKT_CNP);
    }
    if (p->psn == rx->expected) {
        rx->expected++;
        rx->bytes_received += p->payload;
        node->shard->data_packets_delivered++;
        send_reply(f, node, flow, FABRIC_PKT_ACK);
    } else if (p->psn > rx->expected) {
        /* A gap: go-back-N drops what follows and NACKs once per interval or per new expected PSN. */
        if (now >= rx->nack_quiet_until || !rx->nacked || rx->last_nack_psn != rx->expected) {
            rx->nacked = true;
            rx->last_nack_psn = rx->expected;
            rx->nack_quiet_until = now + f->cfg.nack_interval;
            send_reply(f, node, flow, FABRIC_PKT_NACK);
        }
    } else {
        send_reply(f, node, flow, FABRIC_PKT_ACK);
    }
}

static void schedule_dcqcn(struct fabric_node *node, struct fabric_flow *flow, vdc_time at, unsigned timer)
{
    vdc_schedule_at(node->entity, at, VDC_PRIO_DEVICE, node->entity->id, FABRIC_EV_DCQCN_TIMER,
                    vdc_arg_put(flow->index, 0, 32) | vdc_arg_put(timer, 32, 8));
}

void fabric_host_flow_done(struct fabric_node *node, struct fabric_flow *flow)
{
    flow->done = true;
    flow->finished_at = fabric_now(node);
    node->shard->flows_done++;
    vdc_digest_fold(node->entity->sim, flow->index);
    fabric_log_fct(node, flow);
}

void fabric_host_dcqcn_cnp(struct fabric_node *node, struct fabric_flow *flow)
{
    vdc_time check = fabric_dcqcn_on_cnp(&flow->cc, &node->fabric->cfg.dcqcn, fabric_now(node));
    if (check)
        schedule_dcqcn(node, flow, check, DCQCN_TIMER_DECREASE);
}

static void receive_reply(struct fabric *f, struct fabric_node *node, struct fabric_flow *flow,
                          const struct fabric_packet *p)
{
    if (flow->done)
        return;
    if (p->kind == FABRIC_PKT_CNP) {
        if (f->cfg.dcqcn.enabled)
            fabric_host_dcqcn_cnp(node, flow);
        return;
    }
    if (p->psn > flow->acked && p->psn <= flow->packets) {
        flow->acked = p->psn;
        flow->last_progress = fabric_now(node);
    }
    if (flow->acked == flow->packets) {
        fabric_host_flow_done(node, flow);
        return;
    }
    if (p->kind == FABRIC_PKT_NACK && flow->next_psn > p->psn) {
        flow->retransmitted += flow->next_psn - p->psn;
        flow->next_psn = p->psn;
        activate(node->host, flow);
        fabric_port_kick(&node->ports[0]);
    }
}

void fabric_host_receive(struct fabric_node *node, struct fabric_packet *p)
{
    struct fabric *f = node->fabric;
    if (p->flow == FABRIC_FLOW_ENDPOINT && p->dst_host == node->number && node->host->endpoints_attached) {
        const struct fabric_endpoint *endpoint = &node->host->endpoints[p->ingress_port];
        if (endpoint->device != NULL) {
            endpoint->receive(endpoint->device, p);
            return;
        }
    }
    if (p->flow < f->flow_count && f->cfg.model == FABRIC_MODEL_HPCC_NS3) {
        if (p->dst_host == node->number)
            fabric_ns3_host_receive(node, &f->flows[p->flow], p);
    } else if (p->flow < f->flow_count) {
        struct fabric_flow *flow = &f->flows[p->flow];
        if (p->kind == FABRIC_PKT_DATA && p->dst_host == node->number)
            receive_data(f, node, flow, p);
        else if (p->kind != FABRIC_PKT_DATA && p->dst_host == node->number)
            receive_reply(f, node, flow, p);
    }
    fabric_packet_release(&node->shard->pool, p);
}

void fabric_host_timeout(struct fabric_node *node, uint64_t arg)
{
    struct fabric *f = node->fabric;
    struct fabric_flow *flow = &f->flows[vdc_arg_field(arg, 0, 32)];
    if (flow->done || (uint32_t)vdc_arg_field(arg, 32, 32) != flow->rto_epoch)
        return;
    flow->rto_pending = false;
    if (flow->acked >= flow->next_psn)
        return; /* nothing outstanding; the next packet sent re-arms the timer */
    vdc_time now = fabric_now(node);
    vdc_time due = flow->last_progress + f->cfg.retransmit_timeout;
    if (now >= due) {
        flow->retransmitted += flow->next_psn - flow->acked;
        flow->next_psn = flow->acked;
        flow->last_progress = now;
        flow->rto_epoch++;
        activate(node->host, flow);
        fabric_port_kick(&node->ports[0]);
        due = now + f->cfg.retransmit_timeout;
    }
    arm_timeout(node, flow, due);
}

void fabric_host_dcqcn_timer(struct fabric_node *node, uint64_t arg)
{
    struct fabric *f = node->fabric;
    struct fabric_flow *flow = &f->flows[vdc_arg_field(arg, 0, 32)];
    unsigned timer = (unsigned)vdc_arg_field(arg, 32, 8);
    if (flow->done)
        return;
    const struct dcqcn_params *params = &f->cfg.dcqcn;
    vdc_time now = fabric_now(node);
    uint64_t increases = flow->cc.increases;
    vdc_time next = timer == DCQCN_TIMER_DECREASE ? fabric_dcqcn_decrease_timer(&flow->cc, params, now)
                                                  : fabric_dcqcn_increase_timer(&flow->cc, params, now);
    if (next)
        schedule_dcqcn(node, flow, next, DCQCN_TIMER_INCREASE);
    if (flow->cc.increases == increases || f->cfg.model == FABRIC_MODEL_HPCC_NS3)
        return; /* the rate did not rise (or HPCC ns-3, which sets its DCQCN rate without re-pacing): pacing stands */
    /* A faster rate may let the flow send earlier than its last pacing decision said. */
    if (flow->next_send_at > now)
        flow->next_send_at = now;
    fabric_port_kick(&node->ports[0]);
}

vdc_time fabric_flow_standalone_fct(const struct fabric *f, const struct fabric_flow *flow)
{
    if (f->cfg.model == FABRIC_MODEL_HPCC_NS3)
        return fabric_ns3_standalone_fct(f, flow);
    /* Walk the flow's ECMP path; packets leave hop h back to back at the slowest serialization so far, so the
     * last packet's arrival has a closed form; the last ACK then returns over the reverse path. */
    vdc_time first_done = 0, spacing = 0, last_done = 0, ack_time = 0;
    uint32_t full_frame = fabric_data_frame_bytes(flow->packets > 1 ? f->cfg.payload : flow->last_payload);
    uint32_t last_frame = fabric_data_frame_bytes(flow->last_payload);
    uint32_t ack_frame = FABRIC_ROCE_OVERHEAD + FABRIC_AETH;
    uint32_t at = flow->spec.src;
    for (unsigned hops = 0; at != flow->spec.dst && hops < 256; hops++) {
        const struct fabric_node *node = &f->nodes[at];
        int port_index = 0;
        if (node->is_switch) {
            uint64_t hash = fabric_ecmp_hash(node->ecmp_salt, flow->spec.src, flow->spec.dst, flow->source_port);
            port_index = fabric_route_port(f->routes, at, flow->spec.dst, hash);
            if (port_index < 0)
                return 0;
        }
        const struct fabric_port *port = &node->ports[port_index];
        vdc_time latency = port->arrive_latency;
        vdc_time full = fabric_serialization(port, full_frame);
        vdc_time last = fabric_serialization(port, last_frame);
        if (full > spacing)
            spacing = full;
        vdc_time first_arrival_here = first_done;
        first_done = first_arrival_here + full;
        vdc_time queue_free = first_done + (flow->packets > 1 ? (vdc_time)(flow->packets - 2) * spacing : 0);
        vdc_time last_start = last_done > queue_free || flow->packets == 1 ? last_done : queue_free;
        last_done = last_start + last;
        if (flow->packets == 1)
            last_done = first_done;
        first_done += latency;
        last_done += latency;
        const struct fabric_port *back = &f->nodes[port->peer_node].ports[port->peer_port];
        ack_time += fabric_serialization(back, ack_frame) + back->arrive_latency;
        at = port->peer_node;
    }
    return last_done + ack_time;
}
