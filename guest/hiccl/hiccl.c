/* HiCCL's communicators and AllReduce: the ring's connections are buffers each GPU exports and its ring neighbours
 * open (IPC handles sent in the GPUs' mailboxes), and the collective is one kernel of guest/kernels/hiccl.cu per
 * call, on the caller's stream. */
#include "hiccl_internal.h"

VDC_PTX_DECLARE(hiccl);

static char last_error[256];

hicclResult_t hiccl_fail(hicclComm_t comm, hicclResult_t result, const char *fmt, ...)
{
    char *text = comm != NULL ? comm->error : last_error;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, 256, fmt, ap);
    va_end(ap);
    return result;
}

const char *hicclGetErrorString(hicclResult_t result)
{
    static const char *const names[] = {"no error", "unhandled cuda error (run with a GPU)", "unhandled system error",
                                        "internal error", "invalid argument", "invalid usage", "remote process exited "
                                        "or there was a network error", "operation in progress"};
    return result >= 0 && result < hicclNumResults ? names[result] : "unknown result code";
}

const char *hicclGetLastError(hicclComm_t comm)
{
    return comm != NULL ? comm->error : last_error;
}

size_t hicclTypeSize(hicclDataType_t type)
{
    static const size_t sizes[hicclNumTypes] = {1, 1, 4, 4, 8, 8, 2, 4, 8, 2};
    return type >= 0 && type < hicclNumTypes ? sizes[type] : 0;
}

/* ---- messages: the mailbox, with those that came before they were wanted kept aside ---- */

#define KEPT_MAX 128
static struct { struct message m; uint32_t from; } kept[KEPT_MAX];
static uint32_t kept_count;

static int matches(const struct message *m, uint32_t kind, uint64_t comm_id, int from, uint32_t sender)
{
    return m->magic == MAGIC && m->kind == kind && m->comm_id == comm_id && (from < 0 || (uint32_t)from == sender);
}

/* The next message of `kind` for `comm_id` (from place `from`, or any when negative), waiting for it. */
hicclResult_t hiccl_mail_receive(struct gpu_device *gpu, uint32_t kind, uint64_t comm_id, int from, struct message *out,
                             uint32_t *sender)
{
    for (uint32_t i = 0; i < kept_count; i++) {
        if (matches(&kept[i].m, kind, comm_id, from, kept[i].from)) {
            *out = kept[i].m;
            *sender = kept[i].from;
            kept[i] = kept[--kept_count];
            return hicclSuccess;
        }
    }
    for (;;) {
        struct message m;
        uint32_t place, length;
        if (gpu_mail_recv(gpu, &m, &place, &length) != GPU_SUCCESS)
            return hiccl_fail(NULL, hicclUnhandledCudaError, "mailbox: %s", gpu_error_text(gpu));
        if (length == sizeof m && matches(&m, kind, comm_id, from, place)) {
            *out = m;
            *sender = place;
            return hicclSuccess;
        }
        if (kept_count == KEPT_MAX)
            return hiccl_fail(NULL, hicclInternalError, "%u mailbox messages wait for a communicator that has not asked "
                        "for them", KEPT_MAX);
        kept[kept_count].m = m;
        kept[kept_count++].from = place;
    }
}

hicclResult_t hiccl_mail_send(struct gpu_device *gpu, uint32_t place, uint32_t kind, uint64_t comm_id, uint32_t rank,
                          const void *data, uint32_t bytes)
{
    struct message m = {.magic = MAGIC, .kind = kind, .comm_id = comm_id, .rank = rank, .bytes = bytes};
    memcpy(m.data, data, bytes < sizeof m.data ? bytes : sizeof m.data);
    if (gpu_mail_send(gpu, place, &m, sizeof m) != GPU_SUCCESS)
        return hiccl_fail(NULL, hicclUnhandledCudaError, "mailbox to GPU %u: %s", place, gpu_error_text(gpu));
    return hicclSuccess;
}

/* ---- unique ids ---- */

/* The blade's GPU and what it says of itself, for `who`'s message when there is none. */
static hicclResult_t blade_gpu(const char *who, struct gpu_device **gpu, struct higpu_info *info)
{
    int status;
    *gpu = vdc_gpu_open(0, &status);
    if (*gpu == NULL || gpu_query(*gpu, info) != GPU_SUCCESS)
        return hiccl_fail(NULL, hicclUnhandledCudaError, "%s: no GPU (%s)", who, gpu_status_name(status));
    return hicclSuccess;
}

hicclResult_t hicclGetUniqueId(hicclUniqueId *id)
{
    static uint32_t made;
    if (id == NULL)
        return hiccl_fail(NULL, hicclInvalidArgument, "hicclGetUniqueId: id is NULL");
    struct gpu_device *gpu;
    struct higpu_info info;
    hicclResult_t result = blade_gpu("hicclGetUniqueId", &gpu, &info);
    if (result != hicclSuccess)
        return result;
    memset(id, 0, sizeof *id);
    uint64_t value = (uint64_t)MAGIC << 32 | (uint64_t)info.hilink_place << 24 | ++made;
    memcpy(id->internal, &value, sizeof value);
    return hicclSuccess;
}

hicclResult_t hicclSendUniqueId(const hicclUniqueId *id, int nranks)
{
    struct gpu_device *gpu;
    struct higpu_info info;
    hicclResult_t result = blade_gpu("hicclSendUniqueId", &gpu, &info);
    for (int r = 1; r < nranks && result == hicclSuccess; r++)
        result = hiccl_mail_send(gpu, (uint32_t)r, MSG_ID, 0, 0, id->internal, 8);
    return result;
}

hicclResult_t hicclRecvUniqueId(hicclUniqueId *id)
{
    struct gpu_device *gpu;
    struct higpu_info info;
    struct message m;
    uint32_t from;
    hicclResult_t result = blade_gpu("hicclRecvUniqueId", &gpu, &info);
    if (result == hicclSuccess)
        result = hiccl_mail_receive(gpu, MSG_ID, 0, -1, &m, &from);
    if (result == hicclSuccess) {
        memset(id, 0, sizeof *id);
        memcpy(id->internal, m.data, 8);
    }
    return result;
}

/* ---- communicators ---- */

hicclResult_t hiccl_gpu_call(hicclComm_t comm, int status, const char *what)
{
    if (status == GPU_SUCCESS)
        return hicclSuccess;
    return hiccl_fail(comm, hicclUnhandledCudaError, "%s: %s", what, gpu_error_text(comm->gpu));
}

/* Its area's handle to both neighbours, theirs opened: the ring's two connections. */
static hicclResult_t connect_ring(hicclComm_t comm)
{
    uint64_t handle;
    hicclResult_t result = hiccl_gpu_call(comm, gpu_ipc_get_handle(comm->gpu, comm->area, &handle), "export");
    uint32_t next = (uint32_t)((comm->rank + 1) % comm->nranks), prev = (uint32_t)((comm->rank + comm->nranks - 1) %
                                                                                  comm->nranks);
    if (result == hicclSuccess)
        result = hiccl_mail_send(comm->gpu, next, MSG_CONNECT, comm->id, (uint32_t)comm->rank, &handle, sizeof handle);
    if (result == hicclSuccess && prev != next)
        result = hiccl_mail_send(comm->gpu, prev, MSG_CONNECT, comm->id, (uint32_t)comm->rank, &handle, sizeof handle);
    for (int i = 0; i < (prev != next ? 2 : 1) && result == hicclSuccess; i++) {
        struct message m;
        uint32_t from;
        result = hiccl_mail_receive(comm->gpu, MSG_CONNECT, comm->id, -1, &m, &from);
        if (result != hicclSuccess)
            break;
        uint64_t peer_handle, address, size;
        memcpy(&peer_handle, m.data, sizeof peer_handle);
        result = hiccl_gpu_call(comm, gpu_ipc_open_handle(comm->gpu, peer_handle, &address, &size), "open a neighbour's "
                          "connection");
        if (from == next)
            comm->next_area = address;
        if (from == prev)
            comm->prev_area = address;
    }
    if (result == hicclSuccess && (comm->next_area == 0 || comm->prev_area == 0))
        return hiccl_fail(comm, hicclInternalError, "rank %d: a neighbour's connection did not come", comm->rank);
    return result;
}

hicclResult_t hicclCommInitRank(hicclComm_t *out, int nranks, hicclUniqueId id, int rank)
{
    if (out == NULL)
        return hiccl_fail(NULL, hicclInvalidArgument, "hicclCommInitRank: comm is NULL");
    *out = NULL;
    uint64_t comm_id;
    memcpy(&comm_id, id.internal, sizeof comm_id);
    if (comm_id >> 32 != MAGIC)
        return hiccl_fail(NULL, hicclInvalidArgument, "hicclCommInitRank: the id was not made by hicclGetUniqueId");
    struct gpu_device *gpu;
    struct higpu_info info;
    if (blade_gpu("hicclCommInitRank", &gpu, &info) != hicclSuccess)
        return hicclUnhandledCudaError;
    if (nranks < 1 || nranks > MAX_RANKS || rank < 0 || rank >= nranks)
        return hiccl_fail(NULL, hicclInvalidArgument, "hicclCommInitRank: rank %d of %d; give 0 <= rank < nranks <= %d",
                    rank, nranks, MAX_RANKS);
    if (nranks > 1 && ((uint32_t)nranks != info.hilink_gpus || (uint32_t)rank != info.hilink_place))
        return hiccl_fail(NULL, hicclInvalidUsage, "hicclCommInitRank: rank %d of %d on the GPU at HiLink place %u of %u; "
                    "a communicator is the GPUs of one HiLink fabric, rank = place", rank, nranks,
                    info.hilink_place, info.hilink_gpus);
    hicclComm_t comm = vdc_alloc(sizeof *comm, 64);
    if (comm == NULL)
        return hiccl_fail(NULL, hicclSystemError, "hicclCommInitRank: out of guest memory");
    memset(comm, 0, sizeof *comm);
    comm->gpu = gpu;
    comm->id = comm_id;
    comm->rank = rank;
    comm->nranks = nranks;
    hicclResult_t result = hiccl_read_overrides(comm);
    if (result == hicclSuccess)
        result = hiccl_gpu_call(comm, gpu_module_load(gpu, &comm->module, VDC_PTX_TEXT(hiccl), VDC_PTX_LENGTH(hiccl)),
                                "load HiCCL's kernels");
    if (result == hicclSuccess && nranks > 1) {
        /* The flags start at 0 before any neighbour can learn where they are. */
        result = hiccl_gpu_call(comm, gpu_malloc(gpu, &comm->area, HICCL_CHANNELS * AREA_BYTES), "allocate the "
                          "connection buffers");
        for (uint32_t c = 0; c < HICCL_CHANNELS && result == hicclSuccess; c++)
            result = hiccl_gpu_call(comm, gpu_memset(gpu, comm->area + c * AREA_BYTES + FLAGS_AT, 0, AREA_BYTES - FLAGS_AT),
                              "clear flags");
        if (result == hicclSuccess)
            result = connect_ring(comm);
    }
    if (result != hicclSuccess) {
        memcpy(last_error, comm->error[0] ? comm->error : last_error, sizeof last_error);
        return result;
    }
    *out = comm;
    return hicclSuccess;
}

/* Every rank has got here: each tells rank 0, which tells them all to go on. */
static hicclResult_t barrier(hicclComm_t comm)
{
    struct message m;
    uint32_t from;
    hicclResult_t result = hicclSuccess;
    if (comm->rank != 0) {
        result = hiccl_mail_send(comm->gpu, 0, MSG_ARRIVE, comm->id, (uint32_t)comm->rank, NULL, 0);
        if (result == hicclSuccess)
            result = hiccl_mail_receive(comm->gpu, MSG_RELEASE, comm->id, 0, &m, &from);
        return result;
    }
    for (int r = 1; r < comm->nranks && result == hicclSuccess; r++)
        result = hiccl_mail_receive(comm->gpu, MSG_ARRIVE, comm->id, -1, &m, &from);
    for (int r = 1; r < comm->nranks && result == hicclSuccess; r++)
        result = hiccl_mail_send(comm->gpu, (uint32_t)r, MSG_RELEASE, comm->id, 0, NULL, 0);
    return result;
}

/* After the rank's last collective and every other rank's: a neighbour's kernel may still write this rank's flags
 * until then. */
hicclResult_t hicclCommDestroy(hicclComm_t comm)
{
    if (comm == NULL)
        return hicclSuccess;
    gpu_synchronize(comm->gpu);
    if (comm->nranks > 1 && barrier(comm) != hicclSuccess)
        return hicclSystemError; /* its area stays: a neighbour may still write there */
    if (comm->area != 0)
        gpu_free(comm->gpu, comm->area);
    gpu_module_unload(comm->gpu, comm->module);
    return hicclSuccess;
}

/* Where each channel stopped: its counts and its neighbours' flags, read from the GPU (the kernel keeps its counts
 * current in memory, and marks a channel that is in a collective). */
static size_t describe_stop(hicclComm_t comm, size_t used)
{
    int prev = (comm->rank + comm->nranks - 1) % comm->nranks, next = (comm->rank + 1) % comm->nranks;
    static char what[HICCL_CHANNELS][64]; /* what each channel waits for, empty when nothing */
    for (uint32_t c = 0; c < HICCL_CHANNELS; c++) {
        uint64_t flags[8] = {0}; /* tail, head, sent, received, in a collective, LL head, LL sent, LL received */
        what[c][0] = '\0';
        if (gpu_memcpy_d2h(comm->gpu, flags, comm->area + c * AREA_BYTES + FLAGS_AT, sizeof flags) != GPU_SUCCESS ||
            flags[4] == 0)
            continue;
        if (comm->last_protocol == HICCL_PROTO_LL) {
            /* LL has no tail: a channel that is not waiting for a free slot waits for lines of its next step */
            flags[0] = flags[7];
            flags[1] = flags[5];
            flags[2] = flags[6];
            flags[3] = flags[7];
        }
        if (flags[2] - flags[1] >= HICCL_STEPS)
            snprintf(what[c], sizeof what[c], "for rank %d to free a slot (sent %llu)", next,
                     (unsigned long long)flags[2]);
        else if (flags[0] <= flags[3])
            snprintf(what[c], sizeof what[c], "for rank %d to send slot %llu", prev, (unsigned long long)flags[3] + 1);
    }
    /* Channels in the same state, one after another, as one line: "channels 0-15 wait for ...". */
    for (uint32_t c = 0; c < HICCL_CHANNELS && used < sizeof comm->error;) {
        uint32_t end = c + 1;
        while (end < HICCL_CHANNELS && strcmp(what[end], what[c]) == 0)
            end++;
        if (what[c][0] != '\0' && end - c == 1)
            used += (size_t)snprintf(comm->error + used, sizeof comm->error - used, "; channel %u waits %s", c,
                                     what[c]);
        else if (what[c][0] != '\0')
            used += (size_t)snprintf(comm->error + used, sizeof comm->error - used, "; channels %u-%u wait %s", c,
                                     end - 1, what[c]);
        c = end;
    }
    return used;
}

hicclResult_t hicclCommGetAsyncError(hicclComm_t comm, hicclResult_t *async_error)
{
    if (comm == NULL || async_error == NULL)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclCommGetAsyncError: comm or asyncError is NULL");
    int status = gpu_synchronize(comm->gpu);
    *async_error = hicclSuccess;
    if (status == GPU_SUCCESS)
        return hicclSuccess;
    *async_error = hicclUnhandledCudaError;
    size_t used = (size_t)snprintf(comm->error, sizeof comm->error, "rank %d: %s", comm->rank,
                                   gpu_error_text(comm->gpu));
    if (status == HIGPU_STATUS_KERNEL_TIMEOUT && comm->nranks > 1 && used < sizeof comm->error)
        hiccl_describe_p2p_stop(comm, describe_stop(comm, used));
    return hicclSuccess;
}

hicclResult_t hicclCommCount(const hicclComm_t comm, int *count)
{
    if (comm == NULL || count == NULL)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclCommCount: comm or count is NULL");
    *count = comm->nranks;
    return hicclSuccess;
}

hicclResult_t hicclCommUserRank(const hicclComm_t comm, int *rank)
{
    if (comm == NULL || rank == NULL)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclCommUserRank: comm or rank is NULL");
    *rank = comm->rank;
    return hicclSuccess;
}

struct gpu_device *hicclCommGpu(const hicclComm_t comm)
{
    return comm != NULL ? comm->gpu : NULL;
}

hicclResult_t hicclOobSend(hicclComm_t comm, int rank, const void *data, uint32_t bytes)
{
    if (comm == NULL || rank < 0 || rank >= comm->nranks || bytes > sizeof((struct message *)0)->data)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclOobSend: rank %d, %u bytes", rank, bytes);
    return hiccl_mail_send(comm->gpu, (uint32_t)rank, MSG_OOB, comm->id, (uint32_t)comm->rank, data, bytes);
}

hicclResult_t hicclOobRecv(hicclComm_t comm, int rank, void *data, uint32_t bytes)
{
    if (comm == NULL || rank < 0 || rank >= comm->nranks || bytes > sizeof((struct message *)0)->data)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclOobRecv: rank %d, %u bytes", rank, bytes);
    struct message m;
    uint32_t from;
    hicclResult_t result = hiccl_mail_receive(comm->gpu, MSG_OOB, comm->id, rank, &m, &from);
    if (result == hicclSuccess)
        memcpy(data, m.data, bytes);
    return result;
}

/* ---- collectives ---- */

static const char *const kernel_of_type[hicclNumTypes] = {
    "hiccl_ring_int8", "hiccl_ring_uint8", "hiccl_ring_int32", "hiccl_ring_uint32", "hiccl_ring_int64",
    "hiccl_ring_uint64", "hiccl_ring_float16", "hiccl_ring_float32", "hiccl_ring_float64", "hiccl_ring_bfloat16"};

/* hicclRedOp_t to the kernel's operation codes, and the kernel's collectives. */
static const int32_t kernel_op[hicclNumOps] = {0, 1, 3, 2, 4};

/* The checks every collective makes of its arguments (the op only when it reduces). */
static hicclResult_t check_arguments(const char *who, uint64_t sendbuff, uint64_t recvbuff, size_t count,
                                     hicclDataType_t datatype, int op, hicclComm_t comm)
{
    if (comm == NULL)
        return hiccl_fail(NULL, hicclInvalidArgument, "%s: comm is NULL", who);
    if (datatype < 0 || datatype >= hicclNumTypes)
        return hiccl_fail(comm, hicclInvalidArgument, "%s: datatype %d is not a hicclDataType_t", who, datatype);
    if (op < 0 || op >= hicclNumOps)
        return hiccl_fail(comm, hicclInvalidArgument, "%s: op %d is not a hicclRedOp_t", who, op);
    if (count != 0 && (sendbuff == 0 || recvbuff == 0))
        return hiccl_fail(comm, hicclInvalidArgument, "%s: sendbuff or recvbuff is NULL", who);
    return hicclSuccess;
}

/* One ring kernel on every channel; `count` elements (AllReduce) or elements per rank. */
static hicclResult_t launch_ring(hicclComm_t comm, int collective, uint64_t sendbuff, uint64_t recvbuff, size_t count,
                                 hicclDataType_t datatype, hicclRedOp_t op, int root, uint32_t stream)
{
    /* nccl-tests' size of the collective: the whole result or input */
    uint64_t bytes = count * hicclTypeSize(datatype) *
                     (collective == RING_REDUCE_SCATTER || collective == RING_ALL_GATHER ? (uint64_t)comm->nranks : 1);
    int protocol = comm->protocol_override >= 0 ? comm->protocol_override
                                                : hiccl_choose_protocol(collective, comm->nranks, bytes);
    comm->last_protocol = protocol;
    struct {
        int32_t collective, pad0;
        uint64_t send, recv, count;
        int32_t op, rank, nranks, root;
        uint64_t my_area, next_area, prev_area, area_stride, slot_bytes, flags_at;
        int32_t ll, pad1;
        uint64_t ll_at, ll_slot_bytes;
    } args = {collective, 0, sendbuff, recvbuff, count, kernel_op[op], comm->rank, comm->nranks, root,
              comm->area, comm->next_area, comm->prev_area, AREA_BYTES, SLOT_BYTES, FLAGS_AT,
              protocol == HICCL_PROTO_LL, 0, LL_AT, LL_SLOT_DATA};
    return hiccl_gpu_call(comm, gpu_launch_async(comm->gpu, stream, comm->module, kernel_of_type[datatype],
                                           (struct gpu_dim3){HICCL_CHANNELS, 1, 1}, (struct gpu_dim3){THREADS, 1, 1},
                                           0, &args, sizeof args), "launch");
}

/* A collective's checks (the root's only for Broadcast and Reduce), then its kernel; with one rank, a copy. `count`:
 * elements (AllReduce, Broadcast, Reduce) or elements per rank. */
static hicclResult_t collective(const char *who, int kind, uint64_t sendbuff, uint64_t recvbuff, size_t count,
                                hicclDataType_t datatype, hicclRedOp_t op, int root, hicclComm_t comm,
                                uint32_t stream)
{
    hicclResult_t result = check_arguments(who, sendbuff, recvbuff, count, datatype, op, comm);
    if (result != hicclSuccess)
        return result;
    if ((kind == RING_BROADCAST || kind == RING_REDUCE) && (root < 0 || root >= comm->nranks))
        return hiccl_fail(comm, hicclInvalidArgument, "%s: root %d is not a rank (0 to %d)", who, root, comm->nranks - 1);
    if (count == 0)
        return hicclSuccess;
    if (comm->nranks == 1)
        return sendbuff == recvbuff ? hicclSuccess
                                    : hiccl_gpu_call(comm, gpu_memcpy_d2d_async(comm->gpu, stream, recvbuff, sendbuff,
                                                                          count * hicclTypeSize(datatype)), "copy");
    return launch_ring(comm, kind, sendbuff, recvbuff, count, datatype, op, root, stream);
}

hicclResult_t hicclAllReduce(uint64_t sendbuff, uint64_t recvbuff, size_t count, hicclDataType_t datatype,
                             hicclRedOp_t op, hicclComm_t comm, uint32_t stream)
{
    return collective("hicclAllReduce", RING_ALL_REDUCE, sendbuff, recvbuff, count, datatype, op, 0, comm, stream);
}

hicclResult_t hicclReduceScatter(uint64_t sendbuff, uint64_t recvbuff, size_t recvcount, hicclDataType_t datatype,
                                 hicclRedOp_t op, hicclComm_t comm, uint32_t stream)
{
    return collective("hicclReduceScatter", RING_REDUCE_SCATTER, sendbuff, recvbuff, recvcount, datatype, op, 0,
                      comm, stream);
}

hicclResult_t hicclAllGather(uint64_t sendbuff, uint64_t recvbuff, size_t sendcount, hicclDataType_t datatype,
                             hicclComm_t comm, uint32_t stream)
{
    return collective("hicclAllGather", RING_ALL_GATHER, sendbuff, recvbuff, sendcount, datatype, hicclSum, 0, comm,
                      stream);
}

hicclResult_t hicclBroadcast(uint64_t sendbuff, uint64_t recvbuff, size_t count, hicclDataType_t datatype, int root,
                             hicclComm_t comm, uint32_t stream)
{
    return collective("hicclBroadcast", RING_BROADCAST, sendbuff, recvbuff, count, datatype, hicclSum, root, comm,
                      stream);
}

hicclResult_t hicclReduce(uint64_t sendbuff, uint64_t recvbuff, size_t count, hicclDataType_t datatype,
                          hicclRedOp_t op, int root, hicclComm_t comm, uint32_t stream)
{
    return collective("hicclReduce", RING_REDUCE, sendbuff, recvbuff, count, datatype, op, root, comm, stream);
}
