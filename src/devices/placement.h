/* Where each device sits in a guest: its register window in the MMIO area, its cause bit in simctl's cause
 * register and its entity ids, in one table so that no two devices share any of them (tested). */
#ifndef VDC_DEVICES_PLACEMENT_H
#define VDC_DEVICES_PLACEMENT_H

#include <stdint.h>

enum vdc_device_kind { VDC_DEVICE_HINIC, VDC_DEVICE_HIGPU, VDC_DEVICE_KINDS };

struct vdc_device_place {
    const char *name;
    uint64_t mmio_base, mmio_size;  /* the register window (the page after simctl's, and on) */
    unsigned cause_bit;             /* the simctl cause its completions raise */
    uint32_t entity_base;           /* + rank, when the device has entities of its own; 0: none */
};

extern const struct vdc_device_place vdc_device_places[VDC_DEVICE_KINDS];

#endif
