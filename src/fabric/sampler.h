/* Periodic samples of every port's egress queue depth and link utilization, as CSV. */
#ifndef VDC_FABRIC_SAMPLER_H
#define VDC_FABRIC_SAMPLER_H

#include <stdio.h>

#include "common/error.h"
#include "common/time.h"

struct fabric;

/* Samples every `interval` while any other event is pending, into `path` (rows: time_ns,node,port,peer,
 * queue_bytes,utilization; a port that neither sent nor held anything since the last sample has no row). The file
 * is closed by fabric_sampler_close. */
bool fabric_sampler_start(struct fabric *f, const char *path, vdc_time interval, struct vdc_error *err);
bool fabric_sampler_close(struct fabric *f, struct vdc_error *err);

#endif
