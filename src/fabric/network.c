/* Building the fabric from a topology: node entities, ports on both ends of every link, MMU and ECN settings. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/prefetch.h"
#include "fabric/fabric.h"
#include "fabric/faults.h"
#include "fabric/host.h"
#include "fabric/routing.h"

void fabric_config_defaults(struct fabric_config *cfg)
{
    *cfg = (struct fabric_config){
        .payload = 1000,
        .buffer = 32000000,
        .pfc = true,
        .pfc_reserve = 4096,
        .pfc_resume_offset = 3072,
        .pfc_alpha_shift = 3,
        .pause_quanta = 0xFFFF,
        .ecn = true,
        .ecn_pmax = 0.2,
        .control_priority = 7,
        .strict_priorities = 1,
        .nack_interval = 500 * VDC_US,
        .retransmit_timeout = 1 * VDC_MS,
        .cnp_interval = 4 * VDC_US,
        .cc = FABRIC_CC_DCQCN,
        .ns3 = {.ack_interval = 1,
                .rate_bound = true,
                .fast_react = true,
                .multi_rate = true,
                .target_util = 0.95,
                .mi_thresh = 5,
                .int_multi = 1,
                .dctcp_rate_ai = 1000000000,
                .timely_alpha = 0.875,
                .timely_beta = 0.8,
                .timely_t_low = 50 * VDC_US,
                .timely_t_high = 500 * VDC_US,
                .timely_min_rtt = 20 * VDC_US},
        .dcqcn = {.enabled = true,
                  .g = 1.0 / 256,
                  .alpha_interval = 1 * VDC_US,
                  .decrease_interval = 4 * VDC_US,
                  .increase_interval = 900 * VDC_US,
                  .fast_recovery_rounds = 1,
                  .rate_ai = 50000000,
                  .rate_hai = 100000000,
                  .min_rate = 100000000},
    };
    for (unsigned i = 0; i < FABRIC_PRIORITIES; i++)
        cfg->dwrr_weight[i] = 1;
}

/* HPCC's ECN thresholds by link rate (25G 100/400 KB, 50G 200/800, 100G 400/1600, 400G 800/3200), linear between
 * those points and beyond 400G; Kmax is four times Kmin. */
static uint64_t ecn_kmin_for_rate(uint64_t rate)
{
    static const uint64_t gbps[] = {0, 25, 50, 100, 400};
    static const uint64_t kmin_kb[] = {0, 100, 200, 400, 800};
    double g = (double)rate / 1e9;
    for (unsigned i = 1; i < 5; i++) {
        if (g <= (double)gbps[i] || i == 4) {
            double slope = (double)(kmin_kb[i] - kmin_kb[i - 1]) / (double)(gbps[i] - gbps[i - 1]);
            double kb = (double)kmin_kb[i - 1] + slope * (g - (double)gbps[i - 1]);
            return (uint64_t)(kb * 1000.0);
        }
    }
    return 0;
}

/* The lines of a port that sending or receiving a frame touches (struct fabric_port puts them first). */
static inline void prefetch_port(const struct fabric_port *port)
{
    const char *at = (const char *)port;
    VDC_PREFETCH(at, 0, 3);
    VDC_PREFETCH(at + 64, 0, 3);
    VDC_PREFETCH(at + 128, 0, 3);
}

/* Runs just before the previous event's handler: a frame arriving or a transmitter freeing reads a packet and a port
 * that have usually left the host's caches since they were last touched, a microsecond of virtual time ago. */
static void node_prefetch(const struct vdc_entity *self, const struct vdc_event *ev)
{
    const struct fabric_node *node = self->model;
    if (ev->kind == FABRIC_EV_ARRIVE) {
        VDC_PREFETCH(fabric_arrive_packet(ev->arg), 0, 3);
        prefetch_port(&node->ports[fabric_arrive_port(ev->arg)]);
    } else if (ev->kind == FABRIC_EV_TX_DONE) {
        const struct fabric_port *port = &node->ports[vdc_arg_field(ev->arg, 0, 16)];
        prefetch_port(port);
        VDC_PREFETCH(&port->queue[vdc_arg_field(ev->arg, 48, 3)], 0, 3);
    }
}

static void node_handler(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct fabric_node *node = fabric_node_of(self);
    switch (ev->kind) {
    case FABRIC_EV_ARRIVE: {
        struct fabric_packet *p = fabric_arrive_packet(ev->arg);
        struct fabric_port *port = &node->ports[fabric_arrive_port(ev->arg)];
        if (port->failed) { /* it was on the wire when the port failed */
            port->count.drops++;
            node->shard->drops++;
            fabric_packet_release(&node->shard->pool, p);
            break;
        }
        port->count.rx_frames++;
        port->count.rx_bytes += p->frame_bytes;
        if (p->kind == FABRIC_PKT_PFC) {
            fabric_port_receive_pfc(port, p);
            fabric_packet_release(&node->shard->pool, p);
        } else if (node->is_switch) {
            fabric_switch_receive(node, p);
        } else {
            fabric_host_receive(node, p);
        }
        break;
    }
    case FABRIC_EV_TX_DONE:
        fabric_port_tx_done(&node->ports[vdc_arg_field(ev->arg, 0, 16)], (uint32_t)vdc_arg_field(ev->arg, 16, 32));
        break;
    case FABRIC_EV_PAUSE_END:
        fabric_port_pause_end(&node->ports[vdc_arg_field(ev->arg, 0, 16)], (unsigned)vdc_arg_field(ev->arg, 16, 8),
                              (uint32_t)vdc_arg_field(ev->arg, 24, 32));
        break;
    case FABRIC_EV_PAUSE_REFRESH:
        fabric_port_pause_refresh(&node->ports[vdc_arg_field(ev->arg, 0, 16)], (unsigned)vdc_arg_field(ev->arg, 16, 8));
        break;
    case FABRIC_EV_FLOW_START: fabric_host_flow_start(node, (uint32_t)ev->arg); break;
    case FABRIC_EV_RTO: fabric_host_timeout(node, ev->arg); break;
    case FABRIC_EV_DCQCN_TIMER: fabric_host_dcqcn_timer(node, ev->arg); break;
    case FABRIC_EV_ENDPOINT:
        if (node->host)
            fabric_endpoint_event(node->host, ev->arg);
        break;
    default: break;
    }
}

static uint64_t smallest_host_rate(const struct fabric_topology *topo)
{
    uint64_t rate = UINT64_MAX;
    for (uint32_t i = 0; i < topo->link_count; i++) {
        const struct fabric_link_spec *l = &topo->links[i];
        if ((!topo->is_switch[l->a] || !topo->is_switch[l->b]) && l->rate < rate)
            rate = l->rate;
    }
    return rate;
}

static const struct fabric_ecn_rate *ecn_entry(const struct fabric_config *cfg, uint64_t rate)
{
    for (uint32_t i = 0; i < cfg->ecn_by_rate_count; i++) {
        if (cfg->ecn_by_rate[i].rate == rate)
            return &cfg->ecn_by_rate[i];
    }
    return NULL;
}

/* A table of ECN thresholds by rate must cover every link: HPCC ns-3's debug build stops on a missing rate and its
 * optimized build marks every packet on such a link, so vdc refuses it. */
static bool check_ecn_table(const struct fabric *f, struct vdc_error *err)
{
    char a[32], b[32];
    if (f->cfg.ecn_by_rate_count == 0)
        return true;
    for (uint32_t i = 0; i < f->topo->link_count; i++) {
        const struct fabric_link_spec *l = &f->topo->links[i];
        if (ecn_entry(&f->cfg, l->rate) == NULL)
            return vdc_fail(err, "link %s/%s runs at %" PRIu64 " bit/s, which has no entry in fabric.ecn_by_rate "
                                 "(HPCC's KMIN_MAP, KMAX_MAP, PMAX_MAP); add one for that rate",
                            fabric_node_name(f->topo, l->a, a, sizeof a), fabric_node_name(f->topo, l->b, b, sizeof b),
                            l->rate);
    }
    return true;
}

/* HPCC's INT hop record codes a link's rate in 3 bits, for 25, 50, 100, 200 and 400 Gbps only; HPCC ns-3 prints an
 * error for any other and goes on with a wrong rate, so vdc refuses the topology. */
static bool check_int_rates(const struct fabric *f, struct vdc_error *err)
{
    char a[32], b[32];
    if (f->cfg.model != FABRIC_MODEL_HPCC_NS3 || f->cfg.cc != FABRIC_CC_HPCC)
        return true;
    for (uint32_t i = 0; i < f->topo->link_count; i++) {
        const struct fabric_link_spec *l = &f->topo->links[i];
        uint64_t g = l->rate;
        if (g != 25000000000u && g != 50000000000u && g != 100000000000u && g != 200000000000u &&
            g != 400000000000u)
            return vdc_fail(err, "link %s/%s runs at %" PRIu64 " bit/s; HPCC's INT records only 25, 50, 100, 200 and "
                                 "400 Gbps, so transport.cc hpcc needs links at those rates",
                            fabric_node_name(f->topo, l->a, a, sizeof a), fabric_node_name(f->topo, l->b, b, sizeof b),
                            l->rate);
    }
    return true;
}

static void setup_port(struct fabric *f, struct fabric_node *node, uint16_t index, uint32_t link, uint32_t peer)
{
    const struct fabric_link_spec *spec = &f->topo->links[link];
    struct fabric_port *port = &node->ports[index];
    port->node = node;
    port->qlen_next_sample = VDC_TIME_MAX;
    port->index = index;
    port->peer_node = peer;
    port->link = link;
    port->rate = spec->rate;
    port->delay = spec->delay;
    port->arrive_latency = spec->delay + (f->topo->is_switch[peer] ? f->cfg.switch_latency : 0);
    port->error_rate = spec->error_rate;
    vdc_rng_seed(&port->loss_rng, f->sim->seed,
                 FABRIC_LOSS_STREAM_BASE + 2 * (uint64_t)link + (node->number != spec->a));
    port->up = true;
    port->ecn_kmin = f->cfg.ecn_kmin ? f->cfg.ecn_kmin : ecn_kmin_for_rate(spec->rate);
    port->ecn_kmax = f->cfg.ecn_kmax ? f->cfg.ecn_kmax : 4 * port->ecn_kmin;
    port->ecn_pmax = f->cfg.ecn_pmax;
    const struct fabric_ecn_rate *entry = ecn_entry(&f->cfg, spec->rate);
    if (entry) {
        port->ecn_kmin = entry->kmin;
        port->ecn_kmax = entry->kmax;
        port->ecn_pmax = entry->pmax;
    }
    if (port->ecn_kmax <= port->ecn_kmin)
        port->ecn_kmax = port->ecn_kmin + 1;
}

/* Headroom covers what still arrives once a switch decides XOFF: the frame it is sending back to the peer finishes,
 * the PFC frame crosses the link, the peer finishes the frame it started; meanwhile the link delivers what was in
 * flight. At worst that is three largest frames, the PFC frame and rate x (delay + switch latency) each way. HPCC's
 * rate x delay x 3/8 bytes (three one-way delays of data) is kept where it is larger; on slow or short links it holds
 * less than that worst case (1 Gbps over 2 us: 750 bytes, not even one frame) and a lossless fabric would drop. */
static uint64_t pfc_headroom(const struct fabric_config *cfg, const struct fabric_port *port)
{
    if (cfg->model == FABRIC_MODEL_HPCC_NS3) /* its third.cc: rate x delay (ns) / 8 / 1e9 x 3, integer steps */
        return port->rate * (port->delay / VDC_NS) / 8 / 1000000000u * 3;
    double rate_bytes = (double)port->rate / 8.0;
    uint64_t hpcc = (uint64_t)((double)port->rate * ((double)port->delay / (double)VDC_SEC) * 3 / 8);
    double one_way = (double)(port->delay + cfg->switch_latency) / (double)VDC_SEC;
    uint64_t frames = 3 * (fabric_wire_bits(fabric_data_frame_bytes(cfg->payload)) / 8) +
                      fabric_wire_bits(FABRIC_MIN_FRAME) / 8;
    uint64_t worst = (uint64_t)(2.0 * rate_bytes * one_way) + frames;
    return hpcc > worst ? hpcc : worst;
}

bool fabric_build(struct fabric *f, struct vdc_sim *sim, const struct fabric_topology *topo,
                  const struct fabric_config *cfg, struct vdc_error *err)
{
    char name[64];
    memset(f, 0, sizeof *f);
    f->sim = sim;
    f->cfg = *cfg;
    f->topo = topo;
    f->node_count = topo->node_count;
    f->dwrr_quantum = fabric_data_frame_bytes(cfg->payload) > 1538 ? fabric_data_frame_bytes(cfg->payload) : 1538;
    for (unsigned i = 0; i < FABRIC_SHARDS_MAX; i++)
        fabric_pool_init(&f->shards[i].pool);
    if (!fabric_topology_check(topo, err) || !check_ecn_table(f, err) || !check_int_rates(f, err))
        return false;
    f->nodes = vdc_xcalloc_lines(topo->node_count, sizeof *f->nodes);
    uint16_t *used = vdc_xcalloc(topo->node_count, sizeof *used);
    for (uint32_t i = 0; i < topo->link_count; i++) {
        used[topo->links[i].a]++;
        used[topo->links[i].b]++;
    }
    bool ok = true;
    for (uint32_t n = 0; n < topo->node_count && ok; n++) {
        struct fabric_node *node = &f->nodes[n];
        node->fabric = f;
        node->number = n;
        node->is_switch = topo->is_switch[n];
        node->shard = &f->shards[0];
        node->ports = vdc_xcalloc_lines(used[n], sizeof *node->ports);
        if (!node->is_switch && used[n] != 1)
            ok = vdc_fail(err, "host %s has %u links; a host has one NIC port, so cable it to one switch",
                          fabric_node_name(topo, n, name, sizeof name), used[n]);
        if (ok) {
            node->entity = vdc_entity_create(sim, fabric_entity_id(n), fabric_node_name(topo, n, name, sizeof name),
                                             node_handler, node, err);
            ok = node->entity != NULL;
            if (ok)
                node->entity->prefetch = node_prefetch;
        }
        if (ok && !node->is_switch) {
            node->host = vdc_xcalloc_lines(1, sizeof *node->host);
            node->host->node = node;
            node->host->next_source_port = 10000;
            node->host->endpoints = vdc_xcalloc(node->port_count ? node->port_count : 1, sizeof *node->host->endpoints);
        }
    }
    free(used);
    if (!ok) {
        fabric_free(f);
        return false;
    }
    for (uint32_t i = 0; i < topo->link_count; i++) {
        const struct fabric_link_spec *l = &topo->links[i];
        struct fabric_node *a = &f->nodes[l->a], *b = &f->nodes[l->b];
        uint16_t pa = a->port_count++, pb = b->port_count++;
        setup_port(f, a, pa, i, l->b);
        setup_port(f, b, pb, i, l->a);
        a->ports[pa].peer_port = pb;
        b->ports[pb].peer_port = pa;
    }
    uint64_t nic_rate = smallest_host_rate(topo);
    for (uint32_t n = 0; n < f->node_count; n++) {
        struct fabric_node *node = &f->nodes[n];
        if (!node->is_switch)
            continue;
        node->ecmp_salt = vdc_mix64(cfg->ecmp_seed ^ vdc_mix64(node->entity->id));
        fabric_mmu_init(&node->mmu, node->port_count, cfg->buffer, cfg->pfc_reserve, cfg->pfc_resume_offset);
        for (uint16_t p = 0; p < node->port_count; p++) {
            const struct fabric_port *port = &node->ports[p];
            /* The threshold shift drops by one per doubling of port rate over the NIC rate. */
            uint64_t headroom = cfg->pfc_headroom ? cfg->pfc_headroom : pfc_headroom(cfg, port);
            uint8_t shift = (uint8_t)cfg->pfc_alpha_shift;
            for (uint64_t r = port->rate; r > nic_rate && shift > 0; r /= 2)
                shift--;
            fabric_mmu_configure_port(&node->mmu, p, headroom, shift);
        }
    }
    f->routes = fabric_routes_compute(f);
    return true;
}

void fabric_free(struct fabric *f)
{
    if (f->nodes) {
        for (uint32_t n = 0; n < f->node_count; n++) {
            struct fabric_node *node = &f->nodes[n];
            for (uint16_t p = 0; p < node->port_count; p++) {
                struct fabric_port *port = &node->ports[p];
                for (unsigned q = 0; q < FABRIC_PRIORITIES; q++)
                    port->queue[q].head = port->queue[q].tail = NULL;
            }
            free(node->ports);
            fabric_mmu_free(&node->mmu);
            if (node->host) {
                free(node->host->active);
                free(node->host->qps);
                free(node->host->qp_ready);
                free(node->host->endpoints);
            }
            free(node->host);
        }
    }
    free(f->nodes);
    free(f->flows);
    free(f->flow_rx);
    free(f->ns3_qps);
    fabric_faults_free(f);
    fabric_routes_free(f->routes);
    for (unsigned i = 0; i < FABRIC_SHARDS_MAX; i++)
        fabric_pool_free(&f->shards[i].pool);
    memset(f, 0, sizeof *f);
}
