/* One KVM virtual machine with one vCPU and its RAM, through the /dev/kvm ioctl API. */
#ifndef VDC_KVM_VM_H
#define VDC_KVM_VM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "guest_memory.h"

struct vdc_vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    struct vdc_guest_memory memory;
};

/* Opens /dev/kvm (messages say what to do when it is missing or not permitted), creates the VM, its RAM
 * of `memory_size` bytes at guest-physical 0 and one vCPU with the host's supported CPUID. */
bool vdc_vm_create(struct vdc_vm *vm, uint64_t memory_size, struct vdc_error *err);
void vdc_vm_destroy(struct vdc_vm *vm);

bool vdc_vm_set_registers(struct vdc_vm *vm, const struct kvm_sregs *sregs, const struct kvm_regs *regs,
                          struct vdc_error *err);

#endif
