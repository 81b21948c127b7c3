/* What the VMM asks of a vCPU, whichever backend runs it: KVM, or the emulated x86-64 CPU (Unicorn). */
#ifndef VDC_KVM_VCPU_H
#define VDC_KVM_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "kvm/guest_memory.h"

enum vdc_vcpu_backend {
    VDC_VCPU_AUTO,     /* KVM when /dev/kvm can be opened, else the emulator */
    VDC_VCPU_KVM,
    VDC_VCPU_EMULATED,
};

/* The long-mode state the VMM builds for a CPL3 program (x86_setup.c); each backend loads it its own way. */
struct vdc_vcpu_entry {
    uint64_t rip, rsp, rdi, rflags;
    uint64_t fs_base;
    uint64_t cr0, cr3, cr4, efer;
    uint64_t gdt_base, idt_base, tss_base;
    uint16_t gdt_limit, idt_limit, tss_limit;
    uint16_t user_code_selector, user_data_selector, tss_selector;
    uint64_t cpl0_iretq;     /* an `iretq` in guest memory, for backends that enter CPL3 through CPL0 */
    uint64_t cpl0_stack_top; /* where that iretq's frame is built */
};

/* The general registers, for reports. */
struct vdc_vcpu_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, r8, r9, r10, r11, r12, r13, r14, r15, rip, rflags;
};

enum vdc_vcpu_exit_kind {
    VDC_VCPU_EXIT_MMIO,      /* an access to an address outside RAM: the device answers, then run again */
    VDC_VCPU_EXIT_EXCEPTION, /* the guest took an exception: it ends */
    VDC_VCPU_EXIT_SHUTDOWN,  /* a triple fault */
    VDC_VCPU_EXIT_RUNAWAY,   /* no exit within the backend's limit (wall time on KVM, instructions emulated) */
    VDC_VCPU_EXIT_FAILURE,   /* anything else that ends the guest; `message` says what */
    VDC_VCPU_EXIT_AGAIN,     /* nothing happened (a stray signal): run again */
};

struct vdc_vcpu_exit {
    enum vdc_vcpu_exit_kind kind;
    struct {
        uint64_t address; /* guest-physical */
        uint32_t size;    /* bytes, as the instruction made the access */
        bool is_write;
        uint64_t value;   /* written value; a read's value goes back through vdc_vcpu_complete_read */
    } mmio; /* until the next run, vdc_vcpu_get_regs reads for a read the accessing instruction's rip (it completes
             * when the vCPU runs again), for a write the next instruction's (the store has retired, as KVM has it) */
    struct {
        uint32_t vector;
        uint64_t error_code, rip, rsp, rax, rdx;
        uint64_t address; /* CR2, for a page fault */
    } exception;
    char message[512];
};

struct vdc_vcpu_options {
    enum vdc_vcpu_backend backend;
    double runaway_seconds;         /* KVM: wall time without an exit that makes a runaway */
    uint64_t runaway_instructions;  /* emulator: retired instructions without an exit that make a runaway */
    bool count_instructions;        /* emulator: keep the count that vdc_vcpu_take_instructions returns */
};

struct vdc_vcpu_ops;

struct vdc_vcpu {
    const struct vdc_vcpu_ops *ops;
    void *impl;
    enum vdc_vcpu_backend backend; /* the one that runs (never AUTO) */
    /* The backend makes each guest store to RAM wait for the copier's copies that touch it (the emulator's store
     * hook), so before a run only the copies into RAM must be done; else every copy of its RAM (guest.c). */
    bool stores_settle;
};

/* Whether /dev/kvm (or VDC_KVM_DEVICE) can be opened here; `why` says why not. */
bool vdc_vcpu_kvm_available(struct vdc_error *why);
/* The backend AUTO stands for on this machine. */
enum vdc_vcpu_backend vdc_vcpu_resolve(enum vdc_vcpu_backend backend);
const char *vdc_vcpu_backend_name(enum vdc_vcpu_backend backend);
/* "auto", "kvm" or "emulated" to the enum; false for anything else. */
bool vdc_vcpu_backend_parse(const char *text, enum vdc_vcpu_backend *backend);

/* Creates the vCPU over guest RAM (already mapped and filled) and loads the entry state. */
bool vdc_vcpu_create(struct vdc_vcpu *vcpu, struct vdc_guest_memory *memory, const struct vdc_vcpu_options *options,
                     const struct vdc_vcpu_entry *entry, struct vdc_error *err);
/* Runs the guest until its next exit. */
void vdc_vcpu_run(struct vdc_vcpu *vcpu, struct vdc_vcpu_exit *exit);
/* The value an MMIO read returns to the guest; call before the next run. */
void vdc_vcpu_complete_read(struct vdc_vcpu *vcpu, uint64_t value);
bool vdc_vcpu_get_regs(struct vdc_vcpu *vcpu, struct vdc_vcpu_regs *regs);
/* Instructions retired since the last call (emulator with count_instructions; 0 otherwise). */
uint64_t vdc_vcpu_take_instructions(struct vdc_vcpu *vcpu);
void vdc_vcpu_destroy(struct vdc_vcpu *vcpu);

/* The report of an instruction fetch from a device window, which neither backend can run (for their use). */
void vdc_vcpu_fetch_from_device_message(struct vdc_vcpu_exit *exit, uint64_t address);

/* The backends' entry points (vcpu_kvm.c, vcpu_emulated.c). */
struct vdc_vcpu_ops {
    bool (*create)(struct vdc_vcpu *vcpu, struct vdc_guest_memory *memory, const struct vdc_vcpu_options *options,
                   const struct vdc_vcpu_entry *entry, struct vdc_error *err);
    void (*run)(struct vdc_vcpu *vcpu, struct vdc_vcpu_exit *exit);
    void (*complete_read)(struct vdc_vcpu *vcpu, uint64_t value);
    bool (*get_regs)(struct vdc_vcpu *vcpu, struct vdc_vcpu_regs *regs);
    uint64_t (*take_instructions)(struct vdc_vcpu *vcpu);
    void (*destroy)(struct vdc_vcpu *vcpu);
};

extern const struct vdc_vcpu_ops vdc_vcpu_kvm_ops, vdc_vcpu_emulated_ops;

#endif
