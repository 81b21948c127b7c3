/* Where things live in a guest's physical address space (identity-mapped, so also its virtual addresses). */
#ifndef VDC_KVM_GUEST_LAYOUT_H
#define VDC_KVM_GUEST_LAYOUT_H

/* The first 2 MiB belong to the VMM's structures and are mapped supervisor-only: a CPL3 program that
 * touches them (a NULL pointer, say) takes a page fault. */
#define GUEST_GDT 0x1000ULL
#define GUEST_IDT 0x2000ULL
#define GUEST_TSS 0x3000ULL
#define GUEST_PML4 0x4000ULL
#define GUEST_PDPT 0x5000ULL
#define GUEST_PD 0x6000ULL /* four page directories: the low 4 GiB */
#define GUEST_STUB 0xA000ULL
#define GUEST_IRETQ 0xB000ULL /* one iretq: a backend that must enter CPL3 from CPL0 runs it */
#define GUEST_CPL0_STACK_TOP 0x20000ULL /* a page apart from the stub's code */
#define GUEST_SYSTEM_END 0x200000ULL

/* Programs load from here up; the device tree and the stack sit at the top of RAM. */
#define GUEST_PROGRAM_BASE GUEST_SYSTEM_END
#define GUEST_DTB_SIZE 0x10000ULL
#define GUEST_THREAD_BLOCK_SIZE 0x1000ULL /* below the device tree; FS points here */
#define GUEST_STACK_SIZE 0x100000ULL

/* Device register windows; addresses in this range that no device claims are reported as faults. */
#define GUEST_MMIO_BASE 0xC0000000ULL
#define GUEST_MMIO_END 0x100000000ULL
#define GUEST_SIMCTL_BASE GUEST_MMIO_BASE
#define GUEST_SIMCTL_SIZE 0x1000ULL

#define GUEST_MEMORY_MIN (4ULL << 20)
#define GUEST_MEMORY_MAX GUEST_MMIO_BASE

/* Segment selectors of the host-built GDT. */
#define GUEST_SEL_KERNEL_CODE 0x08
#define GUEST_SEL_KERNEL_DATA 0x10
#define GUEST_SEL_USER_DATA 0x1b
#define GUEST_SEL_USER_CODE 0x23
#define GUEST_SEL_TSS 0x28

#endif
