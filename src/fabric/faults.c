/* The fault entity: link state changes at their times, routes recomputed after the convergence delay, and the
 * stuck receiver's endless pause. */
#include "faults.h"

#include <stdlib.h>
#include <string.h>

#include "fabric.h"
#include "routing.h"

#define FAULT_ENTITY (FABRIC_ENTITY_BASE - 2)

enum { FAULT_LINK_DOWN = 1, FAULT_LINK_UP, FAULT_REROUTE, FAULT_STUCK };

struct fault_state {
    struct fabric *fabric;
    vdc_time reroute_delay;
};

void fabric_link_set_state(struct fabric *f, uint32_t link, bool up)
{
    const struct fabric_link_spec *spec = &f->topo->links[link];
    uint32_t ends[2] = {spec->a, spec->b};
    for (int e = 0; e < 2; e++) {
        struct fabric_node *node = &f->nodes[ends[e]];
        for (uint16_t p = 0; p < node->port_count; p++) {
            struct fabric_port *port = &node->ports[p];
            if (port->link != link)
                continue;
            port->up = up;
            /* No XON can cross a dead link: forget the pauses in both directions. */
            for (unsigned q = 0; q < FABRIC_PRIORITIES; q++) {
                if (port->paused_mask & (1u << q)) {
                    port->count.paused_time += f->sim->now - port->paused_since[q];
                    port->pause_epoch[q]++;
                }
            }
            port->paused_mask = 0;
            port->pausing_mask = 0;
            fabric_port_kick(port);
        }
    }
}

static void fault_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct fault_state *s = self->model;
    struct fabric *f = s->fabric;
    switch (ev->kind) {
    case FAULT_LINK_DOWN:
    case FAULT_LINK_UP:
        fabric_link_set_state(f, (uint32_t)ev->arg, ev->kind == FAULT_LINK_UP);
        vdc_schedule_in(self, s->reroute_delay, VDC_PRIO_CONTROL, self->id, FAULT_REROUTE, 0);
        break;
    case FAULT_REROUTE:
        fabric_routes_free(f->routes);
        f->routes = fabric_routes_compute(f);
        f->reroutes++;
        break;
    case FAULT_STUCK: {
        struct fabric_node *host = &f->nodes[ev->arg];
        uint8_t classes = (uint8_t)(0xFF & ~(1u << f->cfg.control_priority));
        fabric_port_send_pfc(&host->ports[0], classes, true);
        if (f->cfg.pause_expiry) {
            for (unsigned q = 0; q < FABRIC_PRIORITIES; q++) {
                if (classes & (1u << q))
                    fabric_port_schedule_refresh(&host->ports[0], q);
            }
        }
        break;
    }
    default: break;
    }
}

static void free_state(struct fabric *f)
{
    free(f->fault_state);
    f->fault_state = NULL;
}

bool fabric_faults_schedule(struct fabric *f, const struct fabric_fault_plan *plan, struct vdc_error *err)
{
    bool has_link = plan->link && plan->link[0], has_stuck = plan->stuck_host && plan->stuck_host[0];
    if (!has_link && !has_stuck)
        return true;
    struct fault_state *s = vdc_xcalloc(1, sizeof *s);
    s->fabric = f;
    s->reroute_delay = plan->reroute_delay;
    f->fault_state = s;
    struct vdc_entity *e = vdc_entity_create(f->sim, FAULT_ENTITY, "faults", fault_event, s, err);
    if (!e) {
        free_state(f);
        return false;
    }
    if (has_link) {
        uint32_t link;
        if (!fabric_topology_find_link(f->topo, plan->link, strlen(plan->link), &link, err))
            return vdc_fail_prefix(err, "faults.link '%s'", plan->link);
        if (plan->up_at != 0 && plan->up_at <= plan->down_at)
            return vdc_fail(err, "faults.up_at must be later than faults.down_at (or 0 for never)");
        if (plan->flap_period == 0) {
            vdc_schedule_at(e, plan->down_at, VDC_PRIO_CONTROL, e->id, FAULT_LINK_DOWN, (uint64_t)link);
            if (plan->up_at)
                vdc_schedule_at(e, plan->up_at, VDC_PRIO_CONTROL, e->id, FAULT_LINK_UP, (uint64_t)link);
        } else {
            if (plan->up_at == 0 || plan->flap_period < 2)
                return vdc_fail(err, "faults.flap_period needs faults.up_at to end the flapping and a period of at "
                                     "least 2ps");
            vdc_time half = plan->flap_period / 2;
            bool down = true;
            for (vdc_time t = plan->down_at; t < plan->up_at; t += half, down = !down)
                vdc_schedule_at(e, t, VDC_PRIO_CONTROL, e->id, down ? FAULT_LINK_DOWN : FAULT_LINK_UP,
                                (uint64_t)link);
            if (!down)
                vdc_schedule_at(e, plan->up_at, VDC_PRIO_CONTROL, e->id, FAULT_LINK_UP, (uint64_t)link);
        }
    }
    if (has_stuck) {
        int host = fabric_topology_find_node(f->topo, plan->stuck_host, strlen(plan->stuck_host));
        if (host < 0 || f->nodes[host].is_switch)
            return vdc_fail(err, "faults.stuck_host '%s': no host has that name; use a host name of the outputs",
                            plan->stuck_host);
        vdc_schedule_at(e, plan->stuck_at, VDC_PRIO_CONTROL, e->id, FAULT_STUCK, (uint64_t)host);
    }
    return true;
}
