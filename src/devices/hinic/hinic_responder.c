/* HiNIC's responder: in-order execution of incoming SEND, WRITE, READ and atomic requests against the guest's
 * receive queue and memory regions, with ACK, NAK, RNR NAK and CNP replies and paced read responses. */
#include <stdlib.h>
#include <string.h>

#include "fabric/wire.h"
#include "kvm/guest.h"
#include "devices/hinic/hinic_internal.h"

/* AETH syndrome of an ACK: the "invalid credit count" encoding, as vdc models no end-to-end credits. */
enum { AETH_ACK = 0x1F, AETH_RNR_NAK = FABRIC_AETH_RNR_NAK | 1 /* timer code 1: 0.01 ms */ };

struct fabric_packet *hinic_packet(struct hinic *nic, const struct hinic_qp *qp, enum fabric_packet_kind kind,
                                   uint8_t opcode, uint32_t psn, uint32_t payload)
{
    struct fabric_packet *p = fabric_packet_alloc(nic->pool);
    fabric_packet_add_rdma(nic->pool, p);
    bool data = kind == FABRIC_PKT_DATA;
    p->kind = (uint8_t)kind;
    p->bth_opcode = opcode;
    p->priority = data ? qp->priority : nic->cfg->control_priority;
    p->ecn = data && nic->cfg->ecn ? FABRIC_ECN_ECT0 : FABRIC_ECN_NOT_ECT;
    p->ttl = 64;
    p->ack_request = data && opcode < FABRIC_OP_READ_RESPONSE_FIRST;
    p->src_host = nic->node;
    p->dst_host = qp->dest_node;
    p->dest_qp = qp->dest_qpn;
    p->udp_source_port = qp->source_port;
    p->psn = psn & 0xFFFFFF;
    p->payload = payload;
    p->flow = FABRIC_FLOW_ENDPOINT;
    p->frame_bytes = kind == FABRIC_PKT_CNP ? FABRIC_ROCE_OVERHEAD + FABRIC_CNP_PAD
                                            : fabric_rdma_frame_bytes(opcode, payload);
    p->sent_at = hinic_now(nic);
    p->rdma->msn = qp->msn & 0xFFFFFF;
    return p;
}

static void send_control(struct hinic *nic, struct fabric_packet *p)
{
    p->next = NULL;
    if (nic->control_tail)
        nic->control_tail->next = p;
    else
        nic->control_head = p;
    nic->control_tail = p;
    hinic_kick(nic);
}

static struct hinic_read_job *push_job(struct hinic *nic)
{
    if (nic->read_count == nic->read_cap) {
        uint32_t cap = nic->read_cap ? nic->read_cap * 2 : 16;
        struct hinic_read_job *ring = vdc_xcalloc(cap, sizeof *ring);
        for (uint32_t i = 0; i < nic->read_count; i++)
            ring[i] = nic->reads[(nic->read_head + i) % nic->read_cap];
        free(nic->reads);
        nic->reads = ring;
        nic->read_cap = cap;
        nic->read_head = 0;
    }
    struct hinic_read_job *job = &nic->reads[(nic->read_head + nic->read_count++) % nic->read_cap];
    memset(job, 0, sizeof *job);
    return job;
}

/* Replies leave in PSN order: behind any read still being answered, else at once. */
static void send_ordered(struct hinic *nic, const struct hinic_qp *qp, struct fabric_packet *p)
{
    if (nic->read_count == 0) {
        send_control(nic, p);
        return;
    }
    struct hinic_read_job *job = push_job(nic);
    job->packet = p;
    job->qp = qp->index;
    hinic_kick(nic);
}

static void reply(struct hinic *nic, struct hinic_qp *qp, uint8_t syndrome, uint32_t psn)
{
    struct fabric_packet *p = hinic_packet(nic, qp, syndrome == AETH_ACK ? FABRIC_PKT_ACK : FABRIC_PKT_NACK,
                                           FABRIC_OP_ACKNOWLEDGE, psn, 0);
    p->aeth_syndrome = syndrome;
    send_ordered(nic, qp, p);
}

static void complete_receive(struct hinic *nic, struct hinic_qp *qp, enum hinic_wc_status status, uint8_t opcode,
                             uint32_t byte_len, bool with_imm, uint32_t immediate, enum hinic_error why)
{
    struct hinic_cqe cqe = {.wr_id = qp->recv.wr_id, .byte_len = byte_len, .immediate = immediate,
                            .status = (uint8_t)status, .opcode = opcode,
                            .flags = with_imm ? HINIC_CQE_WITH_IMM : 0, .qpn = qp->qpn, .src_qp = qp->dest_qpn,
                            .vendor_err = why};
    hinic_complete(nic, qp->recv_cq, &cqe);
    qp->recv_active = false;
}

/* Takes the next receive WQE; false (an RNR NAK is due) when the guest has posted none. */
static bool take_receive(struct hinic *nic, struct hinic_qp *qp)
{
    if (qp->rq_used == qp->rq_posted)
        return false;
    uint64_t at = qp->rq_ring + (uint64_t)(qp->rq_used % qp->rq_entries) * sizeof qp->recv;
    if (!hinic_dma_read(nic, at, &qp->recv, sizeof qp->recv, "receive WQE"))
        memset(&qp->recv, 0, sizeof qp->recv); /* fails below as a bad key */
    qp->rq_used++;
    qp->recv_active = true;
    qp->recv_offset = 0;
    return true;
}

/* A responder error: the receive (if any) completes with `status`, the requester is told, the QP fails;
 * `reason` says what was wrong. */
static void responder_error(struct hinic *nic, struct hinic_qp *qp, uint8_t syndrome, uint32_t psn,
                            enum hinic_wc_status status, enum hinic_error why, const char *reason)
{
    hinic_log(nic, why, "QP 0x%x: request PSN %u refused: %s; NAK 0x%02x, the QP enters the error state", qp->qpn,
              psn & 0xFFFFFF, reason, syndrome);
    if (qp->recv_active)
        complete_receive(nic, qp, status, HINIC_WC_RECV, qp->recv_offset, false, 0, why);
    reply(nic, qp, syndrome, psn);
    hinic_qp_fail(nic, qp, HINIC_WC_WR_FLUSH_ERR, why);
}

static bool is_send(uint8_t op)
{
    return op <= FABRIC_OP_SEND_ONLY_IMM;
}

static bool is_write(uint8_t op)
{
    return op >= FABRIC_OP_WRITE_FIRST && op <= FABRIC_OP_WRITE_ONLY_IMM;
}

static bool starts_message(uint8_t op)
{
    return op == FABRIC_OP_SEND_FIRST || op == FABRIC_OP_SEND_ONLY || op == FABRIC_OP_SEND_ONLY_IMM ||
           op == FABRIC_OP_WRITE_FIRST || op == FABRIC_OP_WRITE_ONLY || op == FABRIC_OP_WRITE_ONLY_IMM;
}

static bool ends_message(uint8_t op)
{
    return op == FABRIC_OP_SEND_LAST || op == FABRIC_OP_SEND_LAST_IMM || op == FABRIC_OP_SEND_ONLY ||
           op == FABRIC_OP_SEND_ONLY_IMM || op == FABRIC_OP_WRITE_LAST || op == FABRIC_OP_WRITE_LAST_IMM ||
           op == FABRIC_OP_WRITE_ONLY || op == FABRIC_OP_WRITE_ONLY_IMM;
}

static bool carries_immediate(uint8_t op)
{
    return op == FABRIC_OP_SEND_LAST_IMM || op == FABRIC_OP_SEND_ONLY_IMM || op == FABRIC_OP_WRITE_LAST_IMM ||
           op == FABRIC_OP_WRITE_ONLY_IMM;
}

/* SEND packets fill the current receive WQE. Returns false when the request was refused. */
static bool receive_send(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p, uint32_t psn)
{
    uint8_t op = p->bth_opcode;
    if (p->payload > 0) {
        enum hinic_error why;
        struct vdc_error err;
        if ((uint64_t)qp->recv_offset + p->payload > qp->recv.length) {
            vdc_fail(&err, "the message is longer than its receive WQE's %u bytes", qp->recv.length);
            responder_error(nic, qp, FABRIC_AETH_NAK_INVALID_REQUEST, psn, HINIC_WC_LOC_LEN_ERR, HINIC_ERR_LENGTH,
                            err.text);
            return false;
        }
        uint64_t at = qp->recv.addr + qp->recv_offset;
        const struct hinic_mr *mr =
            hinic_mr_check(nic, qp->recv.lkey, at, p->payload, HINIC_ACCESS_LOCAL_WRITE, &why, &err);
        if (mr == NULL ||
            !hinic_dma_write_payload(nic, hinic_mr_physical(mr, at), p->rdma, p->payload, "received data")) {
            if (mr == NULL)
                vdc_fail_prefix(&err, "receive WQE");
            else
                vdc_fail(&err, "receive WQE: its memory is outside guest memory");
            responder_error(nic, qp, FABRIC_AETH_NAK_REMOTE_OPERATIONAL, psn, HINIC_WC_LOC_PROT_ERR,
                            mr == NULL ? why : HINIC_ERR_DMA, err.text);
            return false;
        }
        qp->recv_offset += p->payload;
    }
    if (ends_message(op))
        complete_receive(nic, qp, HINIC_WC_SUCCESS, HINIC_WC_RECV, qp->recv_offset, carries_immediate(op),
                         p->rdma->immediate, HINIC_ERR_NONE);
    return true;
}

static bool receive_write(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p, uint32_t psn)
{
    uint8_t op = p->bth_opcode;
    enum hinic_error why;
    struct vdc_error err;
    if (starts_message(op)) {
        const struct hinic_mr *mr = hinic_mr_check(nic, p->rdma->rkey, p->rdma->va, p->rdma->dma_length,
                                                   HINIC_ACCESS_REMOTE_WRITE, &why, &err);
        if (mr == NULL) {
            vdc_fail_prefix(&err, "RDMA WRITE");
            responder_error(nic, qp, FABRIC_AETH_NAK_REMOTE_ACCESS, psn, HINIC_WC_REM_ACCESS_ERR, why, err.text);
            return false;
        }
        qp->write_physical = hinic_mr_physical(mr, p->rdma->va);
        qp->write_rkey = p->rdma->rkey;
        qp->write_left = qp->write_total = p->rdma->dma_length;
    }
    if (p->payload > qp->write_left) {
        vdc_fail(&err, "RDMA WRITE: more bytes than the %u its RETH announced", qp->write_total);
        responder_error(nic, qp, FABRIC_AETH_NAK_INVALID_REQUEST, psn, HINIC_WC_REM_INV_REQ_ERR, HINIC_ERR_LENGTH,
                        err.text);
        return false;
    }
    if (p->payload > 0 && !hinic_dma_write_payload(nic, qp->write_physical, p->rdma, p->payload,
                                                     "written data")) {
        responder_error(nic, qp, FABRIC_AETH_NAK_REMOTE_OPERATIONAL, psn, HINIC_WC_REM_OP_ERR, HINIC_ERR_DMA,
                        "RDMA WRITE: its memory is outside guest memory");
        return false;
    }
    qp->write_physical += p->payload;
    qp->write_left -= p->payload;
    if (carries_immediate(op))
        complete_receive(nic, qp, HINIC_WC_SUCCESS, HINIC_WC_RECV_RDMA_WITH_IMM, qp->write_total, true,
                         p->rdma->immediate, HINIC_ERR_NONE);
    return true;
}

static void queue_read(struct hinic *nic, struct hinic_qp *qp, uint32_t psn, uint64_t physical, uint32_t length)
{
    uint32_t count = length == 0 ? 1 : (length + qp->mtu - 1) / qp->mtu;
    /* The NIC reads the data from host memory before the first response: one round trip after its pipeline. */
    vdc_time ready = hinic_now(nic) + nic->params.processing + 2 * nic->params.pcie_latency;
    *push_job(nic) = (struct hinic_read_job){.qp = qp->index, .psn = psn, .count = count, .first_psn = psn,
                                             .total = count, .physical = physical, .length = length,
                                             .ready_at = ready};
    hinic_kick(nic);
}

static bool receive_read(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p, uint32_t psn)
{
    enum hinic_error why;
    struct vdc_error err;
    const struct hinic_mr *mr =
        hinic_mr_check(nic, p->rdma->rkey, p->rdma->va, p->rdma->dma_length, HINIC_ACCESS_REMOTE_READ, &why, &err);
    if (mr == NULL) {
        vdc_fail_prefix(&err, "RDMA READ");
        responder_error(nic, qp, FABRIC_AETH_NAK_REMOTE_ACCESS, psn, HINIC_WC_REM_ACCESS_ERR, why, err.text);
        return false;
    }
    queue_read(nic, qp, psn, hinic_mr_physical(mr, p->rdma->va), p->rdma->dma_length);
    return true;
}

static void atomic_reply(struct hinic *nic, struct hinic_qp *qp, uint32_t psn, uint64_t original)
{
    struct fabric_packet *r = hinic_packet(nic, qp, FABRIC_PKT_ACK, FABRIC_OP_ATOMIC_ACKNOWLEDGE, psn, 0);
    r->aeth_syndrome = AETH_ACK;
    r->rdma->original = original;
    send_ordered(nic, qp, r);
}

static bool receive_atomic(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p, uint32_t psn)
{
    enum hinic_error why = HINIC_ERR_BAD_DESCRIPTOR;
    struct vdc_error err;
    const struct fabric_rdma *r = p->rdma;
    const struct hinic_mr *mr = NULL;
    if (r->va % 8 != 0)
        vdc_fail(&err, "atomic: address 0x%llx is not 8-byte aligned", (unsigned long long)r->va);
    else if ((mr = hinic_mr_check(nic, r->rkey, r->va, 8, HINIC_ACCESS_REMOTE_ATOMIC, &why, &err)) == NULL)
        vdc_fail_prefix(&err, "atomic");
    if (mr == NULL) {
        responder_error(nic, qp, FABRIC_AETH_NAK_REMOTE_ACCESS, psn, HINIC_WC_REM_ACCESS_ERR, why, err.text);
        return false;
    }
    uint64_t value, at = hinic_mr_physical(mr, r->va);
    if (!hinic_dma_read(nic, at, &value, sizeof value, "atomic target")) {
        responder_error(nic, qp, FABRIC_AETH_NAK_REMOTE_OPERATIONAL, psn, HINIC_WC_REM_OP_ERR, HINIC_ERR_DMA,
                        "atomic: its memory is outside guest memory");
        return false;
    }
    uint64_t updated = p->bth_opcode == FABRIC_OP_FETCH_ADD ? value + r->swap_add
                                                            : (value == r->compare ? r->swap_add : value);
    hinic_dma_write(nic, at, &updated, sizeof updated, "atomic target");
    uint32_t slot = qp->atomic_count++ % HINIC_ATOMIC_RESULTS;
    qp->atomic_psn[slot] = psn;
    qp->atomic_result[slot] = value;
    atomic_reply(nic, qp, psn, value);
    return true;
}

static void duplicate(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p, uint32_t psn)
{
    uint8_t op = p->bth_opcode;
    if (op == FABRIC_OP_READ_REQUEST) {
        /* Reads are idempotent: answer again from this PSN. */
        enum hinic_error why;
        struct vdc_error err;
        const struct hinic_mr *mr =
            hinic_mr_check(nic, p->rdma->rkey, p->rdma->va, p->rdma->dma_length, HINIC_ACCESS_REMOTE_READ, &why, &err);
        if (mr != NULL)
            queue_read(nic, qp, psn, hinic_mr_physical(mr, p->rdma->va), p->rdma->dma_length);
    } else if (op == FABRIC_OP_COMPARE_SWAP || op == FABRIC_OP_FETCH_ADD) {
        uint32_t kept = qp->atomic_count < HINIC_ATOMIC_RESULTS ? qp->atomic_count : HINIC_ATOMIC_RESULTS;
        for (uint32_t i = 0; i < kept; i++) {
            if (qp->atomic_psn[i] == psn)
                atomic_reply(nic, qp, psn, qp->atomic_result[i]); /* never executed twice */
        }
    } else {
        reply(nic, qp, AETH_ACK, qp->expected_psn - 1);
    }
}

void hinic_responder_receive(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p)
{
    if (qp->state != HINIC_QPS_RTR && qp->state != HINIC_QPS_RTS)
        return; /* a QP that cannot receive drops the packet, as hardware does */
    if (p->rdma == NULL)
        return;
    vdc_time now = hinic_now(nic);
    if (p->ecn == FABRIC_ECN_CE && now >= qp->cnp_quiet_until) {
        qp->cnp_quiet_until = now + nic->cfg->cnp_interval;
        send_control(nic, hinic_packet(nic, qp, FABRIC_PKT_CNP, FABRIC_OP_CNP, 0, 0));
    }
    uint32_t psn = hinic_psn_unwrap(p->psn, qp->expected_psn);
    if ((int32_t)(psn - qp->expected_psn) > 0) {
        if (!qp->nak_sent) {
            qp->nak_sent = true;
            reply(nic, qp, FABRIC_AETH_NAK_PSN_ERROR, qp->expected_psn);
        }
        return;
    }
    if (psn != qp->expected_psn) {
        duplicate(nic, qp, p, psn);
        return;
    }
    uint8_t op = p->bth_opcode;
    if (is_send(op) && starts_message(op) == qp->recv_active) {
        responder_error(nic, qp, FABRIC_AETH_NAK_INVALID_REQUEST, psn, HINIC_WC_REM_INV_REQ_ERR,
                        HINIC_ERR_BAD_DESCRIPTOR,
                        qp->recv_active ? "a SEND starts while another is unfinished"
                                        : "a SEND continues a message that never started");
        return;
    }
    bool needs_receive = (is_send(op) && starts_message(op)) || (is_write(op) && carries_immediate(op));
    if (needs_receive && !qp->recv_active) {
        if (!take_receive(nic, qp)) {
            reply(nic, qp, AETH_RNR_NAK, psn);
            return;
        }
        if (qp->recv.reserved != 0) {
            responder_error(nic, qp, FABRIC_AETH_NAK_REMOTE_OPERATIONAL, psn, HINIC_WC_LOC_QP_OP_ERR,
                            HINIC_ERR_BAD_DESCRIPTOR, "receive WQE: reserved field is not zero");
            return;
        }
    }
    bool ok;
    uint32_t consumed = 1;
    if (is_send(op))
        ok = receive_send(nic, qp, p, psn);
    else if (is_write(op))
        ok = receive_write(nic, qp, p, psn);
    else if (op == FABRIC_OP_READ_REQUEST) {
        ok = receive_read(nic, qp, p, psn);
        consumed = p->rdma->dma_length == 0 ? 1 : (p->rdma->dma_length + qp->mtu - 1) / qp->mtu;
    } else if (op == FABRIC_OP_COMPARE_SWAP || op == FABRIC_OP_FETCH_ADD)
        ok = receive_atomic(nic, qp, p, psn);
    else {
        struct vdc_error err;
        vdc_fail(&err, "unknown opcode 0x%02x", op);
        responder_error(nic, qp, FABRIC_AETH_NAK_INVALID_REQUEST, psn, HINIC_WC_REM_INV_REQ_ERR,
                        HINIC_ERR_BAD_DESCRIPTOR, err.text);
        return;
    }
    if (!ok)
        return;
    qp->expected_psn += consumed;
    qp->nak_sent = false;
    if (ends_message(op) || op == FABRIC_OP_READ_REQUEST || op == FABRIC_OP_COMPARE_SWAP || op == FABRIC_OP_FETCH_ADD)
        qp->msn++;
    if (p->ack_request && (is_send(op) || is_write(op)))
        reply(nic, qp, AETH_ACK, psn);
}

static uint8_t response_opcode(const struct hinic_read_job *job)
{
    uint32_t index = job->psn - job->first_psn;
    if (job->total == 1)
        return FABRIC_OP_READ_RESPONSE_ONLY;
    if (index == 0)
        return FABRIC_OP_READ_RESPONSE_FIRST;
    return index + 1 == job->total ? FABRIC_OP_READ_RESPONSE_LAST : FABRIC_OP_READ_RESPONSE_MIDDLE;
}

/* The head read job, dropping those whose QP has gone away or failed. */
static struct hinic_read_job *head_read(struct hinic *nic)
{
    while (nic->read_count > 0) {
        struct hinic_read_job *job = &nic->reads[nic->read_head];
        const struct hinic_qp *qp = &nic->qps[job->qp];
        if (job->packet != NULL)
            return job;
        if (qp->valid && (qp->state == HINIC_QPS_RTR || qp->state == HINIC_QPS_RTS) && job->count > 0)
            return job;
        nic->read_head = (nic->read_head + 1) % nic->read_cap;
        nic->read_count--;
    }
    return NULL;
}

static vdc_time read_ready_at(const struct hinic *nic, const struct hinic_read_job *job)
{
    const struct hinic_qp *qp = &nic->qps[job->qp];
    vdc_time t = job->ready_at > qp->next_send_at ? job->ready_at : qp->next_send_at;
    return nic->dma_free_at > t ? nic->dma_free_at : t;
}

struct fabric_packet *hinic_responder_next(struct hinic *nic, struct fabric_port *port)
{
    const struct fabric_config *cfg = nic->cfg;
    if (nic->control_head && !(port->paused_mask & (1u << cfg->control_priority))) {
        struct fabric_packet *p = nic->control_head;
        nic->control_head = p->next;
        if (!nic->control_head)
            nic->control_tail = NULL;
        p->next = NULL;
        return p;
    }
    struct hinic_read_job *job = head_read(nic);
    if (job == NULL)
        return NULL;
    if (job->packet != NULL) {
        if (port->paused_mask & (1u << job->packet->priority))
            return NULL;
        struct fabric_packet *p = job->packet;
        nic->read_head = (nic->read_head + 1) % nic->read_cap;
        nic->read_count--;
        return p;
    }
    struct hinic_qp *qp = &nic->qps[job->qp];
    vdc_time now = hinic_now(nic);
    if ((port->paused_mask & (1u << qp->priority)) || read_ready_at(nic, job) > now)
        return NULL;
    uint32_t payload = job->length < qp->mtu ? job->length : qp->mtu;
    struct fabric_packet *p = hinic_packet(nic, qp, FABRIC_PKT_DATA, response_opcode(job), job->psn, payload);
    p->aeth_syndrome = AETH_ACK;
    if (payload > 0 && !hinic_dma_payload(nic, job->physical, p->rdma, payload, "read response data"))
        memset(p->rdma->data, 0, payload); /* the MR was checked; only a vanished mapping gets here */
    nic->dma_free_at = (nic->dma_free_at > now ? nic->dma_free_at : now) +
                       hinic_dma_read_time(nic, job->physical, payload);
    if (cfg->dcqcn.enabled && qp->cc.rate < port->rate)
        qp->next_send_at = now + (fabric_wire_bits(p->frame_bytes) * VDC_SEC + qp->cc.rate - 1) / qp->cc.rate;
    job->psn++;
    job->physical += payload;
    job->length -= payload;
    job->count--;
    return p;
}

vdc_time hinic_responder_ready(const struct hinic *nic, const struct fabric_port *port)
{
    if (nic->control_head && !(port->paused_mask & (1u << nic->cfg->control_priority)))
        return 0;
    for (uint32_t i = 0; i < nic->read_count; i++) {
        const struct hinic_read_job *job = &nic->reads[(nic->read_head + i) % nic->read_cap];
        const struct hinic_qp *qp = &nic->qps[job->qp];
        if (job->packet != NULL)
            return (port->paused_mask & (1u << job->packet->priority)) ? VDC_TIME_MAX : 0;
        if (qp->valid && (qp->state == HINIC_QPS_RTR || qp->state == HINIC_QPS_RTS) && job->count > 0)
            return (port->paused_mask & (1u << qp->priority)) ? VDC_TIME_MAX : read_ready_at(nic, job);
    }
    return VDC_TIME_MAX;
}

void hinic_responder_flush(struct hinic *nic, struct hinic_qp *qp)
{
    if (qp->recv_active)
        complete_receive(nic, qp, HINIC_WC_WR_FLUSH_ERR, HINIC_WC_RECV, 0, false, 0, HINIC_ERR_NONE);
    while (qp->rq_used != qp->rq_posted) {
        take_receive(nic, qp);
        complete_receive(nic, qp, HINIC_WC_WR_FLUSH_ERR, HINIC_WC_RECV, 0, false, 0, HINIC_ERR_NONE);
    }
}
