/* The one checked path to guest memory: every device and loader access goes through these helpers. */
#ifndef VDC_KVM_GUEST_MEMORY_H
#define VDC_KVM_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/copier.h"
#include "common/error.h"

/* Copies on the copier that write into a guest's RAM, or read out of it: the ticket of the last one (0: none), and
 * the guest addresses it and those not known done before it touch. */
struct vdc_guest_copies {
    uint64_t ticket, lo, hi;
};

/* Guest-physical RAM from address 0 to size, backed by one host mapping. `copier`, when set, may still be moving
 * bytes into it or out of it (vdc_guest_write_from): every access below waits for those copies first. */
struct vdc_guest_memory {
    uint8_t *host;
    uint64_t size;
    struct vdc_copier *copier;
    struct vdc_guest_copies copies_in, copies_out;
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
    uint64_t last = gm->copies_in.ticket > gm->copies_out.ticket ? gm->copies_in.ticket : gm->copies_out.ticket;
    vdc_copier_wait_for(gm->copier, last);
}

/* Every copy into guest RAM is done: what a vCPU that may read anything needs when its writes are trapped. */
static inline void vdc_guest_memory_settle_in(const struct vdc_guest_memory *gm)
{
    vdc_copier_wait_for(gm->copier, gm->copies_in.ticket);
}

/* Whether copies of `k`'s kind may touch [gpa, gpa + len) (those done included: the range only grows until they
 * are known done). */
static inline bool vdc_guest_copies_reach(const struct vdc_guest_copies *k, uint64_t gpa, uint64_t len)
{
    return gpa < k->hi && gpa + len > k->lo;
}

/* Every copy that touches [gpa, gpa + len), into or out of guest RAM, is done. */
static inline void vdc_guest_memory_settle_range(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    if (vdc_guest_copies_reach(&gm->copies_in, gpa, len))
        vdc_copier_wait_for(gm->copier, gm->copies_in.ticket);
    if (vdc_guest_copies_reach(&gm->copies_out, gpa, len))
        vdc_copier_wait_for(gm->copier, gm->copies_out.ticket);
}

/* The host address of [gpa, gpa + len) when the whole range is inside guest RAM, else NULL; its bytes are as every
 * copy handed over so far left them (it waits for those copies when they touch the range: a completion written
 * beside a send buffer being read does not wait for the reads). */
static inline void *vdc_guest_ptr(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    if (!vdc_guest_contains(gm, gpa, len))
        return NULL;
    vdc_guest_memory_settle_range(gm, gpa, len);
    return gm->host + gpa;
}

/* Copies with a message naming the access ("what" says whose access it was) when out of range. */
bool vdc_guest_read(const struct vdc_guest_memory *gm, uint64_t gpa, void *dst, uint64_t len, const char *what,
                    struct vdc_error *err);
bool vdc_guest_write(const struct vdc_guest_memory *gm, uint64_t gpa, const void *src, uint64_t len,
                     const char *what, struct vdc_error *err);
/* The bytes at `src` (from vdc_guest_source for RAM `gm`) as every copy handed over so far left them: it waits for
 * the copies into or out of them. For reading them now rather than through vdc_guest_write_from. */
static inline const uint8_t *vdc_guest_source_now(const struct vdc_guest_memory *gm, const uint8_t *src, uint64_t len)
{
    vdc_guest_memory_settle_range(gm, (uint64_t)(src - gm->host), len);
    return src;
}

/* As vdc_guest_write, from `src`, which vdc_guest_source gave for RAM `src_memory` (of a guest with the same
 * copier): a bulk copy is handed to the copier and the caller goes on while it moves (every other access to either
 * RAM waits for it first). */
bool vdc_guest_write_from(struct vdc_guest_memory *gm, uint64_t gpa, struct vdc_guest_memory *src_memory,
                          const uint8_t *src, uint64_t len, const char *what, struct vdc_error *err);

#endif
