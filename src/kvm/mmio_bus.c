/* A sorted array of windows and a binary search: few devices per guest, looked up on every exit. */
#include "kvm/mmio_bus.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

bool vdc_mmio_bus_add(struct vdc_mmio_bus *bus, const struct vdc_mmio_window *w, struct vdc_error *err)
{
    uint64_t end;
    if (w->size == 0)
        return vdc_fail(err, "device %s: empty register window at 0x%" PRIx64, w->name, w->base);
    if (__builtin_add_overflow(w->base, w->size, &end))
        return vdc_fail(err, "device %s: register window 0x%" PRIx64 "+0x%" PRIx64 " wraps the address space",
                        w->name, w->base, w->size);
    size_t at = 0;
    while (at < bus->count && bus->windows[at].base < w->base)
        at++;
    const struct vdc_mmio_window *before = at > 0 ? &bus->windows[at - 1] : NULL;
    const struct vdc_mmio_window *after = at < bus->count ? &bus->windows[at] : NULL;
    const struct vdc_mmio_window *clash = NULL;
    if (before != NULL && before->base + before->size > w->base)
        clash = before;
    else if (after != NULL && after->base < end)
        clash = after;
    if (clash != NULL)
        return vdc_fail(err, "device %s: register window 0x%" PRIx64 "+0x%" PRIx64 " overlaps %s at 0x%" PRIx64
                             "+0x%" PRIx64,
                        w->name, w->base, w->size, clash->name, clash->base, clash->size);
    if (bus->count == bus->cap) {
        bus->cap = bus->cap ? bus->cap * 2 : 8;
        bus->windows = vdc_xrealloc(bus->windows, bus->cap, sizeof *bus->windows);
    }
    memmove(bus->windows + at + 1, bus->windows + at, (bus->count - at) * sizeof *bus->windows);
    bus->windows[at] = *w;
    bus->count++;
    return true;
}

const struct vdc_mmio_window *vdc_mmio_bus_find(const struct vdc_mmio_bus *bus, uint64_t address, uint32_t size)
{
    size_t lo = 0, hi = bus->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct vdc_mmio_window *w = &bus->windows[mid];
        if (address < w->base)
            hi = mid;
        else if (address - w->base >= w->size)
            lo = mid + 1;
        else
            return size <= w->size - (address - w->base) ? w : NULL;
    }
    return NULL;
}

void vdc_mmio_bus_free(struct vdc_mmio_bus *bus)
{
    free(bus->windows);
    memset(bus, 0, sizeof *bus);
}
