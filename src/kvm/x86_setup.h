/* Long-mode state built by the host: page tables, GDT, IDT, TSS, the CPL0 stub, and CPL3 entry registers. */
#ifndef VDC_KVM_X86_SETUP_H
#define VDC_KVM_X86_SETUP_H

#include <stdint.h>

#include "kvm/guest_memory.h"
#include "kvm/vcpu.h"

/* Writes the system structures into the guest's first 2 MiB (the caller checked the size), which must be zero
 * beyond GUEST_CPL0_STACK_TOP, as a fresh mapping is. */
void vdc_x86_build_system_tables(struct vdc_guest_memory *gm);

/* The entry state of a CPL3 program in 64-bit mode with the tables above: rip, a 16-byte aligned stack, the
 * device tree's address in rdi (the first argument), and FS at a thread block (code built with the stack
 * protector, such as Debian's libfdt.a, reads its canary at %fs:0x28). */
void vdc_x86_user_entry(struct vdc_vcpu_entry *e, uint64_t entry, uint64_t stack_top, uint64_t dtb_address,
                    uint64_t fs_base);

#endif
