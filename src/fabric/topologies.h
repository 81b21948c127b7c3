/* Built-in topologies: the Open Rack v3 rack (hosts on one TOR), leaf-spine and k-ary fat-tree. Hosts come first. */
#ifndef VDC_FABRIC_TOPOLOGIES_H
#define VDC_FABRIC_TOPOLOGIES_H

#include "fabric/topology.h"

/* `hosts` hosts (nodes 0..hosts-1, named blade<i>) on one switch named tor with `switch_ports` ports. */
bool fabric_topology_rack(struct fabric_topology *t, uint32_t hosts, uint32_t switch_ports, uint64_t rate,
                          vdc_time delay, struct vdc_error *err);

/* `leaves` leaf switches with `hosts_per_leaf` hosts each, every leaf cabled to every one of `spines` spines. */
bool fabric_topology_leaf_spine(struct fabric_topology *t, uint32_t leaves, uint32_t spines, uint32_t hosts_per_leaf,
                                uint64_t host_rate, uint64_t fabric_rate, vdc_time delay, struct vdc_error *err);

/* The k-ary fat-tree of Al-Fares et al.: k pods of k/2 edge and k/2 aggregation switches, (k/2)^2 cores, k^3/4
 * hosts; k even, 2..64. */
bool fabric_topology_fat_tree(struct fabric_topology *t, uint32_t k, uint64_t host_rate, uint64_t fabric_rate,
                              vdc_time delay, struct vdc_error *err);

#endif
