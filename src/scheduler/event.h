/* The event record and its total order key: (time, priority class, source entity, per-source sequence). */
#ifndef VDC_SCHEDULER_EVENT_H
#define VDC_SCHEDULER_EVENT_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/time.h"

/* Priority classes order events that fall on the same picosecond; lower runs first. */
enum vdc_priority {
    VDC_PRIO_CONTROL = 0, /* scenario control: faults, stops, configuration changes */
    VDC_PRIO_WIRE = 1,    /* a frame or message arriving on a wire */
    VDC_PRIO_DEVICE = 2,  /* device-internal work: queues, timers, DMA */
    VDC_PRIO_GUEST = 3,   /* a vCPU or traffic source taking its next step */
    /* A device asking itself again (a poll of a queue that something may have filled), after the work of its time:
     * how many such asks there are can depend on an execution setting (a GPU's window), so they are left out of the
     * digest as steps are; what one causes is in it. Its source must schedule nothing else, so that no other
     * event's key depends on how many there were. */
    VDC_PRIO_WAKE = 4,
    /* A model's own stepping, whose count is an execution setting and not part of the model (a GPU running a
     * launch window by window): left out of the digest; what the steps cause is in it. */
    VDC_PRIO_STEP = 6,
    VDC_PRIO_OBSERVE = 7, /* samplers and reports: see the state after everything else at that time */
    VDC_PRIO_CLASSES = 16
};

/* The order field packs class (4 bits), source entity id (24 bits) and the source's sequence number
 * (36 bits) so that comparing (time, order) as two integers is the whole key. */
#define VDC_ORDER_CLASS_BITS 4
#define VDC_ORDER_SOURCE_BITS 24
#define VDC_ORDER_SEQ_BITS 36
#define VDC_ENTITY_ID_LIMIT (1u << VDC_ORDER_SOURCE_BITS)
#define VDC_ORDER_SEQ_MASK ((UINT64_C(1) << VDC_ORDER_SEQ_BITS) - 1)

struct vdc_event {
    vdc_time time;
    uint64_t order;
    uint32_t target; /* entity id that handles the event */
    uint32_t kind;   /* meaning defined by the target's model */
    uint64_t arg;    /* model payload: an index or a value; never folded into order or digest */
};

/* An event argument made of fields: `value` placed at bit `shift`, asserted to fit its `bits` (a value that did not
 * would come back as another one, a silent model error), and read back with vdc_arg_field. */
static inline uint64_t vdc_arg_put(uint64_t value, unsigned shift, unsigned bits)
{
    assert(bits == 64 || value < (UINT64_C(1) << bits));
    assert(shift + bits <= 64);
    return value << shift;
}

static inline uint64_t vdc_arg_field(uint64_t arg, unsigned shift, unsigned bits)
{
    return bits == 64 ? arg >> shift : (arg >> shift) & ((UINT64_C(1) << bits) - 1);
}

static inline uint64_t vdc_order_pack(unsigned priority_class, uint32_t source, uint64_t seq)
{
    return ((uint64_t)priority_class << (VDC_ORDER_SOURCE_BITS + VDC_ORDER_SEQ_BITS)) |
           ((uint64_t)source << VDC_ORDER_SEQ_BITS) | (seq & VDC_ORDER_SEQ_MASK);
}

static inline unsigned vdc_order_class(uint64_t order)
{
    return (unsigned)(order >> (VDC_ORDER_SOURCE_BITS + VDC_ORDER_SEQ_BITS));
}

static inline uint32_t vdc_order_source(uint64_t order)
{
    return (uint32_t)(order >> VDC_ORDER_SEQ_BITS) & (VDC_ENTITY_ID_LIMIT - 1);
}

static inline bool vdc_event_before(const struct vdc_event *a, const struct vdc_event *b)
{
    return a->time < b->time || (a->time == b->time && a->order < b->order);
}

/* The whole order key as one integer: comparing it takes no branch on whether the times are equal. */
static inline unsigned __int128 vdc_event_key(const struct vdc_event *ev)
{
    return (unsigned __int128)ev->time << 64 | ev->order;
}

#endif
