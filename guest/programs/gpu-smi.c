/* gpu-smi: lists this guest's HiGPUs in a table in the manner of nvidia-smi: name and preset, PCIe place and
 * link, memory used and total, SMs, clock, L2, and utilization since the device started (kernels, copies). */
#include <libfdt.h>

#include "vdc_gpu.h"
#include "vdc_guest.h"

#define RULE "+-------------------------------+----------------------+----------------------+\n"

/* One table row: three cells cut or padded to the columns' widths. */
static void row(const char *a, const char *b, const char *c)
{
    printf("|%-31.31s|%-22.22s|%-22.22s|\n", a, b, c);
}

/* The number after '@' in a node name such as "downstream-port@1", or -1. */
static int unit_address(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < n; i++)
        if (name[i] != prefix[i])
            return -1;
    return (int)strtoul(name + n, NULL, 16);
}

/* "0000:BB:DD.0" from the device's place: bus = its root port, device = its switch port + 1 (0: on the port). */
static void bus_id(const char *node_name, char *out, size_t size)
{
    const void *fdt = vdc_device_tree();
    int node = fdt_path_offset(fdt, "/");
    int root = 0, downstream = -1;
    node = fdt_subnode_offset(fdt, node, "pcie");
    int target = -1, at;
    fdt_for_each_subnode(at, fdt, node)
    {
        int r = unit_address(fdt_get_name(fdt, at, NULL), "root-port@");
        int inner, leaf;
        fdt_for_each_subnode(inner, fdt, at)
        {
            if (strcmp(fdt_get_name(fdt, inner, NULL), node_name) == 0) {
                root = r, downstream = -1, target = inner;
            }
            fdt_for_each_subnode(leaf, fdt, inner)
            {
                int d = unit_address(fdt_get_name(fdt, leaf, NULL), "downstream-port@");
                int dev;
                fdt_for_each_subnode(dev, fdt, leaf)
                {
                    if (strcmp(fdt_get_name(fdt, dev, NULL), node_name) == 0)
                        root = r, downstream = d, target = dev;
                }
            }
        }
    }
    if (target < 0)
        snprintf(out, size, "unknown");
    else
        snprintf(out, size, "0000:%02x:%02x.0", root, downstream + 1);
}

static unsigned percent(uint64_t part, uint64_t whole)
{
    return whole == 0 ? 0 : (unsigned)(part * 100 / whole);
}

int main(void);
int main(void)
{
    int count = vdcGetDeviceCount();
    if (count == 0) {
        printf("No devices were found\n");
        return 1;
    }
    struct higpu_info info[GPU_MAX_DEVICES];
    const char *names[GPU_MAX_DEVICES];
    for (int i = 0; i < count; i++) {
        int status;
        struct gpu_device *gpu = vdc_gpu_open(i, &status);
        if (gpu == NULL || (status = gpu_query(gpu, &info[i])) != GPU_SUCCESS) {
            printf("gpu-smi: GPU %d: %s\n", i, gpu_status_name(status));
            return 1;
        }
        names[i] = gpu->node_name;
    }
    uint64_t now = info[count - 1].now_ps;
    char title[96];
    snprintf(title, sizeof title, " VDC-SMI 1.0     guest %-10s   virtual time %llu.%06llu ms", vdc_name(),
             (unsigned long long)(now / 1000000000ULL), (unsigned long long)(now / 1000 % 1000000));
    printf("+-----------------------------------------------------------------------------+\n");
    printf("|%-77.77s|\n", title);
    printf("|-------------------------------+----------------------+----------------------+\n");
    row(" GPU  Name        Preset", " Bus-Id       Link", "  GPU-Util  Copy-Util");
    row(" SMs  SM Clock    L2 Cache", "         Memory-Usage", "  Launches   Commands");
    printf("|===============================+======================+======================|\n");
    for (int i = 0; i < count; i++) {
        const struct higpu_info *g = &info[i];
        char a[40], b[40], c[40], bus[24];
        bus_id(names[i], bus, sizeof bus);
        snprintf(a, sizeof a, " %3d  %-11.11s %-12.12s", i, g->name, g->preset);
        snprintf(b, sizeof b, " %-12s Gen%u x%-2u", bus, g->pcie_generation, g->pcie_lanes);
        snprintf(c, sizeof c, " %8u%%  %8u%%", percent(g->kernel_ps, g->now_ps), percent(g->copy_ps, g->now_ps));
        row(a, b, c);
        char clock[24], l2[24];
        snprintf(clock, sizeof clock, "%llu MHz", (unsigned long long)(g->clock_hz / 1000000));
        snprintf(l2, sizeof l2, "%llu MiB", (unsigned long long)(g->l2_bytes >> 20));
        snprintf(a, sizeof a, " %3u  %-11s %-12s", g->sm_count, clock, l2);
        snprintf(b, sizeof b, "%6lluMiB / %6lluMiB ", (unsigned long long)(g->memory_used >> 20),
                 (unsigned long long)(g->memory_bytes >> 20));
        snprintf(c, sizeof c, " %9llu  %9llu", (unsigned long long)g->launches, (unsigned long long)g->commands);
        row(a, b, c);
        printf(RULE);
    }
    printf("\n");
    printf("+-----------------------------------------------------------------------------+\n");
    printf("| Processes:                                                                  |\n");
    printf("|  GPU   Name                                                     Modules     |\n");
    printf("|=============================================================================|\n");
    for (int i = 0; i < count; i++)
        printf("|  %3d   %-56.56s %7u     |\n", i, vdc_name(), info[i].modules);
    printf("+-----------------------------------------------------------------------------+\n");
    return 0;
}
