/* The one checked path to guest memory: every device and loader access goes through these helpers. */
#ifndef VDC_KVM_GUEST_MEMORY_H
#define VDC_KVM_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Guest-physical RAM from address 0 to size, backed by one host mapping. */
struct vdc_guest_memory {
    uint8_t *host;
    uint64_t size;
};

bool vdc_guest_memory_map(struct vdc_guest_memory *gm, uint64_t size, struct vdc_error *err);
void vdc_guest_memory_unmap(struct vdc_guest_memory *gm);

/* The host address of [gpa, gpa + len) when the whole range is inside guest RAM, else NULL.
 * Overflow-safe: a range that wraps around the address space is refused. */
static inline void *vdc_guest_ptr(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    uint64_t end;
    if (__builtin_add_overflow(gpa, len, &end) || end > gm->size)
        return NULL;
    return gm->host + gpa;
}

/* Copies with a message naming the access ("what" says whose access it was) when out of range. */
bool vdc_guest_read(const struct vdc_guest_memory *gm, uint64_t gpa, void *dst, uint64_t len, const char *what,
                    struct vdc_error *err);
bool vdc_guest_write(const struct vdc_guest_memory *gm, uint64_t gpa, const void *src, uint64_t len,
                     const char *what, struct vdc_error *err);

#endif
