/* A SimGrid platform as the SimGrid child described it, and its layout as a graph of hosts, switches and cables. */
#ifndef VDC_FABRIC_SIMGRID_IMPORT_LAYOUT_H
#define VDC_FABRIC_SIMGRID_IMPORT_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

struct simgrid_link {
    char *name;
    double bandwidth;   /* bytes/s */
    double latency;     /* s */
    bool shared;        /* false for FATPIPE */
};

struct simgrid_route {
    uint32_t src, dst;  /* host numbers */
    size_t first;       /* into route_links */
    uint32_t count;
};

struct simgrid_platform {
    uint32_t host_count, host_cap;
    char **host_names;
    uint32_t link_count, link_cap;
    struct simgrid_link *links;
    size_t route_count, route_cap;
    struct simgrid_route *routes;
    uint32_t *route_links;       /* link numbers of all routes, one after the other */
    size_t route_link_count, route_link_cap;
};

/* Parses the text written by fabric_simgrid_child_describe_platform. */
bool fabric_simgrid_platform_parse(const char *text, struct simgrid_platform *p, struct vdc_error *err);
void fabric_simgrid_platform_free(struct simgrid_platform *p);

/* One cable of the layout: a SimGrid link, or the _UP and _DOWN halves of a SPLITDUPLEX link. */
struct simgrid_cable {
    char *name;         /* the SimGrid link's name; a SPLITDUPLEX link's name without _UP/_DOWN */
    uint32_t link;      /* a SimGrid link of the cable, for bandwidth, latency and sharing */
    bool used;          /* by some route; links no route uses have no known ends and are left out */
    uint32_t a, b;      /* node numbers of its ends when used */
};

struct simgrid_layout {
    uint32_t node_count;          /* hosts are nodes 0..host_count-1, in the platform's order; then switches */
    uint32_t cable_count;
    struct simgrid_cable *cables;
    uint32_t *cable_of;           /* by SimGrid link: its cable */
};

/* Finds the nodes where the links of the routes meet: a route host -> l1 -> l2 -> ... -> host says that l1 and l2
 * share an end, and that the two ends of each link are different nodes. Refuses routes that cannot be cables
 * between nodes; messages name links and hosts, without the file. */
bool fabric_simgrid_layout_build(const struct simgrid_platform *p, struct simgrid_layout *out, struct vdc_error *err);
void fabric_simgrid_layout_free(struct simgrid_layout *layout);

struct fabric_topology;

/* vdc forwards on shortest paths (ECMP over hop counts), not along the platform's routes. Refuses a route that
 * visits a node twice (a routing loop) or crosses more links than the shortest path between its hosts, where
 * vdc's traffic would take another path than SimGrid's. `named` holds the nodes' names for messages. */
bool fabric_simgrid_layout_check_routes(const struct simgrid_platform *p, const struct simgrid_layout *layout,
                                 const struct fabric_topology *named, struct vdc_error *err);

#endif
