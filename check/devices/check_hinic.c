/* HiNIC without KVM (the rig of hinic_rig.h): data movement (and when a payload is read), error completions,
 * retries, goodput, sharing, the requester's round robin, the small-message latency against its closed form, and
 * random guest garbage. */
#include <stdlib.h>
#include <string.h>

#include "../rigs/hinic_closed_form.h"
#include "../rigs/hinic_rig.h"
#include "../suites.h"

static const uint32_t pair[2] = {1, 0};

START_TEST(write_moves_the_bytes)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    ck_assert_uint_eq(rig_reg_read(&r, 0, HINIC_REG_ID), HINIC_MAGIC);
    rig_fill(&r, 0, BUF_AT, 1 << 20, 7);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 42,
                               .local_addr = BUF_AT, .length = 1 << 20, .lkey = r.lkey[0],
                               .remote_addr = BUF_AT + (2 << 20), .rkey = r.lkey[1]};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    ck_assert_uint_eq(cqe.wr_id, 42);
    ck_assert_uint_eq(cqe.opcode, HINIC_WC_RDMA_WRITE);
    ck_assert(!rig_poll(&r, 0, &cqe));
    ck_assert_int_eq(memcmp(rig_mem(&r, 0, BUF_AT, 1 << 20), rig_mem(&r, 1, BUF_AT + (2 << 20), 1 << 20), 1 << 20), 0);
    ck_assert_uint_eq(r.guest[0].causes, r.nic[0]->params.cause_mask);
    rig_free(&r);
}
END_TEST

/* A payload in guest RAM is read where its packet is delivered (docs/hinic.md, "On the wire"): a sender that
 * changes its buffer after the first packet has left, before it lands (which verbs forbid), sees the change arrive.
 * Pins the documented behaviour: copying at transmit would deliver the old bytes. */
START_TEST(payload_is_read_as_it_is_delivered)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    uint32_t length = 64 << 10;
    rig_fill(&r, 0, BUF_AT, length, 7);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 5,
                               .local_addr = BUF_AT, .length = length, .lkey = r.lkey[0],
                               .remote_addr = BUF_AT + (2 << 20), .rkey = r.lkey[1]};
    rig_post_send(&r, 0, &w);
    const struct fabric_port *out = r.nic[0]->at.port;
    while (out->count.tx_frames == 0 && r.sim.now < 100 * VDC_US) /* steps of 10 ns: far below the link's 1 us */
        ck_assert_int_ne(vdc_sim_run(&r.sim, r.sim.now + 10 * VDC_NS), VDC_RUN_IDLE);
    ck_assert_uint_gt(out->count.tx_frames, 0);
    ck_assert_uint_eq(r.nic[1]->at.port->count.rx_frames, 0);
    rig_fill(&r, 0, BUF_AT, length, 8);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    ck_assert_int_eq(memcmp(rig_mem(&r, 0, BUF_AT, length), rig_mem(&r, 1, BUF_AT + (2 << 20), length), length), 0);
    rig_free(&r);
}
END_TEST

START_TEST(send_with_immediate_fills_a_receive)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    rig_fill(&r, 0, BUF_AT, 10000, 3);
    rig_post_recv(&r, 1, 9, BUF_AT + 65536, 16384);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_SEND_WITH_IMM, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .immediate = 0xabcd1234, .local_addr = BUF_AT, .length = 10000, .lkey = r.lkey[0]};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 1, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    ck_assert_uint_eq(cqe.opcode, HINIC_WC_RECV);
    ck_assert_uint_eq(cqe.byte_len, 10000);
    ck_assert_uint_eq(cqe.wr_id, 9);
    ck_assert(cqe.flags & HINIC_CQE_WITH_IMM);
    ck_assert_uint_eq(cqe.immediate, 0xabcd1234);
    ck_assert_uint_eq(cqe.src_qp, r.qpn[0]);
    ck_assert_int_eq(memcmp(rig_mem(&r, 0, BUF_AT, 10000), rig_mem(&r, 1, BUF_AT + 65536, 10000), 10000), 0);
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.opcode, HINIC_WC_SEND);
    rig_free(&r);
}
END_TEST

START_TEST(read_and_atomics)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    rig_fill(&r, 1, BUF_AT, 100000, 5);
    uint64_t *counter = rig_mem(&r, 1, BUF_AT + (4 << 20), 8);
    *counter = 40;
    struct hinic_send_wqe read = {.opcode = HINIC_WR_RDMA_READ, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                                  .local_addr = BUF_AT + (1 << 20), .length = 100000, .lkey = r.lkey[0],
                                  .remote_addr = BUF_AT, .rkey = r.lkey[1]};
    struct hinic_send_wqe add = {.opcode = HINIC_WR_ATOMIC_FETCH_AND_ADD, .flags = HINIC_SEND_SIGNALED, .wr_id = 2,
                                 .local_addr = BUF_AT + (3 << 20), .length = 8, .lkey = r.lkey[0],
                                 .remote_addr = BUF_AT + (4 << 20), .rkey = r.lkey[1], .compare_add = 2};
    struct hinic_send_wqe swap = {.opcode = HINIC_WR_ATOMIC_CMP_AND_SWP, .flags = HINIC_SEND_SIGNALED, .wr_id = 3,
                                  .local_addr = BUF_AT + (3 << 20) + 8, .length = 8, .lkey = r.lkey[0],
                                  .remote_addr = BUF_AT + (4 << 20), .rkey = r.lkey[1], .compare_add = 42,
                                  .swap = 7};
    rig_post_send(&r, 0, &read);
    rig_post_send(&r, 0, &add);
    rig_post_send(&r, 0, &swap);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    for (uint64_t id = 1; id <= 3; id++) {
        ck_assert(rig_poll(&r, 0, &cqe));
        ck_assert_uint_eq(cqe.wr_id, id);
        ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    }
    ck_assert_int_eq(memcmp(rig_mem(&r, 0, BUF_AT + (1 << 20), 100000), rig_mem(&r, 1, BUF_AT, 100000), 100000), 0);
    uint64_t *results = rig_mem(&r, 0, BUF_AT + (3 << 20), 16);
    ck_assert_uint_eq(results[0], 40);
    ck_assert_uint_eq(results[1], 42);
    ck_assert_uint_eq(*counter, 7);
    rig_free(&r);
}
END_TEST

START_TEST(bad_rkey_fails_the_qp_and_flushes)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .local_addr = BUF_AT, .length = 100, .lkey = r.lkey[0], .remote_addr = BUF_AT,
                               .rkey = r.lkey[1] ^ 0x5500};
    rig_post_send(&r, 0, &w);
    w.wr_id = 2;
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.wr_id, 1);
    ck_assert_uint_eq(cqe.status, HINIC_WC_REM_ACCESS_ERR);
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.wr_id, 2);
    ck_assert_uint_eq(cqe.status, HINIC_WC_WR_FLUSH_ERR);
    ck_assert_uint_eq(rig_qp_state(&r, 0), HINIC_QPS_ERR);
    ck_assert_uint_eq(rig_reg_read(&r, 1, HINIC_REG_ERRORS), 1);
    ck_assert_str_eq(rig_log_line(&r, 1, 0), "blade1: hinic: QP 0x100: request PSN 0 refused: RDMA WRITE: key 0x5401 "
                                             "names no memory region; NAK 0x62, the QP enters the error state");
    ck_assert_uint_eq(rig_qp_state(&r, 1), HINIC_QPS_ERR);
    ck_assert_uint_eq(rig_log_lines(&r, 0), 0);
    rig_free(&r);
}
END_TEST

START_TEST(local_errors_complete_with_their_status)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_SEND, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .local_addr = BUF_AT + BUF_SIZE - 10, .length = 100, .lkey = r.lkey[0]};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_LOC_LEN_ERR);

    /* A receive buffer too small for the message: the receiver sees a length error, the sender a NAK. */
    struct rig s;
    rig_init(&s, 2, NULL);
    rig_connect(&s, pair, 7, 14);
    rig_post_recv(&s, 1, 5, BUF_AT, 10);
    w = (struct hinic_send_wqe){.opcode = HINIC_WR_SEND, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                                .local_addr = BUF_AT, .length = 100, .lkey = s.lkey[0] + 0x100};
    rig_post_send(&s, 0, &w);
    vdc_sim_run(&s.sim, VDC_TIME_MAX);
    ck_assert(rig_poll(&s, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_LOC_PROT_ERR); /* that lkey names no MR */
    rig_free(&s);
    rig_init(&s, 2, NULL);
    rig_connect(&s, pair, 7, 14);
    rig_post_recv(&s, 1, 5, BUF_AT, 10);
    w.lkey = s.lkey[0];
    rig_post_send(&s, 0, &w);
    vdc_sim_run(&s.sim, VDC_TIME_MAX);
    ck_assert(rig_poll(&s, 1, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_LOC_LEN_ERR);
    ck_assert(rig_poll(&s, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_REM_INV_REQ_ERR);
    rig_free(&s);
    rig_free(&r);
}
END_TEST

START_TEST(receiver_not_ready_then_ready)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_SEND, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .local_addr = BUF_AT, .length = 64, .lkey = r.lkey[0]};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, 50 * VDC_US); /* RNR NAKs and retries every 10 us */
    struct hinic_cqe cqe;
    ck_assert(!rig_poll(&r, 0, &cqe));
    rig_post_recv(&r, 1, 3, BUF_AT, 4096);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    ck_assert(rig_poll(&r, 1, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
    rig_free(&r);
}
END_TEST

/* A small SEND from the doorbell write to the receiver's completion in memory, against docs/hinic.md's closed form
 * (hinic_closed_form.h); the sender's completion adds the ACK's way back. Exact to a few ps (the model rounds each
 * transfer up to a ps), for two NIC timings, three racks and three sizes. */
START_TEST(small_send_latency_is_analytic)
{
    struct hinic_params slow;
    hinic_params_defaults(&slow);
    slow.pcie_generation = 3;
    slow.pcie_lanes = 4;
    slow.pcie_latency = 400 * VDC_NS;
    slow.processing = 300 * VDC_NS;
    const struct {
        bool defaults;
        uint64_t rate;
        vdc_time delay, switch_latency;
        uint32_t size;
    } cases[] = {
        {true, 100000000000ULL, VDC_US, 500 * VDC_NS, 8},
        {true, 100000000000ULL, VDC_US, 500 * VDC_NS, 64},
        {false, 25000000000ULL, 2 * VDC_US, VDC_US, 8},
        {false, 400000000000ULL, 300 * VDC_NS, 0, 200},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hinic_params p;
        hinic_params_defaults(&p);
        if (!cases[i].defaults)
            p = slow;
        struct rig r;
        rig_init_rack(&r, 2, &p, cases[i].rate, cases[i].delay, cases[i].switch_latency);
        rig_connect(&r, pair, 7, 14);
        rig_post_recv(&r, 1, 1, BUF_AT, 4096);
        rig_wait(&r, 0);
        rig_wait(&r, 1);
        vdc_time start = r.sim.now;
        struct hinic_send_wqe w = {.opcode = HINIC_WR_SEND, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                                   .local_addr = BUF_AT, .length = cases[i].size, .lkey = r.lkey[0]};
        rig_post_send(&r, 0, &w);
        vdc_sim_run(&r.sim, VDC_TIME_MAX);
        struct hinic_cqe cqe;
        ck_assert(rig_poll(&r, 1, &cqe) && cqe.status == HINIC_WC_SUCCESS && cqe.byte_len == cases[i].size);
        ck_assert(rig_poll(&r, 0, &cqe) && cqe.status == HINIC_WC_SUCCESS);

        double rate = (double)cases[i].rate, nic = closed_form_nic_ps(&p);
        double there = closed_form_wire_ps(closed_form_frame(cases[i].size, 0), rate, cases[i].delay,
                                           cases[i].switch_latency);
        double back = closed_form_wire_ps(FABRIC_ROCE_OVERHEAD + FABRIC_AETH, rate, cases[i].delay,
                                          cases[i].switch_latency);
        double received = (double)(r.woke_at[1] - start), sent = (double)(r.woke_at[0] - start);
        ck_assert_msg(received > nic + there - 5 && received < nic + there + 5,
                      "case %zu: the receive completed after %.0f ps, the closed form says %.0f", i, received,
                      nic + there);
        ck_assert_msg(sent > nic + there + back - 5 && sent < nic + there + back + 5,
                      "case %zu: the send completed after %.0f ps, the closed form says %.0f", i, sent,
                      nic + there + back);
        rig_free(&r);
    }
}
END_TEST

START_TEST(retries_exhausted_on_a_dead_link)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 2, 4); /* 65.5 us timeout, two retries */
    fabric_link_set_state(&r.fabric, 0, false);
    struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .local_addr = BUF_AT, .length = 8192, .lkey = r.lkey[0], .remote_addr = BUF_AT,
                               .rkey = r.lkey[1]};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct hinic_cqe cqe;
    ck_assert(rig_poll(&r, 0, &cqe));
    ck_assert_uint_eq(cqe.status, HINIC_WC_RETRY_EXC_ERR);
    /* Three tries of 65.536 us each, then the error. */
    ck_assert_uint_ge(r.sim.now, 3 * 65536 * VDC_NS);
    ck_assert_uint_lt(r.sim.now, 4 * 65536 * VDC_NS);
    ck_assert_uint_gt(r.nic[0]->stats.retransmitted, 0);
    rig_free(&r);
}
END_TEST

/* write_bw's regime: 64 KiB writes kept in flight; goodput over the line rate's payload share. */
START_TEST(write_goodput_near_line_rate)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    const uint32_t count = 128, size = 65536;
    for (uint32_t i = 0; i < count; i++) {
        struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = i,
                                   .local_addr = BUF_AT, .length = size, .lkey = r.lkey[0],
                                   .remote_addr = BUF_AT + (1 << 20), .rkey = r.lkey[1]};
        rig_post_send(&r, 0, &w);
    }
    /* Until the last completion (the idle QP's timer event would carry the clock further). */
    struct hinic_cqe cqe;
    uint32_t done = 0;
    while (done < count && vdc_sim_run(&r.sim, r.sim.now + 100 * VDC_NS) != VDC_RUN_IDLE) {
        while (rig_poll(&r, 0, &cqe)) {
            ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
            done++;
        }
    }
    ck_assert_uint_eq(done, count);
    double seconds = (double)r.sim.now / 1e12;
    double goodput = (double)count * size * 8 / seconds;
    double analytic = 100e9 * 4096 / (4096 + FABRIC_ROCE_OVERHEAD + FABRIC_PREAMBLE_IFG);
    ck_assert_msg(goodput >= 0.95 * analytic, "goodput %.3f Gbps, analytic %.3f", goodput / 1e9, analytic / 1e9);
    ck_assert_msg(goodput <= analytic, "goodput %.3f Gbps above the analytic %.3f", goodput / 1e9, analytic / 1e9);
    rig_free(&r);
}
END_TEST

START_TEST(two_writers_share_fairly_without_drops)
{
    struct rig r;
    rig_init(&r, 3, NULL);
    /* Blades 0 and 1 write to blade 2; blade 2 needs two QPs, one per writer. */
    const uint32_t peers[3] = {2, 2, 0};
    rig_connect(&r, peers, 7, 14);
    struct hinic_command c = {.opcode = HINIC_CMD_CREATE_QP, .access = 0, .handle2 = 0, .addr = SQ_AT + 0x8000,
                              .addr2 = RQ_AT + 0x4000, .length = 16 | (uint64_t)16 << 32};
    ck_assert_uint_eq(rig_command(&r, 2, &c), HINIC_CMD_OK);
    uint32_t second = c.handle, first = r.qpn[2];
    r.qpn[2] = second;
    rig_modify(&r, 2, HINIC_QPS_INIT, 1, 0, 0);
    rig_modify(&r, 2, HINIC_QPS_RTR, 1, 0, 0);
    rig_modify(&r, 2, HINIC_QPS_RTS, 1, 7, 14);
    r.qpn[2] = first;
    /* Blade 1's QP was connected to blade 2's first QP: point it at the second. */
    c = (struct hinic_command){.opcode = HINIC_CMD_MODIFY_QP, .handle = r.qpn[1], .handle2 = HINIC_QPS_RESET};
    ck_assert_uint_eq(rig_command(&r, 1, &c), HINIC_CMD_OK);
    r.qpn[2] = second;
    rig_modify(&r, 1, HINIC_QPS_INIT, 2, 0, 0);
    rig_modify(&r, 1, HINIC_QPS_RTR, 2, 0, 0);
    rig_modify(&r, 1, HINIC_QPS_RTS, 2, 7, 14);
    vdc_time finished[2] = {0, 0};
    for (uint32_t b = 0; b < 2; b++) {
        for (uint32_t i = 0; i < 64; i++) {
            struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = i,
                                       .local_addr = BUF_AT, .length = 65536, .lkey = r.lkey[b],
                                       .remote_addr = BUF_AT + (b + 1) * (1 << 20), .rkey = r.lkey[2]};
            rig_post_send(&r, b, &w);
        }
    }
    uint32_t done[2] = {0, 0};
    while (done[0] < 64 || done[1] < 64) {
        ck_assert(vdc_sim_run(&r.sim, r.sim.now + VDC_US) != VDC_RUN_IDLE || done[0] + done[1] < 128);
        for (uint32_t b = 0; b < 2; b++) {
            struct hinic_cqe cqe;
            while (rig_poll(&r, b, &cqe)) {
                ck_assert_uint_eq(cqe.status, HINIC_WC_SUCCESS);
                if (++done[b] == 64)
                    finished[b] = r.sim.now;
            }
        }
    }
    ck_assert_uint_eq(fabric_drops(&r.fabric), 0);
    double ratio = (double)finished[0] / (double)finished[1];
    ck_assert_msg(ratio > 0.9 && ratio < 1.1, "finish times %llu and %llu ps", (unsigned long long)finished[0],
                  (unsigned long long)finished[1]);
    rig_free(&r);
}
END_TEST

/* The requester's round-robin pass, its list [idle, ready, waiting, waiting] looked at from the third: removing the
 * idle QP moves the last one into its place, which the pass has already looked at, and ends the pass before the
 * ready QP. The same call must still find it: a pass that removed a QP and found nothing is made again (without
 * it, the port went idle with the QP ready and nothing left to wake it, as AlltoAll across two racks showed). */
START_TEST(round_robin_finds_a_ready_qp_after_removing_an_idle_one)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 7, 14);
    struct hinic *nic = r.nic[0];
    uint32_t ready = r.qpn[0] - HINIC_QPN_BASE, idle = ready + 1, waiting[2] = {ready + 2, ready + 3};
    /* The ready QP's write is fetched while it is held (an RNR wait), so that nothing sends it yet. */
    nic->qps[ready].rnr_wait = true;
    struct hinic_send_wqe w = {.opcode = HINIC_WR_RDMA_WRITE, .flags = HINIC_SEND_SIGNALED, .wr_id = 1,
                               .local_addr = BUF_AT, .length = 64, .lkey = r.lkey[0], .remote_addr = BUF_AT,
                               .rkey = r.lkey[1]};
    rig_post_send(&r, 0, &w);
    vdc_sim_run(&r.sim, r.sim.now + 20 * VDC_US);
    struct hinic_qp *q = &nic->qps[ready];
    ck_assert_uint_eq(q->sq_fetched, q->sq_next + 1);
    q->rnr_wait = false;
    q->swr[q->sq_next % q->sq_entries].ready_at = r.sim.now; /* nothing woke the port meanwhile: ready now */
    /* Slots no guest made: one not valid (idle: the pass removes it) and two that cannot send now. */
    for (int i = 0; i < 2; i++) {
        struct hinic_qp *w_qp = &nic->qps[waiting[i]];
        w_qp->valid = w_qp->rnr_wait = w_qp->in_ready_list = true;
        w_qp->state = HINIC_QPS_RTS;
        w_qp->sq_fetched = w_qp->sq_next + 1;
    }
    nic->qps[idle].in_ready_list = nic->qps[ready].in_ready_list = true;
    const uint32_t list[4] = {idle, ready, waiting[0], waiting[1]};
    memcpy(nic->ready, list, sizeof list);
    nic->ready_count = 4;
    nic->ready_next = 2;
    struct fabric_packet *p = hinic_requester_next(nic, nic->at.port);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(nic->ready_count, 3); /* the idle one left the list */
    fabric_packet_release(nic->pool, p);
    for (int i = 0; i < 2; i++)
        nic->qps[waiting[i]].valid = false;
    rig_free(&r);
}
END_TEST

/* Guest garbage: random register writes, commands and descriptors in every ring. Nothing may crash, leak or
 * write outside guest memory (ASan runs this too). */
START_TEST(random_registers_and_descriptors)
{
    struct rig r;
    rig_init(&r, 2, NULL);
    rig_connect(&r, pair, 1, 1);
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 20261121, 0);
    static const uint64_t offsets[] = {HINIC_REG_COMMAND, HINIC_REG_SQ_DOORBELL, HINIC_REG_RQ_DOORBELL,
                                       HINIC_REG_CQ_DOORBELL, HINIC_REG_ID, 0x50, 0xFF8};
    for (uint32_t i = 0; i < 1000000; i++) {
        uint32_t b = (uint32_t)(vdc_rng_next(&rng) & 1);
        uint64_t word = vdc_rng_next(&rng);
        if (i % 64 == 0) {
            /* Scribble on a ring or the command block. */
            static const uint64_t areas[] = {CMD_AT, CQ_AT, SQ_AT, RQ_AT};
            uint64_t at = areas[word % 4] + (vdc_rng_next(&rng) % 4096) * 8;
            *(uint64_t *)rig_mem(&r, b, at, 8) = vdc_rng_next(&rng);
            continue;
        }
        uint64_t offset = offsets[word % 7];
        uint64_t value = vdc_rng_next(&rng);
        if (offset == HINIC_REG_COMMAND && (word & 0x100))
            value = CMD_AT; /* a command block that is really there, with random contents */
        if ((offset == HINIC_REG_SQ_DOORBELL || offset == HINIC_REG_RQ_DOORBELL) && (word & 0x200))
            value = (uint64_t)(HINIC_QPN_BASE + (word >> 20) % 4) << 32 | (value & 0x1FF);
        if (offset == HINIC_REG_ID) {
            struct vdc_mmio_access a = {.offset = offset, .size = 8};
            struct vdc_error err;
            hinic_mmio(r.nic[b], &r.guest[b], &a, &err);
            continue;
        }
        rig_reg_write(&r, b, offset, value);
        if (i % 1000 == 0)
            vdc_sim_run(&r.sim, r.sim.now + 20 * VDC_US);
    }
    vdc_sim_run(&r.sim, r.sim.now + 10 * VDC_MS);
    ck_assert_uint_gt(r.nic[0]->stats.errors + r.nic[1]->stats.errors, 1000);
    rig_free(&r);
}
END_TEST

Suite *hinic_suite(void)
{
    Suite *s = suite_create("hinic");
    TCase *t = tcase_create("device");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, write_moves_the_bytes);
    tcase_add_test(t, payload_is_read_as_it_is_delivered);
    tcase_add_test(t, send_with_immediate_fills_a_receive);
    tcase_add_test(t, read_and_atomics);
    tcase_add_test(t, bad_rkey_fails_the_qp_and_flushes);
    tcase_add_test(t, local_errors_complete_with_their_status);
    tcase_add_test(t, receiver_not_ready_then_ready);
    tcase_add_test(t, small_send_latency_is_analytic);
    tcase_add_test(t, retries_exhausted_on_a_dead_link);
    tcase_add_test(t, write_goodput_near_line_rate);
    tcase_add_test(t, two_writers_share_fairly_without_drops);
    tcase_add_test(t, round_robin_finds_a_ready_qp_after_removing_an_idle_one);
    tcase_add_test(t, random_registers_and_descriptors);
    suite_add_tcase(s, t);
    return s;
}
