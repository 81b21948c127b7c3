/* A running launch's inbox: calls that something outside the SMs (a peer GPU's write or read, a copy engine) asks
 * to run at a cycle of the launch, kept in (cycle, order of posting) order. */
#ifndef VDC_GPU_GPU_INBOX_H
#define VDC_GPU_GPU_INBOX_H

#include <stdint.h>

#include "gpu/gpu.h"

struct gpu_inbox_entry {
    uint64_t cycle, seq;
    gpu_run_call fn;
    void *ctx;
    uint64_t arg;
};

struct gpu_inbox {
    struct gpu_inbox_entry *heap;
    uint32_t count, capacity;
    uint64_t next_seq;
};

void gpu_inbox_push(struct gpu_inbox *in, uint64_t cycle, gpu_run_call fn, void *ctx, uint64_t arg);
/* Runs, in order, the calls due by `cycle` (each told the cycle it was due at). */
void gpu_inbox_run_due(struct gpu_inbox *in, uint64_t cycle);
/* Tells every call left that the launch ended before its cycle (GPU_CYCLE_NONE), in order, and empties the inbox. */
void gpu_inbox_return_all(struct gpu_inbox *in);
void gpu_inbox_free(struct gpu_inbox *in);

static inline uint64_t gpu_inbox_next_cycle(const struct gpu_inbox *in)
{
    return in->count > 0 ? in->heap[0].cycle : UINT64_MAX;
}

#endif
