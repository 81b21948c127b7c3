/* SimGrid platform import: the child's description parsed, laid out, named and checked as a fabric topology. */
#include "fabric/simgrid_import.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/simgrid_import_child.h"
#include "fabric/simgrid_import_layout.h"
#include "fabric/simgrid_import_process.h"

/* A switch named after its links keeps the name short enough to read in outputs. */
#define MAX_JOINED_NAME 48

void fabric_simgrid_platform_free(struct simgrid_platform *p)
{
    for (uint32_t i = 0; i < p->host_count; i++)
        free(p->host_names[i]);
    for (uint32_t i = 0; i < p->link_count; i++)
        free(p->links[i].name);
    free(p->host_names);
    free(p->links);
    free(p->routes);
    free(p->route_links);
    memset(p, 0, sizeof *p);
}

/* Undoes the child's %XX escapes; the name ends at a blank or the end of the line. */
static char *read_name(const char **cursor)
{
    const char *p = *cursor;
    size_t length = strcspn(p, " \n");
    char *name = vdc_xmalloc(length + 1), *q = name;
    for (size_t i = 0; i < length; i++) {
        if (p[i] == '%' && i + 2 < length && isxdigit((unsigned char)p[i + 1]) && isxdigit((unsigned char)p[i + 2])) {
            char hex[3] = {p[i + 1], p[i + 2], '\0'};
            *q++ = (char)strtoul(hex, NULL, 16);
            i += 2;
        } else {
            *q++ = p[i];
        }
    }
    *q = '\0';
    *cursor = p + length;
    return name;
}

static bool read_number(const char **cursor, unsigned long long limit, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long value = strtoull(*cursor, &end, 10);
    if (end == *cursor || errno != 0 || value >= limit || (*end != ' ' && *end != '\n'))
        return false;
    *out = value;
    *cursor = end;
    return true;
}

static bool read_real(const char **cursor, double *out)
{
    char *end;
    errno = 0;
    double value = strtod(*cursor, &end);
    if (end == *cursor || errno != 0 || !isfinite(value) || *end != ' ')
        return false;
    *out = value;
    *cursor = end;
    return true;
}

static bool parse_line(const char *line, struct simgrid_platform *p)
{
    unsigned long long n = 0, src = 0, dst = 0;
    if (strncmp(line, "host ", 5) == 0) {
        line += 5;
        if (p->host_count == p->host_cap) {
            p->host_cap = p->host_cap ? p->host_cap * 2 : 64;
            p->host_names = vdc_xrealloc(p->host_names, p->host_cap, sizeof *p->host_names);
        }
        p->host_names[p->host_count++] = read_name(&line);
        return *line == '\n';
    }
    if (strncmp(line, "link ", 5) == 0) {
        line += 5;
        if (p->link_count == p->link_cap) {
            p->link_cap = p->link_cap ? p->link_cap * 2 : 64;
            p->links = vdc_xrealloc(p->links, p->link_cap, sizeof *p->links);
        }
        struct simgrid_link *link = &p->links[p->link_count++];
        memset(link, 0, sizeof *link);
        link->name = read_name(&line);
        if (p->link_count > 1 && strcmp(p->links[p->link_count - 2].name, link->name) >= 0)
            return false; /* the layout looks halves of SPLITDUPLEX links up by name */
        bool ok = *line++ == ' ' && read_real(&line, &link->bandwidth) && *line++ == ' ' &&
                  read_real(&line, &link->latency) && *line++ == ' ' && read_number(&line, 2, &n) && *line == '\n';
        link->shared = n == 1;
        return ok;
    }
    if (strncmp(line, "route ", 6) != 0)
        return false;
    line += 6;
    if (!read_number(&line, p->host_count, &src) || *line++ != ' ' || !read_number(&line, p->host_count, &dst))
        return false;
    if (p->route_count == p->route_cap) {
        p->route_cap = p->route_cap ? p->route_cap * 2 : 256;
        p->routes = vdc_xrealloc(p->routes, p->route_cap, sizeof *p->routes);
    }
    struct simgrid_route *route = &p->routes[p->route_count++];
    *route = (struct simgrid_route){(uint32_t)src, (uint32_t)dst, p->route_link_count, 0};
    while (*line == ' ') {
        line++;
        if (!read_number(&line, p->link_count, &n))
            return false;
        if (p->route_link_count == p->route_link_cap) {
            p->route_link_cap = p->route_link_cap ? p->route_link_cap * 2 : 1024;
            p->route_links = vdc_xrealloc(p->route_links, p->route_link_cap, sizeof *p->route_links);
        }
        p->route_links[p->route_link_count++] = (uint32_t)n;
        route->count++;
    }
    return *line == '\n';
}

bool fabric_simgrid_platform_parse(const char *text, struct simgrid_platform *p, struct vdc_error *err)
{
    memset(p, 0, sizeof *p);
    size_t line_number = 1;
    for (const char *line = text; strcmp(line, "end\n") != 0; line_number++) {
        const char *newline = strchr(line, '\n');
        if (newline == NULL || !parse_line(line, p)) {
            fabric_simgrid_platform_free(p);
            return vdc_fail(err, "the SimGrid process replied something unexpected on line %zu (%.40s)", line_number,
                            line);
        }
        line = newline + 1;
    }
    return true;
}

/* The names of the links a switch joins, "l1+l2", or NULL when longer than MAX_JOINED_NAME. */
static char **joined_names(const struct simgrid_layout *layout, uint32_t host_count)
{
    uint32_t switches = layout->node_count - host_count;
    char **names = vdc_xcalloc(switches, sizeof *names);
    bool *too_long = vdc_xcalloc(switches, sizeof *too_long);
    for (uint32_t c = 0; c < layout->cable_count; c++) {
        const struct simgrid_cable *cable = &layout->cables[c];
        uint32_t ends[2] = {cable->a, cable->b};
        for (int e = 0; e < 2 && cable->used; e++) {
            if (ends[e] < host_count || too_long[ends[e] - host_count])
                continue;
            char **name = &names[ends[e] - host_count];
            size_t old = *name ? strlen(*name) : 0, add = strlen(cable->name);
            if (old + add + 1 > MAX_JOINED_NAME) {
                too_long[ends[e] - host_count] = true;
                free(*name);
                *name = NULL;
                continue;
            }
            *name = vdc_xrealloc(*name, old + add + 2, 1);
            if (old > 0)
                (*name)[old++] = '+';
            memcpy(*name + old, cable->name, add + 1);
        }
    }
    free(too_long);
    return names;
}

static bool name_taken(const struct fabric_topology *t, uint32_t named, const char *name)
{
    for (uint32_t i = 0; i < named; i++) {
        if (strcmp(t->names[i], name) == 0)
            return true;
    }
    return false;
}

/* Hosts keep SimGrid's names; switches are named after their links, else sw<N>, never twice the same name. */
static void name_nodes(struct fabric_topology *t, const struct simgrid_platform *p, const struct simgrid_layout *l)
{
    for (uint32_t h = 0; h < p->host_count; h++)
        fabric_topology_name(t, h, p->host_names[h]);
    char **joined = joined_names(l, p->host_count);
    for (uint32_t node = p->host_count; node < l->node_count; node++) {
        char fallback[32];
        const char *name = joined[node - p->host_count];
        if (name == NULL || name_taken(t, node, name)) {
            snprintf(fallback, sizeof fallback, "sw%u", node);
            for (unsigned k = 2; name_taken(t, node, fallback); k++)
                snprintf(fallback, sizeof fallback, "sw%u_%u", node, k);
            name = fallback;
        }
        fabric_topology_name(t, node, name);
        free(joined[node - p->host_count]);
    }
    free(joined);
}

static bool add_cables(struct fabric_topology *t, const struct simgrid_platform *p, const struct simgrid_layout *l,
                       struct vdc_error *err)
{
    for (uint32_t c = 0; c < l->cable_count; c++) {
        const struct simgrid_cable *cable = &l->cables[c];
        const struct simgrid_link *link = &p->links[cable->link];
        if (!cable->used)
            continue;
        if (!link->shared)
            return vdc_fail(err, "link %s uses SimGrid's FATPIPE sharing, which vdc cannot model; make it SHARED or "
                            "SPLITDUPLEX", cable->name);
        double rate = link->bandwidth * 8.0, delay = link->latency * (double)VDC_SEC;
        if (!(rate >= (double)FABRIC_MIN_RATE - 0.5 && rate <= (double)FABRIC_MAX_RATE + 0.5))
            return vdc_fail(err, "link %s: bandwidth %g bytes/s (%g bit/s) is out of range; vdc links run at 1Mbps "
                            "to 1.6Tbps", cable->name, link->bandwidth, rate);
        if (!(delay >= 0.0 && delay <= (double)FABRIC_MAX_DELAY))
            return vdc_fail(err, "link %s: latency %g s is out of range; vdc links have 0 to 1s", cable->name,
                            link->latency);
        uint32_t a = cable->a < cable->b ? cable->a : cable->b, b = cable->a < cable->b ? cable->b : cable->a;
        if (!fabric_topology_add_link(t, a, b, (uint64_t)llround(rate), (vdc_time)llround(delay), 0.0, err))
            return vdc_fail_prefix(err, "link %s", cable->name);
    }
    return true;
}

/* Parallel links between two nodes, named by their SimGrid names, which say more than the check's link numbers. */
static bool refuse_parallel(const struct fabric_topology *t, const struct simgrid_layout *l, struct vdc_error *err)
{
    uint32_t first, second;
    if (!fabric_topology_find_duplicate(t, &first, &second))
        return true;
    const char *names[2] = {NULL, NULL};
    for (uint32_t c = 0, link = 0; c < l->cable_count; c++) {
        if (!l->cables[c].used)
            continue;
        if (link == first)
            names[0] = l->cables[c].name;
        if (link == second)
            names[1] = l->cables[c].name;
        link++;
    }
    char a[32], b[32];
    return vdc_fail(err, "links %s and %s both join %s and %s; vdc names a link by its two ends, so join them with one "
                         "link, of the combined bandwidth if both were meant",
                    names[0], names[1], fabric_node_name(t, t->links[first].a, a, sizeof a),
                    fabric_node_name(t, t->links[first].b, b, sizeof b));
}

bool fabric_simgrid_read_platform(const char *path, struct fabric_topology *out, struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    struct simgrid_reply reply;
    struct simgrid_platform platform;
    struct simgrid_layout layout;
    if (!fabric_simgrid_check_platform_file(path, err) ||
        !fabric_simgrid_run_child(path, fabric_simgrid_child_describe_platform, path, &reply, err))
        return false;
    bool parsed = fabric_simgrid_platform_parse(reply.text, &platform, err);
    fabric_simgrid_reply_free(&reply);
    if (!parsed)
        return vdc_fail_prefix(err, "%s", path);
    bool ok = fabric_simgrid_layout_build(&platform, &layout, err);
    if (ok) {
        fabric_topology_init(out, layout.node_count);
        for (uint32_t node = platform.host_count; node < layout.node_count; node++)
            out->is_switch[node] = true;
        name_nodes(out, &platform, &layout);
        ok = fabric_simgrid_layout_check_routes(&platform, &layout, out, err) && add_cables(out, &platform, &layout, err) &&
             refuse_parallel(out, &layout, err) && fabric_topology_check(out, err);
        fabric_simgrid_layout_free(&layout);
    }
    fabric_simgrid_platform_free(&platform);
    if (!ok) {
        fabric_topology_free(out);
        return vdc_fail_prefix(err, "%s", path);
    }
    return true;
}
