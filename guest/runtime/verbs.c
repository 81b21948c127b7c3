/* Guest verbs, control path: the device, protection domains, memory regions, CQs and QPs, through HiNIC's
 * command register (one exit per command). */
#include <libfdt.h>

#include "verbs_internal.h"

#ifndef errno /* host tests use the C library's */
int errno;
#endif

/* libibverbs' values are HiNIC's, so requests and completions pass through unconverted. */
#define SAME(ibv, hinic) _Static_assert((int)(ibv) == (int)(hinic), #ibv " is " #hinic)
SAME(IBV_QPS_INIT, HINIC_QPS_INIT);
SAME(IBV_QPS_RTR, HINIC_QPS_RTR);
SAME(IBV_QPS_RTS, HINIC_QPS_RTS);
SAME(IBV_QPS_ERR, HINIC_QPS_ERR);
SAME(IBV_WR_RDMA_WRITE_WITH_IMM, HINIC_WR_RDMA_WRITE_WITH_IMM);
SAME(IBV_WR_SEND, HINIC_WR_SEND);
SAME(IBV_WR_RDMA_READ, HINIC_WR_RDMA_READ);
SAME(IBV_WR_ATOMIC_FETCH_AND_ADD, HINIC_WR_ATOMIC_FETCH_AND_ADD);
SAME(IBV_WC_WR_FLUSH_ERR, HINIC_WC_WR_FLUSH_ERR);
SAME(IBV_WC_RETRY_EXC_ERR, HINIC_WC_RETRY_EXC_ERR);
SAME(IBV_WC_RDMA_READ, HINIC_WC_RDMA_READ);
SAME(IBV_WC_RECV, HINIC_WC_RECV);
SAME(IBV_WC_RECV_RDMA_WITH_IMM, HINIC_WC_RECV_RDMA_WITH_IMM);
SAME(IBV_ACCESS_REMOTE_READ, HINIC_ACCESS_REMOTE_READ);
SAME(IBV_ACCESS_REMOTE_ATOMIC, HINIC_ACCESS_REMOTE_ATOMIC);
SAME(IBV_WC_WITH_IMM, HINIC_CQE_WITH_IMM);
_Static_assert(sizeof(struct hinic_command) == 64 && sizeof(struct hinic_send_wqe) == 64, "HiNIC's layout");
_Static_assert(sizeof(struct hinic_recv_wqe) == 32 && sizeof(struct hinic_cqe) == 32, "HiNIC's layout");

#define RING_ALIGN 4096

static struct ibv_context nic;

/* Destroyed objects are kept for reuse, one free list per type (their rings are not: see vdc_alloc). */
static void *free_pds, *free_mrs, *free_cqs, *free_qps;

static void *object_new(void **free_list, size_t size)
{
    void *object = *free_list;
    if (object != NULL) {
        *free_list = *(void **)object;
        return memset(object, 0, size);
    }
    object = vdc_alloc(size, 16);
    if (object == NULL)
        errno = ENOMEM;
    return object;
}

static void object_free(void **free_list, void *object)
{
    *(void **)object = *free_list;
    *free_list = object;
}

/* Runs a command; returns 0 or the errno for its status (`bad_state` for HINIC_CMD_BAD_STATE). */
static int command(struct ibv_context *context, struct hinic_command *cmd, int bad_state)
{
    struct hinic_command *block = context->command; /* one command at a time */
    *block = *cmd;
    block->status = ~0u;
    hinic_write(context, HINIC_REG_COMMAND, verbs_physical(block));
    *cmd = *block;
    switch (cmd->status) {
    case HINIC_CMD_OK: return 0;
    case HINIC_CMD_BAD_OPCODE: return EOPNOTSUPP;
    case HINIC_CMD_BAD_ARGUMENT: return EINVAL;
    case HINIC_CMD_NO_RESOURCES: return ENOMEM;
    case HINIC_CMD_NOT_FOUND: return ENOENT;
    case HINIC_CMD_BAD_STATE: return bad_state;
    default: return EIO;
    }
}

static void *fail_null(int code)
{
    errno = code;
    return NULL;
}

struct ibv_context *ibv_open_device(void)
{
    if (nic.regs != NULL)
        return &nic;
    const void *fdt = vdc_device_tree();
    int node = fdt_node_offset_by_compatible(fdt, -1, "vdc,hinic");
    int len;
    const fdt64_t *reg = node < 0 ? NULL : fdt_getprop(fdt, node, "reg", &len); /* 4-byte aligned: fdt64_ld */
    if (reg == NULL || len < 16 || fdt64_ld(&reg[1]) < HINIC_BAR_SIZE)
        return fail_null(ENODEV);
    struct ibv_context *c = &nic;
    c->regs = (volatile uint64_t *)(uintptr_t)fdt64_ld(&reg[0]);
    if (hinic_read(c, HINIC_REG_ID) != HINIC_MAGIC) {
        c->regs = NULL;
        return fail_null(ENODEV);
    }
    c->name = fdt_get_name(fdt, node, NULL);
    c->fdt_node = node;
    uint64_t caps = hinic_read(c, HINIC_REG_CAPS);
    c->max_qp = caps & 0xffff;
    c->max_cq = caps >> 16 & 0xffff;
    c->max_mr = caps >> 32 & 0xffff;
    unsigned log2_mtu = caps >> 48 & 0xff;
    c->max_mtu = log2_mtu <= 8 ? IBV_MTU_256 : log2_mtu >= 12 ? IBV_MTU_4096 : (enum ibv_mtu)(log2_mtu - 7);
    c->ipv4 = (uint32_t)hinic_read(c, HINIC_REG_GID);
    c->cause_mask = hinic_read(c, HINIC_REG_CAUSE);
    const fdt32_t *cause = fdt_getprop(fdt, node, "vdc,cause", &len);
    if (c->cause_mask == 0 && cause != NULL && len == 4)
        c->cause_mask = fdt32_to_cpu(cause[0]);
    else if (c->cause_mask == 0 && cause != NULL && len == 8)
        c->cause_mask = (uint64_t)fdt32_to_cpu(cause[0]) << 32 | fdt32_to_cpu(cause[1]);
    if (c->cause_mask == 0) {
        c->regs = NULL;
        return fail_null(ENODEV); /* nothing would ever end a wait for its completions */
    }
    if (c->command == NULL && (c->command = vdc_alloc(sizeof *c->command, 64)) == NULL) {
        c->regs = NULL;
        return fail_null(ENOMEM);
    }
    return c;
}

int ibv_close_device(struct ibv_context *context)
{
    return context == &nic ? 0 : EINVAL;
}

int ibv_query_device(struct ibv_context *context, struct ibv_device_attr *attr)
{
    *attr = (struct ibv_device_attr){
        .max_qp = context->max_qp,
        .max_qp_wr = HINIC_MAX_QUEUE_ENTRIES,
        .max_sge = 1,
        .max_cq = context->max_cq,
        .max_cqe = HINIC_MAX_QUEUE_ENTRIES / 2,
        .max_mr = context->max_mr,
    };
    return 0;
}

int ibv_query_port(struct ibv_context *context, uint8_t port_num, struct ibv_port_attr *attr)
{
    if (port_num != 1)
        return EINVAL;
    *attr = (struct ibv_port_attr){IBV_PORT_ACTIVE, context->max_mtu, context->max_mtu, 1, IBV_LINK_LAYER_ETHERNET};
    return 0;
}

int ibv_query_gid(struct ibv_context *context, uint8_t port_num, int index, union ibv_gid *gid)
{
    if (port_num != 1 || index != 0)
        return EINVAL;
    ibv_gid_from_ipv4(gid, context->ipv4);
    return 0;
}

void ibv_gid_from_ipv4(union ibv_gid *gid, uint32_t ipv4)
{
    memset(gid, 0, sizeof *gid);
    gid->raw[10] = gid->raw[11] = 0xff;
    for (int i = 0; i < 4; i++)
        gid->raw[12 + i] = (uint8_t)(ipv4 >> (24 - 8 * i));
}

uint32_t ibv_gid_to_ipv4(const union ibv_gid *gid)
{
    for (int i = 0; i < 10; i++)
        if (gid->raw[i] != 0)
            return 0;
    if (gid->raw[10] != 0xff || gid->raw[11] != 0xff)
        return 0;
    return (uint32_t)gid->raw[12] << 24 | (uint32_t)gid->raw[13] << 16 | (uint32_t)gid->raw[14] << 8 | gid->raw[15];
}

struct ibv_pd *ibv_alloc_pd(struct ibv_context *context)
{
    struct ibv_pd *pd = object_new(&free_pds, sizeof *pd);
    if (pd != NULL)
        pd->context = context;
    return pd;
}

int ibv_dealloc_pd(struct ibv_pd *pd)
{
    object_free(&free_pds, pd);
    return 0;
}

struct ibv_mr *ibv_reg_mr(struct ibv_pd *pd, void *addr, size_t length, int access)
{
    struct hinic_command cmd = {.opcode = HINIC_CMD_REG_MR, .addr = (uint64_t)(uintptr_t)addr,
                                .addr2 = verbs_physical(addr), .length = length, .access = (uint32_t)access};
    int rc = command(pd->context, &cmd, EINVAL);
    if (rc != 0)
        return fail_null(rc);
    struct ibv_mr *mr = object_new(&free_mrs, sizeof *mr);
    if (mr == NULL) {
        struct hinic_command undo = {.opcode = HINIC_CMD_DEREG_MR, .handle = cmd.handle};
        command(pd->context, &undo, EINVAL);
        return NULL;
    }
    *mr = (struct ibv_mr){pd->context, pd, addr, length, cmd.handle, cmd.handle2};
    return mr;
}

int ibv_dereg_mr(struct ibv_mr *mr)
{
    struct hinic_command cmd = {.opcode = HINIC_CMD_DEREG_MR, .handle = mr->lkey};
    int rc = command(mr->context, &cmd, EBUSY);
    if (rc == 0)
        object_free(&free_mrs, mr);
    return rc;
}

struct ibv_cq *ibv_create_cq(struct ibv_context *context, int cqe, void *cq_context, struct ibv_comp_channel *channel,
                             int comp_vector)
{
    if (cqe < 1 || cqe > HINIC_MAX_QUEUE_ENTRIES / 2 || channel != NULL || comp_vector != 0)
        return fail_null(EINVAL);
    /* Twice the depth asked for, so that ibv_poll_cq may hand entries back half a ring at a time. */
    uint32_t entries = hinic_ring_entries(2 * (uint32_t)cqe, HINIC_MAX_QUEUE_ENTRIES);
    struct ibv_cq *cq = object_new(&free_cqs, sizeof *cq);
    struct hinic_cqe *ring = cq ? vdc_alloc(entries * sizeof *ring, RING_ALIGN) : NULL;
    if (ring == NULL) {
        if (cq != NULL)
            object_free(&free_cqs, cq);
        return fail_null(ENOMEM);
    }
    struct hinic_command cmd = {.opcode = HINIC_CMD_CREATE_CQ, .addr = verbs_physical(ring), .length = entries};
    int rc = command(context, &cmd, EINVAL);
    if (rc != 0) {
        object_free(&free_cqs, cq);
        return fail_null(rc);
    }
    *cq = (struct ibv_cq){.context = context, .cq_context = cq_context, .cqe = (int)(entries / 2), .cqn = cmd.handle,
                          .ring = ring, .entries = entries};
    return cq;
}

int ibv_destroy_cq(struct ibv_cq *cq)
{
    struct hinic_command cmd = {.opcode = HINIC_CMD_DESTROY_CQ, .handle = cq->cqn};
    int rc = command(cq->context, &cmd, EBUSY);
    if (rc == 0)
        object_free(&free_cqs, cq);
    return rc;
}

struct ibv_qp *ibv_create_qp(struct ibv_pd *pd, struct ibv_qp_init_attr *init)
{
    struct ibv_qp_cap *cap = &init->cap;
    if (init->qp_type != IBV_QPT_RC || init->send_cq == NULL || init->recv_cq == NULL || cap->max_send_sge > 1 ||
        cap->max_recv_sge > 1 || cap->max_inline_data > 0)
        return fail_null(EINVAL);
    uint32_t sq_entries = hinic_ring_entries(cap->max_send_wr, HINIC_MAX_QUEUE_ENTRIES);
    uint32_t rq_entries = hinic_ring_entries(cap->max_recv_wr, HINIC_MAX_QUEUE_ENTRIES);
    if (sq_entries == 0 || rq_entries == 0)
        return fail_null(EINVAL);
    struct ibv_qp *qp = object_new(&free_qps, sizeof *qp);
    if (qp == NULL)
        return NULL;
    qp->sq = vdc_alloc(sq_entries * sizeof *qp->sq, RING_ALIGN);
    qp->rq = vdc_alloc(rq_entries * sizeof *qp->rq, RING_ALIGN);
    qp->sq_signaled = vdc_alloc(sq_entries, 1);
    if (qp->sq == NULL || qp->rq == NULL || qp->sq_signaled == NULL) {
        object_free(&free_qps, qp);
        return fail_null(ENOMEM);
    }
    struct hinic_command cmd = {
        .opcode = HINIC_CMD_CREATE_QP,
        .handle2 = init->recv_cq->cqn,
        .access = init->send_cq->cqn,
        .addr = verbs_physical(qp->sq),
        .length = sq_entries | (uint64_t)rq_entries << 32,
        .addr2 = verbs_physical(qp->rq),
    };
    int rc = command(pd->context, &cmd, EINVAL);
    if (rc != 0) {
        object_free(&free_qps, qp);
        return fail_null(rc);
    }
    qp->context = pd->context;
    qp->qp_context = init->qp_context;
    qp->pd = pd;
    qp->send_cq = init->send_cq;
    qp->recv_cq = init->recv_cq;
    qp->qp_num = cmd.handle;
    qp->state = IBV_QPS_RESET;
    qp->qp_type = IBV_QPT_RC;
    qp->sq_entries = sq_entries;
    qp->rq_entries = rq_entries;
    qp->sq_sig_all = init->sq_sig_all;
    qp->next = pd->context->qps;
    pd->context->qps = qp;
    *cap = (struct ibv_qp_cap){sq_entries, rq_entries, 1, 1, 0};
    qp->attr.cap = *cap;
    return qp;
}

/* Fills a MODIFY_QP command from libibverbs' attributes, refusing what a transition lacks or HiNIC cannot do. */
static int modify_command(struct ibv_qp *qp, const struct ibv_qp_attr *attr, int mask, struct hinic_command *cmd)
{
    if (!(mask & IBV_QP_STATE))
        return EINVAL;
    *cmd = (struct hinic_command){.opcode = HINIC_CMD_MODIFY_QP, .handle = qp->qp_num, .handle2 = attr->qp_state,
                                  .retry_count = 7, .timeout = 14};
    switch (attr->qp_state) {
    case IBV_QPS_RESET:
    case IBV_QPS_INIT:
    case IBV_QPS_ERR: return 0;
    case IBV_QPS_RTR: {
        const int needed = IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN;
        if ((mask & needed) != needed || attr->path_mtu < IBV_MTU_256 || attr->path_mtu > qp->context->max_mtu ||
            attr->rq_psn > 0xffffff || attr->ah_attr.sl > 7)
            return EINVAL;
        cmd->dest_gid = ibv_gid_to_ipv4(&attr->ah_attr.grh.dgid);
        if (cmd->dest_gid == 0)
            return EINVAL;
        cmd->dest_qpn = attr->dest_qp_num;
        cmd->psn = attr->rq_psn;
        cmd->mtu = (uint8_t)attr->path_mtu;
        cmd->priority = attr->ah_attr.sl;
        return 0;
    }
    case IBV_QPS_RTS:
        if (!(mask & IBV_QP_SQ_PSN) || attr->sq_psn > 0xffffff)
            return EINVAL;
        cmd->psn = attr->sq_psn;
        if (mask & IBV_QP_RETRY_CNT)
            cmd->retry_count = attr->retry_cnt;
        if (mask & IBV_QP_TIMEOUT)
            cmd->timeout = attr->timeout;
        return cmd->retry_count <= 7 && cmd->timeout <= 31 ? 0 : EINVAL;
    default: return EINVAL;
    }
}

int ibv_modify_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask)
{
    struct hinic_command cmd;
    int rc = modify_command(qp, attr, attr_mask, &cmd);
    if (rc == 0)
        rc = command(qp->context, &cmd, EINVAL);
    if (rc != 0)
        return rc;
    qp->state = attr->qp_state;
    struct ibv_qp_attr *kept = &qp->attr;
    if (attr->qp_state == IBV_QPS_RESET)
        qp->sq_posted = qp->sq_done = qp->rq_posted = qp->rq_done = 0; /* a reset QP starts its rings over */
    if (attr_mask & IBV_QP_ACCESS_FLAGS)
        kept->qp_access_flags = attr->qp_access_flags;
    if (attr->qp_state == IBV_QPS_RTR) {
        kept->ah_attr = attr->ah_attr;
        kept->path_mtu = attr->path_mtu;
        kept->dest_qp_num = attr->dest_qp_num;
        kept->rq_psn = attr->rq_psn;
    } else if (attr->qp_state == IBV_QPS_RTS) {
        kept->sq_psn = cmd.psn;
        kept->retry_cnt = cmd.retry_count;
        kept->timeout = cmd.timeout;
    }
    return 0;
}

int ibv_query_qp(struct ibv_qp *qp, struct ibv_qp_attr *attr, int attr_mask, struct ibv_qp_init_attr *init_attr)
{
    (void)attr_mask; /* everything known is filled in */
    struct hinic_command cmd = {.opcode = HINIC_CMD_QUERY_QP, .handle = qp->qp_num};
    int rc = command(qp->context, &cmd, EINVAL);
    if (rc != 0)
        return rc;
    qp->state = (enum ibv_qp_state)cmd.handle2; /* the NIC moves a QP to ERR on its own */
    *attr = qp->attr;
    attr->qp_state = attr->cur_qp_state = qp->state;
    if (init_attr != NULL)
        *init_attr = (struct ibv_qp_init_attr){qp->qp_context, qp->send_cq, qp->recv_cq, qp->attr.cap, qp->qp_type,
                                               qp->sq_sig_all};
    return 0;
}

int ibv_destroy_qp(struct ibv_qp *qp)
{
    struct hinic_command cmd = {.opcode = HINIC_CMD_DESTROY_QP, .handle = qp->qp_num};
    int rc = command(qp->context, &cmd, EBUSY);
    if (rc != 0)
        return rc;
    for (struct ibv_qp **link = &qp->context->qps; *link != NULL; link = &(*link)->next) {
        if (*link == qp) {
            *link = qp->next;
            break;
        }
    }
    object_free(&free_qps, qp);
    return 0;
}

const char *ibv_wc_status_str(enum ibv_wc_status status)
{
    static const char *const names[] = {
        "success", "local length error", "local QP operation error", "local EE context operation error",
        "local protection error", "Work Request Flushed Error", "memory management operation error",
        "bad response error", "local access error", "remote invalid request error", "remote access error",
        "remote operation error", "transport retry counter exceeded", "RNR retry counter exceeded",
    };
    if ((unsigned)status < sizeof names / sizeof names[0])
        return names[status];
    return status == IBV_WC_GENERAL_ERR ? "general error" : "unknown";
}
