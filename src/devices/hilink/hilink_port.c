/* A GPU's HiLink port: outbound packets in the order of the time each is ready (the copy engine's made as the
 * fabric takes them); what reaches the GPU handed to its owner with its landing time. */
#include "devices/hilink/hilink_port.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/prefetch.h"

/* ---- slots ---- */

_Static_assert(sizeof(struct hilink_port_slot) == 320 && offsetof(struct hilink_port_slot, packet.data) == 64,
               "a port slot is five host cache lines, its payload the last four");

static struct hilink_port_slot *slot_at(const struct hilink_port *port, uint32_t slot)
{
    return vdc_slot_pool_at(&port->slots, slot);
}

static vdc_time first_out_time(const struct hilink_port *port)
{
    return vdc_index_heap_top_time(&port->out);
}

/* Queues a filled slot for the fabric, by its (time, seq). */
static void queue_out(struct hilink_port *port, uint32_t slot)
{
    const struct hilink_port_slot *s = slot_at(port, slot);
    vdc_index_heap_push(&port->out, s->time, s->seq, slot);
}

/* ---- outbound ---- */

/* How many sends ahead slot_fill asks for a free slot's lines. */
#define SEND_AHEAD 4u

static uint32_t slot_fill(struct hilink_port *port, uint32_t dst_place, uint8_t kind, uint64_t address, uint32_t aux,
                          const void *data, uint32_t bytes, uint64_t tag, vdc_time time)
{
    uint32_t slot = vdc_slot_pool_take(&port->slots);
    struct hilink_port_slot *s = slot_at(port, slot);
    /* Field by field: the payload's unused rest is never read (hilink_packet_copy). */
    s->packet.src = (uint16_t)port->place;
    s->packet.dst = (uint16_t)dst_place;
    s->packet.kind = kind;
    s->packet.bytes = (uint16_t)bytes;
    s->packet.address = address;
    s->packet.tag = tag;
    s->packet.aux = aux;
    s->packet.payload = NULL;
    if (bytes > 0)
        memcpy(s->packet.data, data, bytes);
    s->time = time;
    s->seq = port->next_seq++;
    /* A slot was last read by its receiver's window, often on the other core: the lines of the one taken
     * SEND_AHEAD sends on are asked for now, for writing, so that the send then does not wait to own them (a warp's
     * store makes its packets back to back, so the next slot would be asked for too late); the next, when fewer are
     * free. */
    const char *next = vdc_slot_pool_ahead(&port->slots, SEND_AHEAD - 1);
    if (next == NULL)
        next = vdc_slot_pool_next(&port->slots);
    if (next != NULL)
        for (size_t off = 0; off < sizeof(struct hilink_port_slot); off += 64)
            VDC_PREFETCH_OWN(next + off);
    return slot;
}

void hilink_port_send(struct hilink_port *port, uint32_t dst_place, uint8_t kind, uint64_t address, uint32_t aux,
                      const void *data, uint32_t bytes, uint64_t tag, vdc_time ready)
{
    if (kind == HILINK_PORT_READ || kind == HILINK_PORT_ATOMIC)
        port->counters.requests_out++;
    else
        port->counters.writes_out++;
    port->counters.bytes_out += bytes;
    /* Queued now, whatever the time the GPU made it at: the fabric takes nothing before its time (next_packet), and
     * is asked again then. */
    queue_out(port, slot_fill(port, dst_place, kind, address, aux, data, bytes, tag, ready));
    hilink_kick_at(port->fabric, port->place, ready);
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

void hilink_port_cancel_copy(struct hilink_port *port)
{
    port->copy.active = false;
}

/* The copy's next packet: 256 bytes, or what is left, the last one asking for an acknowledgement. */
static void copy_packet(struct hilink_port *port, struct hilink_packet *out, vdc_time now)
{
    port->copy.last_sent = now;
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

/* A kernel's store of at least this many bytes lends its payload to the fabric rather than having it copied: the
 * bulk of what crosses HiLink (every 256-byte piece of a collective's data). Smaller ones, a line or less, cost no
 * more to copy than the lending's books. */
#define LEND_MIN_BYTES 64

/* How many packets ahead of the one it takes the fabric's pull asks for a queued packet's header. */
#define PULL_AHEAD 16

/* Asks for the first queued packet's header, copied out by the poll whose event runs next (the fabric's hook; a lent
 * payload is not read there), often filled by a window that ran on another core. */
static void prefetch_next(void *ctx)
{
    const struct hilink_port *port = ctx;
    uint32_t next = vdc_index_heap_top_item(&port->out);
    if (next == UINT32_MAX)
        return;
    VDC_PREFETCH(slot_at(port, next), 0, 3);
}

void hilink_port_poll_window(struct hilink_port *port, vdc_time limit)
{
    hilink_poll_window(port->fabric, port->place, limit);
}

void hilink_port_take_handed(struct hilink_port *port)
{
    hilink_take_handed(port->fabric, port->place);
}

void hilink_port_windows_over(struct hilink_port *port)
{
    hilink_windows_over(port->fabric, port->place);
}

/* The fabric's pull: the earliest ready of the queued packets and the copy's next one. A store's payload is lent: its
 * slot stays taken, in place (the pool never moves its records), until the receiver hands it back (give_back). */
static bool next_packet(void *ctx, vdc_time now, struct hilink_packet *out, vdc_time *wake)
{
    struct hilink_port *port = ctx;
    vdc_time queued = first_out_time(port);
    vdc_time copy = port->copy.active ? port->copy.ready : VDC_TIME_MAX;
    if (queued <= now && queued <= copy) {
        uint32_t slot = vdc_index_heap_pop(&port->out);
        struct hilink_packet *p = &slot_at(port, slot)->packet;
        if (p->kind == HILINK_PORT_STORE && p->bytes >= LEND_MIN_BYTES) {
            p->payload = p->data;
            p->lent = slot;
            hilink_packet_copy(out, p);
        } else {
            hilink_packet_copy(out, p);
            vdc_slot_pool_give(&port->slots, slot);
        }
        /* A window's polls take packets one after another, too soon for the next one's header to come from memory
         * if asked for now: the one PULL_AHEAD on is asked for instead. */
        uint32_t ahead = vdc_index_heap_run_item_ahead(&port->out, PULL_AHEAD);
        if (ahead != UINT32_MAX)
            VDC_PREFETCH(slot_at(port, ahead), 0, 3);
        return true;
    }
    if (copy <= now) {
        copy_packet(port, out, now);
        return true;
    }
    *wake = queued < copy ? queued : copy;
    return false;
}

/* ---- inbound ---- */

static void deliver(void *ctx, const struct hilink_packet *p, vdc_time arrive)
{
    struct hilink_port *port = ctx;
    port->counters.bytes_in += p->bytes;
    switch (p->kind) {
    case HILINK_PORT_ACK:
        port->owner.copy_done(port->owner.ctx, p->tag, arrive);
        return;
    case HILINK_PORT_READ_REPLY:
    case HILINK_PORT_ATOMIC_REPLY: {
        uint32_t slot = slot_fill(port, p->src, p->kind, p->address, p->aux, hilink_packet_payload(p), p->bytes, p->tag,
                                  arrive);
        port->owner.reply(port->owner.ctx, slot, arrive);
        return;
    }
    case HILINK_PORT_WRITE_LAST:
        /* The copy's last packet: everything before it has landed (the pair's order), so its landing is the copy's
         * end; the acknowledgement leaves then. */
        queue_out(port, slot_fill(port, p->src, HILINK_PORT_ACK, 0, 0, NULL, 0, p->tag, arrive));
        hilink_kick_at(port->fabric, port->place, arrive);
        break;
    default: /* a store's or red's sender hears of its landing through its own port (landed) */
        break;
    }
    if (p->kind == HILINK_PORT_READ || p->kind == HILINK_PORT_ATOMIC)
        port->counters.requests_in++;
    else
        port->counters.writes_in++;
    port->owner.arrive(port->owner.ctx, p, arrive);
}

/* A kernel's store or red has landed in a peer: the owner learns when (the fabric delivers in the pair's order, so
 * this is also after every earlier store of this GPU to that peer). */
static void landed(void *ctx, uint8_t kind, uint64_t tag, vdc_time arrive)
{
    struct hilink_port *port = ctx;
    if ((kind == HILINK_PORT_STORE || kind == HILINK_PORT_RED) && port->owner.landed != NULL)
        port->owner.landed(port->owner.ctx, tag, arrive);
}

/* Writes (a kernel's stores and reds, a copy's packets) go into the GPU's own timeline, and a copy's last queues its
 * acknowledgement at the GPU's own port; requests, replies, acknowledgements and mail start work of the GPU's
 * engines, by events or on their command queues, and are handed over on the loop's thread. */
static bool delivers_alone(const struct hilink_packet *p)
{
    return p->kind == HILINK_PORT_STORE || p->kind == HILINK_PORT_RED || p->kind == HILINK_PORT_WRITE ||
           p->kind == HILINK_PORT_WRITE_LAST;
}

static void give_back(void *ctx, uint32_t lent)
{
    struct hilink_port *port = ctx;
    vdc_slot_pool_give(&port->slots, lent);
}

const struct hilink_packet *hilink_port_packet(const struct hilink_port *port, uint32_t slot)
{
    return &slot_at(port, slot)->packet;
}

void hilink_port_release_slot(struct hilink_port *port, uint32_t slot)
{
    vdc_slot_pool_give(&port->slots, slot);
}

/* ---- attaching ---- */

bool hilink_port_attach(struct hilink_port *port, struct hilink *fabric, uint32_t place,
                        const struct hilink_port_owner *owner, struct vdc_error *err)
{
    memset(port, 0, sizeof *port);
    port->place = place;
    port->owner = *owner;
    vdc_index_heap_init(&port->out);
    /* In place: a lent payload is read where it is by its receiver's window, on any thread, while this GPU's window
     * takes other slots. Room for 2^27 packets (32 GiB of payload, in chunks allocated as needed): memory runs out
     * first, as it did when the slots could move, for a kernel that stores to its peers far faster than HiLink
     * carries the stores (its GPU does not slow down for a full port). */
    vdc_slot_pool_init_in_place(&port->slots, sizeof(struct hilink_port_slot), UINT32_C(1) << 27,
                                "HiLink packets waiting at one GPU's port or on their way (a kernel storing to peers far "
                                "faster than the links carry it)");
    struct hilink_gpu_ops ops = {
        .ctx = port, .next = next_packet, .prefetch_next = prefetch_next, .deliver = deliver, .landed = landed,
        .delivers_alone = delivers_alone, .give_back = give_back};
    if (!hilink_attach(fabric, place, &ops, err))
        return false;
    port->fabric = fabric;
    return true;
}

void hilink_port_release(struct hilink_port *port)
{
    if (port->fabric != NULL)
        hilink_detach(port->fabric, port->place);
    vdc_slot_pool_free(&port->slots);
    vdc_index_heap_free(&port->out);
    memset(port, 0, sizeof *port);
}
