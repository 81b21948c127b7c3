/* HiLink's packets on their way: GPU links pulling from their GPU, the planes' output queues, credits both ways,
 * and delivery in order per GPU pair. */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/prefetch.h"
#include "common/ring.h"
#include "hilink/hilink_internal.h"
#include "scheduler/step_batch.h"

/* The time on a GPU's side: the loop's. */
static vdc_time now(const struct hilink *h)
{
    return h->sim->now;
}

static struct hilink_link *gpu_link(struct hilink *h, uint32_t gpu, uint32_t link)
{
    return &h->links[gpu * h->p.links_per_gpu + link];
}

static uint32_t wire_bytes(const struct hilink *h, const struct hilink_packet *pkt)
{
    return h->p.header_bytes + pkt->bytes;
}

/* --- the packet pool ----------------------------------------------------------------------------------------- */

/* How many takes ahead a slot of the pool is asked for. */
#define TAKE_AHEAD 16

/* A slot from the sending GPU's own pool, on the thread running its polls. */
static uint32_t slot_alloc(struct hilink *h, uint32_t gpu)
{
    struct vdc_slot_pool *pool = &h->ports[gpu].slots;
    uint32_t s = vdc_slot_pool_take(pool);
    /* A packet's header is written into a free slot, last touched by a delivery some time ago. A window's polls
     * take slots one after another, too soon for the next one to come from memory if asked for now: the one
     * TAKE_AHEAD on is asked for instead (the window gives none back meanwhile). */
    const struct hilink_slot *next = vdc_slot_pool_ahead(pool, TAKE_AHEAD);
    if (next != NULL) { /* the header's lines (a slot starts anywhere in a line) and the list link's */
        VDC_PREFETCH_OWN(&next->pkt);
        VDC_PREFETCH_OWN((const char *)&next->pkt + offsetof(struct hilink_packet, data) - 1);
        VDC_PREFETCH_OWN(&next->next);
    }
    return gpu << HILINK_SLOT_GPU_SHIFT | s;
}

/* Back to its sender's pool: by the sender's own poll (a slot it did not fill), or once delivered, on the loop's
 * thread after the batch, never while the sender's window may be taking slots. */
static void slot_free(struct hilink *h, uint32_t s)
{
    vdc_slot_pool_give(&h->ports[s >> HILINK_SLOT_GPU_SHIFT].slots, s & HILINK_SLOT_LOCAL_MASK);
}

/* --- credits on their way back ----------------------------------------------------------------------------- */

static uint32_t ring_index(const struct hilink_credit_returns *r, uint32_t i)
{
    return vdc_ring_slot(r->head, i, r->capacity);
}

/* A credit that reaches its sender at `at`, in its place by time: usually the latest so far (an output's credits
 * leave in its plane's order); a sender's come from the groups' steps one group after another, each in its own
 * order, so one may go a few places back. */
static void credit_send_back(struct hilink_credit_returns *r, vdc_time at)
{
    if (r->count == r->capacity)
        r->at = vdc_ring_grow(r->at, sizeof *r->at, &r->head, r->count, &r->capacity);
    uint32_t i = r->count;
    for (; i > 0 && r->at[ring_index(r, i - 1)] > at; i--)
        r->at[ring_index(r, i)] = r->at[ring_index(r, i - 1)];
    r->at[ring_index(r, i)] = at;
    r->count++;
}

static vdc_time next_credit(const struct hilink_credit_returns *r)
{
    return r->count > 0 ? r->at[r->head] : VDC_TIME_MAX;
}

/* Takes the credits back by `now` out of the ring: how many; *first is when the first of them arrived. */
static uint32_t credits_due(struct hilink_credit_returns *r, vdc_time by, vdc_time *first)
{
    uint32_t due = 0;
    *first = next_credit(r);
    while (r->count > 0 && r->at[r->head] <= by) {
        r->head = ring_index(r, 1);
        r->count--;
        due++;
    }
    return due;
}

void hilink_credit_returns_free(struct hilink_credit_returns *r)
{
    free(r->at);
    memset(r, 0, sizeof *r);
}

/* --- credit stalls ------------------------------------------------------------------------------------------- */

/* A GPU link is credit-stalled while it is idle and up, has no credit, and its GPU has a packet waiting. The fabric
 * only asks a GPU for a packet when a link can take one, so "has a packet waiting" is read as "its last answer to
 * next() was a packet": exact for a GPU that keeps sending, and at most one credit round trip too long after a
 * GPU's last packet (the stall ends when the returning credit's poll finds nothing). Summed over links. The credits
 * back by `t` (the GPU side's time: a poll's) are counted first; a stall they end ended when the first of them
 * arrived. */
static void stall_update(struct hilink *h, uint32_t gpu, uint32_t link, vdc_time t)
{
    struct hilink_gpu_state *port = &h->ports[gpu];
    struct hilink_link *k = gpu_link(h, gpu, link);
    vdc_time end = t, first;
    uint32_t due = credits_due(&k->credit_back, t, &first);
    if (due > 0 && k->credits == 0)
        end = first;
    k->credits += due;
    assert(k->credits <= h->p.credits);
    bool stalled = port->attached && port->up && port->backlogged && k->tx_free_at <= t && k->credits == 0;
    if (stalled && k->stall_since == VDC_TIME_MAX) {
        k->stall_since = t;
    } else if (!stalled && k->stall_since != VDC_TIME_MAX) {
        port->stats.credit_stall += end - k->stall_since;
        k->stall_since = VDC_TIME_MAX;
    }
}

void hilink_stall_update_all(struct hilink *h, uint32_t gpu, vdc_time t)
{
    for (uint32_t link = 0; link < h->p.links_per_gpu; link++)
        stall_update(h, gpu, link, t);
}

static void set_backlogged(struct hilink *h, uint32_t gpu, bool backlogged, vdc_time t)
{
    if (h->ports[gpu].backlogged == backlogged)
        return;
    h->ports[gpu].backlogged = backlogged;
    hilink_stall_update_all(h, gpu, t);
}

/* --- GPU -> switch ------------------------------------------------------------------------------------------- */

/* One poll event per GPU at a time, the earliest asked for; a later one replaces nothing and an earlier one makes
 * the pending event stale (its generation no longer matches). While the GPU's kernel runs, the next poll's time
 * alone: its windows run the polls (hilink_poll_window). */
void hilink_request_poll(struct hilink *h, uint32_t gpu, vdc_time at)
{
    struct hilink_gpu_state *port = &h->ports[gpu];
    if (port->poll_at <= at)
        return;
    /* What asks from outside the windows asks a lookahead or more ahead of the loop (a credit a link latency, a
     * packet from a command two PCIe crossings), so never for a time the windows' polls have passed. */
    assert(!port->windowed || at >= port->polled_until);
    port->poll_at = at;
    if (port->windowed)
        return;
    port->poll_generation++;
    vdc_schedule_at(port->wake_source, at, VDC_PRIO_WAKE, port->entity->id, HILINK_EV_GPU_POLL,
                    port->poll_generation);
}

/* A packet's event at the switch, from its GPU's poll: into the planes' queues now, or, from a window's poll, once
 * the window's batch is over (flush_held), when the planes' queues are the loop's thread's again. */
static void to_plane(struct hilink *h, uint32_t gpu, const struct vdc_event *ev, uint32_t dst)
{
    struct hilink_gpu_state *port = &h->ports[gpu];
    if (!port->windowed) {
        hilink_plane_push(h, dst, ev);
        return;
    }
    if (port->held_count == port->held_capacity) {
        port->held_capacity = port->held_capacity ? 2 * port->held_capacity : 256;
        port->held = vdc_xrealloc(port->held, port->held_capacity, sizeof *port->held);
    }
    port->held[port->held_count++] = (struct hilink_held_event){.ev = *ev, .dst = dst};
}

static void flush_held(void *context, uint64_t gpu)
{
    struct hilink *h = context;
    struct hilink_gpu_state *port = &h->ports[gpu];
    for (uint32_t i = 0; i < port->held_count; i++)
        hilink_plane_push(h, port->held[i].dst, &port->held[i].ev);
    port->held_count = 0;
}

static void send(struct hilink *h, uint32_t gpu, uint32_t link, uint32_t s, vdc_time t)
{
    struct hilink_slot *slot = hilink_slot_at(h, s);
    const struct hilink_packet *pkt = &slot->pkt;
    /* The GPU side's contract (hilink.h): its own index as source, another GPU of the fabric, at most 256 bytes. */
    assert(pkt->src == gpu && pkt->dst < h->p.gpus && pkt->dst != gpu && pkt->bytes <= HILINK_MAX_PAYLOAD);
    slot->seq = h->pair_sent[pkt->src * h->p.gpus + pkt->dst]++;
    slot->link = gpu * h->p.links_per_gpu + link;
    struct hilink_link *k = gpu_link(h, gpu, link);
    assert(k->credits > 0 && k->tx_free_at <= t);
    k->credits--;
    struct hilink_gpu_state *port = &h->ports[gpu];
    port->stats.packets_sent++;
    port->stats.bytes_sent += pkt->bytes;
    port->stats.wire_bytes_sent += wire_bytes(h, pkt);
    vdc_time done = vdc_time_add(t, h->serialise[pkt->bytes]);
    k->tx_free_at = done;
    /* Nothing happens at the switch input but taking the buffer its credit stood for, so the packet's one event
     * there is the end of the switch latency, when it picks an output. */
    vdc_time queued = vdc_time_add(vdc_time_add(done, h->p.link_latency), h->p.switch_latency);
    struct vdc_event ev = vdc_event_make(port->entity, queued, VDC_PRIO_WIRE, h->planes[k->plane]->id,
                                         HILINK_EV_SW_ENQUEUE, s);
    to_plane(h, gpu, &ev, pkt->dst);
}

/* Every idle link with a credit, lowest first, takes the GPU's next packet until the GPU has none. If it still has
 * some, the GPU is asked again when its next link is done or a link without a credit gets one back: a link's end is
 * no event of its own, so links that finish together take the GPU's next packets in one poll, lowest first. */
static void poll_at_time(struct hilink *h, uint32_t gpu, vdc_time t)
{
    struct hilink_gpu_state *port = &h->ports[gpu];
    if (!port->attached || !port->up)
        return;
    vdc_time wait = VDC_TIME_MAX;
    for (uint32_t link = 0; link < h->p.links_per_gpu; link++) {
        struct hilink_link *k = gpu_link(h, gpu, link);
        if (k->tx_free_at > t) {
            wait = k->tx_free_at < wait ? k->tx_free_at : wait;
            continue;
        }
        if (k->credits == 0) {
            stall_update(h, gpu, link, t); /* counts the credits back by t */
            if (k->credits == 0) {
                vdc_time back = next_credit(&k->credit_back);
                wait = back < wait ? back : wait;
                continue;
            }
        }
        uint32_t s = slot_alloc(h, gpu);
        vdc_time wake = VDC_TIME_MAX;
        if (!port->ops.next(port->ops.ctx, t, &hilink_slot_at(h, s)->pkt, &wake)) {
            slot_free(h, s);
            set_backlogged(h, gpu, false, t);
            /* A wake at or before t would ask again at the same time forever: a broken GPU side. */
            assert(wake > t);
            if (wake != VDC_TIME_MAX)
                hilink_request_poll(h, gpu, wake);
            return;
        }
        send(h, gpu, link, s, t);
        set_backlogged(h, gpu, true, t);
        wait = k->tx_free_at < wait ? k->tx_free_at : wait;
    }
    if (wait != VDC_TIME_MAX)
        hilink_request_poll(h, gpu, wait);
}

void hilink_gpu_poll(struct hilink *h, uint32_t gpu)
{
    poll_at_time(h, gpu, now(h));
}

/* The polls of a GPU whose kernel runs, at the end of its window (the window's packets queued by then): each at its
 * own time, as its event would have run it. The same model because nothing else touches the GPU's side of the
 * fabric between the window's start and its end: the credits back before the end were recorded before the window
 * began (a credit is back a link latency after its buffer frees, in a step whose handler ran before), what the loop
 * asks for is a lookahead ahead (hilink_request_poll), and packets the polls send reach a plane no sooner than a link
 * latency and the switch latency on, after the planes' step that runs beside this window. Not with scheduled port
 * faults: polls stay events there, so that a fault finds the port as the loop has it. */
void hilink_poll_window(struct hilink *h, uint32_t gpu, vdc_time limit)
{
    struct hilink_gpu_state *port = &h->ports[gpu];
    if (h->fault_count > 0)
        return;
    if (!port->windowed) {
        port->windowed = true;
        port->poll_generation++; /* the pending poll's event, if any, goes stale: the windows run it */
    }
    vdc_time until = h->sim->until, end = limit;
    if (until != VDC_TIME_MAX && until + 1 < end)
        end = until + 1; /* what the loop would not have run */
    while (port->poll_at < end) {
        vdc_time t = port->poll_at;
        port->poll_at = VDC_TIME_MAX;
        poll_at_time(h, gpu, t);
    }
    if (end > port->polled_until)
        port->polled_until = end;
    if (port->held_count > 0 && !vdc_step_hold_call(flush_held, h, gpu))
        flush_held(h, gpu);
}

void hilink_windows_over(struct hilink *h, uint32_t gpu)
{
    struct hilink_gpu_state *port = &h->ports[gpu];
    if (!port->windowed)
        return;
    hilink_take_handed(h, gpu); /* a kernel ended between its windows (never at a window's end: taken then) */
    assert(port->held_count == 0); /* flushed after the last window's batch */
    port->windowed = false;
    vdc_time at = port->poll_at;
    port->poll_at = VDC_TIME_MAX;
    if (at != VDC_TIME_MAX)
        hilink_request_poll(h, gpu, at);
}

/* Runs just before the previous event's handler (sim.h): a poll pulls the GPU's next packet. */
void hilink_gpu_prefetch(const struct vdc_entity *self, const struct vdc_event *ev)
{
    const struct hilink *h = self->model;
    const struct hilink_gpu_state *port = &h->ports[self->id - h->entity_base];
    if (ev->kind == HILINK_EV_GPU_POLL && port->attached && port->ops.prefetch_next != NULL)
        port->ops.prefetch_next(port->ops.ctx);
}

void hilink_gpu_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct hilink *h = self->model;
    uint32_t gpu = self->id - h->entity_base;
    switch (ev->kind) {
    case HILINK_EV_GPU_POLL:
        if (ev->arg != h->ports[gpu].poll_generation)
            return; /* replaced by an earlier one, which has run */
        h->ports[gpu].poll_at = VDC_TIME_MAX;
        hilink_gpu_poll(h, gpu);
        break;
    case HILINK_EV_PORT_STATE: hilink_set_port_up(h, gpu, ev->arg != 0); break;
    case HILINK_EV_CORRUPT: h->ports[gpu].corrupt_next = true; break;
    default: assert(!"hilink: unknown GPU port event");
    }
}

/* --- delivery in order per pair ------------------------------------------------------------------------------ */

/* The packet's turn in its pair's order has come: it lands no earlier than its pair's previous packet (hilink.h),
 * and is handed to its GPU after the step (hilink_step.c). */
static void deliver(struct hilink_group *g, struct hilink_pair *pair, uint32_t s)
{
    const struct hilink *h = g->h;
    vdc_time lands = hilink_slot_at(h, s)->arrive;
    vdc_time arrive = lands > pair->last_arrive ? lands : pair->last_arrive;
    pair->last_arrive = arrive;
    pair->next_out++;
    hilink_after(g, HILINK_AFTER_DELIVER, s, arrive);
}

/* The sender's side of a delivery: it hears that its packet (`kind`, `tag`) landed at `arrive`. */
static void hear_landed(struct hilink *h, uint32_t sender, uint8_t kind, uint64_t tag, vdc_time arrive)
{
    const struct hilink_gpu_state *port = &h->ports[sender];
    if (port->attached && port->ops.landed != NULL)
        port->ops.landed(port->ops.ctx, kind, tag, arrive);
}

/* The receiver's side: its counters, and the packet handed to its GPU side. A detached GPU's packets still cross the
 * fabric (their credits return) and are counted, then dropped. */
static void receive(struct hilink_gpu_state *port, const struct hilink_packet *pkt, vdc_time arrive)
{
    port->stats.packets_received++;
    port->stats.bytes_received += pkt->bytes;
    if (port->attached)
        port->ops.deliver(port->ops.ctx, pkt, arrive);
}

void hilink_deliver(struct hilink *h, uint32_t s, vdc_time arrive)
{
    struct hilink_slot *slot = hilink_slot_at(h, s);
    const struct hilink_packet *pkt = &slot->pkt;
    struct hilink_gpu_state *port = &h->ports[pkt->dst];
    if (__builtin_expect(port->corrupt_next, 0) && pkt->bytes > 0) {
        /* A lent payload is this packet's alone until it is handed back, so it may be changed where it is. */
        (slot->pkt.payload != NULL ? slot->pkt.payload : slot->pkt.data)[0] ^= 1;
        port->corrupt_next = false;
        port->stats.packets_corrupted++;
    }
    vdc_digest_fold(h->sim, (uint64_t)pkt->src << 16 | pkt->dst);
    vdc_digest_fold(h->sim, arrive);
    if (port->attached)
        hear_landed(h, pkt->src, pkt->kind, pkt->tag, arrive);
    receive(port, pkt, arrive);
    if (!port->attached && pkt->payload != NULL)
        hilink_return_payload(h, pkt->src, pkt->lent);
    slot_free(h, s);
}

static void slot_free_call(void *h, uint64_t s)
{
    slot_free(h, (uint32_t)s);
}

void hilink_deliver_in_window(struct hilink *h, uint32_t s, vdc_time arrive)
{
    const struct hilink_packet *pkt = &hilink_slot_at(h, s)->pkt;
    struct hilink_gpu_state *port = &h->ports[pkt->dst];
    assert(port->attached && !port->corrupt_next); /* hand_over (hilink_step.c) */
    receive(port, pkt, arrive);
    /* The slot is its sender's, whose window may be taking slots on another thread now. */
    if (!vdc_step_hold_call(slot_free_call, h, s))
        slot_free(h, s);
}

void hilink_sender_note(struct hilink *h, uint32_t sender, const struct hilink_note *n)
{
    if (n->kind == HILINK_AFTER_CREDIT)
        hilink_credit_leaves_switch(h, (uint32_t)n->value, n->at);
    else
        hear_landed(h, sender, n->packet_kind, n->value, n->at);
}

static void hold(struct hilink *h, struct hilink_pair *pair, uint32_t s)
{
    uint32_t *at = &pair->held;
    while (*at != HILINK_NONE && hilink_slot_at(h, *at)->seq < hilink_slot_at(h, s)->seq)
        at = &hilink_slot_at(h, *at)->next;
    hilink_slot_at(h, s)->next = *at;
    *at = s;
    h->ports[hilink_slot_at(h, s)->pkt.dst].stats.packets_held++;
}

/* The packet's last hop has started and it lands at `arrive`: delivered now if its pair's packets sent before it
 * have been, else held until they are. */
static void last_hop(struct hilink_group *g, uint32_t s, vdc_time arrive)
{
    struct hilink *h = g->h;
    struct hilink_slot *slot = hilink_slot_at(h, s);
    struct hilink_pair *pair = &h->pairs[slot->pkt.src * h->p.gpus + slot->pkt.dst];
    slot->arrive = arrive;
    if (slot->seq != pair->next_out) {
        assert(slot->seq > pair->next_out);
        hold(h, pair, s);
        return;
    }
    deliver(g, pair, s);
    while (pair->held != HILINK_NONE && hilink_slot_at(h, pair->held)->seq == pair->next_out) {
        uint32_t next = pair->held;
        pair->held = hilink_slot_at(h, next)->next;
        deliver(g, pair, next);
    }
}

/* --- switch -> GPU ------------------------------------------------------------------------------------------- */

/* The packet's input buffer is free once it leaves its output: its credit is on its way back to the sender, which
 * the step's handler records (the sender's records are the loop's thread's). */
static void return_input_credit(struct hilink_group *g, uint32_t fabric_link)
{
    hilink_after(g, HILINK_AFTER_CREDIT, fabric_link, vdc_time_add(g->plane_now, g->h->p.link_latency));
}

void hilink_credit_leaves_switch(struct hilink *h, uint32_t fabric_link, vdc_time at)
{
    if (!h->ports[fabric_link / h->p.links_per_gpu].up) {
        h->links[fabric_link].credits_owed++; /* the port has been down since before the step began */
        return;
    }
    hilink_send_credit_back(h, fabric_link, at);
}

/* An idle sender without credits is asked again when the credit is back (a busy one looks when it is done). After a
 * step, the sender's state is that of the step's start, earlier than the credit's leaving: a sender that goes idle
 * without credits after it finds this credit in its list when it looks (hilink_gpu_poll), so only one idle and
 * without credits now needs the poll, and one that gets a credit before then has a poll too many (polls are
 * wake-ups: one that finds nothing changes nothing). */
void hilink_send_credit_back(struct hilink *h, uint32_t fabric_link, vdc_time at)
{
    struct hilink_link *k = &h->links[fabric_link];
    uint32_t gpu = fabric_link / h->p.links_per_gpu;
    credit_send_back(&k->credit_back, at);
    /* A GPU in its windows has polled past the loop's time: a link busy now may have gone idle without a credit in
     * the last window, before this credit was known, so it is asked again whatever its state. */
    if ((h->ports[gpu].windowed || k->tx_free_at <= now(h)) && k->credits == 0)
        hilink_request_poll(h, gpu, at);
}

/* Starts the output feeding fabric-wide link `fabric_link` if it is idle, has a packet, a credit at the GPU's
 * input, and the GPU's port is up; an output that waits only for a credit is started again when one is back. */
static void start_output(struct hilink_group *g, uint32_t fabric_link)
{
    struct hilink *h = g->h;
    assert(fabric_link / h->p.links_per_gpu == g->gpu);
    struct hilink_output *k = &h->outputs[fabric_link];
    if (k->out_busy || k->out_head == HILINK_NONE || !h->ports[fabric_link / h->p.links_per_gpu].up)
        return;
    vdc_time first;
    k->out_credits += credits_due(&k->out_credit_back, g->plane_now, &first);
    assert(k->out_credits + k->out_credit_back.count <= h->p.credits);
    if (k->out_credits == 0) {
        vdc_time back = next_credit(&k->out_credit_back);
        assert(back != VDC_TIME_MAX); /* the GPU's input frees each buffer as its packet lands */
        if (back < k->out_wake_at) {
            k->out_wake_at = back;
            hilink_group_schedule(g, back, VDC_PRIO_WIRE, k->plane, HILINK_EV_SW_CREDIT, fabric_link);
        }
        return;
    }
    uint32_t s = k->out_head;
    k->out_head = hilink_slot_at(h, s)->next;
    if (k->out_head == HILINK_NONE)
        k->out_tail = HILINK_NONE;
    k->out_credits--;
    k->out_busy = true;
    k->out_sending = wire_bytes(h, &hilink_slot_at(h, s)->pkt);
    vdc_time done = vdc_time_add(g->plane_now, h->serialise[hilink_slot_at(h, s)->pkt.bytes]);
    vdc_time arrive = vdc_time_add(done, h->p.link_latency);
    hilink_group_schedule(g, done, VDC_PRIO_DEVICE, k->plane, HILINK_EV_SW_TX_DONE, fabric_link);
    /* The GPU takes the packet from its input buffer as it lands; the credit comes back one link latency later. */
    credit_send_back(&k->out_credit_back, vdc_time_add(arrive, h->p.link_latency));
    return_input_credit(g, hilink_slot_at(h, s)->link);
    last_hop(g, s, arrive);
}

/* Of the destination GPU's links in this plane, the one with the fewest wire bytes still to send (the packet it
 * is sending included, so that a busy output does not look as free as an idle one); ties to the lowest. */
static void enqueue(struct hilink_group *g, uint32_t plane, uint32_t s)
{
    struct hilink *h = g->h;
    struct hilink_slot *slot = hilink_slot_at(h, s);
    assert(slot->pkt.dst == g->gpu);
    uint32_t first = slot->pkt.dst * h->p.links_per_gpu + h->plane_first[plane];
    uint32_t end = slot->pkt.dst * h->p.links_per_gpu + h->plane_first[plane + 1];
    uint32_t best = first;
    for (uint32_t i = first + 1; i < end; i++)
        if (h->out_backlog[i] < h->out_backlog[best])
            best = i;
    struct hilink_output *k = &h->outputs[best];
    slot->next = HILINK_NONE;
    if (k->out_tail == HILINK_NONE)
        k->out_head = s;
    else
        hilink_slot_at(h, k->out_tail)->next = s;
    k->out_tail = s;
    h->out_backlog[best] += wire_bytes(h, &slot->pkt);
    start_output(g, best);
}

static void resume_outputs(struct hilink_group *g, uint32_t plane)
{
    const struct hilink *h = g->h;
    for (uint32_t link = h->plane_first[plane]; link < h->plane_first[plane + 1]; link++)
        start_output(g, g->gpu * h->p.links_per_gpu + link);
}

/* Runs just before the previous event's handler (sim.h): a packet enqueued at a plane reads its slot, filled when it
 * left its GPU a link and a switch latency ago, and an output finishing reads its link; both have usually left the
 * host's caches since. */
void hilink_plane_prefetch(const struct hilink *h, const struct vdc_event *ev)
{
    if (ev->kind == HILINK_EV_SW_ENQUEUE) {
        /* The header, read, and the fields after the payload, written (the queue's link, the landing time): each may
         * straddle two host lines. Not the payload, which the planes never read. */
        const struct hilink_slot *slot = hilink_slot_at(h, (uint32_t)ev->arg);
        const char *header = (const char *)&slot->pkt, *tail = (const char *)&slot->seq;
        VDC_PREFETCH(header, 0, 3);
        VDC_PREFETCH(header + offsetof(struct hilink_packet, data) - 1, 0, 3);
        VDC_PREFETCH_OWN(tail);
        VDC_PREFETCH_OWN((const char *)(slot + 1) - 1);
    } else if (ev->kind == HILINK_EV_SW_TX_DONE || ev->kind == HILINK_EV_SW_CREDIT) {
        VDC_PREFETCH(&h->outputs[ev->arg], 1, 3);
    }
}

void hilink_plane_event(struct hilink_group *g, const struct vdc_event *ev)
{
    struct hilink *h = g->h;
    uint32_t plane = ev->target - h->planes[0]->id;
    uint32_t arg = (uint32_t)ev->arg;
    switch (ev->kind) {
    case HILINK_EV_SW_ENQUEUE: enqueue(g, plane, arg); break;
    case HILINK_EV_SW_TX_DONE:
        h->outputs[arg].out_busy = false;
        assert(h->out_backlog[arg] >= h->outputs[arg].out_sending);
        h->out_backlog[arg] -= h->outputs[arg].out_sending;
        start_output(g, arg);
        break;
    case HILINK_EV_SW_CREDIT:
        if (h->outputs[arg].out_wake_at <= g->plane_now)
            h->outputs[arg].out_wake_at = VDC_TIME_MAX;
        start_output(g, arg);
        break;
    case HILINK_EV_SW_RESUME:
        assert(arg == g->gpu);
        resume_outputs(g, plane);
        break;
    default: assert(!"hilink: unknown plane event");
    }
}
