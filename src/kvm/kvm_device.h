/* Opening /dev/kvm (or VDC_KVM_DEVICE) with messages that say what to do when it fails. */
#ifndef VDC_KVM_KVM_DEVICE_H
#define VDC_KVM_KVM_DEVICE_H

#include <stdbool.h>

#include "common/error.h"

/* A descriptor of the KVM device, checked for its API version; -1 with the reason in err. */
int vdc_kvm_device_open(struct vdc_error *err);

/* Whether this host's KVM is PVM (the kvm_pvm module: KVM without hardware virtualization, as some cloud VMs
 * offer it), which runs CPL3 code on the host's CPU without the traps vdc's guest contract needs. */
bool vdc_kvm_is_pvm(void);

#endif
