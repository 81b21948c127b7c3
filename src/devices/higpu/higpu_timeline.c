/* What reaches HiGPU's memory from outside its SMs, in the order of its time: HiLink peers' writes, requests and reds
 * (at their landing) and the copy engines' transfers (when their set-up is over). Each takes effect when the GPU
 * reaches its time: inside a running kernel at that cycle (the launch's inbox, fed window by window), else by the
 * compute engine's event at that time or, sooner, before a command that starts at or after it. Whether a kernel is
 * running when an entry's time comes does not depend on the window, so neither does anything here. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/prefetch.h"
#include "devices/higpu/higpu_internal.h"
#include "scheduler/step_batch.h"

static struct higpu_memory_op *op_at(const struct higpu *gpu, uint32_t op)
{
    return vdc_slot_pool_at(&gpu->memory_ops, op);
}

/* Queues op by its (time, seq). */
static void queue_op(struct higpu *gpu, uint32_t op)
{
    const struct higpu_memory_op *m = op_at(gpu, op);
    vdc_index_heap_push(&gpu->memory_timeline, m->time, m->seq, op);
}

void higpu_timeline_init(struct higpu *gpu)
{
    vdc_index_heap_init(&gpu->memory_timeline);
    vdc_slot_pool_init(&gpu->memory_ops, sizeof(struct higpu_memory_op));
}

/* Queued at `time`; `prompt` ones (a request to answer, a transfer whose guest side must move) get the engine's
 * event then, for when no kernel runs to take them. */
static void add(struct higpu *gpu, uint32_t op, vdc_time time, bool prompt)
{
    op_at(gpu, op)->time = time;
    op_at(gpu, op)->seq = gpu->memory_op_seq++;
    queue_op(gpu, op);
    if (prompt)
        vdc_schedule_at(gpu->engine, time, VDC_PRIO_STEP, gpu->engine->id, HIGPU_EV_MEMORY_DUE, 0);
}

void higpu_timeline_add_packet(struct higpu *gpu, const struct hilink_packet *p, vdc_time time)
{
    uint32_t op = vdc_slot_pool_take(&gpu->memory_ops);
    op_at(gpu, op)->kind = HIGPU_MEMORY_PEER;
    hilink_packet_copy(&op_at(gpu, op)->packet, p);
    add(gpu, op, time, p->kind == HILINK_PORT_READ || p->kind == HILINK_PORT_ATOMIC);
}

void higpu_timeline_add_transfer(struct higpu *gpu, uint32_t queue, uint32_t index, const struct higpu_command *c,
                                 vdc_time time)
{
    uint32_t op = vdc_slot_pool_take(&gpu->memory_ops);
    struct higpu_memory_op *m = op_at(gpu, op);
    m->kind = HIGPU_MEMORY_TRANSFER;
    m->transfer.command = *c;
    m->transfer.queue = queue;
    m->transfer.index = index;
    add(gpu, op, time, true);
}

static void return_payload(void *fabric, uint64_t sender_and_lent)
{
    hilink_return_payload(fabric, (uint32_t)(sender_and_lent >> 32), (uint32_t)sender_and_lent);
}

/* A peer's payload lent to this GPU (hilink.h) goes back once written: after the batch when written in a window's
 * advance (the sender's own window may be taking slots of the same pool meanwhile), else now. */
static void payload_done(struct higpu *gpu, const struct hilink_packet *p)
{
    if (p->payload == NULL)
        return;
    uint64_t arg = (uint64_t)p->src << 32 | p->lent;
    if (!vdc_step_hold_call(return_payload, gpu->port.fabric, arg))
        return_payload(gpu->port.fabric, arg);
}

/* Its effect on device memory (and guest memory, or the peer's reply), as the GPU is at `at`. */
static void apply(struct higpu *gpu, uint32_t op, vdc_time at)
{
    const struct higpu_memory_op *m = op_at(gpu, op);
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
        bool pcie = m->packet.src == HIGPU_FROM_PCIE;
        if (!gpu_memory_write(gpu_get_memory(gpu->gpu), m->packet.address, hilink_packet_payload(&m->packet),
                              m->packet.bytes, pcie ? "PCIe peer write" : "HiLink write", &err)) {
            char from[32];
            if (pcie)
                snprintf(from, sizeof from, "the blade's NIC");
            else
                snprintf(from, sizeof from, "GPU %u", (unsigned)m->packet.src);
            higpu_log(gpu, HIGPU_ERR_DEVICE_MEMORY, "%s (from %s; dropped)", err.text, from);
        }
        payload_done(gpu, &m->packet);
    }
    vdc_slot_pool_give(&gpu->memory_ops, op);
}

static vdc_time first_time(const struct higpu *gpu)
{
    return vdc_index_heap_top_time(&gpu->memory_timeline);
}

static void apply_due(struct higpu *gpu, vdc_time t)
{
    while (first_time(gpu) <= t) {
        uint32_t op = vdc_index_heap_pop(&gpu->memory_timeline);
        apply(gpu, op, op_at(gpu, op)->time);
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
    queue_op(gpu, (uint32_t)op);
    apply_due(gpu, higpu_now(gpu));
}

/* Ops fed to a launch in groups of this many, each group's records and then its payloads asked for ahead. */
#define FEED_GROUP 32

void higpu_timeline_feed_run(struct higpu *gpu, vdc_time limit)
{
    /* The window's landings copy each peer's payload from its sender's port slot, written a batch or more ago and
     * long gone from this core's caches: the records (written on the loop's thread) and the payloads are asked for
     * here, a group at a time, so that their misses overlap instead of each landing waiting on its own. */
    uint32_t group[FEED_GROUP];
    while (first_time(gpu) < limit) {
        uint32_t n = 0;
        for (; n < FEED_GROUP && first_time(gpu) < limit; n++) {
            group[n] = vdc_index_heap_pop(&gpu->memory_timeline);
            const char *record = (const char *)op_at(gpu, group[n]);
            VDC_PREFETCH(record, 0, 3);
            VDC_PREFETCH(record + 64, 0, 3);
        }
        for (uint32_t i = 0; i < n; i++) {
            const struct higpu_memory_op *m = op_at(gpu, group[i]);
            if (m->kind == HIGPU_MEMORY_PEER && m->packet.payload != NULL)
                for (uint32_t off = 0; off < m->packet.bytes; off += 64)
                    VDC_PREFETCH(m->packet.payload + off, 0, 2);
        }
        for (uint32_t i = 0; i < n; i++)
            gpu_run_post(gpu->kernel, higpu_kernel_cycle_at(gpu, op_at(gpu, group[i])->time), apply_in_run, gpu,
                         group[i]);
    }
}

void higpu_timeline_free(struct higpu *gpu)
{
    vdc_slot_pool_free(&gpu->memory_ops);
    vdc_index_heap_free(&gpu->memory_timeline);
}
