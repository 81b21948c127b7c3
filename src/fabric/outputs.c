/* fct.txt and pfc.txt as HPCC ns-3 writes them, the per-port counters table, and the fabric's totals of a run. */
#include "fabric/outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fabric/fabric.h"
#include "fabric/host.h"

void fabric_log_pfc(struct fabric *f, const struct fabric_node *node, const struct fabric_port *port, bool pause)
{
    if (!f->pfc_file)
        return;
    fprintf(f->pfc_file, "%" PRIu64 " %" PRIu32 " %d %u %d\n", f->sim->now / VDC_NS, node->number,
            node->is_switch ? 1 : 0, port->index + 1u, pause ? 1 : 0);
}

void fabric_log_fct(struct fabric *f, const struct fabric_flow *flow)
{
    if (!f->fct_file)
        return;
    const struct fabric_flow_spec *s = &flow->spec;
    fprintf(f->fct_file, "%08" PRIx32 " %08" PRIx32 " %u %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
            fabric_host_ipv4(s->src), fabric_host_ipv4(s->dst), flow->source_port, s->dst_port, s->size,
            s->start / VDC_NS, (flow->finished_at - s->start) / VDC_NS, fabric_flow_standalone_fct(f, flow) / VDC_NS);
}

bool fabric_write_counters(const struct fabric *f, const char *path, struct vdc_error *err)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return vdc_fail(err, "%s: cannot write (%s); choose a writable --out folder", path, strerror(errno));
    char name[64], peer[64];
    fprintf(out, "node,port,peer,rate_bps,tx_frames,tx_bytes,rx_frames,rx_bytes,drops,ecn_marked,pauses_sent,"
                 "resumes_sent,pauses_received,resumes_received,paused_ns\n");
    for (uint32_t n = 0; n < f->node_count; n++) {
        const struct fabric_node *node = &f->nodes[n];
        for (uint16_t p = 0; p < node->port_count; p++) {
            const struct fabric_port *port = &node->ports[p];
            const struct fabric_port_counters *c = &port->count;
            vdc_time paused = c->paused_time;
            for (unsigned q = 0; q < FABRIC_PRIORITIES; q++) {
                if (port->paused_mask & (1u << q))
                    paused += f->sim->now - port->paused_since[q];
            }
            fprintf(out,
                    "%s,%u,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                    ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
                    fabric_node_name(f->topo, n, name, sizeof name), p + 1u,
                    fabric_node_name(f->topo, port->peer_node, peer, sizeof peer), port->rate, c->tx_frames,
                    c->tx_bytes, c->rx_frames, c->rx_bytes, c->drops, c->ecn_marked, c->pauses_sent, c->resumes_sent,
                    c->pauses_received, c->resumes_received, paused / VDC_NS);
        }
    }
    bool ok = !ferror(out);
    if (fclose(out) != 0 || !ok)
        return vdc_fail(err, "%s: write failed (%s); check the disk", path, strerror(errno));
    return true;
}

bool fabric_logs_open(struct fabric *f, const char *fct_path, const char *pfc_path, struct vdc_error *err)
{
    const char *paths[2] = {fct_path, pfc_path};
    FILE **files[2] = {&f->fct_file, &f->pfc_file};
    for (size_t i = 0; i < 2; i++) {
        if (paths[i] == NULL)
            continue;
        *files[i] = fopen(paths[i], "w");
        if (*files[i] == NULL)
            return vdc_fail(err, "cannot write '%s' (%s); choose a writable path or --out folder", paths[i],
                            strerror(errno));
    }
    return true;
}

bool fabric_logs_close(struct fabric *f, struct vdc_error *err)
{
    bool ok = true;
    FILE **files[2] = {&f->fct_file, &f->pfc_file};
    for (size_t i = 0; i < 2; i++) {
        if (*files[i] && (ferror(*files[i]) | fclose(*files[i])) != 0 && ok)
            ok = vdc_fail(err, "writing fct.txt or pfc.txt failed; check the disk");
        *files[i] = NULL;
    }
    return ok;
}

void fabric_totals(const struct fabric *f, struct fabric_totals *t)
{
    memset(t, 0, sizeof *t);
    vdc_hist_init(&t->fct);
    if (!f->nodes)
        return;
    t->hosts = fabric_topology_host_count(f->topo);
    t->switches = f->node_count - t->hosts;
    t->links = f->topo->link_count;
    t->flows = f->flow_count;
    t->faults_applied = f->faults_applied;
    t->reroutes = f->reroutes;
    double slowdown_sum = 0;
    for (uint32_t i = 0; i < f->flow_count; i++) {
        const struct fabric_flow *flow = &f->flows[i];
        t->bytes_delivered += flow->bytes_received;
        t->retransmitted += flow->retransmitted;
        if (!flow->done)
            continue;
        t->flows_done++;
        vdc_time fct = flow->finished_at - flow->spec.start;
        vdc_hist_add(&t->fct, fct);
        vdc_time ideal = fabric_flow_standalone_fct(f, flow);
        slowdown_sum += ideal ? (double)fct / (double)ideal : 1.0;
    }
    t->mean_slowdown = t->flows_done ? slowdown_sum / (double)t->flows_done : 0;
    for (uint32_t n = 0; n < f->node_count; n++) {
        for (uint16_t p = 0; p < f->nodes[n].port_count; p++) {
            const struct fabric_port *port = &f->nodes[n].ports[p];
            t->drops += port->count.drops;
            t->ecn_marks += port->count.ecn_marked;
            t->pauses_sent += port->count.pauses_sent;
            t->resumes_sent += port->count.resumes_sent;
            t->paused_time += port->count.paused_time;
            for (unsigned q = 0; q < FABRIC_PRIORITIES; q++) {
                if (port->paused_mask & (1u << q))
                    t->paused_time += f->sim->now - port->paused_since[q];
            }
        }
    }
}
