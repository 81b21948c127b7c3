/* A model of HiNIC behind the guest verbs library's register hooks, for host tests (hinic_model.h). Every QP is
 * connected to a QP of the same NIC, and a doorbell carries out its requests at once: data copied, receive
 * requests consumed, completions written with their owner bits; rings, keys and the CQ's free space are
 * checked on the way. */
#define VDC_VERBS_HOST_TEST 1
#include <check.h>
#include <errno.h>
#include <libfdt.h>
#include <string.h>

/* The library itself, compiled for the host. */
#include "../guest/runtime/bootstrap.c"
#include "../guest/runtime/verbs.c"
#include "../guest/runtime/verbs_data.c"
#include "hinic_model.h"

/* The runtime functions the library and the perftest program call. */

static _Alignas(4096) uint8_t arena[48 << 20];
static size_t arena_used;
static _Alignas(8) char tree[1024];
static uint64_t now_ns; /* virtual time: each exit costs 250 ns */
static const char *bootargs = "";
static uint64_t raised; /* causes raised and not yet returned by a WAIT */

void *vdc_alloc(size_t size, size_t align)
{
    size_t start = (arena_used + align - 1) & ~(align - 1);
    if (start + size > sizeof arena)
        return NULL;
    arena_used = start + size;
    return memset(arena + start, 0, size);
}

const void *vdc_device_tree(void)
{
    return tree;
}

uint64_t vdc_wait(uint64_t deadline_ns, uint64_t cause_mask)
{
    uint64_t causes = raised & cause_mask;
    raised &= ~causes;
    ck_assert_msg(causes != 0 || deadline_ns != 0, "a WAIT that nothing would ever end");
    now_ns += 250;
    if (causes == 0 && now_ns < deadline_ns)
        now_ns = deadline_ns;
    return causes;
}

uint64_t vdc_clock_ns(void)
{
    return now_ns += 250;
}

uint32_t vdc_rank(void)
{
    return 0;
}

const char *vdc_bootargs(void)
{
    return bootargs;
}

uint64_t vdc_random(void)
{
    return 0x5eed1234;
}

/* The NIC model. */

struct model_qp {
    int used;
    uint32_t state, send_cq, recv_cq, dest_qpn, dest_gid;
    struct hinic_send_wqe *sq;
    struct hinic_recv_wqe *rq;
    uint32_t sq_entries, rq_entries, sq_pi, sq_ci, rq_pi, rq_ci;
};

struct model_cq {
    int used;
    struct hinic_cqe *ring;
    uint32_t entries, produced, freed;
};

static struct {
    struct model_qp qp[8];
    struct model_cq cq[8];
    int mr_used[16];
    uint64_t mr_addr[16], mr_length[16];
} nic_model;

struct hinic_model_counts hinic_model_counts;

static void build_tree(int peer_gids)
{
    ck_assert_int_eq(fdt_create(tree, sizeof tree), 0);
    ck_assert_int_eq(fdt_finish_reservemap(tree), 0);
    ck_assert_int_eq(fdt_begin_node(tree, ""), 0);
    ck_assert_int_eq(fdt_begin_node(tree, "hinic@c0001000"), 0);
    ck_assert_int_eq(fdt_property_string(tree, "compatible", "vdc,hinic"), 0);
    fdt64_t reg[2] = {cpu_to_fdt64(0xc0001000), cpu_to_fdt64(HINIC_BAR_SIZE)};
    ck_assert_int_eq(fdt_property(tree, "reg", reg, sizeof reg), 0);
    fdt32_t gids[2] = {cpu_to_fdt32(MODEL_NIC_IPV4), cpu_to_fdt32(MODEL_NIC_IPV4)};
    if (peer_gids)
        ck_assert_int_eq(fdt_property(tree, "vdc,peer-gids", gids, sizeof gids), 0);
    ck_assert_int_eq(fdt_end_node(tree), 0);
    ck_assert_int_eq(fdt_end_node(tree), 0);
    ck_assert_int_eq(fdt_finish(tree), 0);
}

static void complete(uint32_t cqn, struct hinic_cqe cqe)
{
    struct model_cq *cq = &nic_model.cq[cqn];
    if (hinic_ring_used(cq->produced, cq->freed) >= cq->entries) {
        hinic_model_counts.overruns++;
        return;
    }
    cqe.flags |= hinic_cqe_owner(cq->produced, cq->entries);
    cq->ring[hinic_ring_slot(cq->produced++, cq->entries)] = cqe;
    raised |= MODEL_NIC_CAUSE;
}

static int mr_covers(uint32_t key, uint64_t addr, uint64_t length)
{
    uint32_t i = key & 0xff;
    return i < 16 && nic_model.mr_used[i] && addr >= nic_model.mr_addr[i] &&
           addr + length <= nic_model.mr_addr[i] + nic_model.mr_length[i];
}

/* Carries out one send WQE toward the QP it is connected to on this NIC. */
static void execute(uint32_t qpn, struct model_qp *qp, const struct hinic_send_wqe *w)
{
    struct hinic_cqe done = {.wr_id = w->wr_id, .byte_len = w->length, .qpn = qpn};
    uint32_t peer_index = qp->dest_qpn - HINIC_QPN_BASE;
    struct model_qp *peer = w->opcode <= HINIC_WR_RDMA_READ && qp->dest_gid == MODEL_NIC_IPV4 && peer_index < 8
                                ? &nic_model.qp[peer_index]
                                : NULL;
    void *local = (void *)(uintptr_t)w->local_addr, *remote = (void *)(uintptr_t)w->remote_addr;
    int consumes = w->opcode == HINIC_WR_SEND || w->opcode == HINIC_WR_SEND_WITH_IMM ||
                   w->opcode == HINIC_WR_RDMA_WRITE_WITH_IMM;
    if (peer == NULL || !peer->used || peer->state < HINIC_QPS_RTR || !mr_covers(w->lkey, w->local_addr, w->length)) {
        done.status = HINIC_WC_RETRY_EXC_ERR;
    } else if (consumes && peer->rq_ci == peer->rq_pi) {
        hinic_model_counts.rnr++;
        done.status = HINIC_WC_RETRY_EXC_ERR;
    } else if (w->opcode != HINIC_WR_SEND && w->opcode != HINIC_WR_SEND_WITH_IMM &&
               !mr_covers(w->rkey, w->remote_addr, w->length)) {
        done.status = HINIC_WC_REM_ACCESS_ERR;
    } else {
        struct hinic_cqe received = {.byte_len = w->length, .qpn = qp->dest_qpn, .src_qp = qpn,
                                     .immediate = w->immediate, .opcode = HINIC_WC_RECV};
        if (w->opcode == HINIC_WR_RDMA_READ)
            memcpy(local, remote, w->length);
        else if (w->opcode == HINIC_WR_RDMA_WRITE || w->opcode == HINIC_WR_RDMA_WRITE_WITH_IMM)
            memcpy(remote, local, w->length);
        if (consumes) {
            const struct hinic_recv_wqe *r = &peer->rq[hinic_ring_slot(peer->rq_ci++, peer->rq_entries)];
            received.wr_id = r->wr_id;
            if (w->opcode == HINIC_WR_RDMA_WRITE_WITH_IMM) {
                received.opcode = HINIC_WC_RECV_RDMA_WITH_IMM;
                received.byte_len = 0;
            } else if (w->length <= r->length) {
                memcpy((void *)(uintptr_t)r->addr, local, w->length);
            } else {
                received.status = HINIC_WC_LOC_LEN_ERR;
            }
            if (w->opcode != HINIC_WR_SEND)
                received.flags = HINIC_CQE_WITH_IMM;
            complete(peer->recv_cq, received);
        }
        done.opcode = w->opcode == HINIC_WR_RDMA_READ                                     ? HINIC_WC_RDMA_READ
                      : w->opcode == HINIC_WR_SEND || w->opcode == HINIC_WR_SEND_WITH_IMM ? HINIC_WC_SEND
                                                                                           : HINIC_WC_RDMA_WRITE;
    }
    if ((w->flags & HINIC_SEND_SIGNALED) || done.status != HINIC_WC_SUCCESS)
        complete(qp->send_cq, done);
}

static uint32_t model_command(struct hinic_command *c)
{
    hinic_model_counts.commands++;
    uint32_t i = c->handle - HINIC_QPN_BASE;
    int qp_command = c->opcode == HINIC_CMD_MODIFY_QP || c->opcode == HINIC_CMD_QUERY_QP ||
                     c->opcode == HINIC_CMD_DESTROY_QP;
    if (qp_command && (i >= 8 || !nic_model.qp[i].used))
        return HINIC_CMD_NOT_FOUND;
    switch (c->opcode) {
    case HINIC_CMD_REG_MR:
        for (uint32_t m = 0; m < 16; m++) {
            if (!nic_model.mr_used[m]) {
                nic_model.mr_used[m] = 1;
                nic_model.mr_addr[m] = c->addr;
                nic_model.mr_length[m] = c->length;
                c->handle = 0x100 | m;
                c->handle2 = 0x200 | m;
                return HINIC_CMD_OK;
            }
        }
        return HINIC_CMD_NO_RESOURCES;
    case HINIC_CMD_DEREG_MR:
        nic_model.mr_used[c->handle & 0xff] = 0;
        return HINIC_CMD_OK;
    case HINIC_CMD_CREATE_CQ:
        if (c->length == 0 || (c->length & (c->length - 1)))
            return HINIC_CMD_BAD_ARGUMENT;
        for (uint32_t q = 0; q < 8; q++) {
            if (!nic_model.cq[q].used) {
                nic_model.cq[q] = (struct model_cq){.used = 1, .ring = (struct hinic_cqe *)(uintptr_t)c->addr,
                                                    .entries = (uint32_t)c->length};
                c->handle = q;
                return HINIC_CMD_OK;
            }
        }
        return HINIC_CMD_NO_RESOURCES;
    case HINIC_CMD_DESTROY_CQ:
        for (uint32_t q = 0; q < 8; q++)
            if (nic_model.qp[q].used && (nic_model.qp[q].send_cq == c->handle || nic_model.qp[q].recv_cq == c->handle))
                return HINIC_CMD_BAD_STATE;
        nic_model.cq[c->handle].used = 0;
        return HINIC_CMD_OK;
    case HINIC_CMD_CREATE_QP:
        for (uint32_t q = 0; q < 8; q++) {
            if (!nic_model.qp[q].used) {
                nic_model.qp[q] = (struct model_qp){
                    .used = 1, .send_cq = c->access, .recv_cq = c->handle2,
                    .sq = (struct hinic_send_wqe *)(uintptr_t)c->addr,
                    .rq = (struct hinic_recv_wqe *)(uintptr_t)c->addr2,
                    .sq_entries = (uint32_t)c->length, .rq_entries = (uint32_t)(c->length >> 32)};
                c->handle = HINIC_QPN_BASE + q;
                return HINIC_CMD_OK;
            }
        }
        return HINIC_CMD_NO_RESOURCES;
    case HINIC_CMD_MODIFY_QP: {
        struct model_qp *qp = &nic_model.qp[i];
        uint32_t to = c->handle2;
        int legal = to == HINIC_QPS_RESET || to == HINIC_QPS_ERR || to == qp->state + 1;
        if (!legal)
            return HINIC_CMD_BAD_STATE;
        if (to == HINIC_QPS_RTR) {
            qp->dest_qpn = c->dest_qpn;
            qp->dest_gid = c->dest_gid;
        }
        qp->state = to;
        return HINIC_CMD_OK;
    }
    case HINIC_CMD_QUERY_QP: c->handle2 = nic_model.qp[i].state; return HINIC_CMD_OK;
    case HINIC_CMD_DESTROY_QP: nic_model.qp[i].used = 0; return HINIC_CMD_OK;
    default: return HINIC_CMD_BAD_OPCODE;
    }
}

uint64_t test_hinic_read(unsigned offset)
{
    now_ns += 250;
    switch (offset) {
    case HINIC_REG_ID: return HINIC_MAGIC;
    case HINIC_REG_CAPS: return 8 | 8u << 16 | 16ull << 32 | 12ull << 48;
    case HINIC_REG_GID: return MODEL_NIC_IPV4;
    case HINIC_REG_CAUSE: return MODEL_NIC_CAUSE;
    default: return 0;
    }
}

/* The QP a doorbell names. */
static struct model_qp *doorbell_qp(uint64_t value)
{
    uint32_t i = (uint32_t)(value >> 32) - HINIC_QPN_BASE;
    ck_assert_uint_lt(i, 8);
    ck_assert(nic_model.qp[i].used);
    return &nic_model.qp[i];
}

void test_hinic_write(unsigned offset, uint64_t value)
{
    now_ns += 250;
    int names_qp = offset == HINIC_REG_SQ_DOORBELL || offset == HINIC_REG_RQ_DOORBELL;
    struct model_qp *qp = names_qp ? doorbell_qp(value) : NULL;
    switch (offset) {
    case HINIC_REG_COMMAND: {
        struct hinic_command *c = (struct hinic_command *)(uintptr_t)value;
        ck_assert_uint_eq(value % 64, 0);
        c->status = model_command(c);
        break;
    }
    case HINIC_REG_SQ_DOORBELL: {
        hinic_model_counts.sq_doorbells++;
        uint32_t pi = qp->sq_pi + hinic_doorbell_advance(value, qp->sq_pi);
        ck_assert_uint_le(hinic_ring_used(pi, qp->sq_ci), qp->sq_entries);
        qp->sq_pi = pi;
        while (qp->sq_ci != qp->sq_pi) {
            struct hinic_send_wqe w = qp->sq[hinic_ring_slot(qp->sq_ci++, qp->sq_entries)];
            execute((uint32_t)(value >> 32), qp, &w);
        }
        break;
    }
    case HINIC_REG_RQ_DOORBELL:
        hinic_model_counts.rq_doorbells++;
        qp->rq_pi += hinic_doorbell_advance(value, qp->rq_pi);
        ck_assert_uint_le(hinic_ring_used(qp->rq_pi, qp->rq_ci), qp->rq_entries);
        break;
    case HINIC_REG_CQ_DOORBELL: {
        hinic_model_counts.cq_doorbells++;
        struct model_cq *cq = &nic_model.cq[(uint32_t)(value >> 32)];
        cq->freed += hinic_doorbell_advance(value, cq->freed);
        ck_assert_uint_le(hinic_ring_used(cq->produced, cq->freed), cq->entries);
        break;
    }
    default: ck_abort_msg("write to register 0x%x", offset);
    }
}

void hinic_model_reset(int peer_gids)
{
    memset(&nic_model, 0, sizeof nic_model);
    memset(&hinic_model_counts, 0, sizeof hinic_model_counts);
    raised = 0;
    build_tree(peer_gids);
}

void hinic_model_set_bootargs(const char *args)
{
    bootargs = args;
}
