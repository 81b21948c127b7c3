/* A parallel run: the entities split into partitions, each run by its own thread in windows of the lookahead. */
#ifndef VDC_SCHEDULER_PARALLEL_H
#define VDC_SCHEDULER_PARALLEL_H

#include <stdint.h>

#include "scheduler/sim.h"

#define VDC_PARTITIONS_MAX 8
/* An entity no partition owns (an observer that reads every partition's state): its events run on the first thread
 * while the partitions wait, and it may schedule events only for such entities. */
#define VDC_PARTITION_GLOBAL 0xFFu

/* How a sim's entities are split. Every event from one partition to another must be scheduled at least `lookahead`
 * after the time it is scheduled at (a frame crossing a link: the link's delay): so within a window of that length
 * no partition can affect another, and the partitions run the window at once. */
struct vdc_partition_plan {
    unsigned count;           /* 2 to VDC_PARTITIONS_MAX */
    const uint8_t *part_of;   /* per entity id (sim->entity_slots of them): its partition or VDC_PARTITION_GLOBAL */
    vdc_time lookahead;       /* > 0 */
};

/* vdc_sim_run with the plan's partitions on as many threads. Events are handled in each partition in key order, and
 * the digest takes every event and model value in the global key order, so the run ends in the state, the digest
 * and the counts of a serial run. Models must keep to the plan: an entity's handler touches only its partition's
 * state (or state no other partition writes), reads the clock from its own entity's sim, and never stops the run. */
enum vdc_run_end vdc_sim_run_parallel(struct vdc_sim *sim, vdc_time until, const struct vdc_partition_plan *plan);

/* The hooks sim.c calls in a partition's sim. */
void vdc_partition_schedule(struct vdc_partition *partition, const struct vdc_event *ev);
void vdc_partition_note_event(struct vdc_partition *partition, const struct vdc_event *ev);

#endif
