/* Step advances of one time on a small pool of threads (step_batch.h). The pool's workers sleep on a condition
 * between batches; within a batch thread t, the loop's being 0, advances items t, t + threads, ...: the same
 * entity (a GPU, whose events come in the same order batch after batch) mostly on the same thread, so that its state
 * stays in that core's caches. */
#include "scheduler/step_batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "scheduler/sim.h"

_Thread_local struct vdc_step_item *vdc_step_current;

struct vdc_step_batch {
    struct vdc_step_item *items;
    uint32_t count, capacity;
    unsigned threads; /* the loop's and the workers' */
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t start, finished;
    uint64_t generation; /* one per batch handed to the workers */
    unsigned working;    /* workers not yet done with the current generation */
    bool quit;
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

/* Thread `index`'s items. Which thread runs which item changes nothing: each touches its own entity. */
static void take_items(struct vdc_step_batch *b, unsigned index)
{
    for (uint32_t i = index; i < b->count; i += b->threads)
        advance_item(&b->items[i]);
}

static void *worker(void *arg)
{
    const struct step_worker *role = arg;
    struct vdc_step_batch *b = role->batch;
    uint64_t seen = 0;
    pthread_mutex_lock(&b->lock);
    for (;;) {
        while (!b->quit && b->generation == seen)
            pthread_cond_wait(&b->start, &b->lock);
        if (b->quit)
            break;
        seen = b->generation;
        pthread_mutex_unlock(&b->lock);
        take_items(b, role->index);
        pthread_mutex_lock(&b->lock);
        if (--b->working == 0)
            pthread_cond_signal(&b->finished);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

struct vdc_step_batch *vdc_step_batch_create(unsigned threads)
{
    struct vdc_step_batch *b = vdc_xcalloc(1, sizeof *b);
    b->threads = threads > 0 ? threads : 1;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->start, NULL);
    pthread_cond_init(&b->finished, NULL);
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
    b->quit = true;
    pthread_cond_broadcast(&b->start);
    pthread_mutex_unlock(&b->lock);
    for (unsigned i = 0; i + 1 < b->threads; i++)
        pthread_join(b->workers[i], NULL);
    for (uint32_t i = 0; i < b->capacity; i++) {
        free(b->items[i].scheduled);
        free(b->items[i].text);
    }
    free(b->items);
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

bool vdc_step_batch_add(struct vdc_step_batch *b, struct vdc_entity *target, const struct vdc_event *ev)
{
    for (uint32_t i = 0; i < b->count; i++)
        if (b->items[i].target == target)
            return false;
    if (b->count == b->capacity) {
        uint32_t grown = b->capacity ? 2 * b->capacity : 16;
        b->items = vdc_xrealloc(b->items, grown, sizeof *b->items);
        memset(b->items + b->capacity, 0, (grown - b->capacity) * sizeof *b->items);
        b->capacity = grown;
    }
    struct vdc_step_item *it = &b->items[b->count++];
    it->target = target;
    it->ev = *ev;
    it->scheduled_count = 0;
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

void vdc_step_batch_advance(struct vdc_step_batch *b)
{
    if (b->threads < 2 || b->count < 2) {
        for (uint32_t i = 0; i < b->count; i++)
            advance_item(&b->items[i]);
        return;
    }
    pthread_mutex_lock(&b->lock);
    b->working = b->threads - 1;
    b->generation++;
    pthread_cond_broadcast(&b->start);
    pthread_mutex_unlock(&b->lock);
    take_items(b, 0);
    pthread_mutex_lock(&b->lock);
    while (b->working > 0)
        pthread_cond_wait(&b->finished, &b->lock);
    pthread_mutex_unlock(&b->lock);
}
