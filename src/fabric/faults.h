/* Scheduled faults: a link going down, up or flapping, with routing convergence after each change; a stuck
 * receiver that keeps its link paused. */
#ifndef VDC_FABRIC_FAULTS_H
#define VDC_FABRIC_FAULTS_H

#include "../common/error.h"
#include "../scheduler/time.h"

struct fabric;

struct fabric_fault_plan {
    const char *link;          /* "A/B" by node names; NULL or "" for none */
    vdc_time down_at, up_at, flap_period, reroute_delay;
    const char *stuck_host;    /* node name; NULL or "" for none */
    vdc_time stuck_at;
};

/* Resolves names and schedules the fault events; errors name the unknown node or missing link. */
bool fabric_faults_schedule(struct fabric *f, const struct fabric_fault_plan *plan, struct vdc_error *err);

#endif
