/* Scenario keys to fabric inputs. Generated workloads draw from their own random streams, seeded by the scenario
 * seed and the host, so adding a host or a key elsewhere does not change another host's flows. */
#include "run/fabric_setup.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/hpcc_import.h"
#include "scheduler/entity_ids.h"
#include "fabric/simgrid_import.h"
#include "fabric/topologies.h"
#include "scenario/fault_list.h"
#include "fabric/traffic.h"
#include "common/units.h"



/* The hpcc-ns3 model reads HPCC's files as HPCC ns-3 does: what follows the declared links or flows is left unread
 * (its own mix/ files keep notes there), and vdc says so once; vdc's own model refuses it as a likely mistake. */
static bool reads_like_hpcc(const struct vdc_scenario *sc)
{
    return sc->transport.model == FABRIC_MODEL_HPCC_NS3;
}

static void note_ignored(const char *path, size_t line, const char *what)
{
    if (line != 0)
        fprintf(stderr, "vdc: note: %s:%zu: lines from here on, after the declared %s, are not read (as HPCC ns-3 "
                        "does not read them)\n", path, line, what);
}

bool vdc_fabric_setup_topology(const struct vdc_scenario *sc, struct fabric_topology *topo, struct vdc_error *err)
{
    const __typeof__(sc->topology) *t = &sc->topology;
    bool ok;
    switch (t->kind) {
    case VDC_TOPOLOGY_LEAF_SPINE:
        ok = fabric_topology_leaf_spine(topo, (uint32_t)t->leaves, (uint32_t)t->spines, (uint32_t)t->hosts_per_leaf,
                                        t->link_rate, t->fabric_rate, t->link_delay, err);
        break;
    case VDC_TOPOLOGY_FAT_TREE:
        ok = fabric_topology_fat_tree(topo, (uint32_t)t->k, t->link_rate, t->fabric_rate, t->link_delay, err);
        break;
    case VDC_TOPOLOGY_HPCC:
        if (t->file[0] == '\0')
            return vdc_fail(err, "topology.kind hpcc needs topology.file, the file to import");
        /* The reader leaves nothing allocated when it fails. A link whose file gives no error rate takes
         * fabric.link_error_rate, as HPCC's ERROR_RATE_PER_LINK applies to them. */
        size_t ignored = 0;
        if (!fabric_hpcc_read_topology(t->file, topo, reads_like_hpcc(sc) ? &ignored : NULL, err))
            return false;
        note_ignored(t->file, ignored, "links");
        for (uint32_t i = 0; i < topo->link_count; i++) {
            if (topo->links[i].error_rate == 0.0)
                topo->links[i].error_rate = sc->fabric.link_error_rate;
        }
        return true;
    case VDC_TOPOLOGY_SIMGRID:
        if (t->file[0] == '\0')
            return vdc_fail(err, "topology.kind simgrid needs topology.file, the file to import");
        ok = fabric_simgrid_read_platform(t->file, topo, err);
        if (!ok)
            return false;
        break;
    default:
        ok = fabric_topology_rack(topo, (uint32_t)t->blades, (uint32_t)t->tor_ports, t->link_rate, t->link_delay, err);
        break;
    }
    if (!ok) {
        fabric_topology_free(topo);
        return vdc_fail_prefix(err, "topology");
    }
    for (uint32_t i = 0; i < topo->link_count; i++)
        topo->links[i].error_rate = sc->fabric.link_error_rate;
    return true;
}

static bool parse_weights(const char *text, uint32_t weights[FABRIC_PRIORITIES], struct vdc_error *err)
{
    const char *p = text;
    for (unsigned i = 0; i < FABRIC_PRIORITIES; i++) {
        char *end;
        unsigned long w = strtoul(p, &end, 10);
        if (end == p || w < 1 || w > 100 || (i + 1 < FABRIC_PRIORITIES ? *end != ',' : *end != '\0'))
            return vdc_fail(err, "fabric.dwrr_weights '%s': expected 8 comma-separated weights from 1 to 100, "
                                 "like 1,1,1,4,1,1,1,1",
                            text);
        weights[i] = (uint32_t)w;
        p = end + 1;
    }
    return true;
}

/* fabric.ecn_by_rate: `RATE KMIN KMAX PMAX` entries separated by ';'. */
static bool parse_ecn_table(const char *text, struct fabric_config *cfg, struct vdc_error *err)
{
    char *copy = vdc_xstrdup(text), *save = NULL;
    bool ok = true;
    unsigned entry = 0;
    for (char *item = strtok_r(copy, ";", &save); item && ok; item = strtok_r(NULL, ";", &save)) {
        char *words[5], *inner = NULL;
        unsigned count = 0;
        for (char *w = strtok_r(item, " \t\n", &inner); w; w = strtok_r(NULL, " \t\n", &inner))
            words[count < 5 ? count++ : 4] = w;
        if (count == 0)
            continue;
        entry++;
        struct fabric_ecn_rate e;
        if (count != 4 || cfg->ecn_by_rate_count == FABRIC_ECN_RATES) {
            ok = vdc_fail(err, "fabric.ecn_by_rate entry %u: expected `RATE KMIN KMAX PMAX` like `100Gbps 400KB "
                               "1600KB 0.2`, at most %u entries",
                          entry, FABRIC_ECN_RATES);
        } else if (!vdc_parse_quantity(words[0], VDC_QTY_RATE, &e.rate, err) ||
                   !vdc_parse_quantity(words[1], VDC_QTY_SIZE, &e.kmin, err) ||
                   !vdc_parse_quantity(words[2], VDC_QTY_SIZE, &e.kmax, err) || !vdc_parse_real(words[3], &e.pmax, err)) {
            ok = vdc_fail_prefix(err, "fabric.ecn_by_rate entry %u", entry);
        } else if (e.kmax <= e.kmin || e.pmax < 0 || e.pmax > 1 || e.rate == 0) {
            ok = vdc_fail(err, "fabric.ecn_by_rate entry %u: KMAX must exceed KMIN and PMAX lie in 0..1", entry);
        } else {
            for (uint32_t i = 0; i < cfg->ecn_by_rate_count; i++) {
                if (cfg->ecn_by_rate[i].rate == e.rate)
                    ok = vdc_fail(err, "fabric.ecn_by_rate entry %u repeats the rate %s of an earlier entry", entry,
                                  words[0]);
            }
            if (ok)
                cfg->ecn_by_rate[cfg->ecn_by_rate_count++] = e;
        }
    }
    free(copy);
    return ok;
}

static bool setup_transport(const struct vdc_scenario *sc, struct fabric_config *cfg, struct vdc_error *err)
{
    const __typeof__(sc->transport) *tr = &sc->transport;
    cfg->model = (enum fabric_transport_model)tr->model;
    cfg->cc = (enum fabric_cc)tr->cc;
    cfg->ns3.ack_interval = (uint32_t)tr->ack_interval;
    cfg->ns3.chunk = (uint32_t)tr->chunk;
    cfg->ns3.back_to_zero = tr->back_to_zero;
    cfg->ns3.window = tr->window;
    cfg->ns3.variable_window = tr->variable_window;
    cfg->ns3.global_rtt = tr->global_rtt;
    cfg->ns3.rate_bound = tr->rate_bound;
    cfg->ns3.ack_high_priority = tr->ack_high_priority;
    cfg->ns3.fast_react = tr->hpcc_fast_react;
    cfg->ns3.multi_rate = tr->hpcc_multi_rate;
    cfg->ns3.sample_feedback = tr->hpcc_sample_feedback;
    cfg->ns3.target_util = tr->hpcc_target_util;
    cfg->ns3.mi_thresh = (uint32_t)tr->hpcc_mi_thresh;
    cfg->ns3.int_multi = (uint32_t)tr->hpcc_int_multi;
    cfg->ns3.dctcp_rate_ai = tr->dctcp_rate_ai;
    static const char *const names[] = {"none", "dcqcn", "hpcc", "timely", "dctcp"};
    if (cfg->model == FABRIC_MODEL_ROCE && cfg->cc != FABRIC_CC_DCQCN && cfg->cc != FABRIC_CC_NONE)
        return vdc_fail(err, "transport.cc %s needs transport.model: hpcc-ns3 (the roce model runs dcqcn or none)",
                        names[cfg->cc]);
    if (cfg->cc == FABRIC_CC_HPCC && !cfg->ns3.window)
        return vdc_fail(err, "transport.cc hpcc needs transport.window: true (HAS_WIN 1): HPCC's utilization "
                             "divides by its window");
    return true;
}

bool vdc_fabric_setup_config(const struct vdc_scenario *sc, struct fabric_config *cfg, struct vdc_error *err)
{
    fabric_config_defaults(cfg);
    const __typeof__(sc->fabric) *fb = &sc->fabric;
    const __typeof__(sc->transport) *tr = &sc->transport;
    cfg->payload = (uint32_t)fb->payload;
    cfg->buffer = fb->buffer;
    cfg->pfc = fb->pfc;
    cfg->pfc_reserve = (uint32_t)fb->pfc_reserve;
    cfg->pfc_resume_offset = (uint32_t)fb->pfc_resume_offset;
    cfg->pfc_alpha_shift = (uint32_t)fb->pfc_alpha_shift;
    cfg->pfc_headroom = fb->pfc_headroom;
    cfg->pause_expiry = fb->pause_expiry;
    cfg->pause_quanta = (uint32_t)fb->pause_quanta;
    cfg->ecn = fb->ecn;
    cfg->ecn_kmin = fb->ecn_kmin;
    cfg->ecn_kmax = fb->ecn_kmax;
    cfg->ecn_pmax = fb->ecn_pmax;
    cfg->switch_latency = sc->topology.switch_latency;
    cfg->control_priority = (uint8_t)fb->control_priority;
    cfg->strict_priorities = (uint8_t)fb->strict_priorities;
    cfg->ecmp_seed = vdc_mix64(sc->seed);
    cfg->nack_interval = tr->nack_interval;
    cfg->retransmit_timeout = tr->retransmit_timeout;
    cfg->cnp_interval = tr->cnp_interval;
    if (!setup_transport(sc, cfg, err) || !parse_ecn_table(fb->ecn_by_rate, cfg, err))
        return false;
    cfg->dcqcn = (struct dcqcn_params){.enabled = cfg->cc == FABRIC_CC_DCQCN,
                                       .halve_separately = cfg->model == FABRIC_MODEL_HPCC_NS3,
                                       .clamp_target = tr->dcqcn_clamp_target,
                                       .g = tr->dcqcn_g,
                                       .alpha_interval = tr->dcqcn_alpha_interval,
                                       .decrease_interval = tr->dcqcn_decrease_interval,
                                       .increase_interval = tr->dcqcn_increase_interval,
                                       .fast_recovery_rounds = (uint32_t)tr->dcqcn_fast_recovery,
                                       .rate_ai = tr->dcqcn_rate_ai,
                                       .rate_hai = tr->dcqcn_rate_hai,
                                       .min_rate = tr->dcqcn_min_rate};
    if (fb->ecn_kmin && fb->ecn_kmax && fb->ecn_kmax <= fb->ecn_kmin)
        return vdc_fail(err, "fabric.ecn_kmax must be larger than fabric.ecn_kmin");
    if (fb->control_priority < FABRIC_PRIORITIES - fb->strict_priorities && fb->strict_priorities > 0)
        return vdc_fail(err, "fabric.control_priority %" PRIu64 " is not among the %" PRIu64
                             " strict priorities; ACKs and CNPs must not wait behind data",
                        fb->control_priority, fb->strict_priorities);
    return parse_weights(fb->dwrr_weights, cfg->dwrr_weight, err);
}

/* Node numbers of the hosts, in node order: host index i is hosts[i]. */
static uint32_t *host_nodes(const struct fabric_topology *topo, uint32_t *count)
{
    uint32_t *hosts = vdc_xmalloc((topo->node_count ? topo->node_count : 1) * sizeof *hosts);
    *count = 0;
    for (uint32_t n = 0; n < topo->node_count; n++) {
        if (!topo->is_switch[n])
            hosts[(*count)++] = n;
    }
    return hosts;
}

static bool incast_flows(const struct vdc_scenario *sc, const struct fabric_topology *topo, const uint32_t *hosts,
                         uint32_t host_count, struct fabric_flow_set *flows, struct vdc_error *err)
{
    const __typeof__(sc->workload) *w = &sc->workload;
    if (w->receiver >= host_count || w->senders >= host_count)
        return vdc_fail(err, "workload: an incast of %" PRIu64 " senders to host %" PRIu64
                             " needs more than the topology's %" PRIu32 " hosts; lower senders or receiver",
                        w->senders, w->receiver, host_count);
    uint32_t *senders = vdc_xmalloc(w->senders * sizeof *senders);
    for (uint32_t i = 0, n = 0; n < w->senders; i++) {
        if (i != w->receiver)
            senders[n++] = hosts[i];
    }
    struct fabric_incast_params params = {.senders = senders,
                                          .sender_count = w->senders,
                                          .receiver = hosts[w->receiver],
                                          .size = w->flow_size,
                                          .start = w->start,
                                          .priority = (uint8_t)w->priority,
                                          .dst_port = 100};
    bool ok = fabric_traffic_incast(topo, &params, flows, err);
    free(senders);
    return ok;
}

/* Each host sends `messages_per_blade` messages of `message_size` to uniformly chosen peers, with exponential
 * gaps of mean `mean_interval` (until run.stop_time when the count is 0). */
static void uniform_flows(const struct vdc_scenario *sc, const uint32_t *hosts, uint32_t host_count,
                          struct fabric_flow_set *flows)
{
    const __typeof__(sc->workload) *w = &sc->workload;
    for (uint32_t i = 0; i < host_count; i++) {
        struct vdc_rng rng;
        vdc_rng_seed(&rng, sc->seed, VDC_IDS_WORKLOAD_STREAM_BASE + hosts[i]);
        vdc_time at = 0;
        for (uint64_t m = 0; w->messages_per_blade == 0 || m < w->messages_per_blade; m++) {
            at = vdc_time_add(at, vdc_rng_exponential(&rng, w->mean_interval));
            if (sc->run.stop_time && at >= sc->run.stop_time)
                break;
            uint32_t peer = (uint32_t)vdc_rng_below(&rng, host_count - 1);
            if (peer >= i)
                peer++;
            struct fabric_flow_spec spec = {.src = hosts[i], .dst = hosts[peer], .priority = (uint8_t)w->priority,
                                            .dst_port = 100, .size = w->message_size, .start = at};
            fabric_flow_set_add(flows, &spec);
        }
    }
}

bool vdc_fabric_setup_flows(const struct vdc_scenario *sc, const struct fabric_topology *topo,
                        struct fabric_flow_set *flows, struct vdc_error *err)
{
    uint32_t host_count;
    uint32_t *hosts = host_nodes(topo, &host_count);
    bool ok = true;
    switch (sc->workload.kind) {
    case VDC_WORKLOAD_UNIFORM: uniform_flows(sc, hosts, host_count, flows); break;
    case VDC_WORKLOAD_INCAST: ok = incast_flows(sc, topo, hosts, host_count, flows, err); break;
    case VDC_WORKLOAD_POISSON: {
        struct fabric_poisson_params params = {
            .load = sc->workload.load,
            .host_rate = sc->topology.link_rate,
            .sizes = sc->workload.distribution == VDC_DISTRIBUTION_HADOOP ? &fabric_cdf_fb_hadoop : &fabric_cdf_websearch,
            .start = sc->workload.start,
            .duration = sc->workload.duration,
            .seed = vdc_mix64(sc->seed ^ VDC_IDS_WORKLOAD_STREAM_BASE),
            .priority = (uint8_t)sc->workload.priority,
            .dst_port = 100};
        ok = fabric_traffic_poisson(topo, &params, flows, err);
        break;
    }
    case VDC_WORKLOAD_FLOWS:
        if (sc->workload.flows_file[0] == '\0')
            ok = vdc_fail(err, "workload.kind flows needs workload.flows_file, an HPCC ns-3 flow file");
        else
        {
            size_t ignored = 0;
            ok = fabric_hpcc_read_flows(sc->workload.flows_file, topo, flows, reads_like_hpcc(sc) ? &ignored : NULL, err);
            if (ok)
                note_ignored(sc->workload.flows_file, ignored, "flows");
        }
        break;
    default: break;
    }
    free(hosts);
    return ok;
}

bool vdc_fabric_setup_faults(const struct vdc_scenario *sc, struct fabric *f, struct vdc_error *err)
{
    struct vdc_fault_list list;
    if (!vdc_fault_list_parse(sc->faults.schedule, 1, &list, err))
        return vdc_fail_prefix(err, "faults.schedule");
    /* The scenario's entries in the fabric's own form: same order, same words for messages. HiLink's are for the
     * GPUs' fabric (src/run/hilink_setup.c). */
    struct fabric_fault *faults = vdc_xcalloc(list.count ? list.count : 1, sizeof *faults);
    size_t count = 0;
    for (size_t i = 0; i < list.count; i++) {
        const struct vdc_fault_entry *e = &list.items[i];
        if (e->action == VDC_FAULT_HILINK_DOWN || e->action == VDC_FAULT_HILINK_UP ||
            e->action == VDC_FAULT_HILINK_CORRUPT)
            continue;
        static const enum fabric_fault_kind kinds[] = {
            [VDC_FAULT_DOWN] = FABRIC_FAULT_DOWN,           [VDC_FAULT_UP] = FABRIC_FAULT_UP,
            [VDC_FAULT_FLAP] = FABRIC_FAULT_FLAP,           [VDC_FAULT_FAIL_PORT] = FABRIC_FAULT_FAIL_PORT,
            [VDC_FAULT_REPAIR_PORT] = FABRIC_FAULT_REPAIR_PORT, [VDC_FAULT_STUCK] = FABRIC_FAULT_STUCK,
            [VDC_FAULT_ERRORS] = FABRIC_FAULT_ERRORS};
        faults[count++] = (struct fabric_fault){.number = e->number,
                                          .text = e->text,
                                          .kind_name = vdc_fault_action_name(e->action),
                                          .at = e->at,
                                          .kind = kinds[e->action],
                                          .target = e->target,
                                          .period = e->period,
                                          .until = e->until,
                                          .probability = e->probability};
    }
    struct fabric_fault_plan plan = {.entries = faults, .count = count, .reroute_delay = sc->faults.reroute_delay};
    bool ok = fabric_faults_schedule(f, &plan, err);
    free(faults);
    vdc_fault_list_free(&list);
    return ok;
}
