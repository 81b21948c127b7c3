/* HiLink: an NVSwitch-like fabric that joins GPUs. Each GPU has links of one rate and latency to one or more switch
 * planes (HGX H100: four NVSwitch chips, 5/4/4/5 of its 18 links); traffic moves in packets of a header and up to
 * 256 bytes; every link direction has credit-based flow control, so nothing is ever dropped; packets between a pair
 * of GPUs are delivered in the order they were sent. Independent of the packet fabric (src/fabric): a different
 * protocol, no Ethernet, no PFC. Its events run on entities of its own (VDC_IDS_HILINK_BASE). */
#ifndef VDC_HILINK_HILINK_H
#define VDC_HILINK_HILINK_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"
#include "common/time.h"

struct vdc_sim;

#define HILINK_MAX_GPUS 64
#define HILINK_MAX_PLANES 8
#define HILINK_MAX_LINKS 64    /* links per GPU, over all planes */
#define HILINK_MAX_PAYLOAD 256

struct hilink_params {
    uint32_t gpus;                     /* 2 to HILINK_MAX_GPUS */
    uint32_t links_per_gpu;            /* 1 to HILINK_MAX_LINKS */
    uint32_t planes;                   /* switch planes, 1 to HILINK_MAX_PLANES, at most links_per_gpu */
    uint64_t link_bytes_per_second;    /* per link, per direction, on the wire */
    vdc_time link_latency;             /* one way along a link (wire, PHY), GPU to switch or switch to GPU */
    vdc_time switch_latency;           /* a packet's time from a plane's input to its output queue */
    uint32_t header_bytes;             /* each packet's bytes on the wire besides its payload */
    uint32_t credits;                  /* packets the receiver of a link direction buffers: the sender's credits */
};

/* Defaults: h100 and h200 (the same NVLink 4): 18 links of 25 GB/s per direction, one plane, 8 GPUs; the
 * latencies and header size docs/hilink.md gives with their sources. */
bool hilink_params_preset(const char *preset, struct hilink_params *p, struct vdc_error *err);
/* False with a one-line message naming the `hilink.*` key at fault. */
bool hilink_params_validate(const struct hilink_params *p, struct vdc_error *err);
/* Links of each GPU to plane `plane`: links_per_gpu spread evenly, the remainder going first to the last plane,
 * then the first, the second to last... (18 over 4 planes: 5/4/4/5, as HGX cables them). */
uint32_t hilink_plane_links(const struct hilink_params *p, uint32_t plane);

/* A packet: what the GPU side fills in and gets back. The fabric adds nothing the GPUs see; `kind`, `address`,
 * `tag` and the payload are the GPUs' own (a write, a read request or reply, an acknowledgement...). */
struct hilink_packet {
    uint16_t src, dst;                 /* GPU indices on the fabric */
    uint8_t kind;
    uint16_t bytes;                    /* payload, 0 to HILINK_MAX_PAYLOAD: on the wire, header_bytes + bytes */
    uint32_t aux;                      /* a request's parameters (the bytes a read asks for, an atomic's operation) */
    uint64_t address;
    uint64_t tag;
    /* The payload where its sender keeps it, lent (its token `lent`) until whoever ends the packet's way hands it back
     * (hilink_return_payload); NULL: the payload is `data`. Lending spares the loop's thread the payload's copies
     * and the host's cache misses on them: only the header crosses the fabric. */
    uint8_t *payload;
    uint32_t lent;
    /* At 48 bytes: a record that starts 16 bytes before a host cache line (a HiLink port's slot) holds the header in
     * that line and the payload in the next four, no line shared by both. */
    _Alignas(16) uint8_t data[HILINK_MAX_PAYLOAD];
};

/* The packet's payload bytes, wherever they are. */
static inline const uint8_t *hilink_packet_payload(const struct hilink_packet *p)
{
    return p->payload != NULL ? p->payload : p->data;
}

/* Copies a packet's header and its `bytes` of payload when it carries them itself, not the unused rest of `data`
 * (most of a packet's bytes when it carries little or lends its payload; a copy is one of the few things a packet
 * costs on the loop's thread). */
static inline void hilink_packet_copy(struct hilink_packet *dst, const struct hilink_packet *src)
{
    assert(src->bytes <= HILINK_MAX_PAYLOAD); /* every maker of a packet bounds its payload */
    memcpy(dst, src, offsetof(struct hilink_packet, data) + (src->payload != NULL ? 0 : src->bytes));
}

/* The GPU side of its port. The fabric pulls packets when one of the GPU's links can take one (idle, with a
 * credit) and hands it the packets addressed to it. */
struct hilink_gpu_ops {
    void *ctx;
    /* The GPU's next packet, if it has one to send at `now`: true and *out filled, header and payload (`payload` NULL
     * unless lent). Otherwise false, and *wake is the time it will have one (VDC_TIME_MAX: only after it calls
     * hilink_kick). */
    bool (*next)(void *ctx, vdc_time now, struct hilink_packet *out, vdc_time *wake);
    /* Optional: asks the host's caches for what next() would copy out, just before an event that may call it. */
    void (*prefetch_next)(void *ctx);
    /* A packet for this GPU. Called after the step in which the packet leaves the switch for the GPU's link (or, to
     * keep the pair's order, in which the packets sent before it have), at the step's start (hilink_step.c), which is
     * at least one link latency before `arrive`, the time it lands in the GPU: so a GPU running ahead of virtual
     * time by up to one link latency learns of it in time. A lent payload is the receiver's to hand back. */
    void (*deliver)(void *ctx, const struct hilink_packet *p, vdc_time arrive);
    /* Optional: a packet this GPU sent (its `kind` and `tag`) has been delivered to its peer, landing at `arrive`.
     * Called beside that delivery, before or after it: the two touch different GPUs. */
    void (*landed)(void *ctx, uint8_t kind, uint64_t tag, vdc_time arrive);
    /* Optional: whether delivering `p` to this GPU touches this GPU's side alone (no event before the GPU's next
     * window, nothing of another GPU's): such deliveries may be handed over in that window's advance, on its thread
     * (hilink_step.c). Called inside a step, on any thread. A side that has it calls hilink_take_handed first thing
     * in each of its windows; its deliveries, and its landings heard (landed), then come at the start of the window
     * that `arrive` falls in, not a link latency before. Without it, nothing is handed over. */
    bool (*delivers_alone)(const struct hilink_packet *p);
    /* Required of a GPU side whose next() lends payloads: the payload lent as `lent` is no longer read by anyone.
     * Called on the loop's thread, never from a window's advance. */
    void (*give_back)(void *ctx, uint32_t lent);
};

/* Per port counters (a GPU's links together, each direction). */
struct hilink_port_stats {
    uint64_t packets_sent, bytes_sent;         /* payload bytes */
    uint64_t packets_received, bytes_received;
    uint64_t wire_bytes_sent;                  /* headers included */
    vdc_time credit_stall;                     /* link-time its links waited for a credit with a packet to send */
    uint64_t packets_held;                     /* received packets that overtook one sent before them and waited */
    uint64_t packets_corrupted;                /* received with a bit flipped (hilink_schedule_corruption) */
};

struct hilink;

/* A fabric of p->gpus GPUs in `sim`, its entities from `entity_base` (hilink_entity_count of them). */
struct hilink *hilink_create(struct vdc_sim *sim, const struct hilink_params *p, uint32_t entity_base,
                             struct vdc_error *err);
uint32_t hilink_entity_count(const struct hilink_params *p);
void hilink_free(struct hilink *h);
const struct hilink_params *hilink_get_params(const struct hilink *h);

/* Connects GPU `gpu` (0 to gpus-1) to the fabric; false if out of range or already attached. The fabric asks it
 * for packets once it kicks (hilink_kick). */
bool hilink_attach(struct hilink *h, uint32_t gpu, const struct hilink_gpu_ops *ops, struct vdc_error *err);
void hilink_detach(struct hilink *h, uint32_t gpu);
/* The ctx GPU `gpu` attached with, or NULL when none is: lets a GPU check an address in a peer's memory when it
 * issues an access there (a simulator's shortcut: the hardware learns it from the reply). */
void *hilink_gpu_context(const struct hilink *h, uint32_t gpu);
/* Hands a payload lent by GPU `sender` as `lent` (a packet's `src` and `lent`, its `payload` not NULL) back to it. On
 * the loop's thread only: a receiver done with one inside a window's advance holds the call (vdc_step_hold_call). */
void hilink_return_payload(struct hilink *h, uint32_t sender, uint32_t lent);

/* The GPU has something to send sooner than it last said: its idle links ask it again now. */
void hilink_kick(struct hilink *h, uint32_t gpu);
/* The same at `at` (not before now): the GPU has queued a packet that is ready then. Touches only the GPU's own part
 * of the fabric, so a GPU may call it from its window's advance (an event held until the batch's end). */
void hilink_kick_at(struct hilink *h, uint32_t gpu, vdc_time at);

/* GPU `gpu` runs a kernel in windows of virtual time, and its window up to `limit` has run: the polls of its port
 * until then run now, each at its own time, on the thread of the window's advance (the planes' queues get their
 * packets after the batch). From then on, until hilink_windows_over, its polls are no events: each window runs
 * them. The same packets at the same times as with polls as events (hilink_move.c says why); with scheduled port
 * faults it does nothing, and the polls stay events. */
void hilink_poll_window(struct hilink *h, uint32_t gpu, vdc_time limit);
/* The GPU's kernel is over: its polls are events of the loop's again. */
void hilink_windows_over(struct hilink *h, uint32_t gpu);
/* At the start of each of GPU `gpu`'s windows, in its advance: its share of what the last steps' handlers handed
 * over (hilink_step.c), before anything else of the window. */
void hilink_take_handed(struct hilink *h, uint32_t gpu);

/* Takes all of GPU `gpu`'s links down (false) or back up at virtual time `at` (a scenario's fault), by an event of
 * the GPU's port entity: while down nothing crosses them in either direction, what was on its way waits where it is
 * (credits stop), and nothing is lost; traffic resumes where it stopped. Scheduled before the run reaches `at`: the
 * switch planes run ahead of the loop, never across a fault they know of (hilink_step.c). */
void hilink_schedule_port_state(struct hilink *h, uint32_t gpu, vdc_time at, bool up);
/* Whether GPU `gpu`'s links are up. */
bool hilink_port_is_up(const struct hilink *h, uint32_t gpu);
/* A scheduled fault: the first packet with a payload handed to the GPU at or after `at` (deliver, in hilink_gpu_ops:
 * a link latency or more before it lands) arrives with the lowest bit of its first payload byte flipped, as data that
 * a link's checks let through; the GPU is not told. */
void hilink_schedule_corruption(struct hilink *h, uint32_t gpu, vdc_time at);

void hilink_port_stats(const struct hilink *h, uint32_t gpu, struct hilink_port_stats *out);
/* The time a lone packet of `bytes` of payload takes from the first bit leaving its GPU to landing in its
 * destination, in an idle fabric: two serialisations, two link latencies and the switch latency. */
vdc_time hilink_idle_latency(const struct hilink_params *p, uint32_t bytes);
/* The time `bytes` take on one link's wire (header_bytes + bytes at link_bytes_per_second), rounded up to a ps. */
vdc_time hilink_serialisation(const struct hilink_params *p, uint32_t bytes);

#endif
