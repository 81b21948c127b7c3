/* Guest RAM: an anonymous host mapping, and the checked copies in and out of it. */
#include "kvm/guest_memory.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

bool vdc_guest_memory_map(struct vdc_guest_memory *gm, uint64_t size, struct vdc_error *err)
{
    gm->host = NULL;
    gm->size = 0;
    gm->copier = NULL;
    gm->copies_in = gm->copies_out = (struct vdc_guest_copies){0};
    gm->log = NULL;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return vdc_fail(err, "cannot reserve %" PRIu64 " MiB of guest memory (%m); lower the guest's memory size",
                        size >> 20);
    /* In small host pages, even where the host's kernel would give every mapping transparent huge pages. Where
     * that kernel hands free memory back to its own host (virtio-balloon's free page reporting), a fresh huge page
     * is one that was handed back, and its first touch costs some twenty times a small page's per byte
     * (docs/performance.md, "Guest RAM in small pages"); a guest's buffers are filled and copied a page at a time,
     * where a huge page saves little of the TLB. Advice only: no error if refused. */
    madvise(p, size, MADV_NOHUGEPAGE);
    gm->host = p;
    gm->size = size;
    return true;
}

/* Blocks of the log and 2 KiB places of its copies: a RAM's size need not be a multiple of either. */
static uint64_t log_blocks(uint64_t size)
{
    return (size + VDC_GUEST_LOG_BLOCK - 1) / VDC_GUEST_LOG_BLOCK;
}

#define COPY_PLACE 2048u

static uint64_t copy_places(uint64_t size)
{
    return (size + COPY_PLACE - 1) / COPY_PLACE;
}

void vdc_guest_memory_log_writes(struct vdc_guest_memory *gm)
{
    if (gm->log != NULL)
        return;
    struct vdc_guest_write_log *log = vdc_xcalloc(1, sizeof *log);
    /* Host pages only where RAM is written or copied into. */
    log->written = vdc_xcalloc_pages(log_blocks(gm->size) * sizeof *log->written);
    log->copies = vdc_xcalloc_pages(copy_places(gm->size) * sizeof *log->copies);
    gm->log = log;
}

void vdc_guest_memory_end_log(struct vdc_guest_memory *gm)
{
    if (gm->log == NULL)
        return;
    vdc_free_pages(gm->log->written, log_blocks(gm->size) * sizeof *gm->log->written);
    vdc_free_pages(gm->log->copies, copy_places(gm->size) * sizeof *gm->log->copies);
    free(gm->log);
    gm->log = NULL;
}

void vdc_guest_memory_unmap(struct vdc_guest_memory *gm)
{
    vdc_guest_memory_settle(gm);
    vdc_guest_memory_end_log(gm);
    if (gm->host != NULL)
        munmap(gm->host, gm->size);
    gm->host = NULL;
    gm->size = 0;
}

static bool outside(const struct vdc_guest_memory *gm, const char *what, const char *verb, uint64_t gpa, uint64_t len,
                    struct vdc_error *err)
{
    return vdc_fail(err, "%s: %s of %" PRIu64 " bytes at guest address 0x%" PRIx64
                         " is outside guest memory (0 to 0x%" PRIx64 ")",
                    what, verb, len, gpa, gm->size);
}

bool vdc_guest_read(const struct vdc_guest_memory *gm, uint64_t gpa, void *dst, uint64_t len, const char *what,
                    struct vdc_error *err)
{
    const void *src = vdc_guest_view(gm, gpa, len);
    if (src == NULL)
        return outside(gm, what, "read", gpa, len, err);
    memcpy(dst, src, len);
    return true;
}

/* From this size up a write is a device's bulk transfer (a packet's payload, a copy engine's block), whose bytes
 * the guest reads, if ever, long after: the bulk copy's (around the host's caches where that is faster here). */
#define BULK_FROM 2048

static bool overlap(const uint8_t *a, const uint8_t *b, uint64_t len)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + len && y < x + len;
}

bool vdc_guest_write(const struct vdc_guest_memory *gm, uint64_t gpa, const void *src, uint64_t len,
                     const char *what, struct vdc_error *err)
{
    uint8_t *dst = vdc_guest_ptr(gm, gpa, len);
    if (dst == NULL)
        return outside(gm, what, "write", gpa, len, err);
    /* The source may be this guest's own memory (a NIC delivers a payload straight from the sender's buffer, and
     * a guest may send to itself), overlapping the destination. */
    if (len >= BULK_FROM && !overlap(dst, src, len))
        vdc_copy_bulk(dst, src, len);
    else
        memmove(dst, src, len);
    return true;
}

/* A copy of `ticket` touches [gpa, gpa + len): the range to wait for grows by it, or starts again from it when
 * every earlier copy of its kind is known done (by a count read lately: a range a little too wide only waits
 * a little sooner). */
static void note_copy(struct vdc_copier *copier, struct vdc_guest_copies *k, uint64_t gpa, uint64_t len,
                      uint64_t ticket)
{
    if (k->ticket == 0 || vdc_copier_done_lately(copier) >= k->ticket) {
        k->lo = gpa;
        k->hi = gpa + len;
    } else {
        k->lo = gpa < k->lo ? gpa : k->lo;
        k->hi = gpa + len > k->hi ? gpa + len : k->hi;
    }
    k->ticket = ticket;
}

/* Whether a copy of `k`'s kind not yet done may touch [gpa, gpa + len). */
static bool copies_touch(struct vdc_copier *copier, const struct vdc_guest_copies *k, uint64_t gpa, uint64_t len)
{
    return vdc_guest_copies_reach(k, gpa, len) && k->ticket > vdc_copier_done(copier);
}

/* The latest tick of the log's blocks over [offset, offset + len) of its RAM. */
static uint64_t last_written(const struct vdc_guest_write_log *log, uint64_t offset, uint64_t len)
{
    uint64_t latest = 0;
    for (uint64_t b = offset / VDC_GUEST_LOG_BLOCK, last = (offset + len - 1) / VDC_GUEST_LOG_BLOCK; b <= last; b++)
        latest = log->written[b] > latest ? log->written[b] : latest;
    return latest;
}

/* The copy's record, where RAM `gm` keeps those of the copies that start in its 2 KiB place. */
static struct vdc_guest_copy_record *copy_record(const struct vdc_guest_memory *gm, uint64_t gpa)
{
    return &gm->log->copies[gpa / COPY_PLACE];
}

/* Whether the copy would write the bytes already there: it repeats the last one made at `gpa`, and neither its
 * destination nor its source was written since (each RAM's blocks ticked no later than the record says). */
static bool copy_changes_nothing(const struct vdc_guest_memory *gm, uint64_t gpa,
                                 const struct vdc_guest_memory *src_memory, const uint8_t *src, uint64_t len)
{
    const struct vdc_guest_copy_record *r = copy_record(gm, gpa);
    return r->gpa == gpa && r->src == src && r->len == len && last_written(gm->log, gpa, len) <= r->dst_tick &&
           last_written(src_memory->log, (uint64_t)(src - src_memory->host), len) <= r->src_tick;
}

static bool write_from(struct vdc_guest_memory *gm, uint64_t gpa, struct vdc_guest_memory *src_memory,
                       const uint8_t *src, uint64_t len, const char *what, struct vdc_error *err);

bool vdc_guest_write_from(struct vdc_guest_memory *gm, uint64_t gpa, struct vdc_guest_memory *src_memory,
                          const uint8_t *src, uint64_t len, const char *what, struct vdc_error *err)
{
    /* Only copies that cannot overlap their source, so that the source is still what the destination holds. */
    bool logged = gm->log != NULL && src_memory->log != NULL && len > 0 && vdc_guest_contains(gm, gpa, len) &&
                  vdc_guest_source(src_memory, (uint64_t)(src - src_memory->host), len) == src &&
                  !overlap(gm->host + gpa, src, len);
    if (logged && copy_changes_nothing(gm, gpa, src_memory, src, len)) {
        gm->log->copies_skipped++;
        return true;
    }
    if (!write_from(gm, gpa, src_memory, src, len, what, err))
        return false;
    if (logged) {
        vdc_guest_note_write(gm, gpa, len);
        *copy_record(gm, gpa) = (struct vdc_guest_copy_record){
            .gpa = gpa, .src = src, .len = len, .dst_tick = gm->log->clock, .src_tick = src_memory->log->clock};
    }
    return true;
}

static bool write_from(struct vdc_guest_memory *gm, uint64_t gpa, struct vdc_guest_memory *src_memory,
                       const uint8_t *src, uint64_t len, const char *what, struct vdc_error *err)
{
    /* Done here, after the copies on their way that touch the source (a payload arriving where this one is read). */
    if (gm->copier == NULL || gm->copier != src_memory->copier || len < BULK_FROM ||
        !vdc_guest_contains(gm, gpa, len))
        return vdc_guest_write(gm, gpa, vdc_guest_source_now(src_memory, src, len), len, what, err);
    uint8_t *dst = gm->host + gpa;
    if (overlap(dst, src, len))
        return vdc_guest_write(gm, gpa, vdc_guest_source_now(src_memory, src, len), len, what, err);
    /* The copier is behind (its ring is full): rather than wait for room, this thread makes the copy itself when no
     * copy on its way touches what it reads or writes, so that both threads copy while the copies outrun one. */
    if (vdc_copier_full(gm->copier) && !copies_touch(gm->copier, &gm->copies_in, gpa, len) &&
        !copies_touch(gm->copier, &gm->copies_out, gpa, len) &&
        !copies_touch(gm->copier, &src_memory->copies_in, (uint64_t)(src - src_memory->host), len)) {
        vdc_copy_bulk(dst, src, len);
        return true;
    }
    uint64_t ticket = vdc_copier_submit(gm->copier, dst, src, len);
    note_copy(gm->copier, &gm->copies_in, gpa, len, ticket);
    note_copy(gm->copier, &src_memory->copies_out, (uint64_t)(src - src_memory->host), len, ticket);
    return true;
}
