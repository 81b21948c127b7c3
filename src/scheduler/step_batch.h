/* Step events due at one time, advanced together (sim.h, vdc_event_advance): each item's advance touches only its
 * entity, so they may run on several threads; what they schedule or log is held per item until the loop takes it,
 * in key order, so the run is the same on any number of threads. */
#ifndef VDC_SCHEDULER_STEP_BATCH_H
#define VDC_SCHEDULER_STEP_BATCH_H

#include <stdbool.h>
#include <stdio.h>

#include "scheduler/event.h"

struct vdc_entity;

/* A call an advance held back: it touches state beyond its entity's, so it runs on the loop's thread. */
struct vdc_step_call {
    void (*run)(void *context, uint64_t arg);
    void *context;
    uint64_t arg;
};

/* One step event of a batch and what its advance held back. */
struct vdc_step_item {
    struct vdc_entity *target;
    struct vdc_event ev;
    struct vdc_event *scheduled; /* events the advance scheduled */
    uint32_t scheduled_count, scheduled_capacity;
    struct vdc_step_call *calls; /* calls the advance held, in the order it made them */
    uint32_t call_count, call_capacity;
    FILE *log;                   /* where the held text goes (one log per item: a device's) */
    char *text;                  /* held log text, NUL-terminated */
    size_t text_length, text_capacity;
};

/* The item whose advance runs on this thread, NULL outside advances. */
extern _Thread_local struct vdc_step_item *vdc_step_current;

struct vdc_step_batch *vdc_step_batch_create(unsigned threads);
void vdc_step_batch_free(struct vdc_step_batch *b);

/* Empties the batch. */
void vdc_step_batch_clear(struct vdc_step_batch *b);
/* Adds an event (its target's advance to run); false, adding nothing, when the target already has one here. */
bool vdc_step_batch_add(struct vdc_step_batch *b, struct vdc_entity *target, const struct vdc_event *ev);
uint32_t vdc_step_batch_count(const struct vdc_step_batch *b);
struct vdc_step_item *vdc_step_batch_item(struct vdc_step_batch *b, uint32_t i);

/* Runs the advances of every item (on the batch's threads when there are several items and threads). */
void vdc_step_batch_advance(struct vdc_step_batch *b);

void vdc_step_item_add_event(struct vdc_step_item *it, const struct vdc_event *ev);

/* Holds an event scheduled by the current advance; false outside advances (schedule it now). */
static inline bool vdc_step_hold_event(const struct vdc_event *ev)
{
    struct vdc_step_item *it = vdc_step_current;
    if (__builtin_expect(it == NULL, 1))
        return false;
    vdc_step_item_add_event(it, ev);
    return true;
}

/* Holds a line for `log` written by the current advance; false outside advances (write it now). */
bool vdc_step_hold_text(FILE *log, const char *text);

/* Holds `run(context, arg)` for the loop's thread, where it runs after the batch's advances, in the batch's key
 * order, before the item's handler; false outside advances (call it now). For an advance's action on state that
 * other entities' advances may use at the same time (handing a peer's record back to it). */
bool vdc_step_hold_call(void (*run)(void *context, uint64_t arg), void *context, uint64_t arg);

/* Writes an item's held text to its log and forgets it. */
void vdc_step_item_flush_text(struct vdc_step_item *it);
/* Runs an item's held calls and forgets them. */
void vdc_step_item_run_calls(struct vdc_step_item *it);

#endif
