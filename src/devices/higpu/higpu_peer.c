/* HiGPU's HiLink port: its kernels' stores, loads and atomics to peers and its COPY_PEER commands leave through it;
 * what peers write or ask goes into the GPU's timeline (higpu_timeline.c) at the time it lands and is served from
 * there, and replies to its kernels' requests reach their registers at the cycle they land. */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "devices/higpu/higpu_internal.h"
#include "kvm/guest.h"

enum higpu_status higpu_peer_at(const struct higpu *gpu, uint32_t place, struct higpu **peer, char *why)
{
    if (gpu->port.fabric == NULL) {
        snprintf(why, HIGPU_MAX_MESSAGE, "GPU %u is on no HiLink fabric (hilink.enabled, and 2 to 64 GPUs)",
                 gpu->params.place);
        return HIGPU_STATUS_NO_PEER;
    }
    struct hilink_port *port = place == gpu->params.place || place >= gpu->params.hilink_gpus
                                   ? NULL
                                   : hilink_gpu_context(gpu->port.fabric, place);
    if (port == NULL) {
        snprintf(why, HIGPU_MAX_MESSAGE, "no peer GPU %u on GPU %u's HiLink fabric (places 0 to %u, its own %u)", place,
                 gpu->params.place, gpu->params.hilink_gpus - 1, gpu->params.place);
        return HIGPU_STATUS_NO_PEER;
    }
    *peer = (struct higpu *)((char *)port - offsetof(struct higpu, port));
    return HIGPU_STATUS_OK;
}

/* ---- the port's owner: what lands, copy sources and the end of a copy ---- */

static void packet_arrives(void *ctx, const struct hilink_packet *p, vdc_time arrive)
{
    if (p->kind == HILINK_PORT_MAIL)
        higpu_mail_lands(ctx, p, arrive); /* for the mailbox, not device memory */
    else
        higpu_timeline_add_packet(ctx, p, arrive);
}

static void read_memory(void *ctx, uint64_t address, void *data, uint32_t bytes)
{
    struct higpu *gpu = ctx;
    struct vdc_error err;
    /* No kernel runs beside a peer copy: its source is as transfers landed by now left it. */
    higpu_timeline_catch_up(gpu, higpu_now(gpu));
    /* The copy's source was checked when it started; device memory is freed only by commands, after it. */
    if (!gpu_memory_read(gpu_get_memory(gpu->gpu), address, data, bytes, "HiLink copy", &err))
        memset(data, 0, bytes);
}

/* ---- the GPU core's peer operations ---- */

static bool peer_valid(void *ctx, uint32_t place, uint64_t address, uint64_t bytes)
{
    struct higpu *gpu = ctx, *peer;
    char why[HIGPU_MAX_MESSAGE];
    return higpu_peer_at(gpu, place, &peer, why) == HIGPU_STATUS_OK &&
           higpu_device_range(peer, address, bytes, "peer access", why);
}

static void peer_store(void *ctx, uint32_t place, uint64_t address, const void *data, uint32_t bytes, uint64_t cycle,
                       uint64_t token)
{
    struct higpu *gpu = ctx;
    hilink_port_send(&gpu->port, place, HILINK_PORT_STORE, address, 0, data, bytes, token,
                     higpu_kernel_time_of(gpu, cycle));
}

static void peer_load(void *ctx, uint32_t place, uint64_t address, uint32_t bytes, uint64_t cycle, uint64_t token)
{
    struct higpu *gpu = ctx;
    hilink_port_send(&gpu->port, place, HILINK_PORT_READ, address, bytes, NULL, 0, token,
                     higpu_kernel_time_of(gpu, cycle));
}

/* An atomic's operation on the wire: mode, type and size in aux, the operands in 16 bytes of data. */
static void peer_atomic(void *ctx, uint32_t place, uint64_t address, const struct gpu_peer_atomic *op, uint64_t cycle,
                        uint64_t token)
{
    struct higpu *gpu = ctx;
    uint8_t data[16];
    memcpy(data, &op->b, 8);
    memcpy(data + 8, &op->c, 8);
    uint32_t aux = (uint32_t)op->mode | (uint32_t)op->type << 8 | (uint32_t)op->bytes << 16;
    hilink_port_send(&gpu->port, place, op->reply ? HILINK_PORT_ATOMIC : HILINK_PORT_RED, address, aux, data,
                     sizeof data, token, higpu_kernel_time_of(gpu, cycle));
}

/* ---- requests from peers, served on its memory ---- */

/* A peer's load, atomic or red when the GPU reaches its landing (`at`): read or updated as memory is then; a reply
 * leaves after the GPU's L2 hit latency, the time its memory system takes to answer. */
void higpu_peer_serve(struct higpu *gpu, const struct hilink_packet *request, vdc_time at)
{
    struct hilink_packet reply = {0};
    struct vdc_error err;
    bool ok;
    if (request->kind == HILINK_PORT_READ) {
        reply.bytes = (uint16_t)(request->aux <= HILINK_MAX_PAYLOAD ? request->aux : HILINK_MAX_PAYLOAD);
        ok = gpu_memory_read(gpu_get_memory(gpu->gpu), request->address, reply.data, reply.bytes, "peer load", &err);
        if (!ok)
            memset(reply.data, 0, reply.bytes);
    } else {
        struct gpu_peer_atomic op = {.mode = (uint8_t)request->aux, .type = (uint8_t)(request->aux >> 8),
                                     .bytes = (uint8_t)(request->aux >> 16)};
        memcpy(&op.b, request->data, 8);
        memcpy(&op.c, request->data + 8, 8);
        uint64_t old = 0;
        ok = gpu_apply_peer_atomic(gpu->gpu, request->address, &op, &old, &err);
        memcpy(reply.data, &old, sizeof old);
        reply.bytes = sizeof old;
    }
    /* Checked by the sender when it issued; memory a command freed since then reads as zeros. */
    if (!ok)
        higpu_log(gpu, HIGPU_ERR_DEVICE_MEMORY, "%s (from GPU %u; answered with zeros)", err.text,
                  (unsigned)request->src);
    if (request->kind == HILINK_PORT_RED)
        return;
    vdc_time now = higpu_now(gpu);
    vdc_time ready = vdc_time_add(at > now ? at : now, gpu_cycles_to_ps(&gpu->params.gpu, gpu->params.gpu.l2_latency));
    hilink_port_send(&gpu->port, request->src,
                     request->kind == HILINK_PORT_READ ? HILINK_PORT_READ_REPLY : HILINK_PORT_ATOMIC_REPLY,
                     request->address, 0, reply.data, reply.bytes, request->tag, ready);
}

/* ---- replies to its own kernels' requests ---- */

static void reply_in_run(void *ctx, uint64_t slot, uint64_t cycle)
{
    struct higpu *gpu = ctx;
    const struct hilink_packet *p = hilink_port_packet(&gpu->port, (uint32_t)slot);
    if (cycle != GPU_CYCLE_NONE)
        gpu_run_peer_reply(gpu->kernel, p->tag, p->address, p->data, p->bytes, cycle);
    hilink_port_release_slot(&gpu->port, (uint32_t)slot);
}

/* A reply lands at `arrive`: a pulling copy's goes to memory (higpu_peer_copy.c); a kernel's to the launch that
 * asked, at that cycle (one that has ended has no use for it). */
static void reply_lands(void *ctx, uint32_t slot, vdc_time arrive)
{
    struct higpu *gpu = ctx;
    if (hilink_port_packet(&gpu->port, slot)->tag & HIGPU_PULL_TAG)
        higpu_peer_pull_reply(gpu, slot, arrive);
    else if (gpu->kernel != NULL)
        gpu_run_post(gpu->kernel, higpu_kernel_cycle_at(gpu, arrive), reply_in_run, gpu, slot);
    else
        hilink_port_release_slot(&gpu->port, slot);
}

static void landed_in_run(void *ctx, uint64_t token, uint64_t cycle)
{
    struct higpu *gpu = ctx;
    if (cycle != GPU_CYCLE_NONE)
        gpu_run_peer_landed(gpu->kernel, token, cycle);
}

/* One of its kernel's stores has landed at `arrive`: the launch hears of it at that cycle (a store of a launch that
 * has ended is nobody's business any more). */
static void store_landed(void *ctx, uint64_t token, vdc_time arrive)
{
    struct higpu *gpu = ctx;
    if (gpu->kernel != NULL)
        gpu_run_post(gpu->kernel, higpu_kernel_cycle_at(gpu, arrive), landed_in_run, gpu, token);
}

bool higpu_join_hilink(struct higpu *gpu, struct hilink *fabric, struct vdc_error *err)
{
    struct hilink_port_owner owner = {.ctx = gpu, .arrive = packet_arrives, .read = read_memory,
                                      .copy_done = higpu_peer_copy_done, .landed = store_landed, .reply = reply_lands};
    if (!hilink_port_attach(&gpu->port, fabric, gpu->params.place, &owner, err))
        return false;
    gpu_set_peer_ops(gpu->gpu, &(struct gpu_peer_ops){.ctx = gpu, .valid = peer_valid, .store = peer_store,
                                                       .load = peer_load, .atomic = peer_atomic});
    return true;
}
