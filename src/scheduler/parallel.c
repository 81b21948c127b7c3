/* Parallel runs: conservative windows of the lookahead, one thread per partition, a digest folded in key order. */
#include "scheduler/parallel.h"

#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/error.h"

/* What a partition's events would have folded into the digest: each event's three values (fold == false, the
 * target and kind in `value`) and each model value folded while it ran (fold == true), under the event's key. */
struct digest_entry {
    vdc_time time;
    uint64_t order;
    uint64_t value;
    uint64_t fold;
};

struct digest_log {
    struct digest_entry *items;
    size_t len, cap;
};

struct event_list {
    struct vdc_event *items;
    size_t len, cap;
};

struct vdc_parallel;

struct vdc_partition {
    struct vdc_sim sim;                              /* its clock and queue; entities shared with the main sim */
    struct vdc_parallel *run;
    unsigned index;
    struct event_list outbox[VDC_PARTITIONS_MAX];    /* events for other partitions, scheduled in this window */
    struct digest_log log;                           /* this window's digest entries */
    /* its least pending key, published between windows */
    bool has_next;
    vdc_time next_time;
    uint64_t next_order;
    pthread_t thread;
} __attribute__((aligned(64)));

struct vdc_parallel {
    struct vdc_sim *main;                            /* holds the global entities' events and the digest */
    const struct vdc_partition_plan *plan;
    vdc_time until;
    struct vdc_partition *parts;
    /* the global entities' least pending key, published by the first thread */
    bool global_has_next;
    vdc_time global_time;
    uint64_t global_order;
    uint64_t next_progress;       /* the count of events at which the main sim's progress report is next due */
    _Alignas(64) atomic_uint arrived;
    _Alignas(64) atomic_uint generation;
};

static bool key_before(vdc_time t1, uint64_t o1, vdc_time t2, uint64_t o2)
{
    return t1 < t2 || (t1 == t2 && o1 < o2);
}

/* An entry goes to memory with streaming stores: the first thread reads the log next, and a plain store would first
 * fetch the line back from that thread's cache, once every two entries. */
static void log_append(struct digest_log *log, vdc_time time, uint64_t order, uint64_t value, bool fold)
{
    if (log->len == log->cap) { /* entries on whole lines, which the streaming stores fill */
        size_t cap = log->cap ? 2 * log->cap : 1024;
        log->items = vdc_xrealloc_lines(log->items, log->len, cap, sizeof *log->items);
        log->cap = cap;
    }
#if defined(__SSE2__)
    __m128i *at = (__m128i *)&log->items[log->len++];
    _mm_stream_si128(at, _mm_set_epi64x((long long)order, (long long)time));
    _mm_stream_si128(at + 1, _mm_set_epi64x((long long)fold, (long long)value));
#else
    log->items[log->len++] = (struct digest_entry){time, order, value, fold};
#endif
}

static void list_append(struct event_list *list, const struct vdc_event *ev)
{
    if (list->len == list->cap) {
        list->cap = list->cap ? 2 * list->cap : 256;
        list->items = vdc_xrealloc(list->items, list->cap, sizeof *list->items);
    }
    list->items[list->len++] = *ev;
}

void vdc_partition_schedule(struct vdc_partition *partition, const struct vdc_event *ev)
{
    const struct vdc_partition_plan *plan = partition->run->plan;
    unsigned to = plan->part_of[ev->target];
    if (to == partition->index) {
        vdc_event_queue_push(&partition->sim.queue, ev);
        return;
    }
    /* The plan's promise, which makes the run deterministic: nothing crosses within the lookahead. */
    assert(to != VDC_PARTITION_GLOBAL);
    assert(ev->time >= vdc_time_add(partition->sim.now, plan->lookahead));
    list_append(&partition->outbox[to], ev);
}

void vdc_partition_note_event(struct vdc_partition *partition, const struct vdc_event *ev)
{
    log_append(&partition->log, ev->time, ev->order, ((uint64_t)ev->target << 32) | ev->kind, false);
}

void vdc_partition_note_fold(struct vdc_partition *partition, uint64_t value)
{
    log_append(&partition->log, partition->sim.now, partition->sim.current_order, value, true);
}

/* All threads meet; the last to arrive releases the others. Waiting spins briefly, then yields the core (a busy
 * host may have given the other thread's core to someone else). */
static void barrier(struct vdc_parallel *run)
{
    unsigned generation = atomic_load_explicit(&run->generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&run->arrived, 1, memory_order_acq_rel) + 1 == run->plan->count) {
        atomic_store_explicit(&run->arrived, 0, memory_order_relaxed);
        atomic_store_explicit(&run->generation, generation + 1, memory_order_release);
        return;
    }
    unsigned spins = 0;
    while (atomic_load_explicit(&run->generation, memory_order_acquire) == generation) {
        if (++spins >= 4096)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
}

static void publish_next(struct vdc_partition *p)
{
    const struct vdc_event *next = vdc_event_queue_peek(&p->sim.queue);
    p->has_next = next != NULL;
    if (next != NULL) {
        p->next_time = next->time;
        p->next_order = next->order;
    }
}

static void publish_global(struct vdc_parallel *run)
{
    const struct vdc_event *next = vdc_event_queue_peek(&run->main->queue);
    run->global_has_next = next != NULL;
    if (next != NULL) {
        /* Global entities schedule only for one another: an event of theirs for a partition would sit here. */
        assert(run->plan->part_of[next->target] == VDC_PARTITION_GLOBAL);
        run->global_time = next->time;
        run->global_order = next->order;
    }
}

/* Moves the events other partitions scheduled for this one into its queue. */
static void take_inbound(struct vdc_partition *p)
{
    struct vdc_parallel *run = p->run;
    for (unsigned from = 0; from < run->plan->count; from++) {
        struct event_list *list = &run->parts[from].outbox[p->index];
        for (size_t i = 0; i < list->len; i++) {
            const struct vdc_event *ev = &list->items[i];
            /* What the event will read was last written by the other thread: ask for it now, all at once, rather
             * than one miss at a time when each event runs. */
            const struct vdc_entity *target = p->sim.entities[ev->target];
            if (target->prefetch != NULL)
                target->prefetch(target, ev);
            vdc_event_queue_push(&p->sim.queue, ev);
        }
        list->len = 0;
    }
}

/* Folds the window's digest entries of every partition in key order: what a serial run folds, in its order (keys are
 * unique, so an event's entries are the run of equal keys in its own partition's log). */
static void fold_logs(struct vdc_parallel *run)
{
    unsigned count = run->plan->count;
    size_t at[VDC_PARTITIONS_MAX] = {0};
    uint64_t *digest = &run->main->digest;
    for (;;) {
        int best = -1;
        for (unsigned i = 0; i < count; i++) {
            const struct digest_log *log = &run->parts[i].log;
            if (at[i] == log->len)
                continue;
            const struct digest_entry *e = &log->items[at[i]];
            if (best < 0) {
                best = (int)i;
                continue;
            }
            const struct digest_entry *b = &run->parts[best].log.items[at[best]];
            if (key_before(e->time, e->order, b->time, b->order))
                best = (int)i;
        }
        if (best < 0)
            break;
        const struct digest_log *log = &run->parts[best].log;
        const struct digest_entry *first = &log->items[at[best]];
        vdc_time time = first->time;
        uint64_t order = first->order;
        do {
            const struct digest_entry *e = &log->items[at[best]++];
            if (e->fold) {
                vdc_digest_mix(digest, e->value);
            } else {
                vdc_digest_mix(digest, e->time);
                vdc_digest_mix(digest, e->order);
                vdc_digest_mix(digest, e->value);
            }
        } while (at[best] < log->len && log->items[at[best]].time == time && log->items[at[best]].order == order);
    }
    for (unsigned i = 0; i < count; i++)
        run->parts[i].log.len = 0;
}

/* The main sim's progress report, between windows (the partitions wait), with the run's counts so far. */
static void report_progress(struct vdc_parallel *run)
{
    struct vdc_sim *main = run->main;
    if (main->progress == NULL)
        return;
    uint64_t events = main->events_processed;
    vdc_time now = main->now;
    for (unsigned i = 0; i < run->plan->count; i++) {
        events += run->parts[i].sim.events_processed;
        now = run->parts[i].sim.now > now ? run->parts[i].sim.now : now;
    }
    if (events < run->next_progress)
        return;
    run->next_progress = events + main->progress_every;
    uint64_t own_events = main->events_processed;
    vdc_time own_now = main->now;
    main->events_processed = events;
    main->now = now;
    main->progress(main, main->progress_context);
    main->events_processed = own_events;
    main->now = own_now;
}

/* What every thread decides alike from the published keys: whether the run is over, whether the global entities go
 * first, and otherwise the key below which the partitions run this window. */
enum step { STEP_DONE, STEP_GLOBAL, STEP_WINDOW };

static enum step decide(const struct vdc_parallel *run, vdc_time *bound_time, uint64_t *bound_order)
{
    bool any = false;
    vdc_time least_time = 0;
    uint64_t least_order = 0;
    for (unsigned i = 0; i < run->plan->count; i++) {
        const struct vdc_partition *p = &run->parts[i];
        if (p->has_next && (!any || key_before(p->next_time, p->next_order, least_time, least_order))) {
            any = true;
            least_time = p->next_time;
            least_order = p->next_order;
        }
    }
    bool global_first =
        run->global_has_next && (!any || key_before(run->global_time, run->global_order, least_time, least_order));
    vdc_time first = global_first ? run->global_time : least_time;
    if ((!any && !run->global_has_next) || first > run->until)
        return STEP_DONE;
    if (global_first) {
        *bound_time = any ? least_time : VDC_TIME_MAX;
        *bound_order = any ? least_order : UINT64_MAX;
        return STEP_GLOBAL;
    }
    *bound_time = vdc_time_add(least_time, run->plan->lookahead);
    *bound_order = 0;
    if (run->global_has_next && key_before(run->global_time, run->global_order, *bound_time, *bound_order)) {
        *bound_time = run->global_time;
        *bound_order = run->global_order;
    }
    if (run->until < VDC_TIME_MAX && key_before(run->until + 1, 0, *bound_time, *bound_order)) {
        *bound_time = run->until + 1;
        *bound_order = 0;
    }
    return STEP_WINDOW;
}

static void run_partition(struct vdc_partition *p)
{
    struct vdc_parallel *run = p->run;
    bool first_thread = p->index == 0;
    for (;;) {
        vdc_time bound_time;
        uint64_t bound_order;
        enum step step = decide(run, &bound_time, &bound_order);
        if (step == STEP_DONE)
            break;
        if (step == STEP_GLOBAL) {
            /* The global entities' events up to the partitions' least (or `until`), the partitions waiting; once
             * every thread has decided, as they change what the decision reads. */
            barrier(run);
            if (first_thread) {
                struct vdc_sim *main = run->main;
                if (run->until < VDC_TIME_MAX && key_before(run->until + 1, 0, bound_time, bound_order)) {
                    bound_time = run->until + 1;
                    bound_order = 0;
                }
                vdc_sim_run_before(main, bound_time, bound_order);
                publish_global(run);
            }
            barrier(run);
            continue;
        }
        vdc_sim_run_before(&p->sim, bound_time, bound_order);
#if defined(__SSE2__)
        _mm_sfence(); /* the log's streaming stores, before the first thread reads them */
#endif
        barrier(run);
        take_inbound(p);
        publish_next(p);
        if (first_thread) {
            report_progress(run);
            fold_logs(run);
            publish_global(run);
        }
        barrier(run);
    }
}

static void *partition_thread(void *context)
{
    run_partition(context);
    return NULL;
}

enum vdc_run_end vdc_sim_run_parallel(struct vdc_sim *sim, vdc_time until, const struct vdc_partition_plan *plan)
{
    assert(plan->count >= 2 && plan->count <= VDC_PARTITIONS_MAX && plan->lookahead > 0);
    assert(sim->partition == NULL);
    struct vdc_parallel run = {.main = sim, .plan = plan, .until = until};
    run.next_progress = sim->events_processed + sim->progress_every;
    atomic_init(&run.arrived, 0);
    atomic_init(&run.generation, 0);
    run.parts = aligned_alloc(64, plan->count * sizeof *run.parts);
    if (run.parts == NULL)
        vdc_die("out of memory for %u partitions", plan->count);
    memset(run.parts, 0, plan->count * sizeof *run.parts);
    for (unsigned i = 0; i < plan->count; i++) {
        struct vdc_partition *p = &run.parts[i];
        p->run = &run;
        p->index = i;
        p->sim.now = sim->now;
        p->sim.seed = sim->seed;
        p->sim.entities = sim->entities;
        p->sim.entity_slots = sim->entity_slots;
        p->sim.entity_count = sim->entity_count;
        p->sim.partition = p;
        vdc_event_queue_init(&p->sim.queue);
    }
    /* Each entity runs in its partition's sim; the pending events go to their target's partition. */
    for (uint32_t i = 0; i < sim->entity_count; i++) {
        uint32_t id = sim->created_ids[i];
        if (plan->part_of[id] != VDC_PARTITION_GLOBAL) {
            assert(plan->part_of[id] < plan->count);
            sim->entities[id]->sim = &run.parts[plan->part_of[id]].sim;
        }
    }
    struct vdc_event_queue global;
    vdc_event_queue_init(&global);
    struct vdc_event ev;
    while (vdc_event_queue_pop(&sim->queue, &ev)) {
        unsigned to = plan->part_of[ev.target];
        vdc_event_queue_push(to == VDC_PARTITION_GLOBAL ? &global : &run.parts[to].sim.queue, &ev);
    }
    while (vdc_event_queue_pop(&global, &ev))
        vdc_event_queue_push(&sim->queue, &ev);
    vdc_event_queue_free(&global);
    for (unsigned i = 0; i < plan->count; i++)
        publish_next(&run.parts[i]);
    publish_global(&run);

    for (unsigned i = 1; i < plan->count; i++) {
        if (pthread_create(&run.parts[i].thread, NULL, partition_thread, &run.parts[i]) != 0)
            vdc_die("cannot start a thread for partition %u of a parallel run; run with one thread", i);
    }
    run_partition(&run.parts[0]);
    for (unsigned i = 1; i < plan->count; i++)
        pthread_join(run.parts[i].thread, NULL);

    /* Back to one sim: the entities, what is still pending, the clock and the counts. */
    bool pending = vdc_event_queue_size(&sim->queue) > 0;
    vdc_time last = sim->now;
    for (unsigned i = 0; i < plan->count; i++) {
        struct vdc_partition *p = &run.parts[i];
        while (vdc_event_queue_pop(&p->sim.queue, &ev)) {
            vdc_event_queue_push(&sim->queue, &ev);
            pending = true;
        }
        last = p->sim.now > last ? p->sim.now : last;
        sim->events_processed += p->sim.events_processed;
        vdc_event_queue_free(&p->sim.queue);
        free(p->log.items);
        for (unsigned j = 0; j < plan->count; j++)
            free(p->outbox[j].items);
    }
    for (uint32_t i = 0; i < sim->entity_count; i++)
        sim->entities[sim->created_ids[i]]->sim = sim;
    free(run.parts);
    sim->now = pending ? until : last;
    return pending ? VDC_RUN_TIME_REACHED : VDC_RUN_IDLE;
}
