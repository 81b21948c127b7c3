/* Guest-physical register windows mapped to devices: refuses empty and overlapping ranges. */
#ifndef VDC_KVM_MMIO_BUS_H
#define VDC_KVM_MMIO_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

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

/* A device-tree property a device adds to its node (the value in the tree's big-endian layout). */
struct vdc_dt_property {
    const char *name;
    const void *value;
    uint32_t length;
};

/* Where a PCIe function sits: under root port `root_port`, directly or behind a switch's downstream port. */
struct vdc_pcie_place {
    bool present;            /* false: a platform device outside PCIe (simctl) */
    uint32_t root_port;
    int32_t switch_port;     /* -1: directly under the root port */
    uint32_t generation, lanes;
    uint16_t vendor, device;
    uint32_t class_code;
};

struct vdc_mmio_window {
    uint64_t base, size;
    const char *name;
    vdc_mmio_handler handler;
    void *device;
    /* For the device tree: */
    uint64_t cause;          /* simctl cause bits the device raises (0: none) */
    struct vdc_pcie_place pcie;
    const struct vdc_dt_property *properties;
    uint32_t property_count;
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
