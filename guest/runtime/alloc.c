/* A bump allocator over the free RAM between the program's end and the bottom of its stack. */
#include <libfdt.h>

#include "../../src/kvm/guest_layout.h"
#include "vdc_guest.h"

extern char _end[]; /* the end of the program's segments, from the default linker script */

static uintptr_t next_free, limit;

/* The stack's lowest address: the layout puts the device tree, the thread block and the stack at the top of RAM. */
static uintptr_t stack_bottom(void)
{
    const void *fdt = vdc_device_tree();
    int node = fdt_node_offset_by_prop_value(fdt, -1, "device_type", "memory", sizeof "memory");
    int len;
    const fdt64_t *reg = node < 0 ? NULL : fdt_getprop(fdt, node, "reg", &len);
    if (reg == NULL || len < 16)
        return 0;
    uint64_t ram = fdt64_ld(&reg[1]);
    uint64_t top = GUEST_DTB_SIZE + GUEST_THREAD_BLOCK_SIZE + GUEST_STACK_SIZE;
    return ram > top ? (uintptr_t)(ram - top) : 0;
}

void *vdc_alloc(size_t size, size_t align)
{
    if (limit == 0) {
        next_free = (uintptr_t)_end;
        limit = stack_bottom();
    }
    if (align == 0 || (align & (align - 1)) != 0)
        return NULL;
    uintptr_t start = (next_free + align - 1) & ~(uintptr_t)(align - 1);
    if (start < next_free || start > limit || size > limit - start)
        return NULL;
    next_free = start + size;
    return memset((void *)start, 0, size);
}

size_t vdc_alloc_available(void)
{
    if (limit == 0)
        vdc_alloc(0, 1);
    return limit > next_free ? limit - next_free : 0;
}
