/* A running launch's inbox: calls that something outside the SMs (a peer GPU's write or read, a copy engine) asks
 * to run at a cycle of the launch, kept in (cycle, order of posting) order. */
#ifndef VDC_GPU_GPU_INBOX_H
#define VDC_GPU_GPU_INBOX_H

#include <stdint.h>

#include "common/index_heap.h"
#include "common/slot_pool.h"
#include "gpu/gpu.h"

struct gpu_inbox_entry {
    uint64_t cycle, seq;
    gpu_run_call fn;
    void *ctx;
    uint64_t arg;
};

struct gpu_inbox {
    struct vdc_slot_pool entries; /* struct gpu_inbox_entry */
    struct vdc_index_heap order;  /* their indexes by (cycle, seq) */
    uint64_t next_seq;
};

void gpu_inbox_init(struct gpu_inbox *in);
void gpu_inbox_push(struct gpu_inbox *in, uint64_t cycle, gpu_run_call fn, void *ctx, uint64_t arg);
/* Runs, in order, the calls due by `cycle` (each told the cycle it was due at). */
void gpu_inbox_run_due(struct gpu_inbox *in, uint64_t cycle);
/* Tells every call left that the launch ended before its cycle (GPU_CYCLE_NONE), in order, and empties the inbox. */
void gpu_inbox_return_all(struct gpu_inbox *in);
void gpu_inbox_free(struct gpu_inbox *in);

static inline uint64_t gpu_inbox_next_cycle(const struct gpu_inbox *in)
{
    return vdc_index_heap_top_time(&in->order);
}

#endif
