/* Scheduled faults: links down, up or flapping, switch ports failing and coming back, links losing frames, stuck
 * receivers; routing convergence after each change of a link's state. */
#ifndef VDC_FABRIC_FAULTS_H
#define VDC_FABRIC_FAULTS_H

#include <stddef.h>

#include "../common/error.h"
#include "../scenario/fault_list.h"
#include "../common/time.h"

struct fabric;

struct fabric_fault_plan {
    const struct vdc_fault_entry *entries; /* by time, then by number (as vdc_fault_list_parse orders them) */
    size_t count;
    vdc_time reroute_delay;                /* every switch's tables are recomputed this long after a change */
};

/* Resolves the entries' node names against the fabric's topology and schedules them. Messages name the entry
 * ("faults.schedule entry 2 ('...'): no node is named 'spine9'; ..."). */
bool fabric_faults_schedule(struct fabric *f, const struct fabric_fault_plan *plan, struct vdc_error *err);

/* Frees what fabric_faults_schedule kept (fabric_free calls it). */
void fabric_faults_free(struct fabric *f);

#endif
