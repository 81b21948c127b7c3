/* The one-line reports of a guest that took an exception or ran away: the same text whichever backend ran it. */
#ifndef VDC_KVM_FAULT_REPORT_H
#define VDC_KVM_FAULT_REPORT_H

#include <stddef.h>

#include "kvm/guest_memory.h"
#include "kvm/vcpu.h"

/* "#PF page fault (vector 14, error code 0x7) at rip 0x..., address 0x..., rsp 0x..., rax 0x..., rdx 0x...",
 * and, for an instruction that would read the host (rdtsc, rdrand), what the guest should use instead. */
void vdc_fault_report_exception(const struct vdc_guest_memory *memory, const struct vdc_vcpu_exit *exit, char *buf,
                                size_t size);
/* "ran away: <the backend's limit>; rip 0x... rsp 0x... ..." */
void vdc_fault_report_runaway(const struct vdc_vcpu_exit *exit, const struct vdc_vcpu_regs *regs, char *buf,
                              size_t size);

#endif
