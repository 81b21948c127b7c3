/* The classic hold-model benchmark of the pending-event set. */
#ifndef VDC_BENCH_HOLD_H
#define VDC_BENCH_HOLD_H

#include <stdint.h>

struct hold_result {
    uint64_t events;
    uint64_t digest;
    double wall_seconds;
};

/* Fills the queue with `pending` events, then processes `events` events, each scheduling one successor
 * a uniformly random 0..2*mean_gap later (mean_gap = pending ns, so the queue's density stays fixed). */
struct hold_result hold_run(uint64_t pending, uint64_t events, uint64_t seed);

#endif
