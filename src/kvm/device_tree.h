/* The flattened device tree each guest finds at the address in rdi: built with libfdt, every call checked. */
#ifndef VDC_KVM_DEVICE_TREE_H
#define VDC_KVM_DEVICE_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "kvm/guest_memory.h"
#include "kvm/mmio_bus.h"

struct vdc_device_tree_info {
    const char *name;
    uint32_t rank, node_id;
    uint64_t memory_size;
    const char *bootargs;           /* the program's arguments, space-separated ("" for none) */
    const struct vdc_mmio_bus *bus; /* each window becomes a node with compatible "vdc,<name>" */
};

/* Builds the blob in a host buffer, then copies it to [gpa, gpa + max_size) of guest memory. */
bool vdc_device_tree_build(struct vdc_guest_memory *gm, uint64_t gpa, uint64_t max_size,
                           const struct vdc_device_tree_info *info, struct vdc_error *err);

#endif
