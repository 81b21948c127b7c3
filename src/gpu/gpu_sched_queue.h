/* The launch's queue of warp schedulers waiting to issue, ordered by (cycle, scheduler id): a calendar of one bit
 * per scheduler for the cycles just ahead, and a heap for the rest. */
#ifndef VDC_DEVICES_HIGPU_GPU_SCHED_QUEUE_H
#define VDC_DEVICES_HIGPU_GPU_SCHED_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

/* Cycles the calendar covers from its base; entries outside go to the heap. A power of two. */
#define SCHED_CALENDAR_SLOTS 4096u

struct sched_entry {
    uint64_t time;
    uint32_t id;
};

struct sched_queue {
    uint32_t words;          /* 64-bit words per calendar slot */
    uint64_t base;           /* every calendar entry is at a cycle in [base, base + SCHED_CALENDAR_SLOTS) */
    uint64_t *bits;          /* per slot (cycle mod SCHED_CALENDAR_SLOTS): the schedulers queued for that cycle */
    uint64_t occupied[SCHED_CALENDAR_SLOTS / 64]; /* slots with any scheduler */
    uint64_t calendar_count;
    struct sched_entry *heap; /* entries in the past or beyond the calendar, ordered; may hold superseded ones */
    uint32_t heap_count, heap_capacity;
};

void gpu_sched_queue_init(struct sched_queue *q, uint32_t schedulers);
void gpu_sched_queue_free(struct sched_queue *q);
/* Queues scheduler `id` for cycle `time`. A scheduler has one live entry: the caller removes the old one first
 * (gpu_sched_queue_remove), or remembers which time is current and skips others when they are popped. */
void gpu_sched_queue_push(struct sched_queue *q, uint64_t time, uint32_t id);
/* Removes the calendar's entry for (time, id) if it holds one; heap entries are left to be skipped when popped. */
void gpu_sched_queue_remove(struct sched_queue *q, uint64_t time, uint32_t id);
/* The earliest entry, removed; false when the queue is empty. */
bool gpu_sched_queue_pop(struct sched_queue *q, struct sched_entry *out);
/* The calendar's first entry after (time, id) in queue order at a cycle up to `last_time`; false when there is
 * none. For looking ahead (prefetching), not for ordering: heap entries are not seen. */
bool gpu_sched_queue_next_after(const struct sched_queue *q, uint64_t time, uint32_t id, uint64_t last_time,
                                struct sched_entry *out);

#endif
