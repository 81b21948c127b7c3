/* The event queue's late set (late_events.h): appends to time buckets, split lazily from the lowest. */
#include "scheduler/late_events.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static void reserve(struct vdc_late_events *l, unsigned b)
{
    if (l->len[b] < l->cap[b])
        return;
    uint32_t cap = l->cap[b] ? l->cap[b] * 2 : 16;
    if (cap <= l->cap[b])
        vdc_die("more than %u late events in one bucket; reduce the scenario's size", l->cap[b]);
    l->items[b] = vdc_xrealloc(l->items[b], cap, sizeof *l->items[b]);
    l->cap[b] = cap;
}

static inline unsigned bucket_of(vdc_time time, vdc_time last)
{
    return time == last ? 0 : 64u - (unsigned)__builtin_clzll(time ^ last);
}

/* Bucket 0: a binary heap on the full key (its events share one time, so on order). */
static void push_now(struct vdc_late_events *l, const struct vdc_event *ev)
{
    reserve(l, 0);
    struct vdc_event *h = l->items[0];
    uint32_t i = l->len[0]++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!vdc_event_before(ev, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = *ev;
}

static void append(struct vdc_late_events *l, unsigned b, const struct vdc_event *ev)
{
    if (b == 0) {
        push_now(l, ev);
        return;
    }
    reserve(l, b);
    uint32_t i = l->len[b]++;
    l->items[b][i] = *ev;
    if (i == 0 || vdc_event_before(ev, &l->items[b][l->least[b]]))
        l->least[b] = i;
    l->nonempty |= UINT64_C(1) << (b - 1);
}

/* Moves every event of bucket b to the buckets of `last`. */
static void split(struct vdc_late_events *l, unsigned b)
{
    uint32_t n = l->len[b];
    struct vdc_event *moving = l->items[b];
    l->len[b] = 0;
    l->nonempty &= ~(UINT64_C(1) << (b - 1));
    for (uint32_t i = 0; i < n; i++) {
        unsigned to = bucket_of(moving[i].time, l->last);
        assert(to < b); /* the radix heap's invariant: every event of b agrees with the new `last` above bit b - 1 */
        append(l, to, &moving[i]);
    }
}

/* An event before `last` (the queue allows it; the simulator never schedules into the past): every bucket is
 * placed again around the new `last`. */
static void rebase(struct vdc_late_events *l, vdc_time last)
{
    struct vdc_late_events old = *l;
    memset(l, 0, sizeof *l);
    l->last = last;
    l->size = old.size;
    for (unsigned b = 0; b < 65; b++) {
        for (uint32_t i = 0; i < old.len[b]; i++)
            append(l, bucket_of(old.items[b][i].time, last), &old.items[b][i]);
        free(old.items[b]);
    }
}

void vdc_late_events_push(struct vdc_late_events *l, const struct vdc_event *ev)
{
    if (ev->time < l->last)
        rebase(l, ev->time);
    append(l, bucket_of(ev->time, l->last), ev);
    l->size++;
}

void vdc_late_events_pop(struct vdc_late_events *l, struct vdc_event *out)
{
    assert(l->size > 0);
    if (l->len[0] == 0) {
        unsigned b = (unsigned)__builtin_ctzll(l->nonempty) + 1;
        l->last = l->items[b][l->least[b]].time;
        split(l, b);
    }
    struct vdc_event *h = l->items[0];
    *out = h[0];
    uint32_t n = --l->len[0];
    l->size--;
    if (n == 0)
        return;
    struct vdc_event moving = h[n];
    uint32_t i = 0;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && vdc_event_before(&h[child + 1], &h[child]))
            child++;
        if (!vdc_event_before(&h[child], &moving))
            break;
        h[i] = h[child];
        i = child;
    }
    h[i] = moving;
}

void vdc_late_events_drain(struct vdc_late_events *l, void (*take)(void *context, const struct vdc_event *ev),
                           void *context)
{
    for (unsigned b = 0; b < 65; b++) {
        for (uint32_t i = 0; i < l->len[b]; i++)
            take(context, &l->items[b][i]);
        l->len[b] = 0;
    }
    l->nonempty = 0;
    l->size = 0;
}

void vdc_late_events_free(struct vdc_late_events *l)
{
    for (unsigned b = 0; b < 65; b++)
        free(l->items[b]);
    memset(l, 0, sizeof *l);
}
