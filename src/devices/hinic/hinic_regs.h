/* HiNIC's guest ABI (compatible "vdc,hinic"): registers, command block, work-queue and completion entries.
 * Shared by the device model and the guest verbs library; every structure is little-endian and packed by
 * construction (natural alignment, no holes). */
#ifndef VDC_DEVICES_HINIC_REGS_H
#define VDC_DEVICES_HINIC_REGS_H

/* Registers: 64-bit, 8-aligned, offsets from the BAR's base. */
#define HINIC_REG_ID 0x000        /* R: HINIC_MAGIC */
#define HINIC_REG_CAPS 0x008      /* R: max QPs (bits 0-15), max CQs (16-31), max MRs (32-47), log2 max MTU (48-55) */
#define HINIC_REG_GID 0x010       /* R: this port's IPv4 address (its RoCEv2 GID is ::ffff:a.b.c.d) */
#define HINIC_REG_CAUSE 0x018     /* R: the simctl cause bit mask this NIC raises on each completion */
#define HINIC_REG_COMMAND 0x020   /* W: address of a struct hinic_command; done (status set) when the write returns */
#define HINIC_REG_SQ_DOORBELL 0x028 /* W: qpn << 32 | send queue producer index (16 bits, free running) */
#define HINIC_REG_RQ_DOORBELL 0x030 /* W: qpn << 32 | receive queue producer index */
#define HINIC_REG_CQ_DOORBELL 0x038 /* W: cqn << 32 | completion queue consumer index (frees entries) */
#define HINIC_REG_ERRORS 0x040    /* R: count of guest errors the NIC logged (bad doorbells, descriptors, ...) */
#define HINIC_REG_LAST_ERROR 0x048 /* R: enum hinic_error of the last one */
#define HINIC_BAR_SIZE 0x1000

#define HINIC_MAGIC 0x00000001434E4948ULL /* "HINC", version 1 */

/* PCIe identity (the vendor id is vdc's own, not one assigned by PCI-SIG: these devices exist only in vdc). */
#define VDC_PCI_VENDOR 0x5644
#define HINIC_PCI_DEVICE 0x0001
#define HINIC_PCI_CLASS 0x020700 /* network controller, InfiniBand */

/* Limits. */
#define HINIC_MAX_QPS 256
#define HINIC_MAX_CQS 256
#define HINIC_MAX_MRS 1024
#define HINIC_MAX_QUEUE_ENTRIES 32768 /* per ring; a power of two */
#define HINIC_QPN_BASE 0x100          /* QP numbers start here (0 and 1 are InfiniBand's management QPs) */

/* Commands, one struct hinic_command each. */
enum hinic_command_opcode {
    HINIC_CMD_REG_MR = 1,     /* in: addr, addr2, length, access -> out: lkey, rkey */
    HINIC_CMD_DEREG_MR = 2,   /* in: lkey */
    HINIC_CMD_CREATE_CQ = 3,  /* in: ring (addr), entries -> out: cqn */
    HINIC_CMD_DESTROY_CQ = 4, /* in: cqn */
    HINIC_CMD_CREATE_QP = 5,  /* in: send_cq, recv_cq, sq ring + entries, rq ring + entries -> out: qpn */
    HINIC_CMD_MODIFY_QP = 6,  /* in: qpn, state, and for RTR/RTS the fields below */
    HINIC_CMD_QUERY_QP = 7,   /* in: qpn -> out: state */
    HINIC_CMD_DESTROY_QP = 8, /* in: qpn */
};

/* Command results (status). */
enum hinic_command_status {
    HINIC_CMD_OK = 0,
    HINIC_CMD_BAD_OPCODE = 1,
    HINIC_CMD_BAD_ARGUMENT = 2, /* a range outside guest memory, a size that is not a power of two, ... */
    HINIC_CMD_NO_RESOURCES = 3, /* table full */
    HINIC_CMD_NOT_FOUND = 4,    /* no such QP, CQ or MR */
    HINIC_CMD_BAD_STATE = 5,    /* a transition ibv_modify_qp would refuse, or a CQ still in use */
};

/* QP states: the values of enum ibv_qp_state. */
enum hinic_qp_state {
    HINIC_QPS_RESET = 0,
    HINIC_QPS_INIT = 1,
    HINIC_QPS_RTR = 2,
    HINIC_QPS_RTS = 3,
    HINIC_QPS_ERR = 6,
};

/* Memory access rights: the values of enum ibv_access_flags. */
enum hinic_access {
    HINIC_ACCESS_LOCAL_WRITE = 1,
    HINIC_ACCESS_REMOTE_WRITE = 2,
    HINIC_ACCESS_REMOTE_READ = 4,
    HINIC_ACCESS_REMOTE_ATOMIC = 8,
};

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The command block (64 bytes), in guest memory. */
struct hinic_command {
    uint32_t opcode;   /* enum hinic_command_opcode */
    uint32_t status;   /* out: enum hinic_command_status */
    uint32_t handle;   /* QPN, CQN or lkey the command acts on; out: the one created */
    uint32_t handle2;  /* out: REG_MR's rkey; in: CREATE_QP's receive CQ; MODIFY_QP's target state */
    uint64_t addr;     /* MR start as requests name it (the program's address); CQ ring; CREATE_QP's send queue ring */
    uint64_t length;   /* MR length; CQ entries; CREATE_QP: sq entries (bits 0-31), rq entries (32-63) */
    uint64_t addr2;    /* REG_MR: guest-physical address of the MR's first byte; CREATE_QP's receive queue ring */
    uint32_t access;   /* REG_MR: enum hinic_access; CREATE_QP: its send CQ */
    uint32_t dest_gid; /* MODIFY_QP to RTR: the peer's IPv4 address (its GID) */
    uint32_t dest_qpn; /* MODIFY_QP to RTR: the peer's QP number */
    uint32_t psn;      /* MODIFY_QP: to RTR the expected receive PSN, to RTS the first send PSN */
    uint8_t retry_count; /* MODIFY_QP to RTS: transport retries before RETRY_EXC_ERR (0-7) */
    uint8_t timeout;   /* MODIFY_QP to RTS: local ACK timeout, 4.096 us x 2^timeout (ibv's encoding; 0 = 1) */
    uint8_t mtu;       /* MODIFY_QP to RTR: enum ibv_mtu (1 = 256 ... 5 = 4096) */
    uint8_t priority;  /* MODIFY_QP to RTR: 802.1Q priority of the QP's traffic (0-7) */
    uint32_t reserved;
};

/* Send work request opcodes: the values of enum ibv_wr_opcode. */
enum hinic_wr_opcode {
    HINIC_WR_RDMA_WRITE = 0,
    HINIC_WR_RDMA_WRITE_WITH_IMM = 1,
    HINIC_WR_SEND = 2,
    HINIC_WR_SEND_WITH_IMM = 3,
    HINIC_WR_RDMA_READ = 4,
    HINIC_WR_ATOMIC_CMP_AND_SWP = 5,
    HINIC_WR_ATOMIC_FETCH_AND_ADD = 6,
};

#define HINIC_SEND_SIGNALED 1 /* flags: write a completion for this request (IBV_SEND_SIGNALED) */

/* Send queue entry (64 bytes): one scatter-gather element. */
struct hinic_send_wqe {
    uint8_t opcode;       /* enum hinic_wr_opcode */
    uint8_t flags;        /* HINIC_SEND_SIGNALED */
    uint16_t reserved0;
    uint32_t immediate;   /* WITH_IMM opcodes */
    uint64_t wr_id;
    uint64_t local_addr;
    uint32_t length;
    uint32_t lkey;
    uint64_t remote_addr; /* RDMA and atomics */
    uint32_t rkey;
    uint32_t reserved1;
    uint64_t compare_add; /* atomics: the value to add, or to compare */
    uint64_t swap;        /* compare-and-swap: the new value */
};

/* Receive queue entry (32 bytes). */
struct hinic_recv_wqe {
    uint64_t wr_id;
    uint64_t addr;
    uint32_t length;
    uint32_t lkey;
    uint64_t reserved;
};

/* Completion statuses: the values of enum ibv_wc_status. */
enum hinic_wc_status {
    HINIC_WC_SUCCESS = 0,
    HINIC_WC_LOC_LEN_ERR = 1,
    HINIC_WC_LOC_QP_OP_ERR = 2,
    HINIC_WC_LOC_PROT_ERR = 4,
    HINIC_WC_WR_FLUSH_ERR = 5,
    HINIC_WC_REM_INV_REQ_ERR = 9,
    HINIC_WC_REM_ACCESS_ERR = 10,
    HINIC_WC_REM_OP_ERR = 11,
    HINIC_WC_RETRY_EXC_ERR = 12,
};

/* Completion opcodes: the values of enum ibv_wc_opcode. */
enum hinic_wc_opcode {
    HINIC_WC_SEND = 0,
    HINIC_WC_RDMA_WRITE = 1,
    HINIC_WC_RDMA_READ = 2,
    HINIC_WC_COMP_SWAP = 3,
    HINIC_WC_FETCH_ADD = 4,
    HINIC_WC_RECV = 128,
    HINIC_WC_RECV_RDMA_WITH_IMM = 129,
};

#define HINIC_CQE_OWNER 0x01    /* flags: flips on each pass around the ring; an entry is new when it equals
                                 * 1 - (pass & 1), so a zeroed ring holds no entries */
#define HINIC_CQE_WITH_IMM 0x02 /* flags: immediate is valid */

/* Completion queue entry (32 bytes). */
struct hinic_cqe {
    uint64_t wr_id;
    uint32_t byte_len;
    uint32_t immediate;
    uint8_t status;  /* enum hinic_wc_status */
    uint8_t opcode;  /* enum hinic_wc_opcode */
    uint8_t flags;   /* HINIC_CQE_OWNER, HINIC_CQE_WITH_IMM */
    uint8_t reserved0;
    uint32_t qpn;
    uint32_t src_qp; /* receive completions: the sender's QP */
    uint32_t vendor_err; /* enum hinic_error for error completions, else 0 */
};

/* Why the NIC logged a guest error (LAST_ERROR, vendor_err, the log line). */
enum hinic_error {
    HINIC_ERR_NONE = 0,
    HINIC_ERR_BAD_REGISTER = 1,
    HINIC_ERR_BAD_QPN = 2,
    HINIC_ERR_BAD_CQN = 3,
    HINIC_ERR_RING_OVERRUN = 4,   /* a producer index more than the ring's size ahead */
    HINIC_ERR_BAD_DESCRIPTOR = 5, /* an unknown opcode, unknown flags, reserved fields set, a misaligned atomic */
    HINIC_ERR_BAD_LKEY = 6,
    HINIC_ERR_LENGTH = 7,
    HINIC_ERR_DMA = 8,            /* a descriptor or ring address outside guest memory */
    HINIC_ERR_CQ_OVERRUN = 9,
    HINIC_ERR_REMOTE = 10,        /* the responder refused the request */
    HINIC_ERR_RETRIES = 11,
    HINIC_ERR_BAD_STATE = 12,     /* a doorbell for a QP that is not ready to send or receive */
};
#endif

#endif
