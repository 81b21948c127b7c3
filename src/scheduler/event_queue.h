/* The pending-event set: a banded queue (a one-rung ladder queue) with a small heap at the front. */
#ifndef VDC_SCHEDULER_EVENT_QUEUE_H
#define VDC_SCHEDULER_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "scheduler/event.h"
#include "scheduler/late_events.h"

struct vdc_event_vec {
    struct vdc_event *items;
    size_t len, cap;
};

/* Appends to a band gather here, one cache-line pair per band, and go to the band's array as whole
 * lines with streaming stores: a band's tail is rarely in cache, and this spares the read the CPU
 * would otherwise do before each partial-line write. */
#define VDC_BAND_STAGE_EVENTS 4
struct vdc_band_stage {
    _Alignas(64) struct vdc_event events[VDC_BAND_STAGE_EVENTS];
    uint32_t count;
};

/* Events live in three time-ordered tiers: every event in the front is earlier than every event in the
 * bands still to load, which are earlier than every event in `overflow`. Only the front is kept in
 * key order: the band being consumed, sorted once when loaded (`sorted` from `sorted_next` on), plus
 * a radix heap (`late`) for events scheduled into that band's span after it was loaded. Bands and
 * overflow are unsorted append-only arrays, so most inserts are a sequential write. */
struct vdc_event_queue {
    struct vdc_event_vec sorted;
    size_t sorted_next;
    struct vdc_late_events late;
    vdc_time front_last;   /* the latest time that belongs in the front (inclusive) */
    bool front_open;       /* false until the first band is loaded */
    size_t front_loaded;   /* how many events the band being consumed held when it was loaded */
    bool front_all_late;   /* the front is every pending event, in the late set (few were pending) */
    struct vdc_event_vec *bands;
    struct vdc_band_stage *stages; /* per band, the events not yet written to the band's array */
    size_t band_count, band_alloc, next_band;
    vdc_time bands_start;
    unsigned band_shift;   /* each band covers 2^band_shift ps */
    bool streaming;        /* bands are appended through their stages (many events pending), else directly */
    struct vdc_event_vec overflow;
    size_t size;
    size_t band_target;    /* events per band aimed for when spreading the overflow */
    uint32_t *counts;      /* scratch for the counting sort of a band */
    size_t counts_cap;
};

void vdc_event_queue_init(struct vdc_event_queue *q);
void vdc_event_queue_free(struct vdc_event_queue *q);
/* Every pending event's (time, order) key is unique: the scheduler numbers each source's events (sim.c). */
void vdc_event_queue_push(struct vdc_event_queue *q, const struct vdc_event *ev);
/* Removes the least event by key into *out; false when empty. */
bool vdc_event_queue_pop(struct vdc_event_queue *q, struct vdc_event *out);
enum vdc_pop_result { VDC_POP_OK, VDC_POP_EMPTY, VDC_POP_LATER };
/* Removes the least event if its time is at most `until`. */
enum vdc_pop_result vdc_event_queue_pop_until(struct vdc_event_queue *q, vdc_time until, struct vdc_event *out);
/* Removes the least event if its key is below (time, order). */
enum vdc_pop_result vdc_event_queue_pop_before(struct vdc_event_queue *q, vdc_time time, uint64_t order,
                                               struct vdc_event *out);
/* The least event without removing it; NULL when empty. */
const struct vdc_event *vdc_event_queue_peek(struct vdc_event_queue *q);
/* The least event already in the queue's front, without preparing more of it (NULL if the front is empty): a
 * cheap guess at what comes next, for prefetching. */
const struct vdc_event *vdc_event_queue_peek_cached(const struct vdc_event_queue *q);
/* The event `ahead` places after the least of the front's sorted band (NULL past its end): for prefetching further
 * ahead, as events scheduled into the band meanwhile (the late set) may come first. */
static inline const struct vdc_event *vdc_event_queue_peek_ahead(const struct vdc_event_queue *q, size_t ahead)
{
    return q->sorted_next + ahead < q->sorted.len ? &q->sorted.items[q->sorted_next + ahead] : NULL;
}

static inline size_t vdc_event_queue_size(const struct vdc_event_queue *q)
{
    return q->size;
}

#endif
