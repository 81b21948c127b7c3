/* Flow generators over a topology's hosts: CDF-sampled sizes, Poisson arrivals, incast. */
#include "fabric/traffic.h"

#include <stdlib.h>
#include <string.h>

static const struct fabric_cdf_point websearch_points[] = {
    {0, 0},          {10000, 15},      {20000, 20},      {30000, 30},    {50000, 40},    {80000, 53},
    {200000, 60},    {1000000, 70},    {2000000, 80},    {5000000, 90},  {10000000, 97}, {30000000, 100},
};

static const struct fabric_cdf_point fb_hadoop_points[] = {
    {0, 0},         {100, 1},        {200, 2},         {300, 5},        {350, 15},      {400, 20},
    {500, 30},      {600, 40},       {700, 50},        {1000, 60},      {2000, 67},     {7000, 70},
    {30000, 72},    {50000, 82},     {80000, 87},      {120000, 90},    {300000, 95},   {1000000, 97.5},
    {2000000, 99},  {10000000, 100},
};

const struct fabric_size_cdf fabric_cdf_websearch = {
    "websearch", websearch_points, sizeof websearch_points / sizeof websearch_points[0]};
const struct fabric_size_cdf fabric_cdf_fb_hadoop = {
    "fb_hadoop", fb_hadoop_points, sizeof fb_hadoop_points / sizeof fb_hadoop_points[0]};

const struct fabric_size_cdf *fabric_size_cdf_named(const char *name)
{
    if (name == NULL)
        return NULL;
    if (strcmp(name, fabric_cdf_websearch.name) == 0)
        return &fabric_cdf_websearch;
    if (strcmp(name, fabric_cdf_fb_hadoop.name) == 0)
        return &fabric_cdf_fb_hadoop;
    return NULL;
}

bool fabric_size_cdf_check(const struct fabric_size_cdf *cdf, struct vdc_error *err)
{
    if (cdf == NULL)
        return vdc_fail(err, "no flow-size distribution; choose websearch or fb_hadoop");
    const char *name = cdf->name ? cdf->name : "(unnamed)";
    if (cdf->points == NULL || cdf->count < 2)
        return vdc_fail(err, "flow-size CDF '%s' has %zu points; it needs at least two, from 0 %% to 100 %%", name,
                        cdf->points == NULL ? 0 : cdf->count);
    if (cdf->points[0].percent != 0.0)
        return vdc_fail(err, "flow-size CDF '%s' starts at %g %%; its first point must be at 0 %%", name,
                        cdf->points[0].percent);
    if (cdf->points[cdf->count - 1].percent != 100.0)
        return vdc_fail(err, "flow-size CDF '%s' ends at %g %%; its last point must be at 100 %%", name,
                        cdf->points[cdf->count - 1].percent);
    for (size_t i = 1; i < cdf->count; i++) {
        const struct fabric_cdf_point *a = &cdf->points[i - 1], *b = &cdf->points[i];
        if (!(b->percent > a->percent) || b->bytes <= a->bytes)
            return vdc_fail(err, "flow-size CDF '%s': point %zu (%llu bytes, %g %%) does not grow past point %zu "
                            "(%llu bytes, %g %%); both columns must increase strictly", name, i,
                            (unsigned long long)b->bytes, b->percent, i - 1, (unsigned long long)a->bytes,
                            a->percent);
    }
    return true;
}

double fabric_size_cdf_mean(const struct fabric_size_cdf *cdf)
{
    double sum = 0.0;
    for (size_t i = 1; i < cdf->count; i++) {
        const struct fabric_cdf_point *a = &cdf->points[i - 1], *b = &cdf->points[i];
        sum += ((double)b->bytes + (double)a->bytes) / 2.0 * (b->percent - a->percent);
    }
    return sum / 100.0;
}

uint64_t fabric_size_cdf_sample(const struct fabric_size_cdf *cdf, struct vdc_rng *rng)
{
    double percentile = vdc_rng_unit(rng) * 100.0; /* [0, 100): the last point, at 100 %, always bounds it */
    size_t i = 1;
    while (i + 1 < cdf->count && percentile > cdf->points[i].percent)
        i++;
    const struct fabric_cdf_point *a = &cdf->points[i - 1], *b = &cdf->points[i];
    double bytes = (double)a->bytes +
                   ((double)b->bytes - (double)a->bytes) / (b->percent - a->percent) * (percentile - a->percent);
    uint64_t size = (uint64_t)bytes;
    return size > 0 ? size : 1;
}

static int flow_order(const void *left, const void *right)
{
    const struct fabric_flow_spec *a = left, *b = right;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    if (a->src != b->src)
        return a->src < b->src ? -1 : 1;
    if (a->dst != b->dst)
        return a->dst < b->dst ? -1 : 1;
    if (a->size != b->size)
        return a->size < b->size ? -1 : 1;
    return 0; /* the same flow twice: either order gives the same set */
}

static uint32_t *host_nodes(const struct fabric_topology *t, uint32_t *count)
{
    uint32_t n = 0;
    for (uint32_t node = 0; node < t->node_count; node++)
        n += !t->is_switch[node];
    uint32_t *hosts = vdc_xmalloc((size_t)n * sizeof *hosts);
    n = 0;
    for (uint32_t node = 0; node < t->node_count; node++)
        if (!t->is_switch[node])
            hosts[n++] = node;
    *count = n;
    return hosts;
}

/* The mean interval between one host's flows, in ps, after checking that it is a usable number. */
static bool mean_interval(const struct fabric_poisson_params *params, uint64_t *interval, struct vdc_error *err)
{
    double bits = fabric_size_cdf_mean(params->sizes) * 8.0;
    double ps = bits * 1e12 / ((double)params->host_rate * params->load);
    if (!(ps >= 1.0))
        return vdc_fail(err, "Poisson traffic: a host would open a flow every %g ps on average, below the 1 ps "
                        "resolution; lower the load or the host rate", ps);
    if (!(ps < 0x1p63))
        return vdc_fail(err, "Poisson traffic: a host would open a flow every %g ps on average, beyond any run; "
                        "raise the load", ps);
    *interval = (uint64_t)(ps + 0.5);
    return true;
}

static bool check_poisson(const struct fabric_poisson_params *params, uint32_t host_count, uint64_t *interval, struct vdc_error *err)
{
    if (!(params->load > 0.0 && params->load <= 1.0))
        return vdc_fail(err, "Poisson traffic: load %g is outside (0, 1]; give the fraction of each host's link "
                        "rate to offer, e.g. 0.5", params->load);
    if (params->host_rate == 0)
        return vdc_fail(err, "Poisson traffic: host rate 0 bit/s; give the rate of the hosts' links");
    if (params->duration == 0)
        return vdc_fail(err, "Poisson traffic: duration 0; give how long the hosts keep opening flows");
    if (params->priority > 7)
        return vdc_fail(err, "Poisson traffic: priority %u is outside 0..7", params->priority);
    if (host_count < 2)
        return vdc_fail(err, "Poisson traffic: the topology has %u host%s; it needs at least two", host_count,
                        host_count == 1 ? "" : "s");
    if (!fabric_size_cdf_check(params->sizes, err))
        return vdc_fail_prefix(err, "Poisson traffic");
    if (!mean_interval(params, interval, err))
        return false;
    double expected = (double)params->duration / (double)*interval * host_count;
    if (expected > FABRIC_TRAFFIC_MAX_FLOWS) {
        char text[64];
        vdc_time_format(text, sizeof text, params->duration);
        return vdc_fail(err, "Poisson traffic: %u hosts at load %g for %s would open about %.0f flows, more than "
                        "%u; shorten the duration or lower the load", host_count, params->load, text, expected,
                        FABRIC_TRAFFIC_MAX_FLOWS);
    }
    return true;
}

bool fabric_traffic_poisson(const struct fabric_topology *t, const struct fabric_poisson_params *params,
                            struct fabric_flow_set *out, struct vdc_error *err)
{
    if (t == NULL || params == NULL || out == NULL)
        return vdc_fail(err, "Poisson traffic: no topology, parameters or flow set given");
    uint32_t host_count;
    uint32_t *hosts = host_nodes(t, &host_count);
    uint64_t interval = 0;
    if (!check_poisson(params, host_count, &interval, err)) {
        free(hosts);
        return false;
    }
    vdc_time end = vdc_time_add(params->start, params->duration);
    size_t first = out->count;
    for (uint32_t h = 0; h < host_count; h++) {
        struct vdc_rng rng;
        vdc_rng_seed(&rng, params->seed, hosts[h]);
        vdc_time at = params->start;
        for (;;) {
            at = vdc_time_add(at, vdc_rng_exponential(&rng, interval));
            if (at >= end)
                break;
            uint64_t other = vdc_rng_below(&rng, host_count - 1); /* skip the host itself */
            struct fabric_flow_spec flow = {
                .src = hosts[h],
                .dst = hosts[other >= h ? other + 1 : other],
                .priority = params->priority,
                .dst_port = params->dst_port,
                .size = fabric_size_cdf_sample(params->sizes, &rng),
                .start = at,
            };
            fabric_flow_set_add(out, &flow);
        }
    }
    if (out->count > first) /* none drawn (a duration shorter than every gap): no array to sort, perhaps none at all */
        qsort(out->items + first, out->count - first, sizeof *out->items, flow_order);
    free(hosts);
    return true;
}

/* Checks that `node` names a host of t; `role` says which parameter it came from. */
static bool check_host(const struct fabric_topology *t, uint32_t node, const char *role, struct vdc_error *err)
{
    if (node >= t->node_count)
        return vdc_fail(err, "incast: %s node %u does not exist (nodes are 0..%u)", role, node,
                        t->node_count - 1);
    if (t->is_switch[node]) {
        char name[64];
        return vdc_fail(err, "incast: %s node %u ('%s') is a switch; choose a host", role, node,
                        fabric_node_name(t, node, name, sizeof name));
    }
    return true;
}

static bool check_incast(const struct fabric_topology *t, const struct fabric_incast_params *params,
                         struct vdc_error *err)
{
    if (params->senders == NULL || params->sender_count == 0)
        return vdc_fail(err, "incast: no senders; list the hosts that send to the receiver");
    if (params->size == 0)
        return vdc_fail(err, "incast: size 0; give the bytes each sender sends");
    if (params->priority > 7)
        return vdc_fail(err, "incast: priority %u is outside 0..7", params->priority);
    if (t->node_count == 0)
        return vdc_fail(err, "incast: the topology has no nodes");
    if (!check_host(t, params->receiver, "receiver", err))
        return false;
    bool *seen = vdc_xcalloc(t->node_count, sizeof *seen);
    bool ok = true;
    for (size_t i = 0; ok && i < params->sender_count; i++) {
        uint32_t node = params->senders[i];
        if (!check_host(t, node, "sender", err))
            ok = false;
        else if (node == params->receiver)
            ok = vdc_fail(err, "incast: sender node %u is also the receiver; a host does not send to itself", node);
        else if (seen[node])
            ok = vdc_fail(err, "incast: sender node %u is listed twice; list each sender once", node);
        else
            seen[node] = true;
    }
    free(seen);
    return ok;
}

bool fabric_traffic_incast(const struct fabric_topology *t, const struct fabric_incast_params *params,
                           struct fabric_flow_set *out, struct vdc_error *err)
{
    if (t == NULL || params == NULL || out == NULL)
        return vdc_fail(err, "incast: no topology, parameters or flow set given");
    if (!check_incast(t, params, err))
        return false;
    for (size_t i = 0; i < params->sender_count; i++) {
        struct fabric_flow_spec flow = {
            .src = params->senders[i],
            .dst = params->receiver,
            .priority = params->priority,
            .dst_port = params->dst_port,
            .size = params->size,
            .start = params->start,
        };
        fabric_flow_set_add(out, &flow);
    }
    return true;
}
