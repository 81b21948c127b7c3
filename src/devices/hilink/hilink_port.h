/* A GPU's HiLink port (the GPU side of src/hilink): what a GPU sends (posted writes from its kernels' stores and from
 * its copy engine, its kernels' loads and atomics, replies, acknowledgements) in the order of the time each is ready,
 * and what reaches it, handed to its owner with the time it lands. The GPU that owns it supplies its memory and
 * clock through the callbacks; the port knows no GPU model. */
#ifndef VDC_DEVICES_HILINK_PORT_H
#define VDC_DEVICES_HILINK_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/index_heap.h"
#include "common/slot_pool.h"
#include "common/time.h"
#include "hilink/hilink.h"
#include "scheduler/sim.h"

/* What crosses HiLink between GPUs (struct hilink_packet.kind). */
enum hilink_port_kind {
    HILINK_PORT_WRITE = 1,      /* bytes of data at address, in the destination's memory */
    HILINK_PORT_WRITE_LAST = 2, /* the same, the last of a copy: its destination acknowledges it */
    HILINK_PORT_ACK = 3,        /* tag: the copy acknowledged */
    HILINK_PORT_STORE = 4,      /* a kernel's store: its sender hears when it lands (tag: the sender's token) */
    HILINK_PORT_READ = 5,       /* a kernel's load of `aux` bytes at address: answered by READ_REPLY */
    HILINK_PORT_READ_REPLY = 6, /* the bytes read, with the request's address and tag */
    HILINK_PORT_ATOMIC = 7,     /* a kernel's atom (the operation in aux and data): answered by ATOMIC_REPLY */
    HILINK_PORT_ATOMIC_REPLY = 8, /* the old value, with the request's address and tag */
    HILINK_PORT_RED = 9,        /* a kernel's red: applied where it lands; its sender hears when, as for a store */
    HILINK_PORT_MAIL = 10,      /* a message for the destination's mailbox (its GPU's own use: exchanging handles) */
};

struct hilink_port_owner {
    void *ctx;
    /* A write (WRITE, WRITE_LAST, STORE), request (READ, ATOMIC), RED or MAIL for the GPU, landing at `arrive`
     * (called at least one link latency before that): the owner applies or serves it when its GPU reaches that
     * time (a request's reply goes back with hilink_port_send). */
    void (*arrive)(void *ctx, const struct hilink_packet *p, vdc_time arrive);
    /* Reads `bytes` of its own memory for an outbound copy packet. */
    void (*read)(void *ctx, uint64_t address, void *data, uint32_t bytes);
    /* A copy it sent is over: the acknowledgement of its last packet lands back at `arrive` (called at least one
     * link latency before that). */
    void (*copy_done)(void *ctx, uint64_t tag, vdc_time arrive);
    /* A store or red it sent (hilink_port_send, `tag`) lands at its peer at `arrive` (called at least one link
     * latency before that): what a system-scope fence of the storing warp waits for. */
    void (*landed)(void *ctx, uint64_t tag, vdc_time arrive);
    /* A reply to one of its requests lands at `arrive` (called at least one link latency before that). The packet
     * stays in the port's slot `slot` until the owner lets it go (hilink_port_packet, hilink_port_release_slot). */
    void (*reply)(void *ctx, uint32_t slot, vdc_time arrive);
};

struct hilink_port_counters {
    uint64_t writes_out, bytes_out, writes_in, bytes_in, bad_writes_in, copies;
    uint64_t requests_out, requests_in; /* loads and atomics (red counts as a write) */
};

/* A packet the port keeps: outbound until the fabric takes it, a reply until its owner has taken it in. Five host
 * cache lines in a pool on line boundaries: the time, order and header in the first, a payload in the other four
 * (what the fabric reads of a queued packet is one line; what a receiver reads of a lent payload, four). */
struct hilink_port_slot {
    vdc_time time;              /* outbound: ready to leave; a reply: lands */
    uint64_t seq;               /* ties, in the order the port got them */
    struct hilink_packet packet;
};

struct hilink_port {
    struct hilink *fabric;      /* NULL: the GPU is on no HiLink fabric */
    uint32_t place;
    struct hilink_port_owner owner;

    struct vdc_slot_pool slots; /* struct hilink_port_slot */
    uint64_t next_seq;

    struct vdc_index_heap out;      /* outbound slots by (time, seq) */
    /* The copy being sent: packets made as the fabric takes them. */
    struct {
        bool active;
        uint32_t dst_place;
        uint64_t src, dst, left, tag;
        vdc_time ready;
        vdc_time last_sent;     /* when its latest packet left */
    } copy;

    struct hilink_port_counters counters;
};

/* Attaches the GPU at `place` to `fabric`. */
bool hilink_port_attach(struct hilink_port *port, struct hilink *fabric, uint32_t place,
                        const struct hilink_port_owner *owner, struct vdc_error *err);
void hilink_port_release(struct hilink_port *port);

/* A kernel's STORE, READ, ATOMIC or RED, or a reply to a peer's request (`kind`), of `bytes` of data (0 to 256) to
 * `address` at `dst_place`, ready to leave at `ready` (>= now): queued at once (also from the GPU's window's
 * advance, which runs ahead of virtual time: only the port's queue and its own part of the fabric are touched), and
 * taken by the fabric at `ready` at the earliest. A store's or red's landing reaches the owner's `landed` with
 * `tag`; a request's reply its `reply`. */
void hilink_port_send(struct hilink_port *port, uint32_t dst_place, uint8_t kind, uint64_t address, uint32_t aux,
                      const void *data, uint32_t bytes, uint64_t tag, vdc_time ready);
/* Starts sending `length` bytes (> 0) of its memory at `src` to `dst` at `dst_place`, from `ready` on; when the
 * last packet lands, the destination acknowledges and the owner's copy_done gets `tag`. One copy at a time. */
void hilink_port_copy(struct hilink_port *port, uint32_t dst_place, uint64_t src, uint64_t dst, uint64_t length,
                      uint64_t tag, vdc_time ready);

/* Gives the copy up: no more of its packets leave (those sent stay on their way). */
void hilink_port_cancel_copy(struct hilink_port *port);
/* The GPU's kernel window up to `limit` has run: the fabric takes what the window queued, in the window's advance
 * (hilink_poll_window). Until hilink_port_windows_over, at the kernel's end. */
void hilink_port_poll_window(struct hilink_port *port, vdc_time limit);
/* At a window's start, before the launch is fed: what reached the GPU by the fabric's last steps
 * (hilink_take_handed). */
void hilink_port_take_handed(struct hilink_port *port);
void hilink_port_windows_over(struct hilink_port *port);

/* A reply the owner was handed (its `reply`), and letting its slot go. */
const struct hilink_packet *hilink_port_packet(const struct hilink_port *port, uint32_t slot);
void hilink_port_release_slot(struct hilink_port *port, uint32_t slot);

#endif
