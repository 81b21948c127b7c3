/* HiNIC's requester: fetches send WQEs, cuts messages into packets at the path MTU under DCQCN's rate, and
 * completes them from ACKs, read responses and atomic acknowledgements; go-back-N on NAK or timeout. */
#include <string.h>

#include "fabric/wire.h"
#include "kvm/guest.h"
#include "devices/hinic/hinic_internal.h"

static uint32_t packets_of(uint32_t length, uint32_t mtu)
{
    return length == 0 ? 1 : (length + mtu - 1) / mtu;
}

static bool reads_local_data(uint8_t opcode)
{
    return opcode == HINIC_WR_SEND || opcode == HINIC_WR_SEND_WITH_IMM || opcode == HINIC_WR_RDMA_WRITE ||
           opcode == HINIC_WR_RDMA_WRITE_WITH_IMM;
}

static bool is_atomic(uint8_t opcode)
{
    return opcode == HINIC_WR_ATOMIC_CMP_AND_SWP || opcode == HINIC_WR_ATOMIC_FETCH_AND_ADD;
}

static void make_ready(struct hinic *nic, struct hinic_qp *qp)
{
    if (qp->in_ready_list)
        return;
    qp->in_ready_list = true;
    nic->ready[nic->ready_count++] = qp->index;
}

/* Checks a WQE before each of its packets: the status it completes with when it is bad (with *why and `err`
 * saying what is wrong), and in *mr the memory region of its local segment (NULL when it has no bytes). */
static enum hinic_wc_status check_wqe(const struct hinic *nic, const struct hinic_send_wqe *w,
                                      const struct hinic_mr **mr, enum hinic_error *why, struct vdc_error *err)
{
    *mr = NULL;
    *why = HINIC_ERR_BAD_DESCRIPTOR;
    if (w->opcode > HINIC_WR_ATOMIC_FETCH_AND_ADD)
        return vdc_fail(err, "unknown opcode %u", w->opcode), HINIC_WC_LOC_QP_OP_ERR;
    if ((w->flags & ~HINIC_SEND_SIGNALED) != 0)
        return vdc_fail(err, "unknown flags 0x%02x", w->flags & ~HINIC_SEND_SIGNALED), HINIC_WC_LOC_QP_OP_ERR;
    if (w->reserved0 != 0 || w->reserved1 != 0)
        return vdc_fail(err, "reserved fields are not zero"), HINIC_WC_LOC_QP_OP_ERR;
    if (is_atomic(w->opcode) && w->length != 8)
        return vdc_fail(err, "an atomic's length is %u, not 8", w->length), HINIC_WC_LOC_QP_OP_ERR;
    if (is_atomic(w->opcode) && w->remote_addr % 8 != 0)
        return vdc_fail(err, "an atomic's remote address 0x%llx is not 8-byte aligned",
                        (unsigned long long)w->remote_addr),
               HINIC_WC_LOC_QP_OP_ERR;
    if (w->length > (1u << 31)) {
        *why = HINIC_ERR_LENGTH;
        return vdc_fail(err, "length %u is more than 2^31 bytes", w->length), HINIC_WC_LOC_LEN_ERR;
    }
    if (w->length == 0)
        return HINIC_WC_SUCCESS;
    uint32_t access = reads_local_data(w->opcode) ? 0 : HINIC_ACCESS_LOCAL_WRITE;
    *mr = hinic_mr_check(nic, w->lkey, w->local_addr, w->length, access, why, err);
    if (*mr != NULL)
        return HINIC_WC_SUCCESS;
    vdc_fail_prefix(err, "local segment");
    return *why == HINIC_ERR_LENGTH ? HINIC_WC_LOC_LEN_ERR : HINIC_WC_LOC_PROT_ERR;
}

/* Writes what a READ or an atomic brought back into the request's local segment; false when it failed the QP. */
static bool local_write(struct hinic *nic, struct hinic_qp *qp, const struct hinic_send_wqe *w, uint64_t offset,
                        const void *data, uint32_t length, const char *what)
{
    enum hinic_error why;
    struct vdc_error err;
    uint64_t at = w->local_addr + offset;
    const struct hinic_mr *mr = hinic_mr_check(nic, w->lkey, at, length, HINIC_ACCESS_LOCAL_WRITE, &why, &err);
    if (mr != NULL && hinic_dma_write(nic, hinic_mr_physical(mr, at), data, length, what))
        return true;
    if (mr == NULL)
        hinic_log(nic, why, "QP 0x%x: %s for wr_id %llu: local segment: %s; the QP enters the error state", qp->qpn,
                  what, (unsigned long long)w->wr_id, err.text);
    hinic_qp_fail(nic, qp, HINIC_WC_LOC_PROT_ERR, mr == NULL ? why : HINIC_ERR_DMA);
    return false;
}

static void flush_one(struct hinic *nic, struct hinic_qp *qp, const struct hinic_send_wqe *w)
{
    struct hinic_cqe cqe = {.wr_id = w->wr_id, .status = HINIC_WC_WR_FLUSH_ERR, .qpn = qp->qpn};
    hinic_complete(nic, qp->send_cq, &cqe);
}

void hinic_sq_doorbell(struct hinic *nic, struct hinic_qp *qp, uint32_t producer)
{
    if (qp->state != HINIC_QPS_RTS && qp->state != HINIC_QPS_ERR) {
        hinic_log(nic, HINIC_ERR_BAD_STATE, "send doorbell for QP 0x%x, which is not ready to send (state %u)",
                  qp->qpn, qp->state);
        return;
    }
    uint32_t ahead = (uint16_t)(producer - (uint16_t)qp->sq_fetched);
    if (qp->sq_fetched + ahead - qp->sq_completed > qp->sq_entries) {
        hinic_log(nic, HINIC_ERR_RING_OVERRUN, "QP 0x%x send doorbell: index %u puts %u requests in the %u-entry ring; "
                                               "the QP enters the error state",
                  qp->qpn, producer, qp->sq_fetched + ahead - qp->sq_completed, qp->sq_entries);
        hinic_qp_fail(nic, qp, HINIC_WC_LOC_QP_OP_ERR, HINIC_ERR_RING_OVERRUN);
        return;
    }
    vdc_time now = hinic_now(nic), latency = nic->params.pcie_latency;
    /* The NIC reads the new WQEs in one DMA read (a round trip), then each goes through its pipeline; data it
     * sends needs a second round trip before the first byte can leave. */
    vdc_time fetched = now + 2 * latency + hinic_pcie_transfer(nic, (uint64_t)ahead * sizeof(struct hinic_send_wqe));
    for (uint32_t i = 0; i < ahead; i++) {
        struct hinic_swr *slot = hinic_sq_slot(qp, qp->sq_fetched);
        memset(slot, 0, sizeof *slot);
        uint64_t at = qp->sq_ring + (uint64_t)(qp->sq_fetched & (qp->sq_entries - 1)) * sizeof slot->wqe;
        if (!hinic_dma_read(nic, at, &slot->wqe, sizeof slot->wqe, "send WQE")) {
            hinic_qp_fail(nic, qp, HINIC_WC_LOC_QP_OP_ERR, HINIC_ERR_DMA);
            return;
        }
        qp->sq_fetched++;
        if (qp->state == HINIC_QPS_ERR) {
            flush_one(nic, qp, &slot->wqe);
            qp->sq_completed = qp->sq_next = qp->sq_fetched;
            continue;
        }
        uint8_t op = slot->wqe.opcode;
        slot->psn_count = is_atomic(op) ? 1 : packets_of(slot->wqe.length, qp->mtu);
        slot->first_psn = qp->assign_psn;
        qp->assign_psn += slot->psn_count;
        slot->ready_at = fetched + nic->params.processing + (reads_local_data(op) ? 2 * latency : 0);
    }
    if (qp->state == HINIC_QPS_RTS) {
        make_ready(nic, qp);
        hinic_kick(nic);
    }
}

static uint8_t send_opcode(const struct hinic_send_wqe *w, uint32_t index, uint32_t count)
{
    bool first = index == 0, last = index + 1 == count;
    bool imm = w->opcode == HINIC_WR_SEND_WITH_IMM || w->opcode == HINIC_WR_RDMA_WRITE_WITH_IMM;
    if (w->opcode == HINIC_WR_SEND || w->opcode == HINIC_WR_SEND_WITH_IMM) {
        if (first && last)
            return imm ? FABRIC_OP_SEND_ONLY_IMM : FABRIC_OP_SEND_ONLY;
        if (last)
            return imm ? FABRIC_OP_SEND_LAST_IMM : FABRIC_OP_SEND_LAST;
        return first ? FABRIC_OP_SEND_FIRST : FABRIC_OP_SEND_MIDDLE;
    }
    if (first && last)
        return imm ? FABRIC_OP_WRITE_ONLY_IMM : FABRIC_OP_WRITE_ONLY;
    if (last)
        return imm ? FABRIC_OP_WRITE_LAST_IMM : FABRIC_OP_WRITE_LAST;
    return first ? FABRIC_OP_WRITE_FIRST : FABRIC_OP_WRITE_MIDDLE;
}

static vdc_time ack_timeout(const struct hinic_qp *qp)
{
    return qp->timeout_code == 0 ? 0 : (vdc_time)4096 * VDC_NS << qp->timeout_code;
}

static void arm_timer(struct hinic *nic, struct hinic_qp *qp)
{
    vdc_time timeout = ack_timeout(qp);
    if (qp->timer_pending || timeout == 0)
        return;
    qp->timer_pending = true;
    hinic_schedule(nic, nic->entity, vdc_time_add(qp->last_progress, timeout), HINIC_EV_TIMEOUT, qp->index,
                   qp->timer_epoch);
}

/* The next packet of the WQE at sq_next, whose local segment is in `mr`. */
static struct fabric_packet *build(struct hinic *nic, struct hinic_qp *qp, struct hinic_swr *slot,
                                   const struct hinic_mr *mr)
{
    const struct hinic_send_wqe *w = &slot->wqe;
    uint32_t index = qp->send_offset, psn = slot->first_psn + index;
    bool idle_before = qp->sq_completed == qp->sq_next && qp->send_offset == 0;
    struct fabric_packet *p;
    if (w->opcode == HINIC_WR_RDMA_READ) {
        p = hinic_packet(nic, qp, FABRIC_PKT_DATA, FABRIC_OP_READ_REQUEST, psn, 0);
        uint64_t done = (uint64_t)index * qp->mtu;
        p->rdma->va = w->remote_addr + done;
        p->rdma->rkey = w->rkey;
        p->rdma->dma_length = (uint32_t)(w->length - done);
        qp->send_offset = slot->psn_count; /* one request asks for every remaining response */
    } else if (is_atomic(w->opcode)) {
        uint8_t op = w->opcode == HINIC_WR_ATOMIC_CMP_AND_SWP ? FABRIC_OP_COMPARE_SWAP : FABRIC_OP_FETCH_ADD;
        p = hinic_packet(nic, qp, FABRIC_PKT_DATA, op, psn, 0);
        p->rdma->va = w->remote_addr;
        p->rdma->rkey = w->rkey;
        p->rdma->dma_length = 8;
        p->rdma->swap_add = op == FABRIC_OP_COMPARE_SWAP ? w->swap : w->compare_add;
        p->rdma->compare = op == FABRIC_OP_COMPARE_SWAP ? w->compare_add : 0;
        qp->send_offset = 1;
    } else {
        uint64_t done = (uint64_t)index * qp->mtu;
        uint32_t payload = w->length - done < qp->mtu ? (uint32_t)(w->length - done) : qp->mtu;
        uint8_t op = send_opcode(w, index, slot->psn_count);
        p = hinic_packet(nic, qp, FABRIC_PKT_DATA, op, psn, payload);
        if (payload > 0 &&
            !hinic_dma_payload(nic, hinic_mr_physical(mr, w->local_addr + done), p->rdma, payload, "send data")) {
            fabric_packet_release(nic->pool, p);
            hinic_qp_fail(nic, qp, HINIC_WC_LOC_PROT_ERR, HINIC_ERR_DMA);
            return NULL;
        }
        vdc_time now = hinic_now(nic);
        if (payload > 0) /* a zero-length request names no memory region */
            nic->dma_free_at = (nic->dma_free_at > now ? nic->dma_free_at : now) +
                               hinic_dma_read_time(nic, hinic_mr_physical(mr, w->local_addr + done), payload);
        else if (nic->dma_free_at < now)
            nic->dma_free_at = now;
        if (fabric_opcode_headers(op) >= FABRIC_RETH && op != FABRIC_OP_WRITE_LAST_IMM) {
            p->rdma->va = w->remote_addr;
            p->rdma->rkey = w->rkey;
            p->rdma->dma_length = w->length;
        }
        p->rdma->immediate = w->immediate;
        /* Asking at a message's end completes it; asking every so often bounds how much a lost ACK or a
         * go-back-N rewind has to send again. */
        if (index + 1 == slot->psn_count || ++qp->unrequested_acks >= nic->params.ack_request_interval) {
            p->ack_request = true;
            qp->unrequested_acks = 0;
        } else
            p->ack_request = false;
        qp->send_offset++;
    }
    if (qp->send_offset >= slot->psn_count) {
        qp->sq_next++;
        qp->send_offset = 0;
    }
    const struct fabric_config *cfg = nic->cfg;
    const struct fabric_port *port = nic->at.port;
    if (cfg->dcqcn.enabled && qp->cc.rate < port->rate)
        qp->next_send_at = hinic_now(nic) + (fabric_wire_bits(p->frame_bytes) * VDC_SEC + qp->cc.rate - 1) / qp->cc.rate;
    if (idle_before)
        qp->last_progress = hinic_now(nic); /* the timer runs from the first packet outstanding */
    arm_timer(nic, qp);
    return p;
}

/* Whether the QP can put its next packet on `port` now; *at says when it could otherwise. */
static bool can_send(const struct hinic *nic, const struct hinic_qp *qp, const struct fabric_port *port, vdc_time *at)
{
    *at = VDC_TIME_MAX;
    if (!qp->valid || qp->state != HINIC_QPS_RTS || qp->rnr_wait || qp->sq_next == qp->sq_fetched ||
        (port->paused_mask & (1u << qp->priority)))
        return false;
    const struct hinic_swr *slot = hinic_sq_slot(qp, qp->sq_next);
    vdc_time t = slot->ready_at > qp->next_send_at ? slot->ready_at : qp->next_send_at;
    if (reads_local_data(slot->wqe.opcode) && nic->dma_free_at > t)
        t = nic->dma_free_at;
    *at = t;
    return t <= hinic_now(nic);
}

/* One round-robin pass over the ready QPs from ready_next: the next packet, or NULL. A QP with nothing left to send
 * leaves the list (the last one takes its place), which *removed says: the one moved may have been looked at
 * already in this pass and another then not at all, so the caller looks again. */
static struct fabric_packet *requester_pass(struct hinic *nic, struct fabric_port *port, bool *removed)
{
    uint32_t scanned = 0;
    while (scanned < nic->ready_count) {
        if (nic->ready_next >= nic->ready_count)
            nic->ready_next = 0;
        uint32_t slot_index = nic->ready_next;
        struct hinic_qp *qp = &nic->qps[nic->ready[slot_index]];
        if (!qp->valid || qp->state != HINIC_QPS_RTS || qp->sq_next == qp->sq_fetched) {
            qp->in_ready_list = false;
            nic->ready[slot_index] = nic->ready[--nic->ready_count];
            *removed = true;
            continue;
        }
        scanned++;
        nic->ready_next = slot_index + 1;
        vdc_time at;
        if (!can_send(nic, qp, port, &at))
            continue;
        struct hinic_swr *slot = hinic_sq_slot(qp, qp->sq_next);
        enum hinic_error why;
        struct vdc_error err;
        const struct hinic_mr *mr;
        enum hinic_wc_status bad = check_wqe(nic, &slot->wqe, &mr, &why, &err);
        if (bad != HINIC_WC_SUCCESS) {
            /* Completions stay in order: fail the QP once everything before this request has completed. */
            if (qp->sq_completed == qp->sq_next) {
                hinic_log(nic, why, "QP 0x%x: bad send WQE (wr_id %llu): %s; the QP enters the error state", qp->qpn,
                          (unsigned long long)slot->wqe.wr_id, err.text);
                hinic_qp_fail(nic, qp, bad, why);
            }
            continue;
        }
        struct fabric_packet *p = build(nic, qp, slot, mr);
        if (p != NULL)
            return p;
    }
    return NULL;
}

/* The next packet any QP can send now. Passes repeat while one removed a QP and found nothing: a QP skipped that
 * could send would otherwise wait with the port idle (hinic_requester_ready says "now", so no later look comes). */
struct fabric_packet *hinic_requester_next(struct hinic *nic, struct fabric_port *port)
{
    for (;;) {
        bool removed = false;
        struct fabric_packet *p = requester_pass(nic, port, &removed);
        if (p != NULL || !removed)
            return p;
    }
}

vdc_time hinic_requester_ready(const struct hinic *nic, const struct fabric_port *port)
{
    vdc_time earliest = VDC_TIME_MAX;
    for (uint32_t i = 0; i < nic->ready_count; i++) {
        vdc_time at;
        can_send(nic, &nic->qps[nic->ready[i]], port, &at);
        if (at < earliest)
            earliest = at;
    }
    return earliest;
}

static enum hinic_wc_opcode completion_opcode(uint8_t wr_opcode)
{
    switch (wr_opcode) {
    case HINIC_WR_RDMA_WRITE:
    case HINIC_WR_RDMA_WRITE_WITH_IMM: return HINIC_WC_RDMA_WRITE;
    case HINIC_WR_RDMA_READ: return HINIC_WC_RDMA_READ;
    case HINIC_WR_ATOMIC_CMP_AND_SWP: return HINIC_WC_COMP_SWAP;
    case HINIC_WR_ATOMIC_FETCH_AND_ADD: return HINIC_WC_FETCH_ADD;
    default: return HINIC_WC_SEND;
    }
}

/* Completes, in order, every request whose PSNs are all acknowledged. */
static void complete_acked(struct hinic *nic, struct hinic_qp *qp)
{
    while (qp->sq_completed != qp->sq_fetched) {
        struct hinic_swr *slot = hinic_sq_slot(qp, qp->sq_completed);
        if ((int32_t)(qp->acked_psn - (slot->first_psn + slot->psn_count)) < 0)
            break;
        if (slot->wqe.flags & HINIC_SEND_SIGNALED) {
            struct hinic_cqe cqe = {.wr_id = slot->wqe.wr_id, .byte_len = slot->wqe.length,
                                    .opcode = (uint8_t)completion_opcode(slot->wqe.opcode), .qpn = qp->qpn};
            hinic_complete(nic, qp->send_cq, &cqe);
        }
        qp->sq_completed++;
        if ((int32_t)(qp->sq_completed - qp->sq_next) > 0) {
            /* Acknowledged while a go-back-N was about to send it again. */
            qp->sq_next = qp->sq_completed;
            qp->send_offset = 0;
        }
    }
}

/* The highest PSN an ACK may acknowledge: not into a READ or atomic whose answer has not come. */
static uint32_t ack_limit(struct hinic_qp *qp)
{
    /* A fetched WQE does not change until it completes, so the scan resumes where the last one stopped: an ACK
     * costs O(1) amortised instead of a walk over every outstanding WQE. */
    uint32_t from = (int32_t)(qp->sq_no_read_below - qp->sq_completed) > 0 ? qp->sq_no_read_below : qp->sq_completed;
    for (uint32_t i = from; i != qp->sq_fetched; i++) {
        const struct hinic_swr *slot = hinic_sq_slot(qp, i);
        if (slot->wqe.opcode == HINIC_WR_RDMA_READ || is_atomic(slot->wqe.opcode)) {
            qp->sq_no_read_below = i;
            return qp->acked_psn > slot->first_psn ? qp->acked_psn : slot->first_psn;
        }
    }
    qp->sq_no_read_below = qp->sq_fetched;
    return qp->assign_psn;
}

static void progress(struct hinic *nic, struct hinic_qp *qp, uint32_t new_acked)
{
    if ((int32_t)(new_acked - qp->acked_psn) <= 0)
        return;
    qp->acked_psn = new_acked;
    qp->retries_left = qp->retry_count;
    qp->last_progress = hinic_now(nic);
    complete_acked(nic, qp);
}

/* Go back N: the next packet sent is `psn` again, and everything after it. */
static void rewind_to(struct hinic *nic, struct hinic_qp *qp, uint32_t psn)
{
    for (uint32_t i = qp->sq_completed; i != qp->sq_fetched; i++) {
        struct hinic_swr *slot = hinic_sq_slot(qp, i);
        if (psn - slot->first_psn < slot->psn_count) {
            uint32_t sent_beyond = 0;
            for (uint32_t j = i; j != qp->sq_next; j++)
                sent_beyond += hinic_sq_slot(qp, j)->psn_count;
            nic->stats.retransmitted += sent_beyond + qp->send_offset - (psn - slot->first_psn);
            qp->sq_next = i;
            qp->send_offset = psn - slot->first_psn;
            make_ready(nic, qp);
            hinic_kick(nic);
            return;
        }
    }
}

static void read_response(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p, uint32_t psn)
{
    if (psn != qp->acked_psn) {
        if ((int32_t)(psn - qp->acked_psn) > 0 && qp->send_offset == 0 && qp->sq_next != qp->sq_completed)
            rewind_to(nic, qp, qp->acked_psn); /* a response was lost */
        return;
    }
    for (uint32_t i = qp->sq_completed; i != qp->sq_next; i++) {
        struct hinic_swr *slot = hinic_sq_slot(qp, i);
        if (psn - slot->first_psn >= slot->psn_count)
            continue;
        if (slot->wqe.opcode != HINIC_WR_RDMA_READ)
            break;
        uint64_t offset = (uint64_t)(psn - slot->first_psn) * qp->mtu;
        uint32_t expect = slot->wqe.length - offset < qp->mtu ? (uint32_t)(slot->wqe.length - offset) : qp->mtu;
        if (p->payload != expect || p->rdma == NULL) {
            hinic_qp_fail(nic, qp, HINIC_WC_REM_OP_ERR, HINIC_ERR_REMOTE);
            return;
        }
        if (expect > 0 &&
            !local_write(nic, qp, &slot->wqe, offset, hinic_payload_now(p->rdma, expect), expect, "read data"))
            return;
        progress(nic, qp, psn + 1);
        return;
    }
}

static void atomic_acknowledge(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p, uint32_t psn)
{
    if (psn != qp->acked_psn || p->rdma == NULL)
        return;
    struct hinic_swr *slot = hinic_sq_slot(qp, qp->sq_completed);
    if (qp->sq_completed == qp->sq_fetched || slot->first_psn != psn || !is_atomic(slot->wqe.opcode))
        return;
    uint64_t original = p->rdma->original;
    if (!local_write(nic, qp, &slot->wqe, 0, &original, sizeof original, "atomic result"))
        return;
    progress(nic, qp, psn + 1);
}

void hinic_requester_receive(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p)
{
    if (qp->state != HINIC_QPS_RTS)
        return;
    vdc_time now = hinic_now(nic);
    if (p->kind == FABRIC_PKT_CNP) {
        if (!nic->cfg->dcqcn.enabled)
            return;
        vdc_time check = fabric_dcqcn_on_cnp(&qp->cc, &nic->cfg->dcqcn, now);
        if (check)
            hinic_schedule(nic, nic->entity, check, HINIC_EV_DCQCN_DECREASE, qp->index, 0);
        return;
    }
    uint32_t psn = hinic_psn_unwrap(p->psn, qp->acked_psn);
    if (p->kind == FABRIC_PKT_DATA) {
        read_response(nic, qp, p, psn);
        return;
    }
    if (p->bth_opcode == FABRIC_OP_ATOMIC_ACKNOWLEDGE) {
        atomic_acknowledge(nic, qp, p, psn);
        return;
    }
    uint8_t syndrome = p->aeth_syndrome;
    uint32_t limit = ack_limit(qp);
    if ((syndrome & 0x60) == 0x00) { /* ACK: everything up to psn arrived */
        uint32_t upto = psn + 1;
        progress(nic, qp, (int32_t)(upto - limit) > 0 ? limit : upto);
        return;
    }
    if ((syndrome & 0xE0) == 0x20) { /* RNR NAK: the responder had no receive WQE for psn */
        progress(nic, qp, (int32_t)(psn - limit) > 0 ? limit : psn);
        rewind_to(nic, qp, psn);
        qp->rnr_wait = true;
        hinic_schedule(nic, nic->entity, now + nic->params.rnr_delay, HINIC_EV_RNR_RETRY, qp->index, qp->timer_epoch);
        return;
    }
    progress(nic, qp, (int32_t)(psn - limit) > 0 ? limit : psn);
    switch (syndrome) {
    case FABRIC_AETH_NAK_PSN_ERROR: rewind_to(nic, qp, psn); break;
    case FABRIC_AETH_NAK_INVALID_REQUEST: hinic_qp_fail(nic, qp, HINIC_WC_REM_INV_REQ_ERR, HINIC_ERR_REMOTE); break;
    case FABRIC_AETH_NAK_REMOTE_ACCESS: hinic_qp_fail(nic, qp, HINIC_WC_REM_ACCESS_ERR, HINIC_ERR_REMOTE); break;
    default: hinic_qp_fail(nic, qp, HINIC_WC_REM_OP_ERR, HINIC_ERR_REMOTE); break;
    }
}

void hinic_requester_timeout(struct hinic *nic, struct hinic_qp *qp, uint32_t epoch, bool rnr)
{
    if (epoch != qp->timer_epoch || qp->state != HINIC_QPS_RTS)
        return;
    if (rnr) {
        qp->rnr_wait = false;
        make_ready(nic, qp);
        hinic_kick(nic);
        return;
    }
    qp->timer_pending = false;
    bool outstanding = qp->sq_completed != qp->sq_next || qp->send_offset > 0;
    if (!outstanding)
        return;
    vdc_time due = vdc_time_add(qp->last_progress, ack_timeout(qp));
    if (hinic_now(nic) >= due) {
        if (qp->retries_left == 0) {
            hinic_log(nic, HINIC_ERR_RETRIES, "QP 0x%x: no acknowledgement after %u retries; the QP enters the error "
                                              "state", qp->qpn, qp->retry_count);
            hinic_qp_fail(nic, qp, HINIC_WC_RETRY_EXC_ERR, HINIC_ERR_RETRIES);
            return;
        }
        qp->retries_left--;
        qp->last_progress = hinic_now(nic);
        rewind_to(nic, qp, qp->acked_psn);
    }
    arm_timer(nic, qp);
}

void hinic_requester_dcqcn(struct hinic *nic, struct hinic_qp *qp, bool increase)
{
    const struct dcqcn_params *params = &nic->cfg->dcqcn;
    vdc_time now = hinic_now(nic);
    uint64_t increases = qp->cc.increases;
    vdc_time next = increase ? fabric_dcqcn_increase_timer(&qp->cc, params, now) : fabric_dcqcn_decrease_timer(&qp->cc, params, now);
    if (next)
        hinic_schedule(nic, nic->entity, next, HINIC_EV_DCQCN_INCREASE, qp->index, 0);
    if (qp->cc.increases != increases) {
        if (qp->next_send_at > now)
            qp->next_send_at = now;
        hinic_kick(nic);
    }
}

void hinic_requester_flush(struct hinic *nic, struct hinic_qp *qp)
{
    for (; qp->sq_completed != qp->sq_fetched; qp->sq_completed++)
        flush_one(nic, qp, &hinic_sq_slot(qp, qp->sq_completed)->wqe);
    qp->sq_next = qp->sq_fetched;
    qp->send_offset = 0;
}
