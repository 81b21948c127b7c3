/* simctl: every register is one exit, so each call a guest makes is one round trip; arguments that do not
 * fit a register come in a block in guest memory, read through the checked helper. */
#include "kvm/simctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/fill.h"
#include "kvm/guest.h"
#include "kvm/guest_layout.h"

/* A bulk memset done by the VMM in one exit: what the guest could store itself, byte by byte, so it may not reach
 * the VMM's pages, which the guest cannot write. */
static bool fill(struct vdc_guest *g, uint64_t block_address, struct vdc_error *err)
{
    struct simctl_fill block;
    if (!vdc_guest_read(&g->memory, block_address, &block, sizeof block, "FILL block", err))
        return false;
    void *target = vdc_guest_ptr(&g->memory, block.address, block.length);
    if (target == NULL || block.address < GUEST_SYSTEM_END)
        return vdc_fail(err, "FILL of %" PRIu64 " bytes at 0x%" PRIx64 " is outside the program's memory (0x%llx to "
                             "0x%" PRIx64 ")",
                        block.length, block.address, GUEST_SYSTEM_END, g->memory.size);
    vdc_fill(target, (uint8_t)(block.value & 0xff), block.length);
    vdc_digest_fold(g->entity->sim, block.length);
    return true;
}

static bool simctl_access(void *device, struct vdc_guest *g, struct vdc_mmio_access *a, struct vdc_error *err)
{
    (void)device;
    if (a->size != 8 || a->offset % 8 != 0)
        return vdc_fail(err, "%u-byte access at offset 0x%" PRIx64 "; registers are 8 bytes, 8-aligned", a->size,
                        a->offset);
    struct vdc_sim *sim = g->entity->sim;
    if (!a->is_write) {
        switch (a->offset) {
        case SIMCTL_ID: a->value = SIMCTL_MAGIC; return true;
        case SIMCTL_CLOCK_NS: a->value = sim->now / VDC_NS; return true;
        case SIMCTL_RANDOM: a->value = vdc_rng_next(&g->entity->rng); return true;
        case SIMCTL_CAUSES:
            a->value = g->causes;
            g->causes = 0;
            return true;
        default: return vdc_fail(err, "read of offset 0x%" PRIx64 ", which is not a readable register", a->offset);
        }
    }
    switch (a->offset) {
    case SIMCTL_CONSOLE: {
        uint64_t address = a->value & 0xffffffffffffULL, len = a->value >> 48;
        const uint8_t *text = vdc_guest_ptr(&g->memory, address, len);
        if (text == NULL)
            return vdc_fail(err, "CONSOLE text at 0x%" PRIx64 "+%" PRIu64 " is outside guest memory", address, len);
        vdc_guest_console_write(g, text, len);
        vdc_digest_fold(sim, len);
        return true;
    }
    case SIMCTL_EXIT:
        if (a->value > 255)
            return vdc_fail(err, "EXIT code %" PRIu64 " is outside 0-255", a->value);
        vdc_guest_exit(g, (int)a->value);
        return true;
    case SIMCTL_WAIT: return vdc_guest_start_wait(g, a->value, err);
    case SIMCTL_COMPUTE_NS: vdc_guest_charge_compute(g, a->value); return true;
    case SIMCTL_FILL: return fill(g, a->value, err);
    /* The backends take the CPL0 stub's write as the exception it reports; one that arrives here came from CPL3. */
    case SIMCTL_FAULT: return vdc_fail(err, "FAULT register written from CPL3; only the exception stub may write it");
    default: return vdc_fail(err, "write to offset 0x%" PRIx64 ", which is not a writable register", a->offset);
    }
}

bool vdc_simctl_attach(struct vdc_guest *g, struct vdc_error *err)
{
    struct vdc_mmio_window window = {
        .base = GUEST_SIMCTL_BASE, .size = GUEST_SIMCTL_SIZE, .name = "simctl", .handler = simctl_access};
    return vdc_mmio_bus_add(&g->bus, &window, err);
}
