/* HPCC ns-3's queue-length monitor (QLEN_MON_FILE): per-switch-port histograms of egress bytes, in its format. */
#ifndef VDC_FABRIC_QLEN_MONITOR_H
#define VDC_FABRIC_QLEN_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/time.h"
#include "fabric/fabric.h"

struct fabric;
struct fabric_port;
struct fabric_qlen_monitor;

/* Samples every switch port's egress queue (data priorities) each 100 ns from `start` until a sample at or after
 * `end`, counting how often it held each whole number of KB (1000 bytes); at every multiple of 100 ms it writes
 * "time: T" and one line per switch port "SWITCH PORT COUNT0 COUNT1 ...", the counts so far. */
bool fabric_qlen_monitor_start(struct fabric *f, const char *path, vdc_time start, vdc_time end,
                               struct vdc_error *err);
bool fabric_qlen_monitor_close(struct fabric *f, struct vdc_error *err);

/* A switch port's egress queue changes now; it held `before` bytes since its last change. */
void fabric_qlen_note(struct fabric_qlen_monitor *m, struct fabric_port *port, uint64_t before);

/* Called by the switch wherever a data queue's length changes: only when a sample has passed since the last change
 * is there anything to count. */
static inline void fabric_qlen_changed(struct fabric_port *port, vdc_time now, uint64_t before)
{
    if (now > port->qlen_next_sample)
        fabric_qlen_note(port->node->fabric->qlen_monitor, port, before);
}

#endif
