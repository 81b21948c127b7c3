/* fct.txt and pfc.txt as HPCC ns-3 writes them, the per-port counters table, and the fabric's totals of a run. */
#include "fabric/outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/fabric.h"
#include "fabric/host.h"

enum held_file { HELD_FCT, HELD_PFC };

/* One line of a log, written now or, in a parallel run, held in the node's shard under the key of the event
 * writing it (fabric_release_held_lines writes them in key order). */
__attribute__((format(printf, 4, 5))) static void log_line(const struct fabric_node *node, FILE *out,
                                                           enum held_file which, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    struct fabric_shard *shard = node->shard;
    if (!shard->hold_lines) {
        vfprintf(out, format, args);
        va_end(args);
        return;
    }
    char *text = NULL;
    if (vasprintf(&text, format, args) < 0)
        vdc_die("out of memory holding a line of the fabric's logs");
    va_end(args);
    struct fabric_held_lines *held = &shard->held[which];
    if (held->len == held->cap) {
        held->cap = held->cap ? 2 * held->cap : 256;
        held->items = vdc_xrealloc(held->items, held->cap, sizeof *held->items);
    }
    const struct vdc_sim *sim = node->entity->sim;
    held->items[held->len] = (struct fabric_held_line){sim->now, sim->current_order, (uint32_t)held->len, text};
    held->len++;
}

void fabric_log_pfc(struct fabric *f, const struct fabric_node *node, const struct fabric_port *port, bool pause)
{
    if (!f->pfc_file)
        return;
    log_line(node, f->pfc_file, HELD_PFC, "%" PRIu64 " %" PRIu32 " %d %u %d\n", fabric_now(node) / VDC_NS,
             node->number, node->is_switch ? 1 : 0, port->index + 1u, pause ? 1 : 0);
}

void fabric_log_fct(const struct fabric_node *node, const struct fabric_flow *flow)
{
    const struct fabric *f = node->fabric;
    if (!f->fct_file)
        return;
    const struct fabric_flow_spec *s = &flow->spec;
    log_line(node, f->fct_file, HELD_FCT,
             "%08" PRIx32 " %08" PRIx32 " %u %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
             fabric_host_ipv4(s->src), fabric_host_ipv4(s->dst), flow->source_port, s->dst_port, s->size,
             s->start / VDC_NS, (flow->finished_at - s->start) / VDC_NS, fabric_flow_standalone_fct(f, flow) / VDC_NS);
}

static int by_event_key(const void *a, const void *b)
{
    const struct fabric_held_line *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void fabric_release_held_lines(struct fabric *f)
{
    FILE *outs[2] = {f->fct_file, f->pfc_file};
    for (unsigned which = 0; which < 2; which++) {
        struct fabric_held_lines all = {0};
        for (unsigned i = 0; i < FABRIC_SHARDS_MAX; i++) {
            struct fabric_held_lines *held = &f->shards[i].held[which];
            if (held->len == 0)
                continue;
            all.items = vdc_xrealloc(all.items, all.len + held->len, sizeof *all.items);
            memcpy(all.items + all.len, held->items, held->len * sizeof *held->items);
            all.len += held->len;
            free(held->items);
            *held = (struct fabric_held_lines){0};
        }
        /* Keys are unique across shards, and a shard holds its lines in the order it wrote them. */
        if (all.len > 0)
            qsort(all.items, all.len, sizeof *all.items, by_event_key);
        for (size_t i = 0; i < all.len; i++) {
            if (outs[which] != NULL)
                fputs(all.items[i].text, outs[which]);
            free(all.items[i].text);
        }
        free(all.items);
    }
    for (unsigned i = 0; i < FABRIC_SHARDS_MAX; i++)
        f->shards[i].hold_lines = false;
}

uint32_t fabric_flows_done(const struct fabric *f)
{
    uint32_t done = 0;
    for (unsigned i = 0; i < FABRIC_SHARDS_MAX; i++)
        done += f->shards[i].flows_done;
    return done;
}

uint64_t fabric_data_packets_delivered(const struct fabric *f)
{
    uint64_t delivered = 0;
    for (unsigned i = 0; i < FABRIC_SHARDS_MAX; i++)
        delivered += f->shards[i].data_packets_delivered;
    return delivered;
}

uint64_t fabric_drops(const struct fabric *f)
{
    uint64_t drops = 0;
    for (unsigned i = 0; i < FABRIC_SHARDS_MAX; i++)
        drops += f->shards[i].drops;
    return drops;
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
        t->bytes_delivered += flow->rx->bytes_received;
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
