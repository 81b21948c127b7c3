/* The vCPU as an entity: each RUN event enters the guest once and handles the exit it comes back with,
 * at that event's virtual time; the next RUN is scheduled one exit cost (plus annotated compute) later.
 * Wall time never enters the model: the watchdog only decides that a guest ran away. */
#include "guest.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "../devices/simctl.h"
#include "device_tree.h"
#include "elf_loader.h"
#include "guest_layout.h"
#include "x86_setup.h"

/* The watchdog's signal only has to interrupt KVM_RUN; immediate_exit covers a signal that lands just
 * before the ioctl. One vCPU runs at a time, so one pointer suffices. */
static struct kvm_run *volatile watched_run;
static volatile sig_atomic_t watchdog_fired;

static void on_watchdog(int signo)
{
    (void)signo;
    watchdog_fired = 1;
    if (watched_run != NULL)
        watched_run->immediate_exit = 1;
}

static void watchdog_install(void)
{
    static bool installed;
    if (installed)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_watchdog; /* no SA_RESTART: KVM_RUN must return EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    installed = true;
}

static void watchdog_arm(struct vdc_guest *g)
{
    double s = g->config.runaway_seconds;
    struct itimerval timer = {.it_value = {.tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - (double)(time_t)s) * 1e6)}};
    if (timer.it_value.tv_sec == 0 && timer.it_value.tv_usec == 0)
        timer.it_value.tv_usec = 1;
    watchdog_fired = 0;
    watched_run = g->vm.run;
    setitimer(ITIMER_REAL, &timer, NULL);
}

static void watchdog_disarm(void)
{
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    watched_run = NULL;
}

static void schedule_run(struct vdc_guest *g)
{
    vdc_time delay = vdc_time_add(g->config.exit_cost, g->pending_compute); /* compute comes from the guest */
    g->pending_compute = 0;
    vdc_schedule_in(g->entity, delay, VDC_PRIO_GUEST, g->entity->id, VDC_GUEST_EV_RUN, 0);
}

void vdc_guest_fault(struct vdc_guest *g, const char *what)
{
    if (g->state == VDC_GUEST_EXITED || g->state == VDC_GUEST_FAULTED || g->state == VDC_GUEST_RUNAWAY)
        return;
    g->state = VDC_GUEST_FAULTED;
    snprintf(g->report, sizeof g->report, "%s", what);
    if (g->config.stop_run_on_failure && g->entity != NULL)
        vdc_sim_stop(g->entity->sim);
}

static void report_runaway(struct vdc_guest *g)
{
    struct kvm_regs regs;
    g->state = VDC_GUEST_RUNAWAY;
    if (g->config.stop_run_on_failure)
        vdc_sim_stop(g->entity->sim);
    if (ioctl(g->vm.vcpu_fd, KVM_GET_REGS, &regs) != 0) {
        snprintf(g->report, sizeof g->report, "ran away: no exit for %.1f s of wall time", g->config.runaway_seconds);
        return;
    }
    snprintf(g->report, sizeof g->report,
             "ran away: no exit for %.1f s of wall time; rip 0x%llx rsp 0x%llx rax 0x%llx rbx 0x%llx rcx 0x%llx "
             "rdx 0x%llx rsi 0x%llx rdi 0x%llx rflags 0x%llx",
             g->config.runaway_seconds, regs.rip, regs.rsp, regs.rax, regs.rbx, regs.rcx, regs.rdx, regs.rsi,
             regs.rdi, regs.rflags);
}

static void handle_mmio(struct vdc_guest *g)
{
    struct kvm_run *run = g->vm.run;
    uint64_t address = run->mmio.phys_addr;
    uint32_t size = run->mmio.len;
    const struct vdc_mmio_window *w = vdc_mmio_bus_find(&g->bus, address, size);
    char message[512];
    if (w == NULL || size > 8) {
        struct kvm_regs regs;
        unsigned long long rip = ioctl(g->vm.vcpu_fd, KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
        snprintf(message, sizeof message, "%s of %u bytes at 0x%" PRIx64 " reaches no device (rip 0x%llx)",
                 run->mmio.is_write ? "write" : "read", size, address, rip);
        vdc_guest_fault(g, message);
        return;
    }
    struct vdc_mmio_access access = {.offset = address - w->base, .size = size, .is_write = run->mmio.is_write != 0};
    if (access.is_write)
        memcpy(&access.value, run->mmio.data, size);
    struct vdc_error err;
    if (!w->handler(w->device, g, &access, &err)) {
        vdc_fail_prefix(&err, "%s", w->name);
        vdc_guest_fault(g, err.text);
        return;
    }
    if (!access.is_write)
        memcpy(run->mmio.data, &access.value, size);
}

static void run_once(struct vdc_guest *g)
{
    watchdog_arm(g);
    int rc = ioctl(g->vm.vcpu_fd, KVM_RUN, 0);
    int saved_errno = errno;
    watchdog_disarm();
    g->vm.run->immediate_exit = 0;
    if (rc < 0) {
        if (saved_errno == EINTR && watchdog_fired)
            report_runaway(g);
        else if (saved_errno != EINTR) {
            char message[256];
            snprintf(message, sizeof message, "KVM_RUN failed (%s)", strerror(saved_errno));
            vdc_guest_fault(g, message);
        }
        return; /* an EINTR from another signal: just run again */
    }
    g->exits++;
    char message[256];
    switch (g->vm.run->exit_reason) {
    case KVM_EXIT_MMIO: handle_mmio(g); break;
    case KVM_EXIT_HLT: vdc_guest_fault(g, "halted (hlt is not allowed at CPL3; this should not happen)"); break;
    case KVM_EXIT_SHUTDOWN: vdc_guest_fault(g, "triple fault: the vCPU shut down"); break;
    case KVM_EXIT_IO:
        snprintf(message, sizeof message, "port I/O at 0x%x; guests talk to devices through MMIO only",
                 g->vm.run->io.port);
        vdc_guest_fault(g, message);
        break;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(message, sizeof message, "KVM could not enter the guest (hardware reason 0x%llx)",
                 (unsigned long long)g->vm.run->fail_entry.hardware_entry_failure_reason);
        vdc_guest_fault(g, message);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(message, sizeof message, "KVM internal error (suberror %u)", g->vm.run->internal.suberror);
        vdc_guest_fault(g, message);
        break;
    default:
        snprintf(message, sizeof message, "unexpected KVM exit reason %u", g->vm.run->exit_reason);
        vdc_guest_fault(g, message);
        break;
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
    if (!vdc_guest_write(&g->vm.memory, g->wait_block + offsetof(struct simctl_wait, causes), &causes,
                         sizeof causes, "simctl WAIT result", &err)) {
        vdc_guest_fault(g, err.text);
        return;
    }
    schedule_run(g);
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

static void on_guest_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct vdc_guest *g = self->model;
    if (ev->kind == VDC_GUEST_EV_WAKE) {
        if (g->state == VDC_GUEST_WAITING && ev->arg == g->wait_epoch)
            vdc_guest_end_wait(g, 0);
        return;
    }
    if (g->state != VDC_GUEST_RUNNABLE)
        return;
    uint64_t wait_epoch = g->wait_epoch;
    run_once(g);
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

bool vdc_guest_create(struct vdc_guest *g, struct vdc_sim *sim, uint32_t entity_id, const struct vdc_guest_config *cfg,
                      const uint8_t *elf, size_t elf_size, struct vdc_error *err)
{
    memset(g, 0, sizeof *g);
    g->vm.kvm_fd = g->vm.vm_fd = g->vm.vcpu_fd = -1;
    g->config = *cfg;
    g->name = vdc_xstrdup(cfg->name);
    g->config.name = g->name;
    uint64_t size = cfg->memory_size;
    if (size < GUEST_MEMORY_MIN || size > GUEST_MEMORY_MAX || size % (2ULL << 20) != 0)
        return vdc_fail(err, "guest %s: memory size %" PRIu64 " MiB must be a multiple of 2 MiB from %llu MiB to %llu "
                             "MiB",
                        cfg->name, size >> 20, GUEST_MEMORY_MIN >> 20, GUEST_MEMORY_MAX >> 20);
    if (!vdc_vm_create(&g->vm, size, err))
        return vdc_fail_prefix(err, "guest %s", cfg->name);
    uint64_t dtb = size - GUEST_DTB_SIZE, thread_block = dtb - GUEST_THREAD_BLOCK_SIZE;
    uint64_t stack_top = thread_block, program_end = stack_top - GUEST_STACK_SIZE;
    struct vdc_elf_image image;
    if (!vdc_elf_load(elf, elf_size, &g->vm.memory, GUEST_PROGRAM_BASE, program_end, &image, err))
        return vdc_fail_prefix(err, "guest %s: %s", cfg->name, cfg->program_path ? cfg->program_path : "program");
    x86_build_system_tables(&g->vm.memory);
    if (!vdc_simctl_attach(g, err) || (cfg->attach_devices && !cfg->attach_devices(g, cfg->attach_context, err)))
        return vdc_fail_prefix(err, "guest %s", cfg->name);
    struct vdc_device_tree_info info = {
        .name = cfg->name, .rank = cfg->rank, .node_id = cfg->node_id, .memory_size = size, .bus = &g->bus,
        .bootargs = cfg->bootargs};
    g->dtb_address = dtb;
    if (!vdc_device_tree_build(&g->vm.memory, dtb, GUEST_DTB_SIZE, &info, err))
        return vdc_fail_prefix(err, "guest %s: device tree", cfg->name);
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    /* The stack-protector canary at %fs:0x28: any fixed value keeps runs deterministic. */
    uint64_t canary = 0x00d1ce5eedc0ffeeULL;
    if (!vdc_guest_write(&g->vm.memory, thread_block + 0x28, &canary, sizeof canary, "thread block", err))
        return false;
    x86_user_sregs(&sregs, thread_block);
    x86_user_regs(&regs, image.entry, stack_top, dtb);
    if (!vdc_vm_set_registers(&g->vm, &sregs, &regs, err))
        return vdc_fail_prefix(err, "guest %s", cfg->name);
    watchdog_install();
    g->entity = vdc_entity_create(sim, entity_id, cfg->name, on_guest_event, g, err);
    if (g->entity == NULL)
        return vdc_fail_prefix(err, "guest %s", cfg->name);
    g->state = VDC_GUEST_RUNNABLE;
    vdc_schedule_at(g->entity, sim->now, VDC_PRIO_GUEST, entity_id, VDC_GUEST_EV_RUN, 0);
    return true;
}

void vdc_guest_destroy(struct vdc_guest *g)
{
    vdc_guest_console_flush(g);
    vdc_vm_destroy(&g->vm);
    vdc_mmio_bus_free(&g->bus);
    free(g->name);
    memset(g, 0, sizeof *g);
}
