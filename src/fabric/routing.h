/* Forwarding tables: for each switch and destination host, the equal-cost egress ports (shortest paths over up links). */
#ifndef VDC_FABRIC_ROUTING_H
#define VDC_FABRIC_ROUTING_H

#include <stddef.h>
#include <stdint.h>

struct fabric;

struct fabric_routes {
    uint32_t node_count;
    uint32_t *host_slot;      /* node -> column (hosts only), UINT32_MAX for switches */
    uint32_t host_count;
    uint32_t *first;          /* [node * host_count + column] -> index into ports, count in `count` */
    uint16_t *count;
    uint16_t *ports;
    uint32_t port_entries, port_cap;
};

/* Computes shortest-path ECMP tables from the current up/down state of every link. Hosts never forward. */
struct fabric_routes *fabric_routes_compute(const struct fabric *f);
void fabric_routes_free(struct fabric_routes *r);

/* The egress port at `node` toward host `dst` for a flow with this hash, or -1 when no route exists. */
static inline int fabric_route_port(const struct fabric_routes *r, uint32_t node, uint32_t dst, uint64_t hash)
{
    uint32_t column = r->host_slot[dst];
    size_t cell = (size_t)node * r->host_count + column;
    uint16_t n = r->count[cell];
    if (n == 0)
        return -1;
    return r->ports[r->first[cell] + (n == 1 ? 0 : hash % n)];
}

#endif
