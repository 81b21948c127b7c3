/* The guest verbs library on the host, driving the real HiNIC of a simulated guest (guest_host.h) whose QPs talk
 * to QPs of the same NIC through the rack's switch: commands and their refusals, ring wrap-around and owner bits,
 * one doorbell per post, send-slot accounting, the half-ring CQ doorbell, immediate data and reads, the
 * bootstrap's message FIFO; and HiNIC's ring arithmetic on its own. */
#include <errno.h>
#include <string.h>

#include "../rigs/guest_host.h"
#include "hinic_ring.h"
#include "../suites.h"
#include "vdc_guest.h"
#include "vdc_verbs.h"

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
    struct vdc_dest local = {.qpn = qp->qp_num, .psn = 7, .ipv4 = GUEST_HOST_IPV4};
    struct vdc_dest remote = {.qpn = peer_qpn, .psn = 7, .ipv4 = GUEST_HOST_IPV4};
    ck_assert_int_eq(vdc_connect_qp(qp, &local, &remote, IBV_MTU_4096, 3, 14, 7), 0);
}

static void loop_open(struct loop *l, int cqe, uint32_t sq, uint32_t rq)
{
    guest_host_boot(&(struct guest_host_options){0});
    l->context = ibv_open_device();
    ck_assert_ptr_nonnull(l->context);
    l->pd = ibv_alloc_pd(l->context);
    l->cq = ibv_create_cq(l->context, cqe, NULL, NULL, 0);
    ck_assert_ptr_nonnull(l->cq);
    struct ibv_qp_init_attr init = {.send_cq = l->cq, .recv_cq = l->cq, .qp_type = IBV_QPT_RC,
                                    .cap = {.max_send_wr = sq, .max_recv_wr = rq, .max_send_sge = 1,
                                            .max_recv_sge = 1}};
    l->a = ibv_create_qp(l->pd, &init);
    l->b = ibv_create_qp(l->pd, &init);
    ck_assert_ptr_nonnull(l->a);
    ck_assert_ptr_nonnull(l->b);
    connect_to(l->a, l->b->qp_num);
    connect_to(l->b, l->a->qp_num);
    l->buffer = vdc_alloc(1 << 16, 4096);
    l->mr = ibv_reg_mr(l->pd, l->buffer, 1 << 16,
                       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
    ck_assert_ptr_nonnull(l->mr);
}

/* Tears the loop down; the NIC must have logged `errors` guest errors (deliberate ones) before, and nothing may
 * have been sent twice (a receive missing when a SEND came, a lost packet). */
static void loop_close(struct loop *l, uint64_t errors)
{
    struct hinic_stats stats = guest_host_nic_stats();
    ck_assert_msg(stats.errors == errors, "%llu errors, not %llu: %s", (unsigned long long)stats.errors,
                  (unsigned long long)errors, guest_host_nic_log());
    ck_assert_uint_eq(stats.retransmitted, 0);
    ck_assert_int_eq(ibv_destroy_cq(l->cq), EBUSY); /* refused by the NIC, which logs it */
    ck_assert_int_eq(ibv_destroy_qp(l->a), 0);
    ck_assert_int_eq(ibv_destroy_qp(l->b), 0);
    ck_assert_int_eq(ibv_destroy_cq(l->cq), 0);
    ck_assert_int_eq(ibv_dereg_mr(l->mr), 0);
    ck_assert_int_eq(ibv_dealloc_pd(l->pd), 0);
    ck_assert_ptr_null(l->context->qps);
    ck_assert_uint_eq(guest_host_nic_stats().errors, errors + 1);
    guest_host_halt();
}

/* Exactly `n` completions, waiting for them as long as they take to come (virtual time). */
static void poll_exactly(struct ibv_cq *cq, int n, struct ibv_wc *wc)
{
    int got = 0;
    while (got < n) {
        int k = ibv_poll_cq_wait(cq, n - got, wc + got, vdc_clock_ns() + 1000000);
        ck_assert_int_gt(k, 0);
        got += k;
    }
    ck_assert_int_eq(ibv_wait_cq(cq, vdc_clock_ns() + 100000), ETIMEDOUT); /* and no more */
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
    struct hinic_params params;
    hinic_params_defaults(&params);
    ck_assert_uint_eq(l.context->max_qp, HINIC_MAX_QPS);
    ck_assert_uint_eq(l.context->max_cq, HINIC_MAX_CQS);
    ck_assert_uint_eq(l.context->max_mr, HINIC_MAX_MRS);
    ck_assert_int_eq(l.context->max_mtu, IBV_MTU_4096);
    ck_assert_uint_eq(l.context->cause_mask, params.cause_mask);
    ck_assert_str_eq(l.context->name, "hinic@c0001000");
    ck_assert_uint_eq(l.cq->entries, 8); /* twice cqe */
    ck_assert_int_eq(l.cq->cqe, 4);
    ck_assert_uint_eq(l.a->qp_num, HINIC_QPN_BASE);
    union ibv_gid gid;
    ck_assert_int_eq(ibv_query_gid(l.context, 1, 0, &gid), 0);
    ck_assert_uint_eq(ibv_gid_to_ipv4(&gid), GUEST_HOST_IPV4);
    ck_assert_uint_eq(gid.raw[10], 0xff);
    struct ibv_qp_attr attr;
    struct ibv_qp_init_attr init;
    ck_assert_int_eq(ibv_query_qp(l.a, &attr, 0, &init), 0);
    ck_assert_int_eq(attr.qp_state, IBV_QPS_RTS);
    ck_assert_uint_eq(attr.dest_qp_num, l.b->qp_num);
    ck_assert_uint_eq(attr.ah_attr.sl, 3);
    ck_assert_ptr_eq(init.send_cq, l.cq);
    /* What a transition lacks is refused before the NIC sees it. */
    unsigned commands = guest_host_counts.commands;
    attr = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTR, .path_mtu = IBV_MTU_1024};
    ck_assert_int_eq(ibv_modify_qp(l.a, &attr, IBV_QP_STATE | IBV_QP_PATH_MTU), EINVAL);
    attr = (struct ibv_qp_attr){.qp_state = IBV_QPS_RTS, .sq_psn = 1u << 24};
    ck_assert_int_eq(ibv_modify_qp(l.a, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN), EINVAL);
    ck_assert_uint_eq(guest_host_counts.commands, commands);
    /* ...and what the NIC refuses comes back as an errno. */
    attr = (struct ibv_qp_attr){.qp_state = IBV_QPS_INIT};
    ck_assert_int_eq(ibv_modify_qp(l.a, &attr, IBV_QP_STATE), EINVAL);
    ck_assert_uint_eq(guest_host_counts.commands, commands + 1);
    ck_assert_ptr_nonnull(strstr(guest_host_nic_log(), "] blade0: hinic: command 6 refused with status 5\n"));
    ck_assert_ptr_null(ibv_create_cq(l.context, 0, NULL, NULL, 0));
    ck_assert_int_eq(errno, EINVAL);
    loop_close(&l, 1);
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
    ck_assert_uint_eq(guest_host_counts.sq_doorbells, posts); /* one doorbell per post call */
    /* The CQ doorbell is rung only once half the ring (4 entries) has been consumed since the last one. */
    ck_assert_uint_le(guest_host_counts.cq_doorbells, 2500 / 4);
    ck_assert_uint_ge(guest_host_counts.cq_doorbells, 2500 / 6);
    loop_close(&l, 0);
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
        /* Until this message has arrived; the signaled sends' completions come on the way. */
        while (received == (uint32_t)i || (i == 999 && sent < 250)) {
            struct ibv_wc wc[4];
            int n = ibv_poll_cq_wait(l.cq, 4, wc, vdc_clock_ns() + 1000000);
            ck_assert_int_gt(n, 0);
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
        }
        ck_assert_uint_le(l.a->sq_posted - l.a->sq_done, 4); /* a signaled completion frees up to itself */
    }
    ck_assert_uint_eq(received, 1000);
    ck_assert_uint_eq(sent, 250);
    ck_assert_uint_eq(l.a->sq_posted, l.a->sq_done);
    loop_close(&l, 0);
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
    ck_assert_uint_eq(guest_host_counts.sq_doorbells, 1);
    wr[0].send_flags = IBV_SEND_INLINE;
    wr[0].next = NULL;
    ck_assert_int_eq(ibv_post_send(l.a, wr, &bad), EINVAL);
    wr[0].send_flags = 0;
    wr[0].num_sge = 2;
    ck_assert_int_eq(ibv_post_send(l.a, wr, &bad), EINVAL);
    ck_assert_uint_eq(guest_host_counts.sq_doorbells, 1);
    loop_close(&l, 0);
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
    poll_exactly(l.cq, 2, wc);
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
    poll_exactly(l.cq, 1, wc);
    ck_assert_int_eq(wc[0].opcode, IBV_WC_RDMA_READ);
    ck_assert_uint_eq(l.buffer[0], 0x3c);
    wr.wr.rdma.rkey = 0x2ff; /* no such region: the error comes back in the completion */
    ck_assert_int_eq(ibv_post_send(l.a, &wr, NULL), 0);
    poll_exactly(l.cq, 1, wc);
    ck_assert_int_eq(wc[0].status, IBV_WC_REM_ACCESS_ERR);
    ck_assert_str_eq(ibv_wc_status_str(wc[0].status), "remote access error");
    uint64_t deadline = vdc_clock_ns() + 5000;
    ck_assert_int_eq(ibv_wait_cq(l.cq, deadline), ETIMEDOUT); /* empty: WAIT until the deadline */
    ck_assert_uint_ge(vdc_clock_ns(), deadline);
    ck_assert_ptr_nonnull(strstr(guest_host_nic_log(), ": request PSN 9 refused: RDMA READ: key 0x2ff names no "
                                                       "memory region; NAK 0x62, the QP enters the error state\n"));
    loop_close(&l, 1); /* the responder logged the refused read */
}
END_TEST

START_TEST(bootstrap_loops_back)
{
    guest_host_boot(&(struct guest_host_options){0}); /* no vdc,peer-gids: ranks are found by the fabric's rule */
    struct ibv_context *context = ibv_open_device();
    struct ibv_pd *pd = ibv_alloc_pd(context);
    ck_assert_uint_eq(vdc_peer_ipv4(context, 0), GUEST_HOST_IPV4);
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
    ck_assert_uint_eq(guest_host_nic_stats().errors, 0);
    ck_assert_uint_eq(guest_host_nic_stats().retransmitted, 0);
    guest_host_halt();
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
    tcase_add_test(tc, ring_arithmetic);
    suite_add_tcase(s, tc);
    return s;
}
