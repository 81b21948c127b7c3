/* A HiNIC test rig without KVM: each guest is plain memory plus an entity, the NICs sit on a two- or three-blade
 * rack, and tests drive registers, rings and descriptors as a guest would. Each NIC logs into a memory stream. */
#ifndef VDC_CHECK_HINIC_RIG_H
#define VDC_CHECK_HINIC_RIG_H

#include <stdio.h>

#include "../../src/devices/hinic/hinic_internal.h"
#include "../../src/fabric/fabric.h"
#include "../../src/kvm/guest.h"

#define RIG_MEMORY (16ULL << 20)
#define CMD_AT 0x1000ULL
#define CQ_AT 0x10000ULL
#define SQ_AT 0x20000ULL
#define RQ_AT 0x40000ULL
#define BUF_AT 0x100000ULL
#define BUF_SIZE (8ULL << 20)
#define RING 256
#define MAX_BLADES 3

struct rig {
    struct vdc_sim sim;
    struct fabric_topology topo;
    struct fabric fabric;
    uint32_t blades;
    struct vdc_guest guest[MAX_BLADES];
    struct hinic *nic[MAX_BLADES];
    FILE *log[MAX_BLADES]; /* each NIC's log lines */
    char *log_text[MAX_BLADES];
    size_t log_size[MAX_BLADES];
    char line[512];        /* log_line's copy */
    vdc_time woke_at[MAX_BLADES]; /* when a blade's WAIT (rig_wait) last ended */
    uint32_t lkey[MAX_BLADES], qpn[MAX_BLADES], cqn[MAX_BLADES];
    uint32_t sq_pi[MAX_BLADES], rq_pi[MAX_BLADES], cq_ci[MAX_BLADES];
};

/* A rack of `blades` blades (100 Gbps, 1 us links, the fabric's default switch), a NIC on each with `params`
 * (NULL: the defaults). */
void rig_init(struct rig *r, uint32_t blades, const struct hinic_params *params);
/* The same with the rack's link rate (bit/s), link delay and switch latency given. */
void rig_init_rack(struct rig *r, uint32_t blades, const struct hinic_params *params, uint64_t rate, vdc_time delay,
                   vdc_time switch_latency);
void rig_free(struct rig *r);

bool rig_reg_write(struct rig *r, uint32_t b, uint64_t offset, uint64_t value);
uint64_t rig_reg_read(struct rig *r, uint32_t b, uint64_t offset);
/* Blade b's memory at `at` (asserted to be inside it). */
void *rig_mem(struct rig *r, uint32_t b, uint64_t at, uint64_t len);
/* Runs a command through the block at CMD_AT; returns its status. */
uint32_t rig_command(struct rig *r, uint32_t b, struct hinic_command *c);
void rig_modify(struct rig *r, uint32_t b, uint32_t state, uint32_t peer, uint8_t retry, uint8_t timeout);
/* One MR over the buffer, one CQ, one QP on each blade; blade b's QP connected to blade peer_of[b]. */
void rig_connect(struct rig *r, const uint32_t *peer_of, uint8_t retry, uint8_t timeout);
void rig_post_send(struct rig *r, uint32_t b, const struct hinic_send_wqe *w);
void rig_post_recv(struct rig *r, uint32_t b, uint64_t wr_id, uint64_t addr, uint32_t length);
/* The next new completion of blade b, or false. */
bool rig_poll(struct rig *r, uint32_t b, struct hinic_cqe *out);
void rig_fill(struct rig *r, uint32_t b, uint64_t at, uint64_t len, uint32_t seed);
/* Blade b waits, as a guest in simctl's WAIT does, for its NIC's cause; woke_at[b] says when the wait ended. */
void rig_wait(struct rig *r, uint32_t b);
/* The state QUERY_QP reports for blade b's QP. */
uint32_t rig_qp_state(struct rig *r, uint32_t b);
/* Line `n` (from 0) of blade b's NIC log without its time stamp ("blade0: hinic: ..."), or NULL. */
const char *rig_log_line(struct rig *r, uint32_t b, unsigned n);
unsigned rig_log_lines(struct rig *r, uint32_t b);

#endif
