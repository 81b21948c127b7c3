/* Switch forwarding: ECMP lookup, shared-buffer admission, PFC XOFF/XON toward the ingress, ECN marking at dequeue. */
#include "fabric/fabric.h"
#include "fabric/outputs.h"
#include "fabric/qlen_monitor.h"
#include "fabric/routing.h"

static void drop(struct fabric_node *sw, struct fabric_port *ingress, struct fabric_packet *p)
{
    ingress->count.drops++;
    sw->shard->drops++;
    fabric_packet_release(&sw->shard->pool, p);
}

void fabric_switch_receive(struct fabric_node *sw, struct fabric_packet *p)
{
    struct fabric *f = sw->fabric;
    struct fabric_port *ingress = &sw->ports[p->ingress_port];
    const struct fabric_route_cell *next_hops = fabric_route_cell(f->routes, sw->number, p->dst_host);
    uint64_t hash = 0; /* only a choice between several next hops reads it (most hops down a tree have one) */
    if (next_hops->count > 1)
        hash = f->cfg.model == FABRIC_MODEL_HPCC_NS3
                   ? fabric_ns3_ecmp_hash(sw->number, fabric_host_ipv4(p->src_host), fabric_host_ipv4(p->dst_host),
                                          p->udp_source_port, p->udp_dest_port)
                   : fabric_ecmp_hash(sw->ecmp_salt, p->src_host, p->dst_host, p->udp_source_port);
    int egress = fabric_route_pick(f->routes, next_hops, hash);
    if (egress < 0 || p->ttl <= 1) {
        drop(sw, ingress, p);
        return;
    }
    if (sw->ports[egress].failed) { /* until routes converge around it */
        drop(sw, &sw->ports[egress], p);
        return;
    }
    p->ttl--;
    unsigned priority = p->priority;
    struct fabric_mmu *mmu = &sw->mmu;
    bool lossy = !f->cfg.pfc;
    if (!fabric_mmu_admit(mmu, ingress->index, priority, p->frame_bytes, lossy)) {
        drop(sw, ingress, p);
        return;
    }
    fabric_mmu_charge(mmu, ingress->index, priority, p->frame_bytes);
    if (f->cfg.pfc && !(ingress->pausing_mask & (1u << priority)) &&
        fabric_mmu_should_pause(mmu, ingress->index, priority)) {
        fabric_port_send_pfc(ingress, (uint8_t)(1u << priority), true);
        if (f->cfg.pause_expiry)
            fabric_port_schedule_refresh(ingress, priority);
    }
    fabric_qlen_changed(&sw->ports[egress], fabric_now(sw), sw->ports[egress].queued_bytes);
    fabric_port_enqueue(&sw->ports[egress], p);
}

double fabric_red_probability(uint64_t kmin, uint64_t kmax, double pmax, uint64_t depth)
{
    if (depth <= kmin)
        return 0.0;
    if (depth > kmax)
        return 1.0;
    return pmax * (double)(depth - kmin) / (double)(kmax - kmin);
}

bool fabric_red_mark(uint64_t kmin, uint64_t kmax, double pmax, uint64_t depth, struct vdc_rng *rng)
{
    /* Only the ramp draws, so a queue outside it leaves the switch's stream where it was. */
    if (depth <= kmin || depth > kmax)
        return depth > kmax;
    return vdc_rng_unit(rng) < fabric_red_probability(kmin, kmax, pmax, depth);
}

static void release_buffer(struct fabric_node *sw, const struct fabric_packet *p)
{
    unsigned priority = p->priority;
    struct fabric_port *ingress = &sw->ports[p->ingress_port];
    fabric_mmu_release(&sw->mmu, p->ingress_port, priority, p->frame_bytes);
    if ((ingress->pausing_mask & (1u << priority)) && fabric_mmu_should_resume(&sw->mmu, p->ingress_port, priority))
        fabric_port_send_pfc(ingress, (uint8_t)(1u << priority), false);
}

void fabric_switch_discarded(struct fabric_node *sw, struct fabric_packet *p)
{
    release_buffer(sw, p);
}

/* HPCC's switch adds a hop record to every data packet it sends: the time, the port's bytes sent before it and
 * its egress queue after it, in the INT header's units and widths (its IntHop::Set). */
static void push_int_hop(const struct fabric *f, const struct fabric_port *port, struct fabric_packet *p)
{
    struct fabric_ns3_fields *h = p->ns3;
    uint32_t multi = f->cfg.ns3.int_multi;
    struct fabric_int_hop *hop = &h->hop[h->nhop % FABRIC_INT_MAX_HOPS];
    uint64_t queued = port->queued_bytes + port->control.bytes;
    hop->time = (fabric_now(port->node) / VDC_NS) & ((1u << 24) - 1);
    hop->bytes = (port->count.tx_bytes / (128u * multi)) & ((1u << 20) - 1);
    hop->qlen = (queued / (80u * multi)) & ((1u << 17) - 1);
    switch (port->rate) {
    case 25000000000u: hop->rate_code = 0; break;
    case 50000000000u: hop->rate_code = 1; break;
    case 100000000000u: hop->rate_code = 2; break;
    case 200000000000u: hop->rate_code = 3; break;
    default: hop->rate_code = 4; break; /* 400 Gbps: fabric_build refuses other rates with cc hpcc */
    }
    h->nhop++;
}

void fabric_switch_dequeued(struct fabric_node *sw, struct fabric_port *port, struct fabric_packet *p)
{
    struct fabric *f = sw->fabric;
    unsigned priority = p->priority;
    release_buffer(sw, p);
    if (f->cfg.ecn && p->kind == FABRIC_PKT_DATA && (p->ecn == FABRIC_ECN_ECT0 || p->ecn == FABRIC_ECN_ECT1) &&
        fabric_red_mark(port->ecn_kmin, port->ecn_kmax, port->ecn_pmax, port->queue[priority].bytes,
                        &sw->entity->rng)) {
        p->ecn = FABRIC_ECN_CE;
        port->count.ecn_marked++;
    }
    if (p->ns3 && p->kind == FABRIC_PKT_DATA && f->cfg.cc == FABRIC_CC_HPCC)
        push_int_hop(f, port, p);
}

