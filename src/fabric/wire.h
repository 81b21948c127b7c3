/* Real wire bytes of a fabric packet: RoCEv2 (Ethernet, 802.1Q, IPv4, UDP, BTH, AETH, ICRC) and 802.1Qbb PFC. */
#ifndef VDC_FABRIC_WIRE_H
#define VDC_FABRIC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/error.h"
#include "packet.h"

/* What the encoder writes beyond struct fabric_packet's fields.
 *
 * Every frame is written without its FCS, as pcap's LINKTYPE_ETHERNET stores it, and is
 * fabric_frame_bytes_for(p) - FABRIC_FCS bytes long.
 *
 * RoCEv2 frames (DATA, ACK, NACK, CNP):
 *   Ethernet  dst/src MAC 02:00:<the host's IPv4 address> (locally administered, unicast)
 *   802.1Q    PCP = priority, DEI 0, VLAN id FABRIC_WIRE_VLAN_ID (0: a priority-tagged frame)
 *   IPv4      DSCP = priority * 8 (class selector CS<priority>, so a switch that trusts DSCP finds the same
 *             priority as one that trusts the PCP), ECN = ecn, identification = PSN's low 16 bits, DF set,
 *             TTL = ttl or FABRIC_WIRE_DEFAULT_TTL when ttl is 0, addresses fabric_host_ipv4(src/dst_host)
 *   UDP       source port udp_source_port, destination 4791, checksum 0 (RoCEv2 over IPv4 allows it)
 *   BTH       DATA: opcode bth_opcode, which must be SEND FIRST/MIDDLE/LAST/ONLY; ACK/NACK: ACKNOWLEDGE;
 *             CNP: 0x81 (bth_opcode is not read for those three). SE 0, M 1 except on CNPs (a QP without an
 *             alternate path is in the Migrated state, as ConnectX NICs send it), PadCnt 0, TVer 0,
 *             P_Key 0xFFFF, FECN 0, BECN 1 on CNPs only (as ConnectX NICs send them), DestQP dest_qp,
 *             A = ack_request, PSN = psn; QPN and PSN keep their low 24 bits
 *   AETH      ACK/NACK: syndrome aeth_syndrome, MSN 0 (vdc does not model messages)
 *   CNP       16 reserved zero bytes
 *   payload   DATA: `payload` bytes. PadCnt stays 0: frame_bytes counts no BTH pad, so a payload that is not
 *             a multiple of 4 is written as it is (a real NIC would append 4 - payload % 4 pad bytes)
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
    FABRIC_AETH_NAK_PSN_ERROR = 0x60,    /* AETH syndrome of a NAK for a PSN sequence error */
    /* The largest DATA payload: IPv4's 16-bit total length must hold IP, UDP, BTH, payload and ICRC. */
    FABRIC_WIRE_MAX_PAYLOAD = 65535 - FABRIC_IPV4_HEADER - FABRIC_UDP_HEADER - FABRIC_BTH - FABRIC_ICRC,
    FABRIC_WIRE_MAX_NODE = 65535, /* fabric_host_ipv4 and the PFC source MAC hold 16-bit node numbers */
};

/* The frame length, FCS included, that the encoder produces: DATA fabric_data_frame_bytes(payload),
 * ACK/NACK FABRIC_ROCE_OVERHEAD + FABRIC_AETH, CNP FABRIC_ROCE_OVERHEAD + FABRIC_CNP_PAD, PFC 64; 0 for an
 * unknown kind or a DATA payload over FABRIC_WIRE_MAX_PAYLOAD. The simulator sets frame_bytes from it so that links carry what the wire would. */
uint32_t fabric_frame_bytes_for(const struct fabric_packet *p);

/* Writes p's Ethernet frame without FCS into frame[0..cap) and returns its length, which is
 * fabric_frame_bytes_for(p) - FABRIC_FCS. `payload` holds DATA's p->payload bytes; NULL writes zeros.
 * Returns 0, writing nothing, when cap is too small or p cannot be put on the wire: an unknown kind, a DATA
 * opcode other than SEND FIRST/MIDDLE/LAST/ONLY, a payload over FABRIC_WIRE_MAX_PAYLOAD, a node number over
 * FABRIC_WIRE_MAX_NODE. */
size_t fabric_wire_encode(const struct fabric_packet *p, const uint8_t *payload, uint8_t *frame, size_t cap);

/* Reads a frame written without FCS back into *out (cleared first; frame_bytes = len + FABRIC_FCS). Accepts
 * what the encoder writes, and RoCEv2 frames without an 802.1Q tag (priority then comes from DSCP / 8).
 * Checks every length, the IPv4 header checksum, the UDP checksum when it is not 0, and the ICRC; ACK or
 * NACK is told by the AETH syndrome (000xxxxx ACK, 011xxxxx NAK). On failure the message says what is
 * wrong and at which layer. */
bool fabric_wire_decode(const uint8_t *frame, size_t len, struct fabric_packet *out, struct vdc_error *err);

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
