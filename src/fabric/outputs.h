/* Fabric outputs in HPCC ns-3's formats (fct.txt, pfc.txt) and vdc's counters and time series. */
#ifndef VDC_FABRIC_OUTPUTS_H
#define VDC_FABRIC_OUTPUTS_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

struct fabric;
struct fabric_node;
struct fabric_port;
struct fabric_flow;

/* A pause (or resume) reached `port` of `node`: one pfc.txt line "time_ns node node_type ifindex 1|0", where
 * node_type is 1 for a switch and ifindex counts ports from 1 as ns-3 does. */
void fabric_log_pfc(struct fabric *f, const struct fabric_node *node, const struct fabric_port *port, bool pause);

/* A flow finished: one fct.txt line "sip dip sport dport size start_ns fct_ns standalone_fct_ns". */
void fabric_log_fct(struct fabric *f, const struct fabric_flow *flow);

/* counters.csv: one row per port with every counter. */
bool fabric_write_counters(const struct fabric *f, const char *path, struct vdc_error *err);

#endif
