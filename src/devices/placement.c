/* The devices' places in a guest (placement.h). */
#include "devices/placement.h"

#include "kvm/guest_layout.h"
#include "scheduler/entity_ids.h"

const struct vdc_device_place vdc_device_places[VDC_DEVICE_KINDS] = {
    [VDC_DEVICE_HINIC] = {.name = "hinic",
                          .mmio_base = GUEST_SIMCTL_BASE + GUEST_SIMCTL_SIZE,
                          .mmio_size = 0x1000, /* HINIC_BAR_SIZE, checked by the tests */
                          .cause_bit = 1,
                          .entity_base = 0}, /* its events run on its fabric host's entity */
    [VDC_DEVICE_HIGPU] = {.name = "higpu",
                          .mmio_base = GUEST_SIMCTL_BASE + GUEST_SIMCTL_SIZE + 0x1000,
                          .mmio_size = 0x1000, /* HIGPU_BAR_SIZE */
                          .cause_bit = 2,
                          .entity_base = VDC_IDS_GPU_BASE},
};
