/* Flow generators: flow sizes from published CDFs, Poisson arrivals at a target load, and incast. */
#ifndef VDC_FABRIC_TRAFFIC_H
#define VDC_FABRIC_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "scheduler/rng.h"
#include "common/time.h"
#include "fabric/topology.h"

/* One point of a flow-size CDF: `percent` % of flows are at most `bytes` long. */
struct fabric_cdf_point {
    uint64_t bytes;
    double percent;
};

/* A flow-size distribution as a CDF table, sampled like HPCC's traffic_gen: a uniform percentile, then linear
 * interpolation between the two points around it. Valid tables start at 0 %, end at 100 %, and grow strictly
 * in both columns (fabric_size_cdf_check). */
struct fabric_size_cdf {
    const char *name;
    const struct fabric_cdf_point *points;
    size_t count;
};

/* The web-search workload (DCTCP paper) and Facebook's Hadoop cluster, with the numbers of HPCC's
 * traffic_gen/WebSearch_distribution.txt and traffic_gen/FbHdp_distribution.txt. */
extern const struct fabric_size_cdf fabric_cdf_websearch;
extern const struct fabric_size_cdf fabric_cdf_fb_hadoop;

/* "websearch" or "fb_hadoop"; NULL for any other name. */
const struct fabric_size_cdf *fabric_size_cdf_named(const char *name);

bool fabric_size_cdf_check(const struct fabric_size_cdf *cdf, struct vdc_error *err);

/* The distribution's mean in bytes: the area under the table's piecewise-linear CDF. */
double fabric_size_cdf_mean(const struct fabric_size_cdf *cdf);

/* One flow size in bytes, at least 1: the interpolated value rounded down, as HPCC does. The table must pass
 * fabric_size_cdf_check (the built-in ones do). */
uint64_t fabric_size_cdf_sample(const struct fabric_size_cdf *cdf, struct vdc_rng *rng);

/* Every host opens flows at exponentially distributed intervals so that each offers `load` of `host_rate`:
 * the mean interval is mean size * 8 / (host_rate * load). Each flow goes to one of the other hosts, chosen
 * uniformly, with a size drawn from `sizes`. */
struct fabric_poisson_params {
    double load;                        /* (0, 1]: the fraction of host_rate each host offers */
    uint64_t host_rate;                 /* bit/s of a host's link */
    const struct fabric_size_cdf *sizes;
    vdc_time start;                     /* the first flow of each host comes one interval after start */
    vdc_time duration;                  /* flows start before start + duration */
    uint64_t seed;                      /* host h draws from vdc_rng_seed(seed, h) only */
    uint8_t priority;                   /* of every flow, 0..7 (HPCC's traffic_gen uses 3) */
    uint16_t dst_port;                  /* of every flow (HPCC's traffic_gen uses 100) */
};

/* The most flows one call may expect to generate; beyond it memory, not the model, would give out. */
#define FABRIC_TRAFFIC_MAX_FLOWS 10000000u

/* Appends the flows of every host of `t` (its non-switch nodes) to `out`, ordered by start time, then source,
 * destination and size. The same parameters give the same flows on every machine. Fails, adding nothing,
 * on impossible parameters: load outside (0, 1], no rate, no duration, fewer than two hosts, an invalid
 * table, or more than FABRIC_TRAFFIC_MAX_FLOWS expected flows. */
bool fabric_traffic_poisson(const struct fabric_topology *t, const struct fabric_poisson_params *params,
                            struct fabric_flow_set *out, struct vdc_error *err);

/* N senders each send `size` bytes to one receiver, all starting at `start`. */
struct fabric_incast_params {
    const uint32_t *senders;            /* node numbers of hosts, distinct, not the receiver */
    size_t sender_count;
    uint32_t receiver;
    uint64_t size;                      /* bytes per sender */
    vdc_time start;
    uint8_t priority;
    uint16_t dst_port;
};

/* Appends one flow per sender, in the senders' order. Fails, adding nothing, when there are no senders, a
 * node is not a host of `t`, a sender repeats or is the receiver, or size is 0. */
bool fabric_traffic_incast(const struct fabric_topology *t, const struct fabric_incast_params *params,
                           struct fabric_flow_set *out, struct vdc_error *err);

#endif
