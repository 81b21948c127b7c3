/* HiLink's switch planes run ahead of the loop, a step of one link latency at a time, from queues of the fabric's
 * own: a step is an advance (sim.h), so the planes' events run beside the GPUs' windows of that time, on another
 * thread, instead of between them on the loop's. The planes' state is split by the GPU it leads to (an output
 * feeds one GPU, a packet's place in its pair's order is kept at its destination), so each GPU's group steps on
 * its own, as an advance of its own: a step's work is spread over the threads as finely as the GPUs' windows.
 *
 * Why this is the same model: nothing a plane does reaches a GPU's side sooner than one link latency (a packet
 * lands a link latency after it leaves its output, a credit is back at its sender a link latency after its buffer
 * frees), and nothing from a GPU's side reaches a plane sooner than a link latency and the switch latency (a packet
 * is queued at an output that long after it left its GPU). So a step at T runs the planes' events before T + link
 * latency: every one of them was queued before T, and what they do for the GPUs' side (packets handed over, credits
 * on their way back to their senders) is for T + link latency or later. The step leaves those actions in a list
 * (`after`), done in their order by the step's handler on the loop's thread once the step's batch is over; the
 * GPUs' windows of that time, running at once, never see the planes' state, nor the planes the senders'. Groups
 * share nothing a step writes: an event's group is the GPU whose outputs it concerns, and the events a group's step
 * schedules are numbered by the group's own stepper, so their keys do not depend on the other groups. A step
 * never runs across a scheduled port fault (its events see the port's state as it is then, and so do its actions,
 * done before the fault) nor past the run's limit. */
#include <assert.h>
#include <stdlib.h>

#include "common/prefetch.h"
#include "hilink/hilink_internal.h"

void hilink_steps_init(struct hilink *h)
{
    h->groups = vdc_xcalloc_lines(h->p.gpus, sizeof *h->groups);
    for (uint32_t gpu = 0; gpu < h->p.gpus; gpu++) {
        struct hilink_group *g = &h->groups[gpu];
        g->h = h;
        g->gpu = gpu;
        vdc_event_queue_init(&g->queue);
        g->step_at = VDC_TIME_MAX;
        g->actions = (struct hilink_actions){.notes = vdc_xcalloc(h->p.gpus, sizeof *g->actions.notes), .alone = true};
        g->handed = (struct hilink_actions){.notes = vdc_xcalloc(h->p.gpus, sizeof *g->handed.notes), .alone = true};
    }
    h->step_width = h->p.link_latency;
    h->hand_over_checked = VDC_TIME_MAX;
}

static void actions_free(struct hilink_actions *a, uint32_t gpus)
{
    free(a->after);
    for (uint32_t s = 0; a->notes != NULL && s < gpus; s++)
        free(a->notes[s].items);
    free(a->notes);
}

void hilink_steps_free(struct hilink *h)
{
    for (uint32_t gpu = 0; h->groups != NULL && gpu < h->p.gpus; gpu++) {
        vdc_event_queue_free(&h->groups[gpu].queue);
        actions_free(&h->groups[gpu].actions, h->p.gpus);
        actions_free(&h->groups[gpu].handed, h->p.gpus);
    }
    free(h->groups);
    free(h->faults);
}

void hilink_note_fault(struct hilink *h, vdc_time at)
{
    for (uint32_t gpu = 0; gpu < h->p.gpus; gpu++)
        assert(at >= h->groups[gpu].planes_done); /* the planes have not run past it */
    if (h->fault_count == h->fault_capacity) {
        h->fault_capacity = h->fault_capacity ? 2 * h->fault_capacity : 4;
        h->faults = vdc_xrealloc(h->faults, h->fault_capacity, sizeof *h->faults);
    }
    uint32_t i = h->fault_count++;
    for (; i > 0 && h->faults[i - 1] > at; i--)
        h->faults[i] = h->faults[i - 1];
    h->faults[i] = at;
}

/* A step event for the group's plane events from `at` on, unless one as early is pending. Steps lie on a grid of
 * the step's width (the GPUs' windows' grid, when their window is the link latency: then a step joins their
 * batches), never before what has run. */
static void ask_step(struct hilink_group *g, vdc_time at)
{
    const struct hilink *h = g->h;
    vdc_time grid = at / h->step_width * h->step_width;
    vdc_time step = grid > g->planes_done ? grid : g->planes_done;
    if (step < h->sim->now)
        step = h->sim->now;
    if (g->step_at <= step)
        return;
    g->step_at = step;
    g->step_generation++;
    /* Asked for by the GPU's wake-ups' source, not the stepper: how many steps are asked for depends on when the
     * planes' queues get their packets (the GPUs' windows), and the stepper numbers the plane events its steps make. */
    vdc_schedule_at(h->ports[g->gpu].wake_source, step, VDC_PRIO_STEP, g->stepper->id, HILINK_EV_STEP,
                    g->step_generation);
}

void hilink_plane_push(struct hilink *h, uint32_t gpu, const struct vdc_event *ev)
{
    struct hilink_group *g = &h->groups[gpu];
    assert(!g->in_step);
    /* From a GPU's side: the lookahead (the header's comment) puts it after every plane event that has run. */
    assert(ev->time >= g->planes_done && ev->time >= h->sim->now);
    vdc_event_queue_push(&g->queue, ev);
    ask_step(g, ev->time);
}

void hilink_plane_schedule(struct hilink *h, struct vdc_entity *source, vdc_time at, enum vdc_priority priority_class,
                           uint32_t plane, uint32_t gpu, uint32_t kind, uint64_t arg)
{
    struct vdc_event ev = vdc_event_make(source, at, priority_class, h->planes[plane]->id, kind, arg);
    hilink_plane_push(h, gpu, &ev);
}

void hilink_group_schedule(struct hilink_group *g, vdc_time at, enum vdc_priority priority_class, uint32_t plane,
                           uint32_t kind, uint64_t arg)
{
    assert(g->in_step && at >= g->plane_now);
    struct vdc_event ev = vdc_event_make(g->stepper, at, priority_class, g->h->planes[plane]->id, kind, arg);
    vdc_event_queue_push(&g->queue, &ev);
}

/* The next of a sender's notes, to be written in place. The sender's window reads them on any thread: the line the
 * notes after it go to is asked for now, to own, so that those stores do not wait for the reader's copy to go. */
static struct hilink_note *next_note(struct hilink_notes *n)
{
    if (n->count == n->capacity) {
        n->capacity = n->capacity ? 2 * n->capacity : 64;
        n->items = vdc_xrealloc(n->items, n->capacity, sizeof *n->items);
    }
    if (n->count + 4 < n->capacity)
        VDC_PREFETCH_OWN(&n->items[n->count + 4]);
    return &n->items[n->count++];
}

void hilink_after(struct hilink_group *g, enum hilink_after_kind kind, uint32_t index, vdc_time at)
{
    assert(g->in_step); /* only the planes' events leave actions, and they run in steps */
    const struct hilink *h = g->h;
    struct hilink_actions *a = &g->actions;
    if (a->after_count == a->after_capacity) {
        a->after_capacity = a->after_capacity ? 2 * a->after_capacity : 256;
        a->after = vdc_xrealloc(a->after, a->after_capacity, sizeof *a->after);
    }
    uint32_t sender;
    uint64_t value;
    uint8_t packet_kind = 0;
    if (kind == HILINK_AFTER_DELIVER) {
        const struct hilink_packet *pkt = &hilink_slot_at(h, index)->pkt; /* the step has just read it */
        const struct hilink_gpu_state *receiver = &h->ports[g->gpu];
        sender = pkt->src;
        value = pkt->tag;
        packet_kind = pkt->kind;
        a->alone = a->alone && receiver->attached && receiver->ops.delivers_alone != NULL &&
                   receiver->ops.delivers_alone(pkt);
    } else {
        sender = index / h->p.links_per_gpu;
        value = index;
    }
    /* Field by field, in place: a record built on the stack and copied whole was read back before its stores had
     * left, and waited behind the misses of the stores before them. */
    struct hilink_after *after = &a->after[a->after_count++];
    after->at = at;
    after->kind = kind;
    after->index = index;
    after->src = sender;
    if (a->after_count + 4 < a->after_capacity)
        VDC_PREFETCH_OWN(&a->after[a->after_count + 4]);
    struct hilink_note *n = next_note(&a->notes[sender]);
    n->at = at;
    n->value = value;
    n->kind = (uint8_t)kind;
    n->packet_kind = packet_kind;
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

/* How many events ahead a step asks for an event's data. */
#define PLANE_AHEAD 8

/* Runs the group's plane events before `end` in key order, each as the loop would (its key in the digest, the next
 * one's data asked for ahead). */
static void run_planes(struct hilink_group *g, vdc_time end)
{
    struct hilink *h = g->h;
    g->in_step = true;
    struct vdc_event ev;
    while (vdc_event_queue_pop_until(&g->queue, end - 1, &ev) == VDC_POP_OK) {
        g->plane_now = ev.time;
        vdc_digest_mix(&g->step_digest, ev.time);
        vdc_digest_mix(&g->step_digest, ev.order);
        vdc_digest_mix(&g->step_digest, ((uint64_t)ev.target << 32) | ev.kind);
        g->step_events++;
        /* A step runs its events one after another, too soon for the next one's slot to come from memory if asked
         * for now: the one PLANE_AHEAD on is asked for, the next one only where nothing is that far on. */
        const struct vdc_event *next = vdc_event_queue_peek_ahead(&g->queue, PLANE_AHEAD);
        if (next == NULL)
            next = vdc_event_queue_peek_cached(&g->queue);
        if (next != NULL)
            hilink_plane_prefetch(h, next);
        hilink_plane_event(g, &ev);
    }
    g->planes_done = end;
    g->in_step = false;
}

void hilink_step_advance(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct hilink_group *g = self->model;
    if (ev->arg != g->step_generation)
        return; /* an earlier step was asked for after this one, and has run */
    run_planes(g, step_end(g->h, ev->time));
    g->stepped = true;
}

/* How many of the step's actions ahead a delivery's slot is asked for. */
#define AFTER_PREFETCH 8

/* A delivery's first read is its slot's header (which may straddle two host lines), written a step ago on whichever
 * thread ran the planes: action `i`'s, if it is a delivery, is asked for. */
static void prefetch_delivery(const struct hilink *h, const struct hilink_actions *a, uint32_t i)
{
    if (i >= a->after_count || a->after[i].kind != HILINK_AFTER_DELIVER)
        return;
    const struct hilink_packet *ahead = &hilink_slot_at(h, a->after[i].index)->pkt;
    VDC_PREFETCH(ahead, 0, 3);
    VDC_PREFETCH(&ahead->data, 0, 3);
}

/* Whether the actions of the steps at `t` are handed over to the GPUs' windows that start where the steps end: each
 * GPU's next window then does, first, its own share of every group's actions, in the order the handlers would have
 * done them (the senders' notes of the groups before its own, its own group's deliveries, the notes of the groups
 * after it), since each action touches one GPU's side alone and no two GPUs' sides meet. So the same model, with the
 * work on the windows' threads instead of the loop's. Only when every GPU is sure to take its share at that time
 * and nothing can come between: every port attached, its side one that takes its share (delivers_alone), up, in
 * windows, its last window ending where the steps end (the next starts there, before any event at or after that
 * time touches its side), no scheduled fault, the run going on past that time, every step of `t` run in this batch,
 * and every delivery one that touches its receiver's side alone. Decided once per time, for all the groups: a group
 * handing over while another did its actions at once would change the order in which a sender sees them. */
static bool hand_over(struct hilink *h, vdc_time t)
{
    if (h->hand_over_checked == t)
        return h->hand_over;
    h->hand_over_checked = t;
    h->hand_over = false;
    vdc_time end = vdc_time_add(t, h->step_width);
    if (h->fault_count > 0 || step_end(h, t) != end || (h->sim->until != VDC_TIME_MAX && end > h->sim->until))
        return false;
    for (uint32_t gpu = 0; gpu < h->p.gpus; gpu++) {
        const struct hilink_gpu_state *port = &h->ports[gpu];
        const struct hilink_group *g = &h->groups[gpu];
        if (!port->attached || port->ops.delivers_alone == NULL || !port->up || !port->windowed ||
            port->polled_until != end || port->corrupt_next)
            return false;
        if (g->step_at == t && !g->stepped)
            return false; /* its step comes in a later batch */
        if (g->actions.after_count > 0 && (!g->stepped || !g->actions.alone))
            return false;
        assert(g->handed.after_count == 0); /* the last handed actions were taken by the windows since */
    }
    h->hand_over = true;
    return true;
}

void hilink_take_handed(struct hilink *h, uint32_t gpu)
{
    for (uint32_t from = 0; from < h->p.gpus; from++) {
        struct hilink_actions *a = &h->groups[from].handed;
        if (from == gpu) {
            for (uint32_t i = 0; i < a->after_count; i++) {
                prefetch_delivery(h, a, i + AFTER_PREFETCH);
                if (a->after[i].kind == HILINK_AFTER_DELIVER)
                    hilink_deliver_in_window(h, a->after[i].index, a->after[i].at);
            }
            a->after_count = 0;
        }
        struct hilink_notes *n = &a->notes[gpu];
        assert(from != gpu || n->count == 0); /* nothing a GPU's own group does is for its side as a sender */
        for (uint32_t i = 0; i < n->count; i++)
            hilink_sender_note(h, gpu, &n->items[i]);
        n->count = 0;
    }
}

void hilink_step_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct hilink_group *g = self->model;
    struct hilink *h = g->h;
    if (ev->kind != HILINK_EV_STEP || ev->arg != g->step_generation)
        return;
    bool in_batch = g->stepped;
    if (!in_batch) /* not advanced in a batch (a partitioned run) */
        hilink_step_advance(self, ev);
    g->stepped = in_batch; /* until its actions are done: hand_over asks */
    g->step_at = VDC_TIME_MAX;
    if (g->step_events > 0) {
        vdc_digest_fold(h->sim, g->step_digest);
        h->sim->events_processed += g->step_events;
        g->step_digest = 0;
        g->step_events = 0;
    }
    struct hilink_actions *acts = &g->actions;
    if (acts->after_count > 0 && hand_over(h, ev->time)) {
        /* The deliveries' keys go into the digest here, in the order hilink_deliver would have folded them. */
        for (uint32_t i = 0; i < acts->after_count; i++)
            if (acts->after[i].kind == HILINK_AFTER_DELIVER) {
                vdc_digest_fold(h->sim, (uint64_t)acts->after[i].src << 16 | g->gpu);
                vdc_digest_fold(h->sim, acts->after[i].at);
            }
        struct hilink_actions taken = g->handed; /* emptied by the windows (hand_over asserts it) */
        g->handed = *acts;
        *acts = taken;
    } else {
        for (uint32_t i = 0; i < acts->after_count; i++) {
            prefetch_delivery(h, acts, i + AFTER_PREFETCH);
            const struct hilink_after *a = &acts->after[i];
            if (a->kind == HILINK_AFTER_DELIVER)
                hilink_deliver(h, a->index, a->at);
            else
                hilink_credit_leaves_switch(h, a->index, a->at);
        }
        for (uint32_t s = 0; s < h->p.gpus; s++)
            acts->notes[s].count = 0;
    }
    acts->after_count = 0;
    acts->alone = true;
    g->stepped = false;
    const struct vdc_event *next = vdc_event_queue_peek(&g->queue);
    if (next != NULL)
        ask_step(g, next->time);
}
