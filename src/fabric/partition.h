/* Splitting a fabric-only run into partitions for a parallel run (scheduler/parallel.h). */
#ifndef VDC_FABRIC_PARTITION_H
#define VDC_FABRIC_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "fabric/fabric.h"
#include "scheduler/parallel.h"

/* Plans `count` partitions of the fabric's nodes: hosts in equal runs of their numbers, each switch with most of its
 * neighbours (the less loaded partition on a tie); the lookahead is the shortest frame arrival over a link between
 * partitions. False, with the reason in *why_not, when the run cannot be split: other entities than the fabric's
 * nodes and its queue-length monitor (guests, devices, faults, samplers), a pcap capture, or a zero-delay link between
 * partitions. On success plan->part_of is allocated (free it) and the nodes' shards are set. */
bool fabric_plan_partitions(struct fabric *f, unsigned count, struct vdc_partition_plan *plan, const char **why_not);

/* Runs the fabric with `threads` threads when it can be split, else on one. *threads_used says which. */
enum vdc_run_end fabric_run(struct fabric *f, vdc_time until, unsigned threads, unsigned *threads_used,
                            const char **why_not);

#endif
