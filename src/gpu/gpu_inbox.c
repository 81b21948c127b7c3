/* A running launch's inbox: calls by (cycle, order of posting), run as the launch reaches their cycle. */
#include "gpu/gpu_inbox.h"

#include <stdbool.h>

void gpu_inbox_init(struct gpu_inbox *in)
{
    vdc_slot_pool_init(&in->entries, sizeof(struct gpu_inbox_entry));
    vdc_index_heap_init(&in->order);
    in->next_seq = 0;
}

void gpu_inbox_push(struct gpu_inbox *in, uint64_t cycle, gpu_run_call fn, void *ctx, uint64_t arg)
{
    uint32_t slot = vdc_slot_pool_take(&in->entries);
    uint64_t seq = in->next_seq++;
    *(struct gpu_inbox_entry *)vdc_slot_pool_at(&in->entries, slot) =
        (struct gpu_inbox_entry){.cycle = cycle, .seq = seq, .fn = fn, .ctx = ctx, .arg = arg};
    vdc_index_heap_push(&in->order, cycle, seq, slot);
}

static struct gpu_inbox_entry pop(struct gpu_inbox *in)
{
    uint32_t slot = vdc_index_heap_pop(&in->order);
    struct gpu_inbox_entry e = *(const struct gpu_inbox_entry *)vdc_slot_pool_at(&in->entries, slot);
    vdc_slot_pool_give(&in->entries, slot);
    return e;
}

void gpu_inbox_run_due(struct gpu_inbox *in, uint64_t cycle)
{
    /* A call may post more (a read's reply is the caller's business, not the inbox's): pop before calling. */
    while (gpu_inbox_next_cycle(in) <= cycle) {
        struct gpu_inbox_entry e = pop(in);
        e.fn(e.ctx, e.arg, e.cycle);
    }
}

void gpu_inbox_return_all(struct gpu_inbox *in)
{
    while (!vdc_index_heap_empty(&in->order)) {
        struct gpu_inbox_entry e = pop(in);
        e.fn(e.ctx, e.arg, GPU_CYCLE_NONE);
    }
}

void gpu_inbox_free(struct gpu_inbox *in)
{
    vdc_slot_pool_free(&in->entries);
    vdc_index_heap_free(&in->order);
}
