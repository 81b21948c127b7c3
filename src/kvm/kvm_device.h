/* Opening /dev/kvm (or VDC_KVM_DEVICE) with messages that say what to do when it fails. */
#ifndef VDC_KVM_KVM_DEVICE_H
#define VDC_KVM_KVM_DEVICE_H

#include "common/error.h"

/* A descriptor of the KVM device, checked for its API version; -1 with the reason in err. */
int vdc_kvm_device_open(struct vdc_error *err);

#endif
