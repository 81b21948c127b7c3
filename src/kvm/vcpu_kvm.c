/* The KVM backend: one VM and one vCPU through the /dev/kvm ioctl API, each ioctl checked and each failure
 * named; a wall-clock watchdog turns a guest that never exits into a runaway. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "kvm/guest_layout.h"
#include "kvm/kvm_device.h"
#include "kvm/simctl_regs.h"
#include "kvm/vcpu.h"
#include "kvm/x86_cpuid.h"

struct kvm_vcpu_impl {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    struct vdc_guest_memory *memory;
    double runaway_seconds;
};

/* The watchdog's signal only has to interrupt KVM_RUN; immediate_exit covers a signal that lands just before
 * the ioctl. One vCPU runs at a time, so one pointer suffices. */
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

static void watchdog_arm(struct kvm_vcpu_impl *k)
{
    double s = k->runaway_seconds;
    struct itimerval timer = {
        .it_value = {.tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - (double)(time_t)s) * 1e6)}};
    if (timer.it_value.tv_sec == 0 && timer.it_value.tv_usec == 0)
        timer.it_value.tv_usec = 1;
    watchdog_fired = 0;
    watched_run = k->run;
    setitimer(ITIMER_REAL, &timer, NULL);
}

static void watchdog_disarm(void)
{
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    watched_run = NULL;
}

/* The fixed table of x86_cpuid.c, never the host's. */
static bool set_cpuid(struct kvm_vcpu_impl *k, struct vdc_error *err)
{
    struct kvm_cpuid2 *cpuid = vdc_xcalloc(1, sizeof *cpuid + vdc_cpuid_table_size * sizeof cpuid->entries[0]);
    cpuid->nent = (uint32_t)vdc_cpuid_table_size;
    for (size_t i = 0; i < vdc_cpuid_table_size; i++) {
        const struct vdc_cpuid_entry *e = &vdc_cpuid_table[i];
        cpuid->entries[i] = (struct kvm_cpuid_entry2){
            .function = e->leaf, .eax = e->eax, .ebx = e->ebx, .ecx = e->ecx, .edx = e->edx};
    }
    bool ok = ioctl(k->vcpu_fd, KVM_SET_CPUID2, cpuid) == 0;
    if (!ok)
        vdc_fail(err, "KVM_SET_CPUID2 failed (%s)", strerror(errno));
    free(cpuid);
    return ok;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type, uint8_t dpl, int code)
{
    memset(s, 0, sizeof *s);
    s->limit = 0xffffffff;
    s->selector = selector;
    s->type = type;
    s->present = 1;
    s->dpl = dpl;
    s->s = 1;
    s->g = 1;
    s->l = code ? 1 : 0;
    s->db = code ? 0 : 1;
}

static bool set_entry(struct kvm_vcpu_impl *k, const struct vdc_vcpu_entry *e, struct vdc_error *err)
{
    struct kvm_sregs sregs;
    if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &sregs) != 0)
        return vdc_fail(err, "KVM_GET_SREGS failed (%s)", strerror(errno));
    /* Keep what KVM initialised (the interrupt bitmap) and replace the mode-defining registers. */
    flat_segment(&sregs.cs, e->user_code_selector, 11, 3, 1);
    flat_segment(&sregs.ss, e->user_data_selector, 3, 3, 0);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss;
    sregs.fs.base = e->fs_base;
    memset(&sregs.tr, 0, sizeof sregs.tr);
    sregs.tr.base = e->tss_base;
    sregs.tr.limit = e->tss_limit;
    sregs.tr.selector = e->tss_selector;
    sregs.tr.type = 11; /* busy 64-bit TSS, as after LTR */
    sregs.tr.present = 1;
    memset(&sregs.ldt, 0, sizeof sregs.ldt);
    sregs.ldt.unusable = 1;
    sregs.gdt.base = e->gdt_base;
    sregs.gdt.limit = e->gdt_limit;
    sregs.idt.base = e->idt_base;
    sregs.idt.limit = e->idt_limit;
    sregs.cr0 = e->cr0;
    sregs.cr3 = e->cr3;
    sregs.cr4 = e->cr4;
    sregs.efer = e->efer;
    sregs.apic_base = 0; /* no local APIC: CPUID's APIC bit stays clear, as in the table */
    if (ioctl(k->vcpu_fd, KVM_SET_SREGS, &sregs) != 0)
        return vdc_fail(err, "KVM_SET_SREGS failed (%s)", strerror(errno));
    struct kvm_regs regs = {.rip = e->rip, .rsp = e->rsp, .rdi = e->rdi, .rflags = e->rflags};
    if (ioctl(k->vcpu_fd, KVM_SET_REGS, &regs) != 0)
        return vdc_fail(err, "KVM_SET_REGS failed (%s)", strerror(errno));
    return true;
}

static bool kvm_create(struct vdc_vcpu *vcpu, struct vdc_guest_memory *memory, const struct vdc_vcpu_options *options,
                       const struct vdc_vcpu_entry *entry, struct vdc_error *err)
{
    struct kvm_vcpu_impl *k = vdc_xcalloc(1, sizeof *k);
    k->vm_fd = k->vcpu_fd = -1;
    k->memory = memory;
    k->runaway_seconds = options->runaway_seconds;
    vcpu->impl = k;
    k->kvm_fd = vdc_kvm_device_open(err);
    if (k->kvm_fd < 0)
        return false;
    k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
    if (k->vm_fd < 0)
        return vdc_fail(err, "KVM_CREATE_VM failed (%s); too many VMs for this host?", strerror(errno));
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = memory->size,
        .userspace_addr = (uint64_t)(uintptr_t)memory->host,
    };
    if (ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) != 0)
        return vdc_fail(err, "KVM_SET_USER_MEMORY_REGION of %llu MiB failed (%s)",
                        (unsigned long long)(memory->size >> 20), strerror(errno));
    k->vcpu_fd = ioctl(k->vm_fd, KVM_CREATE_VCPU, 0);
    if (k->vcpu_fd < 0)
        return vdc_fail(err, "KVM_CREATE_VCPU failed (%s)", strerror(errno));
    int run_size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size < (int)sizeof(struct kvm_run))
        return vdc_fail(err, "KVM_GET_VCPU_MMAP_SIZE failed (%s)", strerror(errno));
    k->run_size = (size_t)run_size;
    void *run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, k->vcpu_fd, 0);
    if (run == MAP_FAILED)
        return vdc_fail(err, "mapping the vCPU's kvm_run area failed (%s)", strerror(errno));
    k->run = run;
    watchdog_install();
    return set_cpuid(k, err) && set_entry(k, entry, err);
}

static bool kvm_get_regs(struct vdc_vcpu *vcpu, struct vdc_vcpu_regs *out)
{
    struct kvm_vcpu_impl *k = vcpu->impl;
    struct kvm_regs r;
    if (ioctl(k->vcpu_fd, KVM_GET_REGS, &r) != 0)
        return false;
    *out = (struct vdc_vcpu_regs){r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rsp, r.rbp, r.r8,  r.r9,
                                  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip, r.rflags};
    return true;
}

/* The CPL0 stub reports an exception by writing its frame's address to simctl's FAULT register; that write is
 * the exception, not an MMIO access. A CPL3 write there goes to simctl, which refuses it. */
static bool stub_exception(struct kvm_vcpu_impl *k, struct vdc_vcpu_exit *exit)
{
    struct kvm_run *run = k->run;
    if (!run->mmio.is_write || run->mmio.phys_addr != GUEST_SIMCTL_BASE + SIMCTL_FAULT || run->mmio.len != 8)
        return false;
    struct kvm_sregs sregs;
    if (ioctl(k->vcpu_fd, KVM_GET_SREGS, &sregs) != 0 || sregs.cs.dpl != 0)
        return false;
    uint64_t frame_address, frame[9];
    memcpy(&frame_address, run->mmio.data, 8);
    struct vdc_error err;
    if (!vdc_guest_read(k->memory, frame_address, frame, sizeof frame, "exception frame", &err)) {
        exit->kind = VDC_VCPU_EXIT_FAILURE;
        snprintf(exit->message, sizeof exit->message, "%.480s", err.text);
        return true;
    }
    /* Frame, from the stub's stack pointer up: rdx, rax, vector, error code, rip, cs, rflags, rsp, ss. */
    exit->kind = VDC_VCPU_EXIT_EXCEPTION;
    exit->exception.vector = (uint32_t)frame[2];
    exit->exception.error_code = frame[3];
    exit->exception.rip = frame[4];
    exit->exception.rsp = frame[7];
    exit->exception.rax = frame[1];
    exit->exception.rdx = frame[0];
    exit->exception.address = sregs.cr2;
    return true;
}

static void kvm_run_once(struct vdc_vcpu *vcpu, struct vdc_vcpu_exit *exit)
{
    struct kvm_vcpu_impl *k = vcpu->impl;
    memset(exit, 0, sizeof *exit);
    watchdog_arm(k);
    int rc = ioctl(k->vcpu_fd, KVM_RUN, 0);
    int saved_errno = errno;
    watchdog_disarm();
    k->run->immediate_exit = 0;
    if (rc < 0) {
        if (saved_errno == EINTR && watchdog_fired) {
            exit->kind = VDC_VCPU_EXIT_RUNAWAY;
            snprintf(exit->message, sizeof exit->message, "no exit for %.1f s of wall time", k->runaway_seconds);
        } else if (saved_errno == EINTR) {
            exit->kind = VDC_VCPU_EXIT_AGAIN; /* another signal: just run again */
        } else {
            exit->kind = VDC_VCPU_EXIT_FAILURE;
            snprintf(exit->message, sizeof exit->message, "KVM_RUN failed (%s)", strerror(saved_errno));
        }
        return;
    }
    struct kvm_run *run = k->run;
    exit->kind = VDC_VCPU_EXIT_FAILURE;
    switch (run->exit_reason) {
    case KVM_EXIT_MMIO: {
        if (stub_exception(k, exit))
            break;
        exit->kind = VDC_VCPU_EXIT_MMIO;
        exit->mmio.address = run->mmio.phys_addr;
        exit->mmio.size = run->mmio.len;
        exit->mmio.is_write = run->mmio.is_write != 0;
        if (exit->mmio.is_write)
            memcpy(&exit->mmio.value, run->mmio.data, run->mmio.len <= 8 ? run->mmio.len : 8);
        break;
    }
    case KVM_EXIT_HLT:
        snprintf(exit->message, sizeof exit->message, "halted (hlt is not allowed at CPL3; this should not happen)");
        break;
    case KVM_EXIT_SHUTDOWN: exit->kind = VDC_VCPU_EXIT_SHUTDOWN; break;
    case KVM_EXIT_IO:
        snprintf(exit->message, sizeof exit->message, "port I/O at 0x%x; guests talk to devices through MMIO only",
                 run->io.port);
        break;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(exit->message, sizeof exit->message, "KVM could not enter the guest (hardware reason 0x%llx)",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        break;
    case KVM_EXIT_INTERNAL_ERROR: {
        /* KVM cannot emulate an instruction it would have to fetch from a device window; say so as the emulator
         * does. */
        struct kvm_regs regs;
        if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION && ioctl(k->vcpu_fd, KVM_GET_REGS, &regs) == 0 &&
            regs.rip >= GUEST_MMIO_BASE && regs.rip < GUEST_MMIO_END)
            vdc_vcpu_fetch_from_device_message(exit, regs.rip);
        else
            snprintf(exit->message, sizeof exit->message, "KVM internal error (suberror %u)", run->internal.suberror);
        break;
    }
    default:
        snprintf(exit->message, sizeof exit->message, "unexpected KVM exit reason %u", run->exit_reason);
        break;
    }
}

static void kvm_complete_read(struct vdc_vcpu *vcpu, uint64_t value)
{
    struct kvm_vcpu_impl *k = vcpu->impl;
    uint32_t len = k->run->mmio.len <= 8 ? k->run->mmio.len : 8;
    memcpy(k->run->mmio.data, &value, len);
}

static uint64_t kvm_take_instructions(struct vdc_vcpu *vcpu)
{
    (void)vcpu;
    return 0;
}

static void kvm_destroy(struct vdc_vcpu *vcpu)
{
    struct kvm_vcpu_impl *k = vcpu->impl;
    if (k->run != NULL)
        munmap(k->run, k->run_size);
    if (k->vcpu_fd >= 0)
        close(k->vcpu_fd);
    if (k->vm_fd >= 0)
        close(k->vm_fd);
    if (k->kvm_fd >= 0)
        close(k->kvm_fd);
    free(k);
    vcpu->impl = NULL;
}

const struct vdc_vcpu_ops vdc_vcpu_kvm_ops = {
    .create = kvm_create,
    .run = kvm_run_once,
    .complete_read = kvm_complete_read,
    .get_regs = kvm_get_regs,
    .take_instructions = kvm_take_instructions,
    .destroy = kvm_destroy,
};
