/* Real wire bytes of a fabric packet: RoCEv2 (Ethernet, 802.1Q, IPv4, UDP, BTH, RC extension headers, ICRC) and PFC. */
#ifndef VDC_FABRIC_WIRE_H
#define VDC_FABRIC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "fabric/packet.h"

/* What the encoder writes beyond struct fabric_packet's fields.
 *
 * Every frame is written without its FCS, as pcap's LINKTYPE_ETHERNET stores it, and is
 * fabric_frame_bytes_for(p) - FABRIC_FCS bytes long.
 *
 * Two sources of RoCEv2 frames share one layout. Flow traffic (p->rdma NULL) is SEND FIRST/MIDDLE/LAST/ONLY,
 * ACKNOWLEDGE and CNP with no message state. NIC traffic (p->rdma set, flow FABRIC_FLOW_ENDPOINT) is every RC
 * opcode, its extension header values and payload bytes in *p->rdma; its kind is DATA for requests and read
 * responses, ACK for ACKNOWLEDGE with an ACK syndrome and for ATOMIC ACKNOWLEDGE, NACK for ACKNOWLEDGE with an
 * RNR NAK or NAK syndrome, CNP for a CNP (fabric_rc_opcode_for in wire_rc.h says exactly what fits together).
 *
 * RoCEv2 frames (DATA, ACK, NACK, CNP):
 *   Ethernet  dst/src MAC 02:00:<the host's IPv4 address> (locally administered, unicast)
 *   802.1Q    PCP = priority, DEI 0, VLAN id FABRIC_WIRE_VLAN_ID (0: a priority-tagged frame)
 *   IPv4      DSCP = priority * 8 (class selector CS<priority>, so a switch that trusts DSCP finds the same
 *             priority as one that trusts the PCP), ECN = ecn, identification = PSN's low 16 bits, DF set,
 *             TTL = ttl or FABRIC_WIRE_DEFAULT_TTL when ttl is 0, addresses fabric_host_ipv4(src/dst_host)
 *   UDP       source port udp_source_port, destination 4791, checksum 0 (RoCEv2 over IPv4 allows it)
 *   BTH       opcode: flow DATA bth_opcode (SEND FIRST/MIDDLE/LAST/ONLY only), flow ACK/NACK ACKNOWLEDGE,
 *             CNP 0x81 (bth_opcode is not read for those three); NIC traffic bth_opcode. SE 0 always (vdc models
 *             no solicited events, so SEND/WRITE with immediate LAST/ONLY do not set it either), M 1 except on
 *             CNPs (a QP without an alternate path is in the Migrated state, as ConnectX NICs send it), PadCnt
 *             see payload, TVer 0, P_Key 0xFFFF, FECN 0, BECN 1 on CNPs only (as ConnectX NICs send them),
 *             DestQP dest_qp, A = ack_request, PSN = psn; QPN and PSN keep their low 24 bits
 *   then the opcode's extension headers in IBA order, all big-endian, values from *p->rdma (zeros for flows):
 *   RETH      WRITE FIRST/ONLY (with immediate too), READ REQUEST: VA 8 bytes va, R_Key 4 rkey, DMA length 4
 *             dma_length
 *   AtomicETH COMPARE SWAP, FETCH ADD: VA 8 va, R_Key 4 rkey, swap (or add) data 8 swap_add, compare data 8
 *             compare (which FETCH ADD does not use; it is written as given)
 *   AETH      ACKNOWLEDGE, ATOMIC ACKNOWLEDGE, READ RESPONSE FIRST/LAST/ONLY: syndrome 1 byte aeth_syndrome,
 *             MSN 3 bytes msn (0 for flows: vdc's flow transport does not model messages)
 *   AtomicAckETH  ATOMIC ACKNOWLEDGE: original remote data 8 bytes original
 *   ImmDt     SEND LAST/ONLY and WRITE LAST/ONLY with immediate: 4 bytes immediate
 *   CNP       16 reserved zero bytes
 *   payload   opcodes that carry one: `payload` bytes (NIC traffic: rdma->data, at most FABRIC_RDMA_MAX_PAYLOAD).
 *             NIC traffic pads it as IBA does: PadCnt = (4 - payload % 4) % 4 zero bytes follow, and the frame
 *             is fabric_rdma_frame_bytes(bth_opcode, payload). Flow traffic keeps PadCnt 0 and writes no pad
 *             (its frame_bytes, fabric_data_frame_bytes, counts none), so a flow payload that is not a
 *             multiple of 4 is written as it is
 *   ICRC      CRC-32 per IBA Annex A17 (see fabric_roce_icrc), least significant byte first
 *
 * PFC frames (802.1Qbb MAC control): for FABRIC_PKT_PFC, src_host is the SENDING node (host or switch) and
 * ingress_port the sending port's number on it. dst MAC 01:80:C2:00:00:01, src MAC 02:fc:<node, 16 bits>:
 * <port, 16 bits>, EtherType 0x8808, opcode 0x0101, class-enable vector pfc_classes, eight pause times:
 * pfc_quanta for the enabled classes and 0 for the others, zero padding to the 60-byte minimum; no VLAN tag. */
enum {
    FABRIC_WIRE_VLAN_ID = 0,
    FABRIC_WIRE_DEFAULT_TTL = 64,
    FABRIC_ETHERTYPE_IPV4 = 0x0800,
    FABRIC_ETHERTYPE_VLAN = 0x8100,
    FABRIC_ETHERTYPE_MAC_CONTROL = 0x8808,
    FABRIC_PFC_OPCODE = 0x0101,
    FABRIC_PFC_FRAME = FABRIC_MIN_FRAME, /* FCS included */
    /* AETH syndromes of NAKs (IBA 9.7.5.2.9): 011 and a NAK code, or 001 and an RNR timer for RNR NAK */
    FABRIC_AETH_NAK_PSN_ERROR = 0x60,
    FABRIC_AETH_NAK_INVALID_REQUEST = 0x61,
    FABRIC_AETH_NAK_REMOTE_ACCESS = 0x62,
    FABRIC_AETH_NAK_REMOTE_OPERATIONAL = 0x63,
    FABRIC_AETH_RNR_NAK = 0x20, /* | the 5-bit RNR timer code */
    /* The largest DATA payload: IPv4's 16-bit total length must hold IP, UDP, BTH, payload and ICRC. */
    FABRIC_WIRE_MAX_PAYLOAD = 65535 - FABRIC_IPV4_HEADER - FABRIC_UDP_HEADER - FABRIC_BTH - FABRIC_ICRC,
    FABRIC_WIRE_MAX_NODE = 65535, /* fabric_host_ipv4 and the PFC source MAC hold 16-bit node numbers */
};

/* The frame length, FCS included, that the encoder produces: PFC 64; NIC traffic fabric_rdma_frame_bytes(
 * bth_opcode, payload); flow traffic DATA fabric_data_frame_bytes(payload), ACK/NACK FABRIC_ROCE_OVERHEAD +
 * FABRIC_AETH, CNP FABRIC_ROCE_OVERHEAD + FABRIC_CNP_PAD. 0 when p cannot go on the wire: an unknown kind, a
 * flow DATA payload over FABRIC_WIRE_MAX_PAYLOAD, or what fabric_rc_opcode_for refuses (a flow DATA opcode
 * other than SEND FIRST/MIDDLE/LAST/ONLY; NIC traffic whose kind, opcode, syndrome and payload do not fit
 * together). The simulator sets frame_bytes from it so that links carry what the wire would. */
uint32_t fabric_frame_bytes_for(const struct fabric_packet *p);

/* Writes p's Ethernet frame without FCS into frame[0..cap) and returns its length, which is
 * fabric_frame_bytes_for(p) - FABRIC_FCS. `payload` holds the p->payload bytes (for NIC traffic, pass
 * p->rdma->data); NULL writes zeros. Extension header values come from p->rdma. Returns 0, writing nothing,
 * when cap is too small or p cannot be put on the wire: fabric_frame_bytes_for(p) is 0, or a node number is
 * over FABRIC_WIRE_MAX_NODE. */
size_t fabric_wire_encode(const struct fabric_packet *p, const uint8_t *payload, uint8_t *frame, size_t cap);

/* Reads a frame written without FCS back into *out (cleared first; frame_bytes = len + FABRIC_FCS). Accepts
 * what the encoder writes, and RoCEv2 frames without an 802.1Q tag (priority then comes from DSCP / 8).
 * Checks every length, the IPv4 header checksum, the UDP checksum when it is not 0, and the ICRC. Every RC
 * opcode above is accepted: the bytes after the BTH must be exactly the opcode's extension headers, or, for
 * an opcode with a payload, at least those, and the pad count may not exceed the payload bytes (nor be
 * nonzero without a payload); payload = what follows the headers less the pad. ACKNOWLEDGE is ACK or NACK by
 * its AETH syndrome (000xxxxx ACK, 001xxxxx RNR NAK and 011xxxxx NAK are NACK); other AETHs must hold ACKs.
 * Fields not on the wire (flow, sent_at, ingress_port of RoCE frames) stay 0. On failure the message says
 * what is wrong, naming the layer and field, and *out is left cleared. */
bool fabric_wire_decode(const uint8_t *frame, size_t len, struct fabric_packet *out, struct vdc_error *err);

/* fabric_wire_decode that also keeps what NIC traffic carries: when rdma is not NULL it is cleared, and for a
 * RoCEv2 frame it receives the extension header values (va, rkey, dma_length, immediate, msn, swap_add,
 * compare, original) and the payload bytes in data, and out->rdma points at it; a payload over
 * FABRIC_RDMA_MAX_PAYLOAD is then refused. PFC frames leave out->rdma NULL. */
bool fabric_wire_decode_rdma(const uint8_t *frame, size_t len, struct fabric_packet *out, struct fabric_rdma *rdma,
                             struct vdc_error *err);

/* The RoCEv2 ICRC of an IPv4 packet: `ip_packet` starts at the IPv4 header (20 bytes, no options) and `len`
 * covers everything up to, not including, the ICRC. Per IBA Annex A17: CRC-32 over 8 bytes of 0xFF standing
 * for the absent LRH/GRH, then the packet with IPv4 TOS, TTL and header checksum, the UDP checksum and the
 * BTH's F/B/resv6 byte all set to ones. The ICRC field carries this value least significant byte first. */
uint32_t fabric_roce_icrc(const uint8_t *ip_packet, size_t len);

/* The IPv4 header checksum of `len` bytes whose checksum field is zero (or, to verify, 0 when it is right). */
uint16_t fabric_ipv4_checksum(const uint8_t *header, size_t len);

/* MAC addresses the encoder uses: a host's from its node number, a PFC sender's from its node and port. */
void fabric_host_mac(uint32_t node, uint8_t mac[6]);
void fabric_port_mac(uint32_t node, uint16_t port, uint8_t mac[6]);

#endif
