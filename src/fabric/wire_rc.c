/* RC extension headers, payload and pad after a BTH: written from a fabric packet, read and checked from a frame. */
#include "fabric/wire_rc.h"

#include <stdio.h>
#include <string.h>

#include "common/bytes.h"

enum {
    SENDS = FABRIC_RC_PAYLOAD,
    READ_RESPONSE_WITH_AETH = FABRIC_RC_AETH | FABRIC_RC_PAYLOAD,
    AETH_SYNDROME_ACK = 0,     /* the syndrome's top three bits: 000 ACK */
    AETH_SYNDROME_RNR_NAK = 1, /* 001 receiver not ready */
    AETH_SYNDROME_NAK = 3,     /* 011 NAK */
};

static const struct fabric_rc_opcode rc_opcodes[] = {
    [FABRIC_OP_SEND_FIRST] = {FABRIC_OP_SEND_FIRST, "SEND FIRST", SENDS},
    [FABRIC_OP_SEND_MIDDLE] = {FABRIC_OP_SEND_MIDDLE, "SEND MIDDLE", SENDS},
    [FABRIC_OP_SEND_LAST] = {FABRIC_OP_SEND_LAST, "SEND LAST", SENDS},
    [FABRIC_OP_SEND_LAST_IMM] = {FABRIC_OP_SEND_LAST_IMM, "SEND LAST with immediate", FABRIC_RC_IMMDT | SENDS},
    [FABRIC_OP_SEND_ONLY] = {FABRIC_OP_SEND_ONLY, "SEND ONLY", SENDS},
    [FABRIC_OP_SEND_ONLY_IMM] = {FABRIC_OP_SEND_ONLY_IMM, "SEND ONLY with immediate", FABRIC_RC_IMMDT | SENDS},
    [FABRIC_OP_WRITE_FIRST] = {FABRIC_OP_WRITE_FIRST, "RDMA WRITE FIRST", FABRIC_RC_RETH | FABRIC_RC_PAYLOAD},
    [FABRIC_OP_WRITE_MIDDLE] = {FABRIC_OP_WRITE_MIDDLE, "RDMA WRITE MIDDLE", FABRIC_RC_PAYLOAD},
    [FABRIC_OP_WRITE_LAST] = {FABRIC_OP_WRITE_LAST, "RDMA WRITE LAST", FABRIC_RC_PAYLOAD},
    [FABRIC_OP_WRITE_LAST_IMM] = {FABRIC_OP_WRITE_LAST_IMM, "RDMA WRITE LAST with immediate", FABRIC_RC_IMMDT | FABRIC_RC_PAYLOAD},
    [FABRIC_OP_WRITE_ONLY] = {FABRIC_OP_WRITE_ONLY, "RDMA WRITE ONLY", FABRIC_RC_RETH | FABRIC_RC_PAYLOAD},
    [FABRIC_OP_WRITE_ONLY_IMM] = {FABRIC_OP_WRITE_ONLY_IMM, "RDMA WRITE ONLY with immediate",
                                  FABRIC_RC_RETH | FABRIC_RC_IMMDT | FABRIC_RC_PAYLOAD},
    [FABRIC_OP_READ_REQUEST] = {FABRIC_OP_READ_REQUEST, "RDMA READ REQUEST", FABRIC_RC_RETH},
    [FABRIC_OP_READ_RESPONSE_FIRST] = {FABRIC_OP_READ_RESPONSE_FIRST, "RDMA READ RESPONSE FIRST", READ_RESPONSE_WITH_AETH},
    [FABRIC_OP_READ_RESPONSE_MIDDLE] = {FABRIC_OP_READ_RESPONSE_MIDDLE, "RDMA READ RESPONSE MIDDLE", FABRIC_RC_PAYLOAD},
    [FABRIC_OP_READ_RESPONSE_LAST] = {FABRIC_OP_READ_RESPONSE_LAST, "RDMA READ RESPONSE LAST", READ_RESPONSE_WITH_AETH},
    [FABRIC_OP_READ_RESPONSE_ONLY] = {FABRIC_OP_READ_RESPONSE_ONLY, "RDMA READ RESPONSE ONLY", READ_RESPONSE_WITH_AETH},
    [FABRIC_OP_ACKNOWLEDGE] = {FABRIC_OP_ACKNOWLEDGE, "ACKNOWLEDGE", FABRIC_RC_AETH},
    [FABRIC_OP_ATOMIC_ACKNOWLEDGE] = {FABRIC_OP_ATOMIC_ACKNOWLEDGE, "ATOMIC ACKNOWLEDGE", FABRIC_RC_AETH | FABRIC_RC_ATOMIC_ACK_ETH},
    [FABRIC_OP_COMPARE_SWAP] = {FABRIC_OP_COMPARE_SWAP, "COMPARE SWAP", FABRIC_RC_ATOMIC_ETH},
    [FABRIC_OP_FETCH_ADD] = {FABRIC_OP_FETCH_ADD, "FETCH ADD", FABRIC_RC_ATOMIC_ETH},
};

static const struct fabric_rc_opcode cnp_opcode = {FABRIC_OP_CNP, "CNP", FABRIC_RC_CNP_RESERVED};

/* The headers in wire order, for lengths and messages. */
static const struct {
    uint8_t part, bytes;
    const char *name;
} headers[] = {
    {FABRIC_RC_RETH, FABRIC_RETH, "RETH"},
    {FABRIC_RC_ATOMIC_ETH, FABRIC_ATOMIC_ETH, "AtomicETH"},
    {FABRIC_RC_AETH, FABRIC_AETH, "AETH"},
    {FABRIC_RC_ATOMIC_ACK_ETH, FABRIC_ATOMIC_ACK_ETH, "AtomicAckETH"},
    {FABRIC_RC_IMMDT, FABRIC_IMMDT, "ImmDt"},
    {FABRIC_RC_CNP_RESERVED, FABRIC_CNP_PAD, NULL},
};

const struct fabric_rc_opcode *fabric_rc_opcode(uint8_t code)
{
    if (code == FABRIC_OP_CNP)
        return &cnp_opcode;
    if (code < sizeof rc_opcodes / sizeof rc_opcodes[0] && rc_opcodes[code].name != NULL)
        return &rc_opcodes[code];
    return NULL;
}

static unsigned syndrome_type(uint8_t syndrome)
{
    return syndrome >> 5;
}

static const struct fabric_rc_opcode *flow_opcode(const struct fabric_packet *p)
{
    switch (p->kind) {
    case FABRIC_PKT_DATA:
        switch (p->bth_opcode) {
        case FABRIC_OP_SEND_FIRST:
        case FABRIC_OP_SEND_MIDDLE:
        case FABRIC_OP_SEND_LAST:
        case FABRIC_OP_SEND_ONLY: return &rc_opcodes[p->bth_opcode];
        default: return NULL;
        }
    case FABRIC_PKT_ACK:
    case FABRIC_PKT_NACK: return &rc_opcodes[FABRIC_OP_ACKNOWLEDGE];
    case FABRIC_PKT_CNP: return &cnp_opcode;
    default: return NULL;
    }
}

static bool fits_kind(const struct fabric_packet *p)
{
    uint8_t code = p->bth_opcode;
    unsigned type = syndrome_type(p->aeth_syndrome);
    switch (p->kind) {
    case FABRIC_PKT_DATA: return code <= FABRIC_OP_FETCH_ADD && code != FABRIC_OP_ACKNOWLEDGE &&
                                 code != FABRIC_OP_ATOMIC_ACKNOWLEDGE;
    case FABRIC_PKT_ACK: return code == FABRIC_OP_ACKNOWLEDGE || code == FABRIC_OP_ATOMIC_ACKNOWLEDGE;
    case FABRIC_PKT_NACK:
        return code == FABRIC_OP_ACKNOWLEDGE && (type == AETH_SYNDROME_RNR_NAK || type == AETH_SYNDROME_NAK);
    case FABRIC_PKT_CNP: return code == FABRIC_OP_CNP;
    default: return false;
    }
}

const struct fabric_rc_opcode *fabric_rc_opcode_for(const struct fabric_packet *p)
{
    if (p->rdma == NULL)
        return flow_opcode(p);
    const struct fabric_rc_opcode *op = fabric_rc_opcode(p->bth_opcode);
    if (op == NULL || !fits_kind(p))
        return NULL;
    if ((op->parts & FABRIC_RC_AETH) && p->kind != FABRIC_PKT_NACK &&
        syndrome_type(p->aeth_syndrome) != AETH_SYNDROME_ACK)
        return NULL;
    if (p->payload > ((op->parts & FABRIC_RC_PAYLOAD) ? FABRIC_RDMA_MAX_PAYLOAD : 0))
        return NULL;
    return op;
}

size_t fabric_rc_write(const struct fabric_packet *p, const struct fabric_rc_opcode *op, const uint8_t *payload,
                       unsigned pad, uint8_t *at)
{
    static const struct fabric_rdma none;
    const struct fabric_rdma *r = p->rdma ? p->rdma : &none;
    uint8_t *start = at;
    if (op->parts & FABRIC_RC_RETH) {
        be_put64(at, r->va);
        be_put32(at + 8, r->rkey);
        be_put32(at + 12, r->dma_length);
        at += FABRIC_RETH;
    }
    if (op->parts & FABRIC_RC_ATOMIC_ETH) {
        be_put64(at, r->va);
        be_put32(at + 8, r->rkey);
        be_put64(at + 12, r->swap_add);
        be_put64(at + 20, r->compare);
        at += FABRIC_ATOMIC_ETH;
    }
    if (op->parts & FABRIC_RC_AETH) {
        at[0] = p->aeth_syndrome;
        be_put24(at + 1, r->msn & 0xffffff);
        at += FABRIC_AETH;
    }
    if (op->parts & FABRIC_RC_ATOMIC_ACK_ETH) {
        be_put64(at, r->original);
        at += FABRIC_ATOMIC_ACK_ETH;
    }
    if (op->parts & FABRIC_RC_IMMDT) {
        be_put32(at, r->immediate);
        at += FABRIC_IMMDT;
    }
    if (op->parts & FABRIC_RC_CNP_RESERVED) {
        memset(at, 0, FABRIC_CNP_PAD);
        at += FABRIC_CNP_PAD;
    }
    if (op->parts & FABRIC_RC_PAYLOAD) {
        if (payload != NULL)
            memcpy(at, payload, p->payload);
        else
            memset(at, 0, p->payload);
        memset(at + p->payload, 0, pad);
        at += p->payload + pad;
    }
    return (size_t)(at - start);
}

/* "the 16-byte RETH and the 4-byte ImmDt": what an opcode's headers are, for messages. */
static void describe_headers(uint8_t parts, char *text, size_t size, uint32_t *bytes)
{
    size_t used = 0;
    *bytes = 0;
    text[0] = '\0';
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
        if (!(parts & headers[i].part))
            continue;
        int n = headers[i].name ? snprintf(text + used, size - used, "%sthe %u-byte %s", *bytes ? " and " : "",
                                           headers[i].bytes, headers[i].name)
                                : snprintf(text + used, size - used, "%u reserved bytes", headers[i].bytes);
        used += (size_t)n < size - used ? (size_t)n : size - used - 1;
        *bytes += headers[i].bytes;
    }
}

static bool check_length(const struct fabric_rc_opcode *op, size_t rest, unsigned pad, uint32_t *payload,
                         struct vdc_error *err)
{
    char expected[96];
    uint32_t need;
    describe_headers(op->parts, expected, sizeof expected, &need);
    if (!(op->parts & FABRIC_RC_PAYLOAD)) {
        bool plural = strstr(expected, " and ") != NULL || (op->parts & FABRIC_RC_CNP_RESERVED);
        if (rest != need)
            return vdc_fail(err, "%s carries %zu bytes after its BTH where %s %s expected", op->name, rest, expected,
                            plural ? "were" : "was");
        if (pad != 0)
            return vdc_fail(err, "BTH pad count %u, but %s carries no payload to pad", pad, op->name);
        *payload = 0;
        return true;
    }
    if (rest < need)
        return vdc_fail(err, "%s carries %zu bytes after its BTH, too few for %s", op->name, rest, expected);
    if (pad > rest - need)
        return vdc_fail(err, "BTH pad count %u exceeds the %zu payload bytes", pad, rest - need);
    *payload = (uint32_t)(rest - need - pad);
    return true;
}

/* ACKNOWLEDGE tells ACK from NAK by its syndrome; other AETHs (read responses, ATOMIC ACKNOWLEDGE) hold ACKs. */
static bool read_kind(uint8_t code, const struct fabric_rc_opcode *op, uint8_t syndrome, uint8_t *kind,
                      struct vdc_error *err)
{
    unsigned type = syndrome_type(syndrome);
    if (code == FABRIC_OP_CNP) {
        *kind = FABRIC_PKT_CNP;
    } else if (code == FABRIC_OP_ACKNOWLEDGE) {
        if (type == AETH_SYNDROME_ACK)
            *kind = FABRIC_PKT_ACK;
        else if (type == AETH_SYNDROME_RNR_NAK || type == AETH_SYNDROME_NAK)
            *kind = FABRIC_PKT_NACK;
        else
            return vdc_fail(err, "AETH syndrome 0x%02x is neither an ACK (000xxxxx), an RNR NAK (001xxxxx) nor a "
                            "NAK (011xxxxx)", syndrome);
    } else if ((op->parts & FABRIC_RC_AETH) && type != AETH_SYNDROME_ACK) {
        return vdc_fail(err, "AETH syndrome 0x%02x of %s is not an ACK (000xxxxx); a responder sends NAKs in "
                        "ACKNOWLEDGE packets", syndrome, op->name);
    } else {
        *kind = code == FABRIC_OP_ATOMIC_ACKNOWLEDGE ? FABRIC_PKT_ACK : FABRIC_PKT_DATA;
    }
    return true;
}

bool fabric_rc_read(const uint8_t *at, size_t rest, uint8_t code, unsigned pad, struct fabric_packet *out,
                    struct fabric_rdma *rdma, struct vdc_error *err)
{
    const struct fabric_rc_opcode *op = fabric_rc_opcode(code);
    if (op == NULL)
        return vdc_fail(err, "BTH opcode 0x%02x is not one vdc models (RC 0x00..0x14: SEND, RDMA WRITE, RDMA READ, "
                        "ACKNOWLEDGE, ATOMIC; CNP 0x81)", code);
    uint32_t payload = 0;
    if (!check_length(op, rest, pad, &payload, err))
        return false;
    if (rdma != NULL && payload > FABRIC_RDMA_MAX_PAYLOAD)
        return vdc_fail(err, "%s carries a %u-byte payload, more than a NIC packet holds (%d bytes, InfiniBand's "
                        "largest MTU)", op->name, payload, FABRIC_RDMA_MAX_PAYLOAD);
    uint8_t syndrome = 0;
    if (op->parts & FABRIC_RC_AETH) /* first: no opcode has a RETH or AtomicETH with its AETH */
        syndrome = at[0];
    if (!read_kind(code, op, syndrome, &out->kind, err))
        return false;
    out->aeth_syndrome = syndrome;
    out->payload = payload;
    if (rdma == NULL)
        return true;
    if (op->parts & FABRIC_RC_RETH) {
        rdma->va = be_get64(at);
        rdma->rkey = be_get32(at + 8);
        rdma->dma_length = be_get32(at + 12);
        at += FABRIC_RETH;
    }
    if (op->parts & FABRIC_RC_ATOMIC_ETH) {
        rdma->va = be_get64(at);
        rdma->rkey = be_get32(at + 8);
        rdma->swap_add = be_get64(at + 12);
        rdma->compare = be_get64(at + 20);
        at += FABRIC_ATOMIC_ETH;
    }
    if (op->parts & FABRIC_RC_AETH) {
        rdma->msn = be_get24(at + 1);
        at += FABRIC_AETH;
    }
    if (op->parts & FABRIC_RC_ATOMIC_ACK_ETH) {
        rdma->original = be_get64(at);
        at += FABRIC_ATOMIC_ACK_ETH;
    }
    if (op->parts & FABRIC_RC_IMMDT) {
        rdma->immediate = be_get32(at);
        at += FABRIC_IMMDT;
    }
    if (op->parts & FABRIC_RC_PAYLOAD)
        memcpy(rdma->data, at, payload);
    return true;
}
