/* HiNIC's plug (devices/plug.h): its nic.* keys, attaching one to a guest as fabric host number `rank`, its
 * counters. */
#include <inttypes.h>
#include <stdlib.h>

#include "common/units.h"
#include "devices/hinic/hinic.h"
#include "devices/hinic/hinic_regs.h"
#include "devices/pcie.h"
#include "devices/plug.h"
#include "fabric/endpoint.h"
#include "fabric/packet.h"

/* The values of its keys (their record). */
struct hinic_config {
    bool enabled;
    uint64_t pcie_generation, pcie_lanes;
    unsigned pcie_layout; /* enum vdc_pcie_layout */
    vdc_time pcie_latency, processing, rnr_delay;
    uint64_t mtu, priority, root_complex_p2p_rate, ack_request_interval;
};

#define FIELD(member) offsetof(struct hinic_config, member)

static const struct vdc_key hinic_keys[] = {
    {"guests.nic", VDC_KEY_BOOL, FIELD(enabled), "false",
     .doc = "Each guest drives a HiNIC RDMA NIC (docs/hinic.md) cabled as fabric host number `rank`."},
    {"nic.pcie_generation", VDC_KEY_COUNT, FIELD(pcie_generation), "5", 1, 6,
     .doc = "PCIe generation of the NIC's link (transfer rate per lane: 2.5, 5, 8, 16, 32, 64 GT/s)."},
    {"nic.pcie_lanes", VDC_KEY_COUNT, FIELD(pcie_lanes), "16", 1, 16,
     .doc = "Width of the NIC's PCIe link: 1, 2, 4, 8 or 16 lanes."},
    {"nic.pcie_layout", VDC_KEY_CHOICE, FIELD(pcie_layout), "switch", .choices = vdc_pcie_layouts,
     .doc = "Where the NIC sits: behind the blade's PCIe `switch` under root port 0, or on a `root-port` of its own."},
    {"nic.pcie_latency", VDC_KEY_TIME, FIELD(pcie_latency), "250ns", 0, VDC_MS,
     .doc = "One crossing of the PCIe hierarchy (a doorbell, a DMA write; a DMA read takes two)."},
    {"nic.processing", VDC_KEY_TIME, FIELD(processing), "100ns", 0, VDC_MS,
     .doc = "NIC pipeline time per work request and per received request."},
    {"nic.rnr_delay", VDC_KEY_TIME, FIELD(rnr_delay), "10us", 0, VDC_SEC,
     .doc = "How long a requester waits after an RNR NAK (no receive posted) before sending again."},
    {"nic.mtu", VDC_KEY_SIZE, FIELD(mtu), "4096", 256, 4096,
     .doc = "Largest path MTU the NIC accepts (256, 512, 1024, 2048 or 4096 bytes); QPs choose theirs."},
    {"nic.priority", VDC_KEY_COUNT, FIELD(priority), "3", 0, 7,
     .doc = "Default 802.1Q priority of RDMA traffic (a QP may choose another)."},
    {"nic.root_complex_p2p_rate", VDC_KEY_RATE, FIELD(root_complex_p2p_rate), "50Gbps", 1000000, UINT64_C(1000000000000),
     .doc = "Rate of the NIC's DMA reads of the blade's GPU memory (GPUDirect RDMA) when NIC and GPU are not both "
            "behind the PCIe switch (nic.pcie_layout, gpu.pcie_layout), so that the reads cross the root complex, "
            "where peer-to-peer reads are slow on most hosts; behind the switch they go at the NIC's link rate."},
    {"nic.ack_request_interval", VDC_KEY_COUNT, FIELD(ack_request_interval), "64", 1, 1 << 20,
     .doc = "A SEND or WRITE packet asks the responder for an ACK (BTH AckReq) when it ends its message or when this "
            "many packets of its QP went without asking, as Linux's software RoCE does (64); 1 asks on every packet."},
};

static bool wanted(const void *config)
{
    return ((const struct hinic_config *)config)->enabled;
}

/* Rank r's NIC is cabled as the fabric's r-th host; every NIC learns each rank's address for bootstrap. */
static void *attach(const struct vdc_device_env *env, const void *config, struct vdc_error *err)
{
    const struct hinic_config *c = config;
    if (env->fabric == NULL)
        return vdc_fail(err, "guests.nic needs a fabric; set topology.* for the guests' network"), NULL;
    uint32_t hosts = fabric_hosts(env->fabric, NULL, 0);
    if (hosts < env->ranks)
        return vdc_fail(err, "guests.nic: %u guests but the topology has %u hosts; lower guests.count or add hosts",
                        env->ranks, hosts), NULL;
    uint32_t *nodes = vdc_xcalloc(hosts, sizeof *nodes);
    uint32_t *gids = vdc_xcalloc(env->ranks, sizeof *gids);
    fabric_hosts(env->fabric, nodes, hosts);
    for (uint32_t r = 0; r < env->ranks; r++)
        gids[r] = fabric_host_ipv4(nodes[r]);
    struct hinic_params params;
    hinic_params_defaults(&params);
    params.pcie_generation = (uint32_t)c->pcie_generation;
    params.pcie_lanes = (uint32_t)c->pcie_lanes;
    params.pcie_latency = c->pcie_latency;
    params.processing = c->processing;
    params.rnr_delay = c->rnr_delay;
    params.mtu = (uint32_t)c->mtu;
    params.priority = (uint8_t)c->priority;
    params.root_complex_p2p_rate = c->root_complex_p2p_rate;
    params.ack_request_interval = (uint32_t)c->ack_request_interval;
    params.pcie_switch_port = c->pcie_layout == VDC_PCIE_BEHIND_SWITCH ? 0 : -1;
    params.cause_mask = UINT64_C(1) << env->cause_bit;
    struct hinic *nic = hinic_create(env->guest, env->fabric, nodes[env->rank], env->mmio_base, &params, gids,
                                     env->ranks, env->log, err);
    free(gids);
    free(nodes);
    return nic;
}

static void summary(const void *device, char *line, size_t size)
{
    struct hinic_stats n;
    hinic_get_stats(device, &n);
    snprintf(line, size,
             "%" PRIu64 " packets sent, %" PRIu64 " received, %" PRIu64 " retransmitted; %" PRIu64
             " completions, %" PRIu64 " in error; %" PRIu64 " guest errors",
             n.packets_sent, n.packets_received, n.retransmitted, n.completions, n.error_completions, n.errors);
}

static size_t counters(const void *device, struct vdc_device_counter *out)
{
    struct hinic_stats n;
    hinic_get_stats(device, &n);
    const struct vdc_device_counter list[] = {
        {"packets_sent", n.packets_sent}, {"packets_received", n.packets_received},
        {"retransmitted", n.retransmitted}, {"completions", n.completions},
        {"error_completions", n.error_completions}, {"guest_errors", n.errors},
    };
    size_t count = sizeof list / sizeof list[0];
    for (size_t i = 0; i < count; i++)
        out[i] = list[i];
    return count;
}

static void release(void *device)
{
    hinic_free(device);
}

const struct vdc_device_plug hinic_plug = {
    .name = "hinic",
    .mmio_size = HINIC_BAR_SIZE,
    .keys = hinic_keys,
    .key_count = sizeof hinic_keys / sizeof hinic_keys[0],
    .config_size = sizeof(struct hinic_config),
    .wanted = wanted,
    .uses_fabric = true,
    .attach = attach,
    .summary = summary,
    .counters = counters,
    .free = release,
};
