/* Device tree construction with libfdt's sequential-write API in a staging buffer (as kvmtool does), each
 * call wrapped so that a failure names the call. */
#include "device_tree.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FDT_CHECK(call)                                                                                      \
    do {                                                                                                     \
        int fdt_rc_ = (call);                                                                                \
        if (fdt_rc_ < 0) {                                                                                   \
            vdc_fail(err, "%s failed: %s", #call, fdt_strerror(fdt_rc_));                                    \
            goto fail;                                                                                       \
        }                                                                                                    \
    } while (0)

static int property_reg(void *fdt, uint64_t base, uint64_t size)
{
    fdt64_t cells[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};
    return fdt_property(fdt, "reg", cells, sizeof cells);
}

bool vdc_device_tree_build(struct vdc_guest_memory *gm, uint64_t gpa, uint64_t max_size,
                           const struct vdc_device_tree_info *info, struct vdc_error *err)
{
    void *fdt = vdc_xcalloc(1, max_size);
    char node[64], compatible[64];
    FDT_CHECK(fdt_create(fdt, (int)max_size));
    FDT_CHECK(fdt_finish_reservemap(fdt));
    FDT_CHECK(fdt_begin_node(fdt, ""));
    FDT_CHECK(fdt_property_string(fdt, "compatible", "vdc,guest"));
    FDT_CHECK(fdt_property_u32(fdt, "#address-cells", 2));
    FDT_CHECK(fdt_property_u32(fdt, "#size-cells", 2));

    FDT_CHECK(fdt_begin_node(fdt, "chosen"));
    FDT_CHECK(fdt_property_string(fdt, "vdc,name", info->name));
    FDT_CHECK(fdt_property_u32(fdt, "vdc,rank", info->rank));
    FDT_CHECK(fdt_property_u32(fdt, "vdc,node-id", info->node_id));
    FDT_CHECK(fdt_property_string(fdt, "bootargs", info->bootargs ? info->bootargs : ""));
    FDT_CHECK(fdt_end_node(fdt));

    FDT_CHECK(fdt_begin_node(fdt, "memory@0"));
    FDT_CHECK(fdt_property_string(fdt, "device_type", "memory"));
    FDT_CHECK(property_reg(fdt, 0, info->memory_size));
    FDT_CHECK(fdt_end_node(fdt));

    for (size_t i = 0; i < info->bus->count; i++) {
        const struct vdc_mmio_window *w = &info->bus->windows[i];
        snprintf(node, sizeof node, "%s@%llx", w->name, (unsigned long long)w->base);
        snprintf(compatible, sizeof compatible, "vdc,%s", w->name);
        FDT_CHECK(fdt_begin_node(fdt, node));
        FDT_CHECK(fdt_property_string(fdt, "compatible", compatible));
        FDT_CHECK(property_reg(fdt, w->base, w->size));
        FDT_CHECK(fdt_end_node(fdt));
    }
    FDT_CHECK(fdt_end_node(fdt));
    FDT_CHECK(fdt_finish(fdt));
    if (!vdc_guest_write(gm, gpa, fdt, fdt_totalsize(fdt), "device tree", err))
        goto fail;
    free(fdt);
    return true;
fail:
    free(fdt);
    return false;
}
