/* The fault entity: the scenario's fault entries resolved to links, ports and hosts, applied in (time, entry) order;
 * routes recomputed after the convergence delay whenever a link starts or stops carrying frames. */
#include "fabric/faults.h"

#include <stdlib.h>
#include <string.h>

#include "fabric/fabric.h"
#include "fabric/host.h"
#include "fabric/routing.h"


enum { FAULT_TICK = 1, FAULT_REROUTE };

/* One entry, resolved. A flap stays pending, acting every half period until it ends. */
struct fault_action {
    vdc_time at;                /* when it acts next */
    enum fabric_fault_kind kind;
    uint32_t link;              /* every kind but stuck; fail-port and repair-port: the port's link */
    struct fabric_port *port;   /* fail-port, repair-port */
    uint32_t host;              /* stuck */
    double probability;         /* errors */
    vdc_time half, until;       /* flap */
    bool flap_down;             /* flap: this entry holds the link down now */
};

struct pending {
    vdc_time at;
    uint32_t action;            /* actions are in entry order: at equal times the lower index acts first */
};

struct fault_state {
    struct fabric *fabric;
    struct vdc_entity *entity;
    vdc_time reroute_delay;
    struct fault_action *actions;
    uint32_t action_count;
    struct pending *heap;       /* a binary min-heap by (at, action) */
    uint32_t heap_count;
    bool *cut;                  /* by link: down by a down or flap entry */
    struct fabric_port **ends;  /* by link: the ports at its first and second node */
    vdc_time tick_at, reroute_at; /* the pending FAULT_TICK and FAULT_REROUTE, VDC_TIME_MAX when none */
};

static bool pending_before(const struct pending *x, const struct pending *y)
{
    return x->at < y->at || (x->at == y->at && x->action < y->action);
}

static void heap_push(struct fault_state *s, vdc_time at, uint32_t action)
{
    uint32_t i = s->heap_count++;
    s->heap[i] = (struct pending){at, action};
    while (i > 0 && pending_before(&s->heap[i], &s->heap[(i - 1) / 2])) {
        struct pending t = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
}

static struct pending heap_pop(struct fault_state *s)
{
    struct pending top = s->heap[0];
    s->heap[0] = s->heap[--s->heap_count];
    for (uint32_t i = 0;;) {
        uint32_t least = i, l = 2 * i + 1, r = l + 1;
        if (l < s->heap_count && pending_before(&s->heap[l], &s->heap[least]))
            least = l;
        if (r < s->heap_count && pending_before(&s->heap[r], &s->heap[least]))
            least = r;
        if (least == i)
            break;
        struct pending t = s->heap[i];
        s->heap[i] = s->heap[least];
        s->heap[least] = t;
        i = least;
    }
    return top;
}

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

static void make_stuck(struct fabric *f, uint32_t host_node)
{
    struct fabric_node *host = &f->nodes[host_node];
    host->host->stuck = true;
    uint8_t classes = (uint8_t)(0xFF & ~(1u << f->cfg.control_priority));
    fabric_port_send_pfc(&host->ports[0], classes, true);
    if (f->cfg.pause_expiry) {
        for (unsigned q = 0; q < FABRIC_PRIORITIES; q++) {
            if (classes & (1u << q))
                fabric_port_schedule_refresh(&host->ports[0], q);
        }
    }
}

/* A link carries frames when no entry holds it down and neither end has failed. Routes follow a change after the
 * convergence delay; several changes at one time share one recomputation. */
static void refresh_link(struct fault_state *s, uint32_t link)
{
    struct fabric_port *a = s->ends[2 * link], *b = s->ends[2 * link + 1];
    bool up = !s->cut[link] && !a->failed && !b->failed;
    if (up == a->up)
        return;
    fabric_link_set_state(s->fabric, link, up);
    for (int e = 0; e < 2 && up; e++) { /* a stuck receiver pauses its link again as soon as it can */
        struct fabric_node *node = s->ends[2 * link + e]->node;
        if (!node->is_switch && node->host->stuck)
            make_stuck(s->fabric, node->number);
    }
    vdc_time at = vdc_time_add(s->fabric->sim->now, s->reroute_delay);
    if (s->reroute_at != at) {
        vdc_schedule_at(s->entity, at, VDC_PRIO_CONTROL, s->entity->id, FAULT_REROUTE, 0);
        s->reroute_at = at;
    }
}

static void apply(struct fault_state *s, uint32_t index)
{
    struct fault_action *a = &s->actions[index];
    struct fabric *f = s->fabric;
    f->faults_applied++;
    switch (a->kind) {
    case FABRIC_FAULT_DOWN:
    case FABRIC_FAULT_UP:
        s->cut[a->link] = a->kind == FABRIC_FAULT_DOWN;
        refresh_link(s, a->link);
        break;
    case FABRIC_FAULT_FLAP: {
        vdc_time now = f->sim->now;
        a->flap_down = now < a->until && !a->flap_down;
        s->cut[a->link] = a->flap_down;
        refresh_link(s, a->link);
        if (now < a->until) {
            vdc_time next = vdc_time_add(now, a->half);
            heap_push(s, next < a->until ? next : a->until, index);
        }
        break;
    }
    case FABRIC_FAULT_FAIL_PORT:
        a->port->failed = true;
        fabric_port_discard_queued(a->port);
        refresh_link(s, a->link);
        break;
    case FABRIC_FAULT_REPAIR_PORT:
        a->port->failed = false;
        refresh_link(s, a->link);
        break;
    case FABRIC_FAULT_ERRORS:
        s->ends[2 * a->link]->error_rate = a->probability;
        s->ends[2 * a->link + 1]->error_rate = a->probability;
        break;
    case FABRIC_FAULT_STUCK: make_stuck(f, a->host); break;
    }
}

static void schedule_tick(struct fault_state *s)
{
    if (s->heap_count == 0 || s->heap[0].at == s->tick_at)
        return;
    s->tick_at = s->heap[0].at;
    vdc_schedule_at(s->entity, s->tick_at, VDC_PRIO_CONTROL, s->entity->id, FAULT_TICK, 0);
}

static void fault_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct fault_state *s = self->model;
    struct fabric *f = s->fabric;
    switch (ev->kind) {
    case FAULT_TICK:
        s->tick_at = VDC_TIME_MAX;
        while (s->heap_count > 0 && s->heap[0].at <= f->sim->now)
            apply(s, heap_pop(s).action);
        schedule_tick(s);
        break;
    case FAULT_REROUTE:
        if (s->reroute_at == f->sim->now)
            s->reroute_at = VDC_TIME_MAX;
        fabric_routes_free(f->routes);
        f->routes = fabric_routes_compute(f);
        f->reroutes++;
        break;
    default: break;
    }
}

/* "faults.schedule entry N ('TEXT')" before a message about the entry's names. */
static bool entry_fail(struct vdc_error *err, const struct fabric_fault *e)
{
    size_t length = strlen(e->text);
    int shown = length > 60 ? 57 : (int)length;
    return vdc_fail_prefix(err, "faults.schedule entry %u ('%.*s%s')", e->number, shown, e->text,
                           length > 60 ? "..." : "");
}

static bool resolve_port(struct fabric *f, const struct fabric_fault *e, struct fault_action *a,
                         struct vdc_error *err)
{
    const struct fabric_topology *t = f->topo;
    const char *text = e->target, *slash = strchr(text, '/');
    size_t name_length = slash ? (size_t)(slash - text) : (size_t)(strrchr(text, ':') - text);
    int node = fabric_topology_find_node(t, text, name_length);
    if (node < 0) {
        vdc_fail(err, "no node is named '%.*s'; use the node names of counters.csv", (int)name_length, text);
        return entry_fail(err, e);
    }
    if (!t->is_switch[node]) {
        vdc_fail(err, "%.*s is a host; %s takes a switch's port, as SWITCH/PEER or SWITCH:N", (int)name_length, text,
                 e->kind_name);
        return entry_fail(err, e);
    }
    struct fabric_node *sw = &f->nodes[node];
    if (slash) {
        uint32_t link;
        if (!fabric_topology_find_link(t, text, strlen(text), &link, err))
            return entry_fail(err, e);
        for (uint16_t p = 0; p < sw->port_count; p++) {
            if (sw->ports[p].link == link)
                a->port = &sw->ports[p];
        }
    } else {
        unsigned long number = strtoul(text + name_length + 1, NULL, 10);
        if (number > sw->port_count) {
            vdc_fail(err, "switch %.*s has ports 1 to %u; use one of those or name the port by its peer as "
                          "SWITCH/PEER", (int)name_length, text, sw->port_count);
            return entry_fail(err, e);
        }
        a->port = &sw->ports[number - 1];
    }
    a->link = a->port->link;
    return true;
}

static bool resolve(struct fabric *f, const struct fabric_fault *e, struct fault_action *a, struct vdc_error *err)
{
    const struct fabric_topology *t = f->topo;
    *a = (struct fault_action){.at = e->at, .kind = e->kind, .probability = e->probability,
                               .half = e->period / 2, .until = e->until};
    switch (e->kind) {
    case FABRIC_FAULT_STUCK: {
        int host = fabric_topology_find_node(t, e->target, strlen(e->target));
        if (host < 0 || t->is_switch[host]) {
            vdc_fail(err, host < 0 ? "no node is named '%s'; use a host name of counters.csv"
                                   : "%s is a switch; stuck takes a host, whose receiver stops draining",
                     e->target);
            return entry_fail(err, e);
        }
        a->host = (uint32_t)host;
        return true;
    }
    case FABRIC_FAULT_FAIL_PORT:
    case FABRIC_FAULT_REPAIR_PORT: return resolve_port(f, e, a, err);
    default:
        if (!fabric_topology_find_link(t, e->target, strlen(e->target), &a->link, err))
            return entry_fail(err, e);
        return true;
    }
}

static void find_link_ends(struct fabric *f, struct fabric_port **ends)
{
    for (uint32_t n = 0; n < f->node_count; n++) {
        struct fabric_node *node = &f->nodes[n];
        for (uint16_t p = 0; p < node->port_count; p++) {
            struct fabric_port *port = &node->ports[p];
            ends[2 * port->link + (f->topo->links[port->link].a != n)] = port;
        }
    }
}

bool fabric_faults_schedule(struct fabric *f, const struct fabric_fault_plan *plan, struct vdc_error *err)
{
    if (plan->count == 0)
        return true;
    struct fault_state *s = vdc_xcalloc(1, sizeof *s);
    f->fault_state = s;
    s->fabric = f;
    s->reroute_delay = plan->reroute_delay;
    s->tick_at = s->reroute_at = VDC_TIME_MAX;
    s->actions = vdc_xcalloc(plan->count, sizeof *s->actions);
    s->heap = vdc_xcalloc(plan->count, sizeof *s->heap);
    s->cut = vdc_xcalloc(f->topo->link_count ? f->topo->link_count : 1, sizeof *s->cut);
    s->ends = vdc_xcalloc(2 * (size_t)(f->topo->link_count ? f->topo->link_count : 1), sizeof *s->ends);
    find_link_ends(f, s->ends);
    for (size_t i = 0; i < plan->count; i++) {
        if (!resolve(f, &plan->entries[i], &s->actions[i], err))
            return false;
    }
    s->action_count = (uint32_t)plan->count;
    s->entity = vdc_entity_create(f->sim, FABRIC_FAULT_ENTITY, "faults", fault_event, s, err);
    if (s->entity == NULL)
        return false;
    /* The entries come in (time, number) order, so action indexes break ties by entry order. */
    for (uint32_t i = 0; i < s->action_count; i++)
        heap_push(s, s->actions[i].at, i);
    schedule_tick(s);
    return true;
}

void fabric_faults_free(struct fabric *f)
{
    struct fault_state *s = f->fault_state;
    if (s == NULL)
        return;
    free(s->actions);
    free(s->heap);
    free(s->cut);
    free(s->ends);
    free(s);
    f->fault_state = NULL;
}
