/* SimGrid routes against vdc's forwarding: no route may loop, and none may be longer than a shortest path, since
 * vdc's switches forward on shortest paths and would not carry the traffic where SimGrid's route says. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/simgrid_import_layout.h"
#include "fabric/topology.h"

#define NONE UINT32_MAX

/* The laid-out graph as adjacency lists: the neighbours of node n are peer[first[n] .. first[n + 1]). */
struct graph {
    uint32_t node_count, host_count;
    uint32_t *first, *peer;
};

static void graph_build(struct graph *g, const struct simgrid_layout *l, uint32_t host_count)
{
    g->node_count = l->node_count;
    g->host_count = host_count;
    g->first = vdc_xcalloc((size_t)l->node_count + 1, sizeof *g->first);
    size_t ends = 0;
    for (uint32_t c = 0; c < l->cable_count; c++) {
        if (!l->cables[c].used)
            continue;
        g->first[l->cables[c].a + 1]++;
        g->first[l->cables[c].b + 1]++;
        ends += 2;
    }
    for (uint32_t n = 0; n < l->node_count; n++)
        g->first[n + 1] += g->first[n];
    g->peer = vdc_xcalloc(ends ? ends : 1, sizeof *g->peer);
    uint32_t *fill = vdc_xcalloc((size_t)l->node_count + 1, sizeof *fill);
    memcpy(fill, g->first, ((size_t)l->node_count + 1) * sizeof *fill);
    for (uint32_t c = 0; c < l->cable_count; c++) {
        const struct simgrid_cable *cable = &l->cables[c];
        if (!cable->used)
            continue;
        g->peer[fill[cable->a]++] = cable->b;
        g->peer[fill[cable->b]++] = cable->a;
    }
    free(fill);
}

/* Hop counts from `src` to every node, crossing switches only, as vdc's routing does (routing.c). */
static void hops_from(const struct graph *g, uint32_t src, uint32_t *dist, uint32_t *queue)
{
    for (uint32_t n = 0; n < g->node_count; n++)
        dist[n] = NONE;
    uint32_t head = 0, tail = 0;
    dist[src] = 0;
    queue[tail++] = src;
    while (head < tail) {
        uint32_t at = queue[head++];
        if (at != src && at < g->host_count)
            continue;
        for (uint32_t k = g->first[at]; k < g->first[at + 1]; k++) {
            uint32_t next = g->peer[k];
            if (dist[next] == NONE) {
                dist[next] = dist[at] + 1;
                queue[tail++] = next;
            }
        }
    }
}

bool fabric_simgrid_layout_check_routes(const struct simgrid_platform *p, const struct simgrid_layout *l,
                                 const struct fabric_topology *named, struct vdc_error *err)
{
    struct graph g;
    graph_build(&g, l, p->host_count);
    uint32_t *dist = vdc_xcalloc(l->node_count ? l->node_count : 1, sizeof *dist);
    uint32_t *queue = vdc_xcalloc(l->node_count ? l->node_count : 1, sizeof *queue);
    uint32_t *seen_by = vdc_xcalloc(l->node_count ? l->node_count : 1, sizeof *seen_by); /* route number + 1 */
    uint32_t bfs_source = NONE;
    bool ok = true;
    char name[32];
    for (size_t r = 0; r < p->route_count && ok; r++) {
        const struct simgrid_route *route = &p->routes[r];
        const uint32_t *links = p->route_links + route->first;
        uint32_t at = route->src;
        seen_by[at] = (uint32_t)r + 1;
        for (uint32_t i = 0; i < route->count && ok; i++) {
            const struct simgrid_cable *cable = &l->cables[l->cable_of[links[i]]];
            at = cable->a == at ? cable->b : cable->a; /* the layout put consecutive links end to end */
            if (seen_by[at] == (uint32_t)r + 1)
                ok = vdc_fail(err, "the route from host %s to host %s visits node %s twice, a routing loop; give a "
                                   "route that crosses each router once",
                              p->host_names[route->src], p->host_names[route->dst],
                              fabric_node_name(named, at, name, sizeof name));
            seen_by[at] = (uint32_t)r + 1;
        }
        if (!ok)
            break;
        if (bfs_source != route->src) {
            hops_from(&g, route->src, dist, queue);
            bfs_source = route->src;
        }
        if (route->count > dist[route->dst])
            ok = vdc_fail(err, "the route from host %s to host %s crosses %" PRIu32 " links but a path of %" PRIu32
                               " exists; vdc forwards on shortest paths, so its traffic would not follow the route: "
                               "shorten the route or remove the shorter path",
                          p->host_names[route->src], p->host_names[route->dst], route->count, dist[route->dst]);
    }
    free(dist), free(queue), free(seen_by), free(g.first), free(g.peer);
    return ok;
}
