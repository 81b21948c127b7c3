/* The event order is the key's order whatever the insertion order; the queue agrees with a plain sort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/bench/hold.h"
#include "../../src/common/index_heap.h"
#include "../../src/fabric/fabric.h"
#include "../../src/scheduler/entity_ids.h"
#include "../../src/scheduler/parallel.h"
#include "../../src/scheduler/sim.h"
#include "../../src/scheduler/step_batch.h"
#include "../suites.h"

/* --- ties: same time, different class, source and sequence ------------------------------------- */

struct trace {
    uint32_t seen[64];
    size_t count;
};

static void record(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct trace *t = self->model;
    t->seen[t->count++] = (uint32_t)ev->arg;
}

static void schedule_ties(const int *order, size_t n, struct vdc_entity **src, uint32_t sink)
{
    /* Event i: source i % 3, class (i / 3) % 2, all at 100 ps; arg names it. */
    for (size_t k = 0; k < n; k++) {
        int i = order[k];
        vdc_schedule_at(src[i % 3], 100, (i / 3) % 2 ? VDC_PRIO_DEVICE : VDC_PRIO_WIRE, sink, 0, (uint64_t)i);
    }
}

static void run_ties(const int *order, size_t n, struct trace *out)
{
    struct vdc_sim sim;
    vdc_sim_init(&sim, 7);
    memset(out, 0, sizeof *out);
    struct vdc_entity *src[3];
    /* Created in reverse id order on purpose: ids, not creation order, decide. */
    for (int i = 2; i >= 0; i--)
        src[i] = vdc_entity_create(&sim, (uint32_t)(10 + i), "src", record, out, NULL);
    struct vdc_entity *sink = vdc_entity_create(&sim, 1, "sink", record, out, NULL);
    schedule_ties(order, n, src, sink->id);
    ck_assert_int_eq(vdc_sim_run(&sim, VDC_TIME_MAX), VDC_RUN_IDLE);
    vdc_sim_free(&sim);
}

START_TEST(ties_follow_the_key)
{
    /* Each source schedules its own events in increasing i, so per-source sequence follows i. */
    const int forward[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    struct trace t;
    run_ties(forward, 12, &t);
    /* Class WIRE first (i/3 even: 0-2, 6-8), then DEVICE; within a class by source id, then sequence. */
    const uint32_t expected[] = {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11};
    ck_assert_uint_eq(t.count, 12);
    for (int i = 0; i < 12; i++)
        ck_assert_uint_eq(t.seen[i], expected[i]);
}
END_TEST

START_TEST(ties_ignore_insertion_order_across_sources)
{
    /* Interleave sources differently but keep each source's own order: the result must not change. */
    const int forward[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const int shuffled[] = {2, 5, 8, 11, 1, 4, 0, 7, 3, 10, 6, 9};
    struct trace a, b;
    run_ties(forward, 12, &a);
    run_ties(shuffled, 12, &b);
    ck_assert_uint_eq(a.count, b.count);
    ck_assert_mem_eq(a.seen, b.seen, a.count * sizeof a.seen[0]);
}
END_TEST

/* --- the queue against a reference: random pushes and pops, many ties --------------------------- */

static int compare_events(const void *x, const void *y)
{
    const struct vdc_event *a = x, *b = y;
    return vdc_event_before(a, b) ? -1 : vdc_event_before(b, a) ? 1 : 0;
}

START_TEST(queue_matches_sorted_reference)
{
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 42, (uint64_t)_i);
    struct vdc_event_queue q;
    vdc_event_queue_init(&q);
    enum { N = 40000 };
    struct vdc_event *ref = malloc(N * sizeof *ref);
    size_t ref_len = 0, ref_head = 0;
    vdc_time now = 0;
    uint64_t seq = 0;
    /* Phase mix by iteration: a time spread that is narrow (many ties), wide, or bimodal. */
    uint64_t spread = _i == 0 ? 8 : _i == 1 ? 1000000 : 0;
    for (size_t step = 0; step < N; step++) {
        bool push = ref_len == ref_head || vdc_rng_below(&rng, 100) < 55;
        if (push && ref_len < N) {
            uint64_t gap = spread ? vdc_rng_below(&rng, spread)
                                  : (vdc_rng_below(&rng, 2) ? vdc_rng_below(&rng, 10) : 1000000000 + vdc_rng_below(&rng, 5));
            struct vdc_event ev = {.time = now + gap,
                                   .order = vdc_order_pack((unsigned)vdc_rng_below(&rng, 3),
                                                           (uint32_t)vdc_rng_below(&rng, 4), seq++),
                                   .arg = step};
            vdc_event_queue_push(&q, &ev);
            ref[ref_len++] = ev;
            /* Keep the unconsumed part of the reference sorted (insertion from the back). */
            for (size_t j = ref_len - 1; j > ref_head && compare_events(&ref[j], &ref[j - 1]) < 0; j--) {
                struct vdc_event tmp = ref[j];
                ref[j] = ref[j - 1];
                ref[j - 1] = tmp;
            }
        } else if (ref_head < ref_len) {
            struct vdc_event got;
            ck_assert(vdc_event_queue_pop(&q, &got));
            ck_assert_uint_eq(got.time, ref[ref_head].time);
            ck_assert_uint_eq(got.order, ref[ref_head].order);
            ck_assert_uint_eq(got.arg, ref[ref_head].arg);
            now = got.time;
            ref_head++;
        }
        ck_assert_uint_eq(vdc_event_queue_size(&q), ref_len - ref_head);
    }
    struct vdc_event got;
    while (ref_head < ref_len) {
        ck_assert(vdc_event_queue_pop(&q, &got));
        ck_assert_uint_eq(got.arg, ref[ref_head++].arg);
    }
    ck_assert(!vdc_event_queue_pop(&q, &got));
    vdc_event_queue_free(&q);
    free(ref);
}
END_TEST

START_TEST(queue_handles_extreme_times)
{
    struct vdc_event_queue q;
    vdc_event_queue_init(&q);
    const vdc_time times[] = {VDC_TIME_MAX, 0, VDC_TIME_MAX - 1, 1, VDC_TIME_MAX, UINT64_C(1) << 63};
    for (size_t i = 0; i < 6; i++) {
        struct vdc_event ev = {.time = times[i], .order = i, .arg = i};
        vdc_event_queue_push(&q, &ev);
    }
    const uint64_t expected[] = {1, 3, 5, 2, 0, 4};
    struct vdc_event got;
    for (size_t i = 0; i < 6; i++) {
        ck_assert(vdc_event_queue_pop(&q, &got));
        ck_assert_uint_eq(got.arg, expected[i]);
    }
    ck_assert(!vdc_event_queue_pop(&q, &got));
    vdc_event_queue_free(&q);
}
END_TEST

START_TEST(queue_takes_events_before_the_last_taken)
{
    /* The simulator never schedules into the past, but the queue orders whatever it is given: events pushed after
     * some were taken, earlier than those, still come out in key order (the late set re-buckets around them). */
    struct vdc_event_queue q;
    vdc_event_queue_init(&q);
    struct vdc_event ev = {0}, got;
    for (uint64_t i = 0; i < 64; i++) {
        ev.time = 1000 + 10 * i;
        ev.order = i;
        ev.arg = i;
        vdc_event_queue_push(&q, &ev);
    }
    for (int i = 0; i < 3; i++)
        ck_assert(vdc_event_queue_pop(&q, &got));
    ck_assert_uint_eq(got.time, 1020);
    /* Each pushed and then taken, so that the late set's last time moves past the next one pushed. */
    const vdc_time later[] = {1025, 1001, 1700, 1001, 1500};
    const vdc_time taken[] = {1025, 1001, 1030, 1001, 1040};
    for (uint64_t i = 0; i < 5; i++) {
        ev.time = later[i];
        ev.order = 100 + i;
        ev.arg = 100 + i;
        vdc_event_queue_push(&q, &ev);
        ck_assert(vdc_event_queue_pop(&q, &got));
        ck_assert_uint_eq(got.time, taken[i]);
    }
    vdc_time previous = 0;
    uint64_t previous_order = 0;
    size_t count = 0;
    while (vdc_event_queue_pop(&q, &got)) {
        ck_assert(got.time > previous || (got.time == previous && got.order > previous_order));
        previous = got.time;
        previous_order = got.order;
        count++;
    }
    ck_assert_uint_eq(count, 61 + 5 - 5);
    vdc_event_queue_free(&q);
}
END_TEST

START_TEST(late_set_changes_form_and_keeps_order)
{
    /* The late set alone, against a sorted reference: a population that rises past the array's size (into the radix
     * heap), falls to nothing (back to the array) and rises again, with ties in time and pushes earlier than the
     * last event taken (a rebase in the radix form). */
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 5, 0);
    struct vdc_late_events *late = calloc(1, sizeof *late);
    enum { N = 20000 };
    struct vdc_event *ref = malloc(N * sizeof *ref);
    size_t ref_len = 0, ref_head = 0;
    vdc_time now = 1000000;
    uint64_t seq = 0;
    unsigned radix_entered = 0, radix_left = 0;
    bool was_radix = false;
    for (size_t step = 0; ref_len < N; step++) {
        size_t pending = ref_len - ref_head;
        unsigned rising = (step / 1500) % 2 == 0 ? 65 : 35; /* percent of pushes: phases that grow, then drain */
        if (pending == 0 || vdc_rng_below(&rng, 100) < rising) {
            vdc_time gap = vdc_rng_below(&rng, 8) == 0 ? 0 : vdc_rng_below(&rng, 4000);
            vdc_time time = vdc_rng_below(&rng, 50) == 0 && now > 5000 ? now - vdc_rng_below(&rng, 5000) : now + gap;
            struct vdc_event ev = {.time = time, .order = vdc_order_pack(1, (uint32_t)vdc_rng_below(&rng, 4), seq++),
                                   .arg = ref_len};
            vdc_late_events_push(late, &ev);
            ref[ref_len++] = ev;
            for (size_t j = ref_len - 1; j > ref_head && compare_events(&ref[j], &ref[j - 1]) < 0; j--) {
                struct vdc_event tmp = ref[j];
                ref[j] = ref[j - 1];
                ref[j - 1] = tmp;
            }
        } else {
            ck_assert_uint_eq(vdc_late_events_least(late)->arg, ref[ref_head].arg);
            struct vdc_event got;
            vdc_late_events_pop(late, &got);
            ck_assert_uint_eq(got.arg, ref[ref_head].arg);
            now = got.time;
            ref_head++;
        }
        ck_assert_uint_eq(late->size, ref_len - ref_head);
        radix_entered += late->in_radix && !was_radix;
        radix_left += !late->in_radix && was_radix;
        was_radix = late->in_radix;
    }
    while (ref_head < ref_len) {
        struct vdc_event got;
        vdc_late_events_pop(late, &got);
        ck_assert_uint_eq(got.arg, ref[ref_head++].arg);
    }
    ck_assert_ptr_null(vdc_late_events_least(late));
    ck_assert_uint_ge(radix_entered, 2);
    ck_assert_uint_ge(radix_left, 2);
    vdc_late_events_free(late);
    free(late);
    free(ref);
}
END_TEST

START_TEST(far_outlier_keeps_bands_useful)
{
    /* One event far in the future must not stretch the bands so that everything lands in the front's
     * heap: a structural check (the heap's size), not a timing one. */
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 5, 0);
    struct vdc_event_queue q;
    vdc_event_queue_init(&q);
    uint64_t seq = 0;
    struct vdc_event ev = {0}, got;
    for (int i = 0; i < 100000; i++) {
        ev.time = vdc_rng_below(&rng, 200000000);
        ev.order = seq++;
        vdc_event_queue_push(&q, &ev);
    }
    ev.time = 1000 * VDC_SEC;
    ev.order = seq++;
    vdc_event_queue_push(&q, &ev);
    size_t largest_heap = 0;
    for (int i = 0; i < 300000; i++) {
        ck_assert(vdc_event_queue_pop(&q, &got));
        ck_assert_uint_lt(got.time, 1000 * VDC_SEC);
        ev.time = got.time + vdc_rng_below(&rng, 200000000);
        ev.order = seq++;
        vdc_event_queue_push(&q, &ev);
        largest_heap = q.late.size > largest_heap ? q.late.size : largest_heap;
    }
    ck_assert_uint_lt(largest_heap, 2000);
    vdc_event_queue_free(&q);
}
END_TEST

START_TEST(few_events_live_in_the_late_set)
{
    /* A handful of pending events is one sorted array (the late set), the front reaching to the end of time; once
     * more than the array's worth gather, bands are cut again. Structural checks, and the key order throughout. */
    struct vdc_event_queue q;
    vdc_event_queue_init(&q);
    struct vdc_event ev = {0}, got;
    uint64_t seq = 0;
    for (int i = 0; i < 40; i++) {
        ev.time = (vdc_time)(40 - i) * 1000;
        ev.order = seq++;
        vdc_event_queue_push(&q, &ev);
    }
    ck_assert(vdc_event_queue_pop(&q, &got));
    ck_assert_uint_eq(got.time, 1000);
    ck_assert(q.front_all_late);
    ck_assert_uint_eq(q.late.size, 39);
    vdc_time previous = got.time;
    /* Far timers join them, one per event taken, until more than the array holds are pending. */
    for (int i = 0; i < 300; i++) {
        ev.time = 1000000000 + (vdc_time)i * 7;
        ev.order = seq++;
        vdc_event_queue_push(&q, &ev);
        ck_assert_uint_le(q.late.size, VDC_LATE_NEAR_EVENTS);
    }
    ck_assert(!q.front_all_late);
    size_t popped = 1;
    while (vdc_event_queue_pop(&q, &got)) {
        ck_assert_uint_ge(got.time, previous);
        previous = got.time;
        popped++;
    }
    ck_assert_uint_eq(popped, 340);
    vdc_event_queue_free(&q);
}
END_TEST

START_TEST(burst_into_wide_band_recuts_the_front)
{
    /* Bands cut while only sparse events are pending (flow arrivals 100 us apart) are far wider than the spacing of
     * a burst that follows (a network's frames, nanoseconds apart): the front is cut again rather than leave the
     * burst in the late set. A structural check (the late set's size), and every event still comes out in key
     * order. */
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 9, 0);
    struct vdc_event_queue q;
    vdc_event_queue_init(&q);
    uint64_t seq = 0;
    struct vdc_event ev = {0}, got;
    for (int i = 0; i < 64; i++) {
        ev.time = (vdc_time)i * 100 * VDC_US;
        ev.order = seq++;
        vdc_event_queue_push(&q, &ev);
    }
    ck_assert(vdc_event_queue_pop(&q, &got));
    vdc_time now = got.time, previous = got.time;
    uint64_t previous_order = got.order;
    size_t largest_late = 0, popped = 1;
    /* Each event taken schedules two within the next microsecond until 200 000 were scheduled: a burst of a few
     * thousand pending events inside the first band. */
    for (int scheduled = 0; scheduled < 200000; scheduled += 2) {
        for (int k = 0; k < 2; k++) {
            ev.time = now + 1 + vdc_rng_below(&rng, VDC_US);
            ev.order = seq++;
            vdc_event_queue_push(&q, &ev);
        }
        largest_late = q.late.size > largest_late ? q.late.size : largest_late;
        ck_assert(vdc_event_queue_pop(&q, &got));
        ck_assert(got.time > previous || (got.time == previous && got.order > previous_order));
        previous = now = got.time;
        previous_order = got.order;
        popped++;
    }
    ck_assert_uint_lt(largest_late, 1024);
    while (vdc_event_queue_pop(&q, &got)) {
        ck_assert(got.time > previous || (got.time == previous && got.order > previous_order));
        previous = got.time;
        previous_order = got.order;
        popped++;
    }
    ck_assert_uint_eq(popped, 64 + 200000);
    vdc_event_queue_free(&q);
}
END_TEST

/* --- running until a time, until idle, until stopped ------------------------------------------- */

struct ticker {
    uint64_t ticks;
    uint64_t stop_at;
};

/* The index queue (common/index_heap.h) against a linear search: pushes mostly in key order, some earlier, many
 * times equal, pops interleaved; each pop, and the top before it, must be the least (time, seq) left. */
START_TEST(index_queue_pops_in_key_order)
{
    enum { LIMIT = 2000 };
    static struct vdc_index_heap_entry left[LIMIT];
    struct vdc_index_heap q;
    vdc_index_heap_init(&q);
    uint32_t left_count = 0, item = 0;
    uint64_t rng = 0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1), clock = 0;
    for (uint32_t step = 0; step < 20 * LIMIT || left_count > 0; step++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t r = (uint32_t)(rng >> 33);
        bool push = step < 20 * LIMIT && left_count < LIMIT && (left_count == 0 || r % 8 < 5);
        if (push) {
            uint64_t time = r % 5 == 0 ? (r >> 4) % (clock + 1) : (clock += (r >> 4) % 3);
            left[left_count++] = (struct vdc_index_heap_entry){.time = time, .seq = item, .item = item};
            vdc_index_heap_push(&q, time, item, item);
            item++;
            continue;
        }
        uint32_t least = 0;
        for (uint32_t i = 1; i < left_count; i++)
            if (left[i].time < left[least].time || (left[i].time == left[least].time && left[i].seq < left[least].seq))
                least = i;
        ck_assert(!vdc_index_heap_empty(&q));
        ck_assert_uint_eq(vdc_index_heap_top_time(&q), left[least].time);
        ck_assert_uint_eq(vdc_index_heap_top_item(&q), left[least].item);
        ck_assert_uint_eq(vdc_index_heap_pop(&q), left[least].item);
        left[least] = left[--left_count];
    }
    ck_assert(vdc_index_heap_empty(&q));
    ck_assert_uint_eq(vdc_index_heap_top_time(&q), UINT64_MAX);
    ck_assert_uint_eq(vdc_index_heap_top_item(&q), UINT32_MAX);
    vdc_index_heap_free(&q);
}
END_TEST

static void tick(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)ev;
    struct ticker *t = self->model;
    if (++t->ticks == t->stop_at)
        vdc_sim_stop(self->sim);
    if (t->ticks < 100)
        vdc_schedule_in(self, 10 * VDC_NS, VDC_PRIO_DEVICE, self->id, 0, 0);
}

START_TEST(run_until_time_idle_and_stop)
{
    struct vdc_sim sim;
    vdc_sim_init(&sim, 1);
    struct ticker t = {.stop_at = 70};
    struct vdc_entity *e = vdc_entity_create(&sim, 3, "ticker", tick, &t, NULL);
    vdc_schedule_at(e, 0, VDC_PRIO_DEVICE, e->id, 0, 0);
    ck_assert_int_eq(vdc_sim_run(&sim, 95 * VDC_NS), VDC_RUN_TIME_REACHED);
    ck_assert_uint_eq(t.ticks, 10); /* ticks at 0, 10, ..., 90 ns */
    ck_assert_uint_eq(sim.now, 95 * VDC_NS);
    ck_assert_int_eq(vdc_sim_run(&sim, VDC_TIME_MAX), VDC_RUN_STOPPED);
    ck_assert_uint_eq(t.ticks, 70);
    ck_assert_int_eq(vdc_sim_run(&sim, VDC_TIME_MAX), VDC_RUN_IDLE);
    ck_assert_uint_eq(t.ticks, 100);
    ck_assert_uint_eq(sim.now, 990 * VDC_NS);
    vdc_sim_free(&sim);
}
END_TEST

START_TEST(entity_ids_are_checked)
{
    struct vdc_sim sim;
    vdc_sim_init(&sim, 1);
    struct vdc_error err;
    ck_assert_ptr_nonnull(vdc_entity_create(&sim, 5, "a", tick, NULL, &err));
    ck_assert_ptr_null(vdc_entity_create(&sim, 5, "b", tick, NULL, &err));
    ck_assert_str_eq(err.text, "entity 'b' reuses id 5 of entity 'a'; each entity needs its own id");
    ck_assert_ptr_null(vdc_entity_create(&sim, VDC_ENTITY_ID_LIMIT, "c", tick, NULL, &err));
    ck_assert_str_eq(err.text, "entity 'c' has id 16777216, above the limit of 16777215 entities; use a smaller topology");
    vdc_sim_free(&sim);
}
END_TEST

/* --- digest ------------------------------------------------------------------------------------- */

START_TEST(digest_is_stable)
{
    /* Pinned values: a change here means the event order or the digest changed for every model.
     * If that is intended, update them and say so in the commit. */
    struct hold_result a = vdc_bench_hold_run(1000, 100000, 1), b = vdc_bench_hold_run(1000, 100000, 1);
    ck_assert_uint_eq(a.digest, b.digest);
    ck_assert_uint_eq(a.events, 100000);
    ck_assert_uint_eq(a.digest, UINT64_C(0x9877616ceb58b5ea));
    struct hold_result c = vdc_bench_hold_run(1000, 100000, 2);
    ck_assert_uint_ne(a.digest, c.digest);
}
END_TEST

/* Every part's id range lies below the entity-id limit and overlaps no other (the frame-loss streams' ids start
 * at 2^32, above every entity id); the fabric's own ids sit in their range. */
START_TEST(id_ranges_do_not_overlap)
{
    static const struct {
        const char *name;
        uint64_t base, count;
    } ranges[] = {
        {"guests", VDC_IDS_GUEST_BASE, VDC_IDS_GUEST_COUNT},
        {"gpus", VDC_IDS_GPU_BASE, VDC_IDS_GPU_COUNT},
        {"gpu engines", VDC_IDS_GPU_ENGINE_BASE, VDC_IDS_GPU_ENGINE_COUNT},
        {"hilink", VDC_IDS_HILINK_BASE, VDC_IDS_HILINK_COUNT},
        {"fabric services", VDC_IDS_FABRIC_SERVICE_BASE, VDC_IDS_FABRIC_SERVICE_COUNT},
        {"fabric nodes", VDC_IDS_FABRIC_NODE_BASE, VDC_IDS_FABRIC_NODE_COUNT},
        {"workload streams", VDC_IDS_WORKLOAD_STREAM_BASE, VDC_IDS_WORKLOAD_STREAM_COUNT},
    };
    size_t n = sizeof ranges / sizeof ranges[0];
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(ranges[i].base + ranges[i].count <= VDC_ENTITY_ID_LIMIT, "%s pass the id limit", ranges[i].name);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(ranges[i].base + ranges[i].count <= ranges[j].base ||
                              ranges[j].base + ranges[j].count <= ranges[i].base,
                          "%s and %s overlap", ranges[i].name, ranges[j].name);
    }
    ck_assert_uint_ge(FABRIC_MAX_NODES, 1);
    ck_assert_uint_le(FABRIC_MAX_NODES, VDC_IDS_FABRIC_NODE_COUNT);
    uint32_t services[] = {FABRIC_SAMPLER_ENTITY, FABRIC_FAULT_ENTITY, FABRIC_QLEN_MONITOR_ENTITY};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_uint_ge(services[i], VDC_IDS_FABRIC_SERVICE_BASE);
        ck_assert_uint_lt(services[i], VDC_IDS_FABRIC_SERVICE_BASE + VDC_IDS_FABRIC_SERVICE_COUNT);
        for (size_t j = 0; j < i; j++)
            ck_assert_uint_ne(services[i], services[j]);
    }
    ck_assert_uint_ge(FABRIC_LOSS_STREAM_BASE, VDC_ENTITY_ID_LIMIT);
}
END_TEST

/* --- parallel runs: partitions on threads give the serial run's events, order and digest ------------------- */

/* A ring of `count` entities passing tokens: each event folds a value, schedules one to a neighbour at least a
 * lookahead ahead (another partition, perhaps) and sometimes one to itself sooner; an observer reads them all. */
#define RING 12
#define RING_LOOKAHEAD 1000
struct ring {
    uint64_t handled[RING];
    uint64_t observed;
    uint64_t order_sum;           /* an order-sensitive sum of what each entity saw, per entity */
};

static void ring_step(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct ring *r = self->model;
    uint32_t me = self->id - 100;
    r->handled[me]++;
    vdc_digest_fold(self->sim, ev->arg ^ me);
    if (ev->arg == 0)
        return;
    uint64_t draw = vdc_rng_next(&self->rng);
    uint32_t next = (me + 1 + (uint32_t)(draw % 3)) % RING;
    vdc_schedule_in(self, RING_LOOKAHEAD + draw % 777, VDC_PRIO_WIRE, 100 + next, 0, ev->arg - 1);
    if (draw % 5 == 0)
        vdc_schedule_in(self, draw % 300, VDC_PRIO_DEVICE, self->id, 0, 0);
}

static void ring_observe(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)ev;
    struct ring *r = self->model;
    uint64_t total = 0;
    for (unsigned i = 0; i < RING; i++)
        total += r->handled[i];
    r->observed = r->observed * 31 + total;
    if (self->sim->now < 200000)
        vdc_schedule_in(self, 3333, VDC_PRIO_OBSERVE, self->id, 0, 0);
}

/* Runs the ring on `threads` partitions (1: the serial loop) until `until`; returns the digest. */
static uint64_t run_ring(unsigned threads, vdc_time until, uint64_t *events, vdc_time *end, struct ring *r)
{
    struct vdc_sim sim;
    vdc_sim_init(&sim, 11);
    memset(r, 0, sizeof *r);
    for (uint32_t i = 0; i < RING; i++) {
        struct vdc_entity *e = vdc_entity_create(&sim, 100 + i, "ring", ring_step, r, NULL);
        for (unsigned token = 0; token < 3; token++)
            vdc_schedule_at(e, token * 10, VDC_PRIO_WIRE, e->id, 0, 40 + i + token);
    }
    struct vdc_entity *observer = vdc_entity_create(&sim, 7, "observer", ring_observe, r, NULL);
    vdc_schedule_at(observer, 0, VDC_PRIO_OBSERVE, observer->id, 0, 0);
    if (threads == 1) {
        vdc_sim_run(&sim, until);
    } else {
        uint8_t *part_of = malloc(sim.entity_slots);
        memset(part_of, VDC_PARTITION_GLOBAL, sim.entity_slots);
        for (uint32_t i = 0; i < RING; i++)
            part_of[100 + i] = (uint8_t)(i * threads / RING);
        struct vdc_partition_plan plan = {.count = threads, .part_of = part_of, .lookahead = RING_LOOKAHEAD};
        vdc_sim_run_parallel(&sim, until, &plan);
        free(part_of);
    }
    uint64_t digest = sim.digest;
    *events = sim.events_processed;
    *end = sim.now;
    vdc_sim_free(&sim);
    return digest;
}

START_TEST(parallel_run_matches_serial)
{
    vdc_time untils[] = {VDC_TIME_MAX, 50000};
    for (unsigned u = 0; u < 2; u++) {
        struct ring serial, parallel;
        uint64_t serial_events, events;
        vdc_time serial_end, end;
        uint64_t digest = run_ring(1, untils[u], &serial_events, &serial_end, &serial);
        ck_assert_uint_gt(serial_events, 1000);
        for (unsigned threads = 2; threads <= 3; threads++) {
            ck_assert_uint_eq(run_ring(threads, untils[u], &events, &end, &parallel), digest);
            ck_assert_uint_eq(events, serial_events);
            ck_assert_uint_eq(end, serial_end);
            ck_assert_uint_eq(parallel.observed, serial.observed); /* the observer saw the same states */
            for (unsigned i = 0; i < RING; i++)
                ck_assert_uint_eq(parallel.handled[i], serial.handled[i]);
        }
    }
}
END_TEST

/* --- step advances: every step event of one time advanced together, on any number of threads ----------- */

/* Stepping entities as HiGPU's engines are: a step's advance works on its own state alone (a checksum over a long
 * loop, so that threads overlap), schedules an event to a shared sink and logs a line; its handler reads the result,
 * folds it and takes the next step at the next multiple of its period (entities of periods 1, 2 and 3 meet at
 * common multiples, so batches have one to four items). */
struct stepper {
    uint64_t state, advanced;
    bool done;
    FILE *log;
};

enum { STEP_EVENT = 1, STEP_OTHER = 2, STEPPERS = 4 };

static void stepper_advance(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct stepper *s = self->model;
    uint64_t x = s->state ^ ev->time;
    /* Unequal costs (odd ids four times the work), so that batches are planned unevenly and threads take each
     * other's items. */
    int rounds = 20000 * ((self->id & 1) ? 4 : 1);
    for (int i = 0; i < rounds; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    s->advanced = x;
    s->done = true;
    vdc_schedule_at(self, ev->time + 5, VDC_PRIO_DEVICE, VDC_IDS_GUEST_BASE + 99, 7, x & 0xffff);
    char line[64];
    snprintf(line, sizeof line, "%u@%llu\n", self->id, (unsigned long long)ev->time);
    if (!vdc_step_hold_text(s->log, line))
        fputs(line, s->log);
}

static void stepper_handle(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct stepper *s = self->model;
    if (ev->kind != STEP_EVENT)
        return;
    ck_assert(s->done); /* the advance ran first */
    s->done = false;
    s->state = s->advanced;
    vdc_digest_fold(self->sim, s->state);
    uint64_t period = self->id - VDC_IDS_GUEST_BASE + 1;
    if (ev->time < 60)
        vdc_schedule_at(self, ev->time + period, VDC_PRIO_STEP, self->id, STEP_EVENT, 0);
    /* A step event of another kind at the same time: handled alone, after the batch. */
    if (ev->time % 10 == 0)
        vdc_schedule_at(self, ev->time, VDC_PRIO_STEP, self->id, STEP_OTHER, 0);
}

static void sink_fold(struct vdc_entity *self, const struct vdc_event *ev)
{
    vdc_digest_fold(self->sim, ev->arg);
}

/* An entity with an advance for its events of `kind`, its first such event (of class `priority_class`) at time 0. */
static void add_advancing(struct vdc_sim *sim, uint32_t id, vdc_event_handler handler, vdc_event_advance advance,
                          void *model, uint32_t kind, enum vdc_priority priority_class)
{
    struct vdc_error err;
    struct vdc_entity *e = vdc_entity_create(sim, id, "advancing", handler, model, &err);
    ck_assert(e != NULL);
    e->advance = advance;
    e->advance_kind = kind;
    vdc_schedule_at(e, 0, priority_class, e->id, kind, 0);
}

/* A rig's sim on `threads` threads, and its log (a stream into *log). */
static FILE *start_rig(struct vdc_sim *sim, uint64_t seed, unsigned threads, char **log, size_t *log_length)
{
    vdc_sim_init(sim, seed);
    sim->step_threads = threads;
    return open_memstream(log, log_length);
}

/* Closes the rig's log and sim; returns the digest. */
static uint64_t end_rig(struct vdc_sim *sim, FILE *log)
{
    fclose(log);
    uint64_t digest = sim->digest;
    vdc_sim_free(sim);
    return digest;
}

/* A rig run on `threads` threads: its digest, its log and a count of what it did. */
typedef uint64_t (*thread_rig)(unsigned threads, char **log, size_t *log_length, uint64_t *count);

/* Runs `rig` on one thread, then on two and three, each of which must give the same digest, log and count; returns
 * the one-thread log (the caller frees it). */
static char *same_on_any_thread_count(thread_rig rig)
{
    char *one = NULL, *many = NULL;
    size_t one_length = 0, many_length = 0;
    uint64_t one_count, many_count;
    uint64_t serial = rig(1, &one, &one_length, &one_count);
    for (unsigned threads = 2; threads <= 3; threads++) {
        ck_assert_uint_eq(rig(threads, &many, &many_length, &many_count), serial);
        ck_assert_uint_eq(many_count, one_count);
        ck_assert_uint_eq(many_length, one_length);
        ck_assert_str_eq(many, one);
        free(many);
        many = NULL;
    }
    return one;
}

static uint64_t run_steppers(unsigned threads, char **log, size_t *log_length, uint64_t *events)
{
    struct vdc_sim sim;
    FILE *out = start_rig(&sim, 5, threads, log, log_length);
    struct stepper steppers[STEPPERS] = {0};
    struct vdc_error err;
    ck_assert(vdc_entity_create(&sim, VDC_IDS_GUEST_BASE + 99, "sink", sink_fold, NULL, &err) != NULL);
    for (uint32_t i = 0; i < STEPPERS; i++) {
        steppers[i].state = i;
        steppers[i].log = out;
        add_advancing(&sim, VDC_IDS_GUEST_BASE + i, stepper_handle, stepper_advance, &steppers[i], STEP_EVENT,
                      VDC_PRIO_STEP);
    }
    ck_assert_int_eq(vdc_sim_run(&sim, VDC_TIME_MAX), VDC_RUN_IDLE);
    *events = sim.events_processed;
    return end_rig(&sim, out);
}

START_TEST(step_advances_match_on_any_thread_count)
{
    char *one = same_on_any_thread_count(run_steppers);
    /* The held lines come out in key order: at time 6 the steppers of periods 1, 2 and 3 (ids ascending). */
    ck_assert_ptr_nonnull(strstr(one, "65536@6\n65537@6\n65538@6\n"));
    free(one);
}
END_TEST

/* --- guests' runs of one time: their instructions ahead of their handlers, the serial order kept ------------- */

/* Runners as guests are: a run's advance works on the runner's own state alone (its "instructions" up to an exit);
 * its handler takes the result, logs it, sometimes asks a device for work at that very time (a zero-delay event
 * that sorts before the next run's) and schedules the next run. Runners of equal periods meet, so batches form. */
struct runner {
    uint64_t state, result;
    bool ran_ahead;
    FILE *log;
    vdc_time stop_at; /* the first runner stops the run at this time (0: never) */
};

enum { RUNNERS = 4, RUN_EVENT = 0, RUN_SINK = VDC_IDS_GUEST_BASE + 98 };

static uint64_t runner_instructions(const struct runner *r, vdc_time now)
{
    uint64_t x = r->state ^ now;
    for (int i = 0; i < 5000; i++)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return x;
}

static void runner_advance(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct runner *r = self->model;
    if (r->ran_ahead)
        return; /* ran ahead before a stop left its handler for later */
    r->result = runner_instructions(r, ev->time);
    r->ran_ahead = true;
}

static void runner_handle(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct runner *r = self->model;
    if (!r->ran_ahead)
        r->result = runner_instructions(r, ev->time);
    r->ran_ahead = false;
    r->state = r->result;
    vdc_digest_fold(self->sim, r->state);
    fprintf(r->log, "%u@%llu ", self->id - VDC_IDS_GUEST_BASE, (unsigned long long)ev->time);
    if (r->state % 3 == 0)
        vdc_schedule_at(self, ev->time, VDC_PRIO_DEVICE, RUN_SINK, 0, r->state & 0xff);
    if (ev->time < 60)
        vdc_schedule_at(self, ev->time + 2 + (self->id & 1), VDC_PRIO_GUEST, self->id, RUN_EVENT, 0);
    if (r->stop_at != 0 && ev->time == r->stop_at)
        vdc_sim_stop(self->sim);
}

static void run_sink(struct vdc_entity *self, const struct vdc_event *ev)
{
    FILE *log = self->model;
    fprintf(log, "sink%llu@%llu ", (unsigned long long)ev->arg, (unsigned long long)ev->time);
    vdc_digest_fold(self->sim, ev->arg);
}

/* Runs the runners on `threads` threads: up to the first runner's stop at time 30, then on to the end. */
static uint64_t run_runners(unsigned threads, char **log, size_t *log_length, uint64_t *events_at_stop)
{
    struct vdc_sim sim;
    FILE *out = start_rig(&sim, 9, threads, log, log_length);
    struct runner runners[RUNNERS] = {0};
    struct vdc_error err;
    ck_assert(vdc_entity_create(&sim, RUN_SINK, "sink", run_sink, out, &err) != NULL);
    for (uint32_t i = 0; i < RUNNERS; i++) {
        runners[i] = (struct runner){.state = i, .log = out, .stop_at = i == 0 ? 30 : 0};
        add_advancing(&sim, VDC_IDS_GUEST_BASE + i, runner_handle, runner_advance, &runners[i], RUN_EVENT,
                      VDC_PRIO_GUEST);
    }
    ck_assert_int_eq(vdc_sim_run(&sim, VDC_TIME_MAX), VDC_RUN_STOPPED);
    *events_at_stop = sim.events_processed;
    fprintf(out, "| ");
    runners[0].stop_at = 0;
    ck_assert_int_eq(vdc_sim_run(&sim, VDC_TIME_MAX), VDC_RUN_IDLE);
    return end_rig(&sim, out);
}

START_TEST(guest_runs_ahead_keep_the_serial_order)
{
    char *one = same_on_any_thread_count(run_runners);
    /* The stop at time 30 comes in the first runner's handler: the others' runs of that time wait for the second
     * part of the run, and some device work was asked for between two runs of one time. */
    ck_assert_ptr_nonnull(strstr(one, "0@30 | 1@30 "));
    ck_assert_ptr_nonnull(strstr(one, "sink"));
    free(one);
}
END_TEST

Suite *scheduler_suite(void)
{
    Suite *s = suite_create("scheduler");
    TCase *order = tcase_create("order");
    tcase_add_test(order, ties_follow_the_key);
    tcase_add_test(order, ties_ignore_insertion_order_across_sources);
    tcase_add_loop_test(order, queue_matches_sorted_reference, 0, 3);
    tcase_add_test(order, queue_handles_extreme_times);
    tcase_add_test(order, queue_takes_events_before_the_last_taken);
    tcase_add_test(order, late_set_changes_form_and_keeps_order);
    tcase_add_test(order, far_outlier_keeps_bands_useful);
    tcase_add_test(order, few_events_live_in_the_late_set);
    tcase_add_test(order, burst_into_wide_band_recuts_the_front);
    tcase_add_loop_test(order, index_queue_pops_in_key_order, 0, 3);
    tcase_set_timeout(order, 60);
    suite_add_tcase(s, order);
    TCase *loop = tcase_create("loop");
    tcase_add_test(loop, run_until_time_idle_and_stop);
    tcase_add_test(loop, entity_ids_are_checked);
    tcase_add_test(loop, id_ranges_do_not_overlap);
    tcase_add_test(loop, digest_is_stable);
    tcase_add_test(loop, parallel_run_matches_serial);
    tcase_add_test(loop, step_advances_match_on_any_thread_count);
    tcase_add_test(loop, guest_runs_ahead_keep_the_serial_order);
    tcase_set_timeout(loop, 60);
    suite_add_tcase(s, loop);
    return s;
}
