/* The table of guest devices (plug.h): each one's plug, register window, cause bit and entity ids. */
#include "devices/plug.h"

#include <string.h>

#include "devices/higpu/higpu.h"
#include "devices/hinic/hinic.h"
#include "kvm/guest_layout.h"
#include "scheduler/entity_ids.h"

/* Register windows follow simctl's page, one page each; cause bit 0 is simctl's own. */
const struct vdc_device_slot vdc_device_table[] = {
    /* HiNIC's events run on its fabric host's entity: no ids of its own. */
    {&hinic_plug, GUEST_SIMCTL_BASE + GUEST_SIMCTL_SIZE, 1, 0},
    {&higpu_plug, GUEST_SIMCTL_BASE + GUEST_SIMCTL_SIZE + 0x1000, 2, VDC_IDS_GPU_BASE},
};
const size_t vdc_device_count = sizeof vdc_device_table / sizeof vdc_device_table[0];

const struct vdc_device_slot *vdc_device_named(const char *name)
{
    for (size_t i = 0; i < vdc_device_count; i++) {
        if (strcmp(vdc_device_table[i].plug->name, name) == 0)
            return &vdc_device_table[i];
    }
    return NULL;
}
