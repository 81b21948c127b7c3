/* simctl: every register is one exit, so each call a guest makes is one round trip; arguments that do not
 * fit a register come in a block in guest memory, read through the checked helper. */
#include "simctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../kvm/guest.h"
#include "../kvm/guest_layout.h"

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
    "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
    "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

void vdc_guest_console_flush(struct vdc_guest *g)
{
    if (g->line_len == 0 || g->config.console == NULL)
        return;
    /* Seconds with nanoseconds, as dmesg stamps its lines. */
    vdc_time now = g->entity ? g->entity->sim->now : 0;
    fprintf(g->config.console, "[%4" PRIu64 ".%09" PRIu64 "] %s: %.*s\n", now / VDC_SEC, now % VDC_SEC / VDC_NS, g->name,
            (int)g->line_len, g->line);
    g->line_len = 0;
}

/* Appends guest text; non-printable bytes are shown as \xNN so a guest cannot drive the terminal. */
static void console_write(struct vdc_guest *g, const uint8_t *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = text[i];
        if (c == '\n') {
            vdc_guest_console_flush(g);
            continue;
        }
        if (g->line_len + 4 >= sizeof g->line)
            vdc_guest_console_flush(g);
        if (c >= 0x20 && c < 0x7f)
            g->line[g->line_len++] = (char)c;
        else
            g->line_len += (size_t)snprintf(g->line + g->line_len, 5, "\\x%02x", c);
    }
}

static bool report_exception(struct vdc_guest *g, uint64_t frame_address, struct vdc_error *err)
{
    struct kvm_sregs sregs;
    if (ioctl(g->vm.vcpu_fd, KVM_GET_SREGS, &sregs) != 0 || sregs.cs.dpl != 0)
        return vdc_fail(err, "FAULT register written from CPL3; only the exception stub may write it");
    uint64_t frame[9];
    if (!vdc_guest_read(&g->vm.memory, frame_address, frame, sizeof frame, "exception frame", err))
        return false;
    uint64_t vector = frame[2], error = frame[3], rip = frame[4], rsp = frame[7];
    char message[512];
    int n = snprintf(message, sizeof message, "%s (vector %" PRIu64 ", error code 0x%" PRIx64 ") at rip 0x%" PRIx64,
                     vector < 32 && exception_names[vector] ? exception_names[vector] : "exception", vector, error,
                     rip);
    if (vector == 14)
        n += snprintf(message + n, sizeof message - (size_t)n, ", address 0x%llx", (unsigned long long)sregs.cr2);
    snprintf(message + n, sizeof message - (size_t)n, ", rsp 0x%" PRIx64 ", rax 0x%" PRIx64 ", rdx 0x%" PRIx64, rsp,
             frame[1], frame[0]);
    vdc_guest_fault(g, message);
    return true;
}

static bool start_wait(struct vdc_guest *g, uint64_t block_address, struct vdc_error *err)
{
    struct simctl_wait block;
    if (!vdc_guest_read(&g->vm.memory, block_address, &block, sizeof block, "WAIT block", err))
        return false;
    struct vdc_sim *sim = g->entity->sim;
    g->wait_block = block_address;
    g->wait_mask = block.cause_mask;
    uint64_t hit = g->causes & block.cause_mask;
    vdc_time deadline = block.deadline_ns > VDC_TIME_MAX / VDC_NS ? VDC_TIME_MAX : block.deadline_ns * VDC_NS;
    g->state = VDC_GUEST_WAITING;
    if (hit != 0) {
        g->causes &= ~hit;
        vdc_guest_end_wait(g, hit);
    } else if (block.deadline_ns != 0 && deadline <= sim->now) {
        vdc_guest_end_wait(g, 0);
    } else if (block.deadline_ns != 0) {
        vdc_schedule_at(g->entity, deadline, VDC_PRIO_GUEST, g->entity->id, VDC_GUEST_EV_WAKE, g->wait_epoch);
    } else if (block.cause_mask == 0) {
        return vdc_fail(err, "WAIT with no deadline and no causes would never end");
    }
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
        const uint8_t *text = vdc_guest_ptr(&g->vm.memory, address, len);
        if (text == NULL)
            return vdc_fail(err, "CONSOLE text at 0x%" PRIx64 "+%" PRIu64 " is outside guest memory", address, len);
        console_write(g, text, len);
        vdc_digest_fold(sim, len);
        return true;
    }
    case SIMCTL_EXIT:
        if (a->value > 255)
            return vdc_fail(err, "EXIT code %" PRIu64 " is outside 0-255", a->value);
        vdc_guest_console_flush(g);
        g->state = VDC_GUEST_EXITED;
        g->exit_code = (int)a->value;
        return true;
    case SIMCTL_WAIT: return start_wait(g, a->value, err);
    case SIMCTL_COMPUTE_NS: {
        vdc_time add = a->value > VDC_TIME_MAX / VDC_NS ? VDC_TIME_MAX : a->value * VDC_NS;
        g->pending_compute = add > VDC_TIME_MAX - g->pending_compute ? VDC_TIME_MAX : g->pending_compute + add;
        return true;
    }
    case SIMCTL_FAULT: return report_exception(g, a->value, err);
    default: return vdc_fail(err, "write to offset 0x%" PRIx64 ", which is not a writable register", a->offset);
    }
}

bool vdc_simctl_attach(struct vdc_guest *g, struct vdc_error *err)
{
    struct vdc_mmio_window window = {
        .base = GUEST_SIMCTL_BASE, .size = GUEST_SIMCTL_SIZE, .name = "simctl", .handler = simctl_access};
    return vdc_mmio_bus_add(&g->bus, &window, err);
}
