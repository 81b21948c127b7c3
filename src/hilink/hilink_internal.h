/* HiLink's state, shared by the fabric's files: its links, ports, GPU pairs, packet pool and events. */
#ifndef VDC_HILINK_HILINK_INTERNAL_H
#define VDC_HILINK_HILINK_INTERNAL_H

#include "common/slot_pool.h"
#include "hilink/hilink.h"
#include "scheduler/sim.h"

#define HILINK_NONE UINT32_MAX

/* Events: those of the GPU port entities, then those of the plane entities. */
enum hilink_event {
    HILINK_EV_GPU_POLL,    /* a retry, a kick or a credit a stalled link waits for: ask the GPU again; arg: the
                            * request's generation */
    HILINK_EV_SW_ENQUEUE,  /* a packet through its input and the switch latency, into an output queue; arg: slot */
    HILINK_EV_SW_TX_DONE,  /* an output finished serialising; arg: the fabric-wide link it feeds */
    HILINK_EV_SW_CREDIT,   /* the credit a waiting output needs is back; arg: the fabric-wide link */
    HILINK_EV_SW_RESUME,   /* a GPU's port came back up: restart this plane's outputs toward it; arg: the GPU */
    HILINK_EV_PORT_STATE,  /* a scheduled fault: the GPU's port goes down (arg 0) or up (arg 1) */
    HILINK_EV_CORRUPT,     /* a scheduled fault: the next payload delivered to the GPU gets a bit flipped */
    HILINK_EV_STEP,        /* the fabric's step: the planes' events before its end run (hilink_step.c); arg: the
                            * step's generation */
};

/* What the planes' events leave, during a step, for the loop's thread: done in their order by the step's handler. */
enum hilink_after_kind {
    HILINK_AFTER_DELIVER, /* hand slot `index` to its GPU; `at`: its landing */
    HILINK_AFTER_CREDIT,  /* a credit for fabric-wide link `index`'s sender, back at `at` */
};

struct hilink_after {
    vdc_time at;
    uint32_t kind, index;
    uint32_t src;  /* a delivery's sender */
};

/* What a step's actions do to one sender's side (its landings heard, its credits back), in the actions' order: the
 * sender's own share of them, done in its next window's advance when the step's deliveries are handed over there. */
struct hilink_note {
    vdc_time at;
    uint64_t value;  /* a landing: the packet's tag; a credit: the fabric-wide link */
    uint8_t kind;    /* HILINK_AFTER_DELIVER (value: tag, packet_kind: its kind) or HILINK_AFTER_CREDIT */
    uint8_t packet_kind;
};

struct hilink_notes {
    struct hilink_note *items;
    uint32_t count, capacity;
};

/* A step's actions: all of them in order, and each sender's share. */
struct hilink_actions {
    struct hilink_after *after;
    uint32_t after_count, after_capacity;
    struct hilink_notes *notes; /* per sender GPU */
    bool alone;                 /* every delivery among them touches its receiver's side alone (delivers_alone) */
};

/* The planes' outputs toward one GPU, their packets' order books (`pairs` into the GPU) and their events: what a
 * plane event touches belongs to the GPU its packet or output is for, so each GPU's share steps on its own, an
 * advance of its own beside the others (hilink_step.c). On lines of its own: the groups step on different threads. */
struct hilink_group {
    _Alignas(64) struct hilink *h;
    uint32_t gpu;
    struct vdc_event_queue queue; /* its plane events */
    /* The target of its steps' events, and the source of the plane events its steps schedule alone: their keys are
     * numbered in its own steps' order, whichever thread runs them. */
    struct vdc_entity *stepper;
    vdc_time step_at;             /* the pending step event's time, VDC_TIME_MAX when none */
    uint64_t step_generation;     /* of the pending step event: an earlier one asked for makes it stale */
    bool stepped;                 /* the pending step's advance has run; its handler finishes it */
    bool in_step;                 /* a step's advance is running its events */
    vdc_time plane_now;           /* the time of the plane event running */
    vdc_time planes_done;         /* every one of its plane events before this time has run */
    uint64_t step_digest;         /* the keys of the step's events, folded into the run's digest by its handler */
    uint64_t step_events;
    /* The running step's actions, and the last step's when they are handed over in the GPUs' windows: the receiver's
     * deliveries in its window, each sender's share in its own (hilink_step.c). */
    struct hilink_actions actions, handed;
};

/* A packet in the fabric: the GPUs' packet and the fabric's own books about it. */
struct hilink_slot {
    struct hilink_packet pkt;
    uint64_t seq;      /* its place in its (src, dst) pair's order, stamped when it was sent */
    vdc_time arrive;   /* when it lands in its destination (set when its last hop starts) */
    uint32_t next;     /* the next slot in the free list, an output queue or a pair's reorder list */
    uint32_t link;     /* the fabric-wide link it was sent on: its switch input slot's credit goes back there */
};

/* Credits on their way back to a link direction's sender, in the order of the time each arrives (a credit travels a
 * fixed time from when its packet leaves the buffer). A sender counts those due when it looks at its credits, so a
 * credit costs an event only when a sender waits for it. */
struct hilink_credit_returns {
    vdc_time *at;
    uint32_t head, count, capacity;
};

/* One link of one GPU, its GPU -> switch direction: the GPU's sender, on the loop's thread. Fabric-wide index gpu *
 * links_per_gpu + link; the links of plane q are plane_first[q] to plane_first[q + 1] - 1. */
struct hilink_link {
    uint8_t plane;
    vdc_time tx_free_at;    /* when the packet it is sending is out (idle from then on) */
    uint32_t credits;       /* free packet buffers at the switch input, not counting those in credit_back */
    struct hilink_credit_returns credit_back;
    uint32_t credits_owed;  /* credits the switch holds back while this GPU's port is down */
    vdc_time stall_since;   /* start of the current credit stall, VDC_TIME_MAX when none */
};

/* The same link's switch -> GPU direction: the plane's output that feeds the GPU, in the planes' steps (apart from
 * the sender's records: the two run on different threads). Same index. */
struct hilink_output {
    bool out_busy;
    uint8_t plane;
    uint32_t out_credits;   /* free packet buffers at the GPU's input, not counting those in out_credit_back */
    struct hilink_credit_returns out_credit_back;
    vdc_time out_wake_at;   /* the SW_CREDIT event pending for a waiting output, VDC_TIME_MAX when none */
    uint32_t out_head, out_tail;
    uint32_t out_sending;   /* wire bytes of the packet being sent */
};

/* The books of one (src, dst) pair at its destination: the sequence number delivered next, and what waits for its
 * turn (the sequence numbers stamped are the senders', in `pair_sent`: the two run on different threads). */
struct hilink_pair {
    uint64_t next_out;
    vdc_time last_arrive;   /* the arrive time the last delivered packet was given */
    uint32_t held;          /* reorder list, sorted by seq */
};

/* A packet from the GPU's polls held until its window's batch is over: the planes' queues are the loop's then. */
struct hilink_held_event {
    struct vdc_event ev;
    uint32_t dst;            /* the GPU whose group of the planes takes it */
};

/* A GPU's side of the fabric. On lines of its own: while its kernel runs, its polls run in its windows, on whichever
 * thread advances them (hilink_poll_window). */
struct hilink_gpu_state {
    _Alignas(64) struct hilink_gpu_ops ops;
    bool attached, up;
    bool backlogged;        /* the GPU's last answer to next() was a packet: it has traffic (credit_stall) */
    bool corrupt_next;      /* a hilink-corrupt fault waits for the next payload delivered to the GPU */
    uint64_t poll_generation;
    vdc_time poll_at;       /* the pending retry's time, VDC_TIME_MAX when none */
    struct vdc_entity *entity;
    /* The source of its polls and of its group's steps alone: wake-ups, whose count is the windows' (a poll or a
     * step too many changes nothing), kept out of the numbering of what is simulated. */
    struct vdc_entity *wake_source;
    struct hilink_port_stats stats;
    /* The packets it has sent and not yet seen delivered, by index within the pool (hilink_slot_at). */
    struct vdc_slot_pool slots;
    /* While its GPU's kernel runs, its polls run at the end of each window, at their own times, and `poll_at` is
     * the next one's time with no event for it (hilink_poll_window); `polled_until` is how far they have run. */
    bool windowed;
    vdc_time polled_until;
    struct hilink_held_event *held;
    uint32_t held_count, held_capacity;
};

struct hilink {
    struct vdc_sim *sim;
    vdc_time hand_over_checked; /* the time of the steps whose actions hand_over says about */
    bool hand_over;             /* those steps' actions are done in the GPUs' next windows, not by their handlers */
    struct hilink_params p;
    uint32_t entity_base;
    uint32_t plane_first[HILINK_MAX_PLANES + 1];
    vdc_time serialise[HILINK_MAX_PAYLOAD + 1]; /* by payload bytes: no 128-bit division per packet */
    struct hilink_gpu_state *ports;
    struct hilink_link *links;
    struct hilink_output *outputs;
    /* Per fabric-wide link, its output's wire bytes queued plus those of the packet being sent: apart from the links,
     * as each packet's choice of output compares a GPU's links in a plane (a few host lines, not one per link). */
    uint64_t *out_backlog;
    struct hilink_pair *pairs;
    uint64_t *pair_sent;        /* per (src, dst) pair, the packets its sender has stamped: the next one's seq */
    struct vdc_entity *planes[HILINK_MAX_PLANES];
    /* The planes' events, by the GPU their outputs feed, in queues of the fabric's own, run a step ahead of the loop
     * (hilink_step.c). */
    struct hilink_group *groups; /* one per GPU */
    vdc_time step_width;        /* the link latency: nothing the planes do reaches a GPU sooner */
    vdc_time *faults;           /* the times of the scheduled port faults, ascending: no step runs across one */
    uint32_t fault_count, fault_capacity;
};

/* A packet's slot index: its sender in the high bits, its place in the sender's pool below (each GPU takes its own
 * packets' slots, in its windows, while other GPUs take theirs on other threads). */
#define HILINK_SLOT_GPU_SHIFT 26
#define HILINK_SLOT_LOCAL_MASK ((UINT32_C(1) << HILINK_SLOT_GPU_SHIFT) - 1)

static inline struct hilink_slot *hilink_slot_at(const struct hilink *h, uint32_t s)
{
    return vdc_slot_pool_at(&h->ports[s >> HILINK_SLOT_GPU_SHIFT].slots, s & HILINK_SLOT_LOCAL_MASK);
}

/* A port fault's event: GPU `gpu`'s links go down or come back up (hilink_schedule_port_state). */
void hilink_set_port_up(struct hilink *h, uint32_t gpu, bool up);

/* hilink_move.c: the packets' way through the fabric. */
/* A poll at the loop's time (its event). */
void hilink_gpu_poll(struct hilink *h, uint32_t gpu);
void hilink_request_poll(struct hilink *h, uint32_t gpu, vdc_time at);
/* The credit stalls of the GPU's links brought up to `t`, the GPU side's time. */
void hilink_stall_update_all(struct hilink *h, uint32_t gpu, vdc_time t);
/* A credit for fabric-wide link `fabric_link`'s sender, back at `at`: held at the switch while the sender's port is
 * down (hilink_credit_leaves_switch), or sent (hilink_send_credit_back). */
void hilink_credit_leaves_switch(struct hilink *h, uint32_t fabric_link, vdc_time at);
void hilink_send_credit_back(struct hilink *h, uint32_t fabric_link, vdc_time at);
void hilink_credit_returns_free(struct hilink_credit_returns *r);
void hilink_gpu_event(struct vdc_entity *self, const struct vdc_event *ev);
void hilink_gpu_prefetch(const struct vdc_entity *self, const struct vdc_event *ev);
/* Runs a plane event of group `g`, inside its step. */
void hilink_plane_event(struct hilink_group *g, const struct vdc_event *ev);
void hilink_plane_prefetch(const struct hilink *h, const struct vdc_event *ev);
/* Hands slot `s` to its GPU, landing at `arrive` (the loop's thread). */
void hilink_deliver(struct hilink *h, uint32_t s, vdc_time arrive);
/* The same in the receiver's window: its side alone, the slot's return held for the loop's thread; the sender's side
 * (its landing heard) comes from the step's notes (hilink_sender_note). */
void hilink_deliver_in_window(struct hilink *h, uint32_t s, vdc_time arrive);
void hilink_sender_note(struct hilink *h, uint32_t sender, const struct hilink_note *n);

/* hilink_step.c: the planes' events in steps. */
void hilink_steps_init(struct hilink *h);
void hilink_steps_free(struct hilink *h);
/* Queues, from outside a step (a GPU's packet, a port coming back up), an event from `source` for plane `plane`'s
 * outputs toward GPU `gpu`; a step of that GPU's group is asked for in time. hilink_plane_push: the same with the
 * event made. */
void hilink_plane_push(struct hilink *h, uint32_t gpu, const struct vdc_event *ev);
void hilink_plane_schedule(struct hilink *h, struct vdc_entity *source, vdc_time at, enum vdc_priority priority_class,
                           uint32_t plane, uint32_t gpu, uint32_t kind, uint64_t arg);
/* The same from a plane event of group `g`, inside its step: it runs in this step or a later one. */
void hilink_group_schedule(struct hilink_group *g, vdc_time at, enum vdc_priority priority_class, uint32_t plane,
                           uint32_t kind, uint64_t arg);
/* Leaves `kind` for the step's handler, from a plane's event inside a step of group `g`. */
void hilink_after(struct hilink_group *g, enum hilink_after_kind kind, uint32_t index, vdc_time at);
void hilink_note_fault(struct hilink *h, vdc_time at);
void hilink_step_advance(struct vdc_entity *self, const struct vdc_event *ev);
void hilink_step_event(struct vdc_entity *self, const struct vdc_event *ev);

#endif
