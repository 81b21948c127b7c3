/* HiNIC ring arithmetic: slots, occupancy, completion owner bits and doorbell values. Header-only so that the
 * guest verbs library, host tests and the device model can share one definition. Producer and consumer indices
 * are free-running 32-bit counters; a ring holds a power-of-two number of entries (at most 32768), so the
 * 16-bit index a doorbell carries and the owner bit stay consistent when the counters wrap. */
#ifndef VDC_GUEST_HINIC_RING_H
#define VDC_GUEST_HINIC_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "../../src/devices/hinic/hinic_regs.h"

/* The smallest power of two that is at least `depth` (and at least 1), or 0 when that exceeds `max`. */
static inline uint32_t hinic_ring_entries(uint32_t depth, uint32_t max)
{
    uint32_t entries = 1;
    while (entries < depth && entries <= max / 2)
        entries *= 2;
    return entries >= depth && entries <= max ? entries : 0;
}

static inline uint32_t hinic_ring_slot(uint32_t index, uint32_t entries)
{
    return index & (entries - 1);
}

/* Entries produced and not yet consumed; unsigned subtraction keeps this right across wrap-around. */
static inline uint32_t hinic_ring_used(uint32_t producer, uint32_t consumer)
{
    return producer - consumer;
}

static inline bool hinic_ring_full(uint32_t producer, uint32_t consumer, uint32_t entries)
{
    return hinic_ring_used(producer, consumer) >= entries;
}

/* The owner bit of a completion written at index `index`: 1 on the first pass around the ring, 0 on the second,
 * and so on; the device writes it, the guest compares it, and a zeroed ring reads as empty. */
static inline uint8_t hinic_cqe_owner(uint32_t index, uint32_t entries)
{
    return (uint8_t)(1 - ((index / entries) & 1));
}

/* Whether the completion at consumer index `ci` (whose flags byte is `flags`) has been written on this pass. */
static inline bool hinic_cqe_is_new(uint8_t flags, uint32_t ci, uint32_t entries)
{
    return (flags & HINIC_CQE_OWNER) == hinic_cqe_owner(ci, entries);
}

/* The value written to an SQ, RQ or CQ doorbell: the queue's number and the low 16 bits of the index. */
static inline uint64_t hinic_doorbell(uint32_t number, uint32_t index)
{
    return (uint64_t)number << 32 | (index & 0xffffu);
}

/* The device side of a doorbell: how far a 16-bit index moved past the last one seen (mod 2^16). */
static inline uint32_t hinic_doorbell_advance(uint64_t doorbell, uint32_t last_index)
{
    return ((uint32_t)doorbell - last_index) & 0xffffu;
}

#endif
