/* Bulk copies handed to a thread of their own, in the order they were handed over, so that the loop's thread goes
 * on while the bytes move; and the bulk copy both sides use. */
#ifndef VDC_COMMON_COPIER_H
#define VDC_COMMON_COPIER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies len bytes to a destination the host will not read soon, in the way this thread last measured faster on
 * this host and these bytes: non-temporal stores for the aligned body (which skip reading each destination line
 * first; the way until measured), or a compare a host page at a time that leaves a page alone where it already holds
 * the bytes and copies it plainly where it does not. The ranges must not overlap. */
void vdc_copy_bulk(uint8_t *dst, const uint8_t *src, uint64_t len);

struct vdc_copier;

/* Copies in flight at most in a run's copier: 1 GiB of 4 KiB payloads (6 MiB of ring, touched only as far as it
 * is used). The copier falls behind in bursts (rack8-perftest's 8 MiB messages) and catches up between them: a
 * ring that holds a whole burst lets the loop go on instead of waiting for room (docs/performance.md). */
#define VDC_COPIER_RING 262144

/* A copier whose thread starts with its first copy, with room for `ring` copies in flight (rounded up to a power of
 * two). One thread hands copies over (the producer); any thread may wait for them. */
struct vdc_copier *vdc_copier_create(uint32_t ring);
/* Waits for every copy handed over, then stops the thread. NULL is allowed. */
void vdc_copier_free(struct vdc_copier *c);

/* Hands over a copy of len bytes from src to dst (not overlapping): it happens after every copy handed over
 * before it. Neither range may be read or written by anyone else until it is done. Returns its ticket, which
 * vdc_copier_wait_for takes. */
uint64_t vdc_copier_submit(struct vdc_copier *c, uint8_t *dst, const uint8_t *src, uint64_t len);

/* The count of copies done sits first in the copier's record, on a host cache line of its own, so that asking
 * costs a load inline: the ticket of the last one done, 0 before any. */
static inline uint64_t vdc_copier_done(const struct vdc_copier *c)
{
    return atomic_load_explicit((const _Atomic uint64_t *)(const void *)c, memory_order_acquire);
}
/* A count of copies done that the producer read lately, at most vdc_copier_done: no line the thread writes is read. */
uint64_t vdc_copier_done_lately(const struct vdc_copier *c);
/* Whether a copy handed over now would wait for room (the thread is behind): the producer's to ask. */
bool vdc_copier_full(struct vdc_copier *c);
void vdc_copier_wait_slow(struct vdc_copier *c, uint64_t ticket);
/* Returns once the copy of `ticket` and every one before it are done; their bytes are then visible to the calling
 * thread. A NULL copier or ticket 0 asks for nothing. */
static inline void vdc_copier_wait_for(struct vdc_copier *c, uint64_t ticket)
{
    if (c != NULL && ticket > vdc_copier_done(c))
        vdc_copier_wait_slow(c, ticket);
}

#endif
