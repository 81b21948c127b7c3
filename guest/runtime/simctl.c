/* Guest side of the sim-control device, found through the device tree. */
#include <libfdt.h>

#include "../../src/kvm/simctl_regs.h"
#include "vdc_guest.h"

static const void *device_tree;
static volatile uint64_t *simctl;

static inline uint64_t reg_read(unsigned offset)
{
    return simctl[offset / 8];
}

static inline void reg_write(unsigned offset, uint64_t value)
{
    simctl[offset / 8] = value;
}

uint64_t vdc_find_device(const char *compatible, uint64_t *size)
{
    int node = fdt_node_offset_by_compatible(device_tree, -1, compatible);
    if (node < 0)
        return 0;
    int len;
    const fdt64_t *reg = fdt_getprop(device_tree, node, "reg", &len);
    if (reg == NULL || len < 16)
        return 0;
    if (size != NULL)
        *size = fdt64_ld(&reg[1]);
    return fdt64_ld(&reg[0]);
}

void vdc_runtime_start(const void *dtb);
void vdc_runtime_start(const void *dtb)
{
    device_tree = dtb;
    if (fdt_check_header(dtb) != 0)
        __builtin_trap(); /* no console without the tree: the VMM reports the #UD */
    simctl = (volatile uint64_t *)(uintptr_t)vdc_find_device("vdc,simctl", NULL);
    if (simctl == 0 || reg_read(SIMCTL_ID) != SIMCTL_MAGIC)
        __builtin_trap();
}

bool vdc_fill(void *dst, int c, size_t n)
{
    if (simctl == NULL)
        return false; /* before the runtime has found simctl */
    struct simctl_fill block = {.address = (uint64_t)(uintptr_t)dst, .length = n, .value = (uint8_t)c};
    __asm__ volatile("" ::: "memory"); /* the block is in memory before the VMM reads it */
    reg_write(SIMCTL_FILL, (uint64_t)(uintptr_t)&block);
    __asm__ volatile("" ::: "memory"); /* and the filled bytes are read from memory after */
    return true;
}

bool vdc_copy(void *dst, const void *src, size_t n)
{
    if (simctl == NULL)
        return false;
    struct simctl_copy block = {.destination = (uint64_t)(uintptr_t)dst, .source = (uint64_t)(uintptr_t)src,
                                .length = n};
    __asm__ volatile("" ::: "memory"); /* the block and the source bytes are in memory before the VMM reads them */
    reg_write(SIMCTL_COPY, (uint64_t)(uintptr_t)&block);
    __asm__ volatile("" ::: "memory"); /* and the copied bytes are read from memory after */
    return true;
}

bool vdc_compare(const void *a, const void *b, size_t n, size_t *differs_at)
{
    if (simctl == NULL)
        return false;
    volatile struct simctl_compare block = {.first = (uint64_t)(uintptr_t)a, .second = (uint64_t)(uintptr_t)b,
                                            .length = n, .differs_at = n};
    __asm__ volatile("" ::: "memory");
    reg_write(SIMCTL_COMPARE, (uint64_t)(uintptr_t)&block);
    __asm__ volatile("" ::: "memory");
    *differs_at = block.differs_at;
    return true;
}

const void *vdc_device_tree(void)
{
    return device_tree;
}

static const char *chosen_string(const char *property)
{
    int node = fdt_path_offset(device_tree, "/chosen");
    const char *value = node < 0 ? NULL : fdt_getprop(device_tree, node, property, NULL);
    return value ? value : "";
}

static uint32_t chosen_u32(const char *property)
{
    int node = fdt_path_offset(device_tree, "/chosen"), len;
    const fdt32_t *value = node < 0 ? NULL : fdt_getprop(device_tree, node, property, &len);
    return value && len == 4 ? fdt32_to_cpu(*value) : 0;
}

const char *vdc_name(void) { return chosen_string("vdc,name"); }
const char *vdc_bootargs(void) { return chosen_string("bootargs"); }
uint32_t vdc_rank(void) { return chosen_u32("vdc,rank"); }
uint32_t vdc_node_id(void) { return chosen_u32("vdc,node-id"); }

void vdc_console_write(const char *text, size_t len)
{
    while (len > 0) {
        size_t chunk = len > 0xffff ? 0xffff : len;
        reg_write(SIMCTL_CONSOLE, (uint64_t)(uintptr_t)text | ((uint64_t)chunk << 48));
        text += chunk;
        len -= chunk;
    }
}

uint64_t vdc_clock_ns(void) { return reg_read(SIMCTL_CLOCK_NS); }
uint64_t vdc_random(void) { return reg_read(SIMCTL_RANDOM); }
void vdc_compute_ns(uint64_t ns) { reg_write(SIMCTL_COMPUTE_NS, ns); }

uint64_t vdc_wait(uint64_t deadline_ns, uint64_t cause_mask)
{
    volatile struct simctl_wait block = {.deadline_ns = deadline_ns, .cause_mask = cause_mask};
    reg_write(SIMCTL_WAIT, (uint64_t)(uintptr_t)&block);
    return block.causes;
}

void vdc_exit(int code)
{
    reg_write(SIMCTL_EXIT, (uint64_t)(unsigned)code & 0xff);
    for (;;)
        __builtin_trap();
}
