/* PCIe link timing shared by the devices that sit on a link (HiNIC, HiGPU): payload bandwidth and transfer time. */
#ifndef VDC_DEVICES_PCIE_H
#define VDC_DEVICES_PCIE_H

#include <stdint.h>

#include "common/time.h"

/* Where a device sits in a blade's PCIe hierarchy (keys nic.pcie_layout, gpu.pcie_layout, in this order). */
enum vdc_pcie_layout { VDC_PCIE_BEHIND_SWITCH, VDC_PCIE_ROOT_PORT };
extern const char *const vdc_pcie_layouts[]; /* "switch", "root-port", NULL */

/* Payload bandwidth in bit/s of a link of `generation` (1-6; others count as 5) and `lanes`, after line encoding
 * and TLP overheads. */
uint64_t vdc_pcie_bandwidth(uint32_t generation, uint32_t lanes);

/* Time to move `bytes` across a link of `bandwidth` bit/s (no latency), rounded up to the picosecond. */
vdc_time vdc_pcie_transfer(uint64_t bandwidth, uint64_t bytes);

#endif
