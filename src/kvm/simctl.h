/* The sim-control device: console, virtual clock, WAIT, EXIT, compute annotations, random numbers. */
#ifndef VDC_KVM_SIMCTL_H
#define VDC_KVM_SIMCTL_H

#include <stdbool.h>

#include "common/error.h"
#include "kvm/simctl_regs.h"

struct vdc_guest;

/* Maps the device's window on the guest's bus. */
bool vdc_simctl_attach(struct vdc_guest *g, struct vdc_error *err);

#endif
