/* The built-in topologies, named so outputs read naturally (blade3, leaf1, spine0, pod2-edge1, core3). */
#include "fabric/topologies.h"

#include <inttypes.h>
#include <stdio.h>

static void name_node(struct fabric_topology *t, uint32_t node, bool is_switch, const char *fmt, uint32_t a,
                      uint32_t b)
{
    char name[64];
    snprintf(name, sizeof name, fmt, a, b);
    t->is_switch[node] = is_switch;
    fabric_topology_name(t, node, name);
}

bool fabric_topology_rack(struct fabric_topology *t, uint32_t hosts, uint32_t switch_ports, uint64_t rate,
                          vdc_time delay, struct vdc_error *err)
{
    if (hosts < 2 || hosts > switch_ports || switch_ports > FABRIC_MAX_PORTS)
        return vdc_fail(err, "a rack of %" PRIu32 " hosts on a %" PRIu32 "-port switch cannot carry traffic; use 2 or "
                             "more hosts, no more than the switch's ports (at most %u)",
                        hosts, switch_ports, FABRIC_MAX_PORTS);
    fabric_topology_init(t, hosts + 1);
    name_node(t, hosts, true, "tor", 0, 0);
    for (uint32_t i = 0; i < hosts; i++) {
        name_node(t, i, false, "blade%" PRIu32, i, 0);
        if (!fabric_topology_add_link(t, i, hosts, rate, delay, 0.0, err))
            return false;
    }
    return true;
}

bool fabric_topology_leaf_spine(struct fabric_topology *t, uint32_t leaves, uint32_t spines, uint32_t hosts_per_leaf,
                                uint64_t host_rate, uint64_t fabric_rate, vdc_time delay, struct vdc_error *err)
{
    uint64_t hosts = (uint64_t)leaves * hosts_per_leaf;
    if (leaves < 1 || spines < 1 || hosts_per_leaf < 1 || hosts < 2 || hosts + leaves + spines > FABRIC_MAX_NODES ||
        hosts_per_leaf + spines > FABRIC_MAX_PORTS || leaves > FABRIC_MAX_PORTS)
        return vdc_fail(err, "leaf-spine: %" PRIu32 " leaves x %" PRIu32 " hosts and %" PRIu32
                             " spines is out of range; use at least 2 hosts and at most %u ports per switch",
                        leaves, hosts_per_leaf, spines, FABRIC_MAX_PORTS);
    uint32_t first_leaf = (uint32_t)hosts, first_spine = first_leaf + leaves;
    fabric_topology_init(t, first_spine + spines);
    for (uint32_t s = 0; s < spines; s++)
        name_node(t, first_spine + s, true, "spine%" PRIu32, s, 0);
    for (uint32_t l = 0; l < leaves; l++) {
        name_node(t, first_leaf + l, true, "leaf%" PRIu32, l, 0);
        for (uint32_t h = 0; h < hosts_per_leaf; h++) {
            uint32_t host = l * hosts_per_leaf + h;
            name_node(t, host, false, "host%" PRIu32, host, 0);
            if (!fabric_topology_add_link(t, host, first_leaf + l, host_rate, delay, 0.0, err))
                return false;
        }
        for (uint32_t s = 0; s < spines; s++) {
            if (!fabric_topology_add_link(t, first_leaf + l, first_spine + s, fabric_rate, delay, 0.0, err))
                return false;
        }
    }
    return true;
}

bool fabric_topology_fat_tree(struct fabric_topology *t, uint32_t k, uint64_t host_rate, uint64_t fabric_rate,
                              vdc_time delay, struct vdc_error *err)
{
    if (k < 2 || k > 64 || k % 2 != 0)
        return vdc_fail(err, "fat-tree: k = %" PRIu32 " is not allowed; k must be even, from 2 to 64", k);
    uint32_t half = k / 2, hosts = k * k * k / 4, edges = k * half, cores = half * half;
    uint32_t first_edge = hosts, first_agg = first_edge + edges, first_core = first_agg + edges;
    fabric_topology_init(t, first_core + cores);
    for (uint32_t c = 0; c < cores; c++)
        name_node(t, first_core + c, true, "core%" PRIu32, c, 0);
    for (uint32_t pod = 0; pod < k; pod++) {
        for (uint32_t i = 0; i < half; i++) {
            uint32_t edge = first_edge + pod * half + i, agg = first_agg + pod * half + i;
            name_node(t, edge, true, "pod%" PRIu32 "-edge%" PRIu32, pod, i);
            name_node(t, agg, true, "pod%" PRIu32 "-agg%" PRIu32, pod, i);
        }
        for (uint32_t e = 0; e < half; e++) {
            uint32_t edge = first_edge + pod * half + e;
            for (uint32_t h = 0; h < half; h++) {
                uint32_t host = (pod * half + e) * half + h;
                name_node(t, host, false, "host%" PRIu32, host, 0);
                if (!fabric_topology_add_link(t, host, edge, host_rate, delay, 0.0, err))
                    return false;
            }
            for (uint32_t a = 0; a < half; a++) {
                if (!fabric_topology_add_link(t, edge, first_agg + pod * half + a, fabric_rate, delay, 0.0, err))
                    return false;
            }
        }
        for (uint32_t a = 0; a < half; a++) {
            for (uint32_t c = 0; c < half; c++) {
                if (!fabric_topology_add_link(t, first_agg + pod * half + a, first_core + a * half + c, fabric_rate,
                                              delay, 0.0, err))
                    return false;
            }
        }
    }
    return true;
}
