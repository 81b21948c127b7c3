/* HiNIC against a guest's bad input (the rig of hinic_rig.h): rings overrun, doorbells for QPs and CQs that do
 * not exist or were destroyed, and garbage in send and receive WQEs. Each gives an error completion or a QP in
 * the error state, and one log line whose exact text is checked here; none may crash (the suite also runs under
 * ASan and UBSan). */
#include <string.h>

#include "../rigs/hinic_rig.h"
#include "../suites.h"

static const uint32_t pair[2] = {1, 0};

/* Blade b logged exactly one guest error, with this text after its time stamp, and LAST_ERROR says `code`. */
static void logged_once(struct rig *r, uint32_t b, enum hinic_error code, const char *text)
{
    ck_assert_uint_eq(rig_log_lines(r, b), 1);
    ck_assert_str_eq(rig_log_line(r, b, 0), text);
    ck_assert_uint_eq(rig_reg_read(r, b, HINIC_REG_ERRORS), 1);
    ck_assert_uint_eq(rig_reg_read(r, b, HINIC_REG_LAST_ERROR), code);
}

static void doorbell(struct rig *r, uint32_t b, uint64_t offset, uint32_t number, uint32_t index)
{
    ck_assert(rig_reg_write(r, b, offset, (uint64_t)number << 32 | (index & 0xFFFF)));
}

START_TEST(send_ring_overrun_fails_the_qp)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    /* Nothing posted, and a producer index a ring and one ahead. */
    doorbell(&r, 0, HINIC_REG_SQ_DOORBELL, r.qpn[0], RING + 1);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    logged_once(&r, 0, HINIC_ERR_RING_OVERRUN,
                "blade0: hinic: QP 0x100 send doorbell: index 257 puts 257 requests in the 256-entry ring; the QP "
                "enters the error state");
    ck_assert_uint_eq(rig_qp_state(&r, 0), HINIC_QPS_ERR);
    struct hinic_cqe cqe;
    ck_assert(!rig_poll(&r, 0, &cqe)); /* nothing was outstanding, so nothing completes */
    rig_free(&r);

    /* With a request outstanding, it completes with the error (the vendor error says why). */
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .local_addr = BUF_AT, .length = 64, .lkey = r.lkey[0], .remote_addr = BUF_AT,
                               .rkey = r.lkey[1]};
    rig_post_send(&r, 0, &w);
    doorbell(&r, 0, HINIC_REG_SQ_DOORBELL, r.qpn[0], 1 + RING);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    logged_once(&r, 0, HINIC_ERR_RING_OVERRUN,
                "blade0: hinic: QP 0x100 send doorbell: index 257 puts 257 requests in the 256-entry ring; the QP "
                "enters the error state");
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.wr_id, 1);
    ck_assert_uint_eq(cqe.status, HINIC_WC_LOC_QP_OP_ERR);
    ck_assert_uint_eq(cqe.vendor_err, HINIC_ERR_RING_OVERRUN);
    ck_assert(!rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(rig_qp_state(&r, 0), HINIC_QPS_ERR);
    ck_assert_uint_eq(r.nic[0]->stats.packets_sent, 0); /* the write never left */
    rig_free(&r);
}
END_TEST

START_TEST(receive_ring_overrun_fails_the_qp)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    rig_post_recv(&r, 1, 9, BUF_AT, 4096);
    doorbell(&r, 1, HINIC_REG_RQ_DOORBELL, r.qpn[1], 2 + RING);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    logged_once(&r, 1, HINIC_ERR_RING_OVERRUN,
                "blade1: hinic: QP 0x100 receive doorbell: index 258 puts 258 receives in the 256-entry ring; the QP "
                "enters the error state");
    ck_assert_uint_eq(rig_qp_state(&r, 1), HINIC_QPS_ERR);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 1, &cqe)); /* the receive posted before is flushed */
    ck_assert_uint_eq(cqe.wr_id, 9);
    ck_assert_uint_eq(cqe.status, HINIC_WC_WR_FLUSH_ERR);
    ck_assert_uint_eq(cqe.opcode, HINIC_WC_RECV);
    ck_assert(!rig_poll(&r, 1, &cqe));
    rig_free(&r);
}
END_TEST

START_TEST(doorbells_for_qps_that_do_not_exist)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    doorbell(&r, 0, HINIC_REG_SQ_DOORBELL, 0x1ff, 1);
    doorbell(&r, 0, HINIC_REG_RQ_DOORBELL, 0x5, 1);
    doorbell(&r, 0, HINIC_REG_SQ_DOORBELL, UINT32_MAX, 1);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    ck_assert_uint_eq(rig_log_lines(&r, 0), 3);
    ck_assert_str_eq(rig_log_line(&r, 0, 0), "blade0: hinic: send doorbell for QP 0x1ff, which does not exist");
    ck_assert_str_eq(rig_log_line(&r, 0, 1), "blade0: hinic: receive doorbell for QP 0x5, which does not exist");
    ck_assert_str_eq(rig_log_line(&r, 0, 2), "blade0: hinic: send doorbell for QP 0xffffffff, which does not exist");
    ck_assert_uint_eq(rig_reg_read(&r, 0, HINIC_REG_LAST_ERROR), HINIC_ERR_BAD_QPN);
    ck_assert_uint_eq(rig_qp_state(&r, 0), HINIC_QPS_RTS); /* the QP that exists is untouched */

    /* A destroyed QP: the doorbell is refused, and a request posted on the ring never runs. */
    struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .local_addr = BUF_AT, .length = 64, .lkey = r.lkey[0], .remote_addr = BUF_AT,
                               .rkey = r.lkey[1]};
    struct hinic_command c = {.opcode = HINIC_CMD_DESTROY_QP, .handle = r.qpn[0]};
    ck_assert_uint_eq(rig_command(&r, 0, &c), HINIC_CMD_OK);
    rig_post_send(&r, 0, &w);
    doorbell(&r, 0, HINIC_REG_RQ_DOORBELL, r.qpn[0], 1);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    ck_assert_uint_eq(rig_log_lines(&r, 0), 5);
    ck_assert_str_eq(rig_log_line(&r, 0, 3), "blade0: hinic: send doorbell for QP 0x100, which was destroyed");
    ck_assert_str_eq(rig_log_line(&r, 0, 4), "blade0: hinic: receive doorbell for QP 0x100, which was destroyed");
    ck_assert_uint_eq(rig_reg_read(&r, 0, HINIC_REG_ERRORS), 5);
    struct hinic_cqe cqe;
    ck_assert(!rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(r.nic[0]->stats.packets_sent, 0);
    rig_free(&r);
}
END_TEST

START_TEST(doorbells_for_qps_not_ready)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    struct hinic_command c = {.opcode = HINIC_CMD_CREATE_QP, .access = r.cqn[0], .handle2 = r.cqn[0],
                              .addr = SQ_AT + 0x8000, .addr2 = RQ_AT + 0x4000, .length = 16 | (uint64_t)16 << 32};
    ck_assert_uint_eq(rig_command(&r, 0, &c), HINIC_CMD_OK);
    uint32_t fresh = c.handle; /* in RESET */
    doorbell(&r, 0, HINIC_REG_SQ_DOORBELL, fresh, 1);
    doorbell(&r, 0, HINIC_REG_RQ_DOORBELL, fresh, 1);
    vdc_sim_run(&r.sim, VDC_TIME_MAX); /* the NIC sees a doorbell one PCIe crossing after the write */
    c = (struct hinic_command){.opcode = HINIC_CMD_MODIFY_QP, .handle = fresh, .handle2 = HINIC_QPS_INIT};
    ck_assert_uint_eq(rig_command(&r, 0, &c), HINIC_CMD_OK);
    doorbell(&r, 0, HINIC_REG_SQ_DOORBELL, fresh, 1);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    ck_assert_uint_eq(rig_log_lines(&r, 0), 3);
    ck_assert_str_eq(rig_log_line(&r, 0, 0),
                     "blade0: hinic: send doorbell for QP 0x101, which is not ready to send (state 0)");
    ck_assert_str_eq(rig_log_line(&r, 0, 1), "blade0: hinic: receive doorbell for QP 0x101 in the RESET state");
    ck_assert_str_eq(rig_log_line(&r, 0, 2),
                     "blade0: hinic: send doorbell for QP 0x101, which is not ready to send (state 1)");
    ck_assert_uint_eq(rig_reg_read(&r, 0, HINIC_REG_LAST_ERROR), HINIC_ERR_BAD_STATE);
    struct hinic_cqe cqe;
    ck_assert(!rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(r.nic[0]->stats.packets_sent, 0);
    rig_free(&r);
}
END_TEST

START_TEST(cq_doorbells_for_bad_cqs)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    /* A CQ that was never created, one past the table, one destroyed, and a consumer index beyond the producer. */
    struct hinic_command c = {.opcode = HINIC_CMD_CREATE_CQ, .addr = CQ_AT + 0x8000, .length = 16};
    ck_assert_uint_eq(rig_command(&r, 0, &c), HINIC_CMD_OK);
    uint32_t spare = c.handle;
    c = (struct hinic_command){.opcode = HINIC_CMD_DESTROY_CQ, .handle = spare};
    ck_assert_uint_eq(rig_command(&r, 0, &c), HINIC_CMD_OK);
    doorbell(&r, 0, HINIC_REG_CQ_DOORBELL, 7, 1);
    doorbell(&r, 0, HINIC_REG_CQ_DOORBELL, HINIC_MAX_CQS, 1);
    doorbell(&r, 0, HINIC_REG_CQ_DOORBELL, spare, 1);
    doorbell(&r, 0, HINIC_REG_CQ_DOORBELL, r.cqn[0], 5);
    ck_assert_uint_eq(rig_log_lines(&r, 0), 4);
    ck_assert_str_eq(rig_log_line(&r, 0, 0), "blade0: hinic: CQ doorbell for CQ 7, which does not exist");
    ck_assert_str_eq(rig_log_line(&r, 0, 1), "blade0: hinic: CQ doorbell for CQ 256, which does not exist");
    ck_assert_str_eq(rig_log_line(&r, 0, 2), "blade0: hinic: CQ doorbell for CQ 1, which does not exist");
    ck_assert_str_eq(rig_log_line(&r, 0, 3), "blade0: hinic: CQ 0 doorbell: consumer index 5 is not between the "
                                             "last one and the producer (0)");
    ck_assert_uint_eq(rig_reg_read(&r, 0, HINIC_REG_ERRORS), 4);
    ck_assert_uint_eq(rig_reg_read(&r, 0, HINIC_REG_LAST_ERROR), HINIC_ERR_RING_OVERRUN);
    /* Nothing was freed or broken: the CQ still takes completions. */
    struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 3,
                               .local_addr = BUF_AT, .length = 64, .lkey = r.lkey[0], .remote_addr = BUF_AT,
                               .rkey = r.lkey[1]};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    ck_assert_uint_eq(rig_log_lines(&r, 0), 4);
    rig_free(&r);
}
END_TEST

/* One bad send WQE followed by a good one, on a fresh rack: the bad one completes with `status` and `code` as
 * its vendor error, the good one is flushed, the QP is in the error state and blade 0 logged `text`. */
static void bad_send(struct hinic_send_wqe w, enum hinic_wc_status status, enum hinic_error code, const char *text,
                     bool read_only_region)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    if (w.lkey == 0)
        w.lkey = r.lkey[0];
    if (read_only_region) {
        struct hinic_command c = {.opcode = HINIC_CMD_REG_MR, .addr = BUF_AT, .addr2 = BUF_AT, .length = 4096,
                                  .access = HINIC_ACCESS_REMOTE_READ};
        ck_assert_uint_eq(rig_command(&r, 0, &c), HINIC_CMD_OK);
        w.lkey = c.handle;
    }
    w.wr_id = 1;
    rig_post_send(&r, 0, &w);
    struct hinic_send_wqe good = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 2,
                                  .local_addr = BUF_AT, .length = 64, .lkey = r.lkey[0], .remote_addr = BUF_AT,
                                  .rkey = r.lkey[1]};
    rig_post_send(&r, 0, &good);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    logged_once(&r, 0, code, text);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.wr_id, 1);
    ck_assert_uint_eq(cqe.status, status);
    ck_assert_uint_eq(cqe.vendor_err, code);
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.wr_id, 2);
    ck_assert_uint_eq(cqe.status, HINIC_WC_WR_FLUSH_ERR);
    ck_assert(!rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(rig_qp_state(&r, 0), HINIC_QPS_ERR);
    ck_assert_uint_eq(r.nic[0]->stats.packets_sent, 0);
    ck_assert_uint_eq(rig_log_lines(&r, 1), 0);
    rig_free(&r);
}

START_TEST(garbage_send_wqes)
{
    const struct hinic_send_wqe write = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED,
                                         .local_addr = BUF_AT, .length = 64, .remote_addr = BUF_AT + 0x1000,
                                         .rkey = 0x101};
    struct hinic_send_wqe w = write;
    w.opcode = 9;
    bad_send(w, HINIC_WC_LOC_QP_OP_ERR, HINIC_ERR_BAD_DESCRIPTOR,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): unknown opcode 9; the QP enters the error state", false);
    w = write;
    w.flags = 0x85;
    bad_send(w, HINIC_WC_LOC_QP_OP_ERR, HINIC_ERR_BAD_DESCRIPTOR,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): unknown flags 0x84; the QP enters the error state",
             false);
    w = write;
    w.reserved1 = 1;
    bad_send(w, HINIC_WC_LOC_QP_OP_ERR, HINIC_ERR_BAD_DESCRIPTOR,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): reserved fields are not zero; the QP enters the "
             "error state",
             false);
    w = write;
    w.opcode = HINIC_WR_ATOMIC_FETCH_AND_ADD;
    w.length = 0;
    bad_send(w, HINIC_WC_LOC_QP_OP_ERR, HINIC_ERR_BAD_DESCRIPTOR,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): an atomic's length is 0, not 8; the QP enters the "
             "error state",
             false);
    w = write;
    w.opcode = HINIC_WR_ATOMIC_CMP_AND_SWP;
    w.length = 8;
    w.remote_addr = BUF_AT + 4;
    bad_send(w, HINIC_WC_LOC_QP_OP_ERR, HINIC_ERR_BAD_DESCRIPTOR,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): an atomic's remote address 0x100004 is not 8-byte "
             "aligned; the QP enters the error state",
             false);
    w = write;
    w.length = 0x80000001u;
    bad_send(w, HINIC_WC_LOC_LEN_ERR, HINIC_ERR_LENGTH,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): length 2147483649 is more than 2^31 bytes; the QP "
             "enters the error state",
             false);
    w = write;
    w.lkey = 0x1234;
    bad_send(w, HINIC_WC_LOC_PROT_ERR, HINIC_ERR_BAD_LKEY,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): local segment: key 0x1234 names no memory region; "
             "the QP enters the error state",
             false);
    w = write;
    w.opcode = HINIC_WR_SEND;
    w.local_addr = BUF_AT + BUF_SIZE - 10;
    w.length = 100;
    bad_send(w, HINIC_WC_LOC_LEN_ERR, HINIC_ERR_LENGTH,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): local segment: 100 bytes at 0x8ffff6 are not inside "
             "memory region 0x101 (8388608 bytes at 0x100000); the QP enters the error state",
             false);
    w = write;
    w.opcode = HINIC_WR_RDMA_READ; /* its data would land in a region the NIC may not write */
    bad_send(w, HINIC_WC_LOC_PROT_ERR, HINIC_ERR_BAD_LKEY,
             "blade0: hinic: QP 0x100: bad send WQE (wr_id 1): local segment: memory region 0x201 does not allow "
             "local write; the QP enters the error state",
             true);
}
END_TEST

/* Zero-length requests are not errors (InfiniBand allows them): a SEND of 0 bytes fills a receive with 0 bytes. */
START_TEST(zero_length_send_is_not_an_error)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    rig_post_recv(&r, 1, 4, BUF_AT, 0);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_SEND, .flags = HINIC_SEND_SIGNALED, .wr_id = 1, .lkey = 0x777};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 1, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    ck_assert_uint_eq(cqe.byte_len, 0);
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    ck_assert_uint_eq(rig_log_lines(&r, 0) + rig_log_lines(&r, 1), 0);
    rig_free(&r);
}
END_TEST

/* One bad receive WQE at blade 1 meets an 8-byte SEND: the receive completes with `status`, the sender with
 * `sender_status`, and blade 1 logged `text`. */
static void bad_receive(struct hinic_recv_wqe bad, enum hinic_wc_status status, enum hinic_wc_status sender_status,
                        enum hinic_error code, const char *text)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    if (bad.lkey == 0)
        bad.lkey = r.lkey[1];
    memcpy(rig_mem(&r, 1, RQ_AT, sizeof bad), &bad, sizeof bad);
    doorbell(&r, 1, HINIC_REG_RQ_DOORBELL, r.qpn[1], ++r.rq_pi[1]);
    rig_post_recv(&r, 1, 2, BUF_AT, 4096); /* flushed when the QP fails */
    struct hinic_send_wqe w = {.opcode = HINIC_WR_SEND, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .local_addr = BUF_AT, .length = 8, .lkey = r.lkey[0]};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    logged_once(&r, 1, code, text);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 1, &cqe));
    ck_assert_uint_eq(cqe.wr_id, 1);
    ck_assert_uint_eq(cqe.status, status);
    ck_assert_uint_eq(cqe.opcode, HINIC_WC_RECV);
    ck_assert(rig_poll(&r, 1, &cqe));
    ck_assert_uint_eq(cqe.wr_id, 2);
    ck_assert_uint_eq(cqe.status, HINIC_WC_WR_FLUSH_ERR);
    ck_assert_uint_eq(rig_qp_state(&r, 1), HINIC_QPS_ERR);
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.status, sender_status);
    ck_assert_uint_eq(rig_qp_state(&r, 0), HINIC_QPS_ERR);
    ck_assert_uint_eq(rig_log_lines(&r, 0), 0);
    rig_free(&r);
}

START_TEST(garbage_receive_wqes)
{
    bad_receive((struct hinic_recv_wqe){.wr_id = 1, .addr = BUF_AT, .length = 4096, .lkey = 0x4321},
                HINIC_WC_LOC_PROT_ERR, HINIC_WC_REM_OP_ERR, HINIC_ERR_BAD_LKEY,
                "blade1: hinic: QP 0x100: request PSN 0 refused: receive WQE: key 0x4321 names no memory region; NAK "
                "0x63, the QP enters the error state");
    bad_receive((struct hinic_recv_wqe){.wr_id = 1, .addr = BUF_AT, .length = 0}, HINIC_WC_LOC_LEN_ERR,
                HINIC_WC_REM_INV_REQ_ERR, HINIC_ERR_LENGTH,
                "blade1: hinic: QP 0x100: request PSN 0 refused: the message is longer than its receive WQE's 0 "
                "bytes; NAK 0x61, the QP enters the error state");
    bad_receive((struct hinic_recv_wqe){.wr_id = 1, .addr = BUF_AT + BUF_SIZE - 4, .length = 4096},
                HINIC_WC_LOC_PROT_ERR, HINIC_WC_REM_OP_ERR, HINIC_ERR_LENGTH,
                "blade1: hinic: QP 0x100: request PSN 0 refused: receive WQE: 8 bytes at 0x8ffffc are not inside "
                "memory region 0x101 (8388608 bytes at 0x100000); NAK 0x63, the QP enters the error state");
    bad_receive((struct hinic_recv_wqe){.wr_id = 1, .addr = BUF_AT, .length = 4096, .reserved = 1},
                HINIC_WC_LOC_QP_OP_ERR, HINIC_WC_REM_OP_ERR, HINIC_ERR_BAD_DESCRIPTOR,
                "blade1: hinic: QP 0x100: request PSN 0 refused: receive WQE: reserved field is not zero; NAK 0x63, "
                "the QP enters the error state");
}
END_TEST

Suite *hinic_bad_input_suite(void)
{
    Suite *s = suite_create("hinic_bad_input");
    TCase *t = tcase_create("bad_input");
    tcase_add_test(t, send_ring_overrun_fails_the_qp);
    tcase_add_test(t, receive_ring_overrun_fails_the_qp);
    tcase_add_test(t, doorbells_for_qps_that_do_not_exist);
    tcase_add_test(t, doorbells_for_qps_not_ready);
    tcase_add_test(t, cq_doorbells_for_bad_cqs);
    tcase_add_test(t, garbage_send_wqes);
    tcase_add_test(t, zero_length_send_is_not_an_error);
    tcase_add_test(t, garbage_receive_wqes);
    suite_add_tcase(s, t);
    return s;
}
