/* Fabric outputs in HPCC ns-3's formats (fct.txt, pfc.txt) and vdc's counters and time series. */
#ifndef VDC_FABRIC_OUTPUTS_H
#define VDC_FABRIC_OUTPUTS_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "common/time.h"
#include "report/latency_histogram.h"

struct fabric;
struct fabric_node;
struct fabric_port;
struct fabric_flow;

/* A pause (or resume) reached `port` of `node`: one pfc.txt line "time_ns node node_type ifindex 1|0", where
 * node_type is 1 for a switch and ifindex counts ports from 1 as ns-3 does. */
void fabric_log_pfc(struct fabric *f, const struct fabric_node *node, const struct fabric_port *port, bool pause);

/* A flow finished: one fct.txt line "sip dip sport dport size start_ns fct_ns standalone_fct_ns". */
void fabric_log_fct(const struct fabric_node *node, const struct fabric_flow *flow);
/* After a parallel run: writes the lines its shards held back, in the order a serial run writes them. */
void fabric_release_held_lines(struct fabric *f);

/* Opens fct.txt and pfc.txt at these paths (NULL: that log is not kept); the messages name the path. */
bool fabric_logs_open(struct fabric *f, const char *fct_path, const char *pfc_path, struct vdc_error *err);
/* Closes them, reporting a write that failed. */
bool fabric_logs_close(struct fabric *f, struct vdc_error *err);

/* The fabric's own books at the end of a run: its shape, the flows' totals and FCTs, the ports' counters. */
struct fabric_totals {
    uint32_t hosts, switches, links;
    uint64_t flows, flows_done, bytes_delivered, retransmitted;
    uint64_t drops, ecn_marks, pauses_sent, resumes_sent;
    uint64_t faults_applied, reroutes;
    vdc_time paused_time;         /* every paused priority of every port, pauses still on counted to now */
    double mean_slowdown;         /* FCT over the standalone FCT, mean over completed flows */
    struct vdc_latency_histogram fct;
};
void fabric_totals(const struct fabric *f, struct fabric_totals *t);

/* counters.csv: one row per port with every counter. */
bool fabric_write_counters(const struct fabric *f, const char *path, struct vdc_error *err);

#endif
