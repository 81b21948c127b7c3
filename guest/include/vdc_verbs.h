/* Guest verbs: a small libibverbs-shaped API over the HiNIC RoCE NIC (compatible "vdc,hinic"), reliable
 * connected QPs only, one scatter-gather element per work request; plus a bootstrap that connects to a peer
 * guest over RDMA SEND, as perftest does over TCP. Names, enum values and error conventions follow
 * libibverbs: functions returning a pointer return NULL and set errno, the others return 0 or an errno value
 * (ibv_poll_cq: the number of completions, or a negative value). */
#ifndef VDC_VERBS_H
#define VDC_VERBS_H

#include <stddef.h>
#include <stdint.h>

/* errno values (Linux's, so the same tokens as a C library's where host tests compile this header). */
#define ENOENT 2
#define EIO 5
#define ENOMEM 12
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define EOPNOTSUPP 95
#define ETIMEDOUT 110
#ifndef errno
extern int errno;
#endif

enum ibv_qp_state { IBV_QPS_RESET, IBV_QPS_INIT, IBV_QPS_RTR, IBV_QPS_RTS, IBV_QPS_SQD, IBV_QPS_SQE, IBV_QPS_ERR };
enum ibv_qp_type { IBV_QPT_RC = 2 };
enum ibv_mtu { IBV_MTU_256 = 1, IBV_MTU_512, IBV_MTU_1024, IBV_MTU_2048, IBV_MTU_4096 };
enum ibv_port_state { IBV_PORT_DOWN = 1, IBV_PORT_ACTIVE = 4 };
#define IBV_LINK_LAYER_ETHERNET 2

enum ibv_access_flags {
    IBV_ACCESS_LOCAL_WRITE = 1,
    IBV_ACCESS_REMOTE_WRITE = 2,
    IBV_ACCESS_REMOTE_READ = 4,
    IBV_ACCESS_REMOTE_ATOMIC = 8,
};

enum ibv_wr_opcode {
    IBV_WR_RDMA_WRITE,
    IBV_WR_RDMA_WRITE_WITH_IMM,
    IBV_WR_SEND,
    IBV_WR_SEND_WITH_IMM,
    IBV_WR_RDMA_READ,
    IBV_WR_ATOMIC_CMP_AND_SWP,
    IBV_WR_ATOMIC_FETCH_AND_ADD,
};

enum ibv_send_flags { IBV_SEND_FENCE = 1, IBV_SEND_SIGNALED = 2, IBV_SEND_SOLICITED = 4, IBV_SEND_INLINE = 8 };

enum ibv_wc_status {
    IBV_WC_SUCCESS,
    IBV_WC_LOC_LEN_ERR,
    IBV_WC_LOC_QP_OP_ERR,
    IBV_WC_LOC_EEC_OP_ERR,
    IBV_WC_LOC_PROT_ERR,
    IBV_WC_WR_FLUSH_ERR,
    IBV_WC_MW_BIND_ERR,
    IBV_WC_BAD_RESP_ERR,
    IBV_WC_LOC_ACCESS_ERR,
    IBV_WC_REM_INV_REQ_ERR,
    IBV_WC_REM_ACCESS_ERR,
    IBV_WC_REM_OP_ERR,
    IBV_WC_RETRY_EXC_ERR,
    IBV_WC_RNR_RETRY_EXC_ERR,
    IBV_WC_GENERAL_ERR = 21,
};

enum ibv_wc_opcode {
    IBV_WC_SEND,
    IBV_WC_RDMA_WRITE,
    IBV_WC_RDMA_READ,
    IBV_WC_COMP_SWAP,
    IBV_WC_FETCH_ADD,
    IBV_WC_RECV = 128,
    IBV_WC_RECV_RDMA_WITH_IMM,
};

enum ibv_wc_flags { IBV_WC_GRH = 1, IBV_WC_WITH_IMM = 2 };

enum ibv_qp_attr_mask {
    IBV_QP_STATE = 1 << 0,
    IBV_QP_CUR_STATE = 1 << 1,
    IBV_QP_ACCESS_FLAGS = 1 << 3,
    IBV_QP_PKEY_INDEX = 1 << 4,
    IBV_QP_PORT = 1 << 5,
    IBV_QP_AV = 1 << 7,
    IBV_QP_PATH_MTU = 1 << 8,
    IBV_QP_TIMEOUT = 1 << 9,
    IBV_QP_RETRY_CNT = 1 << 10,
    IBV_QP_RNR_RETRY = 1 << 11,
    IBV_QP_RQ_PSN = 1 << 12,
    IBV_QP_MAX_QP_RD_ATOMIC = 1 << 13,
    IBV_QP_MIN_RNR_TIMER = 1 << 15,
    IBV_QP_SQ_PSN = 1 << 16,
    IBV_QP_MAX_DEST_RD_ATOMIC = 1 << 17,
    IBV_QP_CAP = 1 << 19,
    IBV_QP_DEST_QPN = 1 << 20,
};

/* A RoCEv2 GID: HiNIC's are IPv4-mapped IPv6 addresses, ::ffff:a.b.c.d. */
union ibv_gid {
    uint8_t raw[16];
};

struct ibv_qp;
struct ibv_comp_channel; /* not supported: completions are waited for with ibv_wait_cq */
struct hinic_cqe;
struct hinic_send_wqe;
struct hinic_recv_wqe;

/* An open NIC. */
struct ibv_context {
    volatile uint64_t *regs; /* the register window */
    const char *name;        /* its device-tree node name, e.g. "hinic@c0001000" */
    int fdt_node;
    uint64_t cause_mask; /* the simctl causes it raises on completions */
    uint32_t ipv4;       /* this port's address (its GID is ::ffff:ipv4), a.b.c.d as a << 24 | ... | d */
    uint32_t max_qp, max_cq, max_mr;
    enum ibv_mtu max_mtu;
    struct ibv_qp *qps; /* library: created QPs, to account ring space on completion */
    struct hinic_command *command; /* library: the NIC's command block, in memory of its own */
};

struct ibv_device_attr {
    uint32_t max_qp, max_qp_wr, max_sge, max_cq, max_cqe, max_mr;
};

struct ibv_port_attr {
    enum ibv_port_state state;
    enum ibv_mtu max_mtu, active_mtu;
    int gid_tbl_len;
    uint8_t link_layer;
};

/* Protection domains are bookkeeping only: HiNIC checks keys, not domains. */
struct ibv_pd {
    struct ibv_context *context;
};

struct ibv_mr {
    struct ibv_context *context;
    struct ibv_pd *pd;
    void *addr;
    size_t length;
    uint32_t lkey, rkey;
};

struct ibv_cq {
    struct ibv_context *context;
    void *cq_context;
    int cqe;      /* completions it can hold */
    uint32_t cqn; /* the NIC's number for it */
    /* library */
    struct hinic_cqe *ring;
    uint32_t entries;  /* ring size, twice cqe: see ibv_poll_cq */
    uint32_t consumer; /* free-running consumer index */
    uint32_t reported; /* the consumer index last written to the doorbell */
};

struct ibv_qp_cap {
    uint32_t max_send_wr, max_recv_wr, max_send_sge, max_recv_sge, max_inline_data;
};

struct ibv_qp_init_attr {
    void *qp_context;
    struct ibv_cq *send_cq, *recv_cq;
    struct ibv_qp_cap cap; /* in: the depths wanted; out: the depths given */
    enum ibv_qp_type qp_type;
    int sq_sig_all; /* every send request completes as if IBV_SEND_SIGNALED */
};

struct ibv_global_route {
    union ibv_gid dgid;
    uint8_t sgid_index, hop_limit, traffic_class;
};

struct ibv_ah_attr {
    struct ibv_global_route grh;
    uint8_t sl; /* the 802.1Q priority of the QP's packets (0-7) */
    uint8_t is_global, port_num;
};

struct ibv_qp_attr {
    enum ibv_qp_state qp_state, cur_qp_state;
    enum ibv_mtu path_mtu;
    uint32_t rq_psn, sq_psn, dest_qp_num;
    unsigned qp_access_flags;
    struct ibv_qp_cap cap;
    struct ibv_ah_attr ah_attr;
    uint16_t pkey_index;
    uint8_t max_rd_atomic, max_dest_rd_atomic, min_rnr_timer, port_num;
    uint8_t timeout;   /* local ACK timeout: 4.096 us x 2^timeout */
    uint8_t retry_cnt; /* transport retries (0-7) */
    uint8_t rnr_retry;
};

struct ibv_qp {
    struct ibv_context *context;
    void *qp_context;
    struct ibv_pd *pd;
    struct ibv_cq *send_cq, *recv_cq;
    uint32_t qp_num;
    enum ibv_qp_state state;
    enum ibv_qp_type qp_type;
    /* library */
    struct hinic_send_wqe *sq;
    struct hinic_recv_wqe *rq;
    uint8_t *sq_signaled; /* per send slot: whether its request completes (frees the slots up to it) */
    uint32_t sq_entries, rq_entries;
    uint32_t sq_posted, sq_done, rq_posted, rq_done; /* free-running producer and consumer indices */
    int sq_sig_all;
    struct ibv_qp_attr attr; /* as last modified, for ibv_query_qp */
    struct ibv_qp *next;
};

struct ibv_sge {
    uint64_t addr;
    uint32_t length;
    uint32_t lkey;
};

struct ibv_send_wr {
    uint64_t wr_id;
    struct ibv_send_wr *next;
    struct ibv_sge *sg_list;
    int num_sge; /* 0 or 1 */
    enum ibv_wr_opcode opcode;
    unsigned send_flags; /* IBV_SEND_SIGNALED; FENCE and SOLICITED are ignored; INLINE is refused (no inline data) */
    uint32_t imm_data;   /* carried as is (libibverbs' is big-endian; here it is a plain number) */
    union {
        struct {
            uint64_t remote_addr;
            uint32_t rkey;
        } rdma;
        struct {
            uint64_t remote_addr;
            uint64_t compare_add;
            uint64_t swap;
            uint32_t rkey;
        } atomic;
    } wr;
};

struct ibv_recv_wr {
    uint64_t wr_id;
    struct ibv_recv_wr *next;
    struct ibv_sge *sg_list;
    int num_sge; /* 0 or 1 */
};

struct ibv_wc {
    uint64_t wr_id;
    enum ibv_wc_status status;
    enum ibv_wc_opcode opcode;
    uint32_t vendor_err; /* HiNIC's enum hinic_error for error completions */
    uint32_t byte_len;
    uint32_t imm_data;
    uint32_t qp_num;
    uint32_t src_qp;
    unsigned wc_flags; /* IBV_WC_WITH_IMM */
};

/* Device: the first "vdc,hinic" node of the device tree (opening it again returns the same context). */
struct ibv_context *ibv_open_device(void);
int ibv_close_device(struct ibv_context *context);
int ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr);
int ibv_query_port(struct ibv_context *context, uint8_t port_num, struct ibv_port_attr *attr);
int ibv_query_gid(struct ibv_context *context, uint8_t port_num, int index, union ibv_gid *gid);

struct ibv_pd *ibv_alloc_pd(struct ibv_context *context);
int ibv_dealloc_pd(struct ibv_pd *pd);

struct ibv_mr *ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access);
int ibv_dereg_mr(struct ibv_mr *mr);

/* channel must be NULL and comp_vector 0. Ring memory comes from vdc_alloc and is not reclaimed on destroy. */
struct ibv_cq *ibv_create_cq(struct ibv_context *context, int cqe, void *cq_context, struct ibv_comp_channel *channel,
                             int comp_vector);
int ibv_destroy_cq(struct ibv_cq *cq);

struct ibv_qp *ibv_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *init_attr);
/* RESET->INIT: IBV_QP_STATE (the rest is accepted and ignored); INIT->RTR: also IBV_QP_AV (ah_attr.grh.dgid the
 * peer's GID, ah_attr.sl the priority), IBV_QP_PATH_MTU, IBV_QP_DEST_QPN and IBV_QP_RQ_PSN; RTR->RTS: also
 * IBV_QP_SQ_PSN, with IBV_QP_TIMEOUT and IBV_QP_RETRY_CNT optional (defaults 14 and 7). Any state->ERR/RESET. */
int ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask);
int ibv_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask, struct ibv_qp_init_attr *init_attr);
int ibv_destroy_qp(struct ibv_qp *qp);

/* Each call writes its requests to the ring and then rings the doorbell once (one exit), however long the list. */
int ibv_post_send(struct ibv_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr);
int ibv_post_recv(struct ibv_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);
/* Reads up to num_entries completions from memory (no exit); the CQ doorbell that hands consumed entries back to
 * the NIC is written only once half the ring has been consumed since the last one (the ring is sized twice the
 * requested cqe, so the NIC never sees it full). */
int ibv_poll_cq(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc);

/* vdc: sleeps (simctl WAIT on the NIC's cause, one exit per wake-up) until the CQ holds a completion; returns 0,
 * or ETIMEDOUT once the absolute virtual time deadline_ns passes (0: no deadline). Never spins on memory. */
int ibv_wait_cq(struct ibv_cq *cq, uint64_t deadline_ns);
/* vdc: ibv_poll_cq, waiting first when the CQ is empty; returns at least one completion, or -ETIMEDOUT. */
int ibv_poll_cq_wait(struct ibv_cq *cq, int num_entries, struct ibv_wc *wc, uint64_t deadline_ns);

const char *ibv_wc_status_str(enum ibv_wc_status status);
void ibv_gid_from_ipv4(union ibv_gid *gid, uint32_t ipv4);
uint32_t ibv_gid_to_ipv4(const union ibv_gid *gid); /* 0 when gid is not IPv4-mapped */

/* Peer bootstrap: the first QP each guest creates on its NIC (so HINIC_QPN_BASE on both sides) is connected to
 * the peer's first QP, found by rank alone; messages of up to VDC_BOOTSTRAP_MAX bytes then go both ways in
 * lock step. The peer's address is the NIC node's "vdc,peer-gids" cell for its rank, or else the fabric's
 * address of host node `rank` (11.(rank / 256).(rank % 256).1). */
#define VDC_BOOTSTRAP_MAX 64
#define VDC_BOOTSTRAP_PSN 0

#define VDC_BOOTSTRAP_SLOTS 4

struct vdc_bootstrap {
    struct ibv_cq *cq;
    struct ibv_qp *qp;
    struct ibv_mr *mr;
    uint8_t *buffer; /* VDC_BOOTSTRAP_SLOTS receive slots, then the send slot */
    uint32_t peer_rank, peer_ipv4;
    uint32_t rx_ready, rx_next; /* messages received and not yet taken; the slot of the oldest */
    uint32_t rx_len[VDC_BOOTSTRAP_SLOTS];
    uint32_t barriers;
};

/* What perftest exchanges to connect a data QP ("pingpong_dest"). */
struct vdc_dest {
    uint32_t qpn, psn;
    uint32_t ipv4; /* the GID, ::ffff:ipv4 */
    uint32_t rkey;
    uint64_t addr, length; /* a buffer the peer may access with rkey */
};

uint32_t vdc_peer_ipv4(struct ibv_context *context, uint32_t rank);
/* Creates the bootstrap CQ and QP (which must be the NIC's first QP) and connects them to the peer's. */
int vdc_bootstrap_connect(struct vdc_bootstrap *bs, struct ibv_pd *pd, uint32_t peer_rank);
/* Sends `mine`, returns when the peer's message of the same exchange has arrived in `theirs` (len bytes each)
 * and the NIC has completed the send; ETIMEDOUT when timeout_ns (0: none) of virtual time pass first. */
int vdc_bootstrap_exchange(struct vdc_bootstrap *bs, const void *mine, void *theirs, size_t len, uint64_t timeout_ns);
int vdc_bootstrap_barrier(struct vdc_bootstrap *bs, uint64_t timeout_ns);
void vdc_bootstrap_close(struct vdc_bootstrap *bs);
/* Moves a QP in INIT to RTR then RTS toward `remote`, with perftest's parameters. */
int vdc_connect_qp(struct ibv_qp *qp, const struct vdc_dest *local, const struct vdc_dest *remote, enum ibv_mtu mtu,
                   uint8_t sl, uint8_t timeout, uint8_t retry_cnt);

#endif
