/* Wire frames: lengths, checksums and ICRC checked independently, round trips, refusals, and tshark's reading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/fabric/wire.h"
#include "../../src/report/pcap.h"
#include "../../src/scheduler/rng.h"
#include "../suites.h"
#include "../rigs/wire_reference.h"

enum { BUFFER = 70000 };

static struct fabric_packet data_packet(uint32_t payload)
{
    struct fabric_packet p = {
        .kind = FABRIC_PKT_DATA, .priority = 3, .ecn = FABRIC_ECN_CE, .bth_opcode = FABRIC_OP_SEND_MIDDLE,
        .ttl = 63, .ack_request = true, .udp_source_port = 49152, .src_host = 2, .dst_host = 300,
        .dest_qp = 0x123456, .psn = 0xabcdef, .payload = payload,
    };
    p.frame_bytes = fabric_frame_bytes_for(&p);
    return p;
}

static struct fabric_packet ack_packet(enum fabric_packet_kind kind)
{
    struct fabric_packet p = {
        .kind = kind, .priority = 3, .ecn = FABRIC_ECN_ECT0, .bth_opcode = FABRIC_OP_ACKNOWLEDGE,
        .aeth_syndrome = kind == FABRIC_PKT_NACK ? FABRIC_AETH_NAK_PSN_ERROR : 0x1f, .udp_source_port = 49153,
        .src_host = 300, .dst_host = 2, .dest_qp = 0x11, .psn = kind == FABRIC_PKT_NACK ? 0xabcd00 : 0xabcdef,
    };
    p.frame_bytes = fabric_frame_bytes_for(&p);
    return p;
}

static struct fabric_packet cnp_packet(void)
{
    struct fabric_packet p = {
        .kind = FABRIC_PKT_CNP, .priority = 6, .ecn = FABRIC_ECN_ECT0, .bth_opcode = FABRIC_OP_CNP,
        .udp_source_port = 49154, .src_host = 300, .dst_host = 2, .dest_qp = 0x11,
    };
    p.frame_bytes = fabric_frame_bytes_for(&p);
    return p;
}

static struct fabric_packet pfc_packet(uint16_t quanta)
{
    struct fabric_packet p = {
        .kind = FABRIC_PKT_PFC, .pfc_classes = 0x08, .pfc_quanta = quanta, .src_host = 5, .ingress_port = 7,
    };
    p.frame_bytes = fabric_frame_bytes_for(&p);
    return p;
}

START_TEST(every_kind_has_the_modelled_length)
{
    static uint8_t frame[BUFFER];
    const struct {
        struct fabric_packet p;
        uint32_t frame_bytes;
    } cases[] = {
        {data_packet(1000), 1066}, {data_packet(0), 66},     {data_packet(1), 67},
        {data_packet(FABRIC_WIRE_MAX_PAYLOAD), 65557},       {ack_packet(FABRIC_PKT_ACK), 70},
        {ack_packet(FABRIC_PKT_NACK), 70},                    {cnp_packet(), 82},
        {pfc_packet(0xffff), 64},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct fabric_packet *p = &cases[i].p;
        ck_assert_uint_eq(p->frame_bytes, cases[i].frame_bytes);
        size_t len = fabric_wire_encode(p, NULL, frame, sizeof frame);
        ck_assert_msg(len + FABRIC_FCS == p->frame_bytes, "case %zu: %zu bytes + FCS for frame_bytes %u", i, len,
                      p->frame_bytes);
        if (p->kind == FABRIC_PKT_DATA)
            ck_assert_uint_eq(p->frame_bytes, fabric_data_frame_bytes(p->payload));
        /* The exact capacity is enough; one byte less writes nothing. */
        ck_assert_uint_eq(fabric_wire_encode(p, NULL, frame, len), len);
        ck_assert_uint_eq(fabric_wire_encode(p, NULL, frame, len - 1), 0);
    }
}
END_TEST

START_TEST(roce_headers_are_laid_out_as_specified)
{
    uint8_t frame[128];
    struct fabric_packet p = ack_packet(FABRIC_PKT_NACK);
    p.ttl = 9;
    size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
    ck_assert_uint_eq(len, 66);
    static const uint8_t expected[62] = {
        0x02, 0x00, 0x0b, 0x00, 0x02, 0x01,             /* destination: 02:00 + 11.0.2.1 (node 2) */
        0x02, 0x00, 0x0b, 0x01, 0x2c, 0x01,             /* source: 02:00 + 11.1.44.1 (node 300) */
        0x81, 0x00, 0x60, 0x00,                         /* 802.1Q: PCP 3, VLAN 0 */
        0x08, 0x00,                                     /* IPv4 */
        0x45, 0x62, 0x00, 0x30,                         /* DSCP 24 (CS3), ECT(0); total length 48 */
        0xcd, 0x00, 0x40, 0x00,                         /* identification = PSN & 0xffff; DF */
        0x09, 0x11, 0x00, 0x00,                         /* TTL 9, UDP, checksum (checked below) */
        0x0b, 0x01, 0x2c, 0x01, 0x0b, 0x00, 0x02, 0x01, /* addresses */
        0xc0, 0x01, 0x12, 0xb7, 0x00, 0x1c, 0x00, 0x00, /* UDP 49153 -> 4791, length 28, no checksum */
        0x11, 0x40, 0xff, 0xff,                         /* ACKNOWLEDGE; M; P_Key 0xffff */
        0x00, 0x00, 0x00, 0x11,                         /* F/B/resv6 0, QP 0x11 */
        0x00, 0xab, 0xcd, 0x00,                         /* A 0, PSN */
        0x60, 0x00, 0x00, 0x00,                         /* AETH: NAK (PSN sequence error), MSN 0 */
    };
    uint8_t got[62];
    memcpy(got, frame, sizeof got);
    got[28] = got[29] = 0; /* the checksum, verified on its own */
    for (size_t i = 0; i < sizeof expected; i++)
        ck_assert_msg(got[i] == expected[i], "byte %zu is 0x%02x, expected 0x%02x", i, got[i], expected[i]);
    ck_assert_uint_eq(reference_header_sum(frame + TAGGED), 0xffff);
    ck_assert_uint_eq(stored_icrc(frame, len), reference_icrc(frame + TAGGED, len - TAGGED - 4));

    /* CNPs carry BECN and no MigReq, as ConnectX NICs send them; TTL 0 in the model means 64. */
    struct fabric_packet c = cnp_packet();
    len = fabric_wire_encode(&c, NULL, frame, sizeof frame);
    ck_assert_uint_eq(frame[TAGGED + 8], 64);
    ck_assert_uint_eq(frame[TAGGED + 1], 6 << 5 | FABRIC_ECN_ECT0);
    ck_assert_uint_eq(frame[TAGGED + 28], 0x81);
    ck_assert_uint_eq(frame[TAGGED + 29], 0x00);
    ck_assert_uint_eq(frame[TAGGED + 32], 0x40);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(frame[TAGGED + 40 + i], 0);
}
END_TEST

START_TEST(pfc_frame_is_laid_out_as_specified)
{
    uint8_t frame[64];
    struct fabric_packet p = pfc_packet(0x1234);
    p.pfc_classes = 0x88;
    ck_assert_uint_eq(fabric_wire_encode(&p, NULL, frame, sizeof frame), 60);
    static const uint8_t expected[60] = {
        0x01, 0x80, 0xc2, 0x00, 0x00, 0x01, 0x02, 0xfc, 0x00, 0x05, 0x00, 0x07, 0x88, 0x08, /* MAC control */
        0x01, 0x01, 0x00, 0x88,                                     /* PFC; classes 3 and 7 */
        0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0, 0, 0x12, 0x34, /* pause times of classes 0..7 */
    };
    ck_assert_mem_eq(frame, expected, sizeof expected);
}
END_TEST

START_TEST(icrc_matches_an_independent_crc)
{
    static uint8_t frame[BUFFER];
    static uint8_t payload[9000];
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 11, 0);
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)vdc_rng_next(&rng);
    struct fabric_packet packets[] = {data_packet(1000), data_packet(9000), data_packet(3), data_packet(0),
                                      ack_packet(FABRIC_PKT_ACK), ack_packet(FABRIC_PKT_NACK), cnp_packet()};
    for (size_t i = 0; i < sizeof packets / sizeof packets[0]; i++) {
        size_t len = fabric_wire_encode(&packets[i], payload, frame, sizeof frame);
        ck_assert_uint_gt(len, 0);
        ck_assert_uint_eq(reference_header_sum(frame + TAGGED), 0xffff);
        uint32_t expected = reference_icrc(frame + TAGGED, len - TAGGED - 4);
        ck_assert_msg(stored_icrc(frame, len) == expected, "packet %zu: ICRC 0x%08x, expected 0x%08x", i,
                      stored_icrc(frame, len), expected);
        ck_assert_uint_eq(fabric_roce_icrc(frame + TAGGED, len - TAGGED - 4), expected);
        if (packets[i].kind == FABRIC_PKT_DATA)
            ck_assert_mem_eq(frame + TAGGED + 40, payload, packets[i].payload);
    }
}
END_TEST

/* A CNP captured from a ConnectX-4 Lx NIC (published with Scapy's RoCE tests): untagged, DSCP 48, ECT(0),
 * BECN set; its last four bytes are the ICRC the hardware computed. */
static const uint8_t connectx_cnp[74] = {
    0xe4, 0x1d, 0x2d, 0xab, 0x2b, 0xc2, 0x7c, 0xfe, 0x90, 0x64, 0x3b, 0x32, 0x08, 0x00, 0x45, 0xc2,
    0x00, 0x3c, 0x71, 0x8c, 0x40, 0x00, 0x40, 0x11, 0x91, 0x61, 0x0a, 0x00, 0x11, 0x01, 0x0a, 0x00,
    0x12, 0x01, 0x00, 0x00, 0x12, 0xb7, 0x00, 0x28, 0x00, 0x00, 0x81, 0x00, 0xff, 0xff, 0x40, 0x00,
    0x01, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x82, 0xfd, 0x00, 0x2a,
};

START_TEST(icrc_matches_hardware)
{
    const uint8_t *ip = connectx_cnp + 14;
    size_t ip_len = sizeof connectx_cnp - 14 - 4;
    ck_assert_uint_eq(fabric_roce_icrc(ip, ip_len), 0x2a00fd82);
    ck_assert_uint_eq(stored_icrc(connectx_cnp, sizeof connectx_cnp), 0x2a00fd82);
    ck_assert_uint_eq(reference_icrc(ip, ip_len), 0x2a00fd82);
    ck_assert_uint_eq(fabric_ipv4_checksum(ip, 20), 0);
    /* The decoder reads it up to its addresses, which are not vdc's. */
    struct fabric_packet out;
    struct vdc_error err;
    ck_assert(!fabric_wire_decode(connectx_cnp, sizeof connectx_cnp, &out, &err));
    ck_assert_str_eq(err.text, "IPv4 source 10.0.17.1 is not a vdc host address (11.<node / 256>.<node % 256>.1)");

    /* Moved to vdc's addresses (checksum and ICRC recomputed here), it decodes as a CNP. */
    uint8_t moved[sizeof connectx_cnp];
    memcpy(moved, connectx_cnp, sizeof moved);
    uint8_t *mip = moved + 14;
    memcpy(mip + 12, (const uint8_t[]){0x0b, 0x00, 0x07, 0x01, 0x0b, 0x00, 0x09, 0x01}, 8);
    set_ip_checksum(mip);
    uint32_t icrc = reference_icrc(mip, ip_len);
    for (int i = 0; i < 4; i++)
        moved[sizeof moved - 4 + i] = (uint8_t)(icrc >> (8 * i));
    ck_assert_msg(fabric_wire_decode(moved, sizeof moved, &out, &err), "%s", err.text);
    ck_assert_uint_eq(out.kind, FABRIC_PKT_CNP);
    ck_assert_uint_eq(out.src_host, 7);
    ck_assert_uint_eq(out.dst_host, 9);
    ck_assert_uint_eq(out.dest_qp, 0x118);
    ck_assert_uint_eq(out.priority, 6); /* untagged: DSCP 48 / 8 */
    ck_assert_uint_eq(out.ecn, FABRIC_ECN_ECT0);
    ck_assert_uint_eq(out.frame_bytes, 78);
}
END_TEST

static void assert_same_packet(const struct fabric_packet *a, const struct fabric_packet *b, const char *what)
{
    ck_assert_msg(a->kind == b->kind, "%s: kind %u != %u", what, a->kind, b->kind);
    ck_assert_msg(a->frame_bytes == b->frame_bytes, "%s: frame_bytes %u != %u", what, a->frame_bytes,
                  b->frame_bytes);
    ck_assert_msg(a->src_host == b->src_host, "%s: src_host", what);
    if (a->kind == FABRIC_PKT_PFC) {
        ck_assert_msg(a->ingress_port == b->ingress_port, "%s: port", what);
        ck_assert_msg(a->pfc_classes == b->pfc_classes, "%s: classes", what);
        ck_assert_msg(a->pfc_quanta == b->pfc_quanta, "%s: quanta", what);
        return;
    }
    ck_assert_msg(a->dst_host == b->dst_host, "%s: dst_host", what);
    ck_assert_msg(a->priority == b->priority, "%s: priority", what);
    ck_assert_msg(a->ecn == b->ecn, "%s: ecn", what);
    ck_assert_msg(a->bth_opcode == b->bth_opcode, "%s: opcode", what);
    ck_assert_msg(a->ttl == b->ttl, "%s: ttl", what);
    ck_assert_msg(a->ack_request == b->ack_request, "%s: A bit", what);
    ck_assert_msg(a->udp_source_port == b->udp_source_port, "%s: UDP port", what);
    ck_assert_msg(a->dest_qp == b->dest_qp, "%s: QP", what);
    ck_assert_msg(a->psn == b->psn, "%s: PSN", what);
    ck_assert_msg(a->payload == b->payload, "%s: payload", what);
    if (a->kind == FABRIC_PKT_ACK || a->kind == FABRIC_PKT_NACK)
        ck_assert_msg(a->aeth_syndrome == b->aeth_syndrome, "%s: syndrome", what);
}

START_TEST(decode_reverses_encode)
{
    static uint8_t frame[BUFFER];
    static const uint8_t send_opcodes[] = {FABRIC_OP_SEND_FIRST, FABRIC_OP_SEND_MIDDLE, FABRIC_OP_SEND_LAST,
                                           FABRIC_OP_SEND_ONLY};
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 5, 1);
    for (int i = 0; i < 2000; i++) {
        struct fabric_packet p = {.kind = (uint8_t)vdc_rng_below(&rng, 5)};
        switch (p.kind) {
        case FABRIC_PKT_DATA:
            p.bth_opcode = send_opcodes[vdc_rng_below(&rng, 4)];
            p.payload = (uint32_t)vdc_rng_below(&rng, 4097);
            break;
        case FABRIC_PKT_ACK: p.aeth_syndrome = (uint8_t)vdc_rng_below(&rng, 32); break;
        case FABRIC_PKT_NACK: p.aeth_syndrome = (uint8_t)(0x60 | vdc_rng_below(&rng, 32)); break;
        case FABRIC_PKT_CNP: break;
        case FABRIC_PKT_PFC:
            p.pfc_classes = (uint8_t)vdc_rng_below(&rng, 256);
            p.pfc_quanta = p.pfc_classes ? (uint16_t)vdc_rng_next(&rng) : 0;
            p.ingress_port = (uint16_t)vdc_rng_next(&rng);
            break;
        }
        if (p.kind == FABRIC_PKT_ACK || p.kind == FABRIC_PKT_NACK)
            p.bth_opcode = FABRIC_OP_ACKNOWLEDGE;
        if (p.kind == FABRIC_PKT_CNP)
            p.bth_opcode = FABRIC_OP_CNP;
        p.src_host = (uint32_t)vdc_rng_below(&rng, FABRIC_WIRE_MAX_NODE + 1);
        if (p.kind != FABRIC_PKT_PFC) {
            p.dst_host = (uint32_t)vdc_rng_below(&rng, FABRIC_WIRE_MAX_NODE + 1);
            p.priority = (uint8_t)vdc_rng_below(&rng, 8);
            p.ecn = (uint8_t)vdc_rng_below(&rng, 4);
            p.ttl = (uint8_t)(1 + vdc_rng_below(&rng, 255));
            p.ack_request = vdc_rng_below(&rng, 2);
            p.udp_source_port = (uint16_t)vdc_rng_next(&rng);
            p.dest_qp = (uint32_t)vdc_rng_below(&rng, 1u << 24);
            p.psn = (uint32_t)vdc_rng_below(&rng, 1u << 24);
        }
        p.frame_bytes = fabric_frame_bytes_for(&p);
        size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
        ck_assert_uint_eq(len + FABRIC_FCS, p.frame_bytes);
        struct fabric_packet back;
        struct vdc_error err;
        char what[32];
        snprintf(what, sizeof what, "packet %d", i);
        ck_assert_msg(fabric_wire_decode(frame, len, &back, &err), "%s: %s", what, err.text);
        assert_same_packet(&p, &back, what);
    }
    /* Fields wider than the wire keep their low bits; TTL 0 in the model goes out as 64. */
    struct fabric_packet p = data_packet(16), back;
    p.psn = 0x7000001;
    p.dest_qp = 0x1000002;
    p.ttl = 0;
    size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
    ck_assert(fabric_wire_decode(frame, len, &back, NULL));
    ck_assert_uint_eq(back.psn, 1);
    ck_assert_uint_eq(back.dest_qp, 2);
    ck_assert_uint_eq(back.ttl, FABRIC_WIRE_DEFAULT_TTL);
}
END_TEST

START_TEST(encoder_refuses_what_the_wire_cannot_carry)
{
    static uint8_t frame[BUFFER];
    struct fabric_packet p = data_packet(100);
    p.bth_opcode = 0x06; /* RDMA WRITE FIRST: flow traffic has no RETH to give it */
    ck_assert_uint_eq(fabric_wire_encode(&p, NULL, frame, sizeof frame), 0);
    p = data_packet(FABRIC_WIRE_MAX_PAYLOAD + 1);
    ck_assert_uint_eq(p.frame_bytes, 0);
    ck_assert_uint_eq(fabric_wire_encode(&p, NULL, frame, sizeof frame), 0);
    p = data_packet(100);
    p.dst_host = FABRIC_WIRE_MAX_NODE + 1;
    ck_assert_uint_eq(fabric_wire_encode(&p, NULL, frame, sizeof frame), 0);
    p = pfc_packet(1);
    p.src_host = FABRIC_WIRE_MAX_NODE + 1;
    ck_assert_uint_eq(fabric_wire_encode(&p, NULL, frame, sizeof frame), 0);
    p.kind = 9;
    ck_assert_uint_eq(fabric_frame_bytes_for(&p), 0);
    ck_assert_uint_eq(fabric_wire_encode(&p, NULL, frame, sizeof frame), 0);
    ck_assert_uint_eq(fabric_wire_encode(NULL, NULL, frame, sizeof frame), 0);
}
END_TEST

/* A frame, an edit to it, and the decoder's exact complaint. */
struct refusal {
    const char *what;
    struct fabric_packet (*make)(void);
    size_t cut;             /* if not 0, the frame's new length */
    size_t extra;           /* zero bytes appended */
    int at;                 /* byte to set, or -1 */
    uint8_t value;
    int at2;                /* a second byte to set, or 0 */
    uint8_t value2;
    bool reseal;            /* recompute IP checksum and ICRC after the edit */
    const char *message;
};

static struct fabric_packet data_1000(void) { return data_packet(1000); }
static struct fabric_packet data_8(void) { return data_packet(8); }
static struct fabric_packet data_4(void) { return data_packet(4); }
static struct fabric_packet pfc_pause(void) { return pfc_packet(0xffff); }

enum { IP = TAGGED, UDP = TAGGED + 20, BTH = TAGGED + 28 };

static const struct refusal refusals[] = {
    {"runt", data_1000, 10, 0, -1, 0, 0, 0, false, "truncated frame: 10 bytes, shorter than an Ethernet header (14)"},
    {"cut tag", data_1000, 16, 0, -1, 0, 0, 0, false, "truncated frame: 16 bytes end inside the 802.1Q tag, which needs 18"},
    {"cut IP", data_1000, 30, 0, -1, 0, 0, 0, false, "truncated frame: 30 bytes end inside the IPv4 header, which needs 38"},
    {"cut payload", data_1000, 1061, 0, -1, 0, 0, 0, false,
     "truncated frame: IPv4 total length 1044 needs 1062 bytes, the frame has 1061"},
    {"trailer", data_1000, 0, 2, -1, 0, 0, 0, false,
     "2 bytes follow the IPv4 packet (total length 1044) in a frame longer than the Ethernet minimum, which needs "
     "no padding"},
    {"IPv6 type", data_1000, 0, 0, 16, 0x86, 17, 0xdd, false,
     "EtherType 0x86dd is not IPv4 (0x0800) inside the 802.1Q tag; vdc decodes RoCEv2 over IPv4 and PFC frames"},
    {"ARP", data_1000, 0, 0, 12, 0x08, 13, 0x06, false,
     "EtherType 0x0806 is not IPv4 (0x0800), 802.1Q (0x8100) or MAC control (0x8808); vdc decodes RoCEv2 over "
     "IPv4 and PFC frames"},
    {"version", data_1000, 0, 0, IP, 0x65, 0, 0, false, "IP version 6 where IPv4 (4) was expected"},
    {"options", data_1000, 0, 0, IP, 0x46, 0, 0, false,
     "IPv4 header of 24 bytes carries options; RoCEv2 frames have a 20-byte header"},
    {"short total", data_1000, 0, 0, IP + 2, 0, IP + 3, 20, false,
     "IPv4 total length 20 leaves no room for its header and a UDP header (28 bytes)"},
    {"checksum", data_1000, 0, 0, IP + 11, 0x00, 0, 0, false, "IPv4 header checksum 0x2500 is wrong (expected 0x2584)"},
    {"fragment", data_1000, 0, 0, IP + 6, 0x60, 0, 0, true,
     "IPv4 fragment (more-fragments flag and offset 0x2000); RoCEv2 packets are never fragmented"},
    {"TCP", data_1000, 0, 0, IP + 9, 6, 0, 0, true, "IPv4 protocol 6 is not UDP (17)"},
    {"source", data_1000, 0, 0, IP + 12, 10, 0, 0, true,
     "IPv4 source 10.0.2.1 is not a vdc host address (11.<node / 256>.<node % 256>.1)"},
    {"destination", data_1000, 0, 0, IP + 19, 2, 0, 0, true,
     "IPv4 destination 11.1.44.2 is not a vdc host address (11.<node / 256>.<node % 256>.1)"},
    {"UDP length", data_1000, 0, 0, UDP + 5, 0x10, 0, 0, true,
     "UDP length 1040 does not match the 1024 bytes that IPv4 carries after its header"},
    {"UDP port", data_1000, 0, 0, UDP + 3, 0xb8, 0, 0, true, "UDP destination port 4792 is not RoCEv2's 4791"},
    {"UDP checksum", data_1000, 0, 0, UDP + 7, 0x01, 0, 0, false,
     "UDP checksum 0x0001 is wrong (expected 0x37cd, or 0 for none)"},
    {"version of BTH", data_1000, 0, 0, BTH + 1, 0x41, 0, 0, true, "BTH transport header version 1 where 0 was expected"},
    {"payload bit", data_1000, 0, 0, BTH + 12 + 500, 0x01, 0, 0, false, NULL /* ICRC message built by the test */},
    {"BTH byte 0", data_1000, 0, 0, BTH, 0x15, 0, 0, true,
     "BTH opcode 0x15 is not one vdc models (RC 0x00..0x14: SEND, RDMA WRITE, RDMA READ, ACKNOWLEDGE, ATOMIC; CNP "
     "0x81)"},
    {"long ACK", data_8, 0, 0, BTH, 0x11, 0, 0, true,
     "ACKNOWLEDGE carries 8 bytes after its BTH where the 4-byte AETH was expected"},
    {"reserved syndrome", data_4, 0, 0, BTH, 0x11, BTH + 12, 0x40, true,
     "AETH syndrome 0x40 is neither an ACK (000xxxxx), an RNR NAK (001xxxxx) nor a NAK (011xxxxx)"},
    {"short CNP", data_4, 0, 0, BTH, 0x81, 0, 0, true,
     "CNP carries 4 bytes after its BTH where 16 reserved bytes were expected"},
    {"pad count", data_4, 0, 0, BTH + 1, 0x70, 0, 0, true, NULL /* accepted: 4 bytes, 3 of them pad */},
    {"PFC runt", pfc_pause, 59, 0, -1, 0, 0, 0, false,
     "truncated PFC frame: 59 bytes, a MAC control frame has 60 without FCS"},
    {"PFC with FCS", pfc_pause, 0, 4, -1, 0, 0, 0, false,
     "PFC frame of 64 bytes, longer than a MAC control frame's 60 without FCS (is the FCS still on it?)"},
    {"PFC unicast", pfc_pause, 0, 0, 0, 0x02, 0, 0, false,
     "MAC control frame sent to 02:80:c2:00:00:01; PFC frames go to 01:80:c2:00:00:01"},
    {"802.3x pause", pfc_pause, 0, 0, 14, 0x00, 0, 0, false, "MAC control opcode 0x0001 is not PFC (0x0101)"},
    {"PFC vector", pfc_pause, 0, 0, 16, 0x01, 0, 0, false, "PFC class-enable vector 0x0108 enables classes above 7"},
    {"PFC mixed", pfc_pause, 0, 0, 17, 0x09, 0, 0, false,
     "PFC pause times differ between enabled classes (class 0: 0, class 3: 65535); vdc pauses every class of one "
     "frame for the same time"},
    {"PFC source", pfc_pause, 0, 0, 7, 0x00, 0, 0, false,
     "PFC source MAC 02:00:00:05:00:07 is not a vdc port address (02:fc:<node>:<port>)"},
};

START_TEST(decoder_refuses_malformed_frames)
{
    const struct refusal *r = &refusals[_i];
    static uint8_t frame[BUFFER];
    struct fabric_packet p = r->make();
    size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
    ck_assert_uint_gt(len, 0);
    if (r->at >= 0)
        frame[r->at] = r->value;
    if (r->at2 > 0)
        frame[r->at2] = r->value2;
    if (r->reseal)
        reseal(frame, len);
    if (r->extra) {
        memset(frame + len, 0, r->extra);
        len += r->extra;
    }
    if (r->cut)
        len = r->cut;
    struct fabric_packet out;
    struct vdc_error err = {{0}};
    bool ok = fabric_wire_decode(frame, len, &out, &err);
    if (strcmp(r->what, "pad count") == 0) {
        ck_assert_msg(ok, "%s", err.text);
        ck_assert_uint_eq(out.payload, 1);
        return;
    }
    ck_assert_msg(!ok, "%s: accepted", r->what);
    if (r->message != NULL) {
        ck_assert_str_eq(err.text, r->message);
    } else {
        char expected[128];
        snprintf(expected, sizeof expected, "ICRC 0x%08x is wrong (expected 0x%08x)", stored_icrc(frame, len),
                 reference_icrc(frame + TAGGED, len - TAGGED - 4));
        ck_assert_str_eq(err.text, expected);
    }
    ck_assert_uint_eq(out.kind, 0);
    ck_assert_uint_eq(out.src_host, 0); /* nothing half-decoded is left behind */
}
END_TEST

/* The UDP checksum is optional; a right one is accepted (it is outside the ICRC, masked to ones). */
START_TEST(decoder_accepts_a_udp_checksum)
{
    uint8_t frame[128];
    struct fabric_packet p = data_packet(5), out;
    size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
    const uint8_t *ip = frame + TAGGED;
    size_t udp_len = len - TAGGED - 20;
    uint32_t sum = 17 + (uint32_t)udp_len;
    for (int i = 12; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    for (size_t i = 0; i < udp_len; i += 2)
        sum += (uint32_t)(ip[20 + i] << 8 | (i + 1 < udp_len ? ip[20 + i + 1] : 0));
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t checksum = (uint16_t)~sum;
    frame[UDP + 6] = (uint8_t)(checksum >> 8);
    frame[UDP + 7] = (uint8_t)checksum;
    struct vdc_error err;
    ck_assert_msg(fabric_wire_decode(frame, len, &out, &err), "%s", err.text);
    ck_assert_uint_eq(out.payload, 5);
}
END_TEST

START_TEST(decoder_accepts_untagged_frames)
{
    uint8_t frame[128];
    struct fabric_packet p = data_packet(0), out;
    size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
    memmove(frame + 12, frame + 16, len - 16); /* drop the tag: 58 bytes, padded to the 60-byte minimum */
    len -= 4;
    frame[len] = frame[len + 1] = 0;
    struct vdc_error err;
    ck_assert_msg(fabric_wire_decode(frame, len + 2, &out, &err), "%s", err.text);
    ck_assert_uint_eq(out.kind, FABRIC_PKT_DATA);
    ck_assert_uint_eq(out.priority, 3);
    ck_assert_uint_eq(out.payload, 0);
    ck_assert_uint_eq(out.frame_bytes, 64);
}
END_TEST

static uint32_t read_le32(const uint8_t *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

START_TEST(pcap_file_layout)
{
    struct scratch s;
    scratch_open(&s);
    struct vdc_error err;
    struct pcap_writer *w = vdc_pcap_writer_open(s.path[0], 100, &err);
    ck_assert_msg(w != NULL, "%s", err.text);
    static uint8_t frame[2000];
    struct fabric_packet p = data_packet(1000);
    size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
    /* 3 s + 123456789.999 ns: the picoseconds below a nanosecond are dropped. */
    ck_assert(vdc_pcap_writer_add(w, 3 * VDC_SEC + 123456789999ULL, frame, (uint32_t)len, (uint32_t)len, &err));
    ck_assert(vdc_pcap_writer_add(w, 999, frame, 60, 70, &err));
    ck_assert(!vdc_pcap_writer_add(w, 0, frame, 61, 60, &err));
    char expected[256];
    snprintf(expected, sizeof expected,
             "pcap file '%s': 61 bytes captured of a 60-byte frame; the capture cannot exceed the frame", s.path[0]);
    ck_assert_str_eq(err.text, expected);
    ck_assert_msg(vdc_pcap_writer_close(w, &err), "%s", err.text);

    static char file[4096];
    size_t n = read_whole(s.path[0], file, sizeof file);
    const uint8_t *b = (const uint8_t *)file;
    ck_assert_uint_eq(n, 24 + 16 + 100 + 16 + 60);
    static const uint8_t header[24] = {0x4d, 0x3c, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                       0,    0,    0,    0,    100, 0, 0, 0, 1, 0, 0, 0};
    ck_assert_mem_eq(b, header, sizeof header);
    ck_assert_uint_eq(read_le32(b + 24), 3);
    ck_assert_uint_eq(read_le32(b + 28), 123456789);
    ck_assert_uint_eq(read_le32(b + 32), 100);
    ck_assert_uint_eq(read_le32(b + 36), 1062);
    ck_assert_mem_eq(b + 40, frame, 100);
    ck_assert_uint_eq(read_le32(b + 140), 0);
    ck_assert_uint_eq(read_le32(b + 144), 0);
    ck_assert_uint_eq(read_le32(b + 148), 60);
    ck_assert_uint_eq(read_le32(b + 152), 70);
    scratch_remove(&s);
}
END_TEST

START_TEST(pcap_errors_name_the_file)
{
    struct vdc_error err;
    ck_assert_ptr_null(vdc_pcap_writer_open("/nonexistent-folder/x.pcap", 65535, &err));
    ck_assert_str_eq(err.text, "cannot create the pcap file '/nonexistent-folder/x.pcap' (No such file or "
                               "directory); choose a writable folder");
    ck_assert_ptr_null(vdc_pcap_writer_open("/tmp/x.pcap", 0, &err));
    ck_assert_str_eq(err.text, "pcap snapshot length 0 for '/tmp/x.pcap' is outside 1..262144; use 262144 to "
                               "keep whole frames");
    ck_assert(!vdc_pcap_writer_add(NULL, 0, NULL, 0, 0, &err));
    ck_assert_str_eq(err.text, "no pcap writer to add a frame to; open the file first");
    ck_assert(vdc_pcap_writer_close(NULL, &err));
    if (access("/dev/full", W_OK) == 0) { /* writes succeed into the buffer; the flush at close fails */
        struct pcap_writer *w = vdc_pcap_writer_open("/dev/full", 65535, &err);
        ck_assert_msg(w != NULL, "%s", err.text);
        uint8_t frame[60] = {0};
        ck_assert(vdc_pcap_writer_add(w, 0, frame, 60, 60, &err));
        ck_assert(!vdc_pcap_writer_close(w, &err));
        ck_assert_str_eq(err.text, "writing the pcap file '/dev/full' failed (No space left on device); check free "
                                   "space and the folder");
    }
}
END_TEST

START_TEST(tshark_reads_every_kind)
{
    require_tshark();
    struct scratch s;
    scratch_open(&s);
    struct vdc_error err;
    struct pcap_writer *w = vdc_pcap_writer_open(s.path[0], PCAP_DEFAULT_SNAPLEN, &err);
    ck_assert_msg(w != NULL, "%s", err.text);
    const struct fabric_packet packets[] = {data_packet(1000), ack_packet(FABRIC_PKT_ACK),
                                            ack_packet(FABRIC_PKT_NACK), cnp_packet(), pfc_packet(0xffff),
                                            pfc_packet(0)};
    static uint8_t frame[2000];
    for (size_t i = 0; i < sizeof packets / sizeof packets[0]; i++) {
        size_t len = fabric_wire_encode(&packets[i], NULL, frame, sizeof frame);
        ck_assert(vdc_pcap_writer_add(w, i * VDC_US, frame, (uint32_t)len, (uint32_t)len, &err));
    }
    ck_assert_msg(vdc_pcap_writer_close(w, &err), "%s", err.text);

    static char out[8192];
    tshark_read(&s,
                "-T fields -E separator=, -e frame.len -e eth.src "
                "-e vlan.priority -e ip.dsfield.dscp -e ip.dsfield.ecn -e ip.ttl -e ip.checksum.status -e udp.dstport "
                "-e infiniband.bth.opcode -e infiniband.bth.destqp -e infiniband.bth.psn -e infiniband.bth.a "
                "-e infiniband.aeth.syndrome -e macc.opcode -e macc.cbfc.enbv -e macc.cbfc.pause_time.c3",
                out, sizeof out);
    ck_assert_str_eq(out,
                     /* RoCE DATA, ECN CE, A bit, PSN 0xabcdef */
                     "1062,02:00:0b:00:02:01,3,24,3,63,1,4791,1,0x123456,11259375,1,,,,\n"
                     /* ACK and NAK (syndrome 0x60 = 96) */
                     "66,02:00:0b:01:2c:01,3,24,2,64,1,4791,17,0x000011,11259375,0,31,,,\n"
                     "66,02:00:0b:01:2c:01,3,24,2,64,1,4791,17,0x000011,11259136,0,96,,,\n"
                     /* CNP, opcode 0x81 */
                     "78,02:00:0b:01:2c:01,6,48,2,64,1,4791,129,0x000011,0,0,,,,\n"
                     /* PFC pause of class 3, then its resume */
                     "60,02:fc:00:05:00:07,,,,,,,,,,,,0x0101,0x0008,65535\n"
                     "60,02:fc:00:05:00:07,,,,,,,,,,,,0x0101,0x0008,0\n");

    tshark_expect_clean(&s);
    scratch_remove(&s);
}
END_TEST


Suite *wire_suite(void)
{
    Suite *s = suite_create("wire");
    TCase *frames = tcase_create("frames");
    tcase_add_test(frames, every_kind_has_the_modelled_length);
    tcase_add_test(frames, roce_headers_are_laid_out_as_specified);
    tcase_add_test(frames, pfc_frame_is_laid_out_as_specified);
    tcase_add_test(frames, icrc_matches_an_independent_crc);
    tcase_add_test(frames, icrc_matches_hardware);
    tcase_add_test(frames, decode_reverses_encode);
    tcase_add_test(frames, encoder_refuses_what_the_wire_cannot_carry);
    tcase_add_loop_test(frames, decoder_refuses_malformed_frames, 0, sizeof refusals / sizeof refusals[0]);
    tcase_add_test(frames, decoder_accepts_a_udp_checksum);
    tcase_add_test(frames, decoder_accepts_untagged_frames);
    suite_add_tcase(s, frames);
    TCase *pcap = tcase_create("pcap");
    tcase_add_test(pcap, pcap_file_layout);
    tcase_add_test(pcap, pcap_errors_name_the_file);
    tcase_add_test(pcap, tshark_reads_every_kind);
    tcase_set_timeout(pcap, 60);
    suite_add_tcase(s, pcap);
    return s;
}
