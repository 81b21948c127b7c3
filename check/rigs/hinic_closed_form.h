/* The closed form of a small message's latency through HiNIC and the rack (docs/hinic.md), written out for the
 * tests from the model's parameters, apart from the model's code. */
#ifndef VDC_CHECK_HINIC_CLOSED_FORM_H
#define VDC_CHECK_HINIC_CLOSED_FORM_H

#include "../../src/devices/hinic/hinic.h"
#include "../../src/fabric/packet.h"

/* PCIe payload bandwidth in bit/s from the generation's transfer rate and line code, with 24 bytes of framing,
 * header, sequence number and LCRC per 256-byte TLP. */
static inline double closed_form_pcie_rate(uint32_t generation, uint32_t lanes)
{
    static const double transfers[7] = {0, 2.5e9, 5e9, 8e9, 16e9, 32e9, 64e9};
    double code = generation <= 2 ? 8.0 / 10 : generation <= 5 ? 128.0 / 130 : 242.0 / 256;
    return transfers[generation] * code * lanes * 256 / 280;
}

/* A frame of `frame_bytes` across the rack in ps: serialized at the blade and again at the switch (store and
 * forward), two links' propagation, the switch's latency. */
static inline double closed_form_wire_ps(uint32_t frame_bytes, double rate, vdc_time delay, vdc_time switch_latency)
{
    return 2 * (frame_bytes + FABRIC_PREAMBLE_IFG) * 8 / rate * 1e12 + 2.0 * (double)delay + (double)switch_latency;
}

/* The frame of a one-packet message with `payload` bytes and `extra` bytes of extension headers (RETH, ImmDt). */
static inline uint32_t closed_form_frame(uint32_t payload, uint32_t extra)
{
    uint32_t n = FABRIC_ROCE_OVERHEAD + extra + (payload + 3) / 4 * 4;
    return n < FABRIC_MIN_FRAME ? FABRIC_MIN_FRAME : n;
}

/* The NIC's part of a one-packet message, from the doorbell write to the receiver's completion in memory: the
 * doorbell (one PCIe crossing), the WQE fetch (a DMA read: two crossings, and 64 bytes at the PCIe rate), the
 * pipeline, the data read (two crossings), and the completion's write (one crossing). */
static inline double closed_form_nic_ps(const struct hinic_params *p)
{
    return 6.0 * (double)p->pcie_latency + 64.0 * 8 / closed_form_pcie_rate(p->pcie_generation, p->pcie_lanes) * 1e12 +
           (double)p->processing;
}

#endif
