/* HiNIC's state shared by its parts: registers and commands, memory regions and completions, the requester
 * (send queues) and the responder (incoming requests). */
#ifndef VDC_DEVICES_HINIC_INTERNAL_H
#define VDC_DEVICES_HINIC_INTERNAL_H

#include <assert.h>

#include "fabric/dcqcn.h"
#include "fabric/endpoint.h"
#include "fabric/fabric.h"
#include "fabric/packet.h"
#include "kvm/mmio_bus.h"
#include "scheduler/sim.h"
#include "devices/hinic/hinic.h"
#include "devices/hinic/hinic_regs.h"

/* Events on the host node's entity (fabric_endpoint_schedule): kind | index << 8 | epoch << 24, 56 bits. */
enum hinic_event {
    HINIC_EV_SQ_DOORBELL = 1, /* index: QP; epoch: the producer index the guest wrote */
    HINIC_EV_RQ_DOORBELL,     /* index: QP; epoch: producer index */
    HINIC_EV_COMPLETION,      /* the oldest pending completion reaches guest memory */
    HINIC_EV_TIMEOUT,         /* index: QP; epoch: the QP's timer epoch */
    HINIC_EV_RNR_RETRY,       /* index: QP; epoch: the QP's timer epoch */
    HINIC_EV_DCQCN_DECREASE,  /* index: QP */
    HINIC_EV_DCQCN_INCREASE,  /* index: QP */
};

/* A memory region maps the addresses requests name (the program's: libibverbs' virtual addresses) to
 * guest-physical memory, as a real NIC's translation table does; in a guest, whose memory is identity-mapped,
 * the two are equal. */
struct hinic_mr {
    bool valid;
    uint8_t generation;  /* the key's low byte: a stale key of a re-registered slot does not match */
    uint32_t access;
    uint64_t addr, length;
    uint64_t physical;   /* guest-physical address of addr */
};

struct hinic_cq {
    bool valid, broken;  /* broken: overran; its QPs went to the error state */
    uint64_t ring;
    uint32_t entries;
    uint32_t producer, consumer; /* free-running */
    uint32_t users;      /* QPs that complete into it */
};

/* A send work request the NIC fetched, with its place in the PSN space. */
struct hinic_swr {
    struct hinic_send_wqe wqe;
    uint32_t first_psn, psn_count; /* SEND/WRITE: one PSN per packet; READ: one per response; atomics: 1 */
    vdc_time ready_at;             /* fetched and processed: its first packet may leave */
    bool done;                     /* acknowledged (or answered) */
    uint64_t atomic_original;
};

/* What the responder owes, in PSN order: a read request it is answering (the responses are made as the port
 * takes them), or a reply packet made earlier (an ACK, NAK or atomic acknowledgement queued behind a read). */
struct hinic_read_job {
    struct fabric_packet *packet;  /* non-NULL: send this, then the job is done */
    uint32_t qp, psn, count;       /* next response PSN, responses left */
    uint32_t first_psn, total;     /* for FIRST/MIDDLE/LAST */
    uint64_t physical;             /* guest-physical address of the next response's data */
    uint32_t length;               /* bytes left */
    vdc_time ready_at;
};

#define HINIC_ATOMIC_RESULTS 16

struct hinic_qp {
    bool valid;
    uint32_t index, qpn;
    enum hinic_qp_state state;
    uint32_t send_cq, recv_cq;
    uint64_t sq_ring, rq_ring;
    uint32_t sq_entries, rq_entries;
    uint32_t dest_node, dest_qpn;
    uint32_t mtu;
    uint8_t priority, retry_count, timeout_code;
    uint16_t source_port;          /* UDP source port: the QP's ECMP entropy */

    /* requester */
    struct hinic_swr *swr;         /* sq_entries slots, indexed by ring index */
    uint32_t sq_fetched;           /* producer index up to which WQEs were fetched (free running) */
    uint32_t sq_completed;         /* oldest WQE not yet completed */
    uint32_t sq_next;              /* the WQE being transmitted */
    uint32_t sq_no_read_below;     /* no READ or atomic among the fetched WQEs before this index (a scan cursor) */
    uint32_t send_offset;          /* its PSNs already sent (packets, or for a READ, 0 until the request went) */
    uint32_t assign_psn;           /* first PSN of the next WQE fetched */
    uint32_t acked_psn;            /* oldest PSN not acknowledged (PSNs are kept 32-bit; 24 on the wire) */
    uint32_t unrequested_acks;     /* SEND/WRITE packets sent since the last one that asked for an ACK */
    vdc_time last_progress;        /* the retransmit timer runs from here */
    uint32_t retries_left;
    uint32_t timer_epoch;
    bool timer_pending, rnr_wait;
    vdc_time next_send_at;         /* DCQCN pacing */
    struct dcqcn_state cc;
    bool in_ready_list;

    /* responder */
    uint32_t rq_posted, rq_used;   /* producer index the guest wrote; receive WQEs consumed */
    uint32_t expected_psn, msn;
    bool nak_sent;                 /* a sequence NAK for expected_psn is out */
    vdc_time cnp_quiet_until;
    struct hinic_recv_wqe recv;    /* the receive WQE a multi-packet SEND is filling */
    bool recv_active;
    uint32_t recv_offset;
    uint64_t write_physical;       /* the RDMA WRITE in progress: next guest-physical address, R_Key, bytes left */
    uint32_t write_rkey, write_left, write_total;
    /* The last atomics executed, to answer a duplicate without executing it again. */
    uint32_t atomic_psn[HINIC_ATOMIC_RESULTS];
    uint64_t atomic_result[HINIC_ATOMIC_RESULTS];
    uint32_t atomic_count;
};

/* The request slot of free-running ring index `i`: sq_entries is a power of two (hinic_commands.c refuses others), so
 * a mask, not a division on every packet. */
static inline struct hinic_swr *hinic_sq_slot(const struct hinic_qp *qp, uint32_t i)
{
    assert(qp->sq_entries != 0 && (qp->sq_entries & (qp->sq_entries - 1)) == 0); /* a created QP's ring */
    return &qp->swr[i & (qp->sq_entries - 1)];
}

/* A 24-bit PSN from the wire as the 32-bit PSN nearest to `near`. */
static inline uint32_t hinic_psn_unwrap(uint32_t wire, uint32_t near)
{
    int32_t delta = (int32_t)((wire - near) << 8) >> 8;
    return near + (uint32_t)delta;
}

struct hinic_pending_cqe {
    uint32_t cqn;
    struct hinic_cqe cqe;
};

struct hinic {
    struct vdc_guest *guest;
    struct fabric_attachment at;   /* its endpoint on its host's port */
    struct fabric_pool *pool;      /* the fabric's: its packets come from and go back to it */
    const struct fabric_config *cfg;
    struct vdc_entity *entity;     /* the host node's: NIC events run there */
    uint32_t node;                 /* the host's node number */
    uint64_t base;
    struct hinic_params params;
    uint64_t pcie_bandwidth;
    FILE *log;
    uint64_t last_error;

    struct hinic_mr mrs[HINIC_MAX_MRS];
    struct hinic_cq cqs[HINIC_MAX_CQS];
    struct hinic_qp qps[HINIC_MAX_QPS];
    uint32_t qp_count;             /* QP slots ever used: QPNs are HINIC_QPN_BASE + slot, never reused */

    /* QPs with fetched work, served round robin. */
    uint32_t ready[HINIC_MAX_QPS];
    uint32_t ready_count, ready_next;

    /* Frames the responder owes: ACK, NAK, CNP and atomic acknowledgements, in order. */
    struct fabric_packet *control_head, *control_tail;
    struct hinic_read_job *reads;  /* a FIFO ring */
    uint32_t read_head, read_count, read_cap;

    /* Completions on their way to guest memory (all take the same PCIe time, so a FIFO). */
    struct hinic_pending_cqe *pending;
    uint32_t pending_head, pending_count, pending_cap;

    uint32_t *peer_gids_be;        /* device-tree property storage */
    struct vdc_dt_property properties[1];
    vdc_time dma_free_at;          /* PCIe reads of payload are serialized at the link's bandwidth */
    struct hinic_stats stats;
};

/* hinic_device.c */
bool hinic_mmio(void *device, struct vdc_guest *guest, struct vdc_mmio_access *access, struct vdc_error *err);
void hinic_schedule(struct hinic *nic, struct vdc_entity *source, vdc_time at, enum hinic_event kind, uint32_t index,
                    uint32_t epoch);
/* Logs a guest error (counted always, printed for the first few) and remembers it in LAST_ERROR. */
void hinic_log(struct hinic *nic, enum hinic_error code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
vdc_time hinic_now(const struct hinic *nic);
/* PCIe time to move `bytes` across the link (no latency). */
vdc_time hinic_pcie_transfer(const struct hinic *nic, uint64_t bytes);
/* How long the NIC's DMA read of `bytes` at `addr` holds its PCIe reads: at the link's rate, or at
 * params.root_complex_p2p_rate for another device's memory across the root complex. */
vdc_time hinic_dma_read_time(const struct hinic *nic, uint64_t addr, uint64_t bytes);
void hinic_kick(struct hinic *nic);

/* hinic_commands.c */
void hinic_command(struct hinic *nic, uint64_t block_address);
struct hinic_qp *hinic_qp_by_number(struct hinic *nic, uint32_t qpn);

/* memory.c: memory regions and completions */
/* The MR behind `key` when [addr, addr + length) lies inside it with `access`; else NULL, *why set and `err`
 * saying what is wrong ("key 0x301 names no memory region", ...). */
const struct hinic_mr *hinic_mr_check(const struct hinic *nic, uint32_t key, uint64_t addr, uint64_t length,
                                      uint32_t access, enum hinic_error *why, struct vdc_error *err);
/* The guest-physical address of `addr`, which hinic_mr_check found inside `mr`. */
static inline uint64_t hinic_mr_physical(const struct hinic_mr *mr, uint64_t addr)
{
    return mr->physical + (addr - mr->addr);
}
/* DMA: guest memory, or another device's memory of the blade (GPUDirect RDMA) through vdc_guest_peer_memory. */
bool hinic_dma_read(struct hinic *nic, uint64_t addr, void *dst, uint64_t length, const char *what);
bool hinic_dma_write(struct hinic *nic, uint64_t addr, const void *src, uint64_t length, const char *what);
/* A packet's payload of `length` bytes at `addr`: in guest RAM it is left there and read where the packet is
 * delivered (r->payload_at), so it is copied once, straight into the receiver's memory; verbs forbid changing a
 * buffer before its request completes, so reading it then sees what reading it now would. Another device's memory
 * is copied into r->data at once. False (logged) when the range is not the blade's memory. */
bool hinic_dma_payload(struct hinic *nic, uint64_t addr, struct fabric_rdma *r, uint32_t length, const char *what);
/* A packet's `length` bytes of payload to read now: in its sender's guest RAM, once the copies on their way that
 * touch them are done (vdc_guest_source_now). */
const uint8_t *hinic_payload_now(const struct fabric_rdma *r, uint32_t length);
/* A packet's payload written at `addr` (DMA, as hinic_dma_write): one left in its sender's guest RAM moves on the
 * guests' copier (vdc_guest_write_from), the loop going on meanwhile. */
bool hinic_dma_write_payload(struct hinic *nic, uint64_t addr, const struct fabric_rdma *r, uint32_t length,
                             const char *what);
/* Queues a completion; it reaches the CQ one PCIe crossing later and raises the NIC's cause. */
void hinic_complete(struct hinic *nic, uint32_t cqn, const struct hinic_cqe *cqe);
void hinic_completion_arrives(struct hinic *nic);
/* Moves a QP to the error state: the failing request (if any) completes with `status`, the rest are flushed. */
void hinic_qp_fail(struct hinic *nic, struct hinic_qp *qp, enum hinic_wc_status status, enum hinic_error why);

/* hinic_requester.c */
void hinic_sq_doorbell(struct hinic *nic, struct hinic_qp *qp, uint32_t producer);
struct fabric_packet *hinic_requester_next(struct hinic *nic, struct fabric_port *port);
vdc_time hinic_requester_ready(const struct hinic *nic, const struct fabric_port *port);
void hinic_requester_receive(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p);
void hinic_requester_timeout(struct hinic *nic, struct hinic_qp *qp, uint32_t epoch, bool rnr);
void hinic_requester_dcqcn(struct hinic *nic, struct hinic_qp *qp, bool increase);
void hinic_requester_flush(struct hinic *nic, struct hinic_qp *qp);

/* hinic_responder.c */
void hinic_responder_receive(struct hinic *nic, struct hinic_qp *qp, const struct fabric_packet *p);
struct fabric_packet *hinic_responder_next(struct hinic *nic, struct fabric_port *port);
vdc_time hinic_responder_ready(const struct hinic *nic, const struct fabric_port *port);
void hinic_responder_flush(struct hinic *nic, struct hinic_qp *qp);
/* A packet from this NIC's QP to its peer, with the common BTH/IP fields set. */
struct fabric_packet *hinic_packet(struct hinic *nic, const struct hinic_qp *qp, enum fabric_packet_kind kind,
                                   uint8_t opcode, uint32_t psn, uint32_t payload);

#endif
