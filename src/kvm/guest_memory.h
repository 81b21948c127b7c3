/* The one checked path to guest memory: every device and loader access goes through these helpers. */
#ifndef VDC_KVM_GUEST_MEMORY_H
#define VDC_KVM_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/copier.h"
#include "common/error.h"

/* Guest-physical RAM from address 0 to size, backed by one host mapping. `copier`, when set, may still be moving
 * bytes into it or out of it (vdc_guest_write_from): every access below waits for those copies first. */
struct vdc_guest_memory {
    uint8_t *host;
    uint64_t size;
    struct vdc_copier *copier;
    uint64_t last_copy;         /* the copier's ticket of the last copy into or out of this RAM; 0: none */
    uint64_t copy_lo, copy_hi;  /* the guest addresses that copy and those not known done before it touch */
};

bool vdc_guest_memory_map(struct vdc_guest_memory *gm, uint64_t size, struct vdc_error *err);
void vdc_guest_memory_unmap(struct vdc_guest_memory *gm);

/* Whether [gpa, gpa + len) is inside guest RAM. Overflow-safe: a range that wraps around is refused. */
static inline bool vdc_guest_contains(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    uint64_t end;
    return !__builtin_add_overflow(gpa, len, &end) && end <= gm->size;
}

/* The host address of [gpa, gpa + len) when the whole range is inside guest RAM, else NULL, for bytes that are
 * read later, when they are copied by vdc_guest_write_from: not to be read or written through now. */
static inline const uint8_t *vdc_guest_source(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    return vdc_guest_contains(gm, gpa, len) ? gm->host + gpa : NULL;
}

/* Every copy into or out of guest RAM still on its way is done (before a vCPU runs on it, or the RAM goes). */
static inline void vdc_guest_memory_settle(const struct vdc_guest_memory *gm)
{
    vdc_copier_wait_for(gm->copier, gm->last_copy);
}

/* The host address of [gpa, gpa + len) when the whole range is inside guest RAM, else NULL; its bytes are as every
 * copy handed over so far left them (it waits for those copies when they touch the range: a completion written
 * beside a send buffer being read does not wait for the reads). */
static inline void *vdc_guest_ptr(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    if (!vdc_guest_contains(gm, gpa, len))
        return NULL;
    if (gpa < gm->copy_hi && gpa + len > gm->copy_lo)
        vdc_guest_memory_settle(gm);
    return gm->host + gpa;
}

/* Copies with a message naming the access ("what" says whose access it was) when out of range. */
bool vdc_guest_read(const struct vdc_guest_memory *gm, uint64_t gpa, void *dst, uint64_t len, const char *what,
                    struct vdc_error *err);
bool vdc_guest_write(const struct vdc_guest_memory *gm, uint64_t gpa, const void *src, uint64_t len,
                     const char *what, struct vdc_error *err);
/* As vdc_guest_write, from `src`, which vdc_guest_source gave for RAM `src_memory` (of a guest with the same
 * copier): a bulk copy is handed to the copier and the caller goes on while it moves (every other access to either
 * RAM waits for it first). */
bool vdc_guest_write_from(struct vdc_guest_memory *gm, uint64_t gpa, struct vdc_guest_memory *src_memory,
                          const uint8_t *src, uint64_t len, const char *what, struct vdc_error *err);

#endif
