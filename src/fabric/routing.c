/* Shortest-path ECMP: one breadth-first search per destination host over up links, transiting switches only. */
#include "fabric/routing.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "fabric/fabric.h"

static void add_port(struct fabric_routes *r, uint16_t port)
{
    if (r->port_entries == r->port_cap) {
        r->port_cap = r->port_cap ? r->port_cap * 2 : 1024;
        r->ports = vdc_xrealloc(r->ports, r->port_cap, sizeof *r->ports);
    }
    r->ports[r->port_entries++] = port;
}

/* Each node's ports in the order of their peers' node numbers: HPCC ns-3 walks a node's neighbours in that order
 * (a map keyed by node, allocated in node order), which decides the order of its equal-cost next hops. */
static uint16_t **ports_by_peer(const struct fabric *f)
{
    uint16_t **order = vdc_xcalloc(f->node_count ? f->node_count : 1, sizeof *order);
    for (uint32_t n = 0; n < f->node_count; n++) {
        const struct fabric_node *node = &f->nodes[n];
        order[n] = vdc_xmalloc((node->port_count ? node->port_count : 1) * sizeof **order);
        for (uint16_t i = 0; i < node->port_count; i++) {
            uint16_t j = i;
            for (; j > 0 && node->ports[order[n][j - 1]].peer_node > node->ports[i].peer_node; j--)
                order[n][j] = order[n][j - 1];
            order[n][j] = i;
        }
    }
    return order;
}

/* A cell's next hops in the order the search from the destination visited their nodes. */
static void sort_by_visit(struct fabric_routes *r, size_t cell, const struct fabric_node *node, const uint32_t *visit)
{
    uint16_t *ports = &r->ports[r->cells[cell].first];
    for (uint16_t i = 1; i < r->cells[cell].count; i++) {
        uint16_t port = ports[i], j = i;
        for (; j > 0 && visit[node->ports[ports[j - 1]].peer_node] > visit[node->ports[port].peer_node]; j--)
            ports[j] = ports[j - 1];
        ports[j] = port;
    }
}

static uint64_t cell_hash(const struct fabric_route_cell *cell, const uint16_t *ports)
{
    uint64_t h = vdc_mix64(cell->count);
    for (uint16_t i = 0; i < cell->count; i++)
        h = vdc_mix64(h ^ ports[cell->first + i]);
    return h;
}

/* The open-addressing set of distinct cells (entries: index + 1, 0 free), rebuilt twice as large when half full,
 * so that its size follows the distinct cells (a few hundred), not the nodes x hosts table. */
struct cell_set {
    uint32_t *slots;
    size_t size;
};

static void cell_set_insert(struct cell_set *set, const struct fabric_routes *r, uint32_t index)
{
    size_t at = cell_hash(&r->cells[index], r->ports) & (set->size - 1);
    while (set->slots[at] != 0)
        at = (at + 1) & (set->size - 1);
    set->slots[at] = index + 1;
}

static void cell_set_grow(struct cell_set *set, const struct fabric_routes *r)
{
    free(set->slots);
    set->size = set->size ? set->size * 2 : 1024;
    set->slots = vdc_xcalloc(set->size, sizeof *set->slots);
    for (uint32_t i = 0; i < r->cell_count; i++)
        cell_set_insert(set, r, i);
}

/* Replaces the table of cells, one per (node, host), by its distinct cells and an index per (node, host); the
 * next hops of each distinct cell are copied once into a new list. */
static void share_cells(struct fabric_routes *r, const struct fabric_route_cell *table, size_t cells)
{
    r->cell_of = vdc_xmalloc((cells ? cells : 1) * sizeof *r->cell_of);
    r->cells = NULL;
    r->cell_count = 0;
    uint16_t *old_ports = r->ports;
    r->ports = NULL;
    r->port_entries = r->port_cap = 0;
    uint32_t cell_cap = 0;
    struct cell_set set = {0};
    cell_set_grow(&set, r);
    for (size_t c = 0; c < cells; c++) {
        const struct fabric_route_cell *cell = &table[c];
        size_t at = cell_hash(cell, old_ports) & (set.size - 1);
        for (; set.slots[at] != 0; at = (at + 1) & (set.size - 1)) {
            const struct fabric_route_cell *seen = &r->cells[set.slots[at] - 1];
            if (seen->count == cell->count &&
                (cell->count == 0 ||
                 memcmp(&r->ports[seen->first], &old_ports[cell->first], cell->count * sizeof *r->ports) == 0))
                break;
        }
        uint32_t index = set.slots[at] - 1;
        if (set.slots[at] == 0) {
            index = r->cell_count;
            if (r->cell_count == cell_cap) {
                cell_cap = cell_cap ? cell_cap * 2 : 256;
                r->cells = vdc_xrealloc(r->cells, cell_cap, sizeof *r->cells);
            }
            r->cells[r->cell_count] =
                (struct fabric_route_cell){.first = r->port_entries, .count = cell->count, .port = cell->port};
            for (uint16_t i = 0; i < cell->count; i++)
                add_port(r, old_ports[cell->first + i]);
            set.slots[at] = ++r->cell_count;
            if (2 * (size_t)r->cell_count >= set.size)
                cell_set_grow(&set, r);
        }
        r->cell_of[c] = index;
    }
    free(set.slots);
    free(old_ports);
}

struct fabric_routes *fabric_routes_compute(const struct fabric *f)
{
    /* The hpcc-ns3 model lists next hops as HPCC ns-3 does (in the order its breadth-first search from the
     * destination meets them) so that its ECMP hash picks the same one; the roce model lists them by port. */
    bool ns3_order = f->cfg.model == FABRIC_MODEL_HPCC_NS3;
    uint16_t **by_peer = ns3_order ? ports_by_peer(f) : NULL;
    struct fabric_routes *r = vdc_xcalloc(1, sizeof *r);
    uint32_t n = f->node_count;
    r->node_count = n;
    r->host_slot = vdc_xmalloc(n * sizeof *r->host_slot);
    for (uint32_t i = 0; i < n; i++)
        r->host_slot[i] = f->nodes[i].is_switch ? UINT32_MAX : r->host_count++;
    size_t cells = (size_t)n * r->host_count;
    struct fabric_route_cell *table = vdc_xcalloc(cells ? cells : 1, sizeof *table);
    r->cells = table; /* sort_by_visit reads it as r->cells until share_cells replaces it */

    uint32_t *dist = vdc_xmalloc(n * sizeof *dist);
    uint32_t *queue = vdc_xmalloc(n * sizeof *queue);
    uint32_t *visit = vdc_xmalloc(n * sizeof *visit); /* when the search took each node from its queue */
    for (uint32_t dst = 0; dst < n; dst++) {
        if (f->nodes[dst].is_switch)
            continue;
        for (uint32_t i = 0; i < n; i++)
            dist[i] = UINT32_MAX;
        uint32_t head = 0, tail = 0;
        dist[dst] = 0;
        queue[tail++] = dst;
        while (head < tail) {
            visit[queue[head]] = head;
            uint32_t at = queue[head++];
            /* Paths leave the destination host and then cross switches only. */
            if (at != dst && !f->nodes[at].is_switch)
                continue;
            const struct fabric_node *node = &f->nodes[at];
            for (uint16_t i = 0; i < node->port_count; i++) {
                const struct fabric_port *port = &node->ports[by_peer ? by_peer[at][i] : i];
                if (!port->up || dist[port->peer_node] != UINT32_MAX)
                    continue;
                dist[port->peer_node] = dist[at] + 1;
                queue[tail++] = port->peer_node;
            }
        }
        uint32_t column = r->host_slot[dst];
        for (uint32_t at = 0; at < n; at++) {
            const struct fabric_node *node = &f->nodes[at];
            size_t cell = (size_t)at * r->host_count + column;
            r->cells[cell].first = r->port_entries;
            if (dist[at] == UINT32_MAX || dist[at] == 0)
                continue;
            for (uint16_t p = 0; p < node->port_count; p++) {
                const struct fabric_port *port = &node->ports[p];
                uint32_t peer = port->peer_node;
                if (!port->up || dist[peer] + 1 != dist[at])
                    continue;
                if (peer != dst && !f->nodes[peer].is_switch)
                    continue;
                add_port(r, p);
                r->cells[cell].count++;
            }
            if (ns3_order)
                sort_by_visit(r, cell, node, visit);
            if (r->cells[cell].count > 0)
                r->cells[cell].port = r->ports[r->cells[cell].first];
        }
    }
    if (by_peer) {
        for (uint32_t i = 0; i < n; i++)
            free(by_peer[i]);
    }
    free(by_peer);
    free(visit);
    free(dist);
    free(queue);
    share_cells(r, table, cells);
    free(table);
    return r;
}

void fabric_routes_free(struct fabric_routes *r)
{
    if (!r)
        return;
    free(r->host_slot);
    free(r->cell_of);
    free(r->cells);
    free(r->ports);
    free(r);
}
