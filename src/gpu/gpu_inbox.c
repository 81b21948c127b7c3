/* A running launch's inbox: a heap of calls by (cycle, order of posting), run as the launch reaches their cycle. */
#include "gpu/gpu_inbox.h"

#include <stdbool.h>
#include <stdlib.h>

#include "common/error.h"

static bool entry_before(const struct gpu_inbox_entry *a, const struct gpu_inbox_entry *b)
{
    return a->cycle < b->cycle || (a->cycle == b->cycle && a->seq < b->seq);
}

void gpu_inbox_push(struct gpu_inbox *in, uint64_t cycle, gpu_run_call fn, void *ctx, uint64_t arg)
{
    if (in->count == in->capacity) {
        in->capacity = in->capacity ? 2 * in->capacity : 64;
        in->heap = vdc_xrealloc(in->heap, in->capacity, sizeof *in->heap);
    }
    struct gpu_inbox_entry e = {.cycle = cycle, .seq = in->next_seq++, .fn = fn, .ctx = ctx, .arg = arg};
    uint32_t i = in->count++;
    while (i > 0 && entry_before(&e, &in->heap[(i - 1) / 2])) {
        in->heap[i] = in->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    in->heap[i] = e;
}

static struct gpu_inbox_entry pop(struct gpu_inbox *in)
{
    struct gpu_inbox_entry top = in->heap[0], last = in->heap[--in->count];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= in->count)
            break;
        if (c + 1 < in->count && entry_before(&in->heap[c + 1], &in->heap[c]))
            c++;
        if (!entry_before(&in->heap[c], &last))
            break;
        in->heap[i] = in->heap[c];
        i = c;
    }
    if (in->count > 0)
        in->heap[i] = last;
    return top;
}

void gpu_inbox_run_due(struct gpu_inbox *in, uint64_t cycle)
{
    /* A call may post more (a read's reply is the caller's business, not the inbox's): pop before calling. */
    while (in->count > 0 && in->heap[0].cycle <= cycle) {
        struct gpu_inbox_entry e = pop(in);
        e.fn(e.ctx, e.arg, e.cycle);
    }
}

void gpu_inbox_return_all(struct gpu_inbox *in)
{
    while (in->count > 0) {
        struct gpu_inbox_entry e = pop(in);
        e.fn(e.ctx, e.arg, GPU_CYCLE_NONE);
    }
}

void gpu_inbox_free(struct gpu_inbox *in)
{
    free(in->heap);
    in->heap = NULL;
    in->count = in->capacity = 0;
}
