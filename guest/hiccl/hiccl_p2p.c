/* HiCCL's Send/Recv and group calls: the operations of a group are queued and, at hicclGroupEnd, connected (one
 * area per peer pair, made at the first operation with that peer), then run as one hiccl_p2p kernel per stream,
 * a block per operation, or as a copy for a rank's operations with itself. An operation outside a group is a group
 * of one. */
#include "hiccl_internal.h"

/* Operations one kernel takes: its parameters (HiGPU's 4 KiB) hold 48 of them. */
#define MAX_P2P_OPS 48
/* Operations a group may queue. */
#define MAX_PENDING 512

struct pending_op {
    hicclComm_t comm;
    int send, peer;
    uint64_t buff, bytes;
    uint32_t stream;
};

static struct {
    int depth;
    uint32_t count;
    struct pending_op op[MAX_PENDING];
} group;

/* The kernel's parameters (guest/kernels/hiccl.cu, P2pWork). */
struct p2p_op_args {
    uint64_t buff, bytes, mine, remote, start[HICCL_P2P_CHANNELS], net_flags;
    int32_t send, after;
};
struct p2p_args {
    int32_t count, pad;
    uint64_t slot_bytes, flags_at, area_stride;
    struct p2p_op_args op[MAX_P2P_OPS];
};
_Static_assert(sizeof(struct p2p_args) <= 4096, "a launch's parameters are at most 4 KiB");

hicclResult_t hicclGroupStart(void)
{
    group.depth++;
    return hicclSuccess;
}

/* The slots channel `c` of an operation of `bytes` moves: its part is the kernel's (whole 16-byte units). */
static uint64_t steps_of(uint64_t bytes, uint32_t c)
{
    uint64_t first, part;
    hiccl_part(bytes, 16, c, HICCL_P2P_CHANNELS, &first, &part);
    return (part + SLOT_BYTES - 1) / SLOT_BYTES;
}

/* Connections with every peer the group's operations of `comm` name and that has none yet: each side makes its
 * area, sends its handle to the peer, then opens the peer's. A connection counts once the peer's area is open, so
 * one that failed half way is made again (its own area kept) rather than used. */
static hicclResult_t connect_peers(hicclComm_t comm, uint32_t first)
{
    uint8_t wanted[MAX_RANKS] = {0};
    hicclResult_t result = hicclSuccess;
    for (uint32_t i = first; i < group.count; i++) {
        const struct pending_op *op = &group.op[i];
        if (op->comm == comm && op->peer != comm->rank && comm->peers[op->peer].remote == 0)
            wanted[op->peer] = 1;
    }
    for (int p = 0; p < comm->nranks && result == hicclSuccess; p++) {
        if (!wanted[p])
            continue;
        struct p2p_connection *c = &comm->peers[p];
        uint64_t handle;
        if (c->mine == 0) /* zeroed, flags included (allocate_areas in hiccl.c); unused if a try failed */
            result = hiccl_gpu_call(comm, gpu_malloc(comm->gpu, &c->mine, HICCL_P2P_CHANNELS * AREA_BYTES),
                                    "allocate Send/Recv buffers");
        if (result == hicclSuccess)
            result = hiccl_gpu_call(comm, gpu_ipc_get_handle(comm->gpu, c->mine, &handle), "export");
        if (result == hicclSuccess)
            result = hiccl_comm_send(comm, p, MSG_P2P, &handle, sizeof handle);
    }
    for (int p = 0; p < comm->nranks && result == hicclSuccess; p++) {
        if (!wanted[p])
            continue;
        struct message m;
        int from;
        uint64_t handle, size;
        result = hiccl_comm_receive(comm, MSG_P2P, p, &m, &from);
        if (result == hicclSuccess) {
            memcpy(&handle, m.data, sizeof handle);
            result = hiccl_gpu_call(comm, gpu_ipc_open_handle(comm->gpu, handle, &comm->peers[p].remote, &size),
                                    "open a peer's Send/Recv buffer");
        }
    }
    return result;
}

/* A rank's sends to itself with its receives from itself, in order, as copies on the receive's stream. */
static hicclResult_t copy_to_self(hicclComm_t comm, uint32_t first)
{
    uint32_t r = first;
    for (uint32_t s = first; s < group.count; s++) {
        const struct pending_op *send = &group.op[s];
        if (send->comm != comm || send->peer != comm->rank || !send->send)
            continue;
        while (r < group.count && (group.op[r].comm != comm || group.op[r].peer != comm->rank || group.op[r].send))
            r++;
        if (r == group.count || group.op[r].bytes != send->bytes)
            return hiccl_fail(comm, hicclInvalidUsage, "rank %d sends %llu bytes to itself without a receive of "
                              "as many from itself in the same group", comm->rank,
                              (unsigned long long)send->bytes);
        const struct pending_op *recv = &group.op[r++];
        if (recv->buff != send->buff && send->bytes != 0) {
            hicclResult_t result = hiccl_gpu_call(comm, gpu_memcpy_d2d_async(comm->gpu, recv->stream, recv->buff,
                                                                             send->buff, send->bytes), "copy");
            if (result != hicclSuccess)
                return result;
        }
    }
    for (; r < group.count; r++)
        if (group.op[r].comm == comm && group.op[r].peer == comm->rank && !group.op[r].send)
            return hiccl_fail(comm, hicclInvalidUsage, "rank %d receives from itself without a send to itself in "
                              "the same group", comm->rank);
    return hicclSuccess;
}

static hicclResult_t launch(hicclComm_t comm, uint32_t stream, struct p2p_args *args)
{
    /* A receive into the very bytes a send of the launch reads (in place) waits for that send, step by step. */
    for (int i = 0; i < args->count; i++) {
        struct p2p_op_args *op = &args->op[i];
        op->after = -1;
        for (int j = 0; j < args->count && !op->send; j++)
            if (args->op[j].send && args->op[j].buff == op->buff && args->op[j].bytes == op->bytes)
                op->after = j;
    }
    hicclResult_t result =
        hiccl_gpu_call(comm, gpu_launch_async(comm->gpu, stream, comm->module, "hiccl_p2p",
                                              (struct gpu_dim3){(uint32_t)args->count * HICCL_P2P_CHANNELS, 1, 1},
                                              (struct gpu_dim3){THREADS, 1, 1}, 0, args, sizeof *args), "launch");
    args->count = 0;
    return result;
}

/* The group's operations of `comm` on `stream`, in order, as few kernels as can take them: one operation per peer
 * and direction in a kernel (a second one waits for the next kernel, as it would for the first's slots). */
static hicclResult_t launch_stream(hicclComm_t comm, uint32_t stream, uint32_t first)
{
    static struct p2p_args args;
    args = (struct p2p_args){.slot_bytes = SLOT_BYTES, .flags_at = FLAGS_AT, .area_stride = AREA_BYTES};
    hicclResult_t result = hicclSuccess;
    for (uint32_t i = first; i < group.count && result == hicclSuccess; i++) {
        const struct pending_op *op = &group.op[i];
        if (op->comm != comm || op->stream != stream || op->peer == comm->rank || op->bytes == 0)
            continue;
        struct p2p_connection *c = &comm->peers[op->peer];
        int taken = args.count == MAX_P2P_OPS;
        for (int j = 0; j < args.count && !taken; j++)
            taken = args.op[j].send == op->send && args.op[j].mine == c->mine;
        if (taken)
            result = launch(comm, stream, &args);
        struct p2p_op_args *a = &args.op[args.count++];
        *a = (struct p2p_op_args){.buff = op->buff, .bytes = op->bytes, .mine = c->mine, .remote = c->remote,
                                  .send = op->send};
        /* A peer in another domain: the proxy forwards what the kernel writes to its stand-in (hiccl_net.c). */
        if (comm->domain_gpus && op->peer / comm->domain_gpus != comm->rank / comm->domain_gpus) {
            a->net_flags = hiccl_net_p2p_flags(comm, op->peer);
            hiccl_net_plan_p2p(comm, op->peer, op->send, op->bytes);
        }
        uint64_t *count = op->send ? c->sent : c->received;
        for (uint32_t ch = 0; ch < HICCL_P2P_CHANNELS; ch++) {
            a->start[ch] = count[ch];
            count[ch] += steps_of(op->bytes, ch);
        }
    }
    if (result == hicclSuccess && args.count > 0)
        result = launch(comm, stream, &args);
    return result;
}

/* Runs the group's operations, communicator by communicator, stream by stream, in the order of their first
 * operation. */
static hicclResult_t run_group(void)
{
    hicclResult_t result = hicclSuccess;
    for (uint32_t i = 0; i < group.count && result == hicclSuccess; i++) {
        hicclComm_t comm = group.op[i].comm;
        int seen = 0;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = group.op[j].comm == comm;
        if (seen)
            continue;
        result = connect_peers(comm, i);
        if (result == hicclSuccess)
            result = copy_to_self(comm, i);
        for (uint32_t s = i; s < group.count && result == hicclSuccess; s++) {
            if (group.op[s].comm != comm)
                continue;
            int stream_seen = 0;
            for (uint32_t j = i; j < s && !stream_seen; j++)
                stream_seen = group.op[j].comm == comm && group.op[j].stream == group.op[s].stream;
            if (!stream_seen)
                result = launch_stream(comm, group.op[s].stream, i);
        }
    }
    group.count = 0;
    return result;
}

hicclResult_t hicclGroupEnd(void)
{
    if (group.depth == 0)
        return hiccl_fail(NULL, hicclInvalidUsage, "hicclGroupEnd without hicclGroupStart");
    if (--group.depth > 0)
        return hicclSuccess;
    return run_group();
}

static hicclResult_t queue(const char *who, int send, uint64_t buff, size_t count, hicclDataType_t datatype,
                           int peer, hicclComm_t comm, uint32_t stream)
{
    if (comm == NULL)
        return hiccl_fail(NULL, hicclInvalidArgument, "%s: comm is NULL", who);
    if (datatype < 0 || datatype >= hicclNumTypes)
        return hiccl_fail(comm, hicclInvalidArgument, "%s: datatype %d is not a hicclDataType_t", who, datatype);
    if (peer < 0 || peer >= comm->nranks)
        return hiccl_fail(comm, hicclInvalidArgument, "%s: peer %d is not a rank (0 to %d)", who, peer,
                          comm->nranks - 1);
    if (count != 0 && buff == 0)
        return hiccl_fail(comm, hicclInvalidArgument, "%s: the buffer is NULL", who);
    if (group.count == MAX_PENDING) {
        group.count = 0;
        group.depth = 0;
        return hiccl_fail(comm, hicclInvalidUsage, "%s: more than %d operations in one group", who, MAX_PENDING);
    }
    group.op[group.count++] = (struct pending_op){comm, send, peer, buff, count * hicclTypeSize(datatype), stream};
    return group.depth == 0 ? run_group() : hicclSuccess;
}

hicclResult_t hicclSend(uint64_t sendbuff, size_t count, hicclDataType_t datatype, int peer, hicclComm_t comm,
                        uint32_t stream)
{
    return queue("hicclSend", 1, sendbuff, count, datatype, peer, comm, stream);
}

hicclResult_t hicclRecv(uint64_t recvbuff, size_t count, hicclDataType_t datatype, int peer, hicclComm_t comm,
                        uint32_t stream)
{
    return queue("hicclRecv", 0, recvbuff, count, datatype, peer, comm, stream);
}

size_t hiccl_describe_p2p_stop(hicclComm_t comm, size_t used)
{
    for (int p = 0; p < comm->nranks; p++) {
        const struct p2p_connection *c = &comm->peers[p];
        for (uint32_t ch = 0; c->mine != 0 && ch < HICCL_P2P_CHANNELS && used < sizeof comm->error; ch++) {
            uint64_t flags[4] = {0}; /* from the peer, of mine the peer consumed, sent, received */
            if (gpu_memcpy_d2h(comm->gpu, flags, c->mine + ch * AREA_BYTES + FLAGS_AT, sizeof flags) != GPU_SUCCESS)
                break;
            if (flags[3] < c->received[ch] && flags[0] <= flags[3])
                used += (size_t)snprintf(comm->error + used, sizeof comm->error - used, "; p2p channel %u: a "
                                         "receive from rank %d waits for it to send slot %llu", ch, p,
                                         (unsigned long long)flags[3] + 1);
            if (used < sizeof comm->error && flags[2] < c->sent[ch] && flags[2] - flags[1] >= HICCL_STEPS)
                used += (size_t)snprintf(comm->error + used, sizeof comm->error - used, "; p2p channel %u: a send "
                                         "to rank %d waits for it to free a slot (sent %llu)", ch, p,
                                         (unsigned long long)flags[2]);
        }
    }
    return used;
}
