/* RoCEv2 and PFC frames from struct fabric_packet and back, with the IPv4 checksum and the RoCEv2 ICRC. */
#include "fabric/wire.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "common/bytes.h"
#include "fabric/wire_rc.h"

/* Offsets inside an IPv4 RoCEv2 packet, from the start of its IPv4 header. */
enum {
    IP_TOS = 1,
    IP_TOTAL_LENGTH = 2,
    IP_IDENTIFICATION = 4,
    IP_FLAGS_FRAGMENT = 6,
    IP_TTL = 8,
    IP_PROTOCOL = 9,
    IP_CHECKSUM = 10,
    IP_SOURCE = 12,
    IP_DESTINATION = 16,
    UDP_AT = FABRIC_IPV4_HEADER,
    UDP_CHECKSUM = UDP_AT + 6,
    BTH_AT = UDP_AT + FABRIC_UDP_HEADER,
    BTH_FECN_BECN = BTH_AT + 4, /* F, B and resv6: the byte the ICRC masks (resv8a in older IBA releases) */
    AFTER_BTH = BTH_AT + FABRIC_BTH,
    IP_PROTOCOL_UDP = 17,
    IP_DONT_FRAGMENT = 0x4000,
    ETH_MIN_WITHOUT_FCS = FABRIC_MIN_FRAME - FABRIC_FCS,
    TAGGED_ETH_HEADER = FABRIC_ETH_HEADER + FABRIC_VLAN_TAG,
};

enum { BTH_MIGRATED = 0x40, BTH_BECN = 0x40, BTH_ACK_REQUEST = 0x80, BTH_PAD_SHIFT = 4 };

static const uint8_t pfc_destination[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x01};

static uint32_t get32_little(const uint8_t *b)
{
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

void fabric_host_mac(uint32_t node, uint8_t mac[6])
{
    mac[0] = 0x02; /* locally administered, unicast */
    mac[1] = 0x00;
    be_put32(mac + 2, fabric_host_ipv4(node));
}

void fabric_port_mac(uint32_t node, uint16_t port, uint8_t mac[6])
{
    mac[0] = 0x02;
    mac[1] = 0xfc; /* keeps ports apart from hosts' 02:00 and from 02:01..02:1f, which Wireshark names MS-NLB */
    be_put16(mac + 2, node);
    be_put16(mac + 4, port);
}

/* Ones' complement sum of 16-bit big-endian words, an odd last byte padded with zero (RFC 1071). */
static uint32_t ones_sum(uint32_t sum, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += be_get16(b + i);
    if (len % 2)
        sum += (uint32_t)b[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint16_t fabric_ipv4_checksum(const uint8_t *header, size_t len)
{
    return (uint16_t)~ones_sum(0, header, len);
}

uint32_t fabric_roce_icrc(const uint8_t *ip_packet, size_t len)
{
    static const uint8_t absent_lrh_grh[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    /* Fields that routers may change on the way (and the checksums covering them) count as all ones. */
    static const uint8_t variant_bytes[] = {IP_TOS, IP_TTL, IP_CHECKSUM, IP_CHECKSUM + 1, UDP_CHECKSUM,
                                            UDP_CHECKSUM + 1, BTH_FECN_BECN};
    uint8_t head[AFTER_BTH];
    size_t head_len = len < sizeof head ? len : sizeof head;
    memcpy(head, ip_packet, head_len);
    for (size_t i = 0; i < sizeof variant_bytes; i++)
        if (variant_bytes[i] < head_len)
            head[variant_bytes[i]] = 0xff;
    uLong crc = crc32_z(0, Z_NULL, 0);
    crc = crc32_z(crc, absent_lrh_grh, sizeof absent_lrh_grh);
    crc = crc32_z(crc, head, head_len);
    crc = crc32_z(crc, ip_packet + head_len, len - head_len);
    return (uint32_t)crc;
}

uint32_t fabric_frame_bytes_for(const struct fabric_packet *p)
{
    if (p->kind == FABRIC_PKT_PFC)
        return FABRIC_PFC_FRAME;
    if (fabric_rc_opcode_for(p) == NULL)
        return 0;
    if (p->rdma != NULL)
        return fabric_rdma_frame_bytes(p->bth_opcode, p->payload);
    switch (p->kind) {
    case FABRIC_PKT_DATA: return p->payload > FABRIC_WIRE_MAX_PAYLOAD ? 0 : fabric_data_frame_bytes(p->payload);
    case FABRIC_PKT_ACK:
    case FABRIC_PKT_NACK: return FABRIC_ROCE_OVERHEAD + FABRIC_AETH;
    default: return FABRIC_ROCE_OVERHEAD + FABRIC_CNP_PAD;
    }
}

static void encode_pfc(const struct fabric_packet *p, uint8_t *frame, size_t len)
{
    memset(frame, 0, len);
    memcpy(frame, pfc_destination, sizeof pfc_destination);
    fabric_port_mac(p->src_host, p->ingress_port, frame + 6);
    be_put16(frame + 12, FABRIC_ETHERTYPE_MAC_CONTROL);
    be_put16(frame + 14, FABRIC_PFC_OPCODE);
    be_put16(frame + 16, p->pfc_classes);
    for (int c = 0; c < 8; c++)
        be_put16(frame + 18 + 2 * c, (p->pfc_classes >> c & 1) ? p->pfc_quanta : 0);
}

static void encode_roce(const struct fabric_packet *p, const struct fabric_rc_opcode *op, const uint8_t *payload,
                        uint8_t *frame, size_t len)
{
    uint8_t priority = p->priority & 7;
    fabric_host_mac(p->dst_host, frame);
    fabric_host_mac(p->src_host, frame + 6);
    be_put16(frame + 12, FABRIC_ETHERTYPE_VLAN);
    be_put16(frame + 14, (uint32_t)priority << 13 | FABRIC_WIRE_VLAN_ID);
    be_put16(frame + 16, FABRIC_ETHERTYPE_IPV4);

    uint8_t *ip = frame + TAGGED_ETH_HEADER;
    size_t ip_len = len - TAGGED_ETH_HEADER;
    ip[0] = 0x45; /* version 4, 5 words of header */
    ip[IP_TOS] = (uint8_t)(priority << 5 | (p->ecn & 3)); /* DSCP = priority * 8 */
    be_put16(ip + IP_TOTAL_LENGTH, (uint32_t)ip_len);
    be_put16(ip + IP_IDENTIFICATION, p->psn & 0xffff);
    be_put16(ip + IP_FLAGS_FRAGMENT, IP_DONT_FRAGMENT);
    ip[IP_TTL] = p->ttl ? p->ttl : FABRIC_WIRE_DEFAULT_TTL;
    ip[IP_PROTOCOL] = IP_PROTOCOL_UDP;
    be_put16(ip + IP_CHECKSUM, 0);
    be_put32(ip + IP_SOURCE, fabric_host_ipv4(p->src_host));
    be_put32(ip + IP_DESTINATION, fabric_host_ipv4(p->dst_host));
    be_put16(ip + IP_CHECKSUM, fabric_ipv4_checksum(ip, FABRIC_IPV4_HEADER));

    uint8_t *udp = ip + UDP_AT;
    be_put16(udp, p->udp_source_port);
    be_put16(udp + 2, FABRIC_ROCE_UDP_PORT);
    be_put16(udp + 4, (uint32_t)(ip_len - FABRIC_IPV4_HEADER));
    be_put16(udp + 6, 0);

    uint8_t *bth = ip + BTH_AT;
    bool cnp = p->kind == FABRIC_PKT_CNP;
    /* Flow traffic carries no pad (its payloads need not be multiples of 4); a NIC's pads to 4 bytes as IBA does. */
    unsigned pad = p->rdma != NULL && (op->parts & FABRIC_RC_PAYLOAD) ? (4 - p->payload % 4) % 4 : 0;
    bth[0] = op->code;
    bth[1] = (uint8_t)((cnp ? 0 : BTH_MIGRATED) | pad << BTH_PAD_SHIFT);
    be_put16(bth + 2, 0xffff);
    bth[4] = cnp ? BTH_BECN : 0;
    be_put24(bth + 5, p->dest_qp & 0xffffff);
    bth[8] = p->ack_request ? BTH_ACK_REQUEST : 0;
    be_put24(bth + 9, p->psn & 0xffffff);

    fabric_rc_write(p, op, payload, pad, ip + AFTER_BTH);
    uint32_t icrc = fabric_roce_icrc(ip, ip_len - FABRIC_ICRC);
    uint8_t *icrc_at = ip + ip_len - FABRIC_ICRC;
    for (int i = 0; i < 4; i++)
        icrc_at[i] = (uint8_t)(icrc >> (8 * i));
}

size_t fabric_wire_encode(const struct fabric_packet *p, const uint8_t *payload, uint8_t *frame, size_t cap)
{
    if (p == NULL || frame == NULL)
        return 0;
    uint32_t frame_bytes = fabric_frame_bytes_for(p);
    if (frame_bytes == 0 || frame_bytes - FABRIC_FCS > cap)
        return 0;
    size_t len = frame_bytes - FABRIC_FCS;
    if (p->kind == FABRIC_PKT_PFC) {
        if (p->src_host > FABRIC_WIRE_MAX_NODE)
            return 0;
        encode_pfc(p, frame, len);
        return len;
    }
    if (p->src_host > FABRIC_WIRE_MAX_NODE || p->dst_host > FABRIC_WIRE_MAX_NODE)
        return 0;
    encode_roce(p, fabric_rc_opcode_for(p), payload, frame, len);
    return len;
}

static void format_mac(const uint8_t *mac, char text[18])
{
    snprintf(text, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static bool decode_pfc(const uint8_t *frame, size_t len, struct fabric_packet *out, struct vdc_error *err)
{
    char mac[18];
    if (len < ETH_MIN_WITHOUT_FCS)
        return vdc_fail(err, "truncated PFC frame: %zu bytes, a MAC control frame has %d without FCS", len,
                        ETH_MIN_WITHOUT_FCS);
    if (len > ETH_MIN_WITHOUT_FCS)
        return vdc_fail(err, "PFC frame of %zu bytes, longer than a MAC control frame's %d without FCS (is the FCS "
                        "still on it?)", len, ETH_MIN_WITHOUT_FCS);
    if (memcmp(frame, pfc_destination, sizeof pfc_destination) != 0) {
        format_mac(frame, mac);
        return vdc_fail(err, "MAC control frame sent to %s; PFC frames go to 01:80:c2:00:00:01", mac);
    }
    uint16_t opcode = be_get16(frame + 14);
    if (opcode != FABRIC_PFC_OPCODE)
        return vdc_fail(err, "MAC control opcode 0x%04x is not PFC (0x0101)", opcode);
    uint16_t classes = be_get16(frame + 16);
    if (classes > 0xff)
        return vdc_fail(err, "PFC class-enable vector 0x%04x enables classes above 7", classes);
    int first = -1;
    uint16_t quanta = 0;
    for (int c = 0; c < 8; c++) {
        if (!(classes >> c & 1))
            continue;
        uint16_t q = be_get16(frame + 18 + 2 * c);
        if (first < 0) {
            first = c;
            quanta = q;
        } else if (q != quanta) {
            return vdc_fail(err, "PFC pause times differ between enabled classes (class %d: %u, class %d: %u); "
                            "vdc pauses every class of one frame for the same time", first, quanta, c, q);
        }
    }
    const uint8_t *source = frame + 6;
    if (source[0] != 0x02 || source[1] != 0xfc) {
        format_mac(source, mac);
        return vdc_fail(err, "PFC source MAC %s is not a vdc port address (02:fc:<node>:<port>)", mac);
    }
    out->kind = FABRIC_PKT_PFC;
    out->pfc_classes = (uint8_t)classes;
    out->pfc_quanta = quanta;
    out->src_host = be_get16(source + 2);
    out->ingress_port = be_get16(source + 4);
    out->frame_bytes = (uint32_t)len + FABRIC_FCS;
    return true;
}

static void format_ipv4(uint32_t address, char text[16])
{
    snprintf(text, 16, "%u.%u.%u.%u", address >> 24, address >> 16 & 0xff, address >> 8 & 0xff, address & 0xff);
}

/* The node whose fabric_host_ipv4 is `address`, if any. */
static bool host_of_ipv4(uint32_t address, uint32_t *node)
{
    uint32_t candidate = (address >> 16 & 0xff) * 256 + (address >> 8 & 0xff);
    if (fabric_host_ipv4(candidate) != address)
        return false;
    *node = candidate;
    return true;
}

static bool decode_ipv4_udp(const uint8_t *ip, size_t available, size_t frame_len, size_t ip_at,
                            struct fabric_packet *out, struct vdc_error *err)
{
    if (available < FABRIC_IPV4_HEADER)
        return vdc_fail(err, "truncated frame: %zu bytes end inside the IPv4 header, which needs %zu", frame_len,
                        ip_at + FABRIC_IPV4_HEADER);
    if (ip[0] >> 4 != 4)
        return vdc_fail(err, "IP version %u where IPv4 (4) was expected", ip[0] >> 4);
    if ((ip[0] & 0xf) != 5)
        return vdc_fail(err, "IPv4 header of %u bytes carries options; RoCEv2 frames have a 20-byte header",
                        (ip[0] & 0xfu) * 4);
    size_t total = be_get16(ip + IP_TOTAL_LENGTH);
    if (total < FABRIC_IPV4_HEADER + FABRIC_UDP_HEADER)
        return vdc_fail(err, "IPv4 total length %zu leaves no room for its header and a UDP header (28 bytes)", total);
    if (total > available)
        return vdc_fail(err, "truncated frame: IPv4 total length %zu needs %zu bytes, the frame has %zu", total,
                        ip_at + total, frame_len);
    if (total < available && frame_len != ETH_MIN_WITHOUT_FCS)
        return vdc_fail(err, "%zu bytes follow the IPv4 packet (total length %zu) in a frame longer than the "
                        "Ethernet minimum, which needs no padding", available - total, total);
    uint16_t checksum = be_get16(ip + IP_CHECKSUM);
    if (fabric_ipv4_checksum(ip, FABRIC_IPV4_HEADER) != 0) {
        uint8_t header[FABRIC_IPV4_HEADER];
        memcpy(header, ip, sizeof header);
        be_put16(header + IP_CHECKSUM, 0);
        return vdc_fail(err, "IPv4 header checksum 0x%04x is wrong (expected 0x%04x)", checksum,
                        fabric_ipv4_checksum(header, sizeof header));
    }
    uint16_t fragment = be_get16(ip + IP_FLAGS_FRAGMENT) & 0x3fff;
    if (fragment != 0)
        return vdc_fail(err, "IPv4 fragment (more-fragments flag and offset 0x%04x); RoCEv2 packets are never "
                        "fragmented", fragment);
    if (ip[IP_PROTOCOL] != IP_PROTOCOL_UDP)
        return vdc_fail(err, "IPv4 protocol %u is not UDP (17)", ip[IP_PROTOCOL]);
    char text[16];
    uint32_t source = be_get32(ip + IP_SOURCE), destination = be_get32(ip + IP_DESTINATION);
    if (!host_of_ipv4(source, &out->src_host)) {
        format_ipv4(source, text);
        return vdc_fail(err, "IPv4 source %s is not a vdc host address (11.<node / 256>.<node %% 256>.1)", text);
    }
    if (!host_of_ipv4(destination, &out->dst_host)) {
        format_ipv4(destination, text);
        return vdc_fail(err, "IPv4 destination %s is not a vdc host address (11.<node / 256>.<node %% 256>.1)",
                        text);
    }

    const uint8_t *udp = ip + UDP_AT;
    size_t udp_len = be_get16(udp + 4);
    if (udp_len != total - FABRIC_IPV4_HEADER)
        return vdc_fail(err, "UDP length %zu does not match the %zu bytes that IPv4 carries after its header",
                        udp_len, total - FABRIC_IPV4_HEADER);
    uint16_t port = be_get16(udp + 2);
    if (port != FABRIC_ROCE_UDP_PORT)
        return vdc_fail(err, "UDP destination port %u is not RoCEv2's 4791", port);
    uint16_t udp_checksum = be_get16(udp + 6);
    if (udp_checksum != 0) {
        uint8_t pseudo[12];
        memcpy(pseudo, ip + IP_SOURCE, 8);
        pseudo[8] = 0;
        pseudo[9] = IP_PROTOCOL_UDP;
        be_put16(pseudo + 10, (uint32_t)udp_len);
        if ((uint16_t)~ones_sum(ones_sum(0, pseudo, sizeof pseudo), udp, udp_len) != 0) {
            uint32_t sum = ones_sum(ones_sum(0, pseudo, sizeof pseudo), udp, 6);
            uint16_t expected = (uint16_t)~ones_sum(sum, udp + 8, udp_len - 8);
            return vdc_fail(err, "UDP checksum 0x%04x is wrong (expected 0x%04x, or 0 for none)", udp_checksum,
                            expected ? expected : 0xffff);
        }
    }
    out->ecn = ip[IP_TOS] & 3;
    out->priority = ip[IP_TOS] >> 5; /* DSCP / 8, unless an 802.1Q tag says otherwise */
    out->ttl = ip[IP_TTL];
    out->udp_source_port = be_get16(udp);
    return true;
}

static bool decode_transport(const uint8_t *ip, size_t total, struct fabric_packet *out, struct fabric_rdma *rdma,
                             struct vdc_error *err)
{
    if (total < AFTER_BTH + FABRIC_ICRC)
        return vdc_fail(err, "truncated packet: the %zu bytes after the UDP header cannot hold a BTH and an ICRC "
                        "(16 bytes)", total - BTH_AT);
    const uint8_t *bth = ip + BTH_AT;
    unsigned version = bth[1] & 0xf;
    if (version != 0)
        return vdc_fail(err, "BTH transport header version %u where 0 was expected", version);
    uint32_t stored = get32_little(ip + total - FABRIC_ICRC);
    uint32_t computed = fabric_roce_icrc(ip, total - FABRIC_ICRC);
    if (stored != computed)
        return vdc_fail(err, "ICRC 0x%08x is wrong (expected 0x%08x)", stored, computed);

    uint8_t opcode = bth[0];
    unsigned pad = bth[1] >> BTH_PAD_SHIFT & 3;
    if (!fabric_rc_read(ip + AFTER_BTH, total - AFTER_BTH - FABRIC_ICRC, opcode, pad, out, rdma, err))
        return false;
    out->bth_opcode = opcode;
    out->dest_qp = be_get24(bth + 5);
    out->ack_request = (bth[8] & BTH_ACK_REQUEST) != 0;
    out->psn = be_get24(bth + 9);
    return true;
}

static bool decode_frame(const uint8_t *frame, size_t len, struct fabric_packet *out, struct fabric_rdma *rdma,
                         struct vdc_error *err)
{
    if (frame == NULL)
        return vdc_fail(err, "no frame to decode");
    if (len < FABRIC_ETH_HEADER)
        return vdc_fail(err, "truncated frame: %zu bytes, shorter than an Ethernet header (14)", len);
    uint16_t type = be_get16(frame + 12);
    if (type == FABRIC_ETHERTYPE_MAC_CONTROL)
        return decode_pfc(frame, len, out, err);
    size_t ip_at = FABRIC_ETH_HEADER;
    bool tagged = type == FABRIC_ETHERTYPE_VLAN;
    if (tagged) {
        if (len < TAGGED_ETH_HEADER)
            return vdc_fail(err, "truncated frame: %zu bytes end inside the 802.1Q tag, which needs %d", len,
                            TAGGED_ETH_HEADER);
        type = be_get16(frame + 16);
        ip_at = TAGGED_ETH_HEADER;
    }
    if (type != FABRIC_ETHERTYPE_IPV4)
        return vdc_fail(err, "EtherType 0x%04x is not IPv4 (0x0800)%s; vdc decodes RoCEv2 over IPv4 and PFC frames",
                        type, tagged ? " inside the 802.1Q tag" : ", 802.1Q (0x8100) or MAC control (0x8808)");
    const uint8_t *ip = frame + ip_at;
    if (!decode_ipv4_udp(ip, len - ip_at, len, ip_at, out, err) ||
        !decode_transport(ip, be_get16(ip + IP_TOTAL_LENGTH), out, rdma, err))
        return false;
    if (tagged)
        out->priority = frame[14] >> 5;
    out->frame_bytes = (uint32_t)len + FABRIC_FCS;
    out->rdma = rdma;
    return true;
}

bool fabric_wire_decode_rdma(const uint8_t *frame, size_t len, struct fabric_packet *out, struct fabric_rdma *rdma,
                             struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (rdma != NULL)
        memset(rdma, 0, sizeof *rdma);
    if (decode_frame(frame, len, out, rdma, err))
        return true;
    memset(out, 0, sizeof *out); /* nothing half-decoded is left behind */
    if (rdma != NULL)
        memset(rdma, 0, sizeof *rdma);
    return false;
}

bool fabric_wire_decode(const uint8_t *frame, size_t len, struct fabric_packet *out, struct vdc_error *err)
{
    return fabric_wire_decode_rdma(frame, len, out, NULL, err);
}
