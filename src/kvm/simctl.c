/* simctl: every register is one exit, so each call a guest makes is one round trip; arguments that do not
 * fit a register come in a block in guest memory, read through the checked helper. */
#include "kvm/simctl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/fill.h"
#include "kvm/guest.h"
#include "kvm/guest_layout.h"

/* Whether `length` bytes at `address` (host bytes `bytes`, NULL outside RAM) lie in the program's part of RAM; else
 * err says so. The bulk registers do what the guest could do itself, byte by byte, so they may not reach the VMM's
 * pages, which the guest can neither read nor write. */
static bool in_program(const struct vdc_guest *g, const void *bytes, const char *what, const char *preposition,
                       uint64_t address, uint64_t length, struct vdc_error *err)
{
    if (bytes != NULL && address >= GUEST_SYSTEM_END)
        return true;
    return vdc_fail(err,
                    "%s of %" PRIu64 " bytes %s 0x%" PRIx64 " is outside the program's memory "
                    "(0x%llx to 0x%" PRIx64 ")",
                    what, length, preposition, address, GUEST_SYSTEM_END, g->memory.size);
}

/* The host bytes of `length` bytes at `address` in the program's part of RAM, to be written (or read), or NULL (with
 * err) when any of them lies outside it. */
static uint8_t *program_bytes(struct vdc_guest *g, const char *what, const char *preposition, uint64_t address,
                              uint64_t length, struct vdc_error *err)
{
    uint8_t *bytes = vdc_guest_ptr(&g->memory, address, length);
    return in_program(g, bytes, what, preposition, address, length, err) ? bytes : NULL;
}

/* As program_bytes, for bytes only read (they do not count as written: guest_memory.h). */
static const uint8_t *program_view(struct vdc_guest *g, const char *what, const char *preposition, uint64_t address,
                                   uint64_t length, struct vdc_error *err)
{
    const uint8_t *bytes = vdc_guest_view(&g->memory, address, length);
    return in_program(g, bytes, what, preposition, address, length, err) ? bytes : NULL;
}

/* A bulk register's argument block, copied out of the program's part of RAM (where the guest wrote it); the host
 * address of the block, or NULL (with err). */
static uint8_t *read_block(struct vdc_guest *g, const char *what, uint64_t address, void *block, size_t size,
                           struct vdc_error *err)
{
    uint8_t *at = program_bytes(g, what, "at", address, size, err);
    if (at != NULL)
        memcpy(block, at, size);
    return at;
}

/* A bulk memset in one exit. */
static bool fill(struct vdc_guest *g, uint64_t block_address, struct vdc_error *err)
{
    struct simctl_fill block;
    if (read_block(g, "FILL block", block_address, &block, sizeof block, err) == NULL)
        return false;
    uint8_t *target = program_bytes(g, "FILL", "at", block.address, block.length, err);
    if (target == NULL)
        return false;
    vdc_fill(target, (uint8_t)(block.value & 0xff), block.length);
    vdc_digest_fold(g->entity->sim, block.length);
    return true;
}

/* A bulk memmove in one exit. */
static bool copy(struct vdc_guest *g, uint64_t block_address, struct vdc_error *err)
{
    struct simctl_copy block;
    if (read_block(g, "COPY block", block_address, &block, sizeof block, err) == NULL)
        return false;
    const uint8_t *source = program_view(g, "COPY", "from", block.source, block.length, err);
    uint8_t *destination = program_bytes(g, "COPY", "to", block.destination, block.length, err);
    if (source == NULL || destination == NULL)
        return false;
    memmove(destination, source, block.length);
    vdc_digest_fold(g->entity->sim, block.length);
    return true;
}

/* The offset of the first byte that differs between a and b, or n: equal pieces skipped with memcmp. */
static uint64_t first_difference(const uint8_t *a, const uint8_t *b, uint64_t n)
{
    enum { PIECE = 4096 };
    uint64_t at = 0;
    while (at < n) {
        uint64_t piece = n - at < PIECE ? n - at : PIECE;
        if (memcmp(a + at, b + at, piece) != 0)
            break;
        at += piece;
    }
    while (at < n && a[at] == b[at])
        at++;
    return at;
}

/* A bulk memcmp in one exit: the offset of the first difference is written back into the block. */
static bool compare(struct vdc_guest *g, uint64_t block_address, struct vdc_error *err)
{
    struct simctl_compare block;
    uint8_t *at = read_block(g, "COMPARE block", block_address, &block, sizeof block, err);
    if (at == NULL)
        return false;
    const uint8_t *first = program_view(g, "COMPARE", "at", block.first, block.length, err);
    const uint8_t *second = program_view(g, "COMPARE", "at", block.second, block.length, err);
    if (first == NULL || second == NULL)
        return false;
    block.differs_at = first_difference(first, second, block.length);
    vdc_digest_fold(g->entity->sim, block.differs_at);
    memcpy(at, &block, sizeof block);
    return true;
}

static bool simctl_access(void *device, struct vdc_guest *g, struct vdc_mmio_access *a, struct vdc_error *err)
{
    (void)device;
    if (a->size != 8 || a->offset % 8 != 0)
        return vdc_fail(err, "%u-byte access at offset 0x%" PRIx64 "; registers are 8 bytes, 8-aligned", a->size,
                        a->offset);
    struct vdc_sim *sim = g->entity->sim;
    if (!a->is_write) {
        switch (a->offset) {
        case SIMCTL_ID: a->value = SIMCTL_MAGIC; return true;
        case SIMCTL_CLOCK_NS: a->value = sim->now / VDC_NS; return true;
        case SIMCTL_RANDOM: a->value = vdc_rng_next(&g->entity->rng); return true;
        case SIMCTL_CAUSES:
            a->value = g->causes;
            g->causes = 0;
            return true;
        default: return vdc_fail(err, "read of offset 0x%" PRIx64 ", which is not a readable register", a->offset);
        }
    }
    switch (a->offset) {
    case SIMCTL_CONSOLE: {
        uint64_t address = a->value & 0xffffffffffffULL, len = a->value >> 48;
        const uint8_t *text = vdc_guest_view(&g->memory, address, len);
        if (text == NULL)
            return vdc_fail(err, "CONSOLE text at 0x%" PRIx64 "+%" PRIu64 " is outside guest memory", address, len);
        vdc_guest_console_write(g, text, len);
        vdc_digest_fold(sim, len);
        return true;
    }
    case SIMCTL_EXIT:
        if (a->value > 255)
            return vdc_fail(err, "EXIT code %" PRIu64 " is outside 0-255", a->value);
        vdc_guest_exit(g, (int)a->value);
        return true;
    case SIMCTL_WAIT: return vdc_guest_start_wait(g, a->value, err);
    case SIMCTL_COMPUTE_NS: vdc_guest_charge_compute(g, a->value); return true;
    case SIMCTL_FILL: return fill(g, a->value, err);
    case SIMCTL_COPY: return copy(g, a->value, err);
    case SIMCTL_COMPARE: return compare(g, a->value, err);
    /* The backends take the CPL0 stub's write as the exception it reports; one that arrives here came from CPL3. */
    case SIMCTL_FAULT: return vdc_fail(err, "FAULT register written from CPL3; only the exception stub may write it");
    default: return vdc_fail(err, "write to offset 0x%" PRIx64 ", which is not a writable register", a->offset);
    }
}

bool vdc_simctl_attach(struct vdc_guest *g, struct vdc_error *err)
{
    struct vdc_mmio_window window = {
        .base = GUEST_SIMCTL_BASE, .size = GUEST_SIMCTL_SIZE, .name = "simctl", .handler = simctl_access};
    return vdc_mmio_bus_add(&g->bus, &window, err);
}
