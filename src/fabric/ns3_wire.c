/* HPCC ns-3's frame sizes by congestion control, and its ECMP hash. */
#include "fabric/ns3.h"

#include "fabric/fabric.h"

uint32_t fabric_ns3_int_bytes(enum fabric_cc cc)
{
    switch (cc) {
    case FABRIC_CC_HPCC: return FABRIC_INT_MAX_HOPS * 8 + 2;
    case FABRIC_CC_TIMELY: return 8;
    default: return 0;
    }
}

uint32_t fabric_ns3_data_frame_bytes(enum fabric_cc cc, uint32_t payload)
{
    return NS3_DATA_OVERHEAD + fabric_ns3_int_bytes(cc) + payload;
}

uint32_t fabric_ns3_ack_frame_bytes(enum fabric_cc cc)
{
    uint32_t bytes = NS3_PPP + NS3_IPV4 + NS3_QBB + fabric_ns3_int_bytes(cc);
    return bytes < NS3_MIN_ACK ? NS3_MIN_ACK : bytes;
}

static uint32_t rotl32(uint32_t x, unsigned r)
{
    return x << r | x >> (32 - r);
}

uint32_t fabric_ns3_ecmp_hash(uint32_t seed, uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport)
{
    const uint32_t words[3] = {sip, dip, (uint32_t)sport | (uint32_t)dport << 16};
    uint32_t h = seed;
    for (unsigned i = 0; i < 3; i++) {
        uint32_t k = words[i] * 0xcc9e2d51u;
        k = rotl32(k, 15) * 0x1b873593u;
        h ^= k;
        h = rotl32(h, 13);
        h += (h << 2) + 0xe6546b64u;
    }
    h ^= 12; /* the key's length in bytes */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}
