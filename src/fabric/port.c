/* Egress ports: priority queues, strict priority then DWRR, PFC pause state, serialization onto the link. */
#include <assert.h>

#include "common/prefetch.h"
#include "fabric/capture.h"
#include "fabric/fabric.h"
#include "fabric/host.h"
#include "fabric/outputs.h"
#include "fabric/qlen_monitor.h"

static void queue_push(struct fabric_queue *q, struct fabric_packet *p)
{
    p->next = NULL;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->bytes += p->frame_bytes;
    q->frames++;
}

static struct fabric_packet *queue_pop(struct fabric_queue *q)
{
    struct fabric_packet *p = q->head;
    assert(p != NULL && q->frames > 0 && q->bytes >= p->frame_bytes);
    q->head = p->next;
    if (!q->head)
        q->tail = NULL;
    q->bytes -= p->frame_bytes;
    q->frames--;
    p->next = NULL;
    return p;
}

void fabric_port_enqueue(struct fabric_port *port, struct fabric_packet *p)
{
    queue_push(&port->queue[p->priority], p);
    port->queued_bytes += p->frame_bytes;
    port->backlog_mask |= (uint8_t)(1u << p->priority);
    fabric_port_kick(port);
}

void fabric_port_send_control(struct fabric_port *port, struct fabric_packet *p)
{
    if (port->failed) { /* a dead port sends no PFC frame; its pause state is reset when it is repaired */
        fabric_packet_release(&port->node->shard->pool, p);
        return;
    }
    queue_push(&port->control, p);
    fabric_port_kick(port);
}

/* Priorities with frames queued and not paused, one bit each. */
static inline unsigned eligible_mask(const struct fabric_port *port)
{
    return port->backlog_mask & (unsigned)~port->paused_mask;
}

/* The first frame of priority `priority`'s queue, taken off it; an emptied queue leaves the DWRR's turns. */
static struct fabric_packet *take(struct fabric_port *port, unsigned priority)
{
    struct fabric_packet *p = queue_pop(&port->queue[priority]);
    port->queued_bytes -= p->frame_bytes;
    if (!port->queue[priority].head) {
        port->backlog_mask &= (uint8_t)~(1u << priority);
        fabric_dwrr_emptied(&port->dwrr, priority);
    }
    /* The next frame of this queue is read when the wire frees, a serialization time from now, and it has waited
     * long enough to have left the host's caches: fetch it now. Only a hint; NULL is harmless. */
    VDC_PREFETCH(port->queue[priority].head, 0, 3);
    return p;
}

/* The control queue (PFC), then strict priority for the highest `strict_priorities` classes, then deficit round robin
 * over the others. */
static struct fabric_packet *pick_queued(struct fabric_port *port)
{
    const struct fabric_config *cfg = &port->node->fabric->cfg;
    if (port->control.head)
        return queue_pop(&port->control);
    if (port->queued_bytes == 0)
        return NULL;
    unsigned strict_floor = FABRIC_PRIORITIES - cfg->strict_priorities;
    unsigned strict = eligible_mask(port) >> strict_floor << strict_floor;
    if (strict != 0)
        return take(port, 31u - (unsigned)__builtin_clz(strict)); /* the highest */
    const struct fabric *f = port->node->fabric;
    int q = fabric_dwrr_pick(&port->dwrr, strict_floor, eligible_mask(port), port->queue, cfg->dwrr_weight,
                             f->dwrr_quantum);
    return q < 0 ? NULL : take(port, (unsigned)q);
}

/* fabric_serialization, remembered for the last two frame sizes: a port mostly sends full data frames and ACKs. */
static vdc_time serialization_of(struct fabric_port *port, uint32_t frame_bytes)
{
    for (unsigned i = 0; i < 2; i++) {
        if (port->serialization_bytes[i] == frame_bytes && frame_bytes != 0)
            return port->serialization_time[i];
    }
    vdc_time t = fabric_serialization(port, frame_bytes);
    port->serialization_bytes[1] = port->serialization_bytes[0];
    port->serialization_time[1] = port->serialization_time[0];
    port->serialization_bytes[0] = frame_bytes;
    port->serialization_time[0] = t;
    return t;
}

static void transmit(struct fabric_port *port, struct fabric_packet *p)
{
    struct fabric_node *node = port->node;
    struct fabric *f = node->fabric;
    struct vdc_sim *sim = node->entity->sim;
    vdc_time serialization = serialization_of(port, p->frame_bytes);
    port->free_at = sim->now + serialization;
    port->count.tx_frames++;
    port->count.tx_bytes += p->frame_bytes;
    if (f->capture)
        fabric_capture_frame(f, port, p, sim->now);

    bool lost = !port->up;
    if (!lost && port->error_rate > 0.0)
        lost = vdc_rng_unit(&port->loss_rng) < port->error_rate;
    if (lost) {
        port->count.drops++;
        node->shard->drops++;
        fabric_packet_release(&node->shard->pool, p);
    } else {
        vdc_time arrive = sim->now + serialization + port->arrive_latency;
        p->ingress_port = port->peer_port;
        vdc_schedule_at(node->entity, arrive, VDC_PRIO_WIRE, fabric_entity_id(port->peer_node), FABRIC_EV_ARRIVE,
                        fabric_arrive_arg(p, port->peer_port));
    }
}

static bool has_eligible_frame(const struct fabric_port *port)
{
    return port->control.head != NULL || eligible_mask(port) != 0;
}

/* When the port should look for its next frame: when the wire frees if an unpaused frame is queued, else when a
 * host's earliest rate-limited flow may send; VDC_TIME_MAX when there is nothing to send. */
static vdc_time next_work_at(const struct fabric_port *port, vdc_time now)
{
    vdc_time free = port->free_at > now ? port->free_at : now;
    if (has_eligible_frame(port))
        return free;
    if (port->node->is_switch)
        return VDC_TIME_MAX;
    vdc_time ready = fabric_host_next_ready(port->node->host, port);
    return ready > free ? ready : free;
}

static void schedule_tx_done(struct fabric_port *port, vdc_time at)
{
    struct fabric_node *node = port->node;
    port->busy = true;
    port->tx_event_at = at;
    /* The queue the next frame will likely come from (the highest backlogged), for node_prefetch. */
    unsigned likely_queue = port->backlog_mask ? 31u - (unsigned)__builtin_clz(port->backlog_mask) : 0;
    vdc_schedule_at(node->entity, at, VDC_PRIO_DEVICE, node->entity->id, FABRIC_EV_TX_DONE,
                    vdc_arg_put(port->index, 0, 16) | vdc_arg_put(port->tx_epoch, 16, 32) |
                        vdc_arg_put(likely_queue, 48, 3));
}

void fabric_port_kick(struct fabric_port *port)
{
    struct fabric_node *node = port->node;
    vdc_time now = fabric_now(node);
    if (port->busy) {
        /* The pending TX_DONE may wait for a rate-limited flow; work that can start sooner moves it earlier. */
        vdc_time next = next_work_at(port, now);
        if (next < port->tx_event_at) {
            port->tx_epoch++;
            schedule_tx_done(port, next);
        }
        return;
    }
    struct fabric_packet *p = NULL;
    if (now >= port->free_at) {
        p = pick_queued(port);
        if (p) {
            if (node->is_switch && p->kind != FABRIC_PKT_PFC) {
                fabric_qlen_changed(port, now, port->queued_bytes + p->frame_bytes);
                fabric_switch_dequeued(node, port, p);
            }
        } else if (!node->is_switch) {
            p = fabric_host_next_packet(node->host, port);
        }
        if (p)
            transmit(port, p);
    }
    vdc_time next = next_work_at(port, now);
    if (next != VDC_TIME_MAX && (p || next > now))
        schedule_tx_done(port, next);
}

void fabric_port_tx_done(struct fabric_port *port, uint32_t epoch)
{
    if (!port->busy || epoch != port->tx_epoch)
        return;
    port->busy = false;
    fabric_port_kick(port);
}

/* Time `quanta` pause quanta last on this link: 512 bit times each. */
static vdc_time quanta_time(const struct fabric_port *port, uint32_t quanta)
{
    return ((uint64_t)quanta * 512 * VDC_SEC + port->rate - 1) / port->rate;
}

static void resume_priority(struct fabric_port *port, unsigned priority)
{
    struct vdc_sim *sim = port->node->entity->sim;
    port->paused_mask &= (uint8_t)~(1u << priority);
    port->pause_epoch[priority]++;
    port->count.paused_time += sim->now - port->paused_since[priority];
}

void fabric_port_receive_pfc(struct fabric_port *port, const struct fabric_packet *p)
{
    struct fabric_node *node = port->node;
    struct fabric *f = node->fabric;
    bool pause = p->pfc_quanta != 0;
    for (unsigned priority = 0; priority < FABRIC_PRIORITIES; priority++) {
        if (!(p->pfc_classes & (1u << priority)))
            continue;
        bool was_paused = port->paused_mask & (1u << priority);
        if (pause) {
            port->count.pauses_received++;
            if (!was_paused) {
                port->paused_mask |= (uint8_t)(1u << priority);
                port->paused_since[priority] = fabric_now(node);
            }
            port->pause_epoch[priority]++;
            if (f->cfg.pause_expiry)
                vdc_schedule_in(node->entity, quanta_time(port, p->pfc_quanta), VDC_PRIO_DEVICE, node->entity->id,
                                FABRIC_EV_PAUSE_END,
                                vdc_arg_put(port->index, 0, 16) | vdc_arg_put(priority, 16, 8) |
                                    vdc_arg_put(port->pause_epoch[priority], 24, 32));
        } else {
            port->count.resumes_received++;
            if (was_paused)
                resume_priority(port, priority);
        }
        fabric_log_pfc(f, node, port, pause);
    }
    fabric_port_kick(port);
}

void fabric_port_pause_end(struct fabric_port *port, unsigned priority, uint32_t epoch)
{
    if (!(port->paused_mask & (1u << priority)) || port->pause_epoch[priority] != epoch)
        return;
    resume_priority(port, priority);
    fabric_port_kick(port);
}

void fabric_port_send_pfc(struct fabric_port *port, uint8_t classes, bool pause)
{
    struct fabric_node *node = port->node;
    struct fabric *f = node->fabric;
    struct fabric_packet *p = fabric_packet_alloc(&node->shard->pool);
    p->kind = FABRIC_PKT_PFC;
    p->priority = 7;
    p->pfc_classes = classes;
    p->pfc_quanta = pause ? (uint16_t)f->cfg.pause_quanta : 0;
    p->src_host = node->number;
    p->ingress_port = port->index; /* the sending port, for the frame's source MAC */
    p->frame_bytes = f->cfg.model == FABRIC_MODEL_HPCC_NS3 ? NS3_PFC_FRAME : FABRIC_MIN_FRAME;
    if (pause) {
        port->pausing_mask |= classes;
        port->count.pauses_sent++;
    } else {
        port->pausing_mask &= (uint8_t)~classes;
        port->count.resumes_sent++;
    }
    fabric_port_send_control(port, p);
}

void fabric_port_schedule_refresh(struct fabric_port *port, unsigned priority)
{
    /* A pause that expires is re-sent at half its length while the congestion lasts, as switches do. */
    struct fabric_node *node = port->node;
    vdc_time half = quanta_time(port, node->fabric->cfg.pause_quanta) / 2;
    vdc_schedule_in(node->entity, half ? half : 1, VDC_PRIO_DEVICE, node->entity->id, FABRIC_EV_PAUSE_REFRESH,
                    vdc_arg_put(port->index, 0, 16) | vdc_arg_put(priority, 16, 8));
}

void fabric_port_pause_refresh(struct fabric_port *port, unsigned priority)
{
    if (!(port->pausing_mask & (1u << priority)))
        return;
    fabric_port_send_pfc(port, (uint8_t)(1u << priority), true);
    fabric_port_schedule_refresh(port, priority);
}

void fabric_port_discard_queued(struct fabric_port *port)
{
    struct fabric_node *node = port->node;
    while (port->control.head)
        fabric_packet_release(&node->shard->pool, queue_pop(&port->control));
    for (unsigned q = 0; q < FABRIC_PRIORITIES; q++) {
        while (port->queue[q].head) {
            struct fabric_packet *p = take(port, q);
            if (node->is_switch) {
                fabric_qlen_changed(port, fabric_now(node), port->queued_bytes + p->frame_bytes);
                fabric_switch_discarded(node, p);
            }
            port->count.drops++;
            node->shard->drops++;
            fabric_packet_release(&node->shard->pool, p);
        }
    }
}
