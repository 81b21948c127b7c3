/* HiGPU's HiLink port: its kernels' stores to peers and its COPY_PEER commands leave through it; what peers write
 * reaches the GPU's memory at the time it lands, inside a running launch at the cycle it lands. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "devices/higpu/higpu_internal.h"
#include "kvm/guest.h"
#include "scheduler/entity_ids.h"

static struct higpu *gpu_of_port(struct hilink_port *port)
{
    return (struct higpu *)((char *)port - offsetof(struct higpu, port));
}

/* ---- the port's owner: memory and the end of a copy ---- */

static bool write_memory(void *ctx, uint64_t address, const void *data, uint32_t bytes)
{
    struct higpu *gpu = ctx;
    struct vdc_error err;
    if (gpu_memory_write(gpu_get_memory(gpu->gpu), address, data, bytes, "HiLink write", &err))
        return true;
    higpu_log(gpu, HIGPU_ERR_DEVICE_MEMORY, "%s (from a peer; dropped)", err.text);
    return false;
}

static void read_memory(void *ctx, uint64_t address, void *data, uint32_t bytes)
{
    struct higpu *gpu = ctx;
    struct vdc_error err;
    /* The copy's source was checked when it started; device memory is freed only by commands, after it. */
    if (!gpu_memory_read(gpu_get_memory(gpu->gpu), address, data, bytes, "HiLink copy", &err))
        memset(data, 0, bytes);
}

static void copy_done(void *ctx, uint64_t tag, vdc_time arrive)
{
    struct higpu *gpu = ctx;
    (void)tag;
    gpu->peer_copy_running = false;
    gpu->stats.copy_ps += arrive - gpu->current.start_ps;
    higpu_command_ends(gpu, arrive);
}

/* ---- the GPU core's peer operations ---- */

static bool peer_valid(void *ctx, uint32_t place, uint64_t address, uint64_t bytes)
{
    struct higpu *gpu = ctx;
    struct hilink_port *peer = hilink_gpu_context(gpu->port.fabric, place);
    char why[HIGPU_MAX_MESSAGE];
    return peer != NULL && higpu_device_range(gpu_of_port(peer), address, bytes, "peer access", why);
}

static void peer_store(void *ctx, uint32_t place, uint64_t address, const void *data, uint32_t bytes, uint64_t cycle,
                       uint64_t token)
{
    struct higpu *gpu = ctx;
    hilink_port_store(&gpu->port, place, address, data, bytes, token, higpu_kernel_time_of(gpu, cycle));
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
    struct hilink_port_owner owner = {.ctx = gpu, .write = write_memory, .read = read_memory, .copy_done = copy_done,
                                      .landed = store_landed};
    char name[96];
    snprintf(name, sizeof name, "%s/hilink-port", gpu->guest->name);
    uint32_t entity = VDC_IDS_GPU_PORT_BASE + (gpu->entity->id - VDC_IDS_GPU_BASE);
    if (!hilink_port_attach(&gpu->port, fabric, gpu->params.place, &owner, gpu->entity->sim, entity, name, err))
        return false;
    gpu_set_peer_ops(gpu->gpu, &(struct gpu_peer_ops){.ctx = gpu, .valid = peer_valid, .store = peer_store});
    return true;
}

/* ---- what lands ---- */

void higpu_peer_catch_up(struct higpu *gpu, vdc_time t)
{
    if (gpu->port.fabric != NULL)
        hilink_port_catch_up(&gpu->port, t);
}

/* An inbound write the running launch has reached (or, GPU_CYCLE_NONE, ended before): into memory, or back to the
 * port for the next command to apply. */
static void write_in_run(void *ctx, uint64_t slot, uint64_t cycle)
{
    struct higpu *gpu = ctx;
    if (cycle == GPU_CYCLE_NONE)
        hilink_port_requeue(&gpu->port, (uint32_t)slot);
    else
        hilink_port_apply(&gpu->port, (uint32_t)slot);
}

void higpu_peer_feed_run(struct higpu *gpu, vdc_time limit)
{
    if (gpu->port.fabric == NULL)
        return;
    uint32_t slot;
    vdc_time arrive;
    while (hilink_port_take_before(&gpu->port, limit, &slot, &arrive))
        gpu_run_post(gpu->kernel, higpu_kernel_cycle_at(gpu, arrive), write_in_run, gpu, slot);
}
