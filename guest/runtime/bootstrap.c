/* Peer bootstrap over RDMA SEND: each guest's first QP is connected to its peer's first QP (both HINIC_QPN_BASE),
 * found from the peer's rank alone, and carries small messages both ways in lock step, as perftest's TCP
 * exchange does. Receive slots are re-posted in order, so received messages form a FIFO. */
#include <libfdt.h>

#include "verbs_internal.h"

#define SLOTS VDC_BOOTSTRAP_SLOTS
#define SEND_WR_ID ((uint64_t)-1)

uint32_t vdc_peer_ipv4(struct ibv_context *context, uint32_t rank)
{
    int len;
    const fdt32_t *gids = fdt_getprop(vdc_device_tree(), context->fdt_node, "vdc,peer-gids", &len);
    if (gids != NULL && len >= 0 && rank < (uint32_t)len / 4)
        return fdt32_to_cpu(gids[rank]);
    return 0x0b000001u + (rank / 256) * 0x10000u + (rank % 256) * 0x100u; /* the fabric's host address */
}

static int post_slot(struct vdc_bootstrap *bs, uint32_t slot)
{
    struct ibv_sge sge = {(uint64_t)(uintptr_t)(bs->buffer + slot * VDC_BOOTSTRAP_MAX), VDC_BOOTSTRAP_MAX,
                          bs->mr->lkey};
    struct ibv_recv_wr wr = {.wr_id = slot, .sg_list = &sge, .num_sge = 1};
    return ibv_post_recv(bs->qp, &wr, NULL);
}

int vdc_connect_qp(struct ibv_qp *qp, const struct vdc_dest *local, const struct vdc_dest *remote, enum ibv_mtu mtu,
                   uint8_t sl, uint8_t timeout, uint8_t retry_cnt)
{
    struct ibv_qp_attr attr = {.qp_state = IBV_QPS_RTR, .path_mtu = mtu, .dest_qp_num = remote->qpn,
                               .rq_psn = remote->psn, .max_dest_rd_atomic = 16, .min_rnr_timer = 12,
                               .ah_attr = {.is_global = 1, .sl = sl, .port_num = 1}};
    ibv_gid_from_ipv4(&attr.ah_attr.grh.dgid, remote->ipv4);
    int rc = ibv_modify_qp(qp, &attr,
                           IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
                               IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER);
    if (rc != 0)
        return rc;
    attr.qp_state = IBV_QPS_RTS;
    attr.sq_psn = local->psn;
    attr.timeout = timeout;
    attr.retry_cnt = retry_cnt;
    attr.rnr_retry = 7;
    attr.max_rd_atomic = 16;
    return ibv_modify_qp(qp, &attr,
                         IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
                             IBV_QP_MAX_QP_RD_ATOMIC);
}

int vdc_bootstrap_connect(struct vdc_bootstrap *bs, struct ibv_pd *pd, uint32_t peer_rank)
{
    struct ibv_context *context = pd->context;
    *bs = (struct vdc_bootstrap){.peer_rank = peer_rank, .peer_ipv4 = vdc_peer_ipv4(context, peer_rank)};
    bs->buffer = vdc_alloc((SLOTS + 1) * VDC_BOOTSTRAP_MAX, 64);
    if (bs->buffer == NULL)
        return ENOMEM;
    bs->mr = ibv_reg_mr(pd, bs->buffer, (SLOTS + 1) * VDC_BOOTSTRAP_MAX, IBV_ACCESS_LOCAL_WRITE);
    if (bs->mr == NULL)
        return errno;
    bs->cq = ibv_create_cq(context, SLOTS + 2, NULL, NULL, 0);
    if (bs->cq == NULL)
        return errno;
    struct ibv_qp_init_attr init = {.send_cq = bs->cq, .recv_cq = bs->cq, .qp_type = IBV_QPT_RC,
                                    .cap = {.max_send_wr = 2, .max_recv_wr = SLOTS, .max_send_sge = 1,
                                            .max_recv_sge = 1}};
    bs->qp = ibv_create_qp(pd, &init);
    if (bs->qp == NULL)
        return errno;
    if (bs->qp->qp_num != HINIC_QPN_BASE)
        return EEXIST; /* the peer could not know this QP's number */
    struct ibv_qp_attr attr = {.qp_state = IBV_QPS_INIT, .port_num = 1, .qp_access_flags = IBV_ACCESS_LOCAL_WRITE};
    int rc = ibv_modify_qp(bs->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
    /* Receives go in before the QP can receive, so no message finds an empty receive queue. */
    for (uint32_t slot = 0; rc == 0 && slot < SLOTS; slot++)
        rc = post_slot(bs, slot);
    if (rc != 0)
        return rc;
    struct vdc_dest local = {.qpn = bs->qp->qp_num, .psn = VDC_BOOTSTRAP_PSN, .ipv4 = context->ipv4};
    struct vdc_dest remote = {.qpn = HINIC_QPN_BASE, .psn = VDC_BOOTSTRAP_PSN, .ipv4 = bs->peer_ipv4};
    /* A 67 ms ACK timeout and 7 retries cover a peer that creates its QP up to half a second later. */
    enum ibv_mtu mtu = context->max_mtu < IBV_MTU_1024 ? context->max_mtu : IBV_MTU_1024;
    return vdc_connect_qp(bs->qp, &local, &remote, mtu, 0, 14, 7);
}

/* Takes one completion from the bootstrap CQ: a send's, or a received message queued for the exchange. */
static int bootstrap_step(struct vdc_bootstrap *bs, int *sent, uint64_t deadline_ns)
{
    struct ibv_wc wc;
    int n = ibv_poll_cq_wait(bs->cq, 1, &wc, deadline_ns);
    if (n < 0)
        return -n;
    if (wc.status != IBV_WC_SUCCESS) {
        printf("bootstrap with rank %u: %s (vendor error %u)\n", bs->peer_rank, ibv_wc_status_str(wc.status),
               wc.vendor_err);
        return EIO;
    }
    if (wc.wr_id == SEND_WR_ID) {
        *sent = 1;
    } else {
        if (wc.wr_id != (bs->rx_next + bs->rx_ready) % SLOTS)
            return EIO;
        bs->rx_len[wc.wr_id] = wc.byte_len;
        bs->rx_ready++;
    }
    return 0;
}

int vdc_bootstrap_exchange(struct vdc_bootstrap *bs, const void *mine, void *theirs, size_t len, uint64_t timeout_ns)
{
    if (len > VDC_BOOTSTRAP_MAX)
        return EINVAL;
    uint8_t *out = bs->buffer + SLOTS * VDC_BOOTSTRAP_MAX;
    memcpy(out, mine, len);
    struct ibv_sge sge = {(uint64_t)(uintptr_t)out, (uint32_t)len, bs->mr->lkey};
    struct ibv_send_wr wr = {
        .wr_id = SEND_WR_ID, .sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED};
    int rc = ibv_post_send(bs->qp, &wr, NULL);
    uint64_t deadline = timeout_ns != 0 ? vdc_clock_ns() + timeout_ns : 0;
    int sent = 0;
    while (rc == 0 && (!sent || bs->rx_ready == 0))
        rc = bootstrap_step(bs, &sent, deadline);
    if (rc != 0)
        return rc;
    uint32_t slot = bs->rx_next;
    if (bs->rx_len[slot] != len)
        return EIO; /* the two sides are not at the same exchange */
    memcpy(theirs, bs->buffer + slot * VDC_BOOTSTRAP_MAX, len);
    bs->rx_next = (slot + 1) % SLOTS;
    bs->rx_ready--;
    return post_slot(bs, slot);
}

int vdc_bootstrap_barrier(struct vdc_bootstrap *bs, uint64_t timeout_ns)
{
    uint32_t mine = ++bs->barriers, theirs = 0;
    int rc = vdc_bootstrap_exchange(bs, &mine, &theirs, sizeof mine, timeout_ns);
    return rc == 0 && theirs != mine ? EIO : rc;
}

void vdc_bootstrap_close(struct vdc_bootstrap *bs)
{
    if (bs->qp != NULL)
        ibv_destroy_qp(bs->qp);
    if (bs->cq != NULL)
        ibv_destroy_cq(bs->cq);
    if (bs->mr != NULL)
        ibv_dereg_mr(bs->mr);
    *bs = (struct vdc_bootstrap){0};
}
