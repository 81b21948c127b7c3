/* A GPU's HiLink port: outbound packets in the order of the time each is ready (the copy engine's made as the
 * fabric takes them), inbound writes kept in landing order until the GPU's memory must show them. */
#include "devices/hilink/hilink_port.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/* ---- slots and heaps ---- */

static uint32_t slot_new(struct hilink_port *port)
{
    if (port->free_count > 0)
        return port->free_slots[--port->free_count];
    if (port->slot_count == port->slot_capacity) {
        port->slot_capacity = port->slot_capacity ? 2 * port->slot_capacity : 256;
        port->slots = vdc_xrealloc(port->slots, port->slot_capacity, sizeof *port->slots);
        port->free_slots = vdc_xrealloc(port->free_slots, port->slot_capacity, sizeof *port->free_slots);
    }
    return port->slot_count++;
}

static void slot_free(struct hilink_port *port, uint32_t slot)
{
    port->free_slots[port->free_count++] = slot;
}

static bool slot_before(const struct hilink_port *port, uint32_t a, uint32_t b)
{
    const struct hilink_port_slot *x = &port->slots[a], *y = &port->slots[b];
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

static void heap_push(struct hilink_port *port, struct hilink_port_heap *h, uint32_t slot)
{
    if (h->count == h->capacity) {
        h->capacity = h->capacity ? 2 * h->capacity : 256;
        h->items = vdc_xrealloc(h->items, h->capacity, sizeof *h->items);
    }
    uint32_t i = h->count++;
    while (i > 0 && slot_before(port, slot, h->items[(i - 1) / 2])) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = slot;
}

static uint32_t heap_pop(struct hilink_port *port, struct hilink_port_heap *h)
{
    uint32_t top = h->items[0], last = h->items[--h->count];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->count)
            break;
        if (c + 1 < h->count && slot_before(port, h->items[c + 1], h->items[c]))
            c++;
        if (!slot_before(port, h->items[c], last))
            break;
        h->items[i] = h->items[c];
        i = c;
    }
    if (h->count > 0)
        h->items[i] = last;
    return top;
}

static vdc_time heap_first_time(const struct hilink_port *port, const struct hilink_port_heap *h)
{
    return h->count > 0 ? port->slots[h->items[0]].time : VDC_TIME_MAX;
}

/* ---- outbound ---- */

static void queue_out(struct hilink_port *port, uint32_t dst_place, uint8_t kind, uint64_t address, uint64_t tag,
                      const void *data, uint32_t bytes, vdc_time ready)
{
    uint32_t slot = slot_new(port);
    struct hilink_port_slot *s = &port->slots[slot];
    s->packet = (struct hilink_packet){.src = (uint16_t)port->place, .dst = (uint16_t)dst_place, .kind = kind,
                                       .bytes = (uint16_t)bytes, .address = address, .tag = tag};
    if (bytes > 0)
        memcpy(s->packet.data, data, bytes);
    s->time = ready;
    s->seq = port->next_seq++;
    heap_push(port, &port->out, slot);
    hilink_kick(port->fabric, port->place);
}

enum { PORT_EV_READY = 1, PORT_EV_REQUEST_DUE = 2 };

static bool is_request(uint8_t kind)
{
    return kind == HILINK_PORT_READ || kind == HILINK_PORT_ATOMIC;
}

/* Queued by an event at `ready`, from the port's own entity, whatever the time the GPU made it at. */
static void send_at(struct hilink_port *port, uint32_t dst_place, uint8_t kind, uint64_t address, uint32_t aux,
                    const void *data, uint32_t bytes, uint64_t tag, vdc_time ready)
{
    uint32_t slot = slot_new(port);
    struct hilink_port_slot *s = &port->slots[slot];
    s->packet = (struct hilink_packet){.src = (uint16_t)port->place, .dst = (uint16_t)dst_place, .kind = kind,
                                       .bytes = (uint16_t)bytes, .address = address, .tag = tag, .aux = aux};
    if (bytes > 0)
        memcpy(s->packet.data, data, bytes);
    s->time = ready;
    s->seq = port->next_seq++;
    vdc_schedule_at(port->entity, ready, VDC_PRIO_DEVICE, port->entity->id, PORT_EV_READY, slot);
}

void hilink_port_send(struct hilink_port *port, uint32_t dst_place, uint8_t kind, uint64_t address, uint32_t aux,
                      const void *data, uint32_t bytes, uint64_t tag, vdc_time ready)
{
    if (is_request(kind)) {
        port->counters.requests_out++;
    } else {
        port->counters.writes_out++;
    }
    port->counters.bytes_out += bytes;
    send_at(port, dst_place, kind, address, aux, data, bytes, tag, ready);
}

static void port_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct hilink_port *port = self->model;
    if (port == NULL)
        return;
    if (ev->kind == PORT_EV_REQUEST_DUE) {
        port->owner.request_due(port->owner.ctx, ev->time);
    } else if (ev->kind == PORT_EV_READY) {
        heap_push(port, &port->out, (uint32_t)ev->arg);
        hilink_kick(port->fabric, port->place);
    }
}

void hilink_port_copy(struct hilink_port *port, uint32_t dst_place, uint64_t src, uint64_t dst, uint64_t length,
                      uint64_t tag, vdc_time ready)
{
    port->copy.active = true;
    port->copy.dst_place = dst_place;
    port->copy.src = src;
    port->copy.dst = dst;
    port->copy.left = length;
    port->copy.tag = tag;
    port->copy.ready = ready;
    port->counters.copies++;
    hilink_kick(port->fabric, port->place);
}

/* The copy's next packet: 256 bytes, or what is left, the last one asking for an acknowledgement. */
static void copy_packet(struct hilink_port *port, struct hilink_packet *out)
{
    uint32_t bytes = port->copy.left < HILINK_MAX_PAYLOAD ? (uint32_t)port->copy.left : HILINK_MAX_PAYLOAD;
    *out = (struct hilink_packet){.src = (uint16_t)port->place, .dst = (uint16_t)port->copy.dst_place,
                                  .kind = bytes == port->copy.left ? HILINK_PORT_WRITE_LAST : HILINK_PORT_WRITE,
                                  .bytes = (uint16_t)bytes, .address = port->copy.dst, .tag = port->copy.tag};
    port->owner.read(port->owner.ctx, port->copy.src, out->data, bytes);
    port->copy.src += bytes;
    port->copy.dst += bytes;
    port->copy.left -= bytes;
    port->copy.active = port->copy.left > 0;
    port->counters.writes_out++;
    port->counters.bytes_out += bytes;
}

/* The fabric's pull: the earliest ready of the queued packets and the copy's next one. */
static bool next_packet(void *ctx, vdc_time now, struct hilink_packet *out, vdc_time *wake)
{
    struct hilink_port *port = ctx;
    vdc_time queued = heap_first_time(port, &port->out);
    vdc_time copy = port->copy.active ? port->copy.ready : VDC_TIME_MAX;
    if (queued <= now && queued <= copy) {
        uint32_t slot = heap_pop(port, &port->out);
        *out = port->slots[slot].packet;
        slot_free(port, slot);
        return true;
    }
    if (copy <= now) {
        copy_packet(port, out);
        return true;
    }
    *wake = queued < copy ? queued : copy;
    return false;
}

/* ---- inbound ---- */

static void deliver(void *ctx, const struct hilink_packet *p, vdc_time arrive)
{
    struct hilink_port *port = ctx;
    if (p->kind == HILINK_PORT_ACK) {
        port->owner.copy_done(port->owner.ctx, p->tag, arrive);
        return;
    }
    if (p->kind == HILINK_PORT_READ_REPLY || p->kind == HILINK_PORT_ATOMIC_REPLY) {
        uint32_t slot = slot_new(port);
        port->slots[slot].packet = *p;
        port->slots[slot].time = arrive;
        port->counters.bytes_in += p->bytes;
        port->owner.reply(port->owner.ctx, slot, arrive);
        return;
    }
    /* The copy's last packet: everything before it has landed (the pair's order), so its landing is the copy's
     * end; the acknowledgement leaves then. */
    if (p->kind == HILINK_PORT_WRITE_LAST)
        queue_out(port, p->src, HILINK_PORT_ACK, 0, p->tag, NULL, 0, arrive);
    /* A kernel's store: its sender learns when it lands (the fabric delivers in the pair's order, so this is also
     * after every earlier store of that sender to this GPU). */
    if (p->kind == HILINK_PORT_STORE || p->kind == HILINK_PORT_RED) {
        struct hilink_port *sender = hilink_gpu_context(port->fabric, p->src);
        if (sender != NULL && sender->owner.landed != NULL)
            sender->owner.landed(sender->owner.ctx, p->tag, arrive);
    }
    uint32_t slot = slot_new(port);
    struct hilink_port_slot *s = &port->slots[slot];
    s->packet = *p;
    s->time = arrive;
    s->seq = port->next_seq++;
    heap_push(port, &port->in, slot);
    if (is_request(p->kind)) {
        port->counters.requests_in++;
        /* Served when its GPU reaches `arrive`: in a running kernel at that cycle, else by this event. */
        vdc_schedule_at(port->entity, arrive, VDC_PRIO_DEVICE, port->entity->id, PORT_EV_REQUEST_DUE, 0);
    } else {
        port->counters.writes_in++;
    }
    port->counters.bytes_in += p->bytes;
}

void hilink_port_apply(struct hilink_port *port, uint32_t slot, vdc_time at)
{
    const struct hilink_packet *p = &port->slots[slot].packet;
    if (p->kind == HILINK_PORT_READ || p->kind == HILINK_PORT_ATOMIC || p->kind == HILINK_PORT_RED) {
        struct hilink_packet reply = {0};
        vdc_time service = port->owner.serve(port->owner.ctx, p, &reply);
        if (p->kind != HILINK_PORT_RED) {
            vdc_time now = port->entity->sim->now;
            uint8_t kind = p->kind == HILINK_PORT_READ ? HILINK_PORT_READ_REPLY : HILINK_PORT_ATOMIC_REPLY;
            port->counters.writes_out++;
            port->counters.bytes_out += reply.bytes;
            send_at(port, p->src, kind, p->address, 0, reply.data, reply.bytes, p->tag,
                    vdc_time_add(at > now ? at : now, service));
        }
    } else if (!port->owner.write(port->owner.ctx, p->address, p->data, p->bytes)) {
        port->counters.bad_writes_in++;
    }
    slot_free(port, slot);
}

void hilink_port_catch_up(struct hilink_port *port, vdc_time t)
{
    while (heap_first_time(port, &port->in) <= t) {
        uint32_t slot = heap_pop(port, &port->in);
        hilink_port_apply(port, slot, port->slots[slot].time);
    }
}

const struct hilink_packet *hilink_port_packet(const struct hilink_port *port, uint32_t slot)
{
    return &port->slots[slot].packet;
}

void hilink_port_release_slot(struct hilink_port *port, uint32_t slot)
{
    slot_free(port, slot);
}

bool hilink_port_take_before(struct hilink_port *port, vdc_time limit, uint32_t *slot, vdc_time *arrive)
{
    if (heap_first_time(port, &port->in) >= limit)
        return false;
    *slot = heap_pop(port, &port->in);
    *arrive = port->slots[*slot].time;
    return true;
}

void hilink_port_requeue(struct hilink_port *port, uint32_t slot)
{
    heap_push(port, &port->in, slot);
}

/* ---- attaching ---- */

static void ignore_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)self;
    (void)ev;
}

bool hilink_port_attach(struct hilink_port *port, struct hilink *fabric, uint32_t place,
                        const struct hilink_port_owner *owner, struct vdc_sim *sim, uint32_t entity_id,
                        const char *name, struct vdc_error *err)
{
    memset(port, 0, sizeof *port);
    port->place = place;
    port->owner = *owner;
    port->entity = vdc_entity_create(sim, entity_id, name, port_event, port, err);
    if (port->entity == NULL)
        return false;
    struct hilink_gpu_ops ops = {.ctx = port, .next = next_packet, .deliver = deliver};
    if (!hilink_attach(fabric, place, &ops, err)) {
        port->entity->model = NULL;
        port->entity->handler = ignore_event;
        return false;
    }
    port->fabric = fabric;
    return true;
}

void hilink_port_release(struct hilink_port *port)
{
    if (port->fabric != NULL)
        hilink_detach(port->fabric, port->place);
    if (port->entity != NULL) { /* the scheduler keeps the entity; events left for it find nothing */
        port->entity->model = NULL;
        port->entity->handler = ignore_event;
    }
    free(port->slots);
    free(port->free_slots);
    free(port->out.items);
    free(port->in.items);
    memset(port, 0, sizeof *port);
}
