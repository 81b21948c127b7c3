/* What the blade's other devices reach of HiGPU's memory across PCIe (GPUDirect RDMA: a NIC's DMA into and out of
 * the GPU's memory). A read copies the memory as it is when it comes; a write lands one PCIe crossing later
 * (gpu.pcie_latency, at least the GPU's lookahead) on the GPU's memory timeline, so a running kernel sees it at its
 * cycle, as it sees a HiLink peer's store. */
#include <assert.h>
#include <string.h>

#include "devices/higpu/higpu_internal.h"
#include "kvm/guest.h"

static bool peer_valid(void *owner, uint64_t addr, uint64_t length)
{
    char why[HIGPU_MAX_MESSAGE];
    return higpu_device_range(owner, addr, length, "DMA", why);
}

static void peer_read(void *owner, uint64_t addr, void *dst, uint64_t length)
{
    struct higpu *gpu = owner;
    struct vdc_error err;
    higpu_timeline_catch_up(gpu, higpu_now(gpu)); /* what has landed by now, when no kernel runs to take it */
    /* Checked when its memory region was registered and again by the caller; only a free since reads zeros. */
    if (!gpu_memory_read(gpu_get_memory(gpu->gpu), addr, dst, length, "PCIe peer read", &err))
        memset(dst, 0, length);
}

static void peer_write(void *owner, uint64_t addr, const void *src, uint64_t length)
{
    struct higpu *gpu = owner;
    vdc_time lands = vdc_time_add(higpu_now(gpu), gpu->params.pcie_latency);
    for (uint64_t done = 0; done < length;) {
        struct hilink_packet p = {.src = HIGPU_FROM_PCIE, .kind = HILINK_PORT_STORE, .address = addr + done};
        p.bytes = (uint16_t)(length - done < HILINK_MAX_PAYLOAD ? length - done : HILINK_MAX_PAYLOAD);
        memcpy(p.data, (const uint8_t *)src + done, p.bytes);
        higpu_timeline_add_packet(gpu, &p, lands);
        done += p.bytes;
    }
}

void higpu_join_pcie_peers(struct higpu *gpu)
{
    const struct gpu_memory *m = gpu_get_memory(gpu->gpu);
    struct vdc_peer_memory window = {.base = m->base, .size = m->capacity,
                                     .behind_switch = gpu->params.pcie_switch_port >= 0, .owner = gpu,
                                     .valid = peer_valid, .read = peer_read, .write = peer_write};
    bool added = vdc_guest_add_peer_memory(gpu->guest, &window);
    assert(added && "a blade has one GPU"); /* model invariant */
    (void)added;
}
