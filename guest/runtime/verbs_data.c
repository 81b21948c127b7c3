/* Guest verbs, data path: work requests into the rings with one doorbell per call, completions read from memory,
 * and waiting for completions with simctl WAIT instead of spinning. */
#include "verbs_internal.h"

static int send_wqe(struct ibv_qp *qp, const struct ibv_send_wr *wr)
{
    if (wr->num_sge < 0 || wr->num_sge > 1 || (unsigned)wr->opcode > IBV_WR_ATOMIC_FETCH_AND_ADD ||
        (wr->send_flags & IBV_SEND_INLINE))
        return EINVAL;
    if (hinic_ring_full(qp->sq_posted, qp->sq_done, qp->sq_entries))
        return ENOMEM;
    int signaled = qp->sq_sig_all || (wr->send_flags & IBV_SEND_SIGNALED);
    const struct ibv_sge *sge = wr->num_sge ? wr->sg_list : &(struct ibv_sge){0, 0, 0};
    int atomic = wr->opcode == IBV_WR_ATOMIC_CMP_AND_SWP || wr->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD;
    uint32_t slot = hinic_ring_slot(qp->sq_posted, qp->sq_entries);
    qp->sq[slot] = (struct hinic_send_wqe){
        .opcode = (uint8_t)wr->opcode,
        .flags = signaled ? HINIC_SEND_SIGNALED : 0,
        .immediate = wr->imm_data,
        .wr_id = wr->wr_id,
        .local_addr = sge->addr,
        .length = sge->length,
        .lkey = sge->lkey,
        .remote_addr = atomic ? wr->wr.atomic.remote_addr : wr->wr.rdma.remote_addr,
        .rkey = atomic ? wr->wr.atomic.rkey : wr->wr.rdma.rkey,
        .compare_add = atomic ? wr->wr.atomic.compare_add : 0,
        .swap = atomic ? wr->wr.atomic.swap : 0,
    };
    qp->sq_signaled[slot] = (uint8_t)signaled;
    qp->sq_posted++;
    return 0;
}

int ibv_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr)
{
    uint32_t first = qp->sq_posted;
    int rc = qp->state == IBV_QPS_RTS || qp->state == IBV_QPS_ERR ? 0 : EINVAL;
    for (; rc == 0 && wr != NULL; wr = wr->next)
        if ((rc = send_wqe(qp, wr)) != 0)
            break;
    if (rc != 0 && bad_wr != NULL)
        *bad_wr = wr;
    if (qp->sq_posted != first)
        hinic_write(qp->context, HINIC_REG_SQ_DOORBELL, hinic_doorbell(qp->qp_num, qp->sq_posted));
    return rc;
}

int ibv_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)
{
    uint32_t first = qp->rq_posted;
    int rc = qp->state == IBV_QPS_RESET ? EINVAL : 0;
    for (; rc == 0 && wr != NULL; wr = wr->next) {
        if (wr->num_sge < 0 || wr->num_sge > 1)
            rc = EINVAL;
        else if (hinic_ring_full(qp->rq_posted, qp->rq_done, qp->rq_entries))
            rc = ENOMEM;
        if (rc != 0)
            break;
        const struct ibv_sge *sge = wr->num_sge ? wr->sg_list : &(struct ibv_sge){0, 0, 0};
        qp->rq[hinic_ring_slot(qp->rq_posted, qp->rq_entries)] =
            (struct hinic_recv_wqe){.wr_id = wr->wr_id, .addr = sge->addr, .length = sge->length, .lkey = sge->lkey};
        qp->rq_posted++;
    }
    if (rc != 0 && bad_wr != NULL)
        *bad_wr = wr;
    if (qp->rq_posted != first)
        hinic_write(qp->context, HINIC_REG_RQ_DOORBELL, hinic_doorbell(qp->qp_num, qp->rq_posted));
    return rc;
}

/* A completion frees ring slots: a receive its one WQE; a send every WQE up to the signaled one it reports
 * (unsignaled requests before it completed silently, in order). */
static void retire(struct ibv_context *context, const struct ibv_wc *wc)
{
    struct ibv_qp *qp = context->qps;
    while (qp != NULL && qp->qp_num != wc->qp_num)
        qp = qp->next;
    if (qp == NULL)
        return;
    if (wc->opcode & IBV_WC_RECV) {
        if (qp->rq_done != qp->rq_posted)
            qp->rq_done++;
        return;
    }
    while (qp->sq_done != qp->sq_posted)
        if (qp->sq_signaled[hinic_ring_slot(qp->sq_done++, qp->sq_entries)])
            break;
}

static int cq_has_entry(const struct ibv_cq *cq)
{
    const volatile struct hinic_cqe *cqe = &cq->ring[hinic_ring_slot(cq->consumer, cq->entries)];
    return hinic_cqe_is_new(cqe->flags, cq->consumer, cq->entries);
}

int ibv_poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc)
{
    int n = 0;
    for (; n < num_entries && cq_has_entry(cq); n++) {
        verbs_barrier(); /* read the entry only after its owner bit */
        const struct hinic_cqe *cqe = &cq->ring[hinic_ring_slot(cq->consumer, cq->entries)];
        wc[n] = (struct ibv_wc){
            .wr_id = cqe->wr_id,
            .status = (enum ibv_wc_status)cqe->status,
            .opcode = (enum ibv_wc_opcode)cqe->opcode,
            .vendor_err = cqe->vendor_err,
            .byte_len = cqe->byte_len,
            .imm_data = cqe->immediate,
            .qp_num = cqe->qpn,
            .src_qp = cqe->src_qp,
            .wc_flags = cqe->flags & HINIC_CQE_WITH_IMM ? IBV_WC_WITH_IMM : 0,
        };
        retire(cq->context, &wc[n]);
        cq->consumer++;
    }
    /* Handing entries back costs an exit; doing it every half ring keeps the NIC's view of free space above
     * cqe, which is all a consumer that respects cqe needs. */
    if (hinic_ring_used(cq->consumer, cq->reported) >= cq->entries / 2) {
        hinic_write(cq->context, HINIC_REG_CQ_DOORBELL, hinic_doorbell(cq->cqn, cq->consumer));
        cq->reported = cq->consumer;
    }
    return n;
}

int ibv_wait_cq(struct ibv_cq *cq, uint64_t deadline_ns)
{
    /* A cause raised since the last WAIT is kept by simctl, so checking the ring first loses no wake-up; a
     * cause from another CQ of the same NIC only costs one more look. */
    while (!cq_has_entry(cq))
        if (vdc_wait(deadline_ns, cq->context->cause_mask) == 0 && deadline_ns != 0)
            return cq_has_entry(cq) ? 0 : ETIMEDOUT;
    return 0;
}

int ibv_poll_cq_wait(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc, uint64_t deadline_ns)
{
    for (;;) {
        int n = ibv_poll_cq(cq, num_entries, wc);
        if (n != 0)
            return n;
        int rc = ibv_wait_cq(cq, deadline_ns);
        if (rc != 0)
            return -rc;
    }
}
