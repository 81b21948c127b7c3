/* Store-and-forward messages over the rack: a blade's uplink, the TOR's switching delay, the TOR's
 * output queue toward the receiver. Each link serializes one message at a time (FIFO), so queueing
 * appears under load; there are no packets, buffers or pauses here (that is the fabric's job). */
#include "rack_messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum rack_event { EV_BLADE_SEND, EV_TOR_ARRIVE, EV_BLADE_DELIVER };

#define TOR_ID 1u
#define FIRST_BLADE_ID 2u
#define NO_MESSAGE UINT32_MAX

static uint32_t message_alloc(struct rack_messages *m)
{
    if (m->free_head != NO_MESSAGE) {
        uint32_t index = m->free_head;
        m->free_head = m->pool[index].next_free;
        return index;
    }
    if (m->pool_size == m->pool_cap) {
        if (m->pool_cap > UINT32_MAX / 4)
            vdc_die("more than %u messages in flight; lower workload.message_size or raise mean_interval", m->pool_cap);
        m->pool_cap = m->pool_cap ? m->pool_cap * 2 : 256;
        m->pool = vdc_xrealloc(m->pool, m->pool_cap, sizeof *m->pool);
    }
    return m->pool_size++;
}

static void message_free(struct rack_messages *m, uint32_t index)
{
    m->pool[index].next_free = m->free_head;
    m->free_head = index;
}

static void schedule_next_send(struct rack_blade *blade)
{
    const struct vdc_scenario *sc = blade->model->sc;
    if (sc->workload.messages_per_blade != 0 && blade->messages_left == 0)
        return;
    vdc_time gap = vdc_rng_exponential(&blade->entity->rng, sc->workload.mean_interval);
    vdc_schedule_in(blade->entity, gap, VDC_PRIO_GUEST, blade->entity->id, EV_BLADE_SEND, 0);
}

static void blade_send(struct rack_blade *blade)
{
    struct rack_messages *m = blade->model;
    struct vdc_sim *sim = blade->entity->sim;
    /* A peer other than itself, uniformly. */
    uint32_t peer = (uint32_t)vdc_rng_below(&blade->entity->rng, m->blade_count - 1);
    if (peer >= blade->index)
        peer++;
    uint32_t index = message_alloc(m);
    m->pool[index] = (struct rack_message){.source = blade->index, .destination = peer, .created = sim->now};
    vdc_time start = sim->now > blade->uplink_free_at ? sim->now : blade->uplink_free_at;
    blade->uplink_free_at = vdc_time_add(start, m->serialization);
    vdc_schedule_at(blade->entity, vdc_time_add(blade->uplink_free_at, m->sc->topology.link_delay), VDC_PRIO_WIRE, TOR_ID,
                    EV_TOR_ARRIVE, index);
    blade->bytes_sent += m->sc->workload.message_size;
    blade->messages_left -= blade->messages_left > 0;
    m->sent++;
    schedule_next_send(blade);
}

static void tor_forward(struct rack_messages *m, struct vdc_entity *tor, uint32_t index)
{
    const struct vdc_scenario *sc = m->sc;
    uint32_t port = m->pool[index].destination;
    vdc_time ready = vdc_time_add(tor->sim->now, sc->topology.switch_latency);
    vdc_time start = ready > m->downlink_free_at[port] ? ready : m->downlink_free_at[port];
    m->downlink_free_at[port] = vdc_time_add(start, m->serialization);
    vdc_schedule_at(tor, vdc_time_add(m->downlink_free_at[port], sc->topology.link_delay), VDC_PRIO_WIRE,
                    FIRST_BLADE_ID + port,
                    EV_BLADE_DELIVER, index);
}

static void blade_deliver(struct rack_blade *blade, uint32_t index)
{
    struct rack_messages *m = blade->model;
    struct vdc_sim *sim = blade->entity->sim;
    vdc_time latency = sim->now - m->pool[index].created;
    vdc_hist_add(&m->latency, latency);
    m->delivered++;
    m->bytes_delivered += m->sc->workload.message_size;
    blade->bytes_received += m->sc->workload.message_size;
    vdc_digest_fold(sim, ((uint64_t)m->pool[index].source << 32) | m->pool[index].destination);
    message_free(m, index);
}

static void on_blade_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct rack_blade *blade = self->model;
    if (ev->kind == EV_BLADE_SEND)
        blade_send(blade);
    else
        blade_deliver(blade, (uint32_t)ev->arg);
}

static void on_tor_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    tor_forward(self->model, self, (uint32_t)ev->arg);
}

bool rack_messages_build(struct rack_messages *m, struct vdc_sim *sim, const struct vdc_scenario *sc,
                         struct vdc_error *err)
{
    memset(m, 0, sizeof *m);
    m->sc = sc;
    m->free_head = NO_MESSAGE;
    m->blade_count = (uint32_t)sc->topology.blades;
    m->serialization = vdc_time_to_send(sc->workload.message_size, sc->topology.link_rate);
    vdc_hist_init(&m->latency);
    m->tor = vdc_entity_create(sim, TOR_ID, "tor", on_tor_event, m, err);
    if (m->tor == NULL)
        return false;
    m->blades = vdc_xcalloc(m->blade_count, sizeof *m->blades);
    m->downlink_free_at = vdc_xcalloc(m->blade_count, sizeof *m->downlink_free_at);
    for (uint32_t i = 0; i < m->blade_count; i++) {
        struct rack_blade *blade = &m->blades[i];
        char name[32];
        snprintf(name, sizeof name, "blade%u", i);
        blade->entity = vdc_entity_create(sim, FIRST_BLADE_ID + i, name, on_blade_event, blade, err);
        if (blade->entity == NULL)
            return false;
        blade->model = m;
        blade->index = i;
        blade->messages_left = sc->workload.messages_per_blade;
        if (sc->workload.kind == VDC_WORKLOAD_UNIFORM)
            schedule_next_send(blade);
    }
    return true;
}

void rack_messages_free(struct rack_messages *m)
{
    free(m->blades);
    free(m->downlink_free_at);
    free(m->pool);
    memset(m, 0, sizeof *m);
}
