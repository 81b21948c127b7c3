/* The event queue's late set: events scheduled into the span already being consumed, a sorted array while few, else
 * a radix heap on time. */
#ifndef VDC_SCHEDULER_LATE_EVENTS_H
#define VDC_SCHEDULER_LATE_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scheduler/event.h"

/* Events per set below which they are kept in one sorted array (`near`): a network's late events are a few dozen
 * at a time (rack8-perftest: 46 on average), scheduled mostly near the latest already pending, so an insert is a
 * binary search and a short move, and taking the least is a step of an index. Past it, the radix heap. */
#define VDC_LATE_NEAR_EVENTS 128

/* Two forms, one at a time. While few, the events sit in `near` from `near_head` to `near_tail`, in key order.
 * Once more arrive, they move into a radix heap, until a quarter of that many is left: bucket 0 holds the events
 * at `last`, the time of the last event taken, kept as a binary heap on their order; bucket b (1 to 64) the events
 * whose time first differs from `last` at bit b - 1. An event is appended to its bucket (no comparisons beyond the
 * bucket's least), and when bucket 0 runs dry the lowest bucket is split on its least time, each of its events
 * moving to a lower bucket: so an event is moved a few times, always sequentially, instead of sifted through a
 * binary heap of everything pending, whose every level is a branch the host's predictor misses half the time. */
struct vdc_late_events {
    struct vdc_event near[2 * VDC_LATE_NEAR_EVENTS]; /* room on both sides of the events, for inserts */
    uint32_t near_head, near_tail;
    bool in_radix;        /* the events are in the radix heap (none in `near`) */
    struct vdc_event *items[65];
    uint32_t len[65], cap[65];
    uint32_t least[65];   /* buckets 1-64: the index of the bucket's least event */
    uint64_t nonempty;    /* bit b - 1 for bucket b (1-64) */
    vdc_time last;
    size_t size;
};

void vdc_late_events_free(struct vdc_late_events *l);
void vdc_late_events_push(struct vdc_late_events *l, const struct vdc_event *ev);
/* The least event (by time, then order); NULL when empty. */
static inline const struct vdc_event *vdc_late_events_least(const struct vdc_late_events *l)
{
    if (!l->in_radix)
        return l->near_head < l->near_tail ? &l->near[l->near_head] : NULL;
    if (l->len[0] > 0)
        return &l->items[0][0];
    if (l->nonempty == 0)
        return NULL;
    unsigned b = (unsigned)__builtin_ctzll(l->nonempty) + 1;
    return &l->items[b][l->least[b]];
}
/* Removes the least event into *out; the set must not be empty. */
void vdc_late_events_pop(struct vdc_late_events *l, struct vdc_event *out);
/* Hands every event to `take`, in no particular order, and leaves the set empty (its memory kept). */
void vdc_late_events_drain(struct vdc_late_events *l, void (*take)(void *context, const struct vdc_event *ev),
                           void *context);

#endif
