/* The guest verbs library on the host, over a small model of HiNIC that loops every QP back to a QP of the same
 * NIC: ring wrap-around and owner bits, doorbells, send-slot accounting, the half-ring CQ doorbell, the
 * bootstrap's message FIFO; the perftest program run against itself through it; and the ring arithmetic and
 * perftest's statistics on their own. */
#define VDC_VERBS_HOST_TEST 1
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "../guest/runtime/bootstrap.c"
#include "../guest/runtime/verbs.c"
#include "../guest/runtime/verbs_data.c"
#include "perftest_stats.h"
#include "suites.h"

#define NIC_IPV4 0x0b000001u /* fabric host 0, rank 0: so the bootstrap's peer 0 is this NIC itself */
#define NIC_CAUSE (1u << 3)

/* The runtime functions the library calls. */

static _Alignas(4096) uint8_t arena[48 << 20];
static size_t arena_used;
static _Alignas(8) char tree[1024];
static uint64_t now_ns; /* virtual time: each exit costs 250 ns */
static const char *bootargs = "";

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

static uint64_t raised;

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
    unsigned commands, sq_doorbells, rq_doorbells, cq_doorbells, overruns, rnr;
} nic_model;

/* The device tree: a NIC, and with `peer_gids` the two ranks' addresses both this NIC's (so rank 0's peer,
 * rank 1, is itself). */
static void build_tree(int peer_gids)
{
    ck_assert_int_eq(fdt_create(tree, sizeof tree), 0);
    ck_assert_int_eq(fdt_finish_reservemap(tree), 0);
    ck_assert_int_eq(fdt_begin_node(tree, ""), 0);
    ck_assert_int_eq(fdt_begin_node(tree, "hinic@c0001000"), 0);
    ck_assert_int_eq(fdt_property_string(tree, "compatible", "vdc,hinic"), 0);
    fdt64_t reg[2] = {cpu_to_fdt64(0xc0001000), cpu_to_fdt64(HINIC_BAR_SIZE)};
    ck_assert_int_eq(fdt_property(tree, "reg", reg, sizeof reg), 0);
    fdt32_t gids[2] = {cpu_to_fdt32(NIC_IPV4), cpu_to_fdt32(NIC_IPV4)};
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
        nic_model.overruns++;
        return;
    }
    cqe.flags |= hinic_cqe_owner(cq->produced, cq->entries);
    cq->ring[hinic_ring_slot(cq->produced++, cq->entries)] = cqe;
    raised |= NIC_CAUSE;
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
    struct model_qp *peer = w->opcode <= HINIC_WR_RDMA_READ && qp->dest_gid == NIC_IPV4 && peer_index < 8
                                ? &nic_model.qp[peer_index]
                                : NULL;
    void *local = (void *)(uintptr_t)w->local_addr, *remote = (void *)(uintptr_t)w->remote_addr;
    int consumes = w->opcode == HINIC_WR_SEND || w->opcode == HINIC_WR_SEND_WITH_IMM ||
                   w->opcode == HINIC_WR_RDMA_WRITE_WITH_IMM;
    if (peer == NULL || !peer->used || peer->state < HINIC_QPS_RTR || !mr_covers(w->lkey, w->local_addr, w->length)) {
        done.status = HINIC_WC_RETRY_EXC_ERR;
    } else if (consumes && peer->rq_ci == peer->rq_pi) {
        nic_model.rnr++;
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
    nic_model.commands++;
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
                    .sq = (struct hinic_send_wqe *)(uintptr_t)c->addr, .rq = (struct hinic_recv_wqe *)(uintptr_t)c->addr2,
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
    case HINIC_REG_GID: return NIC_IPV4;
    case HINIC_REG_CAUSE: return NIC_CAUSE;
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
    struct model_qp *qp = offset == HINIC_REG_SQ_DOORBELL || offset == HINIC_REG_RQ_DOORBELL ? doorbell_qp(value) : NULL;
    switch (offset) {
    case HINIC_REG_COMMAND: {
        struct hinic_command *c = (struct hinic_command *)(uintptr_t)value;
        ck_assert_uint_eq(value % 64, 0);
        c->status = model_command(c);
        break;
    }
    case HINIC_REG_SQ_DOORBELL: {
        nic_model.sq_doorbells++;
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
        nic_model.rq_doorbells++;
        qp->rq_pi += hinic_doorbell_advance(value, qp->rq_pi);
        ck_assert_uint_le(hinic_ring_used(qp->rq_pi, qp->rq_ci), qp->rq_entries);
        break;
    case HINIC_REG_CQ_DOORBELL: {
        nic_model.cq_doorbells++;
        struct model_cq *cq = &nic_model.cq[(uint32_t)(value >> 32)];
        cq->freed += hinic_doorbell_advance(value, cq->freed);
        ck_assert_uint_le(hinic_ring_used(cq->produced, cq->freed), cq->entries);
        break;
    }
    default: ck_abort_msg("write to register 0x%x", offset);
    }
}

/* Two QPs of one NIC connected to each other, on one CQ. */
struct loop {
    struct ibv_context *context;
    struct ibv_pd *pd;
    struct ibv_cq *cq;
    struct ibv_qp *a, *b;
    struct ibv_mr *mr;
    uint8_t *buffer;
};

static void connect_to(struct ibv_qp *qp, uint32_t peer_qpn)
{
    struct ibv_qp_attr attr = {.qp_state = IBV_QPS_INIT};
    ck_assert_int_eq(ibv_modify_qp(qp, &attr, IBV_QP_STATE), 0);
    struct vdc_dest local = {.qpn = qp->qp_num, .psn = 7, .ipv4 = NIC_IPV4};
    struct vdc_dest remote = {.qpn = peer_qpn, .psn = 7, .ipv4 = NIC_IPV4};
    ck_assert_int_eq(vdc_connect_qp(qp, &local, &remote, IBV_MTU_4096, 3, 14, 7), 0);
}

static void loop_open(struct loop *l, int cqe, uint32_t sq, uint32_t rq)
{
    memset(&nic_model, 0, sizeof nic_model);
    raised = 0;
    build_tree(0);
    l->context = ibv_open_device();
    ck_assert_ptr_nonnull(l->context);
    l->pd = ibv_alloc_pd(l->context);
    l->cq = ibv_create_cq(l->context, cqe, NULL, NULL, 0);
    ck_assert_ptr_nonnull(l->cq);
    struct ibv_qp_init_attr init = {.send_cq = l->cq, .recv_cq = l->cq, .qp_type = IBV_QPT_RC,
                                    .cap = {.max_send_wr = sq, .max_recv_wr = rq, .max_send_sge = 1, .max_recv_sge = 1}};
    l->a = ibv_create_qp(l->pd, &init);
    l->b = ibv_create_qp(l->pd, &init);
    ck_assert_ptr_nonnull(l->a);
    ck_assert_ptr_nonnull(l->b);
    connect_to(l->a, l->b->qp_num);
    connect_to(l->b, l->a->qp_num);
    l->buffer = vdc_alloc(1 << 16, 4096);
    l->mr = ibv_reg_mr(l->pd, l->buffer, 1 << 16, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
    ck_assert_ptr_nonnull(l->mr);
}

static void loop_close(struct loop *l)
{
    ck_assert_int_eq(ibv_destroy_cq(l->cq), EBUSY);
    ck_assert_int_eq(ibv_destroy_qp(l->a), 0);
    ck_assert_int_eq(ibv_destroy_qp(l->b), 0);
    ck_assert_int_eq(ibv_destroy_cq(l->cq), 0);
    ck_assert_int_eq(ibv_dereg_mr(l->mr), 0);
    ck_assert_int_eq(ibv_dealloc_pd(l->pd), 0);
    ck_assert_ptr_null(l->context->qps);
    ck_assert_uint_eq(nic_model.overruns, 0);
}

static struct ibv_send_wr write_wr(struct loop *l, struct ibv_sge *sge, uint64_t id, unsigned flags)
{
    *sge = (struct ibv_sge){(uintptr_t)l->buffer, 64, l->mr->lkey};
    return (struct ibv_send_wr){.wr_id = id, .sg_list = sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
                                .send_flags = flags, .wr.rdma = {(uintptr_t)l->buffer + 4096, l->mr->rkey}};
}

START_TEST(device_and_commands)
{
    struct loop l;
    loop_open(&l, 4, 8, 8);
    ck_assert_uint_eq(l.context->max_qp, 8);
    ck_assert_uint_eq(l.context->max_mr, 16);
    ck_assert_int_eq(l.context->max_mtu, IBV_MTU_4096);
    ck_assert_uint_eq(l.context->cause_mask, NIC_CAUSE);
    ck_assert_str_eq(l.context->name, "hinic@c0001000");
    ck_assert_uint_eq(l.cq->entries, 8); /* twice cqe */
    ck_assert_int_eq(l.cq->cqe, 4);
    ck_assert_uint_eq(l.a->qp_num, HINIC_QPN_BASE);
    union ibv_gid gid;
    ck_assert_int_eq(ibv_query_gid(l.context, 1, 0, &gid), 0);
    ck_assert_uint_eq(ibv_gid_to_ipv4(&gid), NIC_IPV4);
    ck_assert_uint_eq(gid.raw[10], 0xff);
    struct ibv_qp_attr attr;
    struct ibv_qp_init_attr init;
    ck_assert_int_eq(ibv_query_qp(l.a, &attr, 0, &init), 0);
    ck_assert_int_eq(attr.qp_state, IBV_QPS_RTS);
    ck_assert_uint_eq(attr.dest_qp_num, l.b->qp_num);
    ck_assert_uint_eq(attr.ah_attr.sl, 3);
    ck_assert_ptr_eq(init.send_cq, l.cq);
    /* What a transition lacks is refused before the NIC sees it. */
    unsigned commands = nic_model.commands;
    attr = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024};
    ck_assert_int_eq(ibv_modify_qp(l.a, &attr, IBV_QP_STATE | IBV_QP_PATH_MTU), EINVAL);
    attr = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTS, .sq_psn = 1u << 24};
    ck_assert_int_eq(ibv_modify_qp(l.a, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN), EINVAL);
    ck_assert_uint_eq(nic_model.commands, commands);
    /* ...and what the NIC refuses comes back as an errno. */
    attr = (struct ibv_qp_attr){.qp_state = IBV_QPS_INIT};
    ck_assert_int_eq(ibv_modify_qp(l.a, &attr, IBV_QP_STATE), EINVAL);
    ck_assert_ptr_null(ibv_create_cq(l.context, 0, NULL, NULL, 0));
    ck_assert_int_eq(errno, EINVAL);
    loop_close(&l);
}
END_TEST

START_TEST(rings_wrap_many_times)
{
    struct loop l;
    loop_open(&l, 4, 4, 1); /* an 8-entry CQ and a 4-entry send queue */
    struct ibv_send_wr wr[4];
    struct ibv_sge sge[4];
    unsigned posts = 0;
    uint64_t next_id = 0, expected_id = 0;
    for (int round = 0; round < 1000; round++) {
        int batch = 1 + round % 4;
        for (int k = 0; k < batch; k++) {
            wr[k] = write_wr(&l, &sge[k], next_id++, IBV_SEND_SIGNALED);
            wr[k].next = k + 1 < batch ? &wr[k + 1] : NULL;
        }
        ck_assert_int_eq(ibv_post_send(l.a, wr, NULL), 0);
        posts++;
        struct ibv_wc wc[8];
        int got = 0;
        while (got < batch) {
            int n = ibv_poll_cq_wait(l.cq, 3, wc, 0);
            ck_assert_int_gt(n, 0);
            for (int k = 0; k < n; k++) {
                ck_assert_int_eq(wc[k].status, IBV_WC_SUCCESS);
                ck_assert_int_eq(wc[k].opcode, IBV_WC_RDMA_WRITE);
                ck_assert_uint_eq(wc[k].wr_id, expected_id++);
            }
            got += n;
        }
        ck_assert_int_eq(ibv_poll_cq(l.cq, 8, wc), 0);
    }
    ck_assert_uint_eq(nic_model.sq_doorbells, posts); /* one doorbell per post call */
    /* The CQ doorbell is rung only once half the ring (4 entries) has been consumed since the last one. */
    ck_assert_uint_le(nic_model.cq_doorbells, 2500 / 4);
    ck_assert_uint_ge(nic_model.cq_doorbells, 2500 / 6);
    loop_close(&l);
}
END_TEST

START_TEST(unsignaled_sends_free_their_slots)
{
    struct loop l;
    loop_open(&l, 16, 8, 16);
    struct ibv_sge rsge = {(uintptr_t)l.buffer + 8192, 128, l.mr->lkey};
    uint32_t received = 0, sent = 0;
    for (int i = 0; i < 1000; i++) {
        if (l.b->rq_posted - l.b->rq_done < 2) {
            struct ibv_recv_wr rwr[14];
            for (int k = 0; k < 14; k++)
                rwr[k] = (struct ibv_recv_wr){.wr_id = 100 + k, .next = k < 13 ? &rwr[k + 1] : NULL, .sg_list = &rsge,
                                              .num_sge = 1};
            ck_assert_int_eq(ibv_post_recv(l.b, rwr, NULL), 0);
        }
        struct ibv_sge sge = {(uintptr_t)l.buffer, 48, l.mr->lkey};
        l.buffer[0] = (uint8_t)i;
        struct ibv_send_wr wr = {.wr_id = (uint64_t)i, .sg_list = &sge, .num_sge = 1, .opcode = IBV_WR_SEND,
                                 .send_flags = i % 4 == 3 ? IBV_SEND_SIGNALED : 0};
        ck_assert_int_eq(ibv_post_send(l.a, &wr, NULL), 0);
        struct ibv_wc wc[4];
        int n = ibv_poll_cq_wait(l.cq, 4, wc, 0);
        for (int k = 0; k < n; k++) {
            ck_assert_int_eq(wc[k].status, IBV_WC_SUCCESS);
            if (wc[k].opcode == IBV_WC_RECV) {
                ck_assert_uint_eq(wc[k].byte_len, 48);
                ck_assert_uint_eq(wc[k].qp_num, l.b->qp_num);
                ck_assert_uint_eq(l.buffer[8192], (uint8_t)i);
                received++;
            } else {
                ck_assert_uint_eq(wc[k].wr_id % 4, 3);
                sent++;
            }
        }
        ck_assert_uint_le(l.a->sq_posted - l.a->sq_done, 4); /* a signaled completion frees up to itself */
    }
    ck_assert_uint_eq(received, 1000);
    ck_assert_uint_eq(sent, 250);
    ck_assert_uint_eq(nic_model.rnr, 0);
    loop_close(&l);
}
END_TEST

START_TEST(full_ring_refuses_with_bad_wr)
{
    struct loop l;
    loop_open(&l, 16, 8, 1);
    struct ibv_send_wr wr[9], *bad = NULL;
    struct ibv_sge sge[9];
    for (int k = 0; k < 9; k++) {
        wr[k] = write_wr(&l, &sge[k], (uint64_t)k, 0);
        wr[k].next = k < 8 ? &wr[k + 1] : NULL;
    }
    ck_assert_int_eq(ibv_post_send(l.a, wr, &bad), ENOMEM); /* eight unsignaled writes fill the ring */
    ck_assert_ptr_eq(bad, &wr[8]);
    ck_assert_uint_eq(nic_model.sq_doorbells, 1);
    wr[0].send_flags = IBV_SEND_INLINE;
    wr[0].next = NULL;
    ck_assert_int_eq(ibv_post_send(l.a, wr, &bad), EINVAL);
    wr[0].send_flags = 0;
    wr[0].num_sge = 2;
    ck_assert_int_eq(ibv_post_send(l.a, wr, &bad), EINVAL);
    ck_assert_uint_eq(nic_model.sq_doorbells, 1);
    loop_close(&l);
}
END_TEST

START_TEST(immediate_and_read)
{
    struct loop l;
    loop_open(&l, 8, 8, 8);
    struct ibv_recv_wr rwr = {.wr_id = 55};
    ck_assert_int_eq(ibv_post_recv(l.b, &rwr, NULL), 0); /* no element: the write carries its data itself */
    memset(l.buffer, 0x5a, 64);
    struct ibv_sge sge;
    struct ibv_send_wr wr = write_wr(&l, &sge, 1, IBV_SEND_SIGNALED);
    wr.opcode = IBV_WR_RDMA_WRITE_WITH_IMM;
    wr.imm_data = 0xfeedbeef;
    ck_assert_int_eq(ibv_post_send(l.a, &wr, NULL), 0);
    struct ibv_wc wc[2];
    ck_assert_int_eq(ibv_poll_cq(l.cq, 2, wc), 2);
    ck_assert_int_eq(wc[0].opcode, IBV_WC_RECV_RDMA_WITH_IMM);
    ck_assert_uint_eq(wc[0].wc_flags, IBV_WC_WITH_IMM);
    ck_assert_uint_eq(wc[0].imm_data, 0xfeedbeef);
    ck_assert_uint_eq(wc[0].wr_id, 55);
    ck_assert_int_eq(wc[1].opcode, IBV_WC_RDMA_WRITE);
    ck_assert_uint_eq(l.buffer[4096 + 63], 0x5a);
    memset(l.buffer + 4096, 0x3c, 64);
    wr = write_wr(&l, &sge, 2, IBV_SEND_SIGNALED);
    wr.opcode = IBV_WR_RDMA_READ;
    ck_assert_int_eq(ibv_post_send(l.a, &wr, NULL), 0);
    ck_assert_int_eq(ibv_poll_cq(l.cq, 2, wc), 1);
    ck_assert_int_eq(wc[0].opcode, IBV_WC_RDMA_READ);
    ck_assert_uint_eq(l.buffer[0], 0x3c);
    wr.wr.rdma.rkey = 0x2ff; /* no such region: the error comes back in the completion */
    ck_assert_int_eq(ibv_post_send(l.a, &wr, NULL), 0);
    ck_assert_int_eq(ibv_poll_cq(l.cq, 2, wc), 1);
    ck_assert_int_eq(wc[0].status, IBV_WC_REM_ACCESS_ERR);
    ck_assert_str_eq(ibv_wc_status_str(wc[0].status), "remote access error");
    ck_assert_int_eq(ibv_wait_cq(l.cq, 5000), ETIMEDOUT); /* empty: WAIT until the deadline */
    loop_close(&l);
}
END_TEST

START_TEST(bootstrap_loops_back)
{
    memset(&nic_model, 0, sizeof nic_model);
    build_tree(0);
    struct ibv_context *context = ibv_open_device();
    struct ibv_pd *pd = ibv_alloc_pd(context);
    ck_assert_uint_eq(vdc_peer_ipv4(context, 0), NIC_IPV4);
    ck_assert_uint_eq(vdc_peer_ipv4(context, 258), 0x0b010201); /* 11.1.2.1 */
    struct vdc_bootstrap bs;
    ck_assert_int_eq(vdc_bootstrap_connect(&bs, pd, 0), 0); /* rank 0 is this NIC: the QP talks to itself */
    ck_assert_uint_eq(bs.qp->qp_num, HINIC_QPN_BASE);
    ck_assert_uint_eq(bs.qp->attr.rq_psn, VDC_BOOTSTRAP_PSN);
    for (int i = 0; i < 20; i++) {
        struct vdc_dest mine = {.qpn = 0x101, .psn = (uint32_t)i, .addr = 0x123456}, theirs;
        ck_assert_int_eq(vdc_bootstrap_exchange(&bs, &mine, &theirs, sizeof mine, 0), 0);
        ck_assert_int_eq(memcmp(&mine, &theirs, sizeof mine), 0);
        ck_assert_int_eq(vdc_bootstrap_barrier(&bs, 0), 0);
    }
    uint8_t big[VDC_BOOTSTRAP_MAX + 1] = {0};
    ck_assert_int_eq(vdc_bootstrap_exchange(&bs, big, big, sizeof big, 0), EINVAL);
    vdc_bootstrap_close(&bs);
    ck_assert_ptr_null(context->qps);
    /* A bootstrap QP that is not the NIC's first cannot be found by the peer. */
    struct ibv_cq *cq = ibv_create_cq(context, 1, NULL, NULL, 0);
    struct ibv_qp_init_attr init = {.send_cq = cq, .recv_cq = cq, .qp_type = IBV_QPT_RC, .cap = {1, 1, 1, 1, 0}};
    struct ibv_qp *first = ibv_create_qp(pd, &init);
    ck_assert_int_eq(vdc_bootstrap_connect(&bs, pd, 0), EEXIST);
    vdc_bootstrap_close(&bs);
    ck_assert_int_eq(ibv_destroy_qp(first), 0);
    ck_assert_int_eq(ibv_destroy_cq(cq), 0);
}
END_TEST

/* The perftest program, its console captured. */
static char console[1 << 16];
static size_t console_len;

static int captured_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int captured_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(console + console_len, sizeof console - console_len, fmt, ap);
    va_end(ap);
    console_len += (size_t)n < sizeof console - console_len ? (size_t)n : 0;
    return n;
}

#define main perftest_main
#define printf(...) captured_printf(__VA_ARGS__)
#include "../guest/programs/perftest.c"
#undef printf
#undef main

/* Runs the program as rank 0, whose peer is its own NIC, and returns its exit code. */
static int run_perftest(const char *args)
{
    memset(&nic_model, 0, sizeof nic_model);
    raised = 0;
    build_tree(1);
    console_len = 0;
    console[0] = '\0';
    bootargs = args;
    int rc = perftest_main();
    ck_assert_ptr_null(strchr(console, '\t'));
    ck_assert_uint_eq(nic_model.overruns, 0);
    ck_assert_uint_eq(nic_model.rnr, 0);
    return rc;
}

/* The table's row for `size`: its numbers, or 0 fields when there is none. */
static int table_row(unsigned long size, double *v, int count)
{
    char key[32];
    snprintf(key, sizeof key, "\n %lu ", size);
    const char *row = strstr(console, key);
    if (row == NULL)
        return 0;
    unsigned long bytes, iters;
    int n = sscanf(row, " %lu %lu %lf %lf %lf %lf %lf %lf %lf", &bytes, &iters, &v[0], &v[1], &v[2], &v[3], &v[4],
                   &v[5], &v[6]);
    return n == 2 + count && bytes == size ? (int)iters : 0;
}

START_TEST(perftest_bandwidth_tables)
{
    double v[7];
    ck_assert_int_eq(run_perftest("write_bw -s 4096 -n 300 --report_gbits"), 0);
    ck_assert_ptr_nonnull(strstr(console, "RDMA_Write BW Test"));
    ck_assert_ptr_nonnull(strstr(console, " local address: LID 0000 QPN 0x0101 PSN 0x"));
    ck_assert_ptr_nonnull(strstr(console, " GID: 00:00:00:00:00:00:00:00:00:00:255:255:11:00:00:01\n"));
    ck_assert_ptr_nonnull(
        strstr(console, "\n #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]\n"));
    ck_assert_int_eq(table_row(4096, v, 3), 300);
    ck_assert_double_gt(v[1], 0);
    ck_assert_double_ge(v[0], v[1]); /* peak at least the average */
    ck_assert_double_eq_tol(v[1] * 1e9 / 8 / 4096 / 1e6, v[2], 1e-3); /* Gb/s and Mpps agree */

    ck_assert_int_eq(run_perftest("ib_read_bw -s 65536 -n 200 -t 16 -N"), 0);
    ck_assert_ptr_nonnull(
        strstr(console, "\n #bytes     #iterations    BW peak[MiB/sec]    BW average[MiB/sec]   MsgRate[Mpps]\n"));
    ck_assert_int_eq(table_row(65536, v, 3), 200);
    ck_assert_double_eq(v[0], 0); /* -N: no peak */
    ck_assert_double_eq_tol(v[1] * 1048576 / 65536 / 1e6, v[2], 1e-3);
}
END_TEST

START_TEST(perftest_latency_tables)
{
    double v[7];
    ck_assert_int_eq(run_perftest("send_lat -s 64 -n 200 -r 16"), 0);
    ck_assert_ptr_nonnull(strstr(console, "\n #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    "
                                          "t_avg[usec]    t_stdev[usec]   99% percentile[usec]   99.9% "
                                          "percentile[usec] \n"));
    ck_assert_int_eq(table_row(64, v, 7), 200);
    ck_assert_double_gt(v[0], 0);
    ck_assert_double_le(v[0], v[2]); /* t_min <= t_typical <= 99% <= 99.9% <= t_max */
    ck_assert_double_le(v[2], v[5]);
    ck_assert_double_le(v[5], v[6]);
    ck_assert_double_le(v[6], v[1]);

    ck_assert_int_eq(run_perftest("write_lat -a -n 20"), 0);
    for (unsigned long size = 2; size <= 8388608; size *= 2)
        ck_assert_int_eq(table_row(size, v, 7), 20);
}
END_TEST

START_TEST(perftest_refuses_bad_arguments)
{
    ck_assert_int_eq(run_perftest("bogus"), 2);
    ck_assert_ptr_nonnull(strstr(console, "unknown test: bogus"));
    ck_assert_int_eq(run_perftest("write_bw -s 0"), 2);
    ck_assert_int_eq(run_perftest("write_bw --size=9000000"), 2);
    ck_assert_int_eq(run_perftest("write_bw -m 1000"), 2);
    ck_assert_int_eq(run_perftest("send_lat --iters"), 2);
    ck_assert_int_eq(run_perftest("write_bw -q"), 2);
    ck_assert_int_eq(run_perftest("-a"), 2);
    ck_assert_ptr_nonnull(strstr(console, "no test named"));
    ck_assert_int_eq(run_perftest("write_bw --size=128 -n5 --tx-depth 4"), 0);
    ck_assert_int_eq(table_row(128, (double[7]){0}, 3), 5);
}
END_TEST

START_TEST(ring_arithmetic)
{
    ck_assert_uint_eq(hinic_ring_entries(0, 32768), 1);
    ck_assert_uint_eq(hinic_ring_entries(5, 32768), 8);
    ck_assert_uint_eq(hinic_ring_entries(32768, 32768), 32768);
    ck_assert_uint_eq(hinic_ring_entries(32769, 32768), 0);
    ck_assert_uint_eq(hinic_ring_entries(UINT32_MAX, 32768), 0);
    /* A zeroed ring is empty; the owner bit flips each pass, also where the 32-bit index wraps. */
    ck_assert(!hinic_cqe_is_new(0, 0, 8));
    ck_assert(hinic_cqe_is_new(HINIC_CQE_OWNER, 7, 8));
    ck_assert(!hinic_cqe_is_new(HINIC_CQE_OWNER, 8, 8));
    ck_assert(hinic_cqe_is_new(HINIC_CQE_WITH_IMM, 8, 8));
    ck_assert_uint_eq(hinic_cqe_owner(UINT32_MAX, 32768), 0);
    ck_assert_uint_eq(hinic_cqe_owner(UINT32_MAX + 1u, 32768), 1);
    ck_assert_uint_eq(hinic_ring_used(3, UINT32_MAX - 1), 5);
    ck_assert(hinic_ring_full(3, UINT32_MAX - 4, 8));
    /* A doorbell carries 16 bits of the index; the device recovers how far it moved. */
    ck_assert_uint_eq(hinic_doorbell(0x101, 0x12345), 0x10100002345ull);
    ck_assert_uint_eq(hinic_doorbell_advance(hinic_doorbell(0x101, 0x10003), 0xfffe), 5);
}
END_TEST

START_TEST(latency_summary)
{
    uint64_t delta[1002];
    for (int i = 0; i < 1002; i++)
        delta[i] = 2000 + (uint64_t)((i * 7919) % 1002); /* 2000..3001 ns in a scrambled order */
    struct perftest_lat s;
    ck_assert_int_eq(perftest_lat_stats(delta, 1002, 2, &s), 0);
    for (int i = 1; i < 1002; i++)
        ck_assert_uint_le(delta[i - 1], delta[i]);
    ck_assert_double_eq_tol(s.min, 1.0, 1e-9);     /* 2000 ns round trip, halved */
    ck_assert_double_eq_tol(s.max, 1.5, 1e-9);     /* delta[1000]: the two largest are left out */
    ck_assert_double_eq_tol(s.typical, 1.24975, 1e-9); /* even count: the two middle ones averaged */
    ck_assert_double_eq_tol(s.avg, 1.24975, 1e-9);
    ck_assert_double_eq_tol(s.p99, 1.495, 1e-9);   /* delta[990] */
    ck_assert_double_eq_tol(s.p999, 1.4995, 1e-9); /* delta[999] */
    ck_assert_double_eq_tol(s.stdev, 0.1443, 1e-4);
    ck_assert_int_eq(perftest_lat_stats(delta, 3, 2, &s), -1);
}
END_TEST

START_TEST(bandwidth_peak)
{
    /* Eight messages posted in two batches, at 0 and 500 ns; the best run is messages 4-7, posted at 500 ns and
     * done at 600 ns (25 ns each), better than all eight in 600 ns (75 ns each). */
    struct perftest_stamp posts[] = {{0, 0}, {500, 4}};
    struct perftest_stamp done[] = {{450, 3}, {560, 5}, {600, 7}};
    ck_assert_double_eq_tol(perftest_peak_ns(posts, 2, done, 3), 25.0, 1e-9);
    ck_assert_double_eq_tol(perftest_peak_ns(posts, 1, done, 3), 75.0, 1e-9);
    ck_assert_double_eq_tol(perftest_peak_ns(posts, 1, done, 1), 112.5, 1e-9);
    ck_assert_double_eq(perftest_peak_ns(posts, 0, done, 3), 0);
}
END_TEST

Suite *guest_verbs_suite(void);
Suite *guest_verbs_suite(void)
{
    Suite *s = suite_create("guest_verbs");
    TCase *tc = tcase_create("verbs");
    tcase_add_test(tc, device_and_commands);
    tcase_add_test(tc, rings_wrap_many_times);
    tcase_add_test(tc, unsignaled_sends_free_their_slots);
    tcase_add_test(tc, full_ring_refuses_with_bad_wr);
    tcase_add_test(tc, immediate_and_read);
    tcase_add_test(tc, bootstrap_loops_back);
    tcase_add_test(tc, perftest_bandwidth_tables);
    tcase_add_test(tc, perftest_latency_tables);
    tcase_add_test(tc, perftest_refuses_bad_arguments);
    suite_add_tcase(s, tc);
    TCase *pure = tcase_create("arithmetic");
    tcase_add_test(pure, ring_arithmetic);
    tcase_add_test(pure, latency_summary);
    tcase_add_test(pure, bandwidth_peak);
    suite_add_tcase(s, pure);
    return s;
}
