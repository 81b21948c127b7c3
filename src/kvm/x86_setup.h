/* Long-mode state built by the host: page tables, GDT, IDT, TSS, the CPL0 stub, and CPL3 entry registers. */
#ifndef VDC_KVM_X86_SETUP_H
#define VDC_KVM_X86_SETUP_H

#include <linux/kvm.h>
#include <stdint.h>

#include "guest_memory.h"

/* Writes the system structures into the guest's first 2 MiB (the caller checked the size). */
void x86_build_system_tables(struct vdc_guest_memory *gm);

/* Segment and control registers for a CPL3 program in 64-bit mode with the tables above. FS points at a
 * thread block: code built with the stack protector (Debian's libfdt.a) reads its canary at %fs:0x28. */
void x86_user_sregs(struct kvm_sregs *sregs, uint64_t fs_base);

/* Entry registers: rip, a 16-byte aligned stack, and the device tree's address in rdi (the first argument). */
void x86_user_regs(struct kvm_regs *regs, uint64_t entry, uint64_t stack_top, uint64_t dtb_address);

#endif
