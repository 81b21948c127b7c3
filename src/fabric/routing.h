/* Forwarding tables: for each switch and destination host, the equal-cost egress ports (shortest paths over up links). */
#ifndef VDC_FABRIC_ROUTING_H
#define VDC_FABRIC_ROUTING_H

#include <stddef.h>
#include <stdint.h>

struct fabric;

/* One switch's next hops toward one host: `count` ports from `ports[first]`; the first of them inline, since
 * most cells have one (every hop down a tree), so that a lookup usually touches one cache line. */
struct fabric_route_cell {
    uint32_t first;
    uint16_t count;
    uint16_t port;
};

/* Cells with the same next hops share one: in a tree, every destination outside a switch's subtree has the same
 * up links, so a few hundred distinct cells stand for a table of nodes x hosts, and a lookup reads a 4-byte index
 * and a cell that stay in the host's caches instead of a large table's line. */
struct fabric_routes {
    uint32_t node_count;
    uint32_t *host_slot;      /* node -> column (hosts only), UINT32_MAX for switches */
    uint32_t host_count;
    uint32_t *cell_of;        /* [node * host_count + column]: index into cells */
    struct fabric_route_cell *cells; /* distinct */
    uint32_t cell_count;
    uint16_t *ports;
    uint32_t port_entries, port_cap;
};

/* Computes shortest-path ECMP tables from the current up/down state of every link. Hosts never forward. */
struct fabric_routes *fabric_routes_compute(const struct fabric *f);
void fabric_routes_free(struct fabric_routes *r);

/* The next hops at `node` toward host `dst`. */
static inline const struct fabric_route_cell *fabric_route_cell(const struct fabric_routes *r, uint32_t node,
                                                                uint32_t dst)
{
    return &r->cells[r->cell_of[(size_t)node * r->host_count + r->host_slot[dst]]];
}

/* The egress port of `cell` for a flow with this hash, or -1 when no route exists. A caller whose hash is costly
 * computes it only when cell->count > 1: otherwise the hash is not read. */
static inline int fabric_route_pick(const struct fabric_routes *r, const struct fabric_route_cell *cell, uint64_t hash)
{
    if (cell->count <= 1)
        return cell->count ? cell->port : -1;
    return r->ports[cell->first + hash % cell->count];
}

/* The egress port at `node` toward host `dst` for a flow with this hash, or -1 when no route exists. */
static inline int fabric_route_port(const struct fabric_routes *r, uint32_t node, uint32_t dst, uint64_t hash)
{
    return fabric_route_pick(r, fabric_route_cell(r, node, dst), hash);
}

#endif
