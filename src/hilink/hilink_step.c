/* HiLink's switch planes run ahead of the loop, a step of one link latency at a time, from a queue of the fabric's
 * own: a step is an advance (sim.h), so the planes' events run beside the GPUs' windows of that time, on another
 * thread, instead of between them on the loop's.
 *
 * Why this is the same model: nothing a plane does reaches a GPU's side sooner than one link latency (a packet
 * lands a link latency after it leaves its output, a credit is back at its sender a link latency after its buffer
 * frees), and nothing from a GPU's side reaches a plane sooner than a link latency and the switch latency (a packet
 * is queued at an output that long after it left its GPU). So a step at T runs the planes' events before T + link
 * latency: every one of them was queued before T, and what they do for the GPUs' side (packets handed over, credits
 * on their way back to their senders) is for T + link latency or later. The step leaves those actions in a list
 * (`after`), done in their order by the step's handler on the loop's thread once the step's batch is over; the
 * GPUs' windows of that time, running at once, never see the planes' state, nor the planes the senders'. A step
 * never runs across a scheduled port fault (its events see the port's state as it is then, and so do its actions,
 * done before the fault) nor past the run's limit. */
#include <assert.h>
#include <stdlib.h>

#include "hilink/hilink_internal.h"

void hilink_steps_init(struct hilink *h)
{
    vdc_event_queue_init(&h->plane_queue);
    h->step_width = h->p.link_latency;
    h->step_at = VDC_TIME_MAX;
}

void hilink_steps_free(struct hilink *h)
{
    vdc_event_queue_free(&h->plane_queue);
    free(h->after);
    free(h->faults);
}

void hilink_note_fault(struct hilink *h, vdc_time at)
{
    assert(at >= h->planes_done); /* the planes have not run past it */
    if (h->fault_count == h->fault_capacity) {
        h->fault_capacity = h->fault_capacity ? 2 * h->fault_capacity : 4;
        h->faults = vdc_xrealloc(h->faults, h->fault_capacity, sizeof *h->faults);
    }
    uint32_t i = h->fault_count++;
    for (; i > 0 && h->faults[i - 1] > at; i--)
        h->faults[i] = h->faults[i - 1];
    h->faults[i] = at;
}

/* A step event for the plane events from `at` on, unless one as early is pending. Steps lie on a grid of the step's
 * width (the GPUs' windows' grid, when their window is the link latency: then a step joins their batches), never
 * before what has run. */
static void ask_step(struct hilink *h, vdc_time at)
{
    vdc_time grid = at / h->step_width * h->step_width;
    vdc_time step = grid > h->planes_done ? grid : h->planes_done;
    if (step < h->sim->now)
        step = h->sim->now;
    if (h->step_at <= step)
        return;
    h->step_at = step;
    h->step_generation++;
    vdc_schedule_at(h->stepper, step, VDC_PRIO_STEP, h->stepper->id, HILINK_EV_STEP, h->step_generation);
}

void hilink_plane_schedule(struct hilink *h, struct vdc_entity *source, vdc_time at, enum vdc_priority priority_class,
                           uint32_t plane, uint32_t kind, uint64_t arg)
{
    struct vdc_event ev = vdc_event_make(source, at, priority_class, h->planes[plane]->id, kind, arg);
    if (h->in_step) {
        assert(at >= h->plane_now);
        vdc_event_queue_push(&h->plane_queue, &ev);
        return;
    }
    /* From a GPU's side: the lookahead (the header's comment) puts it after every plane event that has run. */
    assert(at >= h->planes_done && at >= h->sim->now);
    vdc_event_queue_push(&h->plane_queue, &ev);
    ask_step(h, at);
}

void hilink_after(struct hilink *h, enum hilink_after_kind kind, uint32_t index, vdc_time at)
{
    assert(h->in_step); /* only the planes' events leave actions, and they run in steps */
    if (h->after_count == h->after_capacity) {
        h->after_capacity = h->after_capacity ? 2 * h->after_capacity : 1024;
        h->after = vdc_xrealloc(h->after, h->after_capacity, sizeof *h->after);
    }
    h->after[h->after_count++] = (struct hilink_after){.at = at, .kind = kind, .index = index};
}

/* Where a step that starts at `start` ends: a link latency on, or sooner at a scheduled fault or the run's limit. */
static vdc_time step_end(const struct hilink *h, vdc_time start)
{
    vdc_time end = vdc_time_add(start, h->step_width);
    for (uint32_t i = 0; i < h->fault_count; i++)
        if (h->faults[i] > start) {
            end = h->faults[i] < end ? h->faults[i] : end;
            break;
        }
    vdc_time until = h->sim->until;
    if (until != VDC_TIME_MAX && until + 1 < end)
        end = until + 1;
    return end;
}

/* Runs the plane events before `end` in key order, each as the loop would (its key in the digest, the next one's
 * data asked for ahead). */
static void run_planes(struct hilink *h, vdc_time end)
{
    h->in_step = true;
    struct vdc_event ev;
    while (vdc_event_queue_pop_until(&h->plane_queue, end - 1, &ev) == VDC_POP_OK) {
        h->plane_now = ev.time;
        vdc_digest_mix(&h->step_digest, ev.time);
        vdc_digest_mix(&h->step_digest, ev.order);
        vdc_digest_mix(&h->step_digest, ((uint64_t)ev.target << 32) | ev.kind);
        h->step_events++;
        const struct vdc_event *next = vdc_event_queue_peek_cached(&h->plane_queue);
        if (next != NULL)
            hilink_plane_prefetch(h->planes[next->target - h->planes[0]->id], next);
        hilink_plane_event(h->planes[ev.target - h->planes[0]->id], &ev);
    }
    h->planes_done = end;
    h->in_step = false;
}

void hilink_step_advance(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct hilink *h = self->model;
    if (ev->arg != h->step_generation)
        return; /* an earlier step was asked for after this one, and has run */
    run_planes(h, step_end(h, ev->time));
    h->stepped = true;
}

/* How many of the step's actions ahead a delivery's slot is asked for. */
#define AFTER_PREFETCH 8

void hilink_step_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct hilink *h = self->model;
    if (ev->kind != HILINK_EV_STEP || ev->arg != h->step_generation)
        return;
    if (!h->stepped) /* not advanced in a batch (a partitioned run) */
        hilink_step_advance(self, ev);
    h->stepped = false;
    h->step_at = VDC_TIME_MAX;
    if (h->step_events > 0) {
        vdc_digest_fold(h->sim, h->step_digest);
        h->sim->events_processed += h->step_events;
        h->step_digest = 0;
        h->step_events = 0;
    }
    for (uint32_t i = 0; i < h->after_count; i++) {
        /* A delivery's first read is its slot's header (which may straddle two host lines), written a step ago on
         * whichever thread ran the planes. */
        if (i + AFTER_PREFETCH < h->after_count && h->after[i + AFTER_PREFETCH].kind == HILINK_AFTER_DELIVER) {
            const struct hilink_packet *ahead = &h->slots[h->after[i + AFTER_PREFETCH].index].pkt;
            __builtin_prefetch(ahead, 0, 3);
            __builtin_prefetch(&ahead->data, 0, 3);
        }
        const struct hilink_after *a = &h->after[i];
        if (a->kind == HILINK_AFTER_DELIVER)
            hilink_deliver(h, a->index, a->at);
        else
            hilink_credit_leaves_switch(h, a->index, a->at);
    }
    h->after_count = 0;
    const struct vdc_event *next = vdc_event_queue_peek(&h->plane_queue);
    if (next != NULL)
        ask_step(h, next->time);
}
