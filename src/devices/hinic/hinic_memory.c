/* HiNIC's view of guest memory: keys and access rights of memory regions, DMA through the checked helpers (or into
 * the blade's GPU memory, peer to peer), and completions written to CQ rings one PCIe crossing after the NIC
 * decides them. */
#include <inttypes.h>
#include <string.h>

#include "common/ring.h"
#include "kvm/guest.h"
#include "devices/hinic/hinic_internal.h"

static const char *access_name(uint32_t access)
{
    switch (access) {
    case HINIC_ACCESS_LOCAL_WRITE: return "local write";
    case HINIC_ACCESS_REMOTE_WRITE: return "remote write";
    case HINIC_ACCESS_REMOTE_READ: return "remote read";
    default: return "remote atomic";
    }
}

const struct hinic_mr *hinic_mr_check(const struct hinic *nic, uint32_t key, uint64_t addr, uint64_t length,
                                      uint32_t access, enum hinic_error *why, struct vdc_error *err)
{
    uint32_t slot = (key >> 8) - 1;
    if ((key >> 8) == 0 || slot >= HINIC_MAX_MRS || !nic->mrs[slot].valid ||
        nic->mrs[slot].generation != (uint8_t)key) {
        *why = HINIC_ERR_BAD_LKEY;
        vdc_fail(err, "key 0x%x names no memory region", key);
        return NULL;
    }
    const struct hinic_mr *mr = &nic->mrs[slot];
    uint64_t end;
    if (__builtin_add_overflow(addr, length, &end) || addr < mr->addr || end > mr->addr + mr->length) {
        *why = HINIC_ERR_LENGTH;
        vdc_fail(err, "%" PRIu64 " bytes at 0x%" PRIx64 " are not inside memory region 0x%x (%" PRIu64
                      " bytes at 0x%" PRIx64 ")", length, addr, key, mr->length, mr->addr);
        return NULL;
    }
    uint32_t missing = access & ~mr->access;
    if (missing != 0) {
        *why = HINIC_ERR_BAD_LKEY;
        vdc_fail(err, "memory region 0x%x does not allow %s", key, access_name(missing & (~missing + 1)));
        return NULL;
    }
    return mr;
}

bool hinic_dma_read(struct hinic *nic, uint64_t addr, void *dst, uint64_t length, const char *what)
{
    struct vdc_error err;
    const struct vdc_peer_memory *peer = vdc_guest_peer_memory(nic->guest, addr, length);
    if (peer != NULL) {
        peer->read(peer->owner, addr, dst, length);
        return true;
    }
    if (vdc_guest_read(&nic->guest->memory, addr, dst, length, what, &err))
        return true;
    hinic_log(nic, HINIC_ERR_DMA, "%s", err.text);
    return false;
}

bool hinic_dma_payload(struct hinic *nic, uint64_t addr, struct fabric_rdma *r, uint32_t length, const char *what)
{
    const struct vdc_peer_memory *peer = vdc_guest_peer_memory(nic->guest, addr, length);
    if (peer != NULL) { /* another device's memory may be freed before delivery: copied now */
        peer->read(peer->owner, addr, r->data, length);
        return true;
    }
    const uint8_t *at = vdc_guest_source(&nic->guest->memory, addr, length);
    if (at == NULL) /* outside guest RAM: the checked read fails and logs it */
        return hinic_dma_read(nic, addr, r->data, length, what);
    r->payload_at = at; /* guest RAM stays mapped until the run ends */
    r->payload_owner = &nic->guest->memory;
    return true;
}

bool hinic_dma_write(struct hinic *nic, uint64_t addr, const void *src, uint64_t length, const char *what)
{
    struct vdc_error err;
    const struct vdc_peer_memory *peer = vdc_guest_peer_memory(nic->guest, addr, length);
    if (peer != NULL) {
        peer->write(peer->owner, addr, src, length);
        return true;
    }
    if (vdc_guest_write(&nic->guest->memory, addr, src, length, what, &err))
        return true;
    hinic_log(nic, HINIC_ERR_DMA, "%s", err.text);
    return false;
}

const uint8_t *hinic_payload_now(const struct fabric_rdma *r, uint32_t length)
{
    return r->payload_at == NULL ? r->data : vdc_guest_source_now(r->payload_owner, r->payload_at, length);
}

bool hinic_dma_write_payload(struct hinic *nic, uint64_t addr, const struct fabric_rdma *r, uint32_t length,
                             const char *what)
{
    if (r->payload_at == NULL || vdc_guest_peer_memory(nic->guest, addr, length) != NULL)
        return hinic_dma_write(nic, addr, hinic_payload_now(r, length), length, what);
    struct vdc_error err;
    if (vdc_guest_write_from(&nic->guest->memory, addr, r->payload_owner, r->payload_at, length, what, &err))
        return true;
    hinic_log(nic, HINIC_ERR_DMA, "%s", err.text);
    return false;
}

void hinic_complete(struct hinic *nic, uint32_t cqn, const struct hinic_cqe *cqe)
{
    if (nic->pending_count == nic->pending_cap)
        nic->pending = vdc_ring_grow(nic->pending, sizeof *nic->pending, &nic->pending_head, nic->pending_count,
                                     &nic->pending_cap);
    nic->pending[vdc_ring_slot(nic->pending_head, nic->pending_count++, nic->pending_cap)] =
        (struct hinic_pending_cqe){.cqn = cqn, .cqe = *cqe};
    nic->stats.completions++;
    if (cqe->status != HINIC_WC_SUCCESS)
        nic->stats.error_completions++;
    vdc_digest_fold(nic->entity->sim, (uint64_t)cqe->qpn << 40 | (uint64_t)cqe->status << 32 | cqe->byte_len);
    hinic_schedule(nic, nic->entity, vdc_time_add(hinic_now(nic), nic->params.pcie_latency), HINIC_EV_COMPLETION, 0, 0);
}

static void cq_overrun(struct hinic *nic, uint32_t cqn)
{
    struct hinic_cq *cq = &nic->cqs[cqn];
    cq->broken = true;
    hinic_log(nic, HINIC_ERR_CQ_OVERRUN, "CQ %u overran its %u entries; its QPs enter the error state", cqn,
              cq->entries);
    for (uint32_t i = 0; i < nic->qp_count; i++) {
        struct hinic_qp *qp = &nic->qps[i];
        if (qp->valid && qp->state != HINIC_QPS_ERR && (qp->send_cq == cqn || qp->recv_cq == cqn))
            hinic_qp_fail(nic, qp, HINIC_WC_WR_FLUSH_ERR, HINIC_ERR_CQ_OVERRUN);
    }
}

void hinic_completion_arrives(struct hinic *nic)
{
    if (nic->pending_count == 0)
        return;
    struct hinic_pending_cqe entry = nic->pending[nic->pending_head];
    nic->pending_head = vdc_ring_slot(nic->pending_head, 1, nic->pending_cap);
    nic->pending_count--;
    struct hinic_cq *cq = &nic->cqs[entry.cqn];
    if (!cq->valid || cq->broken)
        return; /* destroyed, or overran: nothing more is written there */
    if (cq->producer - cq->consumer >= cq->entries) {
        cq_overrun(nic, entry.cqn);
        return;
    }
    uint32_t pass = cq->producer / cq->entries;
    entry.cqe.flags = (uint8_t)((entry.cqe.flags & ~HINIC_CQE_OWNER) | (1 - (pass & 1)));
    uint64_t at = cq->ring + (uint64_t)(cq->producer % cq->entries) * sizeof entry.cqe;
    if (!hinic_dma_write(nic, at, &entry.cqe, sizeof entry.cqe, "completion queue entry"))
        return;
    cq->producer++;
    vdc_guest_raise(nic->guest, nic->params.cause_mask);
}

void hinic_qp_fail(struct hinic *nic, struct hinic_qp *qp, enum hinic_wc_status status, enum hinic_error why)
{
    if (qp->state == HINIC_QPS_ERR)
        return;
    qp->state = HINIC_QPS_ERR;
    qp->timer_epoch++;
    /* The request being worked on completes with the status, every later one is flushed. */
    if (qp->sq_completed != qp->sq_fetched && status != HINIC_WC_WR_FLUSH_ERR) {
        struct hinic_swr *w = hinic_sq_slot(qp, qp->sq_completed);
        struct hinic_cqe cqe = {.wr_id = w->wqe.wr_id, .status = status, .qpn = qp->qpn, .vendor_err = why};
        hinic_complete(nic, qp->send_cq, &cqe);
        qp->sq_completed++;
    }
    hinic_requester_flush(nic, qp);
    hinic_responder_flush(nic, qp);
}
