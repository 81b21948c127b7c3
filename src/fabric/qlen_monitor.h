/* HPCC ns-3's queue-length monitor (QLEN_MON_FILE): per-switch-port histograms of egress bytes, in its format. */
#ifndef VDC_FABRIC_QLEN_MONITOR_H
#define VDC_FABRIC_QLEN_MONITOR_H

#include <stdbool.h>

#include "common/error.h"
#include "common/time.h"

struct fabric;

/* Samples every switch port's egress queue (data priorities) each 100 ns from `start` until a sample at or after
 * `end`, counting how often it held each whole number of KB (1000 bytes); at every multiple of 100 ms it writes
 * "time: T" and one line per switch port "SWITCH PORT COUNT0 COUNT1 ...", the counts so far. */
bool fabric_qlen_monitor_start(struct fabric *f, const char *path, vdc_time start, vdc_time end,
                               struct vdc_error *err);
bool fabric_qlen_monitor_close(struct fabric *f, struct vdc_error *err);

#endif
