/* PCIe link timing: one formula for every device on a link. */
#include "devices/pcie.h"

const char *const vdc_pcie_layouts[] = {"switch", "root-port", NULL};

uint64_t vdc_pcie_bandwidth(uint32_t generation, uint32_t lanes)
{
    /* Payload bit/s per lane after line encoding (8b/10b for gen 1-2, 128b/130b for 3-5, 242/256 FLITs for 6),
     * then 256-byte TLPs carry 24 bytes of framing, header, sequence number and LCRC each. */
    static const uint64_t per_lane[7] = {0, 2000000000ULL, 4000000000ULL, 7876923077ULL, 15753846154ULL,
                                         31507692308ULL, 60500000000ULL};
    uint32_t gen = generation >= 1 && generation <= 6 ? generation : 5;
    return per_lane[gen] * lanes / 280 * 256;
}

vdc_time vdc_pcie_transfer(uint64_t bandwidth, uint64_t bytes)
{
    /* 128-bit product: a copy of gigabytes times 8 * 10^12 overflows 64 bits. */
    if (bandwidth == 0)
        return VDC_TIME_MAX;
    unsigned __int128 t = ((unsigned __int128)bytes * 8 * VDC_SEC + bandwidth - 1) / bandwidth;
    return t > VDC_TIME_MAX ? VDC_TIME_MAX : (vdc_time)t;
}
