/* Step advances of one time on a small pool of threads (step_batch.h). Between batches the pool's workers look for
 * the next one for a while, then sleep on a condition; the loop's thread waits for them the same way. Which thread
 * advances which item changes nothing simulated (each touches its own entity), only how long the batch takes: the
 * batch lasts as long as its busiest thread, and the items' costs differ from batch to batch (a GPU reducing while
 * another waits for its data), so the loop plans each batch from what each item's target cost the last time (the
 * longest first, each to the thread with the least planned so far, a tie to the thread that ran it before so that its
 * state is still in that core's caches), and a thread done with its own list takes what is left of the others', from
 * their ends (the cheapest). The loop never waits for a worker that has not begun: it takes whatever no worker has
 * taken, and a worker that comes late finds the batch closed. So handing a batch over costs the loop only opening it
 * while the workers look for one, and the call that wakes them while they sleep: a batch planned to cost less than
 * twice that call is run by the loop's thread alone when they sleep. */
#include "scheduler/step_batch.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/spin.h"
#include "common/wall_clock.h"
#include "scheduler/sim.h"

_Thread_local struct vdc_step_item *vdc_step_current;

/* What a target's advance cost the last time it ran (host seconds) and on which thread: the next plan's guess. The
 * host's clock decides only where an advance runs, never what it computes. */
struct advance_cost {
    const struct vdc_entity *target;
    double seconds;
    unsigned thread;
};

/* One thread's planned items, by index, the costliest first. */
struct plan_list {
    uint32_t *items;
    uint32_t count;
};

struct vdc_step_batch {
    struct vdc_step_item *items;
    uint32_t count, capacity;
    unsigned threads; /* the loop's and the workers' */
    uint32_t *cost_of;          /* per item, its target's place in `known` */
    uint32_t *claimed;          /* per item: nonzero once a thread has taken it */
    uint32_t *order;            /* scratch: the items, dearest first */
    struct advance_cost *known; /* every target seen, in the order first seen */
    uint32_t known_count, known_capacity;
    struct plan_list *plans;    /* per thread */
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t start, finished;
    /* The hand-over: written by one side and looked at by the other while it spins (on lines of their own), so that
     * a batch mostly starts and ends without a system call; `lock` and the conditions serve a side that sleeps.
     * `generation` is odd while a batch is open to the workers and even once the loop has closed it: a worker
     * counts itself in `busy` before it looks at an open batch's items, and the loop, having closed one, waits for
     * `busy` to fall to zero before it touches them again, so a worker that wakes late finds nothing, and the loop
     * never waits for a worker that has not begun. */
    _Alignas(64) _Atomic uint64_t generation;
    _Atomic unsigned sleepers;                /* workers asleep on `start` */
    _Atomic bool quit;
    _Alignas(64) _Atomic uint32_t done;       /* items of the open batch advanced */
    _Atomic unsigned busy;                    /* workers looking at the open batch */
    _Atomic bool loop_sleeping;               /* the loop's thread asleep on `finished` */
    _Alignas(64) double wake_call_seconds;    /* a running mean of what waking sleeping workers costs the loop */
    int spins;           /* SPINS, or 0 with fewer cores than threads */
    struct step_worker {
        struct vdc_step_batch *batch;
        unsigned index; /* 1 and up */
    } *roles;
};

void vdc_step_item_add_event(struct vdc_step_item *it, const struct vdc_event *ev)
{
    if (it->scheduled_count == it->scheduled_capacity) {
        it->scheduled_capacity = it->scheduled_capacity ? 2 * it->scheduled_capacity : 16;
        it->scheduled = vdc_xrealloc(it->scheduled, it->scheduled_capacity, sizeof *it->scheduled);
    }
    it->scheduled[it->scheduled_count++] = *ev;
}

bool vdc_step_hold_text(FILE *log, const char *text)
{
    struct vdc_step_item *it = vdc_step_current;
    if (it == NULL)
        return false;
    size_t n = strlen(text);
    if (it->text_length + n + 1 > it->text_capacity) {
        it->text_capacity = 2 * (it->text_length + n + 1);
        it->text = vdc_xrealloc(it->text, it->text_capacity, 1);
    }
    memcpy(it->text + it->text_length, text, n + 1);
    it->text_length += n;
    it->log = log;
    return true;
}

bool vdc_step_hold_call(void (*run)(void *context, uint64_t arg), void *context, uint64_t arg)
{
    struct vdc_step_item *it = vdc_step_current;
    if (it == NULL)
        return false;
    if (it->call_count == it->call_capacity) {
        it->call_capacity = it->call_capacity ? 2 * it->call_capacity : 16;
        it->calls = vdc_xrealloc(it->calls, it->call_capacity, sizeof *it->calls);
    }
    it->calls[it->call_count++] = (struct vdc_step_call){.run = run, .context = context, .arg = arg};
    return true;
}

void vdc_step_item_run_calls(struct vdc_step_item *it)
{
    for (uint32_t i = 0; i < it->call_count; i++)
        it->calls[i].run(it->calls[i].context, it->calls[i].arg);
    it->call_count = 0;
}

void vdc_step_item_flush_text(struct vdc_step_item *it)
{
    if (it->text_length > 0 && it->log != NULL)
        fputs(it->text, it->log);
    it->text_length = 0;
}

static void advance_item(struct vdc_step_item *it)
{
    vdc_step_current = it;
    it->target->advance(it->target, &it->ev);
    vdc_step_current = NULL;
}

static void advance_claimed(struct vdc_step_batch *b, uint32_t i, unsigned thread)
{
    if (__atomic_exchange_n(&b->claimed[i], 1, __ATOMIC_ACQ_REL) != 0)
        return; /* another thread has it */
    double start = vdc_wall_seconds();
    advance_item(&b->items[i]);
    struct advance_cost *cost = &b->known[b->cost_of[i]];
    cost->seconds = vdc_wall_seconds() - start;
    cost->thread = thread;
    /* The last item done wakes the loop's thread if it sleeps: the thread set `loop_sleeping` before it looked at
     * `done` under the lock, so one of the two sees the other. */
    if (atomic_fetch_add(&b->done, 1) + 1 == b->count && thread != 0 && atomic_load(&b->loop_sleeping)) {
        pthread_mutex_lock(&b->lock);
        pthread_cond_signal(&b->finished);
        pthread_mutex_unlock(&b->lock);
    }
}

/* Thread `index`'s planned items, then what the other threads have not started, each list from its end. */
static void take_items(struct vdc_step_batch *b, unsigned index)
{
    const struct plan_list *own = &b->plans[index];
    for (uint32_t k = 0; k < own->count; k++)
        advance_claimed(b, own->items[k], index);
    for (unsigned other = 1; other < b->threads; other++) {
        const struct plan_list *theirs = &b->plans[(index + other) % b->threads];
        for (uint32_t k = theirs->count; k-- > 0;)
            advance_claimed(b, theirs->items[k], index);
    }
}

/* How long a worker looks for the next batch before it sleeps (pauses: about 1.6 ms here, several times the loop's
 * mean work between two batches, which grows to past 400 us when the machine is busy), so that a run of batches pays
 * no wake-up each (tens of microseconds here), and a run without them leaves the core to others; and how long the
 * loop's thread looks for the workers to be done before it sleeps until they are. None where the process has fewer
 * cores than threads: a spinning thread would hold the core another needs. */
#define SPINS 65536

/* Whether generation `now` is a batch open to the workers that this worker has not looked at yet. */
static bool new_open(uint64_t now, uint64_t seen)
{
    return (now & 1) != 0 && now != seen;
}

/* The next open generation after `seen`, or `seen` when the batch is being freed. */
static uint64_t wait_for_batch(struct vdc_step_batch *b, uint64_t seen)
{
    uint64_t now = atomic_load_explicit(&b->generation, memory_order_acquire);
    for (int spin = 0; !new_open(now, seen) && spin < b->spins && !atomic_load_explicit(&b->quit, memory_order_relaxed);
         spin++) {
        vdc_spin_pause();
        now = atomic_load_explicit(&b->generation, memory_order_acquire);
    }
    if (new_open(now, seen))
        return now;
    pthread_mutex_lock(&b->lock);
    /* Counted before `generation` is read again: a loop that opens a batch after that read sees the sleeper and
     * wakes it (vdc_step_batch_advance). */
    atomic_fetch_add(&b->sleepers, 1);
    while (!atomic_load(&b->quit) && !new_open(now = atomic_load(&b->generation), seen))
        pthread_cond_wait(&b->start, &b->lock);
    atomic_fetch_sub(&b->sleepers, 1);
    pthread_mutex_unlock(&b->lock);
    return now;
}

static void *worker(void *arg)
{
    const struct step_worker *role = arg;
    struct vdc_step_batch *b = role->batch;
    uint64_t seen = 0;
    for (;;) {
        seen = wait_for_batch(b, seen);
        if (atomic_load(&b->quit))
            break;
        /* Counted first, then the batch looked at only if still open: the loop closes it and then waits for
         * `busy`, so either it sees this worker or this worker sees it closed. */
        atomic_fetch_add(&b->busy, 1);
        if (atomic_load(&b->generation) == seen)
            take_items(b, role->index);
        atomic_fetch_sub(&b->busy, 1);
    }
    return NULL;
}

struct vdc_step_batch *vdc_step_batch_create(unsigned threads)
{
    struct vdc_step_batch *b = vdc_xcalloc_lines(1, sizeof *b); /* its hand-over's lines are its own */
    b->threads = threads > 0 ? threads : 1;
    cpu_set_t cores;
    b->spins = sched_getaffinity(0, sizeof cores, &cores) == 0 && CPU_COUNT(&cores) >= (int)b->threads ? SPINS : 0;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->start, NULL);
    pthread_cond_init(&b->finished, NULL);
    b->plans = vdc_xcalloc(b->threads, sizeof *b->plans);
    if (b->threads > 1) {
        b->workers = vdc_xcalloc(b->threads - 1, sizeof *b->workers);
        b->roles = vdc_xcalloc(b->threads - 1, sizeof *b->roles);
        for (unsigned i = 0; i + 1 < b->threads; i++) {
            b->roles[i] = (struct step_worker){.batch = b, .index = i + 1};
            if (pthread_create(&b->workers[i], NULL, worker, &b->roles[i]) != 0)
                vdc_die("cannot start a thread for GPU windows; run with run.threads=1");
        }
    }
    return b;
}

void vdc_step_batch_free(struct vdc_step_batch *b)
{
    if (b == NULL)
        return;
    pthread_mutex_lock(&b->lock);
    atomic_store(&b->quit, true);
    pthread_cond_broadcast(&b->start);
    pthread_mutex_unlock(&b->lock);
    for (unsigned i = 0; i + 1 < b->threads; i++)
        pthread_join(b->workers[i], NULL);
    for (uint32_t i = 0; i < b->capacity; i++) {
        free(b->items[i].scheduled);
        free(b->items[i].calls);
        free(b->items[i].text);
    }
    free(b->items);
    free(b->cost_of);
    free(b->claimed);
    free(b->order);
    free(b->known);
    for (unsigned t = 0; b->plans != NULL && t < b->threads; t++)
        free(b->plans[t].items);
    free(b->plans);
    free(b->workers);
    free(b->roles);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->start);
    pthread_cond_destroy(&b->finished);
    free(b);
}

void vdc_step_batch_clear(struct vdc_step_batch *b)
{
    b->count = 0;
}

/* The place of `target`'s costs in `known`, added unknown (no cost yet) on its first batch. Items mostly come in the
 * same order batch after batch, so the place is first looked for at the item's own index. */
static uint32_t cost_place(struct vdc_step_batch *b, const struct vdc_entity *target, uint32_t hint)
{
    if (hint < b->known_count && b->known[hint].target == target)
        return hint;
    for (uint32_t k = 0; k < b->known_count; k++)
        if (b->known[k].target == target)
            return k;
    if (b->known_count == b->known_capacity) {
        b->known_capacity = b->known_capacity ? 2 * b->known_capacity : 16;
        b->known = vdc_xrealloc(b->known, b->known_capacity, sizeof *b->known);
    }
    b->known[b->known_count] = (struct advance_cost){.target = target, .seconds = 0, .thread = 0};
    return b->known_count++;
}

bool vdc_step_batch_add(struct vdc_step_batch *b, struct vdc_entity *target, const struct vdc_event *ev)
{
    for (uint32_t i = 0; i < b->count; i++)
        if (b->items[i].target == target)
            return false;
    if (b->count == b->capacity) {
        uint32_t grown = b->capacity ? 2 * b->capacity : 16;
        b->items = vdc_xrealloc(b->items, grown, sizeof *b->items);
        memset(b->items + b->capacity, 0, (grown - b->capacity) * sizeof *b->items);
        b->cost_of = vdc_xrealloc(b->cost_of, grown, sizeof *b->cost_of);
        b->claimed = vdc_xrealloc(b->claimed, grown, sizeof *b->claimed);
        b->order = vdc_xrealloc(b->order, grown, sizeof *b->order);
        for (unsigned t = 0; t < b->threads; t++)
            b->plans[t].items = vdc_xrealloc(b->plans[t].items, grown, sizeof *b->plans[t].items);
        b->capacity = grown;
    }
    b->cost_of[b->count] = cost_place(b, target, b->count);
    struct vdc_step_item *it = &b->items[b->count++];
    it->target = target;
    it->ev = *ev;
    it->scheduled_count = 0;
    it->call_count = 0;
    it->text_length = 0;
    it->log = NULL;
    return true;
}

uint32_t vdc_step_batch_count(const struct vdc_step_batch *b)
{
    return b->count;
}

struct vdc_step_item *vdc_step_batch_item(struct vdc_step_batch *b, uint32_t i)
{
    return &b->items[i];
}

/* What item i's advance is expected to cost: its target's last cost, or for a target never seen the dearest of the
 * batch's known ones, so that new ones spread out. */
static double estimate(const struct vdc_step_batch *b, uint32_t i, double dearest)
{
    double seconds = b->known[b->cost_of[i]].seconds;
    return seconds > 0 ? seconds : dearest;
}

/* Each item to a thread's list (the header's comment); returns what the batch is expected to cost in all. */
static double plan(struct vdc_step_batch *b)
{
    double planned[b->threads];
    for (unsigned t = 0; t < b->threads; t++) {
        b->plans[t].count = 0;
        planned[t] = 0;
    }
    double dearest = 0, total = 0;
    for (uint32_t i = 0; i < b->count; i++)
        if (b->known[b->cost_of[i]].seconds > dearest)
            dearest = b->known[b->cost_of[i]].seconds;
    for (uint32_t i = 0; i < b->count; i++) { /* an insertion sort: a batch has a few items */
        double cost = estimate(b, i, dearest);
        uint32_t k = i;
        for (; k > 0 && estimate(b, b->order[k - 1], dearest) < cost; k--)
            b->order[k] = b->order[k - 1];
        b->order[k] = i;
    }
    for (uint32_t k = 0; k < b->count; k++) {
        uint32_t i = b->order[k];
        unsigned last = b->known[b->cost_of[i]].thread, best = last < b->threads ? last : 0;
        for (unsigned t = 0; t < b->threads; t++)
            if (planned[t] < planned[best])
                best = t;
        double cost = estimate(b, i, dearest);
        planned[best] += cost;
        total += cost;
        b->plans[best].items[b->plans[best].count++] = i;
        b->claimed[i] = 0;
    }
    return total;
}

void vdc_step_batch_advance(struct vdc_step_batch *b)
{
    if (b->threads < 2 || b->count < 2) {
        for (uint32_t i = 0; i < b->count; i++)
            advance_item(&b->items[i]);
        return;
    }
    atomic_store(&b->done, 0);
    bool asleep = atomic_load(&b->sleepers) > 0;
    if (plan(b) < 2 * b->wake_call_seconds && asleep) {
        for (uint32_t i = 0; i < b->count; i++)
            advance_claimed(b, i, 0);
        return;
    }
    /* After the plan and the items, which a worker reads once it sees the batch open; before `sleepers` is read: a
     * worker either sees it open or is counted asleep here and woken. */
    atomic_fetch_add(&b->generation, 1);
    if (atomic_load(&b->sleepers) > 0) {
        double call = vdc_wall_seconds();
        pthread_mutex_lock(&b->lock);
        pthread_cond_broadcast(&b->start);
        pthread_mutex_unlock(&b->lock);
        call = vdc_wall_seconds() - call;
        b->wake_call_seconds = b->wake_call_seconds == 0 ? call : 0.9 * b->wake_call_seconds + 0.1 * call;
    }
    take_items(b, 0);
    /* What is left is what a worker has begun. */
    for (int spin = 0; atomic_load_explicit(&b->done, memory_order_acquire) < b->count && spin < b->spins; spin++)
        vdc_spin_pause();
    if (atomic_load(&b->done) < b->count) {
        pthread_mutex_lock(&b->lock);
        atomic_store(&b->loop_sleeping, true);
        while (atomic_load(&b->done) < b->count)
            pthread_cond_wait(&b->finished, &b->lock);
        atomic_store(&b->loop_sleeping, false);
        pthread_mutex_unlock(&b->lock);
    }
    atomic_fetch_add(&b->generation, 1); /* closed */
    /* A worker still counted found every item taken and is leaving; one the host has just stopped gets the core. */
    for (unsigned spin = 0; atomic_load(&b->busy) > 0; spin++) {
        if (spin < 1024)
            vdc_spin_pause();
        else
            sched_yield();
    }
}
