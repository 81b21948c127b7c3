/* The classic hold-model benchmark of the pending-event set. */
#ifndef VDC_BENCH_HOLD_H
#define VDC_BENCH_HOLD_H

#include <stdint.h>

struct hold_result {
    uint64_t events;
    uint64_t digest;
    double wall_seconds;
};

/* Fills the queue with `pending` events; each processed event schedules one successor a uniformly random
 * 0..2*pending ns later, so the queue's size and density stay fixed. After `pending` untimed warm-up
 * events, times `events` events. */
struct hold_result vdc_bench_hold_run(uint64_t pending, uint64_t events, uint64_t seed);

#endif
