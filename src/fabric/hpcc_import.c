/* HPCC topology and flow files read into fabric topologies and flow sets, refusing anything HPCC would misread. */
#include "fabric/hpcc_import.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/hpcc_import_text.h"

static const char *const header_fields[] = {"nodes", "switches", "links"};
static const char header_layout[] = "line 1 has 3 fields: nodes, switches, links";
static const char *const link_fields[] = {"node a", "node b", "rate", "delay", "error rate"};
static const char link_layout[] = "a link line has 5 fields: node a, node b, rate, delay, error rate";
static const char *const flow_fields[] = {"src", "dst", "priority group", "dst port", "size", "start time"};
static const char flow_layout[] =
    "a flow line has 6 fields: src, dst, priority group, dst port, size, start time";
static const char *const count_fields[] = {"flow count"};
static const char count_layout[] = "line 1 has 1 field: the number of flows";

static bool read_header(struct hpcc_text *t, uint32_t *nodes, uint32_t *switches, uint32_t *links,
                        struct vdc_error *err)
{
    int got = fabric_hpcc_text_next(t, err);
    if (got < 0)
        return false;
    if (got == 0)
        return fabric_hpcc_line_fail(t, err, "the file %s; line 1 should be '<nodes> <switches> <links>'",
                              t->line_number == 0 ? "is empty" : "has only blank lines");
    uint64_t n, s, l;
    if (!fabric_hpcc_expect_fields(t, 3, header_fields, header_layout, err) ||
        !fabric_hpcc_field_uint(t, 0, "nodes", FABRIC_MAX_NODES, &n, err) ||
        !fabric_hpcc_field_uint(t, 1, "switches", UINT32_MAX, &s, err) ||
        !fabric_hpcc_field_uint(t, 2, "links", UINT32_MAX, &l, err))
        return false;
    if (n < 2)
        return fabric_hpcc_field_fail(t, 0, "nodes", err, "a topology needs at least two nodes");
    if (s > n - 2)
        return fabric_hpcc_field_fail(t, 1, "switches", err, "leaves %" PRIu64 " of the %" PRIu64
                               " nodes as hosts; traffic needs at least two hosts", s > n ? 0 : n - s, n);
    *nodes = (uint32_t)n;
    *switches = (uint32_t)s;
    *links = (uint32_t)l;
    return true;
}

/* The switch list starts on line 2 and may continue on the following lines, as HPCC reads it word by word. */
static bool read_switches(struct hpcc_text *t, struct fabric_topology *topo, uint32_t switches,
                          struct vdc_error *err)
{
    uint32_t listed = 0;
    while (listed < switches) {
        int got = fabric_hpcc_text_next(t, err);
        if (got < 0)
            return false;
        if (got == 0)
            return fabric_hpcc_line_fail(t, err, "the file ends after %" PRIu32 " of the %" PRIu32
                                  " switch ids declared on line 1; list them all, then the links", listed, switches);
        for (size_t i = 0; i < t->field_count; i++, listed++) {
            uint32_t node;
            if (listed == switches)
                return fabric_hpcc_field_fail(t, i, NULL, err, "is one more switch id than the %" PRIu32
                                       " declared on line 1; fix the count on line 1 or start links on a new line",
                                       switches);
            if (t->fields[i][0] != '-' && strspn(t->fields[i], "0123456789") != strlen(t->fields[i]))
                return fabric_hpcc_field_fail(t, i, "switch id", err, "is not a node number; line 1 declares %" PRIu32
                                       " switches and %" PRIu32 " came before this one", switches, listed);
            if (!fabric_hpcc_field_node(t, i, "switch id", topo->node_count, &node, err))
                return false;
            if (topo->is_switch[node])
                return fabric_hpcc_field_fail(t, i, "switch id", err, "switch %" PRIu32 " is listed twice; list each once",
                                       node);
            topo->is_switch[node] = true;
        }
    }
    return true;
}

static bool read_link(struct hpcc_text *t, struct fabric_topology *topo, struct vdc_error *err)
{
    uint32_t a, b;
    uint64_t rate;
    vdc_time delay;
    double error_rate;
    if (!fabric_hpcc_expect_fields(t, 5, link_fields, link_layout, err) ||
        !fabric_hpcc_field_node(t, 0, "node a", topo->node_count, &a, err) ||
        !fabric_hpcc_field_node(t, 1, "node b", topo->node_count, &b, err))
        return false;
    if (a == b)
        return fabric_hpcc_field_fail(t, 1, "node b", err, "is node a again; a link must join two different nodes");
    if (!fabric_hpcc_field_rate(t, 2, &rate, err) || !fabric_hpcc_field_delay(t, 3, &delay, err) ||
        !fabric_hpcc_field_probability(t, 4, "error rate", &error_rate, err))
        return false;
    if (!fabric_topology_add_link(topo, a, b, rate, delay, error_rate, err))
        return vdc_fail_prefix(err, "%s:%zu", t->path, t->line_number);
    return true;
}

/* After the declared lines, only blank lines may follow; or, reading as HPCC ns-3 does (`ignored_from` given),
 * anything, which is left unread and its first line number reported. */
static bool expect_end(struct hpcc_text *t, const char *what, uint32_t count, const char *extra_note,
                       size_t *ignored_from, struct vdc_error *err)
{
    int got = fabric_hpcc_text_next(t, err);
    if (got < 0)
        return false;
    if (got > 0 && ignored_from != NULL) {
        *ignored_from = t->line_number;
        return true;
    }
    if (got > 0)
        return fabric_hpcc_line_fail(t, err, "this is one %s more than the %" PRIu32 " declared on line 1;%s fix the "
                              "count on line 1 or delete the extra lines", what, count, extra_note);
    return true;
}

/* The same two nodes on two link lines: named by line, which says more than the topology check's link numbers. */
static bool refuse_duplicate(const struct hpcc_text *t, const struct fabric_topology *topo, const size_t *lines,
                             struct vdc_error *err)
{
    uint32_t first, second;
    if (!fabric_topology_find_duplicate(topo, &first, &second))
        return true;
    const struct fabric_link_spec *l = &topo->links[second];
    return vdc_fail(err, "%s:%zu: nodes %" PRIu32 " and %" PRIu32 " are linked again (first on line %zu); list each "
                         "link once, with the combined rate if both were meant",
                    t->path, lines[second], l->a, l->b, lines[first]);
}

static bool read_topology(struct hpcc_text *t, struct fabric_topology *topo, size_t *ignored_from,
                          struct vdc_error *err)
{
    uint32_t nodes = 0, switches = 0, links = 0;
    if (!read_header(t, &nodes, &switches, &links, err))
        return false;
    fabric_topology_init(topo, nodes);
    if (!read_switches(t, topo, switches, err))
        return false;
    size_t *lines = NULL; /* of each link, grown as links are read: the count on line 1 is not trusted */
    bool ok = true;
    for (uint32_t i = 0; i < links && ok; i++) {
        int got = fabric_hpcc_text_next(t, err);
        if (got <= 0) {
            ok = got == 0 ? fabric_hpcc_line_fail(t, err, "the file ends after %" PRIu32 " of the %" PRIu32 " links declared "
                                           "on line 1; add the missing links or fix the count", i, links)
                          : false;
        } else if ((ok = read_link(t, topo, err))) {
            lines = vdc_xrealloc(lines, topo->link_cap, sizeof *lines);
            lines[i] = t->line_number;
        }
    }
    ok = ok && expect_end(t, "link", links, "", ignored_from, err) && refuse_duplicate(t, topo, lines, err);
    free(lines);
    if (ok && !fabric_topology_check(topo, err))
        return vdc_fail_prefix(err, "%s", t->path);
    return ok;
}

bool fabric_hpcc_read_topology(const char *path, struct fabric_topology *out, size_t *ignored_from, struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (ignored_from)
        *ignored_from = 0;
    struct hpcc_text t;
    if (!fabric_hpcc_text_open(&t, path, "topology file", err))
        return false;
    bool ok = read_topology(&t, out, ignored_from, err);
    fabric_hpcc_text_close(&t);
    if (!ok)
        fabric_topology_free(out);
    return ok;
}

static bool read_host(const struct hpcc_text *t, size_t index, const char *name, const struct fabric_topology *topo,
                      uint32_t *out, struct vdc_error *err)
{
    if (!fabric_hpcc_field_node(t, index, name, topo->node_count, out, err))
        return false;
    if (topo->is_switch[*out])
        return fabric_hpcc_field_fail(t, index, name, err, "node %" PRIu32 " is a switch; flows run between hosts", *out);
    return true;
}

static bool read_flow(const struct hpcc_text *t, const struct fabric_topology *topo, struct fabric_flow_spec *flow,
                      struct vdc_error *err)
{
    uint64_t priority, port, size;
    if (!fabric_hpcc_expect_fields(t, 6, flow_fields, flow_layout, err) ||
        !read_host(t, 0, "src", topo, &flow->src, err) || !read_host(t, 1, "dst", topo, &flow->dst, err))
        return false;
    if (flow->src == flow->dst)
        return fabric_hpcc_field_fail(t, 1, "dst", err, "is the source host again; a flow needs two different hosts");
    if (!fabric_hpcc_field_uint(t, 2, "priority group", 7, &priority, err) ||
        !fabric_hpcc_field_uint(t, 3, "dst port", 65535, &port, err) || !fabric_hpcc_field_uint(t, 4, "size", UINT64_MAX, &size, err))
        return false;
    if (size == 0)
        return fabric_hpcc_field_fail(t, 4, "size", err, "a flow carries at least 1 byte");
    char defect[160];
    if (!fabric_hpcc_parse_seconds(t->fields[5], &flow->start, defect, sizeof defect))
        return fabric_hpcc_field_fail(t, 5, "start time", err, "%s", defect);
    flow->priority = (uint8_t)priority;
    flow->dst_port = (uint16_t)port;
    flow->size = size;
    return true;
}

static bool read_flows(struct hpcc_text *t, const struct fabric_topology *topo, struct fabric_flow_set *out,
                       size_t *ignored_from, struct vdc_error *err)
{
    int got = fabric_hpcc_text_next(t, err);
    if (got < 0)
        return false;
    if (got == 0)
        return fabric_hpcc_line_fail(t, err, "the file %s; line 1 should be the number of flows",
                              t->line_number == 0 ? "is empty" : "has only blank lines");
    uint64_t count;
    if (!fabric_hpcc_expect_fields(t, 1, count_fields, count_layout, err) ||
        !fabric_hpcc_field_uint(t, 0, "flow count", UINT32_MAX, &count, err))
        return false;
    for (uint64_t i = 0; i < count; i++) {
        got = fabric_hpcc_text_next(t, err);
        if (got < 0)
            return false;
        if (got == 0)
            return fabric_hpcc_line_fail(t, err, "the file ends after %" PRIu64 " of the %" PRIu64 " flows declared on "
                                  "line 1; add the missing flows or fix the count", i, count);
        struct fabric_flow_spec flow;
        memset(&flow, 0, sizeof flow);
        if (!read_flow(t, topo, &flow, err))
            return false;
        fabric_flow_set_add(out, &flow);
    }
    return expect_end(t, "flow", (uint32_t)count, " HPCC ignores lines past the count, vdc does not;", ignored_from,
                      err);
}

bool fabric_hpcc_read_flows(const char *path, const struct fabric_topology *topo, struct fabric_flow_set *out,
                     size_t *ignored_from, struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (ignored_from)
        *ignored_from = 0;
    struct hpcc_text t;
    if (!fabric_hpcc_text_open(&t, path, "flow file", err))
        return false;
    bool ok = read_flows(&t, topo, out, ignored_from, err);
    fabric_hpcc_text_close(&t);
    if (!ok)
        fabric_flow_set_free(out);
    return ok;
}
