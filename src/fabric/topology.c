/* Topology as data: adding links with range checks, names, and the whole-graph checks (connected, hosts cabled). */
#include "fabric/topology.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fabric_topology_init(struct fabric_topology *t, uint32_t node_count)
{
    memset(t, 0, sizeof *t);
    t->node_count = node_count;
    t->is_switch = vdc_xcalloc(node_count ? node_count : 1, sizeof *t->is_switch);
    t->names = vdc_xcalloc(node_count ? node_count : 1, sizeof *t->names);
}

void fabric_topology_free(struct fabric_topology *t)
{
    for (uint32_t i = 0; i < t->node_count; i++)
        free(t->names[i]);
    free(t->names);
    free(t->is_switch);
    free(t->links);
    memset(t, 0, sizeof *t);
}

const char *fabric_node_name(const struct fabric_topology *t, uint32_t node, char *buf, size_t size)
{
    if (node < t->node_count && t->names[node])
        return t->names[node];
    snprintf(buf, size, "%s%" PRIu32, node < t->node_count && t->is_switch[node] ? "switch" : "host", node);
    return buf;
}

void fabric_topology_name(struct fabric_topology *t, uint32_t node, const char *name)
{
    free(t->names[node]);
    t->names[node] = vdc_xstrdup(name);
}

bool fabric_topology_add_link(struct fabric_topology *t, uint32_t a, uint32_t b, uint64_t rate, vdc_time delay,
                              double error_rate, struct vdc_error *err)
{
    if (a >= t->node_count || b >= t->node_count)
        return vdc_fail(err, "link %" PRIu32 "-%" PRIu32 ": node %" PRIu32 " does not exist (nodes are 0..%" PRIu32 ")",
                        a, b, a >= t->node_count ? a : b, t->node_count - 1);
    if (a == b)
        return vdc_fail(err, "link %" PRIu32 "-%" PRIu32 ": a link must join two different nodes", a, b);
    if (rate < FABRIC_MIN_RATE || rate > FABRIC_MAX_RATE)
        return vdc_fail(err, "link %" PRIu32 "-%" PRIu32 ": rate %" PRIu64 " bit/s is out of range (1Mbps to 1.6Tbps)",
                        a, b, rate);
    if (delay > FABRIC_MAX_DELAY)
        return vdc_fail(err, "link %" PRIu32 "-%" PRIu32 ": delay is over 1s; give a propagation delay such as 1us", a,
                        b);
    if (!(error_rate >= 0.0 && error_rate <= 1.0))
        return vdc_fail(err, "link %" PRIu32 "-%" PRIu32 ": error rate must be a probability between 0 and 1", a, b);
    if (t->link_count == t->link_cap) {
        t->link_cap = t->link_cap ? t->link_cap * 2 : 16;
        t->links = vdc_xrealloc(t->links, t->link_cap, sizeof *t->links);
    }
    t->links[t->link_count++] = (struct fabric_link_spec){a, b, rate, delay, error_rate};
    return true;
}

uint32_t fabric_topology_host_count(const struct fabric_topology *t)
{
    uint32_t hosts = 0;
    for (uint32_t i = 0; i < t->node_count; i++)
        hosts += !t->is_switch[i];
    return hosts;
}

int fabric_topology_find_node(const struct fabric_topology *t, const char *name, size_t len)
{
    char buf[32];
    for (uint32_t n = 0; n < t->node_count; n++) {
        const char *have = fabric_node_name(t, n, buf, sizeof buf);
        if (strlen(have) == len && strncmp(have, name, len) == 0)
            return (int)n;
    }
    return -1;
}

bool fabric_topology_find_link(const struct fabric_topology *t, const char *text, size_t len, uint32_t *link,
                               struct vdc_error *err)
{
    const char *slash = memchr(text, '/', len);
    if (!slash)
        return vdc_fail(err, "no '/' between two node names; name a link as NODE/NODE (e.g. blade0/tor)");
    int a = fabric_topology_find_node(t, text, (size_t)(slash - text));
    int b = fabric_topology_find_node(t, slash + 1, len - (size_t)(slash + 1 - text));
    if (a < 0 || b < 0)
        return vdc_fail(err, "no node is named '%.*s'; use the node names of counters.csv",
                        a < 0 ? (int)(slash - text) : (int)(len - (size_t)(slash + 1 - text)),
                        a < 0 ? text : slash + 1);
    for (uint32_t i = 0; i < t->link_count; i++) {
        const struct fabric_link_spec *l = &t->links[i];
        if ((l->a == (uint32_t)a && l->b == (uint32_t)b) || (l->a == (uint32_t)b && l->b == (uint32_t)a)) {
            *link = i;
            return true;
        }
    }
    return vdc_fail(err, "%.*s and %.*s are not cabled to each other; name a link as counters.csv does (node, "
                         "peer)",
                    (int)(slash - text), text, (int)(len - (size_t)(slash + 1 - text)), slash + 1);
}

static uint32_t find_root(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

struct keyed_link {
    uint64_t nodes; /* lower node << 32 | higher node */
    uint32_t index;
};

/* By the pair of nodes, then by index, so the order is total and the same on every machine. */
static int compare_links(const void *x, const void *y)
{
    const struct keyed_link *a = x, *b = y;
    if (a->nodes != b->nodes)
        return a->nodes < b->nodes ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

bool fabric_topology_find_duplicate(const struct fabric_topology *t, uint32_t *first, uint32_t *second)
{
    if (t->link_count < 2)
        return false;
    struct keyed_link *order = vdc_xmalloc(t->link_count * sizeof *order);
    for (uint32_t i = 0; i < t->link_count; i++) {
        const struct fabric_link_spec *l = &t->links[i];
        uint32_t lo = l->a < l->b ? l->a : l->b, hi = l->a < l->b ? l->b : l->a;
        order[i] = (struct keyed_link){(uint64_t)lo << 32 | hi, i};
    }
    qsort(order, t->link_count, sizeof *order, compare_links);
    bool found = false;
    for (uint32_t i = 1; i < t->link_count; i++) {
        /* The first two links of each run of equal pairs; the run whose second link is earliest wins. */
        bool starts_run = i < 2 || order[i - 2].nodes != order[i].nodes;
        if (order[i].nodes == order[i - 1].nodes && starts_run && (!found || order[i].index < *second)) {
            *first = order[i - 1].index;
            *second = order[i].index;
            found = true;
        }
    }
    free(order);
    return found;
}

bool fabric_topology_check(const struct fabric_topology *t, struct vdc_error *err)
{
    char name[32], other[32];
    if (fabric_topology_host_count(t) < 2)
        return vdc_fail(err, "the topology has fewer than two hosts; traffic needs at least two");
    uint32_t first, second;
    if (fabric_topology_find_duplicate(t, &first, &second))
        return vdc_fail(err, "nodes %s and %s are cabled twice (links %" PRIu32 " and %" PRIu32 ", counted from 1); "
                             "join two nodes with one link, of the combined rate if both were meant",
                        fabric_node_name(t, t->links[first].a, name, sizeof name),
                        fabric_node_name(t, t->links[first].b, other, sizeof other), first + 1, second + 1);
    uint32_t *ports = vdc_xcalloc(t->node_count, sizeof *ports);
    uint32_t *parent = vdc_xmalloc(t->node_count * sizeof *parent);
    for (uint32_t i = 0; i < t->node_count; i++)
        parent[i] = i;
    for (uint32_t i = 0; i < t->link_count; i++) {
        ports[t->links[i].a]++;
        ports[t->links[i].b]++;
        parent[find_root(parent, t->links[i].a)] = find_root(parent, t->links[i].b);
    }
    bool ok = true;
    uint32_t root = find_root(parent, 0);
    for (uint32_t i = 0; i < t->node_count && ok; i++) {
        if (ports[i] > FABRIC_MAX_PORTS)
            ok = vdc_fail(err, "node %s has %" PRIu32 " links; at most %u ports per node are supported",
                          fabric_node_name(t, i, name, sizeof name), ports[i], FABRIC_MAX_PORTS);
        else if (ports[i] == 0)
            ok = vdc_fail(err, "node %s has no link; cable it or remove it", fabric_node_name(t, i, name, sizeof name));
        else if (find_root(parent, i) != root)
            ok = vdc_fail(err, "the topology is disconnected: node %s cannot reach node %s; add links between "
                               "the parts or remove one",
                          fabric_node_name(t, i, name, sizeof name), fabric_node_name(t, 0, other, sizeof other));
    }
    free(ports);
    free(parent);
    return ok;
}

void fabric_flow_set_add(struct fabric_flow_set *set, const struct fabric_flow_spec *flow)
{
    if (set->count == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 64;
        set->items = vdc_xrealloc(set->items, set->cap, sizeof *set->items);
    }
    set->items[set->count++] = *flow;
}

void fabric_flow_set_free(struct fabric_flow_set *set)
{
    free(set->items);
    memset(set, 0, sizeof *set);
}
