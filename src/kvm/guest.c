/* The vCPU as an entity: each RUN event enters the guest once and handles the exit it comes back with, at that
 * event's virtual time (or, when retired instructions are charged, that much later); the next RUN is scheduled
 * one exit cost (plus annotated compute) later. Wall time never enters the model: KVM's watchdog only decides
 * that a guest ran away. */
#include "kvm/guest.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/device_tree.h"
#include "kvm/elf_loader.h"
#include "kvm/fault_report.h"
#include "kvm/guest_layout.h"
#include "kvm/simctl.h"
#include "kvm/x86_setup.h"

static void schedule_run(struct vdc_guest *g)
{
    vdc_time delay = vdc_time_add(g->config.exit_cost, g->pending_compute); /* compute comes from the guest */
    g->pending_compute = 0;
    vdc_schedule_in(g->entity, delay, VDC_PRIO_GUEST, g->entity->id, VDC_GUEST_EV_RUN, 0);
}

static bool ended(const struct vdc_guest *g)
{
    return g->state == VDC_GUEST_EXITED || g->state == VDC_GUEST_FAULTED || g->state == VDC_GUEST_RUNAWAY;
}

void vdc_guest_fault(struct vdc_guest *g, const char *what)
{
    if (ended(g))
        return;
    g->state = VDC_GUEST_FAULTED;
    snprintf(g->report, sizeof g->report, "%s", what);
    if (g->config.stop_run_on_failure && g->entity != NULL)
        vdc_sim_stop(g->entity->sim);
}

static void handle_mmio(struct vdc_guest *g, const struct vdc_vcpu_exit *x)
{
    const struct vdc_mmio_window *w = vdc_mmio_bus_find(&g->bus, x->mmio.address, x->mmio.size);
    char message[512];
    if (w == NULL || x->mmio.size > 8) {
        struct vdc_vcpu_regs regs;
        vdc_vcpu_get_regs(&g->vcpu, &regs);
        /* A write's registers show the store retired (KVM reports it so): the rip is the next instruction's. */
        snprintf(message, sizeof message, "%s of %u bytes at 0x%" PRIx64 " reaches no device (rip 0x%" PRIx64 "%s)",
                 x->mmio.is_write ? "write" : "read", x->mmio.size, x->mmio.address, regs.rip,
                 x->mmio.is_write ? ", after the store" : "");
        vdc_guest_fault(g, message);
        return;
    }
    struct vdc_mmio_access access = {
        .offset = x->mmio.address - w->base, .size = x->mmio.size, .is_write = x->mmio.is_write};
    if (access.is_write)
        access.value = x->mmio.value;
    struct vdc_error err;
    if (!w->handler(w->device, g, &access, &err)) {
        vdc_fail_prefix(&err, "%s", w->name);
        vdc_guest_fault(g, err.text);
        return;
    }
    if (!access.is_write)
        vdc_vcpu_complete_read(&g->vcpu, access.value);
}

static void handle_exit(struct vdc_guest *g, const struct vdc_vcpu_exit *x)
{
    char message[768];
    struct vdc_vcpu_regs regs;
    switch (x->kind) {
    case VDC_VCPU_EXIT_MMIO: handle_mmio(g, x); break;
    case VDC_VCPU_EXIT_EXCEPTION:
        vdc_fault_report_exception(&g->memory, x, message, sizeof message);
        vdc_guest_fault(g, message);
        break;
    case VDC_VCPU_EXIT_SHUTDOWN: vdc_guest_fault(g, "triple fault: the vCPU shut down"); break;
    case VDC_VCPU_EXIT_RUNAWAY:
        vdc_vcpu_get_regs(&g->vcpu, &regs);
        vdc_fault_report_runaway(x, &regs, g->report, sizeof g->report);
        g->state = VDC_GUEST_RUNAWAY;
        if (g->config.stop_run_on_failure)
            vdc_sim_stop(g->entity->sim);
        break;
    case VDC_VCPU_EXIT_FAILURE: vdc_guest_fault(g, x->message); break;
    case VDC_VCPU_EXIT_AGAIN: break;
    }
}

void vdc_guest_describe_end(const struct vdc_guest *g, char *buf, size_t size)
{
    switch (g->state) {
    case VDC_GUEST_EXITED: snprintf(buf, size, "exited with %d", g->exit_code); break;
    case VDC_GUEST_FAULTED: snprintf(buf, size, "faulted: %s", g->report); break;
    case VDC_GUEST_RUNAWAY: snprintf(buf, size, "stopped: %s", g->report); break;
    case VDC_GUEST_WAITING: snprintf(buf, size, "did not finish (waiting, with nothing left to wake it)"); break;
    case VDC_GUEST_RUNNABLE: snprintf(buf, size, "did not finish (the run stopped first)"); break;
    }
}

void vdc_guest_end_wait(struct vdc_guest *g, uint64_t causes)
{
    struct vdc_error err;
    g->wait_epoch++;
    g->state = VDC_GUEST_RUNNABLE;
    if (!vdc_guest_write(&g->memory, g->wait_block + offsetof(struct simctl_wait, causes), &causes, sizeof causes,
                         "simctl WAIT result", &err)) {
        vdc_guest_fault(g, err.text);
        return;
    }
    schedule_run(g);
}

bool vdc_guest_add_peer_memory(struct vdc_guest *g, const struct vdc_peer_memory *m)
{
    if (g->peer_memory_count == VDC_PEER_MEMORY_MAX)
        return false;
    g->peer_memory[g->peer_memory_count++] = *m;
    return true;
}

const struct vdc_peer_memory *vdc_guest_peer_window(const struct vdc_guest *g, uint64_t addr, uint64_t length)
{
    uint64_t end;
    if (__builtin_add_overflow(addr, length, &end))
        return NULL;
    for (uint32_t i = 0; i < g->peer_memory_count; i++) {
        const struct vdc_peer_memory *m = &g->peer_memory[i];
        if (addr >= m->base && end <= m->base + m->size)
            return m;
    }
    return NULL;
}

const struct vdc_peer_memory *vdc_guest_peer_memory(const struct vdc_guest *g, uint64_t addr, uint64_t length)
{
    const struct vdc_peer_memory *m = vdc_guest_peer_window(g, addr, length);
    return m != NULL && m->valid(m->owner, addr, length) ? m : NULL;
}

void vdc_guest_raise(struct vdc_guest *g, uint64_t causes)
{
    g->causes |= causes;
    if (g->state == VDC_GUEST_WAITING && (g->causes & g->wait_mask) != 0) {
        uint64_t hit = g->causes & g->wait_mask;
        g->causes &= ~hit;
        vdc_guest_end_wait(g, hit);
    }
}

void vdc_guest_exit(struct vdc_guest *g, int code)
{
    vdc_guest_console_flush(g);
    g->state = VDC_GUEST_EXITED;
    g->exit_code = code;
}

bool vdc_guest_start_wait(struct vdc_guest *g, uint64_t block_address, struct vdc_error *err)
{
    struct simctl_wait block;
    if (!vdc_guest_read(&g->memory, block_address, &block, sizeof block, "WAIT block", err))
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

void vdc_guest_charge_compute(struct vdc_guest *g, uint64_t nanoseconds)
{
    vdc_time add = nanoseconds > VDC_TIME_MAX / VDC_NS ? VDC_TIME_MAX : nanoseconds * VDC_NS;
    g->pending_compute = add > VDC_TIME_MAX - g->pending_compute ? VDC_TIME_MAX : g->pending_compute + add;
}

void vdc_guest_console_flush(struct vdc_guest *g)
{
    if (g->line_len == 0 || g->config.console == NULL)
        return;
    /* Seconds with nanoseconds, as dmesg stamps its lines. */
    vdc_time now = g->entity ? g->entity->sim->now : 0;
    fprintf(g->config.console, "[%4" PRIu64 ".%09" PRIu64 "] %s: %.*s\n", now / VDC_SEC, now % VDC_SEC / VDC_NS,
            g->name, (int)g->line_len, g->line);
    g->line_len = 0;
}

/* Non-printable bytes are shown as \xNN so a guest cannot drive the terminal. */
void vdc_guest_console_write(struct vdc_guest *g, const uint8_t *text, size_t len)
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

/* After an exit is handled: the next run, unless the guest now waits or has ended. */
static void continue_after_exit(struct vdc_guest *g)
{
    uint64_t wait_epoch = g->wait_epoch;
    handle_exit(g, &g->exit);
    /* A WAIT that ended within this exit (a cause already raised, a deadline already past) has scheduled the
     * next run itself; a second one would run the guest twice per exit cost. */
    if (g->state == VDC_GUEST_RUNNABLE) {
        if (g->wait_epoch == wait_epoch)
            schedule_run(g);
    } else if (g->state != VDC_GUEST_WAITING && g->config.on_end) {
        g->config.on_end(g, g->config.attach_context);
    }
    /* A WAIT has scheduled its own deadline; an ended guest schedules nothing. */
}

bool vdc_guest_take_wake(struct vdc_guest *g, const struct vdc_event *ev)
{
    if (ev->kind != VDC_GUEST_EV_WAKE)
        return false;
    if (g->state == VDC_GUEST_WAITING && ev->arg == g->wait_epoch)
        vdc_guest_end_wait(g, 0);
    return true;
}

/* The guest's instructions up to its next exit: what a RUN does before the exit is handled. It reads and writes
 * only the guest's own vCPU and RAM. */
static void run_to_exit(struct vdc_guest *g)
{
    /* The vCPU reads and writes guest RAM directly: the copies into it done, and those out of it unless its
     * stores wait for them (vcpu.h). */
    if (g->vcpu.stores_settle)
        vdc_guest_memory_settle_in(&g->memory);
    else
        vdc_guest_memory_settle(&g->memory);
    do
        vdc_vcpu_run(&g->vcpu, &g->exit);
    while (g->exit.kind == VDC_VCPU_EXIT_AGAIN);
}

/* A RUN's instructions ahead of its handler, beside other guests' RUNs of the same time (sim.h, vdc_event_advance):
 * nothing else reaches a guest's vCPU or RAM at the time of its RUN, so they come out as they would after the
 * handlers of the RUNs before it. */
static void advance_to_exit(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct vdc_guest *g = self->model;
    assert(ev->kind == VDC_GUEST_EV_RUN);
    (void)ev;
    if (g->state != VDC_GUEST_RUNNABLE || g->exit_pending)
        return; /* not running, or run ahead already (a stop then left its handler for later) */
    run_to_exit(g);
    g->exit_pending = true;
}

static void on_guest_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct vdc_guest *g = self->model;
    if (vdc_guest_take_wake(g, ev) || g->state != VDC_GUEST_RUNNABLE) {
        assert(!g->exit_pending);
        return;
    }
    if (ev->kind == VDC_GUEST_EV_EXIT) {
        continue_after_exit(g);
        return;
    }
    if (g->exit_pending)
        g->exit_pending = false; /* advance_to_exit ran this RUN's instructions */
    else
        run_to_exit(g);
    if (g->exit.kind != VDC_VCPU_EXIT_RUNAWAY)
        g->exits++;
    /* The instructions that led to this exit take their time before it is handled (docs/guest-abi.md). */
    uint64_t retired = g->config.instruction_time ? vdc_vcpu_take_instructions(&g->vcpu) : 0;
    if (retired > 0) {
        g->instructions += retired;
        vdc_time spent = retired > VDC_TIME_MAX / g->config.instruction_time ? VDC_TIME_MAX
                                                                             : retired * g->config.instruction_time;
        vdc_schedule_in(g->entity, spent, VDC_PRIO_GUEST, g->entity->id, VDC_GUEST_EV_EXIT, 0);
        return;
    }
    continue_after_exit(g);
}

bool vdc_guest_create(struct vdc_guest *g, struct vdc_sim *sim, uint32_t entity_id, const struct vdc_guest_config *cfg,
                      const uint8_t *elf, size_t elf_size, struct vdc_error *err)
{
    memset(g, 0, sizeof *g);
    g->config = *cfg;
    g->name = vdc_xstrdup(cfg->name);
    g->config.name = g->name;
    uint64_t size = cfg->memory_size;
    if (size < GUEST_MEMORY_MIN || size > GUEST_MEMORY_MAX || size % (2ULL << 20) != 0)
        return vdc_fail(err, "guest %s: memory size %" PRIu64 " MiB must be a multiple of 2 MiB from %llu MiB to %llu "
                             "MiB",
                        cfg->name, size >> 20, GUEST_MEMORY_MIN >> 20, GUEST_MEMORY_MAX >> 20);
    if (!vdc_guest_memory_map(&g->memory, size, err))
        return vdc_fail_prefix(err, "guest %s", cfg->name);
    g->memory.copier = cfg->copier;
    uint64_t dtb = size - GUEST_DTB_SIZE, thread_block = dtb - GUEST_THREAD_BLOCK_SIZE;
    uint64_t stack_top = thread_block, program_end = stack_top - GUEST_STACK_SIZE;
    struct vdc_elf_image image;
    if (!vdc_elf_load(elf, elf_size, &g->memory, GUEST_PROGRAM_BASE, program_end, &image, err))
        return vdc_fail_prefix(err, "guest %s: %s", cfg->name, cfg->program_path ? cfg->program_path : "program");
    vdc_x86_build_system_tables(&g->memory);
    if (!vdc_simctl_attach(g, err) || (cfg->attach_devices && !cfg->attach_devices(g, cfg->attach_context, err)))
        return vdc_fail_prefix(err, "guest %s", cfg->name);
    struct vdc_device_tree_info info = {
        .name = cfg->name, .rank = cfg->rank, .node_id = cfg->node_id, .memory_size = size, .bus = &g->bus,
        .bootargs = cfg->bootargs};
    g->dtb_address = dtb;
    if (!vdc_device_tree_build(&g->memory, dtb, GUEST_DTB_SIZE, &info, err))
        return vdc_fail_prefix(err, "guest %s: device tree", cfg->name);
    /* The stack-protector canary at %fs:0x28: any fixed value keeps runs deterministic. */
    uint64_t canary = 0x00d1ce5eedc0ffeeULL;
    if (!vdc_guest_write(&g->memory, thread_block + 0x28, &canary, sizeof canary, "thread block", err))
        return false;
    struct vdc_vcpu_entry entry;
    vdc_x86_user_entry(&entry, image.entry, stack_top, dtb, thread_block);
    struct vdc_vcpu_options options = {
        .backend = cfg->vcpu,
        .runaway_seconds = cfg->runaway_seconds,
        .runaway_instructions = cfg->runaway_instructions,
        .count_instructions = cfg->instruction_time != 0,
    };
    if (!vdc_vcpu_create(&g->vcpu, &g->memory, &options, &entry, err))
        return vdc_fail_prefix(err, "guest %s", cfg->name);
    g->entity = vdc_entity_create(sim, entity_id, cfg->name, on_guest_event, g, err);
    if (g->entity == NULL)
        return vdc_fail_prefix(err, "guest %s", cfg->name);
    /* The emulator's instructions may run on any thread, beside other guests' (KVM's watchdog is the thread's). */
    if (g->vcpu.backend == VDC_VCPU_EMULATED) {
        g->entity->advance = advance_to_exit;
        g->entity->advance_kind = VDC_GUEST_EV_RUN;
    }
    g->state = VDC_GUEST_RUNNABLE;
    vdc_schedule_at(g->entity, sim->now, VDC_PRIO_GUEST, entity_id, VDC_GUEST_EV_RUN, 0);
    return true;
}

void vdc_guest_destroy(struct vdc_guest *g)
{
    vdc_guest_console_flush(g);
    vdc_vcpu_destroy(&g->vcpu);
    vdc_guest_memory_unmap(&g->memory);
    vdc_mmio_bus_free(&g->bus);
    free(g->name);
    memset(g, 0, sizeof *g);
}
