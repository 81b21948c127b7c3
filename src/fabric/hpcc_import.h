/* Readers for the topology and flow files of HPCC's ns-3 simulator (alibaba-edu/High-Precision-Congestion-Control,
 * folder mix/), so that its experiments run unchanged on vdc's fabric. */
#ifndef VDC_FABRIC_HPCC_IMPORT_H
#define VDC_FABRIC_HPCC_IMPORT_H

#include <stdbool.h>

#include "common/error.h"
#include "fabric/topology.h"

/* Topology file:
 *   line 1     <nodes> <switches> <links>
 *   line 2     the <switches> switch node numbers (they may continue on the following lines)
 *   then       one line per link: <node a> <node b> <rate> <delay> <error rate>
 *              e.g. "0 320 100Gbps 1000ns 0.000000"; rates and delays take ns-3's units (100Gbps, 25Gb/s,
 *              1us, 0.001ms); the error rate is the probability that a packet is lost, 0..1.
 * Nodes are numbered 0..<nodes>-1; those not listed as switches are hosts. Blank lines, trailing white space and
 * CRLF line endings are accepted. Initialises *out; on failure *out holds nothing and `err` says file:line, the
 * field, what is wrong and how to fix it. The whole topology must pass fabric_topology_check. Lines after the
 * declared links are refused, unless `ignored_from` is given: then they are left unread, as HPCC ns-3 leaves
 * them (its own mix/ files carry notes there), and *ignored_from is the first such line's number (0: none). */
bool fabric_hpcc_read_topology(const char *path, struct fabric_topology *out, size_t *ignored_from, struct vdc_error *err);

/* Flow file:
 *   line 1     <count>
 *   then       <count> lines: <src> <dst> <priority group> <dst port> <size in bytes> <start time in seconds>
 *              e.g. "2 1 3 100 200000000 2.000000"
 * Source and destination are different hosts of `topo`, the priority group is 0..7, the port 0..65535, the size
 * at least 1 byte. Start times are converted to ps exactly (at most 12 digits after the decimal point). HPCC asks
 * for flows in ascending start time; vdc does not: flows are kept in file order here and the fabric orders them by
 * start time itself. Lines past <count> are refused (a count that differs from the number of flow lines is
 * usually a mistake), unless `ignored_from` is given, as for the topology. Initialises *out; on failure *out holds
 * nothing. */
bool fabric_hpcc_read_flows(const char *path, const struct fabric_topology *topo, struct fabric_flow_set *out,
                     size_t *ignored_from, struct vdc_error *err);

#endif
