/* The event loop: pop the least key, advance the clock, fold the event into the digest, dispatch. */
#include "scheduler/sim.h"
#include "common/prefetch.h"
#include "scheduler/parallel.h"
#include "scheduler/step_batch.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_SEED 0xcbf29ce484222325ULL

void vdc_sim_init(struct vdc_sim *sim, uint64_t seed)
{
    memset(sim, 0, sizeof *sim);
    sim->seed = seed;
    sim->digest = DIGEST_SEED;
    sim->progress_every = UINT64_C(1) << 20;
    sim->step_threads = 1;
    sim->until = VDC_TIME_MAX;
    vdc_event_queue_init(&sim->queue);
}

void vdc_sim_free(struct vdc_sim *sim)
{
    for (uint32_t i = 0; i < sim->entity_count; i++) {
        struct vdc_entity *e = sim->entities[sim->created_ids[i]];
        free(e->name);
        free(e);
    }
    free(sim->created_ids);
    vdc_step_batch_free(sim->steps);
    free(sim->entities);
    vdc_event_queue_free(&sim->queue);
    memset(sim, 0, sizeof *sim);
}

struct vdc_entity *vdc_entity_create(struct vdc_sim *sim, uint32_t id, const char *name, vdc_event_handler handler,
                                     void *model, struct vdc_error *err)
{
    if (id >= VDC_ENTITY_ID_LIMIT) {
        vdc_fail(err, "entity '%s' has id %u, above the limit of %u entities; use a smaller topology", name, id,
                 VDC_ENTITY_ID_LIMIT - 1);
        return NULL;
    }
    if (id >= sim->entity_slots) {
        uint32_t slots = sim->entity_slots ? sim->entity_slots : 64;
        while (slots <= id)
            slots *= 2;
        /* A fresh zeroed table, not realloc and memset: ids are sparse (guests from 0x10000, fabric nodes from
         * 0x100000), and the pages of a large table that no id lands on then never get storage. */
        struct vdc_entity **grown = vdc_xcalloc(slots, sizeof *grown);
        if (sim->entity_slots > 0)
            memcpy(grown, sim->entities, sim->entity_slots * sizeof *grown);
        free(sim->entities);
        sim->entities = grown;
        sim->entity_slots = slots;
    }
    if (sim->entities[id] != NULL) {
        vdc_fail(err, "entity '%s' reuses id %u of entity '%s'; each entity needs its own id", name, id,
                 sim->entities[id]->name);
        return NULL;
    }
    struct vdc_entity *e = vdc_xcalloc_lines(1, sizeof *e);
    e->sim = sim;
    e->id = id;
    e->name = vdc_xstrdup(name);
    e->handler = handler;
    e->model = model;
    vdc_rng_seed(&e->rng, sim->seed, id);
    sim->entities[id] = e;
    if ((sim->entity_count & (sim->entity_count - 1)) == 0) /* 0, 1, 2, 4, ...: room for twice as many */
        sim->created_ids = vdc_xrealloc(sim->created_ids, sim->entity_count ? 2 * sim->entity_count : 1,
                                        sizeof *sim->created_ids);
    sim->created_ids[sim->entity_count++] = id;
    return e;
}

struct vdc_entity *vdc_entity_find(const struct vdc_sim *sim, uint32_t id)
{
    return id < sim->entity_slots ? sim->entities[id] : NULL;
}

struct vdc_event vdc_event_make(struct vdc_entity *source, vdc_time at, enum vdc_priority priority_class,
                                uint32_t target, uint32_t kind, uint64_t arg)
{
    /* Scheduling to nobody is a model bug, never an input error: stop loudly. */
    assert((unsigned)priority_class < VDC_PRIO_CLASSES);
    assert(vdc_entity_find(source->sim, target) != NULL);
    return (struct vdc_event){
        .time = at,
        .order = vdc_order_pack(priority_class, source->id, source->next_seq++),
        .target = target,
        .kind = kind,
        .arg = arg,
    };
}

void vdc_schedule_at(struct vdc_entity *source, vdc_time at, enum vdc_priority priority_class, uint32_t target,
                     uint32_t kind, uint64_t arg)
{
    struct vdc_sim *sim = source->sim;
    assert(at >= sim->now); /* into the past: a model bug */
    struct vdc_event ev = vdc_event_make(source, at, priority_class, target, kind, arg);
    if (vdc_step_hold_event(&ev)) /* from a step's advance: enters the queue when the batch's advances are done */
        return;
    if (__builtin_expect(sim->partition != NULL, 0))
        vdc_partition_schedule(sim->partition, &ev);
    else
        vdc_event_queue_push(&sim->queue, &ev);
}

void vdc_sim_stop(struct vdc_sim *sim)
{
    sim->stop_requested = true;
}

/* Runs one event popped in key order: the clock, the digest, a look ahead for the next one, the handler. */
static inline __attribute__((always_inline)) void handle_event(struct vdc_sim *sim, const struct vdc_event *ev)
{
    assert(ev->time >= sim->now); /* virtual time never runs backwards: the queue pops in key order */
    sim->now = ev->time;
    sim->current_order = ev->order;
    /* Observers (samplers, reports) only read the model: asking for outputs must not change the digest. Steps and
     * wake-ups change it, but how many there are is a setting (a GPU's window), so only their effects are folded. */
    unsigned order_class = vdc_order_class(ev->order);
    if (order_class != VDC_PRIO_OBSERVE && order_class != VDC_PRIO_STEP && order_class != VDC_PRIO_WAKE) {
        if (__builtin_expect(sim->partition != NULL, 0)) {
            vdc_partition_note_event(sim->partition, ev);
        } else {
            vdc_digest_mix(&sim->digest, ev->time);
            vdc_digest_mix(&sim->digest, ev->order);
            vdc_digest_mix(&sim->digest, ((uint64_t)ev->target << 32) | ev->kind);
        }
    }
    sim->events_processed++;
    /* What the next event's handler reads first (a frame arriving at a node, the port it arrives on) is
     * usually cold by then: fetching it during this handler hides that miss. Without a model's own prefetch the
     * argument is fetched, which is harmless for arguments that are not addresses. */
    const struct vdc_event *next = vdc_event_queue_peek_cached(&sim->queue);
    if (next != NULL) {
        const struct vdc_entity *next_target = sim->entities[next->target];
        if (next_target->prefetch != NULL)
            next_target->prefetch(next_target, next);
        else
            VDC_PREFETCH((const void *)(uintptr_t)next->arg, 0, 3);
    }
    struct vdc_entity *target = sim->entities[ev->target];
    target->handler(target, ev);
}

/* An event whose target advances on its own (sim.h, vdc_event_advance): a step event, or a guest's run where the
 * guests may run on several threads. */
static bool advances_alone(const struct vdc_sim *sim, const struct vdc_event *ev)
{
    unsigned order_class = vdc_order_class(ev->order);
    if ((order_class != VDC_PRIO_STEP && (order_class != VDC_PRIO_GUEST || sim->step_threads < 2)) ||
        sim->partition != NULL)
        return false;
    const struct vdc_entity *target = sim->entities[ev->target];
    return target->advance != NULL && ev->kind == target->advance_kind;
}

/* `first` and every event due at its time and of its class that advances alone, up to the first that does not (one
 * per entity): the advances, then, in key order, what each held back and its handler.
 *
 * A step batch is the model's own unit: a stop asked by one of the handlers takes effect after the batch. A batch of
 * guests' runs is the serial run's order exactly: each guest's instructions up to its exit read and write only its
 * own vCPU and RAM, and nothing that another run's handler starts at that time reaches them (a frame takes its
 * serialization and its link's delay; every device writes only its own guest's RAM), so they may run first, side by
 * side. What a handler schedules ahead of the next run (a device's work at that time) is handled before that run's
 * handler, and a stop leaves the runs after it unhandled and pending, as on one thread. */
static void run_steps(struct vdc_sim *sim, const struct vdc_event *first)
{
    if (sim->steps == NULL)
        sim->steps = vdc_step_batch_create(sim->step_threads);
    struct vdc_step_batch *b = sim->steps;
    vdc_step_batch_clear(b);
    vdc_step_batch_add(b, sim->entities[first->target], first);
    bool guests = vdc_order_class(first->order) == VDC_PRIO_GUEST;
    for (const struct vdc_event *next;
         (next = vdc_event_queue_peek(&sim->queue)) != NULL && next->time == first->time &&
         vdc_order_class(next->order) == vdc_order_class(first->order) && advances_alone(sim, next);) {
        if (!vdc_step_batch_add(b, sim->entities[next->target], next))
            break; /* its entity's second event: the next batch */
        struct vdc_event taken;
        vdc_event_queue_pop(&sim->queue, &taken);
    }
    sim->now = first->time;
    sim->current_order = first->order;
    vdc_step_batch_advance(b);
    for (uint32_t i = 0; i < vdc_step_batch_count(b); i++) {
        struct vdc_step_item *it = vdc_step_batch_item(b, i);
        if (guests && i > 0) {
            struct vdc_event ev;
            while (!sim->stop_requested &&
                   vdc_event_queue_pop_before(&sim->queue, it->ev.time, it->ev.order, &ev) == VDC_POP_OK) {
                assert(vdc_order_class(ev.order) != VDC_PRIO_STEP); /* a step sorts after every run of its time */
                handle_event(sim, &ev);
            }
            if (sim->stop_requested) {
                for (uint32_t k = i; k < vdc_step_batch_count(b); k++)
                    vdc_event_queue_push(&sim->queue, &vdc_step_batch_item(b, k)->ev);
                return;
            }
        }
        for (uint32_t e = 0; e < it->scheduled_count; e++)
            vdc_event_queue_push(&sim->queue, &it->scheduled[e]);
        vdc_step_item_flush_text(it);
        vdc_step_item_run_calls(it);
        handle_event(sim, &it->ev);
    }
}

enum vdc_run_end vdc_sim_run(struct vdc_sim *sim, vdc_time until)
{
    sim->stop_requested = false;
    sim->until = until;
    uint64_t next_progress = sim->events_processed + sim->progress_every;
    struct vdc_event ev;
    for (;;) {
        enum vdc_pop_result popped = vdc_event_queue_pop_until(&sim->queue, until, &ev);
        if (popped == VDC_POP_EMPTY)
            return VDC_RUN_IDLE;
        if (popped == VDC_POP_LATER) {
            sim->now = until;
            return VDC_RUN_TIME_REACHED;
        }
        if (advances_alone(sim, &ev))
            run_steps(sim, &ev);
        else
            handle_event(sim, &ev);
        if (sim->progress != NULL && sim->events_processed >= next_progress) {
            next_progress = sim->events_processed + sim->progress_every;
            sim->progress(sim, sim->progress_context);
        }
        if (sim->stop_requested)
            return VDC_RUN_STOPPED;
    }
}

void vdc_sim_run_before(struct vdc_sim *sim, vdc_time time, uint64_t order)
{
    struct vdc_event ev;
    while (vdc_event_queue_pop_before(&sim->queue, time, order, &ev) == VDC_POP_OK) {
        handle_event(sim, &ev);
        assert(!sim->stop_requested); /* a run that a model may stop is never split into partitions */
    }
}
