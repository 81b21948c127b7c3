/* The one checked path to guest memory: every device and loader access goes through these helpers. */
#ifndef VDC_KVM_GUEST_MEMORY_H
#define VDC_KVM_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/copier.h"
#include "common/error.h"
#include "scheduler/step_batch.h"

/* Copies on the copier that write into a guest's RAM, or read out of it: the ticket of the last one (0: none), and
 * the guest addresses it and those not known done before it touch. */
struct vdc_guest_copies {
    uint64_t ticket, lo, hi;
};

/* Guest RAM is logged in blocks of this many bytes (a power of two): a NIC's payloads, whole MTUs at aligned
 * places, fill whole blocks. */
#define VDC_GUEST_LOG_BLOCK 1024u

/* A payload copy as the write log remembers it. */
struct vdc_guest_copy_record {
    uint64_t gpa;               /* where it wrote, */
    const uint8_t *src;         /* from where (a host address in guest RAM), */
    uint64_t len;               /* how much: 0 for none */
    uint64_t dst_tick, src_tick; /* each RAM's clock just after it */
};

/* Which blocks of guest RAM were written when, so that a copy that would write the bytes already there is skipped
 * (vdc_guest_write_from): a clock that ticks at every write, each block's tick of its last write, and the last copy
 * that started in each 2 KiB of RAM. Kept only where every write to the RAM is seen: the emulated vCPU's stores
 * pass a hook, a KVM vCPU's do not. */
struct vdc_guest_write_log {
    uint64_t clock;
    uint64_t *written;                     /* per block: the clock at its last write */
    struct vdc_guest_copy_record *copies;  /* per 2 KiB of RAM */
    uint64_t copies_skipped;
};

/* Guest-physical RAM from address 0 to size, backed by one host mapping. `copier`, when set, may still be moving
 * bytes into it or out of it (vdc_guest_write_from): every access below waits for those copies first. */
struct vdc_guest_memory {
    uint8_t *host;
    uint64_t size;
    struct vdc_copier *copier;
    struct vdc_guest_copies copies_in, copies_out;
    struct vdc_guest_write_log *log; /* NULL until vdc_guest_memory_log_writes: no copy is skipped */
};

bool vdc_guest_memory_map(struct vdc_guest_memory *gm, uint64_t size, struct vdc_error *err);
void vdc_guest_memory_unmap(struct vdc_guest_memory *gm);
/* Starts the write log: for a RAM every writer of which calls vdc_guest_note_write (or writes through the helpers
 * below, which do), the guest's vCPU included. */
void vdc_guest_memory_log_writes(struct vdc_guest_memory *gm);
/* Ends the write log (vdc_guest_memory_unmap does): no copy is skipped after. */
void vdc_guest_memory_end_log(struct vdc_guest_memory *gm);

/* [gpa, gpa + len) of RAM is being written (inside RAM): a tick of the log's clock, stamped on its blocks. */
static inline void vdc_guest_note_write(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    struct vdc_guest_write_log *log = gm->log;
    if (log == NULL || len == 0)
        return;
    /* Outside a batch only the loop's thread writes guest RAM. Inside one, a GPU's window may (its copy engine's
     * device-to-host copies), beside the windows of the guest's other GPUs, and a guest's instructions run ahead of
     * their exit (sim.c, run_steps), each on whichever thread runs it: the clock then ticks atomically, each tick
     * still above every one taken before the batch. */
    uint64_t tick = vdc_step_current == NULL ? ++log->clock : __atomic_add_fetch(&log->clock, 1, __ATOMIC_RELAXED);
    for (uint64_t b = gpa / VDC_GUEST_LOG_BLOCK, last = (gpa + len - 1) / VDC_GUEST_LOG_BLOCK; b <= last; b++)
        log->written[b] = tick;
}

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

/* The host address of [gpa, gpa + len) when the whole range is inside guest RAM, else NULL, for reading it; its
 * bytes are as every copy handed over so far left them (it waits for those copies when they touch the range: a
 * completion written beside a send buffer being read does not wait for the reads). */
static inline const void *vdc_guest_view(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    if (!vdc_guest_contains(gm, gpa, len))
        return NULL;
    vdc_guest_memory_settle_range(gm, gpa, len);
    return gm->host + gpa;
}

/* As vdc_guest_view, for reading or writing: the range counts as written. */
static inline void *vdc_guest_ptr(const struct vdc_guest_memory *gm, uint64_t gpa, uint64_t len)
{
    if (!vdc_guest_contains(gm, gpa, len))
        return NULL;
    vdc_guest_memory_settle_range(gm, gpa, len);
    vdc_guest_note_write(gm, gpa, len);
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
 * RAM waits for it first). Where both RAMs keep a write log, a copy that repeats the last one made at `gpa` (same
 * source, same length) with neither range written since is skipped: the bytes are there. */
bool vdc_guest_write_from(struct vdc_guest_memory *gm, uint64_t gpa, struct vdc_guest_memory *src_memory,
                          const uint8_t *src, uint64_t len, const char *what, struct vdc_error *err);

#endif
