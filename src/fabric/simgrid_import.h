/* SimGrid platforms as fabric topologies, read through libsimgrid, and SimGrid's max-min rates as a reference for
 * validating the fabric's sharing. SimGrid runs in a forked child process each time: its engine is global state
 * that cannot be restarted, it aborts on bad platforms and does not free everything. */
#ifndef VDC_FABRIC_SIMGRID_IMPORT_H
#define VDC_FABRIC_SIMGRID_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "fabric/topology.h"

/* Reads the platform's hosts, links and host-to-host routes and lays them out as a graph. SimGrid links have no
 * ends, only routes that cross them: the links of a route host -> l1 -> l2 -> ... -> host meet pairwise at nodes.
 * Hosts become hosts, numbered 0..H-1 in the order of their names (strcmp) and keeping those names; every other
 * meeting point becomes a switch, named after the links it joins ("l1+l2+l3") or sw<N> when that name would be
 * long or taken. Each link becomes a full-duplex fabric link: bandwidth (bytes/s in SimGrid) times 8 as its rate
 * in bit/s, latency (s) in ps rounded to the nearest. The _UP and _DOWN halves of a SPLITDUPLEX link are one
 * fabric link. A SHARED link, whose two directions share one capacity in SimGrid, becomes a full-duplex link of
 * that rate each way. Links that no route crosses (the loopback, unused ones) are left out.
 * Refused, with a message: FATPIPE links on a route, routes that cannot be cables between nodes (a link whose two
 * ends would be one node, a link met at more than two points such as a <cluster> backbone, a route through a
 * host), routes that visit a node twice or are longer than a shortest path between their hosts (vdc forwards on
 * shortest paths, so it would not follow them), two links between the same two nodes, platforms of more than
 * 1024 hosts, and what SimGrid itself refuses, reported as
 * "PATH: SimGrid refused the platform: FIRST LINE SimGrid printed".
 * Initialises *out; on failure *out holds nothing. */
bool fabric_simgrid_read_platform(const char *path, struct fabric_topology *out, struct vdc_error *err);

/* The reference rates for validation: SimGrid's CM02 model (plain max-min sharing, no TCP window bound, no
 * cross traffic) with one long-lived transfer per pair, all starting at time 0. pairs[i] = {src, dst} are host
 * node numbers as fabric_simgrid_read_platform numbers them. Fills rates_bps[i] with pair i's steady-state rate in
 * bit/s. CM02 weighs each transfer by its route's latency (TCP's bias towards short round trips); the reference
 * is plain max-min, so latencies are set to 0 for this run. */
bool fabric_simgrid_maxmin_rates(const char *platform_path, const uint32_t (*pairs)[2], size_t pair_count,
                          double *rates_bps, struct vdc_error *err);

#endif
