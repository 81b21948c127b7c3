/* The fixed CPUID table (docs/guest-abi.md lists it): a baseline x86-64 CPU with SSE2, named "vdc". */
#include "kvm/x86_cpuid.h"

#include <string.h>

#define BIT(n) (1U << (n))

/* "vdc virtual x86-64 CPU" as the brand string of leaves 0x80000002-4, little-endian words. */
#define BRAND(a, b, c, d) (uint32_t)((a) | (b) << 8 | (c) << 16 | (uint32_t)(d) << 24)

const struct vdc_cpuid_entry vdc_cpuid_table[] = {
    /* Highest basic leaf 7; vendor "VdcVirtCPU  " (EBX, EDX, ECX). */
    {0x0, 7, BRAND('V', 'd', 'c', 'V'), BRAND('P', 'U', ' ', ' '), BRAND('i', 'r', 't', 'C')},
    /* Family 6 model 6 stepping 3; 64-byte cache lines, one logical CPU, APIC id 0; ECX: hypervisor present;
     * EDX: FPU, TSC (rdtsc exists but faults at CPL3), CX8, CMOV, CLFLUSH, MMX, FXSR, SSE, SSE2. */
    {0x1, 0x00000663, 0x00010800, BIT(31),
     BIT(0) | BIT(4) | BIT(8) | BIT(15) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | BIT(26)},
    {0x7, 0, 0, 0, 0},
    {0x80000000, 0x80000008, 0, 0, 0},
    {0x80000001, 0, 0, BIT(0) /* LAHF in 64-bit mode */, BIT(29) /* long mode */},
    {0x80000002, BRAND('v', 'd', 'c', ' '), BRAND('v', 'i', 'r', 't'), BRAND('u', 'a', 'l', ' '),
     BRAND('x', '8', '6', '-')},
    {0x80000003, BRAND('6', '4', ' ', 'C'), BRAND('P', 'U', 0, 0), 0, 0},
    {0x80000004, 0, 0, 0, 0},
    {0x80000008, 0x00003024, 0, 0, 0}, /* 36 physical, 48 virtual address bits */
};
const size_t vdc_cpuid_table_size = sizeof vdc_cpuid_table / sizeof vdc_cpuid_table[0];

static const struct vdc_cpuid_entry *find(uint32_t leaf)
{
    for (size_t i = 0; i < vdc_cpuid_table_size; i++)
        if (vdc_cpuid_table[i].leaf == leaf)
            return &vdc_cpuid_table[i];
    return NULL;
}

void vdc_cpuid_lookup(uint32_t leaf, uint32_t out[4])
{
    const struct vdc_cpuid_entry *e = find(leaf);
    if (e == NULL) {
        /* The range's own first leaf says how far it goes (as KVM's out-of-range rule for a non-AMD vendor). */
        uint32_t base = leaf >= 0x40000000 && leaf <= 0x4fffffff ? leaf & 0xffffff00U
                        : leaf >= 0xc0000000                   ? 0xc0000000U
                                                               : leaf & 0x80000000U;
        const struct vdc_cpuid_entry *range = find(base);
        if (range != NULL && leaf <= range->eax) {
            memset(out, 0, 4 * sizeof out[0]);
            return;
        }
        e = find(find(0)->eax);
        if (e == NULL) {
            memset(out, 0, 4 * sizeof out[0]);
            return;
        }
    }
    out[0] = e->eax;
    out[1] = e->ebx;
    out[2] = e->ecx;
    out[3] = e->edx;
}
