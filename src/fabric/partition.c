/* Splitting a fabric-only run into partitions: which nodes go together, the lookahead, and the parallel run itself. */
#include "fabric/partition.h"

#include <stdlib.h>
#include <string.h>

#include "fabric/host.h"
#include "fabric/outputs.h"

/* Only the fabric's nodes and its queue-length monitor (which reads every partition, so runs between windows) may
 * be in a run that is split: anything else (a guest, a device, the fault schedule, the sampler) could touch state of
 * several partitions at once. */
static bool only_fabric_entities(const struct fabric *f, const struct vdc_sim *sim, const char **why_not)
{
    for (uint32_t i = 0; i < sim->entity_count; i++) {
        uint32_t id = sim->created_ids[i];
        if (id == FABRIC_QLEN_MONITOR_ENTITY)
            continue;
        if (id < FABRIC_ENTITY_BASE || id >= FABRIC_ENTITY_BASE + f->node_count) {
            *why_not = "the run has entities other than the fabric's nodes (guests, devices, faults or samples)";
            return false;
        }
    }
    for (uint32_t n = 0; n < f->node_count; n++) {
        if (f->nodes[n].host != NULL && f->nodes[n].host->endpoints_attached > 0) {
            *why_not = "a device is attached to a host";
            return false;
        }
    }
    if (f->capture != NULL) {
        *why_not = "a pcap capture is written";
        return false;
    }
    return true;
}

/* Hosts by number in `count` equal runs; then the switches layer by layer (their hop count from the nearest host),
 * each where most of its links lead as long as that partition's share of the layer's ports stays within an equal
 * split, else in the partition with the fewest of them: a layer's traffic (a tree's cores carry every flow between
 * pods) is then spread evenly, and a switch mostly sits with its neighbours. Deterministic: node order only. */
static void place_nodes(const struct fabric *f, unsigned count, uint8_t *part)
{
    uint32_t n_nodes = f->node_count, hosts = 0, placed_hosts = 0;
    uint32_t *layer = vdc_xmalloc(n_nodes * sizeof *layer), *queue = vdc_xmalloc(n_nodes * sizeof *queue);
    uint32_t head = 0, tail = 0, deepest = 0;
    for (uint32_t n = 0; n < n_nodes; n++) {
        part[n] = UINT8_MAX;
        layer[n] = UINT32_MAX;
        if (!f->nodes[n].is_switch) {
            hosts++;
            layer[n] = 0;
            queue[tail++] = n;
        }
    }
    for (uint32_t n = 0; n < n_nodes; n++) {
        if (!f->nodes[n].is_switch)
            part[n] = (uint8_t)((uint64_t)placed_hosts++ * count / hosts);
    }
    while (head < tail) {
        const struct fabric_node *node = &f->nodes[queue[head++]];
        for (uint16_t p = 0; p < node->port_count; p++) {
            uint32_t peer = node->ports[p].peer_node;
            if (layer[peer] == UINT32_MAX) {
                layer[peer] = layer[node->number] + 1;
                deepest = layer[peer] > deepest ? layer[peer] : deepest;
                queue[tail++] = peer;
            }
        }
    }
    for (uint32_t depth = 1; depth <= deepest + 1; depth++) {
        /* The last round takes switches no host reaches. */
        bool stray = depth == deepest + 1;
        uint64_t ports = 0, load[FABRIC_SHARDS_MAX] = {0};
        for (uint32_t n = 0; n < n_nodes; n++) {
            if (f->nodes[n].is_switch && (stray ? layer[n] == UINT32_MAX : layer[n] == depth))
                ports += f->nodes[n].port_count;
        }
        uint64_t share = (ports + count - 1) / count;
        for (uint32_t n = 0; n < n_nodes; n++) {
            const struct fabric_node *node = &f->nodes[n];
            if (!node->is_switch || !(stray ? layer[n] == UINT32_MAX : layer[n] == depth))
                continue;
            uint32_t links[FABRIC_SHARDS_MAX] = {0};
            for (uint16_t p = 0; p < node->port_count; p++) {
                uint8_t peer = part[node->ports[p].peer_node];
                if (peer != UINT8_MAX)
                    links[peer]++;
            }
            unsigned best = UINT32_MAX, lightest = 0;
            for (unsigned i = 0; i < count; i++) {
                lightest = load[i] < load[lightest] ? i : lightest;
                if (load[i] + node->port_count > share)
                    continue;
                if (best == UINT32_MAX || links[i] > links[best] || (links[i] == links[best] && load[i] < load[best]))
                    best = i;
            }
            if (best == UINT32_MAX)
                best = lightest;
            part[n] = (uint8_t)best;
            load[best] += node->port_count;
        }
    }
    free(layer);
    free(queue);
}

bool fabric_plan_partitions(struct fabric *f, unsigned count, struct vdc_partition_plan *plan, const char **why_not)
{
    struct vdc_sim *sim = f->sim;
    if (count < 2 || count > FABRIC_SHARDS_MAX) {
        *why_not = "the thread count is outside 2 to 8";
        return false;
    }
    if (f->node_count < count) {
        *why_not = "the fabric has fewer nodes than threads";
        return false;
    }
    if (!only_fabric_entities(f, sim, why_not))
        return false;
    uint8_t *part = vdc_xmalloc(f->node_count);
    place_nodes(f, count, part);
    /* A frame arrives at least its link's latency after it starts: the shortest such link between partitions. */
    vdc_time lookahead = VDC_TIME_MAX;
    for (uint32_t n = 0; n < f->node_count; n++) {
        const struct fabric_node *node = &f->nodes[n];
        for (uint16_t p = 0; p < node->port_count; p++) {
            const struct fabric_port *port = &node->ports[p];
            if (part[port->peer_node] != part[n] && port->arrive_latency < lookahead)
                lookahead = port->arrive_latency;
        }
    }
    if (lookahead == 0) {
        free(part);
        *why_not = "a link between partitions has no delay";
        return false;
    }
    uint8_t *part_of = vdc_xmalloc(sim->entity_slots);
    memset(part_of, VDC_PARTITION_GLOBAL, sim->entity_slots);
    for (uint32_t n = 0; n < f->node_count; n++) {
        part_of[f->nodes[n].entity->id] = part[n];
        f->nodes[n].shard = &f->shards[part[n]];
    }
    free(part);
    *plan = (struct vdc_partition_plan){.count = count, .part_of = part_of, .lookahead = lookahead};
    return true;
}

enum vdc_run_end fabric_run(struct fabric *f, vdc_time until, unsigned threads, unsigned *threads_used,
                            const char **why_not)
{
    *threads_used = 1;
    *why_not = NULL;
    struct vdc_partition_plan plan;
    if (threads < 2 || !fabric_plan_partitions(f, threads, &plan, why_not))
        return vdc_sim_run(f->sim, until);
    for (unsigned i = 0; i < threads; i++)
        f->shards[i].hold_lines = true;
    enum vdc_run_end end = vdc_sim_run_parallel(f->sim, until, &plan);
    fabric_release_held_lines(f);
    free((void *)plan.part_of);
    *threads_used = threads;
    return end;
}
