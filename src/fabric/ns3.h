/* The hpcc-ns3 transport model's wire: HPCC ns-3's header sizes, its nanosecond transmit times, its ECMP hash. */
#ifndef VDC_FABRIC_NS3_H
#define VDC_FABRIC_NS3_H

#include <stdint.h>

#include "common/time.h"

enum fabric_cc;

/* HPCC ns-3 frames a packet as its PPP header (14 bytes, standing for Ethernet), IPv4 (20), UDP (8) and a
 * sequence header (4-byte sequence, 2-byte priority group) followed by the congestion control's INT header:
 * 5 hops x 8 bytes + a 2-byte count for HPCC, an 8-byte timestamp for TIMELY, nothing otherwise. An ACK or NACK is
 * PPP + IPv4 + a 12-byte qbb header (ports, flags, priority group, sequence) with the same INT header, padded to
 * 60 bytes. Its PFC frame is PPP + IPv4 + a 9-byte pause header. No preamble or inter-frame gap is on its wire. */
enum {
    NS3_PPP = 14,
    NS3_IPV4 = 20,
    NS3_UDP = 8,
    NS3_SEQ_TS = 6,
    NS3_QBB = 12,
    NS3_PAUSE = 9,
    NS3_DATA_OVERHEAD = NS3_PPP + NS3_IPV4 + NS3_UDP + NS3_SEQ_TS, /* 48: what its standalone FCT counts */
    NS3_MIN_ACK = 60,
    NS3_PFC_FRAME = NS3_PPP + NS3_IPV4 + NS3_PAUSE,
};

uint32_t fabric_ns3_int_bytes(enum fabric_cc cc);
uint32_t fabric_ns3_data_frame_bytes(enum fabric_cc cc, uint32_t payload);
uint32_t fabric_ns3_ack_frame_bytes(enum fabric_cc cc);

/* ns-3 turns a duration in seconds (a double) into its nanosecond time steps through 64.64 fixed point: the whole
 * seconds, plus the fraction times 2^64 truncated to an integer, multiplied exactly by 10^9, then truncated to
 * whole nanoseconds. The truncated fraction makes a product that should land on a whole nanosecond usually land
 * just below it (1000 bytes at 100 Gbps: 79 ns, not 80), which its runs show and this model reproduces. */
static inline vdc_time ns3_seconds(double seconds)
{
    uint64_t whole = (uint64_t)seconds; /* durations are non-negative: truncation is floor */
    uint64_t fraction = (uint64_t)((seconds - (double)whole) * 18446744073709551616.0); /* x 2^64; truncated */
    uint64_t ns = whole * 1000000000u + (uint64_t)(((unsigned __int128)fraction * 1000000000u) >> 64);
    return ns * VDC_NS;
}

/* Transmit time of `bytes` at `rate` bit/s, as DataRate::CalculateTxTime then Seconds() give it. */
static inline vdc_time ns3_tx_time(uint32_t bytes, uint64_t rate)
{
    return ns3_seconds((double)bytes * 8 / (double)rate);
}

/* HPCC ns-3's ECMP hash (MurmurHash3's 32-bit body over source and destination address and the two UDP ports,
 * seeded with the switch's node number); the next hop is hash % (equal-cost next hops). */
uint32_t fabric_ns3_ecmp_hash(uint32_t seed, uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport);

#endif
