/* HiNIC's command interface: memory registration, CQ and QP creation, and the QP state machine of ibv_modify_qp. */
#include <stdlib.h>
#include <string.h>

#include "fabric/fabric.h"
#include "kvm/guest.h"
#include "devices/hinic/hinic_internal.h"

static bool power_of_two_within(uint64_t n, uint64_t max)
{
    return n >= 1 && n <= max && (n & (n - 1)) == 0;
}

struct hinic_qp *hinic_qp_by_number(struct hinic *nic, uint32_t qpn)
{
    if (qpn < HINIC_QPN_BASE || qpn - HINIC_QPN_BASE >= HINIC_MAX_QPS)
        return NULL;
    struct hinic_qp *qp = &nic->qps[qpn - HINIC_QPN_BASE];
    return qp->valid ? qp : NULL;
}

static bool ring_in_memory(const struct hinic *nic, uint64_t addr, uint64_t entries, uint64_t entry_size)
{
    return vdc_guest_contains(&nic->guest->memory, addr, entries * entry_size) && addr % entry_size == 0;
}

static enum hinic_command_status reg_mr(struct hinic *nic, struct hinic_command *c)
{
    const uint32_t known = HINIC_ACCESS_LOCAL_WRITE | HINIC_ACCESS_REMOTE_WRITE | HINIC_ACCESS_REMOTE_READ |
                           HINIC_ACCESS_REMOTE_ATOMIC;
    uint64_t end;
    /* Guest memory, or device memory of the blade (a GPU's: GPUDirect RDMA, as nvidia-peermem registers it). */
    if (c->length == 0 || __builtin_add_overflow(c->addr, c->length, &end) ||
        (!vdc_guest_contains(&nic->guest->memory, c->addr2, c->length) &&
         vdc_guest_peer_memory(nic->guest, c->addr2, c->length) == NULL) ||
        (c->access & ~known) != 0)
        return HINIC_CMD_BAD_ARGUMENT;
    /* Remote write or atomic access requires local write, as ibv_reg_mr insists. */
    if ((c->access & (HINIC_ACCESS_REMOTE_WRITE | HINIC_ACCESS_REMOTE_ATOMIC)) && !(c->access & HINIC_ACCESS_LOCAL_WRITE))
        return HINIC_CMD_BAD_ARGUMENT;
    for (uint32_t i = 0; i < HINIC_MAX_MRS; i++) {
        struct hinic_mr *mr = &nic->mrs[i];
        if (mr->valid)
            continue;
        mr->valid = true;
        mr->generation++;
        mr->addr = c->addr;
        mr->physical = c->addr2;
        mr->length = c->length;
        mr->access = c->access;
        c->handle = (i + 1) << 8 | mr->generation; /* never 0 */
        c->handle2 = c->handle;                    /* the R_Key equals the L_Key */
        return HINIC_CMD_OK;
    }
    return HINIC_CMD_NO_RESOURCES;
}

static enum hinic_command_status dereg_mr(struct hinic *nic, const struct hinic_command *c)
{
    uint32_t slot = (c->handle >> 8) - 1;
    if ((c->handle >> 8) == 0 || slot >= HINIC_MAX_MRS || !nic->mrs[slot].valid ||
        nic->mrs[slot].generation != (uint8_t)c->handle)
        return HINIC_CMD_NOT_FOUND;
    nic->mrs[slot].valid = false;
    return HINIC_CMD_OK;
}

static enum hinic_command_status create_cq(struct hinic *nic, struct hinic_command *c)
{
    if (!power_of_two_within(c->length, HINIC_MAX_QUEUE_ENTRIES) ||
        !ring_in_memory(nic, c->addr, c->length, sizeof(struct hinic_cqe)))
        return HINIC_CMD_BAD_ARGUMENT;
    for (uint32_t i = 0; i < HINIC_MAX_CQS; i++) {
        struct hinic_cq *cq = &nic->cqs[i];
        if (cq->valid)
            continue;
        *cq = (struct hinic_cq){.valid = true, .ring = c->addr, .entries = (uint32_t)c->length};
        c->handle = i;
        return HINIC_CMD_OK;
    }
    return HINIC_CMD_NO_RESOURCES;
}

static enum hinic_command_status destroy_cq(struct hinic *nic, const struct hinic_command *c)
{
    if (c->handle >= HINIC_MAX_CQS || !nic->cqs[c->handle].valid)
        return HINIC_CMD_NOT_FOUND;
    if (nic->cqs[c->handle].users != 0)
        return HINIC_CMD_BAD_STATE;
    nic->cqs[c->handle].valid = false;
    return HINIC_CMD_OK;
}

static bool cq_usable(const struct hinic *nic, uint32_t cqn)
{
    return cqn < HINIC_MAX_CQS && nic->cqs[cqn].valid;
}

static enum hinic_command_status create_qp(struct hinic *nic, struct hinic_command *c)
{
    uint32_t send_cq = c->access, recv_cq = c->handle2;
    uint64_t sq_entries = c->length & 0xFFFFFFFF, rq_entries = c->length >> 32;
    if (!cq_usable(nic, send_cq) || !cq_usable(nic, recv_cq))
        return HINIC_CMD_NOT_FOUND;
    if (!power_of_two_within(sq_entries, HINIC_MAX_QUEUE_ENTRIES) ||
        !power_of_two_within(rq_entries, HINIC_MAX_QUEUE_ENTRIES) ||
        !ring_in_memory(nic, c->addr, sq_entries, sizeof(struct hinic_send_wqe)) ||
        !ring_in_memory(nic, c->addr2, rq_entries, sizeof(struct hinic_recv_wqe)))
        return HINIC_CMD_BAD_ARGUMENT;
    if (nic->qp_count == HINIC_MAX_QPS)
        return HINIC_CMD_NO_RESOURCES;
    uint32_t index = nic->qp_count++;
    struct hinic_qp *qp = &nic->qps[index];
    memset(qp, 0, sizeof *qp);
    qp->valid = true;
    qp->index = index;
    qp->qpn = HINIC_QPN_BASE + index;
    qp->state = HINIC_QPS_RESET;
    qp->send_cq = send_cq;
    qp->recv_cq = recv_cq;
    qp->sq_ring = c->addr;
    qp->rq_ring = c->addr2;
    qp->sq_entries = (uint32_t)sq_entries;
    qp->rq_entries = (uint32_t)rq_entries;
    qp->swr = vdc_xcalloc(sq_entries, sizeof *qp->swr);
    qp->mtu = nic->params.mtu;
    qp->priority = nic->params.priority;
    /* RoCEv2 puts entropy in the UDP source port; this one is a function of the QP alone. */
    qp->source_port = (uint16_t)(0xC000 | (vdc_mix64((uint64_t)nic->node << 32 | qp->qpn) & 0x3FFF));
    nic->cqs[send_cq].users++;
    nic->cqs[recv_cq].users++;
    c->handle = qp->qpn;
    return HINIC_CMD_OK;
}

static enum hinic_command_status modify_qp(struct hinic *nic, struct hinic_qp *qp, const struct hinic_command *c)
{
    uint32_t to = c->handle2;
    bool allowed = to == HINIC_QPS_ERR || to == HINIC_QPS_RESET || (to == HINIC_QPS_INIT && qp->state == HINIC_QPS_RESET) ||
                   (to == HINIC_QPS_RTR && qp->state == HINIC_QPS_INIT) || (to == HINIC_QPS_RTS && qp->state == HINIC_QPS_RTR);
    if (!allowed)
        return HINIC_CMD_BAD_STATE;
    switch (to) {
    case HINIC_QPS_RTR: {
        uint32_t node = 0;
        bool found = fabric_host_by_ipv4(nic->at.fabric, c->dest_gid, &node);
        if (!found || c->mtu < 1 || c->mtu > 5 || (128u << c->mtu) > nic->params.mtu || c->priority > 7)
            return HINIC_CMD_BAD_ARGUMENT;
        qp->dest_node = node;
        qp->dest_qpn = c->dest_qpn & 0xFFFFFF;
        qp->expected_psn = c->psn & 0xFFFFFF;
        qp->mtu = 128u << c->mtu;
        qp->priority = c->priority;
        break;
    }
    case HINIC_QPS_RTS:
        if (c->retry_count > 7 || c->timeout > 31)
            return HINIC_CMD_BAD_ARGUMENT;
        qp->retry_count = c->retry_count;
        qp->retries_left = c->retry_count;
        qp->timeout_code = c->timeout;
        qp->assign_psn = qp->acked_psn = c->psn & 0xFFFFFF;
        fabric_dcqcn_init(&qp->cc, fabric_endpoint_rate(&nic->at));
        break;
    case HINIC_QPS_ERR:
        qp->state = HINIC_QPS_ERR;
        hinic_requester_flush(nic, qp);
        hinic_responder_flush(nic, qp);
        return HINIC_CMD_OK;
    case HINIC_QPS_RESET: {
        /* Back to a fresh QP with the same rings and CQs; pending events see the new epoch and stop. */
        struct hinic_qp fresh = *qp;
        memset(fresh.swr, 0, qp->sq_entries * sizeof *fresh.swr);
        fresh.state = HINIC_QPS_RESET;
        fresh.sq_fetched = fresh.sq_completed = fresh.sq_next = fresh.send_offset = fresh.sq_no_read_below = 0;
        fresh.rq_posted = fresh.rq_used = 0;
        fresh.recv_active = fresh.timer_pending = fresh.rnr_wait = false;
        fresh.atomic_count = 0;
        fresh.timer_epoch++;
        *qp = fresh;
        return HINIC_CMD_OK;
    }
    default: break;
    }
    qp->state = (enum hinic_qp_state)to;
    return HINIC_CMD_OK;
}

static enum hinic_command_status destroy_qp(struct hinic *nic, struct hinic_qp *qp)
{
    nic->cqs[qp->send_cq].users--;
    nic->cqs[qp->recv_cq].users--;
    free(qp->swr);
    qp->swr = NULL;
    qp->valid = false;
    qp->timer_epoch++;
    for (uint32_t i = 0; i < nic->ready_count; i++) {
        if (nic->ready[i] == qp->index) {
            nic->ready[i] = nic->ready[--nic->ready_count];
            break;
        }
    }
    return HINIC_CMD_OK;
}

static enum hinic_command_status run(struct hinic *nic, struct hinic_command *c)
{
    switch (c->opcode) {
    case HINIC_CMD_REG_MR: return reg_mr(nic, c);
    case HINIC_CMD_DEREG_MR: return dereg_mr(nic, c);
    case HINIC_CMD_CREATE_CQ: return create_cq(nic, c);
    case HINIC_CMD_DESTROY_CQ: return destroy_cq(nic, c);
    case HINIC_CMD_CREATE_QP: return create_qp(nic, c);
    default: break;
    }
    struct hinic_qp *qp = hinic_qp_by_number(nic, c->handle);
    if (c->opcode != HINIC_CMD_MODIFY_QP && c->opcode != HINIC_CMD_QUERY_QP && c->opcode != HINIC_CMD_DESTROY_QP)
        return HINIC_CMD_BAD_OPCODE;
    if (qp == NULL)
        return HINIC_CMD_NOT_FOUND;
    switch (c->opcode) {
    case HINIC_CMD_MODIFY_QP: return modify_qp(nic, qp, c);
    case HINIC_CMD_QUERY_QP: c->handle2 = qp->state; return HINIC_CMD_OK;
    default: return destroy_qp(nic, qp);
    }
}

void hinic_command(struct hinic *nic, uint64_t block_address)
{
    struct hinic_command c;
    if (!hinic_dma_read(nic, block_address, &c, sizeof c, "command block"))
        return;
    c.status = run(nic, &c);
    if (c.status != HINIC_CMD_OK)
        hinic_log(nic, HINIC_ERR_BAD_DESCRIPTOR, "command %u refused with status %u", c.opcode, c.status);
    hinic_dma_write(nic, block_address, &c, sizeof c, "command block");
}
