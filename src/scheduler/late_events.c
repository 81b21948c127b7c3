/* The event queue's late set (late_events.h): a sorted array while few, else time buckets split lazily from the
 * lowest. */
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
    struct vdc_event *items[65];
    uint32_t len[65];
    memcpy(items, l->items, sizeof items);
    memcpy(len, l->len, sizeof len);
    memset(l->items, 0, sizeof l->items);
    memset(l->len, 0, sizeof l->len);
    memset(l->cap, 0, sizeof l->cap);
    l->nonempty = 0;
    l->last = last;
    for (unsigned b = 0; b < 65; b++) {
        for (uint32_t i = 0; i < len[b]; i++)
            append(l, bucket_of(items[b][i].time, last), &items[b][i]);
        free(items[b]);
    }
}

/* The live events of `near` moved to its middle, leaving room on both sides. */
static void near_recenter(struct vdc_late_events *l)
{
    uint32_t n = l->near_tail - l->near_head, head = (2 * VDC_LATE_NEAR_EVENTS - n) / 2;
    memmove(l->near + head, l->near + l->near_head, n * sizeof *l->near);
    l->near_head = head;
    l->near_tail = head + n;
}

/* Into `near` at its place in key order. One look at the middle event says which half the place is in; the events
 * between that end and the place each move by one as they are compared, as in an insertion sort, so the search and
 * the move are one short walk (rack8-perftest: the place is the end or 3, 8, 11 or 16 events from one end, in groups
 * of four flows), whose only mispredicted branch is its end. */
static void near_insert(struct vdc_late_events *l, const struct vdc_event *ev)
{
    if (l->near_head == l->near_tail)
        l->near_head = l->near_tail = VDC_LATE_NEAR_EVENTS / 2; /* an empty set starts with room on both sides */
    unsigned __int128 key = vdc_event_key(ev);
    uint32_t middle = l->near_head + (l->near_tail - l->near_head) / 2;
    if (l->near_head == l->near_tail || key > vdc_event_key(&l->near[middle])) {
        if (l->near_tail == 2 * VDC_LATE_NEAR_EVENTS)
            near_recenter(l);
        uint32_t at = l->near_tail;
        for (; at > l->near_head && vdc_event_key(&l->near[at - 1]) > key; at--)
            l->near[at] = l->near[at - 1];
        l->near[at] = *ev;
        l->near_tail++;
    } else {
        if (l->near_head == 0)
            near_recenter(l);
        uint32_t at = l->near_head;
        for (; at < l->near_tail && vdc_event_key(&l->near[at]) < key; at++)
            l->near[at - 1] = l->near[at];
        l->near[at - 1] = *ev;
        l->near_head--;
    }
}

/* `near` is full: its events go into the radix heap, `last` their least time. */
static void spill(struct vdc_late_events *l)
{
    assert(l->nonempty == 0 && l->len[0] == 0);
    l->in_radix = true;
    l->last = l->near[l->near_head].time;
    for (uint32_t i = l->near_head; i < l->near_tail; i++)
        append(l, bucket_of(l->near[i].time, l->last), &l->near[i]);
    l->near_head = l->near_tail = 0;
}

/* Bucket 0's heap after its root was taken: its last event goes down from the root to its place. */
static void sift_down(struct vdc_event *h, uint32_t n)
{
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

/* The radix heap's least event, taken (the caller counts it). */
static void radix_pop(struct vdc_late_events *l, struct vdc_event *out)
{
    if (l->len[0] == 0) {
        unsigned b = (unsigned)__builtin_ctzll(l->nonempty) + 1;
        l->last = l->items[b][l->least[b]].time;
        split(l, b);
    }
    struct vdc_event *h = l->items[0];
    *out = h[0];
    uint32_t n = --l->len[0];
    if (n > 0)
        sift_down(h, n);
}

/* Few events are left in the radix heap: they go back to `near`, taken in order, until the set grows again. */
static void gather(struct vdc_late_events *l)
{
    for (uint32_t i = 0; i < l->size; i++)
        radix_pop(l, &l->near[i]);
    assert(l->nonempty == 0 && l->len[0] == 0);
    l->in_radix = false;
    l->near_head = 0;
    l->near_tail = (uint32_t)l->size;
}

void vdc_late_events_push(struct vdc_late_events *l, const struct vdc_event *ev)
{
    if (!l->in_radix) {
        if (l->size < VDC_LATE_NEAR_EVENTS) {
            near_insert(l, ev);
            l->size++;
            return;
        }
        spill(l);
    }
    if (ev->time < l->last)
        rebase(l, ev->time);
    append(l, bucket_of(ev->time, l->last), ev);
    l->size++;
}

void vdc_late_events_pop(struct vdc_late_events *l, struct vdc_event *out)
{
    assert(l->size > 0);
    l->size--;
    if (!l->in_radix) {
        *out = l->near[l->near_head++];
        if (l->near_head == l->near_tail)
            l->near_head = l->near_tail = 0;
        return;
    }
    radix_pop(l, out);
    if (l->size <= VDC_LATE_NEAR_EVENTS / 4)
        gather(l);
}

void vdc_late_events_drain(struct vdc_late_events *l, void (*take)(void *context, const struct vdc_event *ev),
                           void *context)
{
    for (uint32_t i = l->near_head; i < l->near_tail; i++)
        take(context, &l->near[i]);
    l->near_head = l->near_tail = 0;
    for (unsigned b = 0; b < 65; b++) {
        for (uint32_t i = 0; i < l->len[b]; i++)
            take(context, &l->items[b][i]);
        l->len[b] = 0;
    }
    l->nonempty = 0;
    l->in_radix = false;
    l->size = 0;
}

void vdc_late_events_free(struct vdc_late_events *l)
{
    for (unsigned b = 0; b < 65; b++)
        free(l->items[b]);
    memset(l, 0, sizeof *l);
}
