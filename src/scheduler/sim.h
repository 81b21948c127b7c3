/* The simulation: entities with stable ids, the global event loop, its clock and its digest. */
#ifndef VDC_SCHEDULER_SIM_H
#define VDC_SCHEDULER_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "scheduler/event_queue.h"
#include "scheduler/rng.h"

struct vdc_sim;
struct vdc_entity;
struct vdc_partition;
struct vdc_step_batch;

typedef void (*vdc_event_handler)(struct vdc_entity *self, const struct vdc_event *ev);
/* Fetches into the host's caches what the handler will read for `ev`, the event that runs next. Only a hint: it
 * reads what it needs and changes nothing. */
typedef void (*vdc_event_prefetch)(const struct vdc_entity *self, const struct vdc_event *ev);
/* The part of handling a step event (class VDC_PRIO_STEP, of the entity's `advance_kind`) that reads and writes only
 * the entity's own model. The loop takes every such event due at one time together: their advances first (one after
 * another, or several at once on the threads of step_batch.h: the same result), then their handlers in key order.
 * A guest's run (class VDC_PRIO_GUEST) may have one too, for its instructions up to its exit: with several threads,
 * runs of consecutive keys at one time are taken so, in the serial order exactly (sim.c, run_steps).
 * An advance may schedule events (they enter the queue when the advances are done; their keys do not depend on
 * when) and write a device log (held, and written before its handler runs), but must not fold into the digest nor
 * read what another entity may change at that time: the model's lookahead makes sure nothing another handler does
 * at that time reaches it. */
typedef void (*vdc_event_advance)(struct vdc_entity *self, const struct vdc_event *ev);

/* Anything that schedules or receives events: a vCPU, a NIC, a switch port, a flow generator.
 * Its id comes from the topology (never from creation order) and seeds its private random stream. */
struct vdc_entity {
    /* What running an event and scheduling one read share the first cache line (entities start on one): the loop
     * reads the next event's target while the current event runs, and that target is often cold. */
    vdc_event_handler handler;
    vdc_event_prefetch prefetch; /* optional; without it the event's argument is fetched, in case it is an address */
    void *model; /* the model's own state for this entity */
    uint64_t next_seq;
    struct vdc_sim *sim;
    uint32_t id;
    char *name;
    struct vdc_rng rng;
    vdc_event_advance advance; /* optional (see vdc_event_advance), for events of kind `advance_kind` */
    uint32_t advance_kind;
};

enum vdc_run_end {
    VDC_RUN_IDLE,         /* no event left */
    VDC_RUN_TIME_REACHED, /* the next event is later than the limit; the clock is at the limit */
    VDC_RUN_STOPPED,      /* a handler called vdc_sim_stop */
};

/* Called every `progress_every` events with the sim; it may read the host clock for display,
 * and must not change the model. */
typedef void (*vdc_progress_fn)(const struct vdc_sim *sim, void *context);

struct vdc_sim {
    vdc_time now;
    uint64_t seed;
    uint64_t digest;
    uint64_t events_processed;
    struct vdc_event_queue queue;
    struct vdc_entity **entities; /* indexed by id; NULL where no entity has that id */
    uint32_t entity_slots;
    uint32_t entity_count;
    uint32_t *created_ids; /* the ids in use, in creation order: freeing visits these, not the sparse table */
    bool stop_requested;
    vdc_progress_fn progress;
    void *progress_context;
    uint64_t progress_every;
    /* In a parallel run (parallel.h), each partition's own sim: its clock, its queue, and where events for other
     * partitions and its digest entries go. NULL in a serial run. */
    struct vdc_partition *partition;
    uint64_t current_order;       /* the order key of the event being handled (a parallel run's outputs merge by it) */
    struct vdc_step_batch *steps; /* step advances due at one time (step_batch.h); NULL until the first */
    unsigned step_threads;        /* threads the advances may use (1: the loop's own) */
    vdc_time until;               /* the limit of the current vdc_sim_run: a model running ahead stops there */
};

void vdc_sim_init(struct vdc_sim *sim, uint64_t seed);
void vdc_sim_free(struct vdc_sim *sim);

/* Registers an entity under a topology-derived id (< 2^24) and a name; refuses duplicates. */
struct vdc_entity *vdc_entity_create(struct vdc_sim *sim, uint32_t id, const char *name, vdc_event_handler handler,
                                     void *model, struct vdc_error *err);
struct vdc_entity *vdc_entity_find(const struct vdc_sim *sim, uint32_t id);

/* Schedules an event for `target` at absolute time `at` (>= now), ordered after the source's earlier
 * events with the same time and class. */
void vdc_schedule_at(struct vdc_entity *source, vdc_time at, enum vdc_priority priority_class, uint32_t target,
                     uint32_t kind, uint64_t arg);
/* The event vdc_schedule_at would queue, its key numbered from the source's sequence, for a model that runs some
 * of its events from a queue of its own (hilink_step.c). */
struct vdc_event vdc_event_make(struct vdc_entity *source, vdc_time at, enum vdc_priority priority_class,
                                uint32_t target, uint32_t kind, uint64_t arg);

static inline void vdc_schedule_in(struct vdc_entity *source, vdc_time delay, enum vdc_priority priority_class,
                                   uint32_t target, uint32_t kind, uint64_t arg)
{
    vdc_schedule_at(source, vdc_time_add(source->sim->now, delay), priority_class, target, kind, arg);
}

/* Processes events in key order until none is left, the next one is later than `until`, or a
 * handler asks to stop. Use VDC_TIME_MAX to run until idle. Can be called again to continue. */
enum vdc_run_end vdc_sim_run(struct vdc_sim *sim, vdc_time until);

void vdc_sim_stop(struct vdc_sim *sim);

/* Processes events while the least one's key is below (time, order), with no progress report and no stop: a
 * parallel run's window (parallel.c). */
void vdc_sim_run_before(struct vdc_sim *sim, vdc_time time, uint64_t order);

static inline void vdc_digest_mix(uint64_t *digest, uint64_t value)
{
    uint64_t h = (*digest ^ value) * 0x9e3779b97f4a7c15ULL;
    *digest = h ^ (h >> 29);
}

/* A parallel run's partition notes a value for its run to fold in key order (parallel.c). */
void vdc_partition_note_fold(struct vdc_partition *partition, uint64_t value);

/* Folds a model value (a delivered byte count, a decision) into the digest. */
static inline void vdc_digest_fold(struct vdc_sim *sim, uint64_t value)
{
    if (sim->partition != NULL) {
        vdc_partition_note_fold(sim->partition, value);
        return;
    }
    vdc_digest_mix(&sim->digest, value);
}

#endif
