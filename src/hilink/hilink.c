/* HiLink's fabric: building it (links, planes, entities, the packet pool), its GPUs' ports and their counters. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hilink/hilink_internal.h"

/* Packets one GPU may have in the fabric at once: its slot indexes' room (hilink_slot_at), less one of the pool's
 * chunks, so that no index is HILINK_NONE. Far more than its links' buffers and the reorder lists ever hold. */
#define SLOTS_PER_GPU ((UINT32_C(1) << HILINK_SLOT_GPU_SHIFT) - (UINT32_C(1) << VDC_SLOT_CHUNK_SHIFT))

uint32_t hilink_entity_count(const struct hilink_params *p)
{
    /* One per GPU port, one per plane, one per GPU port's polls, one per GPU's group of the planes' steps. */
    return 3 * p->gpus + p->planes;
}

static void init_links(struct hilink *h)
{
    const struct hilink_params *p = &h->p;
    for (uint32_t plane = 0; plane < p->planes; plane++)
        h->plane_first[plane + 1] = h->plane_first[plane] + hilink_plane_links(p, plane);
    assert(h->plane_first[p->planes] == p->links_per_gpu);
    h->links = vdc_xcalloc((size_t)p->gpus * p->links_per_gpu, sizeof *h->links);
    h->outputs = vdc_xcalloc((size_t)p->gpus * p->links_per_gpu, sizeof *h->outputs);
    h->out_backlog = vdc_xcalloc((size_t)p->gpus * p->links_per_gpu, sizeof *h->out_backlog);
    for (uint32_t gpu = 0; gpu < p->gpus; gpu++) {
        for (uint32_t plane = 0; plane < p->planes; plane++) {
            for (uint32_t link = h->plane_first[plane]; link < h->plane_first[plane + 1]; link++) {
                struct hilink_link *k = &h->links[gpu * p->links_per_gpu + link];
                k->credits = p->credits;
                k->stall_since = VDC_TIME_MAX;
                k->plane = (uint8_t)plane;
                struct hilink_output *o = &h->outputs[gpu * p->links_per_gpu + link];
                o->out_credits = p->credits;
                o->out_wake_at = VDC_TIME_MAX;
                o->out_head = o->out_tail = HILINK_NONE;
                o->plane = (uint8_t)plane;
            }
        }
    }
}

static void init_ports_and_pairs(struct hilink *h)
{
    uint32_t gpus = h->p.gpus;
    h->ports = vdc_xcalloc_lines(gpus, sizeof *h->ports);
    for (uint32_t gpu = 0; gpu < gpus; gpu++) {
        h->ports[gpu].up = true;
        h->ports[gpu].poll_at = VDC_TIME_MAX;
        /* In place: a GPU's window takes slots while the planes' steps read others on other threads. */
        vdc_slot_pool_init_in_place(&h->ports[gpu].slots, sizeof(struct hilink_slot), SLOTS_PER_GPU,
                                    "HiLink packets of one GPU");
    }
    h->pairs = vdc_xcalloc((size_t)gpus * gpus, sizeof *h->pairs);
    h->pair_sent = vdc_xcalloc((size_t)gpus * gpus, sizeof *h->pair_sent);
    for (uint32_t i = 0; i < gpus * gpus; i++)
        h->pairs[i].held = HILINK_NONE;
}

/* A plane's events run in its groups' steps, from their queues (hilink_step.c): the plane is their target, named in
 * their keys, never the loop's. */
static void plane_reached_by_loop(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)self, (void)ev;
    assert(!"hilink: a plane's event in the loop's queue");
}

static bool create_entities(struct hilink *h, struct vdc_error *err)
{
    char name[32];
    for (uint32_t gpu = 0; gpu < h->p.gpus; gpu++) {
        snprintf(name, sizeof name, "hilink.gpu%u", gpu);
        h->ports[gpu].entity = vdc_entity_create(h->sim, h->entity_base + gpu, name, hilink_gpu_event, h, err);
        if (h->ports[gpu].entity == NULL)
            return false;
        h->ports[gpu].entity->prefetch = hilink_gpu_prefetch;
    }
    for (uint32_t plane = 0; plane < h->p.planes; plane++) {
        snprintf(name, sizeof name, "hilink.plane%u", plane);
        h->planes[plane] =
            vdc_entity_create(h->sim, h->entity_base + h->p.gpus + plane, name, plane_reached_by_loop, h, err);
        if (h->planes[plane] == NULL)
            return false;
    }
    for (uint32_t gpu = 0; gpu < h->p.gpus; gpu++) {
        snprintf(name, sizeof name, "hilink.gpu%u.polls", gpu);
        h->ports[gpu].wake_source = vdc_entity_create(h->sim, h->entity_base + h->p.gpus + h->p.planes + gpu, name,
                                                      hilink_gpu_event, h, err);
        if (h->ports[gpu].wake_source == NULL)
            return false;
    }
    for (uint32_t gpu = 0; gpu < h->p.gpus; gpu++) {
        snprintf(name, sizeof name, "hilink.gpu%u.steps", gpu);
        struct vdc_entity *stepper = vdc_entity_create(h->sim, h->entity_base + 2 * h->p.gpus + h->p.planes + gpu,
                                                       name, hilink_step_event, &h->groups[gpu], err);
        if (stepper == NULL)
            return false;
        /* A step touches only its group's share of the planes: it runs beside the GPUs' windows of its time
         * (hilink_step.c). */
        stepper->advance = hilink_step_advance;
        stepper->advance_kind = HILINK_EV_STEP;
        h->groups[gpu].stepper = stepper;
    }
    return true;
}

struct hilink *hilink_create(struct vdc_sim *sim, const struct hilink_params *p, uint32_t entity_base,
                             struct vdc_error *err)
{
    if (!hilink_params_validate(p, err))
        return NULL;
    struct hilink *h = vdc_xcalloc(1, sizeof *h);
    h->sim = sim;
    h->p = *p;
    h->entity_base = entity_base;
    for (uint32_t bytes = 0; bytes <= HILINK_MAX_PAYLOAD; bytes++)
        h->serialise[bytes] = hilink_serialisation(p, bytes);
    init_links(h);
    init_ports_and_pairs(h);
    hilink_steps_init(h);
    /* On failure the entities made so far stay in the sim (it owns them); no event ever reaches them. */
    if (!create_entities(h, err)) {
        hilink_free(h);
        return NULL;
    }
    return h;
}

void hilink_free(struct hilink *h)
{
    if (h == NULL)
        return;
    hilink_steps_free(h);
    for (uint32_t gpu = 0; h->ports != NULL && gpu < h->p.gpus; gpu++) {
        vdc_slot_pool_free(&h->ports[gpu].slots);
        free(h->ports[gpu].held);
    }
    free(h->pairs);
    free(h->pair_sent);
    for (uint32_t i = 0; h->links != NULL && i < h->p.gpus * h->p.links_per_gpu; i++) {
        hilink_credit_returns_free(&h->links[i].credit_back);
        hilink_credit_returns_free(&h->outputs[i].out_credit_back);
    }
    free(h->links);
    free(h->outputs);
    free(h->out_backlog);
    free(h->ports);
    free(h);
}

const struct hilink_params *hilink_get_params(const struct hilink *h)
{
    return &h->p;
}

bool hilink_attach(struct hilink *h, uint32_t gpu, const struct hilink_gpu_ops *ops, struct vdc_error *err)
{
    if (gpu >= h->p.gpus)
        return vdc_fail(err, "hilink GPU %u: out of range; give 0 to %u (hilink.gpus is %u)", gpu, h->p.gpus - 1,
                        h->p.gpus);
    if (h->ports[gpu].attached)
        return vdc_fail(err, "hilink GPU %u: already attached; detach it first or use another GPU", gpu);
    if (ops == NULL || ops->next == NULL || ops->deliver == NULL)
        return vdc_fail(err, "hilink GPU %u: its ops need both next and deliver", gpu);
    h->ports[gpu].ops = *ops;
    h->ports[gpu].attached = true;
    /* No poll: a GPU with something to send kicks, so a fabric nobody uses leaves no events (and no digest). */
    return true;
}

void hilink_detach(struct hilink *h, uint32_t gpu)
{
    assert(gpu < h->p.gpus);
    struct hilink_gpu_state *port = &h->ports[gpu];
    port->attached = false;
    port->backlogged = false;
    memset(&port->ops, 0, sizeof port->ops);
    /* A GPU detached while its kernel ran has polled up to its last window's end. */
    vdc_time t = port->windowed && port->polled_until > h->sim->now ? port->polled_until : h->sim->now;
    if (port->windowed) {
        port->windowed = false;
        port->poll_at = VDC_TIME_MAX; /* nothing to poll: a GPU attached again kicks */
    }
    hilink_stall_update_all(h, gpu, t);
}

void *hilink_gpu_context(const struct hilink *h, uint32_t gpu)
{
    return gpu < h->p.gpus && h->ports[gpu].attached ? h->ports[gpu].ops.ctx : NULL;
}

void hilink_return_payload(struct hilink *h, uint32_t sender, uint32_t lent)
{
    assert(sender < h->p.gpus);
    const struct hilink_gpu_state *port = &h->ports[sender];
    /* A side that lends gives a way back (hilink.h); one detached since keeps its records until it is freed. */
    if (port->attached && port->ops.give_back != NULL)
        port->ops.give_back(port->ops.ctx, lent);
}

/* Deferred to an event at the current time, so that a GPU may kick from inside next() or deliver(). */
void hilink_kick(struct hilink *h, uint32_t gpu)
{
    hilink_kick_at(h, gpu, h->sim->now);
}

void hilink_kick_at(struct hilink *h, uint32_t gpu, vdc_time at)
{
    assert(gpu < h->p.gpus);
    if (h->ports[gpu].attached)
        hilink_request_poll(h, gpu, at);
}

/* Back up: the credits held back while it was down leave now, each plane restarts its outputs toward the GPU and
 * the GPU is asked for packets, all through events (the caller may be any entity's handler). */
static void port_comes_up(struct hilink *h, uint32_t gpu)
{
    struct hilink_gpu_state *port = &h->ports[gpu];
    vdc_time credit_at = vdc_time_add(h->sim->now, h->p.link_latency);
    for (uint32_t link = 0; link < h->p.links_per_gpu; link++) {
        struct hilink_link *k = &h->links[gpu * h->p.links_per_gpu + link];
        for (; k->credits_owed > 0; k->credits_owed--)
            hilink_send_credit_back(h, gpu * h->p.links_per_gpu + link, credit_at);
    }
    for (uint32_t plane = 0; plane < h->p.planes; plane++)
        hilink_plane_schedule(h, port->entity, h->sim->now, VDC_PRIO_DEVICE, plane, gpu, HILINK_EV_SW_RESUME, gpu);
    hilink_request_poll(h, gpu, h->sim->now);
}

void hilink_set_port_up(struct hilink *h, uint32_t gpu, bool up)
{
    assert(gpu < h->p.gpus);
    if (h->ports[gpu].up == up)
        return;
    h->ports[gpu].up = up;
    hilink_stall_update_all(h, gpu, h->sim->now); /* a link that is down waits for no credit */
    if (up)
        port_comes_up(h, gpu);
}

void hilink_schedule_port_state(struct hilink *h, uint32_t gpu, vdc_time at, bool up)
{
    assert(gpu < h->p.gpus);
    struct vdc_entity *port = h->ports[gpu].entity;
    vdc_schedule_at(port, at, VDC_PRIO_CONTROL, port->id, HILINK_EV_PORT_STATE, up ? 1 : 0);
    hilink_note_fault(h, at);
}

void hilink_schedule_corruption(struct hilink *h, uint32_t gpu, vdc_time at)
{
    assert(gpu < h->p.gpus);
    struct vdc_entity *port = h->ports[gpu].entity;
    vdc_schedule_at(port, at, VDC_PRIO_CONTROL, port->id, HILINK_EV_CORRUPT, 0);
    hilink_note_fault(h, at);
}

bool hilink_port_is_up(const struct hilink *h, uint32_t gpu)
{
    return gpu < h->p.gpus && h->ports[gpu].up;
}

void hilink_port_stats(const struct hilink *h, uint32_t gpu, struct hilink_port_stats *out)
{
    assert(gpu < h->p.gpus);
    *out = h->ports[gpu].stats;
    /* Stalls still going on count up to now. */
    for (uint32_t link = 0; link < h->p.links_per_gpu; link++) {
        vdc_time since = h->links[gpu * h->p.links_per_gpu + link].stall_since;
        if (since != VDC_TIME_MAX)
            out->credit_stall += h->sim->now - since;
    }
}
