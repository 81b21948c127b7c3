/* The scenario's HiLink fabric: its `hilink.*` keys (defaults: NVLink 4 as H100 and H200 SXM have it) and the fabric
 * that joins the guests' GPUs when they have some. */
#include "run/hilink_setup.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/fault_list.h"
#include "scenario/keys.h"
#include "scheduler/entity_ids.h"

struct hilink_config {
    bool enabled;
    uint64_t domain_gpus;
    uint64_t links_per_gpu, planes, header_bytes, credits, link_rate;
    vdc_time link_latency, switch_latency;
};

#define FIELD(member) offsetof(struct hilink_config, member)

static const struct vdc_key hilink_keys[] = {
    {"hilink.enabled", VDC_KEY_BOOL, FIELD(enabled), "true",
     .doc = "The guests' GPUs (guests.gpu) share one HiLink fabric, an NVSwitch-like peer fabric (docs/hilink.md), "
            "when there are 2 to 64 of them: GPU peer memory, copies to peers and kernels' stores to peers."},
    {"hilink.domain_gpus", VDC_KEY_COUNT, FIELD(domain_gpus), "0", 0, HILINK_MAX_GPUS,
     .doc = "GPUs per HiLink domain (an NVLink domain: a rack's GPUs on their own switch planes): guest r's GPU is "
            "place r mod N of domain r / N, and GPUs of different domains reach each other only through the "
            "network. 0: all of the guests' GPUs in one domain."},
    {"hilink.links_per_gpu", VDC_KEY_COUNT, FIELD(links_per_gpu), "18", 1, HILINK_MAX_LINKS,
     .doc = "Links from each GPU to the switch planes (NVLink 4 on H100/H200 SXM: 18)."},
    {"hilink.planes", VDC_KEY_COUNT, FIELD(planes), "1", 1, HILINK_MAX_PLANES,
     .doc = "Switch planes the links spread over (HGX H100: 4 NVSwitch chips, 5/4/4/5 links of each GPU)."},
    {"hilink.link_rate", VDC_KEY_RATE, FIELD(link_rate), "200Gbps", 1000000, UINT64_C(100000000000000),
     .doc = "Each link's rate per direction, on the wire (NVLink 4: 25 GB/s, 200 Gbit/s)."},
    {"hilink.link_latency", VDC_KEY_TIME, FIELD(link_latency), "150ns", 1000, VDC_MS,
     .doc = "One way along a link, GPU to switch or switch to GPU; it also bounds gpu.window (the lookahead)."},
    {"hilink.switch_latency", VDC_KEY_TIME, FIELD(switch_latency), "200ns", 0, VDC_MS,
     .doc = "A packet's time through a switch plane, from its input to its output queue."},
    {"hilink.header_bytes", VDC_KEY_COUNT, FIELD(header_bytes), "16", 0, 1024,
     .doc = "Each packet's bytes on the wire besides its payload of up to 256 bytes (NVLink: one 16-byte header "
            "flit)."},
    {"hilink.credits", VDC_KEY_COUNT, FIELD(credits), "64", 1, 4096,
     .doc = "Packets the receiver of each link direction buffers: the sender's credits (flow control); 47 cover a "
            "credit's round trip at the default rate and latencies."},
};

static size_t key_group;

void vdc_hilink_add_keys(void)
{
    static const struct vdc_key_group group = {hilink_keys, sizeof hilink_keys / sizeof hilink_keys[0],
                                               sizeof(struct hilink_config)};
    key_group = vdc_keys_add_group(&group);
}

uint32_t vdc_hilink_domain_gpus(const struct vdc_scenario *sc, uint32_t gpus)
{
    const struct hilink_config *c = vdc_scenario_group(sc, key_group);
    return c->domain_gpus != 0 && c->domain_gpus < gpus ? (uint32_t)c->domain_gpus : gpus;
}

struct hilink *vdc_hilink_build(struct vdc_sim *sim, const struct vdc_scenario *sc, uint32_t gpus, uint32_t domain,
                                struct vdc_error *err)
{
    err->text[0] = '\0';
    const struct hilink_config *c = vdc_scenario_group(sc, key_group);
    if (!c->enabled || gpus < 2 || gpus > HILINK_MAX_GPUS)
        return NULL;
    /* Each domain's entities take a block of the HiLink id range big enough for the largest fabric. */
    uint32_t per_domain =
        hilink_entity_count(&(struct hilink_params){.gpus = HILINK_MAX_GPUS, .planes = HILINK_MAX_PLANES});
    if ((uint64_t)(domain + 1) * per_domain > VDC_IDS_HILINK_COUNT)
        return vdc_fail(err, "hilink.domain_gpus = %llu makes more than %u HiLink domains of two GPUs or more, the most "
                             "vdc runs; raise hilink.domain_gpus or lower guests.count",
                        (unsigned long long)c->domain_gpus, VDC_IDS_HILINK_COUNT / per_domain),
               NULL;
    struct hilink_params p = {
        .gpus = gpus,
        .links_per_gpu = (uint32_t)c->links_per_gpu,
        .planes = (uint32_t)c->planes,
        .link_bytes_per_second = c->link_rate / 8,
        .link_latency = c->link_latency,
        .switch_latency = c->switch_latency,
        .header_bytes = (uint32_t)c->header_bytes,
        .credits = (uint32_t)c->credits,
    };
    if (!hilink_params_validate(&p, err))
        return NULL;
    return hilink_create(sim, &p, VDC_IDS_HILINK_BASE + domain * per_domain, err);
}

/* The rank of guest `name` (bladeN, N < gpus), or gpus when it is none. */
static uint32_t rank_of_guest(const char *name, uint32_t gpus)
{
    size_t digits = strlen(name) > 5 ? strspn(name + 5, "0123456789") : 0;
    if (strncmp(name, "blade", 5) != 0 || digits == 0 || digits > 5 || name[5 + digits] != '\0' ||
        (digits > 1 && name[5] == '0'))
        return gpus;
    unsigned long rank = strtoul(name + 5, NULL, 10);
    return rank < gpus ? (uint32_t)rank : gpus;
}

bool vdc_hilink_setup_faults(struct hilink *const *domains, const struct vdc_scenario *sc, uint32_t gpus,
                             struct vdc_error *err)
{
    uint32_t domain_gpus = gpus ? vdc_hilink_domain_gpus(sc, gpus) : 1;
    struct vdc_fault_list list;
    if (!vdc_fault_list_parse(sc->faults.schedule, 1, &list, err))
        return vdc_fail_prefix(err, "faults.schedule");
    bool ok = true;
    for (size_t i = 0; i < list.count && ok; i++) {
        const struct vdc_fault_entry *e = &list.items[i];
        if (e->action != VDC_FAULT_HILINK_DOWN && e->action != VDC_FAULT_HILINK_UP &&
            e->action != VDC_FAULT_HILINK_CORRUPT)
            continue;
        uint32_t rank = rank_of_guest(e->target, gpus);
        struct hilink *h = domains != NULL && rank < gpus ? domains[rank / domain_gpus] : NULL;
        if (domains == NULL || (rank < gpus && h == NULL))
            ok = vdc_fail(err, "faults.schedule: entry %u ('%s'): there is no HiLink fabric (it needs hilink.enabled "
                               "and 2 to 64 guests with guests.gpu)", e->number, e->text);
        else if (rank == gpus)
            ok = vdc_fail(err, "faults.schedule: entry %u ('%s'): '%s' is no guest's GPU on HiLink; expected blade0 "
                               "to blade%u", e->number, e->text, e->target, gpus - 1);
        else if (e->action == VDC_FAULT_HILINK_CORRUPT)
            hilink_schedule_corruption(h, rank % domain_gpus, e->at);
        else
            hilink_schedule_port_state(h, rank % domain_gpus, e->at, e->action == VDC_FAULT_HILINK_UP);
    }
    vdc_fault_list_free(&list);
    return ok;
}
