/* Guest-physical register windows mapped to devices: refuses empty and overlapping ranges. */
#ifndef VDC_KVM_MMIO_BUS_H
#define VDC_KVM_MMIO_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"

struct vdc_guest;

struct vdc_mmio_access {
    uint64_t offset; /* from the window's base */
    uint32_t size;   /* 1, 2, 4 or 8 bytes */
    bool is_write;
    uint64_t value;  /* written value, or the value a read returns (set by the device) */
};

/* Handles one access at the guest's current virtual time. Returning false reports a guest fault with
 * the message in err (a register that does not exist, a bad size, a bad argument). */
typedef bool (*vdc_mmio_handler)(void *device, struct vdc_guest *guest, struct vdc_mmio_access *access,
                                 struct vdc_error *err);

struct vdc_mmio_window {
    uint64_t base, size;
    const char *name;
    vdc_mmio_handler handler;
    void *device;
};

struct vdc_mmio_bus {
    struct vdc_mmio_window *windows; /* sorted by base */
    size_t count, cap;
};

bool vdc_mmio_bus_add(struct vdc_mmio_bus *bus, const struct vdc_mmio_window *window, struct vdc_error *err);
/* The window holding [address, address + size), or NULL. */
const struct vdc_mmio_window *vdc_mmio_bus_find(const struct vdc_mmio_bus *bus, uint64_t address, uint32_t size);
void vdc_mmio_bus_free(struct vdc_mmio_bus *bus);

#endif
