/* Device tree construction with libfdt's sequential-write API in a staging buffer (as kvmtool does), each
 * call wrapped so that a failure names the call. */
#include "kvm/device_tree.h"

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

/* One device's node: compatible "vdc,<name>", its register window, its cause bits, its PCIe identity and the
 * properties the device adds. */
static bool device_node(void *fdt, const struct vdc_mmio_window *w, struct vdc_error *err)
{
    char node[64], compatible[64];
    snprintf(node, sizeof node, "%s@%llx", w->name, (unsigned long long)w->base);
    snprintf(compatible, sizeof compatible, "vdc,%s", w->name);
    FDT_CHECK(fdt_begin_node(fdt, node));
    FDT_CHECK(fdt_property_string(fdt, "compatible", compatible));
    FDT_CHECK(property_reg(fdt, w->base, w->size));
    if (w->cause != 0)
        FDT_CHECK(fdt_property_u64(fdt, "vdc,cause", w->cause));
    if (w->pcie.present) {
        FDT_CHECK(fdt_property_u32(fdt, "vendor-id", w->pcie.vendor));
        FDT_CHECK(fdt_property_u32(fdt, "device-id", w->pcie.device));
        FDT_CHECK(fdt_property_u32(fdt, "class-code", w->pcie.class_code));
        FDT_CHECK(fdt_property_u64(fdt, "vdc,bar-sizes", w->size));
        FDT_CHECK(fdt_property_u32(fdt, "vdc,link-generation", w->pcie.generation));
        FDT_CHECK(fdt_property_u32(fdt, "vdc,link-width", w->pcie.lanes));
    }
    for (uint32_t i = 0; i < w->property_count; i++)
        FDT_CHECK(fdt_property(fdt, w->properties[i].name, w->properties[i].value, (int)w->properties[i].length));
    FDT_CHECK(fdt_end_node(fdt));
    return true;
fail:
    return false;
}

static bool link_properties(void *fdt, const struct vdc_pcie_place *place, struct vdc_error *err)
{
    FDT_CHECK(fdt_property_u32(fdt, "vdc,link-generation", place->generation));
    FDT_CHECK(fdt_property_u32(fdt, "vdc,link-width", place->lanes));
    return true;
fail:
    return false;
}

/* The devices under one root port: those attached directly, then a switch with one node per downstream port. */
static bool root_port(void *fdt, const struct vdc_mmio_bus *bus, uint32_t port, struct vdc_error *err)
{
    char node[48];
    bool has_switch = false;
    int32_t highest_switch_port = -1;
    for (size_t i = 0; i < bus->count; i++) {
        const struct vdc_pcie_place *pl = &bus->windows[i].pcie;
        if (!pl->present || pl->root_port != port)
            continue;
        if (pl->switch_port < 0 && !device_node(fdt, &bus->windows[i], err))
            return false;
        if (pl->switch_port >= 0) {
            has_switch = true;
            if (pl->switch_port > highest_switch_port)
                highest_switch_port = pl->switch_port;
        }
    }
    if (!has_switch)
        return true;
    FDT_CHECK(fdt_begin_node(fdt, "switch@0"));
    FDT_CHECK(fdt_property_string(fdt, "compatible", "vdc,pcie-switch"));
    for (int32_t sp = 0; sp <= highest_switch_port; sp++) {
        bool opened = false;
        for (size_t i = 0; i < bus->count; i++) {
            const struct vdc_pcie_place *pl = &bus->windows[i].pcie;
            if (!pl->present || pl->root_port != port || pl->switch_port != sp)
                continue;
            if (!opened) {
                snprintf(node, sizeof node, "downstream-port@%d", sp);
                FDT_CHECK(fdt_begin_node(fdt, node));
                if (!link_properties(fdt, pl, err))
                    goto fail;
                opened = true;
            }
            if (!device_node(fdt, &bus->windows[i], err))
                goto fail;
        }
        if (opened)
            FDT_CHECK(fdt_end_node(fdt));
    }
    FDT_CHECK(fdt_end_node(fdt));
    return true;
fail:
    return false;
}

/* /pcie: the root complex, one node per root port in use, each with the link to what sits below it. */
static bool pcie_hierarchy(void *fdt, const struct vdc_mmio_bus *bus, struct vdc_error *err)
{
    char node[48];
    uint32_t highest = 0;
    bool any = false;
    for (size_t i = 0; i < bus->count; i++) {
        if (bus->windows[i].pcie.present) {
            any = true;
            if (bus->windows[i].pcie.root_port > highest)
                highest = bus->windows[i].pcie.root_port;
        }
    }
    if (!any)
        return true;
    FDT_CHECK(fdt_begin_node(fdt, "pcie"));
    FDT_CHECK(fdt_property_string(fdt, "compatible", "vdc,pcie-root-complex"));
    for (uint32_t port = 0; port <= highest; port++) {
        const struct vdc_pcie_place *first = NULL;
        for (size_t i = 0; i < bus->count && first == NULL; i++) {
            if (bus->windows[i].pcie.present && bus->windows[i].pcie.root_port == port)
                first = &bus->windows[i].pcie;
        }
        if (first == NULL)
            continue;
        snprintf(node, sizeof node, "root-port@%u", port);
        FDT_CHECK(fdt_begin_node(fdt, node));
        if (!link_properties(fdt, first, err) || !root_port(fdt, bus, port, err))
            goto fail;
        FDT_CHECK(fdt_end_node(fdt));
    }
    FDT_CHECK(fdt_end_node(fdt));
    return true;
fail:
    return false;
}

bool vdc_device_tree_build(struct vdc_guest_memory *gm, uint64_t gpa, uint64_t max_size,
                           const struct vdc_device_tree_info *info, struct vdc_error *err)
{
    void *fdt = vdc_xcalloc(1, max_size);
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
        if (!info->bus->windows[i].pcie.present && !device_node(fdt, &info->bus->windows[i], err))
            goto fail;
    }
    if (!pcie_hierarchy(fdt, info->bus, err))
        goto fail;
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
