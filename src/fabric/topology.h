/* A fabric topology as data: nodes (hosts and switches) and full-duplex links, before any simulation exists. */
#ifndef VDC_FABRIC_TOPOLOGY_H
#define VDC_FABRIC_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/time.h"

/* Limits that keep every derived quantity inside its integer type. */
#define FABRIC_MAX_NODES 65536u
#define FABRIC_MAX_PORTS 1024u            /* per node */
#define FABRIC_MIN_RATE 1000000ULL         /* 1 Mbps */
#define FABRIC_MAX_RATE 1600000000000ULL   /* 1.6 Tbps */
#define FABRIC_MAX_DELAY VDC_SEC           /* per link */

struct fabric_link_spec {
    uint32_t a, b;        /* node numbers; the link is full duplex, the same rate each way */
    uint64_t rate;        /* bit/s */
    vdc_time delay;       /* propagation */
    double error_rate;    /* probability that a frame is corrupted and dropped, 0..1 */
};

struct fabric_topology {
    uint32_t node_count;
    bool *is_switch;      /* by node number; the others are hosts */
    char **names;         /* by node number; NULL entries are named host<N> / switch<N> by fabric_node_name */
    struct fabric_link_spec *links;
    uint32_t link_count, link_cap;
};

/* `node_count` nodes, all hosts until marked as switches, no links. */
void fabric_topology_init(struct fabric_topology *t, uint32_t node_count);
void fabric_topology_free(struct fabric_topology *t);

/* Adds a link after checking node numbers, rate and delay; the message names the link by its ends. */
bool fabric_topology_add_link(struct fabric_topology *t, uint32_t a, uint32_t b, uint64_t rate, vdc_time delay,
                              double error_rate, struct vdc_error *err);

/* Gives a node a name (copied); used in outputs and messages. */
void fabric_topology_name(struct fabric_topology *t, uint32_t node, const char *name);

/* The node's name, or host<N>/switch<N>. */
const char *fabric_node_name(const struct fabric_topology *t, uint32_t node, char *buf, size_t size);

/* Two links that join the same two nodes: the pair whose second link comes first in link order, by index. */
bool fabric_topology_find_duplicate(const struct fabric_topology *t, uint32_t *first, uint32_t *second);

/* Whole-topology rules: at least two hosts, no two links between the same nodes (a link is named by its two
 * nodes), every node on at least one link, a connected graph, port counts per node within FABRIC_MAX_PORTS. */
bool fabric_topology_check(const struct fabric_topology *t, struct vdc_error *err);

uint32_t fabric_topology_host_count(const struct fabric_topology *t);

/* The node named name[0..len), or -1. */
int fabric_topology_find_node(const struct fabric_topology *t, const char *name, size_t len);

/* The link named "A/B" by its two nodes' names (text[0..len)); the message says what is wrong with the name, for
 * the caller to prefix with where it came from. */
bool fabric_topology_find_link(const struct fabric_topology *t, const char *text, size_t len, uint32_t *link,
                               struct vdc_error *err);

/* One flow of a flow file or generator: `size` bytes from host node `src` to host node `dst`. */
struct fabric_flow_spec {
    uint32_t src, dst;    /* node numbers (hosts) */
    uint8_t priority;     /* 802.1Q priority / HPCC priority group, 0..7 */
    uint16_t dst_port;
    uint64_t size;        /* bytes */
    vdc_time start;
};

struct fabric_flow_set {
    struct fabric_flow_spec *items;
    size_t count, cap;
};

void fabric_flow_set_add(struct fabric_flow_set *set, const struct fabric_flow_spec *flow);
void fabric_flow_set_free(struct fabric_flow_set *set);

#endif
