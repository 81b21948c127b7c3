/* HiNIC: a RoCEv2 RDMA NIC a guest drives through registers, rings in its memory and DMA; its wire is a host
 * port of the packet fabric. See docs/hinic.md. */
#ifndef VDC_DEVICES_HINIC_H
#define VDC_DEVICES_HINIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/time.h"

struct vdc_guest;
struct vdc_device_plug;
struct fabric;

/* The timing model's parameters (scenario keys nic.*). */
struct hinic_params {
    uint32_t pcie_generation;  /* 1-6: transfer rate per lane */
    uint32_t pcie_lanes;       /* 1, 2, 4, 8 or 16 */
    vdc_time pcie_latency;     /* one crossing of the PCIe hierarchy, device to host memory or back */
    vdc_time processing;       /* NIC pipeline per work request or received request */
    vdc_time rnr_delay;        /* wait before re-sending a SEND the responder had no receive buffer for */
    uint32_t mtu;              /* largest path MTU the NIC accepts (256-4096) */
    uint8_t priority;          /* default 802.1Q priority of RDMA traffic */
    uint64_t cause_mask;       /* the simctl cause this NIC raises on each completion */
    uint32_t pcie_root_port;   /* its place in the guest's PCIe hierarchy (device tree) */
    int32_t pcie_switch_port;  /* -1: directly under the root port */
    /* Rate of its DMA reads of another device's memory (GPUDirect RDMA) when the two are not both under the
     * blade's PCIe switch, so that the reads cross the root complex (bit/s). */
    uint64_t root_complex_p2p_rate;
    /* A SEND or WRITE packet asks for an ACK (BTH AckReq) when it ends its message or when this many packets of the
     * QP have gone without one; 1 asks on every packet. */
    uint32_t ack_request_interval;
};

void hinic_params_defaults(struct hinic_params *p);

/* PCIe payload bandwidth in bit/s of the generation and width (encoding and TLP overheads deducted). */
uint64_t hinic_pcie_bandwidth(const struct hinic_params *p);

struct hinic;

/* A NIC for `guest` (whose memory it reaches only through the checked helpers), on host node `node` of the
 * fabric. Its register window is added to the guest's MMIO bus at `base`, to appear in the device tree with
 * `peers` GIDs (the IPv4 address of each rank's NIC, for bootstrap) as "vdc,peer-gids". `log` receives one line
 * per guest error (NULL: counted only). */
struct hinic *hinic_create(struct vdc_guest *guest, struct fabric *fabric, uint32_t node, uint64_t base,
                           const struct hinic_params *params, const uint32_t *peer_gids, uint32_t peers, FILE *log,
                           struct vdc_error *err);
void hinic_free(struct hinic *nic);

/* Counters for reports and tests. */
struct hinic_stats {
    uint64_t errors;              /* guest errors logged */
    uint64_t packets_sent, packets_received;
    uint64_t retransmitted;       /* packets sent again after a NAK or a timeout */
    uint64_t completions, error_completions;
};
void hinic_get_stats(const struct hinic *nic, struct hinic_stats *out);

/* Its row in the device table (devices/plug.h). */
extern const struct vdc_device_plug hinic_plug;

#endif
