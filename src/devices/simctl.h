/* The sim-control device: console, virtual clock, WAIT, EXIT, compute annotations, random numbers. */
#ifndef VDC_DEVICES_SIMCTL_H
#define VDC_DEVICES_SIMCTL_H

#include <stdbool.h>

#include "../common/error.h"
#include "simctl_regs.h"

struct vdc_guest;

/* Maps the device's window on the guest's bus. */
bool vdc_simctl_attach(struct vdc_guest *g, struct vdc_error *err);

/* Writes out a console line still being assembled (when the guest ends). */
void vdc_guest_console_flush(struct vdc_guest *g);

#endif
