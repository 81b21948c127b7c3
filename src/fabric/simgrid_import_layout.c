/* Laying SimGrid routes out as a graph: union-find over link ends, so that consecutive links of a route meet. */
#include "fabric/simgrid_import_layout.h"

#include <stdlib.h>
#include <string.h>

#include "fabric/topology.h"

#define NONE UINT32_MAX

/* The walk of a route across one cable: it enters at the node of item `a` and leaves at the node of item `b`.
 * Items are hosts (numbers below host_count) and junctions, the meeting point of two consecutive links. */
struct traversal {
    uint32_t cable, a, b;
    uint32_t route;          /* the first route that walks it, for messages */
};

struct layout_work {
    const struct simgrid_platform *p;
    struct simgrid_layout *out;
    uint32_t *cable_of;      /* by SimGrid link */
    uint32_t item_count, item_cap;
    uint32_t *parent;        /* union-find over items: items with one root are one node */
    uint32_t *junction_route;/* by item, for junctions: the route that first crossed it */
    uint64_t *junction_keys; /* hash table: cable pair -> junction item */
    uint32_t *junction_items;
    size_t junction_cap, junction_used;
    struct traversal *walks;
    size_t walk_count, walk_cap;
    uint32_t *walk_slots;    /* hash table of walk numbers + 1, so that repeated walks are kept once */
    size_t walk_slot_cap;
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint32_t find(uint32_t *parent, uint32_t x)
{
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

static const char *cable_name(const struct layout_work *w, uint32_t cable)
{
    return w->out->cables[cable].name;
}

static const char *host_name(const struct layout_work *w, uint32_t host)
{
    return w->p->host_names[host];
}

static int compare_link_names(const void *a, const void *b)
{
    return strcmp(((const struct simgrid_link *)a)->name, ((const struct simgrid_link *)b)->name);
}

/* The other half of a SPLITDUPLEX link: X_DOWN for X_UP and X_UP for X_DOWN, when both have the same properties.
 * Sets `base` to the length of X when there is one. */
static uint32_t other_half(const struct simgrid_platform *p, const struct simgrid_link *link, size_t *base)
{
    size_t length = strlen(link->name);
    const char *wanted_suffix = length > 3 && strcmp(link->name + length - 3, "_UP") == 0     ? "_DOWN"
                                : length > 5 && strcmp(link->name + length - 5, "_DOWN") == 0 ? "_UP"
                                                                                              : NULL;
    if (wanted_suffix == NULL)
        return NONE;
    size_t base_length = length - (wanted_suffix[1] == 'D' ? 3 : 5);
    char *wanted = vdc_xmalloc(base_length + 6);
    memcpy(wanted, link->name, base_length);
    strcpy(wanted + base_length, wanted_suffix);
    struct simgrid_link key = {.name = wanted};
    const struct simgrid_link *other = bsearch(&key, p->links, p->link_count, sizeof key, compare_link_names);
    free(wanted);
    if (other == NULL || other->bandwidth != link->bandwidth || other->latency != link->latency ||
        other->shared != link->shared)
        return NONE;
    *base = base_length;
    return (uint32_t)(other - p->links);
}

/* SimGrid turns a SPLITDUPLEX link X into X_UP and X_DOWN, one per direction: together they are one cable.
 * Links arrive sorted by name (fabric_simgrid_platform_parse checks it). */
static void make_cables(struct layout_work *w)
{
    const struct simgrid_platform *p = w->p;
    w->cable_of = vdc_xcalloc(p->link_count, sizeof *w->cable_of);
    w->out->cables = vdc_xcalloc(p->link_count, sizeof *w->out->cables);
    for (uint32_t i = 0; i < p->link_count; i++)
        w->cable_of[i] = NONE;
    for (uint32_t i = 0; i < p->link_count; i++) {
        if (w->cable_of[i] != NONE)
            continue;
        size_t length = strlen(p->links[i].name);
        uint32_t partner = other_half(p, &p->links[i], &length);
        struct simgrid_cable *cable = &w->out->cables[w->out->cable_count];
        cable->name = vdc_xmalloc(length + 1);
        memcpy(cable->name, p->links[i].name, length);
        cable->name[length] = '\0';
        cable->link = i;
        cable->a = cable->b = NONE;
        w->cable_of[i] = w->out->cable_count;
        if (partner != NONE)
            w->cable_of[partner] = w->out->cable_count;
        w->out->cable_count++;
    }
}

static uint32_t new_item(struct layout_work *w)
{
    if (w->item_count == w->item_cap) {
        w->item_cap = w->item_cap ? w->item_cap * 2 : 1024;
        w->parent = vdc_xrealloc(w->parent, w->item_cap, sizeof *w->parent);
        w->junction_route = vdc_xrealloc(w->junction_route, w->item_cap, sizeof *w->junction_route);
    }
    w->parent[w->item_count] = w->item_count;
    return w->item_count++;
}

/* The junction where cables x and y meet; one item per pair of cables, whatever the route. */
static uint32_t junction(struct layout_work *w, uint32_t x, uint32_t y, uint32_t route)
{
    if (2 * (w->junction_used + 1) > w->junction_cap) {
        size_t old_cap = w->junction_cap;
        uint64_t *old_keys = w->junction_keys;
        uint32_t *old_items = w->junction_items;
        w->junction_cap = old_cap ? old_cap * 2 : 1024;
        w->junction_keys = vdc_xcalloc(w->junction_cap, sizeof *w->junction_keys);
        w->junction_items = vdc_xcalloc(w->junction_cap, sizeof *w->junction_items);
        for (size_t i = 0; i < old_cap; i++) {
            if (old_keys[i] == 0)
                continue;
            size_t slot = mix(old_keys[i]) & (w->junction_cap - 1);
            while (w->junction_keys[slot] != 0)
                slot = (slot + 1) & (w->junction_cap - 1);
            w->junction_keys[slot] = old_keys[i];
            w->junction_items[slot] = old_items[i];
        }
        free(old_keys);
        free(old_items);
    }
    uint64_t key = ((uint64_t)(x < y ? x : y) << 32 | (x < y ? y : x)) + 1; /* + 1: 0 marks a free slot */
    size_t slot = mix(key) & (w->junction_cap - 1);
    while (w->junction_keys[slot] != 0 && w->junction_keys[slot] != key)
        slot = (slot + 1) & (w->junction_cap - 1);
    if (w->junction_keys[slot] == 0) {
        w->junction_keys[slot] = key;
        w->junction_items[slot] = new_item(w);
        w->junction_route[w->junction_items[slot]] = route;
        w->junction_used++;
    }
    return w->junction_items[slot];
}

static uint64_t walk_hash(const struct traversal *t)
{
    uint32_t lo = t->a < t->b ? t->a : t->b, hi = t->a < t->b ? t->b : t->a;
    return mix(((uint64_t)t->cable << 32 | lo) ^ mix(hi));
}

static bool same_walk(const struct traversal *x, const struct traversal *y)
{
    return x->cable == y->cable && ((x->a == y->a && x->b == y->b) || (x->a == y->b && x->b == y->a));
}

static void add_walk(struct layout_work *w, struct traversal t)
{
    if (2 * (w->walk_count + 1) > w->walk_slot_cap) {
        free(w->walk_slots);
        w->walk_slot_cap = w->walk_slot_cap ? w->walk_slot_cap * 2 : 4096;
        w->walk_slots = vdc_xcalloc(w->walk_slot_cap, sizeof *w->walk_slots);
        for (size_t i = 0; i < w->walk_count; i++) {
            size_t slot = walk_hash(&w->walks[i]) & (w->walk_slot_cap - 1);
            while (w->walk_slots[slot] != 0)
                slot = (slot + 1) & (w->walk_slot_cap - 1);
            w->walk_slots[slot] = (uint32_t)i + 1;
        }
    }
    size_t slot = walk_hash(&t) & (w->walk_slot_cap - 1);
    for (; w->walk_slots[slot] != 0; slot = (slot + 1) & (w->walk_slot_cap - 1)) {
        if (same_walk(&w->walks[w->walk_slots[slot] - 1], &t))
            return;
    }
    if (w->walk_count == w->walk_cap) {
        w->walk_cap = w->walk_cap ? w->walk_cap * 2 : 4096;
        w->walks = vdc_xrealloc(w->walks, w->walk_cap, sizeof *w->walks);
    }
    w->walks[w->walk_count] = t;
    w->walk_slots[slot] = (uint32_t)++w->walk_count;
}

static bool collect_walks(struct layout_work *w, struct vdc_error *err)
{
    const struct simgrid_platform *p = w->p;
    for (uint32_t h = 0; h < p->host_count; h++)
        new_item(w);
    for (size_t r = 0; r < p->route_count; r++) {
        const struct simgrid_route *route = &p->routes[r];
        const uint32_t *links = p->route_links + route->first;
        if (route->count == 0)
            return vdc_fail(err, "SimGrid gives no link from host %s to host %s; vdc needs links between every "
                            "two hosts", host_name(w, route->src), host_name(w, route->dst));
        uint32_t entry = route->src;
        for (uint32_t i = 0; i < route->count; i++) {
            uint32_t cable = w->cable_of[links[i]], exit = route->dst;
            if (i + 1 < route->count) {
                uint32_t next = w->cable_of[links[i + 1]];
                if (next == cable)
                    return vdc_fail(err, "the route from host %s to host %s crosses link %s twice in a row; vdc "
                                    "cannot lay that out as cables", host_name(w, route->src),
                                    host_name(w, route->dst), cable_name(w, cable));
                exit = junction(w, cable, next, (uint32_t)r);
            }
            add_walk(w, (struct traversal){cable, entry, exit, (uint32_t)r});
            w->out->cables[cable].used = true;
            entry = exit;
        }
    }
    return true;
}

/* Scratch space for examining one cable: its ends' items, numbered locally, in a union-find whose parity says
 * whether two items are at the same end (0) or at opposite ends (1). */
struct sides {
    uint32_t *local_of;      /* by item; NONE when not seen at this cable */
    uint32_t *item, *parent, *size, *rep[2];
    uint8_t *parity;
    uint32_t count;
};

static uint32_t side_find(const struct sides *s, uint32_t x, uint8_t *parity)
{
    uint8_t acc = 0;
    while (s->parent[x] != x) {
        acc ^= s->parity[x];
        x = s->parent[x];
    }
    *parity = acc;
    return x;
}

static uint32_t local_number(struct sides *s, uint32_t item)
{
    if (s->local_of[item] == NONE) {
        uint32_t n = s->count++;
        s->local_of[item] = n;
        s->item[n] = item;
        s->parent[n] = n;
        s->size[n] = 1;
        s->parity[n] = 0;
        s->rep[0][n] = s->rep[1][n] = NONE;
    }
    return s->local_of[item];
}

/* Puts the items met at `cable` on its two ends and joins the items at each end into one node. */
static bool examine_cable(struct layout_work *w, struct sides *s, uint32_t cable, const uint32_t *walks,
                          size_t walk_count, bool *changed, uint32_t *components, struct vdc_error *err)
{
    s->count = 0;
    bool ok = true;
    for (size_t k = 0; k < walk_count && ok; k++) {
        const struct traversal *t = &w->walks[walks[k]];
        uint32_t ra = find(w->parent, t->a), rb = find(w->parent, t->b);
        const struct simgrid_route *route = &w->p->routes[t->route];
        if (ra == rb) {
            ok = vdc_fail(err, "link %s would join a node to itself: the routes through it (e.g. from host %s to "
                          "host %s) meet at both its ends", cable_name(w, cable), host_name(w, route->src),
                          host_name(w, route->dst));
            break;
        }
        uint8_t pa, pb;
        uint32_t fa = side_find(s, local_number(s, ra), &pa), fb = side_find(s, local_number(s, rb), &pb);
        if (fa == fb && pa == pb) {
            ok = vdc_fail(err, "the routes through link %s meet it at more than two points, as a <cluster> "
                          "backbone is used; vdc links are cables with two ends", cable_name(w, cable));
        } else if (fa != fb) {
            uint32_t small = s->size[fa] < s->size[fb] ? fa : fb, big = small == fa ? fb : fa;
            s->parent[small] = big;
            s->parity[small] = pa ^ pb ^ 1;
            s->size[big] += s->size[small];
        }
    }
    *components = 0;
    for (uint32_t i = 0; i < s->count && ok; i++) {
        uint8_t parity;
        uint32_t root = side_find(s, i, &parity);
        *components += root == i;
        if (s->rep[parity][root] == NONE) {
            s->rep[parity][root] = i;
            continue;
        }
        uint32_t x = find(w->parent, s->item[s->rep[parity][root]]), y = find(w->parent, s->item[i]);
        if (x != y) {
            w->parent[x] = y;
            *changed = true;
        }
    }
    if (ok && *components == 1) {
        uint32_t root = side_find(s, 0, &(uint8_t){0});
        w->out->cables[cable].a = s->item[s->rep[0][root]];
        w->out->cables[cable].b = s->item[s->rep[1][root]];
    }
    for (uint32_t i = 0; i < s->count; i++)
        s->local_of[s->item[i]] = NONE;
    return ok;
}

/* Examines every cable until no end joins another: each pass can join ends that a later cable depends on. */
static bool join_ends(struct layout_work *w, struct vdc_error *err)
{
    uint32_t cables = w->out->cable_count;
    size_t *offset = vdc_xcalloc((size_t)cables + 1, sizeof *offset), largest = 0;
    uint32_t *order = vdc_xcalloc(w->walk_count, sizeof *order), *components = vdc_xcalloc(cables, sizeof *components);
    for (size_t i = 0; i < w->walk_count; i++)
        offset[w->walks[i].cable + 1]++;
    for (uint32_t c = 0; c < cables; c++) {
        largest = offset[c + 1] > largest ? offset[c + 1] : largest;
        offset[c + 1] += offset[c];
    }
    size_t *fill = vdc_xcalloc((size_t)cables + 1, sizeof *fill);
    memcpy(fill, offset, ((size_t)cables + 1) * sizeof *fill);
    for (size_t i = 0; i < w->walk_count; i++)
        order[fill[w->walks[i].cable]++] = (uint32_t)i;
    free(fill);
    struct sides s = {.local_of = vdc_xcalloc(w->item_count, sizeof(uint32_t))};
    for (uint32_t i = 0; i < w->item_count; i++)
        s.local_of[i] = NONE;
    size_t room = 2 * largest + 1;
    s.item = vdc_xcalloc(room, sizeof *s.item);
    s.parent = vdc_xcalloc(room, sizeof *s.parent);
    s.size = vdc_xcalloc(room, sizeof *s.size);
    s.rep[0] = vdc_xcalloc(room, sizeof *s.rep[0]);
    s.rep[1] = vdc_xcalloc(room, sizeof *s.rep[1]);
    s.parity = vdc_xcalloc(room, sizeof *s.parity);
    bool ok = true, changed = true;
    while (ok && changed) {
        changed = false;
        for (uint32_t c = 0; c < cables && ok; c++) {
            if (offset[c + 1] > offset[c])
                ok = examine_cable(w, &s, c, order + offset[c], offset[c + 1] - offset[c], &changed, &components[c],
                                   err);
        }
    }
    for (uint32_t c = 0; c < cables && ok; c++) {
        if (w->out->cables[c].used && components[c] != 1)
            ok = vdc_fail(err, "the routes through link %s do not show which links meet at each of its ends; vdc "
                          "cannot lay it out", cable_name(w, c));
    }
    free(s.local_of), free(s.item), free(s.parent), free(s.size), free(s.rep[0]), free(s.rep[1]), free(s.parity);
    free(offset), free(order), free(components);
    return ok;
}

/* Hosts keep their numbers; every other node where cables meet becomes a switch, numbered in cable order. */
static bool number_nodes(struct layout_work *w, struct vdc_error *err)
{
    const struct simgrid_platform *p = w->p;
    uint32_t *node_of = vdc_xcalloc(w->item_count, sizeof *node_of);
    for (uint32_t i = 0; i < w->item_count; i++)
        node_of[i] = NONE;
    bool ok = true;
    for (uint32_t h = 0; h < p->host_count && ok; h++) {
        uint32_t root = find(w->parent, h);
        if (node_of[root] != NONE)
            ok = vdc_fail(err, "the routes make hosts %s and %s one node; vdc cannot lay them out",
                          host_name(w, node_of[root]), host_name(w, h));
        node_of[root] = h;
    }
    for (uint32_t j = p->host_count; j < w->item_count && ok; j++) {
        uint32_t host = node_of[find(w->parent, j)];
        const struct simgrid_route *route = &p->routes[w->junction_route[j]];
        if (host != NONE)
            ok = vdc_fail(err, "the route from host %s to host %s passes through host %s; vdc hosts do not forward "
                          "traffic", host_name(w, route->src), host_name(w, route->dst), host_name(w, host));
    }
    uint32_t next = p->host_count;
    for (uint32_t c = 0; c < w->out->cable_count && ok; c++) {
        struct simgrid_cable *cable = &w->out->cables[c];
        if (!cable->used)
            continue;
        uint32_t *ends[2] = {&cable->a, &cable->b};
        for (int e = 0; e < 2; e++) {
            uint32_t root = find(w->parent, *ends[e]);
            if (node_of[root] == NONE)
                node_of[root] = next++;
            *ends[e] = node_of[root];
        }
        if (next > FABRIC_MAX_NODES)
            ok = vdc_fail(err, "the platform lays out as more than %u nodes; vdc supports at most that many",
                          FABRIC_MAX_NODES);
    }
    w->out->node_count = next;
    free(node_of);
    return ok;
}

bool fabric_simgrid_layout_build(const struct simgrid_platform *p, struct simgrid_layout *out, struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    struct layout_work w = {.p = p, .out = out};
    make_cables(&w);
    bool ok = collect_walks(&w, err) && join_ends(&w, err) && number_nodes(&w, err);
    out->cable_of = w.cable_of;
    free(w.parent), free(w.junction_route), free(w.junction_keys), free(w.junction_items);
    free(w.walks), free(w.walk_slots);
    if (!ok)
        fabric_simgrid_layout_free(out);
    return ok;
}

void fabric_simgrid_layout_free(struct simgrid_layout *layout)
{
    for (uint32_t c = 0; c < layout->cable_count; c++)
        free(layout->cables[c].name);
    free(layout->cables);
    free(layout->cable_of);
    memset(layout, 0, sizeof *layout);
}
