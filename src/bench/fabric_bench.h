/* The fabric benchmark: an N-to-1 incast through one switch with the full switch and transport model. */
#ifndef VDC_BENCH_FABRIC_BENCH_H
#define VDC_BENCH_FABRIC_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/time.h"

struct fabric_bench_result {
    uint64_t events, data_packets, drops, pauses, ecn_marks, digest;
    vdc_time simulated;      /* virtual time when the last flow finished */
    double wall_seconds;
};

/* `senders` hosts each send `bytes` to one receiver at `rate` over links of `delay`, PFC, ECN and DCQCN on. */
bool vdc_bench_fabric_incast(uint32_t senders, uint64_t bytes, uint64_t rate, vdc_time delay, uint64_t seed,
                         struct fabric_bench_result *out, struct vdc_error *err);

#endif
