/* A message-level model of the rack: blades send messages to random peers through the TOR's output queues. */
#ifndef VDC_WORKLOAD_RACK_MESSAGES_H
#define VDC_WORKLOAD_RACK_MESSAGES_H

#include <stdbool.h>
#include <stdint.h>

#include "../report/latency_histogram.h"
#include "../scenario/scenario.h"
#include "../scheduler/sim.h"

struct rack_message {
    uint32_t source, destination;
    vdc_time created;
    uint32_t next_free;
};

struct rack_blade {
    struct vdc_entity *entity;
    struct rack_messages *model;
    uint32_t index;
    uint64_t messages_left;
    vdc_time uplink_free_at;
    uint64_t bytes_sent, bytes_received;
};

struct rack_messages {
    const struct vdc_scenario *sc;
    struct vdc_entity *tor;
    struct rack_blade *blades;
    uint32_t blade_count;
    vdc_time *downlink_free_at; /* TOR egress toward each blade */
    vdc_time serialization;     /* one message on one link */
    /* Messages in flight come from a pool with a free list: indexes are reused in event order, so they
     * are deterministic, and nothing is allocated per message once the pool has grown. */
    struct rack_message *pool;
    uint32_t pool_size, pool_cap, free_head;
    uint64_t sent, delivered, bytes_delivered;
    struct vdc_latency_histogram latency;
};

/* Creates the TOR and blade entities (ids: TOR 1, blade i 2 + i) and schedules each blade's first message. */
bool rack_messages_build(struct rack_messages *model, struct vdc_sim *sim, const struct vdc_scenario *sc,
                         struct vdc_error *err);
void rack_messages_free(struct rack_messages *model);

#endif
