/* Shortest-path ECMP: one breadth-first search per destination host over up links, transiting switches only. */
#include "routing.h"

#include <stdlib.h>
#include <string.h>

#include "../common/error.h"
#include "fabric.h"

static void add_port(struct fabric_routes *r, uint16_t port)
{
    if (r->port_entries == r->port_cap) {
        r->port_cap = r->port_cap ? r->port_cap * 2 : 1024;
        r->ports = vdc_xrealloc(r->ports, r->port_cap, sizeof *r->ports);
    }
    r->ports[r->port_entries++] = port;
}

struct fabric_routes *fabric_routes_compute(const struct fabric *f)
{
    struct fabric_routes *r = vdc_xcalloc(1, sizeof *r);
    uint32_t n = f->node_count;
    r->node_count = n;
    r->host_slot = vdc_xmalloc(n * sizeof *r->host_slot);
    for (uint32_t i = 0; i < n; i++)
        r->host_slot[i] = f->nodes[i].is_switch ? UINT32_MAX : r->host_count++;
    size_t cells = (size_t)n * r->host_count;
    r->first = vdc_xcalloc(cells ? cells : 1, sizeof *r->first);
    r->count = vdc_xcalloc(cells ? cells : 1, sizeof *r->count);

    uint32_t *dist = vdc_xmalloc(n * sizeof *dist);
    uint32_t *queue = vdc_xmalloc(n * sizeof *queue);
    for (uint32_t dst = 0; dst < n; dst++) {
        if (f->nodes[dst].is_switch)
            continue;
        for (uint32_t i = 0; i < n; i++)
            dist[i] = UINT32_MAX;
        uint32_t head = 0, tail = 0;
        dist[dst] = 0;
        queue[tail++] = dst;
        while (head < tail) {
            uint32_t at = queue[head++];
            /* Paths leave the destination host and then cross switches only. */
            if (at != dst && !f->nodes[at].is_switch)
                continue;
            const struct fabric_node *node = &f->nodes[at];
            for (uint16_t p = 0; p < node->port_count; p++) {
                const struct fabric_port *port = &node->ports[p];
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
            r->first[cell] = r->port_entries;
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
                r->count[cell]++;
            }
        }
    }
    free(dist);
    free(queue);
    return r;
}

void fabric_routes_free(struct fabric_routes *r)
{
    if (!r)
        return;
    free(r->host_slot);
    free(r->first);
    free(r->count);
    free(r->ports);
    free(r);
}
