/* HiLink's parameters: the presets, their validation, the links of each plane and the closed-form timings. */
#include "hilink/hilink.h"

#include <string.h>

bool hilink_params_preset(const char *preset, struct hilink_params *p, struct vdc_error *err)
{
    /* H100 and H200 share NVLink 4 and the HGX board: the same fabric. */
    if (preset == NULL || (strcmp(preset, "h100") != 0 && strcmp(preset, "h200") != 0))
        return vdc_fail(err, "hilink.preset '%s': unknown; give h100 or h200", preset ? preset : "(none)");
    *p = (struct hilink_params){
        .gpus = 8,
        .links_per_gpu = 18,
        .planes = 1,
        .link_bytes_per_second = 25000000000ULL,
        .link_latency = 150 * VDC_NS,
        .switch_latency = 200 * VDC_NS,
        .header_bytes = 16,
        /* A credit's round trip (510.88 ns: two link latencies, the switch's and a serialisation) at 25 GB/s is 47
         * packets of 272 bytes: 64 keep a link busy. */
        .credits = 64,
    };
    return true;
}

bool hilink_params_validate(const struct hilink_params *p, struct vdc_error *err)
{
    if (p->gpus < 2 || p->gpus > HILINK_MAX_GPUS)
        return vdc_fail(err, "hilink.gpus %u: give 2 to %u", p->gpus, HILINK_MAX_GPUS);
    if (p->links_per_gpu < 1 || p->links_per_gpu > HILINK_MAX_LINKS)
        return vdc_fail(err, "hilink.links_per_gpu %u: give 1 to %u", p->links_per_gpu, HILINK_MAX_LINKS);
    if (p->planes < 1 || p->planes > HILINK_MAX_PLANES || p->planes > p->links_per_gpu)
        return vdc_fail(err, "hilink.planes %u: give 1 to %u, at most hilink.links_per_gpu (%u)", p->planes,
                        HILINK_MAX_PLANES, p->links_per_gpu);
    if (p->link_bytes_per_second == 0)
        return vdc_fail(err, "hilink.link_rate 0: give a rate above 0");
    if (p->credits < 1)
        return vdc_fail(err, "hilink.credits 0: give at least 1");
    if (p->link_latency == 0) /* the planes' steps are a link latency long (hilink_step.c) */
        return vdc_fail(err, "hilink.link_latency 0: give at least 1ns");
    if (p->header_bytes > 1024)
        return vdc_fail(err, "hilink.header_bytes %u: give 0 to 1024", p->header_bytes);
    return true;
}

/* The j-th plane to get one of the remainder's links: the last, the first, the second to last, the second... */
static uint32_t remainder_plane(uint32_t planes, uint32_t j)
{
    return j % 2 == 0 ? planes - 1 - j / 2 : j / 2;
}

uint32_t hilink_plane_links(const struct hilink_params *p, uint32_t plane)
{
    if (p->planes == 0 || plane >= p->planes)
        return 0;
    uint32_t links = p->links_per_gpu / p->planes;
    for (uint32_t j = 0; j < p->links_per_gpu % p->planes; j++)
        if (remainder_plane(p->planes, j) == plane)
            links++;
    return links;
}

vdc_time hilink_serialisation(const struct hilink_params *p, uint32_t bytes)
{
    if (p->link_bytes_per_second == 0)
        return VDC_TIME_MAX;
    /* In 128 bits, so that neither the product with 10^12 nor the rounding term can wrap for any rate. */
    unsigned __int128 wire = (unsigned __int128)p->header_bytes + bytes;
    unsigned __int128 ps = (wire * VDC_SEC + p->link_bytes_per_second - 1) / p->link_bytes_per_second;
    return ps > VDC_TIME_MAX ? VDC_TIME_MAX : (vdc_time)ps;
}

vdc_time hilink_idle_latency(const struct hilink_params *p, uint32_t bytes)
{
    /* GPU link (serialise, fly), switch, destination link (serialise, fly): store and forward at every hop. */
    vdc_time serialise = hilink_serialisation(p, bytes);
    vdc_time t = vdc_time_add(serialise, serialise);
    t = vdc_time_add(t, p->link_latency);
    t = vdc_time_add(t, p->link_latency);
    return vdc_time_add(t, p->switch_latency);
}
