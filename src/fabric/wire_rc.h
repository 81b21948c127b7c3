/* What follows a RoCEv2 BTH, per RC opcode: extension headers (RETH, AtomicETH, AETH, AtomicAckETH, ImmDt), payload, pad. */
#ifndef VDC_FABRIC_WIRE_RC_H
#define VDC_FABRIC_WIRE_RC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "fabric/packet.h"

/* The parts an opcode carries after its BTH; they follow one another in this order (IBA 9.2). */
enum {
    FABRIC_RC_RETH = 1 << 0,
    FABRIC_RC_ATOMIC_ETH = 1 << 1,
    FABRIC_RC_AETH = 1 << 2,
    FABRIC_RC_ATOMIC_ACK_ETH = 1 << 3,
    FABRIC_RC_IMMDT = 1 << 4,
    FABRIC_RC_CNP_RESERVED = 1 << 5, /* a CNP's 16 reserved bytes */
    FABRIC_RC_PAYLOAD = 1 << 6,      /* a payload, then the BTH pad count's zero bytes */
};

struct fabric_rc_opcode {
    uint8_t code;     /* the BTH opcode */
    const char *name; /* as IBA's opcode table names it, e.g. "RDMA WRITE ONLY with immediate" */
    uint8_t parts;    /* FABRIC_RC_* */
};

/* The RC opcode `code` (0x00..0x14) or the CNP (0x81); NULL for any other. */
const struct fabric_rc_opcode *fabric_rc_opcode(uint8_t code);

/* The opcode p goes on the wire with, or NULL when it cannot. Flow traffic (rdma NULL): DATA must be SEND
 * FIRST/MIDDLE/LAST/ONLY, ACK and NACK go out as ACKNOWLEDGE and a CNP as 0x81 whatever bth_opcode says.
 * NIC traffic (rdma set): bth_opcode must fit the kind (DATA: a request or read response; ACK: ACKNOWLEDGE or
 * ATOMIC ACKNOWLEDGE; NACK: ACKNOWLEDGE; CNP: 0x81), an AETH other than a NAK's must hold an ACK syndrome
 * (000xxxxx), a NACK's an RNR NAK (001xxxxx) or NAK (011xxxxx) one, and only opcodes with a payload may have
 * one, of at most FABRIC_RDMA_MAX_PAYLOAD bytes. */
const struct fabric_rc_opcode *fabric_rc_opcode_for(const struct fabric_packet *p);

/* Writes op's parts for p at `at`: extension header values from p->rdma (zeros when it is NULL; the AETH
 * syndrome from p->aeth_syndrome), p->payload bytes from `payload` (zeros when NULL) and `pad` zero bytes.
 * Returns the bytes written. */
size_t fabric_rc_write(const struct fabric_packet *p, const struct fabric_rc_opcode *op, const uint8_t *payload,
                       unsigned pad, uint8_t *at);

/* Reads the `rest` bytes between a BTH with opcode `code` and pad count `pad` and the ICRC: checks their length
 * against the opcode, sets out's kind, aeth_syndrome and payload, and, when rdma is not NULL, the extension
 * header values and payload bytes into *rdma (which the caller has cleared). */
bool fabric_rc_read(const uint8_t *at, size_t rest, uint8_t code, unsigned pad, struct fabric_packet *out,
                    struct fabric_rdma *rdma, struct vdc_error *err);

#endif
