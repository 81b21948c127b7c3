/* Builds what a kernel would: 4-level page tables with 2 MiB pages, a GDT with user segments and a TSS, an IDT
 * whose 32 exception gates lead to the stub, and the entry state of a CPL3 program. The guest never runs CPL0
 * code of its own (PLATFORM.md: CPL0 is slow under nested KVM and cannot be entered by writing CS on the
 * emulator), so all of this is written from the host. */
#include "kvm/x86_setup.h"

#include <string.h>

#include "kvm/guest_layout.h"

extern const uint8_t vdc_cpl0_stub[], vdc_cpl0_stub_end[];

#define PTE_PRESENT 0x1ULL
#define PTE_WRITE 0x2ULL
#define PTE_USER 0x4ULL
#define PTE_LARGE 0x80ULL
#define PAGE_2M (2ULL << 20)

static void put64(struct vdc_guest_memory *gm, uint64_t gpa, uint64_t value)
{
    memcpy(vdc_guest_ptr(gm, gpa, 8), &value, 8);
}

static void build_page_tables(struct vdc_guest_memory *gm)
{
    put64(gm, GUEST_PML4, GUEST_PDPT | PTE_PRESENT | PTE_WRITE | PTE_USER);
    for (uint64_t i = 0; i < 4; i++)
        put64(gm, GUEST_PDPT + 8 * i, (GUEST_PD + 0x1000 * i) | PTE_PRESENT | PTE_WRITE | PTE_USER);
    /* RAM: user pages except the first (system) one; MMIO windows: user pages; the rest: not present. */
    for (uint64_t addr = 0; addr < GUEST_MMIO_END; addr += PAGE_2M) {
        uint64_t entry = 0;
        if (addr + PAGE_2M <= gm->size)
            entry = addr | PTE_PRESENT | PTE_WRITE | PTE_LARGE | (addr >= GUEST_SYSTEM_END ? PTE_USER : 0);
        else if (addr >= GUEST_MMIO_BASE)
            entry = addr | PTE_PRESENT | PTE_WRITE | PTE_LARGE | PTE_USER;
        put64(gm, GUEST_PD + (addr / PAGE_2M) * 8, entry);
    }
}

static void build_gdt(struct vdc_guest_memory *gm)
{
    const uint64_t gdt[] = {
        0,
        0x00209A0000000000ULL, /* 0x08 kernel code: present, DPL0, 64-bit */
        0x0000920000000000ULL, /* 0x10 kernel data */
        0x0000F20000000000ULL, /* 0x18 user data: DPL3 */
        0x0020FA0000000000ULL, /* 0x20 user code: DPL3, 64-bit */
    };
    for (size_t i = 0; i < sizeof gdt / sizeof gdt[0]; i++)
        put64(gm, GUEST_GDT + 8 * i, gdt[i]);
    /* 0x28: the 16-byte TSS descriptor, type 9 (available 64-bit TSS), limit 103. */
    uint64_t base = GUEST_TSS, limit = 103;
    uint64_t low = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
                   (((base >> 24) & 0xff) << 56);
    put64(gm, GUEST_GDT + 0x28, low);
    put64(gm, GUEST_GDT + 0x30, base >> 32);
}

static void build_idt_and_tss(struct vdc_guest_memory *gm)
{
    size_t stub_size = (size_t)(vdc_cpl0_stub_end - vdc_cpl0_stub);
    memcpy(vdc_guest_ptr(gm, GUEST_STUB, stub_size), vdc_cpl0_stub, stub_size);
    for (uint64_t vector = 0; vector < 32; vector++) {
        uint64_t handler = GUEST_STUB + 16 * vector;
        /* Interrupt gate, present, DPL0 (so `int n` from CPL3 faults instead of entering the stub). */
        uint64_t low = (handler & 0xffff) | ((uint64_t)GUEST_SEL_KERNEL_CODE << 16) | (0x8EULL << 40) |
                       (((handler >> 16) & 0xffff) << 48);
        put64(gm, GUEST_IDT + 16 * vector, low);
        put64(gm, GUEST_IDT + 16 * vector + 8, handler >> 32);
    }
    put64(gm, GUEST_TSS + 4, GUEST_CPL0_STACK_TOP); /* RSP0 */
    /* The one CPL0 instruction a backend may run to enter the program at CPL3 (the emulator does). */
    static const uint8_t iretq[] = {0x48, 0xcf};
    memcpy(vdc_guest_ptr(gm, GUEST_IRETQ, sizeof iretq), iretq, sizeof iretq);
    /* I/O map base past the limit: no I/O permission bitmap. */
    uint16_t iomap = 104;
    memcpy(vdc_guest_ptr(gm, GUEST_TSS + 102, 2), &iomap, 2);
}

void vdc_x86_build_system_tables(struct vdc_guest_memory *gm)
{
    /* Only the structures' pages are cleared: the rest of the first 2 MiB stays as the mapping gave it (zero), so
     * a guest costs no resident memory there. */
    memset(gm->host, 0, GUEST_CPL0_STACK_TOP);
    build_page_tables(gm);
    build_gdt(gm);
    build_idt_and_tss(gm);
}

void vdc_x86_user_entry(struct vdc_vcpu_entry *e, uint64_t entry, uint64_t stack_top, uint64_t dtb_address,
                    uint64_t fs_base)
{
    memset(e, 0, sizeof *e);
    e->rip = entry;
    e->rsp = stack_top & ~15ULL;
    e->rdi = dtb_address;
    e->rflags = 0x2;
    e->fs_base = fs_base;
    e->cr0 = 0x80050033ULL; /* PG, AM, WP, NE, ET, MP, PE */
    e->cr3 = GUEST_PML4;
    /* PAE; OSFXSR and OSXMMEXCPT: SSE for compiled guest code; TSD: rdtsc at CPL3 faults, since the host's
     * time stamp counter would leak wall time into the guest. */
    e->cr4 = 0x20ULL | 0x200ULL | 0x400ULL | 0x4ULL;
    e->efer = 0x500ULL; /* LME, LMA; no NXE (the emulator cannot honour it) */
    e->gdt_base = GUEST_GDT;
    e->gdt_limit = 7 * 8 - 1;
    e->idt_base = GUEST_IDT;
    e->idt_limit = 32 * 16 - 1;
    e->tss_base = GUEST_TSS;
    e->tss_limit = 103;
    e->user_code_selector = GUEST_SEL_USER_CODE;
    e->user_data_selector = GUEST_SEL_USER_DATA;
    e->tss_selector = GUEST_SEL_TSS;
    e->cpl0_iretq = GUEST_IRETQ;
    e->cpl0_stack_top = GUEST_CPL0_STACK_TOP;
}
