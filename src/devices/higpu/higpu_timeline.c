/* What reaches HiGPU's memory from outside its SMs, in the order of its time: HiLink peers' writes, requests and reds
 * (at their landing) and the copy engines' transfers (when their set-up is over). Each takes effect when the GPU
 * reaches its time: inside a running kernel at that cycle (the launch's inbox, fed window by window), else by the
 * compute engine's event at that time or, sooner, before a command that starts at or after it. Whether a kernel is
 * running when an entry's time comes does not depend on the window, so neither does anything here. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/higpu/higpu_internal.h"

static bool op_before(const void *ctx, uint32_t a, uint32_t b)
{
    const struct higpu *gpu = ctx;
    const struct higpu_memory_op *x = &gpu->memory_ops[a], *y = &gpu->memory_ops[b];
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

void higpu_timeline_init(struct higpu *gpu)
{
    vdc_index_heap_init(&gpu->memory_timeline, op_before, gpu);
}

static uint32_t op_new(struct higpu *gpu)
{
    if (gpu->memory_op_free_count > 0)
        return gpu->memory_op_free[--gpu->memory_op_free_count];
    if (gpu->memory_op_count == gpu->memory_op_capacity) {
        gpu->memory_op_capacity = gpu->memory_op_capacity ? 2 * gpu->memory_op_capacity : 64;
        gpu->memory_ops = vdc_xrealloc(gpu->memory_ops, gpu->memory_op_capacity, sizeof *gpu->memory_ops);
        gpu->memory_op_free = vdc_xrealloc(gpu->memory_op_free, gpu->memory_op_capacity,
                                           sizeof *gpu->memory_op_free);
    }
    return gpu->memory_op_count++;
}

static void op_free(struct higpu *gpu, uint32_t op)
{
    gpu->memory_op_free[gpu->memory_op_free_count++] = op;
}

/* Queued at `time`; `prompt` ones (a request to answer, a transfer whose guest side must move) get the engine's
 * event then, for when no kernel runs to take them. */
static void add(struct higpu *gpu, uint32_t op, vdc_time time, bool prompt)
{
    gpu->memory_ops[op].time = time;
    gpu->memory_ops[op].seq = gpu->memory_op_seq++;
    vdc_index_heap_push(&gpu->memory_timeline, op);
    if (prompt)
        vdc_schedule_at(gpu->engine, time, VDC_PRIO_STEP, gpu->engine->id, HIGPU_EV_MEMORY_DUE, 0);
}

void higpu_timeline_add_packet(struct higpu *gpu, const struct hilink_packet *p, vdc_time time)
{
    uint32_t op = op_new(gpu);
    gpu->memory_ops[op].kind = HIGPU_MEMORY_PEER;
    gpu->memory_ops[op].packet = *p;
    add(gpu, op, time, p->kind == HILINK_PORT_READ || p->kind == HILINK_PORT_ATOMIC);
}

void higpu_timeline_add_transfer(struct higpu *gpu, uint32_t queue, uint32_t index, const struct higpu_command *c,
                                 vdc_time time)
{
    uint32_t op = op_new(gpu);
    gpu->memory_ops[op].kind = HIGPU_MEMORY_TRANSFER;
    gpu->memory_ops[op].transfer.command = *c;
    gpu->memory_ops[op].transfer.queue = queue;
    gpu->memory_ops[op].transfer.index = index;
    add(gpu, op, time, true);
}

/* Its effect on device memory (and guest memory, or the peer's reply), as the GPU is at `at`. */
static void apply(struct higpu *gpu, uint32_t op, vdc_time at)
{
    const struct higpu_memory_op *m = &gpu->memory_ops[op];
    if (m->kind == HIGPU_MEMORY_TRANSFER) {
        char why[HIGPU_MAX_MESSAGE];
        /* Checked when the command started; only a MEM_FREE of another queue since then can make it fail. */
        if (higpu_transfer(gpu, &m->transfer.command, why) != HIGPU_STATUS_OK)
            higpu_log(gpu, HIGPU_ERR_DEVICE_MEMORY, "command %u of queue %u (tag %u, %s): %s (freed while it ran?)",
                      m->transfer.index, m->transfer.queue, m->transfer.command.tag,
                      higpu_opcode_name(m->transfer.command.opcode), why);
    } else if (m->packet.kind == HILINK_PORT_READ || m->packet.kind == HILINK_PORT_ATOMIC ||
               m->packet.kind == HILINK_PORT_RED) {
        higpu_peer_serve(gpu, &m->packet, at);
    } else {
        struct vdc_error err;
        if (!gpu_memory_write(gpu_get_memory(gpu->gpu), m->packet.address, m->packet.data, m->packet.bytes,
                              "HiLink write", &err))
            higpu_log(gpu, HIGPU_ERR_DEVICE_MEMORY, "%s (from GPU %u; dropped)", err.text,
                      (unsigned)m->packet.src);
    }
    op_free(gpu, op);
}

static vdc_time first_time(const struct higpu *gpu)
{
    return vdc_index_heap_empty(&gpu->memory_timeline)
               ? VDC_TIME_MAX
               : gpu->memory_ops[vdc_index_heap_top(&gpu->memory_timeline)].time;
}

static void apply_due(struct higpu *gpu, vdc_time t)
{
    while (first_time(gpu) <= t) {
        uint32_t op = vdc_index_heap_pop(&gpu->memory_timeline);
        apply(gpu, op, gpu->memory_ops[op].time);
    }
}

void higpu_timeline_catch_up(struct higpu *gpu, vdc_time t)
{
    if (gpu->kernel == NULL) /* a running kernel takes what is due at its cycle */
        apply_due(gpu, t);
}

void higpu_timeline_due(struct higpu *gpu, vdc_time t)
{
    higpu_timeline_catch_up(gpu, t);
}

/* An entry the running launch has reached: applied at that cycle. One the launch ended before (GPU_CYCLE_NONE)
 * goes back, to be applied by its own event or before the next command; one due right now, whose event may already
 * have found the kernel running, is applied now. */
static void apply_in_run(void *ctx, uint64_t op, uint64_t cycle)
{
    struct higpu *gpu = ctx;
    if (cycle != GPU_CYCLE_NONE) {
        apply(gpu, (uint32_t)op, higpu_kernel_time_of(gpu, cycle));
        return;
    }
    vdc_index_heap_push(&gpu->memory_timeline, (uint32_t)op);
    apply_due(gpu, higpu_now(gpu));
}

void higpu_timeline_feed_run(struct higpu *gpu, vdc_time limit)
{
    while (first_time(gpu) < limit) {
        uint32_t op = vdc_index_heap_pop(&gpu->memory_timeline);
        gpu_run_post(gpu->kernel, higpu_kernel_cycle_at(gpu, gpu->memory_ops[op].time), apply_in_run, gpu, op);
    }
}

void higpu_timeline_free(struct higpu *gpu)
{
    free(gpu->memory_ops);
    free(gpu->memory_op_free);
    vdc_index_heap_free(&gpu->memory_timeline);
}
