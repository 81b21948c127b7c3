/* The CPUID table every guest sees, on KVM and on the emulator alike: nothing of the host leaks through it. */
#ifndef VDC_KVM_X86_CPUID_H
#define VDC_KVM_X86_CPUID_H

#include <stddef.h>
#include <stdint.h>

struct vdc_cpuid_entry {
    uint32_t leaf, eax, ebx, ecx, edx;
};

extern const struct vdc_cpuid_entry vdc_cpuid_table[];
extern const size_t vdc_cpuid_table_size;

/* What CPUID returns for `leaf`, by the rule KVM applies to a table it is given: a leaf in the table gives its
 * entry, a leaf inside a listed range's maximum gives zeros, any other leaf gives the highest basic leaf. */
void vdc_cpuid_lookup(uint32_t leaf, uint32_t out[4]);

#endif
