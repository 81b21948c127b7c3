/* A fabric packet: the header fields vdc models, from which wire.c writes the real RoCEv2/PFC frame bytes. */
#ifndef VDC_FABRIC_PACKET_H
#define VDC_FABRIC_PACKET_H

#include <stdbool.h>
#include <stdint.h>

#include "common/time.h"

enum fabric_packet_kind {
    FABRIC_PKT_DATA, /* RoCEv2 RC SEND FIRST/MIDDLE/LAST/ONLY carrying `payload` bytes */
    FABRIC_PKT_ACK,  /* RoCEv2 ACKNOWLEDGE with an AETH ACK syndrome */
    FABRIC_PKT_NACK, /* RoCEv2 ACKNOWLEDGE with an AETH NAK (PSN sequence error) syndrome */
    FABRIC_PKT_CNP,  /* RoCEv2 congestion notification packet (BTH opcode 0x81) */
    FABRIC_PKT_PFC,  /* IEEE 802.1Qbb priority flow control MAC-control frame */
};

/* Header sizes on the wire, in bytes. Every RoCE frame carries an 802.1Q tag (its priority). */
enum {
    FABRIC_ETH_HEADER = 14,
    FABRIC_VLAN_TAG = 4,
    FABRIC_IPV4_HEADER = 20,
    FABRIC_UDP_HEADER = 8,
    FABRIC_BTH = 12,
    FABRIC_RETH = 16,
    FABRIC_AETH = 4,
    FABRIC_ICRC = 4,
    FABRIC_FCS = 4,
    FABRIC_CNP_PAD = 16,      /* reserved bytes after a CNP's BTH */
    FABRIC_MIN_FRAME = 64,    /* Ethernet minimum, FCS included */
    FABRIC_PREAMBLE_IFG = 20, /* 8 B preamble + SFD and a 12 B inter-frame gap: on the wire, not in the frame */
    FABRIC_ROCE_OVERHEAD = FABRIC_ETH_HEADER + FABRIC_VLAN_TAG + FABRIC_IPV4_HEADER + FABRIC_UDP_HEADER + FABRIC_BTH +
                           FABRIC_ICRC + FABRIC_FCS,
    FABRIC_ROCE_UDP_PORT = 4791,
};

/* BTH opcodes (InfiniBand RC transport) used on the wire. */
enum {
    FABRIC_OP_SEND_FIRST = 0x00,
    FABRIC_OP_SEND_MIDDLE = 0x01,
    FABRIC_OP_SEND_LAST = 0x02,
    FABRIC_OP_SEND_ONLY = 0x04,
    FABRIC_OP_SEND_LAST_IMM = 0x03,
    FABRIC_OP_SEND_ONLY_IMM = 0x05,
    FABRIC_OP_WRITE_FIRST = 0x06,
    FABRIC_OP_WRITE_MIDDLE = 0x07,
    FABRIC_OP_WRITE_LAST = 0x08,
    FABRIC_OP_WRITE_LAST_IMM = 0x09,
    FABRIC_OP_WRITE_ONLY = 0x0A,
    FABRIC_OP_WRITE_ONLY_IMM = 0x0B,
    FABRIC_OP_READ_REQUEST = 0x0C,
    FABRIC_OP_READ_RESPONSE_FIRST = 0x0D,
    FABRIC_OP_READ_RESPONSE_MIDDLE = 0x0E,
    FABRIC_OP_READ_RESPONSE_LAST = 0x0F,
    FABRIC_OP_READ_RESPONSE_ONLY = 0x10,
    FABRIC_OP_ACKNOWLEDGE = 0x11,
    FABRIC_OP_ATOMIC_ACKNOWLEDGE = 0x12,
    FABRIC_OP_COMPARE_SWAP = 0x13,
    FABRIC_OP_FETCH_ADD = 0x14,
    FABRIC_OP_CNP = 0x81,
};

/* Extension headers after the BTH (IBA 9.3), bytes. */
enum {
    FABRIC_IMMDT = 4,
    FABRIC_ATOMIC_ETH = 28,
    FABRIC_ATOMIC_ACK_ETH = 8,
    FABRIC_RDMA_MAX_PAYLOAD = 4096, /* the largest InfiniBand path MTU */
};

/* Bytes of extension headers an RC opcode carries between the BTH and the payload (RETH, AETH, ImmDt,
 * AtomicETH, AtomicAckETH), as IBA's opcode table lays them out; a CNP's 16 reserved bytes count here too, so
 * that fabric_rdma_frame_bytes(FABRIC_OP_CNP, 0) is the CNP frame the wire carries. */
static inline uint32_t fabric_opcode_headers(uint8_t opcode)
{
    switch (opcode) {
    case FABRIC_OP_SEND_LAST_IMM:
    case FABRIC_OP_SEND_ONLY_IMM:
    case FABRIC_OP_WRITE_LAST_IMM: return FABRIC_IMMDT;
    case FABRIC_OP_WRITE_FIRST:
    case FABRIC_OP_WRITE_ONLY:
    case FABRIC_OP_READ_REQUEST: return FABRIC_RETH;
    case FABRIC_OP_WRITE_ONLY_IMM: return FABRIC_RETH + FABRIC_IMMDT;
    case FABRIC_OP_READ_RESPONSE_FIRST:
    case FABRIC_OP_READ_RESPONSE_LAST:
    case FABRIC_OP_READ_RESPONSE_ONLY:
    case FABRIC_OP_ACKNOWLEDGE: return FABRIC_AETH;
    case FABRIC_OP_ATOMIC_ACKNOWLEDGE: return FABRIC_AETH + FABRIC_ATOMIC_ACK_ETH;
    case FABRIC_OP_COMPARE_SWAP:
    case FABRIC_OP_FETCH_ADD: return FABRIC_ATOMIC_ETH;
    case FABRIC_OP_CNP: return FABRIC_CNP_PAD;
    default: return 0;
    }
}

enum { FABRIC_ECN_NOT_ECT = 0, FABRIC_ECN_ECT1 = 1, FABRIC_ECN_ECT0 = 2, FABRIC_ECN_CE = 3 };

struct fabric_packet {
    struct fabric_packet *next; /* link in whichever queue holds the packet */
    uint8_t kind;               /* enum fabric_packet_kind */
    uint8_t priority;           /* 802.1Q PCP and switch queue, 0..7 */
    uint8_t ecn;                /* IPv4 ECN codepoint */
    uint8_t bth_opcode;
    uint8_t ttl;
    bool ack_request;           /* BTH A bit */
    uint8_t aeth_syndrome;      /* ACK/NACK: AETH syndrome byte */
    uint8_t pfc_classes;        /* PFC: priority-enable vector */
    uint16_t pfc_quanta;        /* PFC: pause time of every enabled class, in 512-bit-time quanta (0 resumes) */
    uint16_t udp_source_port;   /* flow entropy that ECMP hashes */
    uint16_t udp_dest_port;     /* the hpcc-ns3 model: the flow file's port (ECMP hashes it too); 0 otherwise */
    bool cnp_echo;              /* the hpcc-ns3 model's ACK: the data packet it answers was CE-marked */
    uint16_t ingress_port;      /* at a switch: the port it came in on (buffer accounting) */
    uint32_t src_host, dst_host; /* node numbers of the two hosts; addresses derive from them */
    uint32_t dest_qp;           /* BTH destination QP */
    uint32_t psn;               /* BTH PSN (24 bits on the wire); ACK/NACK: the PSN acknowledged or expected */
    uint32_t payload;           /* payload bytes (DATA) */
    uint32_t frame_bytes;       /* Ethernet frame length, FCS included */
    uint32_t flow;              /* the model's flow index (not on the wire) */
    vdc_time sent_at;           /* when the source put it on its first link (not on the wire) */
    struct fabric_rdma *rdma;   /* NIC (HiNIC) traffic: extension headers and payload bytes; NULL for flows */
    struct fabric_ns3_fields *ns3; /* the hpcc-ns3 model's INT hops or timestamp (HPCC, TIMELY); NULL otherwise */
};

/* HPCC ns-3's INT header: up to five hop records, each packed into 64 bits as its IntHop is (line-rate code 3 bits,
 * time 24 bits of ns, tx bytes 20 bits in 128-byte units, queue 17 bits in 80-byte units: all wrap). */
#define FABRIC_INT_MAX_HOPS 5
struct fabric_int_hop {
    uint64_t time, bytes, qlen;  /* already reduced to their field widths and units */
    uint8_t rate_code;           /* 0..4: 25, 50, 100, 200, 400 Gbps */
};

/* What an hpcc-ns3 packet carries for the congestion controls that need more than the common fields: TIMELY's
 * send timestamp and HPCC's INT hops, copied from the data packet into its ACK. */
struct fabric_ns3_fields {
    struct fabric_ns3_fields *next_free;
    uint64_t ts;                 /* TIMELY: when the data packet was built, ns */
    uint16_t nhop;
    struct fabric_int_hop hop[FABRIC_INT_MAX_HOPS];
};

/* What a NIC's RoCE packet carries beyond the fields above: extension header values and the payload itself.
 * Which headers are present follows from the BTH opcode (fabric_opcode_headers). */
struct fabric_rdma {
    struct fabric_rdma *next_free;
    uint64_t va;                /* RETH or AtomicETH virtual address */
    uint32_t rkey;              /* RETH or AtomicETH R_Key */
    uint32_t dma_length;        /* RETH DMA length */
    uint32_t immediate;         /* ImmDt, as the guest gave it */
    uint32_t msn;               /* AETH message sequence number (24 bits) */
    uint64_t swap_add, compare; /* AtomicETH: swap (or add) data and compare data */
    uint64_t original;          /* AtomicAckETH: the value before the atomic operation */
    /* Where the packet's `payload` bytes are: the sender's own memory, read when they are needed (delivered or
     * captured), or NULL when they were copied into `data` as the packet was built. */
    const uint8_t *payload_at;
    void *payload_owner;        /* whose memory payload_at is in (the sending device's; opaque to the fabric) */
    uint8_t data[FABRIC_RDMA_MAX_PAYLOAD];
};

/* The packet's payload bytes, wherever they are kept. */
static inline const uint8_t *fabric_rdma_payload(const struct fabric_rdma *r)
{
    return r->payload_at != NULL ? r->payload_at : r->data;
}

/* The flow index of packets that belong to a device endpoint (a NIC) rather than to a flow-file flow. */
#define FABRIC_FLOW_ENDPOINT UINT32_MAX

/* HPCC ns-3's addressing: 11.x.y.1 from the node number. */
static inline uint32_t fabric_host_ipv4(uint32_t node)
{
    return 0x0b000001u + (node / 256) * 0x10000u + (node % 256) * 0x100u;
}

/* Bits a frame occupies on a link: the frame plus preamble and inter-frame gap. */
static inline uint64_t fabric_wire_bits(uint32_t frame_bytes)
{
    return (uint64_t)(frame_bytes + FABRIC_PREAMBLE_IFG) * 8;
}

/* Frame length of a RoCE data packet with `payload` bytes, padded to the Ethernet minimum. */
static inline uint32_t fabric_data_frame_bytes(uint32_t payload)
{
    uint32_t n = FABRIC_ROCE_OVERHEAD + payload;
    return n < FABRIC_MIN_FRAME ? FABRIC_MIN_FRAME : n;
}

/* Frame length of a NIC's RoCE packet: its opcode's extension headers and the payload padded to 4 bytes
 * (the BTH pad count), at least the Ethernet minimum. */
static inline uint32_t fabric_rdma_frame_bytes(uint8_t opcode, uint32_t payload)
{
    uint32_t n = FABRIC_ROCE_OVERHEAD + fabric_opcode_headers(opcode) + (payload + 3) / 4 * 4;
    return n < FABRIC_MIN_FRAME ? FABRIC_MIN_FRAME : n;
}

#endif
