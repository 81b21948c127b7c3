/* NIC frames on the wire: every RC opcode's extension headers, payload and pad, the decoder's length checks, tshark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/fabric/wire.h"
#include "../../src/fabric/wire_rc.h"
#include "../../src/report/pcap.h"
#include "../rigs/wire_reference.h"
#include "../suites.h"

enum { BTH = TAGGED + 28, AFTER_BTH = BTH + 12, FRAME_CAP = 9000 };

/* IBA's RC opcode table (IBA 9.2, table 38), written out here rather than taken from the code under test.
 * Headers after the BTH, in order: R RETH, T AtomicETH, A AETH, K AtomicAckETH, I ImmDt, C a CNP's reserved
 * bytes; P a payload follows. */
static const struct spec {
    uint8_t code;
    const char *parts;
    uint8_t kind;
    uint8_t syndrome;
} specs[] = {
    {FABRIC_OP_SEND_FIRST, "P", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_SEND_MIDDLE, "P", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_SEND_LAST, "P", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_SEND_LAST_IMM, "IP", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_SEND_ONLY, "P", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_SEND_ONLY_IMM, "IP", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_WRITE_FIRST, "RP", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_WRITE_MIDDLE, "P", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_WRITE_LAST, "P", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_WRITE_LAST_IMM, "IP", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_WRITE_ONLY, "RP", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_WRITE_ONLY_IMM, "RIP", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_READ_REQUEST, "R", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_READ_RESPONSE_FIRST, "AP", FABRIC_PKT_DATA, 0x1f},
    {FABRIC_OP_READ_RESPONSE_MIDDLE, "P", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_READ_RESPONSE_LAST, "AP", FABRIC_PKT_DATA, 0x05},
    {FABRIC_OP_READ_RESPONSE_ONLY, "AP", FABRIC_PKT_DATA, 0x00},
    {FABRIC_OP_ACKNOWLEDGE, "A", FABRIC_PKT_ACK, 0x1f},
    {FABRIC_OP_ACKNOWLEDGE, "A", FABRIC_PKT_NACK, FABRIC_AETH_NAK_PSN_ERROR},
    {FABRIC_OP_ACKNOWLEDGE, "A", FABRIC_PKT_NACK, FABRIC_AETH_NAK_INVALID_REQUEST},
    {FABRIC_OP_ACKNOWLEDGE, "A", FABRIC_PKT_NACK, FABRIC_AETH_NAK_REMOTE_ACCESS},
    {FABRIC_OP_ACKNOWLEDGE, "A", FABRIC_PKT_NACK, FABRIC_AETH_NAK_REMOTE_OPERATIONAL},
    {FABRIC_OP_ACKNOWLEDGE, "A", FABRIC_PKT_NACK, FABRIC_AETH_RNR_NAK | 0x0e},
    {FABRIC_OP_ATOMIC_ACKNOWLEDGE, "AK", FABRIC_PKT_ACK, 0x1f},
    {FABRIC_OP_COMPARE_SWAP, "T", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_FETCH_ADD, "T", FABRIC_PKT_DATA, 0},
    {FABRIC_OP_CNP, "C", FABRIC_PKT_CNP, 0},
};
enum { SPECS = sizeof specs / sizeof specs[0] };

static uint32_t part_bytes(char part)
{
    switch (part) {
    case 'R': return 16;
    case 'T': return 28;
    case 'A': return 4;
    case 'K': return 8;
    case 'I': return 4;
    case 'C': return 16;
    default: return 0;
    }
}

static uint32_t spec_header_bytes(const char *parts)
{
    uint32_t bytes = 0;
    for (const char *c = parts; *c; c++)
        bytes += part_bytes(*c);
    return bytes;
}

static bool has_payload(const struct spec *s)
{
    return strchr(s->parts, 'P') != NULL;
}

/* Distinct values in every field, so a swapped or misplaced field shows. */
static void fill_rdma(struct fabric_rdma *r, uint32_t payload)
{
    memset(r, 0, sizeof *r);
    r->va = 0x0123456789abcdefull;
    r->rkey = 0xfedcba98;
    r->dma_length = 0x00012345;
    r->immediate = 0xdeadbeef;
    r->msn = 0xabcdef;
    r->swap_add = 0x1112131415161718ull;
    r->compare = 0x2122232425262728ull;
    r->original = 0x3132333435363738ull;
    for (uint32_t i = 0; i < payload; i++)
        r->data[i] = (uint8_t)(0x40 + i * 7);
}

static struct fabric_packet nic_packet(const struct spec *s, uint32_t payload, struct fabric_rdma *r)
{
    fill_rdma(r, payload);
    struct fabric_packet p = {
        .kind = s->kind, .priority = 3, .ecn = FABRIC_ECN_ECT0, .bth_opcode = s->code, .ttl = 64,
        .ack_request = s->kind == FABRIC_PKT_DATA, .aeth_syndrome = s->syndrome, .udp_source_port = 50000,
        .src_host = 4, .dst_host = 9, .dest_qp = 0x000123, .psn = 0x00fffe, .payload = payload,
        .flow = FABRIC_FLOW_ENDPOINT, .rdma = r,
    };
    p.frame_bytes = fabric_frame_bytes_for(&p);
    return p;
}

static const struct spec *spec_of(uint8_t code)
{
    for (int i = 0; i < SPECS; i++)
        if (specs[i].code == code)
            return &specs[i];
    ck_abort_msg("no spec for opcode 0x%02x", code);
    return NULL;
}

static size_t put_be(uint8_t *b, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    return (size_t)bytes;
}

/* What IBA says follows the BTH of p, built byte by byte from the spec. */
static size_t expected_after_bth(const struct spec *s, const struct fabric_packet *p, uint8_t *b)
{
    const struct fabric_rdma *r = p->rdma;
    size_t n = 0;
    for (const char *c = s->parts; *c; c++) {
        switch (*c) {
        case 'R':
            n += put_be(b + n, r->va, 8);
            n += put_be(b + n, r->rkey, 4);
            n += put_be(b + n, r->dma_length, 4);
            break;
        case 'T':
            n += put_be(b + n, r->va, 8);
            n += put_be(b + n, r->rkey, 4);
            n += put_be(b + n, r->swap_add, 8);
            n += put_be(b + n, r->compare, 8);
            break;
        case 'A':
            b[n++] = p->aeth_syndrome;
            n += put_be(b + n, r->msn, 3);
            break;
        case 'K': n += put_be(b + n, r->original, 8); break;
        case 'I': n += put_be(b + n, r->immediate, 4); break;
        case 'C':
            memset(b + n, 0, 16);
            n += 16;
            break;
        case 'P':
            memcpy(b + n, r->data, p->payload);
            n += p->payload;
            while (n % 4)
                b[n++] = 0;
            break;
        }
    }
    return n;
}

START_TEST(opcode_table_matches_iba)
{
    for (int code = 0; code < 256; code++) {
        const struct fabric_rc_opcode *op = fabric_rc_opcode((uint8_t)code);
        bool modelled = code <= FABRIC_OP_FETCH_ADD || code == FABRIC_OP_CNP;
        ck_assert_msg((op != NULL) == modelled, "opcode 0x%02x", code);
        if (op == NULL)
            continue;
        const struct spec *s = spec_of((uint8_t)code);
        ck_assert_uint_eq(op->code, code);
        ck_assert_uint_eq(fabric_opcode_headers((uint8_t)code), spec_header_bytes(s->parts));
        ck_assert_msg(((op->parts & FABRIC_RC_PAYLOAD) != 0) == has_payload(s), "opcode 0x%02x payload", code);
    }
}
END_TEST

static void assert_rdma_fields(const struct spec *s, const struct fabric_rdma *sent, const struct fabric_rdma *got,
                               uint32_t payload, const char *what)
{
    bool reth = strchr(s->parts, 'R'), atomic = strchr(s->parts, 'T');
    ck_assert_msg(got->va == (reth || atomic ? sent->va : 0), "%s: va 0x%llx", what, (unsigned long long)got->va);
    ck_assert_msg(got->rkey == (reth || atomic ? sent->rkey : 0), "%s: rkey", what);
    ck_assert_msg(got->dma_length == (reth ? sent->dma_length : 0), "%s: dma_length", what);
    ck_assert_msg(got->swap_add == (atomic ? sent->swap_add : 0), "%s: swap_add", what);
    ck_assert_msg(got->compare == (atomic ? sent->compare : 0), "%s: compare", what);
    ck_assert_msg(got->msn == (strchr(s->parts, 'A') ? sent->msn : 0), "%s: msn", what);
    ck_assert_msg(got->original == (strchr(s->parts, 'K') ? sent->original : 0), "%s: original", what);
    ck_assert_msg(got->immediate == (strchr(s->parts, 'I') ? sent->immediate : 0), "%s: immediate", what);
    ck_assert_msg(memcmp(got->data, sent->data, payload) == 0, "%s: payload bytes", what);
    ck_assert_msg(payload == FABRIC_RDMA_MAX_PAYLOAD || got->data[payload] == 0, "%s: bytes after the payload", what);
}

START_TEST(every_opcode_round_trips)
{
    const struct spec *s = &specs[_i];
    static struct fabric_rdma sent, got;
    static uint8_t frame[FRAME_CAP], expected[FRAME_CAP];
    const uint32_t payloads[] = {0, 1, 2, 3, 4, 5, 255, 1024, FABRIC_RDMA_MAX_PAYLOAD - 1, FABRIC_RDMA_MAX_PAYLOAD};
    for (size_t k = 0; k < (has_payload(s) ? sizeof payloads / sizeof payloads[0] : 1); k++) {
        uint32_t payload = payloads[k];
        char what[64];
        snprintf(what, sizeof what, "opcode 0x%02x syndrome 0x%02x payload %u", s->code, s->syndrome, payload);
        struct fabric_packet p = nic_packet(s, payload, &sent);
        uint32_t padded = (payload + 3) / 4 * 4;
        ck_assert_msg(p.frame_bytes == FABRIC_ROCE_OVERHEAD + spec_header_bytes(s->parts) + padded, "%s: %u bytes",
                      what, p.frame_bytes);
        ck_assert_uint_eq(p.frame_bytes, fabric_rdma_frame_bytes(s->code, payload));
        size_t len = fabric_wire_encode(&p, sent.data, frame, sizeof frame);
        ck_assert_msg(len + FABRIC_FCS == p.frame_bytes, "%s: encoded %zu bytes", what, len);

        /* The BTH: opcode, SE 0, M 1 (not on CNPs), pad count, version 0; then IBA's layout byte for byte. */
        ck_assert_uint_eq(frame[BTH], s->code);
        uint8_t migrated = s->kind == FABRIC_PKT_CNP ? 0 : 0x40;
        ck_assert_msg(frame[BTH + 1] == (migrated | (padded - payload) << 4), "%s: BTH byte 1 0x%02x", what,
                      frame[BTH + 1]);
        size_t n = expected_after_bth(s, &p, expected);
        ck_assert_uint_eq(AFTER_BTH + n + 4, len);
        ck_assert_msg(memcmp(frame + AFTER_BTH, expected, n) == 0, "%s: bytes after the BTH", what);
        ck_assert_uint_eq(reference_header_sum(frame + TAGGED), 0xffff);
        ck_assert_msg(stored_icrc(frame, len) == reference_icrc(frame + TAGGED, len - TAGGED - 4), "%s: ICRC", what);

        struct fabric_packet back;
        struct vdc_error err;
        ck_assert_msg(fabric_wire_decode_rdma(frame, len, &back, &got, &err), "%s: %s", what, err.text);
        ck_assert_ptr_eq(back.rdma, &got);
        ck_assert_uint_eq(back.kind, s->kind);
        ck_assert_uint_eq(back.bth_opcode, s->code);
        ck_assert_uint_eq(back.payload, payload);
        ck_assert_uint_eq(back.frame_bytes, p.frame_bytes);
        ck_assert_uint_eq(back.aeth_syndrome, strchr(s->parts, 'A') ? s->syndrome : 0);
        ck_assert_uint_eq(back.src_host, p.src_host);
        ck_assert_uint_eq(back.dst_host, p.dst_host);
        ck_assert_uint_eq(back.dest_qp, p.dest_qp);
        ck_assert_uint_eq(back.psn, p.psn);
        ck_assert_uint_eq(back.ack_request, p.ack_request);
        ck_assert_uint_eq(back.priority, p.priority);
        ck_assert_uint_eq(back.ecn, p.ecn);
        assert_rdma_fields(s, &sent, &got, payload, what);

        /* Without a struct fabric_rdma the same frame decodes to the same packet, headers checked but not kept. */
        struct fabric_packet plain;
        ck_assert_msg(fabric_wire_decode(frame, len, &plain, &err), "%s: %s", what, err.text);
        ck_assert_ptr_null(plain.rdma);
        ck_assert_msg(plain.kind == back.kind && plain.bth_opcode == back.bth_opcode && plain.payload == back.payload &&
                          plain.aeth_syndrome == back.aeth_syndrome && plain.frame_bytes == back.frame_bytes &&
                          plain.psn == back.psn && plain.dest_qp == back.dest_qp,
                      "%s: decoded differently without rdma", what);
    }
}
END_TEST

/* PadCnt = (4 - payload % 4) % 4 zero bytes, counted in the frame; READ REQUEST and friends carry none. */
START_TEST(pad_count_follows_the_payload)
{
    static const struct {
        uint8_t code;
        uint32_t payload, pad, frame_bytes;
    } cases[] = {
        {FABRIC_OP_SEND_ONLY, 1, 3, 70},       {FABRIC_OP_SEND_ONLY, 2, 2, 70},
        {FABRIC_OP_SEND_ONLY, 3, 1, 70},       {FABRIC_OP_SEND_ONLY, 4, 0, 70},
        {FABRIC_OP_SEND_ONLY, 0, 0, 66},       {FABRIC_OP_READ_REQUEST, 0, 0, 82},
        {FABRIC_OP_WRITE_ONLY_IMM, 5, 3, 94},  {FABRIC_OP_READ_RESPONSE_LAST, 4095, 1, 4166},
    };
    static struct fabric_rdma r, got;
    static uint8_t frame[FRAME_CAP];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fabric_packet p = nic_packet(spec_of(cases[i].code), cases[i].payload, &r);
        ck_assert_uint_eq(p.frame_bytes, cases[i].frame_bytes);
        size_t len = fabric_wire_encode(&p, r.data, frame, sizeof frame);
        ck_assert_uint_eq(len, cases[i].frame_bytes - 4);
        ck_assert_uint_eq(frame[BTH + 1] >> 4 & 3, cases[i].pad);
        for (uint32_t k = 0; k < cases[i].pad; k++)
            ck_assert_uint_eq(frame[len - 4 - cases[i].pad + k], 0);
        struct fabric_packet back;
        struct vdc_error err;
        ck_assert_msg(fabric_wire_decode_rdma(frame, len, &back, &got, &err), "case %zu: %s", i, err.text);
        ck_assert_uint_eq(back.payload, cases[i].payload);
    }
    /* Flow traffic keeps writing no pad: its frame lengths are the model's. */
    struct fabric_packet flow = {.kind = FABRIC_PKT_DATA, .bth_opcode = FABRIC_OP_SEND_ONLY, .payload = 3};
    size_t len = fabric_wire_encode(&flow, NULL, frame, sizeof frame);
    ck_assert_uint_eq(len, 66 + 3 - 4);
    ck_assert_uint_eq(frame[BTH + 1], 0x40);
}
END_TEST

/* A NIC packet whose kind, opcode, syndrome and payload disagree gets no frame (frame_bytes 0). */
START_TEST(encoder_refuses_what_does_not_fit_together)
{
    static const struct {
        uint8_t kind, code, syndrome;
        uint32_t payload;
        const char *why;
    } cases[] = {
        {FABRIC_PKT_DATA, FABRIC_OP_ACKNOWLEDGE, 0, 0, "an ACKNOWLEDGE is not DATA"},
        {FABRIC_PKT_DATA, FABRIC_OP_ATOMIC_ACKNOWLEDGE, 0, 0, "nor an ATOMIC ACKNOWLEDGE"},
        {FABRIC_PKT_DATA, FABRIC_OP_CNP, 0, 0, "nor a CNP"},
        {FABRIC_PKT_DATA, 0x15, 0, 0, "an opcode vdc does not model"},
        {FABRIC_PKT_ACK, FABRIC_OP_SEND_ONLY, 0, 0, "an ACK must be an ACKNOWLEDGE"},
        {FABRIC_PKT_ACK, FABRIC_OP_ACKNOWLEDGE, 0x60, 0, "an ACK with a NAK syndrome"},
        {FABRIC_PKT_ACK, FABRIC_OP_ATOMIC_ACKNOWLEDGE, 0x62, 0, "ATOMIC ACKNOWLEDGE with a NAK syndrome"},
        {FABRIC_PKT_NACK, FABRIC_OP_ACKNOWLEDGE, 0x1f, 0, "a NACK with an ACK syndrome"},
        {FABRIC_PKT_NACK, FABRIC_OP_ACKNOWLEDGE, 0x40, 0, "a NACK with a reserved syndrome"},
        {FABRIC_PKT_NACK, FABRIC_OP_ATOMIC_ACKNOWLEDGE, 0x60, 0, "NAKs travel in ACKNOWLEDGE"},
        {FABRIC_PKT_CNP, FABRIC_OP_ACKNOWLEDGE, 0, 0, "a CNP must be 0x81"},
        {FABRIC_PKT_PFC + 1, FABRIC_OP_SEND_ONLY, 0, 0, "an unknown kind"},
        {FABRIC_PKT_DATA, FABRIC_OP_READ_RESPONSE_ONLY, 0x60, 4, "a read response's AETH holds an ACK"},
        {FABRIC_PKT_DATA, FABRIC_OP_READ_REQUEST, 0, 1, "a READ REQUEST has no payload"},
        {FABRIC_PKT_DATA, FABRIC_OP_COMPARE_SWAP, 0, 8, "nor has an atomic"},
        {FABRIC_PKT_ACK, FABRIC_OP_ACKNOWLEDGE, 0, 4, "nor has an ACKNOWLEDGE"},
        {FABRIC_PKT_DATA, FABRIC_OP_WRITE_MIDDLE, 0, FABRIC_RDMA_MAX_PAYLOAD + 1, "more than the largest MTU"},
    };
    static struct fabric_rdma r;
    static uint8_t frame[FRAME_CAP];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fill_rdma(&r, 0);
        struct fabric_packet p = {.kind = cases[i].kind, .bth_opcode = cases[i].code,
                                  .aeth_syndrome = cases[i].syndrome, .payload = cases[i].payload, .rdma = &r};
        ck_assert_msg(fabric_frame_bytes_for(&p) == 0, "%s: frame_bytes %u", cases[i].why, fabric_frame_bytes_for(&p));
        ck_assert_msg(fabric_wire_encode(&p, r.data, frame, sizeof frame) == 0, "%s: encoded", cases[i].why);
    }
    /* One byte short of the frame writes nothing. */
    struct fabric_packet p = nic_packet(spec_of(FABRIC_OP_WRITE_ONLY_IMM), 7, &r);
    ck_assert_uint_eq(fabric_wire_encode(&p, r.data, frame, p.frame_bytes - 5), 0);
    ck_assert_uint_eq(fabric_wire_encode(&p, r.data, frame, p.frame_bytes - 4), p.frame_bytes - 4);
}
END_TEST

/* A NIC frame, an edit (resealed: the IP checksum and ICRC are right again), and the decoder's complaint. */
static const struct length_refusal {
    uint8_t code;       /* the frame encoded first: a NIC packet of this opcode */
    uint32_t payload;
    int at;             /* byte to set, or -1 */
    uint8_t value;
    const char *message;
} length_refusals[] = {
    {FABRIC_OP_SEND_ONLY, 8, BTH, FABRIC_OP_WRITE_FIRST,
     "RDMA WRITE FIRST carries 8 bytes after its BTH, too few for the 16-byte RETH"},
    {FABRIC_OP_SEND_ONLY, 16, BTH, FABRIC_OP_WRITE_ONLY_IMM,
     "RDMA WRITE ONLY with immediate carries 16 bytes after its BTH, too few for the 16-byte RETH and the 4-byte "
     "ImmDt"},
    {FABRIC_OP_SEND_ONLY, 0, BTH, FABRIC_OP_SEND_LAST_IMM,
     "SEND LAST with immediate carries 0 bytes after its BTH, too few for the 4-byte ImmDt"},
    {FABRIC_OP_SEND_ONLY, 0, BTH, FABRIC_OP_READ_RESPONSE_FIRST,
     "RDMA READ RESPONSE FIRST carries 0 bytes after its BTH, too few for the 4-byte AETH"},
    {FABRIC_OP_SEND_ONLY, 20, BTH, FABRIC_OP_READ_REQUEST,
     "RDMA READ REQUEST carries 20 bytes after its BTH where the 16-byte RETH was expected"},
    {FABRIC_OP_SEND_ONLY, 8, BTH, FABRIC_OP_ATOMIC_ACKNOWLEDGE,
     "ATOMIC ACKNOWLEDGE carries 8 bytes after its BTH where the 4-byte AETH and the 8-byte AtomicAckETH were "
     "expected"},
    {FABRIC_OP_SEND_ONLY, 24, BTH, FABRIC_OP_COMPARE_SWAP,
     "COMPARE SWAP carries 24 bytes after its BTH where the 28-byte AtomicETH was expected"},
    {FABRIC_OP_READ_REQUEST, 0, BTH, FABRIC_OP_FETCH_ADD,
     "FETCH ADD carries 16 bytes after its BTH where the 28-byte AtomicETH was expected"},
    {FABRIC_OP_READ_REQUEST, 0, BTH, FABRIC_OP_ACKNOWLEDGE,
     "ACKNOWLEDGE carries 16 bytes after its BTH where the 4-byte AETH was expected"},
    {FABRIC_OP_SEND_ONLY, 4, BTH, FABRIC_OP_CNP,
     "CNP carries 4 bytes after its BTH where 16 reserved bytes were expected"},
    {FABRIC_OP_COMPARE_SWAP, 0, BTH, FABRIC_OP_CNP,
     "CNP carries 28 bytes after its BTH where 16 reserved bytes were expected"},
    {FABRIC_OP_READ_REQUEST, 0, BTH + 1, 0x60, "BTH pad count 2, but RDMA READ REQUEST carries no payload to pad"},
    {FABRIC_OP_ATOMIC_ACKNOWLEDGE, 0, BTH + 1, 0x50,
     "BTH pad count 1, but ATOMIC ACKNOWLEDGE carries no payload to pad"},
    {FABRIC_OP_WRITE_ONLY, 0, BTH + 1, 0x70, "BTH pad count 3 exceeds the 0 payload bytes"},
    {FABRIC_OP_READ_RESPONSE_ONLY, 8, AFTER_BTH, 0x60,
     "AETH syndrome 0x60 of RDMA READ RESPONSE ONLY is not an ACK (000xxxxx); a responder sends NAKs in "
     "ACKNOWLEDGE packets"},
    {FABRIC_OP_ATOMIC_ACKNOWLEDGE, 0, AFTER_BTH, 0x21,
     "AETH syndrome 0x21 of ATOMIC ACKNOWLEDGE is not an ACK (000xxxxx); a responder sends NAKs in ACKNOWLEDGE "
     "packets"},
    {FABRIC_OP_ACKNOWLEDGE, 0, AFTER_BTH, 0xa0,
     "AETH syndrome 0xa0 is neither an ACK (000xxxxx), an RNR NAK (001xxxxx) nor a NAK (011xxxxx)"},
    {FABRIC_OP_SEND_ONLY, 4, BTH, 0x16,
     "BTH opcode 0x16 is not one vdc models (RC 0x00..0x14: SEND, RDMA WRITE, RDMA READ, ACKNOWLEDGE, ATOMIC; "
     "CNP 0x81)"},
};

START_TEST(decoder_checks_lengths_per_opcode)
{
    const struct length_refusal *c = &length_refusals[_i];
    static struct fabric_rdma r, got;
    static uint8_t frame[FRAME_CAP];
    struct fabric_packet p = nic_packet(spec_of(c->code), c->payload, &r);
    size_t len = fabric_wire_encode(&p, r.data, frame, sizeof frame);
    ck_assert_uint_gt(len, 0);
    frame[c->at] = c->value;
    reseal(frame, len);
    struct fabric_packet out;
    struct vdc_error err = {{0}};
    ck_assert_msg(!fabric_wire_decode(frame, len, &out, &err), "accepted: %s", c->message);
    ck_assert_str_eq(err.text, c->message);
    memset(&got, 0xa5, sizeof got);
    ck_assert(!fabric_wire_decode_rdma(frame, len, &out, &got, &err));
    ck_assert_str_eq(err.text, c->message);
    /* Nothing half-decoded is left behind, in the packet or in the RDMA part. */
    ck_assert_uint_eq(out.kind, 0);
    ck_assert_ptr_null(out.rdma);
    ck_assert_uint_eq(got.va, 0);
    ck_assert_uint_eq(got.data[0], 0);
}
END_TEST

/* A flow's SEND may be larger than any NIC packet: it decodes, but not into a struct fabric_rdma. */
START_TEST(decoder_keeps_nic_payloads_within_the_mtu)
{
    static uint8_t frame[FRAME_CAP];
    static struct fabric_rdma got;
    struct fabric_packet p = {.kind = FABRIC_PKT_DATA, .bth_opcode = FABRIC_OP_SEND_ONLY, .payload = 5000,
                              .src_host = 1, .dst_host = 2};
    size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
    struct fabric_packet out;
    struct vdc_error err;
    ck_assert_msg(fabric_wire_decode(frame, len, &out, &err), "%s", err.text);
    ck_assert_uint_eq(out.payload, 5000);
    ck_assert(!fabric_wire_decode_rdma(frame, len, &out, &got, &err));
    ck_assert_str_eq(err.text, "SEND ONLY carries a 5000-byte payload, more than a NIC packet holds (4096 bytes, "
                               "InfiniBand's largest MTU)");
    /* PFC frames have no RDMA part. */
    struct fabric_packet pfc = {.kind = FABRIC_PKT_PFC, .pfc_classes = 1, .pfc_quanta = 7, .src_host = 3};
    len = fabric_wire_encode(&pfc, NULL, frame, sizeof frame);
    ck_assert_msg(fabric_wire_decode_rdma(frame, len, &out, &got, &err), "%s", err.text);
    ck_assert_uint_eq(out.kind, FABRIC_PKT_PFC);
    ck_assert_ptr_null(out.rdma);
}
END_TEST

/* RNR NAKs (001xxxxx) and NAKs (011xxxxx) are NACKs, from a NIC or a flow; only the NIC's carry an MSN. */
START_TEST(rnr_naks_and_naks_are_nacks)
{
    static uint8_t frame[128];
    static struct fabric_rdma r, got;
    const uint8_t syndromes[] = {FABRIC_AETH_RNR_NAK, FABRIC_AETH_RNR_NAK | 0x1f, FABRIC_AETH_NAK_PSN_ERROR,
                                 FABRIC_AETH_NAK_REMOTE_OPERATIONAL};
    for (size_t i = 0; i < sizeof syndromes / sizeof syndromes[0]; i++) {
        for (int nic = 0; nic < 2; nic++) {
            fill_rdma(&r, 0);
            struct fabric_packet p = {.kind = FABRIC_PKT_NACK, .bth_opcode = FABRIC_OP_ACKNOWLEDGE,
                                      .aeth_syndrome = syndromes[i], .src_host = 1, .dst_host = 2,
                                      .rdma = nic ? &r : NULL};
            size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
            ck_assert_uint_eq(len, 66);
            ck_assert_uint_eq(frame[AFTER_BTH], syndromes[i]);
            struct fabric_packet back;
            struct vdc_error err;
            ck_assert_msg(fabric_wire_decode_rdma(frame, len, &back, &got, &err), "%s", err.text);
            ck_assert_uint_eq(back.kind, FABRIC_PKT_NACK);
            ck_assert_uint_eq(back.aeth_syndrome, syndromes[i]);
            ck_assert_uint_eq(got.msn, nic ? r.msn : 0);
        }
    }
    /* The MSN keeps its low 24 bits. */
    struct fabric_packet p = nic_packet(spec_of(FABRIC_OP_ACKNOWLEDGE), 0, &r);
    r.msn = 0x7654321;
    size_t len = fabric_wire_encode(&p, NULL, frame, sizeof frame);
    ck_assert_uint_eq(frame[AFTER_BTH + 1], 0x65);
    ck_assert_uint_eq(frame[AFTER_BTH + 3], 0x21);
    struct fabric_packet back;
    ck_assert(fabric_wire_decode_rdma(frame, len, &back, &got, NULL));
    ck_assert_uint_eq(got.msn, 0x654321);
}
END_TEST

START_TEST(tshark_reads_every_opcode)
{
    require_tshark();
    struct scratch s;
    scratch_open(&s);
    struct vdc_error err;
    struct pcap_writer *w = vdc_pcap_writer_open(s.path[0], PCAP_DEFAULT_SNAPLEN, &err);
    ck_assert_msg(w != NULL, "%s", err.text);
    static struct fabric_rdma r;
    static uint8_t frame[FRAME_CAP];
    for (int i = 0; i < SPECS; i++) {
        /* 16..19 bytes: every pad count. Wireshark 4.0's RPC-over-RDMA heuristic throws on a SEND ONLY of fewer
         * than 13 payload bytes, so payloads here stay above that. */
        struct fabric_packet p = nic_packet(&specs[i], has_payload(&specs[i]) ? 16 + (uint32_t)i % 4 : 0, &r);
        size_t len = fabric_wire_encode(&p, r.data, frame, sizeof frame);
        ck_assert_uint_gt(len, 0);
        ck_assert(vdc_pcap_writer_add(w, (vdc_time)i * VDC_US, frame, (uint32_t)len, (uint32_t)len, &err));
    }
    ck_assert_msg(vdc_pcap_writer_close(w, &err), "%s", err.text);

    static char out[16384];
    tshark_read(&s,
                "-T fields -E separator=, -E occurrence=f -e frame.len "
                "-e infiniband.bth.opcode -e infiniband.bth.se -e infiniband.bth.m -e infiniband.bth.padcnt "
                "-e infiniband.bth.a -e infiniband.reth.va -e infiniband.reth.r_key -e infiniband.reth.dmalen "
                "-e infiniband.aeth.syndrome -e infiniband.aeth.msn -e infiniband.immdt -e infiniband.atomiceth.swapdt "
                "-e infiniband.atomiceth.cmpdt -e infiniband.atomicacketh.origremdt -e data.len",
                out, sizeof out);
    /* va 0x0123456789abcdef, R_Key 0xfedcba98, DMA length 74565, MSN 0xabcdef = 11259375, ImmDt deadbeef,
     * swap 0x1112131415161718, compare 0x2122232425262728, original 0x3132333435363738 (tshark prints these
     * three in decimal); data.len is the payload with its pad, which Wireshark 4.0 does not strip. */
    ck_assert_str_eq(out,
                     "78,0,0,1,0,1,,,,,,,,,,16\n"                      /* SEND FIRST, 16 bytes */
                     "82,1,0,1,3,1,,,,,,,,,,20\n"                      /* SEND MIDDLE, 17 + 3 pad */
                     "82,2,0,1,2,1,,,,,,,,,,20\n"                      /* SEND LAST, 18 + 2 */
                     "86,3,0,1,1,1,,,,,,deadbeef,,,,20\n"              /* SEND LAST with immediate, 19 + 1 */
                     "78,4,0,1,0,1,,,,,,,,,,16\n"                      /* SEND ONLY */
                     "86,5,0,1,3,1,,,,,,deadbeef,,,,20\n"              /* SEND ONLY with immediate */
                     "98,6,0,1,2,1,0x0123456789abcdef,0xfedcba98,74565,,,,,,,20\n" /* RDMA WRITE FIRST */
                     "82,7,0,1,1,1,,,,,,,,,,20\n"                      /* RDMA WRITE MIDDLE */
                     "78,8,0,1,0,1,,,,,,,,,,16\n"                      /* RDMA WRITE LAST */
                     "86,9,0,1,3,1,,,,,,deadbeef,,,,20\n"              /* RDMA WRITE LAST with immediate */
                     "98,10,0,1,2,1,0x0123456789abcdef,0xfedcba98,74565,,,,,,,20\n" /* RDMA WRITE ONLY */
                     "102,11,0,1,1,1,0x0123456789abcdef,0xfedcba98,74565,,,deadbeef,,,,20\n" /* ... with immediate */
                     "78,12,0,1,0,1,0x0123456789abcdef,0xfedcba98,74565,,,,,,,\n" /* RDMA READ REQUEST */
                     "86,13,0,1,3,1,,,,31,11259375,,,,,20\n"           /* RDMA READ RESPONSE FIRST */
                     "82,14,0,1,2,1,,,,,,,,,,20\n"                     /* RDMA READ RESPONSE MIDDLE */
                     "86,15,0,1,1,1,,,,5,11259375,,,,,20\n"            /* RDMA READ RESPONSE LAST */
                     "82,16,0,1,0,1,,,,0,11259375,,,,,16\n"            /* RDMA READ RESPONSE ONLY */
                     "66,17,0,1,0,0,,,,31,11259375,,,,,\n"             /* ACKNOWLEDGE: ACK */
                     "66,17,0,1,0,0,,,,96,11259375,,,,,\n"             /* NAK: PSN sequence error */
                     "66,17,0,1,0,0,,,,97,11259375,,,,,\n"             /* NAK: invalid request */
                     "66,17,0,1,0,0,,,,98,11259375,,,,,\n"             /* NAK: remote access error */
                     "66,17,0,1,0,0,,,,99,11259375,,,,,\n"             /* NAK: remote operational error */
                     "66,17,0,1,0,0,,,,46,11259375,,,,,\n"             /* RNR NAK, timer 14 */
                     "74,18,0,1,0,0,,,,31,11259375,,,,3544952156018063160,\n" /* ATOMIC ACKNOWLEDGE */
                     "90,19,0,1,0,1,0x0123456789abcdef,0xfedcba98,,,,,1230066625199609624,2387509390608836392,,\n"
                     "90,20,0,1,0,1,0x0123456789abcdef,0xfedcba98,,,,,1230066625199609624,2387509390608836392,,\n"
                     "78,129,0,0,0,0,,,,,,,,,,\n");                    /* CNP */

    tshark_expect_clean(&s);
    scratch_remove(&s);
}
END_TEST


Suite *wire_rdma_suite(void)
{
    Suite *s = suite_create("wire_rdma");
    TCase *frames = tcase_create("frames");
    tcase_add_test(frames, opcode_table_matches_iba);
    tcase_add_loop_test(frames, every_opcode_round_trips, 0, SPECS);
    tcase_add_test(frames, pad_count_follows_the_payload);
    tcase_add_test(frames, encoder_refuses_what_does_not_fit_together);
    tcase_add_loop_test(frames, decoder_checks_lengths_per_opcode, 0,
                        sizeof length_refusals / sizeof length_refusals[0]);
    tcase_add_test(frames, decoder_keeps_nic_payloads_within_the_mtu);
    tcase_add_test(frames, rnr_naks_and_naks_are_nacks);
    suite_add_tcase(s, frames);
    TCase *tshark = tcase_create("tshark");
    tcase_add_test(tshark, tshark_reads_every_opcode);
    tcase_set_timeout(tshark, 60);
    suite_add_tcase(s, tshark);
    return s;
}
