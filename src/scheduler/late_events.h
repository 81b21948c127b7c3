/* The event queue's late set: events scheduled into the span already being consumed, as a radix heap on time. */
#ifndef VDC_SCHEDULER_LATE_EVENTS_H
#define VDC_SCHEDULER_LATE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "scheduler/event.h"

/* A radix heap: bucket 0 holds the events at `last`, the time of the last event taken, kept as a binary heap on
 * their order; bucket b (1 to 64) the events whose time first differs from `last` at bit b - 1. An event is appended
 * to its bucket (no comparisons beyond the bucket's least), and when bucket 0 runs dry the lowest bucket is split on
 * its least time, each of its events moving to a lower bucket: so an event is moved a few times, always
 * sequentially, instead of sifted through a binary heap of everything pending, whose every level is a branch the
 * host's predictor misses half the time. */
struct vdc_late_events {
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
