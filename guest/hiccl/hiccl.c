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
            /* The rest keep their order: two messages of one kind from one sender are taken as they came. */
            for (kept_count--; i < kept_count; i++)
                kept[i] = kept[i + 1];
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

hicclResult_t hiccl_comm_send(hicclComm_t comm, int rank, uint32_t kind, const void *data, uint32_t bytes)
{
    return hiccl_mail_send(comm->gpu, comm->places[rank], kind, comm->id, (uint32_t)comm->rank, data, bytes);
}

hicclResult_t hiccl_comm_receive(hicclComm_t comm, uint32_t kind, int from, struct message *out, int *sender)
{
    uint32_t place;
    hicclResult_t result = hiccl_mail_receive(comm->gpu, kind, comm->id, from < 0 ? -1 : comm->places[from], out,
                                              &place);
    if (result == hicclSuccess && out->rank >= (uint32_t)comm->nranks)
        return hiccl_fail(comm, hicclInternalError, "a message from rank %u of a communicator of %d", out->rank,
                          comm->nranks);
    *sender = (int)out->rank;
    return result;
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

/* The ranks of a HiLink domain of `gpus` GPUs: all of them, or one alone when the GPU is on no fabric. */
static uint32_t domain_size(const struct higpu_info *info)
{
    return info->hilink_gpus > 1 ? info->hilink_gpus : 1;
}

/* The id and the communicator's size to the domain's places 1 to `places` - 1. */
static hicclResult_t mail_id(struct gpu_device *gpu, const uint8_t id[8], uint32_t nranks, uint32_t places)
{
    uint8_t data[12];
    memcpy(data, id, 8);
    memcpy(data + 8, &nranks, 4);
    hicclResult_t result = hicclSuccess;
    for (uint32_t r = 1; r < places && result == hicclSuccess; r++)
        result = hiccl_mail_send(gpu, r, MSG_ID, 0, 0, data, sizeof data);
    return result;
}

/* Rank 0 mails the id to its domain's other places; beyond the domain, its last rank passes it on over the network
 * to the next domain's first, which mails it to its domain, and so on (hicclRecvUniqueId). */
hicclResult_t hicclSendUniqueId(const hicclUniqueId *id, int nranks)
{
    struct gpu_device *gpu;
    struct higpu_info info;
    hicclResult_t result = blade_gpu("hicclSendUniqueId", &gpu, &info);
    uint32_t places = (uint32_t)nranks < domain_size(&info) ? (uint32_t)nranks : domain_size(&info);
    if (result == hicclSuccess && (uint32_t)nranks > places)
        result = hiccl_net_open_early(0, domain_size(&info));
    if (result == hicclSuccess)
        result = mail_id(gpu, (const uint8_t *)id->internal, (uint32_t)nranks, places);
    return result;
}

hicclResult_t hicclRecvUniqueId(hicclUniqueId *id)
{
    struct gpu_device *gpu;
    struct higpu_info info;
    struct message m;
    uint32_t from;
    hicclResult_t result = blade_gpu("hicclRecvUniqueId", &gpu, &info);
    if (result != hicclSuccess)
        return result;
    int rank = (int)vdc_rank();
    uint32_t place = info.hilink_gpus > 1 ? info.hilink_place : 0, places = domain_size(&info), nranks = 0;
    uint8_t value[8];
    result = hiccl_net_open_early(place, places);
    if (result != hicclSuccess)
        return result;
    if (place == 0 && rank > 0) { /* the first of a later domain: from the last of the one before */
        result = hiccl_net_receive_id(rank, value, &nranks);
        if (result == hicclSuccess)
            result = mail_id(gpu, value, nranks, places);
    } else {
        result = hiccl_mail_receive(gpu, MSG_ID, 0, -1, &m, &from);
        memcpy(value, m.data, 8);
        memcpy(&nranks, m.data + 8, 4);
    }
    if (result == hicclSuccess && place == places - 1 && nranks > (uint32_t)rank + 1)
        result = hiccl_net_send_id(rank, value, nranks);
    if (result == hicclSuccess) {
        memset(id, 0, sizeof *id);
        memcpy(id->internal, value, 8);
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

/* The handle of its area `area` to ranks `a` and `b` (none when negative), theirs opened into `a_area` and
 * `b_area`, in messages of `kind`: the ring's connections (a the next rank, b the previous) or the chain's upwards
 * (a the parent, b the child). */
static hicclResult_t connect_neighbours(hicclComm_t comm, uint64_t area, uint32_t kind, int a, int b,
                                        uint64_t *a_area, uint64_t *b_area)
{
    uint64_t handle;
    hicclResult_t result = hiccl_gpu_call(comm, gpu_ipc_get_handle(comm->gpu, area, &handle), "export");
    int peers[2] = {a, b != a ? b : -1}, expected = 0;
    for (int i = 0; i < 2 && result == hicclSuccess; i++) {
        if (peers[i] < 0)
            continue;
        result = hiccl_comm_send(comm, peers[i], kind, &handle, sizeof handle);
        expected++;
    }
    for (int i = 0; i < expected && result == hicclSuccess; i++) {
        struct message m;
        int from;
        result = hiccl_comm_receive(comm, kind, -1, &m, &from);
        if (result != hicclSuccess)
            break;
        uint64_t peer_handle, address, size;
        memcpy(&peer_handle, m.data, sizeof peer_handle);
        result = hiccl_gpu_call(comm, gpu_ipc_open_handle(comm->gpu, peer_handle, &address, &size), "open a neighbour's "
                          "connection");
        if (from == a)
            *a_area = address;
        if (from == b)
            *b_area = address;
    }
    if (result == hicclSuccess && ((a >= 0 && *a_area == 0) || (b >= 0 && *b_area == 0)))
        return hiccl_fail(comm, hicclInternalError, "rank %d: a neighbour's connection did not come", comm->rank);
    return result;
}

/* HICCL_CHANNELS connection areas, their flags zero before any neighbour can learn where they are: HiGPU's
 * allocations come zeroed (docs/higpu.md, MEM_ALLOC), so HiCCL does not clear them as NCCL, on cudaMalloc's
 * memory, clears its own (and the host needs to give memory only to what the kernels touch). */
static hicclResult_t allocate_areas(hicclComm_t comm, uint64_t *area)
{
    return hiccl_gpu_call(comm, gpu_malloc(comm->gpu, area, HICCL_CHANNELS * AREA_BYTES), "allocate the connection "
                          "buffers");
}

/* The ring's two connections, and the chain's connections upwards (rank 0 its root). */
static hicclResult_t connect_all(hicclComm_t comm)
{
    int next = (comm->rank + 1) % comm->nranks, prev = (comm->rank + comm->nranks - 1) % comm->nranks;
    int parent = comm->rank - 1, child = comm->rank + 1 < comm->nranks ? comm->rank + 1 : -1;
    /* Across domains, inside the domain every channel goes round the places in order: its ring leaves for the next
     * domain at a place of its own, and its chain starts at a place of its own (hiccl_net.c), so every place's
     * chain parent is the place before it and its child the place after. */
    int d = comm->domain_gpus;
    if (d) {
        int first = comm->rank - comm->rank % d;
        next = first + (comm->rank + 1) % d;
        prev = first + (comm->rank + d - 1) % d;
        parent = prev;
        child = next;
    }
    hicclResult_t result = allocate_areas(comm, &comm->area);
    if (result == hicclSuccess)
        result = allocate_areas(comm, &comm->tree_area);
    if (result == hicclSuccess)
        result = connect_neighbours(comm, comm->area, MSG_CONNECT, next, prev, &comm->next_area, &comm->prev_area);
    if (result == hicclSuccess)
        result = connect_neighbours(comm, comm->tree_area, MSG_TREE_CONNECT, parent, child, &comm->parent_tree_area,
                                    &comm->child_tree_area);
    if (result == hicclSuccess && d)
        result = hiccl_net_connect(comm);
    return result;
}

/* A communicator `id` of `nranks` GPUs at HiLink places `places`, this one `rank`: its kernels loaded, its
 * connections made with the other ranks (each of which makes the same call). */
static hicclResult_t comm_create(const char *who, struct gpu_device *gpu, uint64_t id, int rank, int nranks,
                                 const uint8_t *places, int domain_gpus, hicclComm_t *out)
{
    hicclComm_t comm = vdc_alloc(sizeof *comm, 64);
    if (comm == NULL)
        return hiccl_fail(NULL, hicclSystemError, "%s: out of guest memory", who);
    memset(comm, 0, sizeof *comm);
    comm->gpu = gpu;
    comm->id = id;
    comm->rank = rank;
    comm->nranks = nranks;
    comm->domain_gpus = domain_gpus;
    memcpy(comm->places, places, (size_t)nranks);
    hicclResult_t result = hiccl_read_overrides(comm);
    if (result == hicclSuccess)
        result = hiccl_gpu_call(comm, gpu_module_load(gpu, &comm->module, VDC_PTX_TEXT(hiccl), VDC_PTX_LENGTH(hiccl)),
                                "load HiCCL's kernels");
    if (result == hicclSuccess && nranks > 1)
        result = connect_all(comm);
    /* Across domains, connecting takes the network's time: no rank launches a kernel that would wait for it. */
    if (result == hicclSuccess && domain_gpus)
        result = hiccl_net_barrier(comm);
    if (result != hicclSuccess) {
        memcpy(last_error, comm->error[0] ? comm->error : last_error, sizeof last_error);
        return result;
    }
    *out = comm;
    return hicclSuccess;
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
    /* Across domains (more ranks than the domain has GPUs): every domain whole, the guests' ranks, place = rank mod
     * the domain's size. */
    int d = (int)domain_size(&info);
    int across = nranks > d;
    if (across && (d < 2 || nranks % d != 0 || (uint32_t)rank != vdc_rank() || (uint32_t)(rank % d) != info.hilink_place))
        return hiccl_fail(NULL, hicclInvalidUsage, "hicclCommInitRank: rank %d of %d on guest %u, at HiLink place %u of "
                    "%u; across HiLink domains a communicator is whole domains of at least two GPUs, rank = the "
                    "guest's rank", rank, nranks, vdc_rank(), info.hilink_place, info.hilink_gpus);
    if (!across && nranks > 1 && ((uint32_t)nranks != info.hilink_gpus || (uint32_t)rank != info.hilink_place))
        return hiccl_fail(NULL, hicclInvalidUsage, "hicclCommInitRank: rank %d of %d on the GPU at HiLink place %u of %u; "
                    "a communicator is the GPUs of one HiLink fabric, rank = place (hicclCommSplit makes smaller ones)",
                    rank, nranks, info.hilink_place, info.hilink_gpus);
    uint8_t places[MAX_RANKS];
    for (int r = 0; r < nranks; r++)
        places[r] = (uint8_t)(across ? (uint32_t)(r % d) : nranks > 1 ? (uint32_t)r : info.hilink_place);
    return comm_create("hicclCommInitRank", gpu, comm_id, rank, nranks, places, across ? d : 0, out);
}

hicclResult_t hicclCommInitFabric(hicclComm_t *comm)
{
    struct gpu_device *gpu;
    struct higpu_info info = {0};
    hicclUniqueId id;
    hicclResult_t r = blade_gpu("hicclCommInitFabric", &gpu, &info);
    int rank = (int)info.hilink_place, nranks = info.hilink_gpus > 1 ? (int)info.hilink_gpus : 1;
    if (r == hicclSuccess)
        r = rank == 0 ? hicclGetUniqueId(&id) : hicclRecvUniqueId(&id);
    if (r == hicclSuccess && rank == 0)
        r = hicclSendUniqueId(&id, nranks);
    return r == hicclSuccess ? hicclCommInitRank(comm, nranks, id, rank) : r;
}

/* Every rank of `comm` calls it: each tells every other its color and key, and those of a color form a new
 * communicator, ranked by key (then by their rank in `comm`), as ncclCommSplit. */
hicclResult_t hicclCommSplit(hicclComm_t comm, int color, int key, hicclComm_t *newcomm, const void *config)
{
    if (comm == NULL || newcomm == NULL)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclCommSplit: comm or newcomm is NULL");
    *newcomm = NULL;
    if (config != NULL)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclCommSplit: config must be NULL (HiCCL has no settings "
                          "per communicator)");
    if (comm->domain_gpus)
        return hiccl_fail(comm, hicclInvalidUsage, "hicclCommSplit: HiCCL splits communicators of one HiLink domain so "
                          "far");
    if (color < 0 && color != HICCL_SPLIT_NOCOLOR)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclCommSplit: color %d; give a color >= 0 or "
                          "HICCL_SPLIT_NOCOLOR", color);
    int32_t colors[MAX_RANKS], keys[MAX_RANKS];
    colors[comm->rank] = color;
    keys[comm->rank] = key;
    int32_t mine[2] = {color, key};
    hicclResult_t result = hicclSuccess;
    for (int r = 0; r < comm->nranks && result == hicclSuccess; r++)
        if (r != comm->rank)
            result = hiccl_comm_send(comm, r, MSG_SPLIT, mine, sizeof mine);
    /* From each rank in turn: messages between two ranks keep their order, so a later split's cannot pass. */
    for (int r = 0; r < comm->nranks && result == hicclSuccess; r++) {
        struct message m;
        int from;
        if (r == comm->rank || (result = hiccl_comm_receive(comm, MSG_SPLIT, r, &m, &from)) != hicclSuccess)
            continue;
        memcpy(&colors[r], m.data, 4);
        memcpy(&keys[r], m.data + 4, 4);
    }
    comm->splits++;
    if (result != hicclSuccess || color == HICCL_SPLIT_NOCOLOR)
        return result;
    /* The members of its color by (key, rank): a selection, for at most MAX_RANKS. */
    uint8_t places[MAX_RANKS];
    int members = 0, new_rank = 0;
    uint8_t taken[MAX_RANKS] = {0};
    for (;;) {
        int best = -1;
        for (int r = 0; r < comm->nranks; r++)
            if (!taken[r] && colors[r] == color && (best < 0 || keys[r] < keys[best]))
                best = r;
        if (best < 0)
            break;
        taken[best] = 1;
        if (best == comm->rank)
            new_rank = members;
        places[members++] = comm->places[best];
    }
    /* The same id on every member, and a different one for each color and each split. */
    uint64_t id = comm->id;
    id = (id ^ comm->splits) * 0x9E3779B97F4A7C15ull;
    id = (id ^ (uint32_t)color ^ (id >> 29)) * 0xBF58476D1CE4E5B9ull;
    return comm_create("hicclCommSplit", comm->gpu, id ^ (id >> 32), new_rank, members, places, 0, newcomm);
}

/* Every rank has got here: each tells rank 0, which tells them all to go on. */
/* Every rank meets (in the mailboxes; across domains, once the network neighbours have made sure neither writes the
 * other's area any more, as hiccl_net_barrier). */
static hicclResult_t barrier(hicclComm_t comm)
{
    struct message m;
    int from;
    hicclResult_t result = hicclSuccess;
    if (comm->domain_gpus) {
        result = hiccl_net_quiesce(comm);
        return result == hicclSuccess ? hiccl_net_barrier(comm) : result;
    }
    if (comm->rank != 0) {
        result = hiccl_comm_send(comm, 0, MSG_ARRIVE, NULL, 0);
        if (result == hicclSuccess)
            result = hiccl_comm_receive(comm, MSG_RELEASE, 0, &m, &from);
        return result;
    }
    for (int r = 1; r < comm->nranks && result == hicclSuccess; r++)
        result = hiccl_comm_receive(comm, MSG_ARRIVE, -1, &m, &from);
    for (int r = 1; r < comm->nranks && result == hicclSuccess; r++)
        result = hiccl_comm_send(comm, r, MSG_RELEASE, NULL, 0);
    return result;
}

/* Its connection buffers (ring, tree, Send/Recv) and its kernels. */
static void release(hicclComm_t comm)
{
    hiccl_net_close(comm);
    if (comm->area != 0)
        gpu_free(comm->gpu, comm->area);
    if (comm->tree_area != 0)
        gpu_free(comm->gpu, comm->tree_area);
    for (int p = 0; p < comm->nranks; p++)
        if (comm->peers[p].mine != 0)
            gpu_free(comm->gpu, comm->peers[p].mine);
    gpu_module_unload(comm->gpu, comm->module);
    memset(comm, 0, sizeof *comm);
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
    release(comm);
    return hicclSuccess;
}

/* Without waiting for the other ranks (NCCL's abort ends a communicator that hangs): once this GPU's kernels have
 * ended (a collective that waits for ever ends at gpu.kernel_timeout), its buffers and kernels go. A peer's kernel
 * still running may then fault on the freed buffers; it does not write anywhere else. */
hicclResult_t hicclCommAbort(hicclComm_t comm)
{
    if (comm == NULL)
        return hicclSuccess;
    gpu_synchronize(comm->gpu);
    release(comm);
    return hicclSuccess;
}

/* Where each channel of the connections in `area` stopped (`label` names them: "" on a ring): its counts and its
 * neighbours' flags, read from the GPU (the kernel keeps its counts current in memory, and marks a channel that is
 * in a collective). It receives from rank `from` and sends to rank `to` (none when negative). */
static size_t describe_stop(hicclComm_t comm, size_t used, uint64_t area, const char *label, const int *from,
                            const int *to)
{
    static char what[HICCL_CHANNELS][64]; /* what each channel waits for, empty when nothing */
    for (uint32_t c = 0; c < HICCL_CHANNELS; c++) {
        uint64_t flags[8] = {0}; /* tail, head, sent, received, in a collective, LL head, LL sent, LL received */
        what[c][0] = '\0';
        if (gpu_memcpy_d2h(comm->gpu, flags, area + c * AREA_BYTES + FLAGS_AT, sizeof flags) != GPU_SUCCESS ||
            flags[4] == 0)
            continue;
        if (comm->last_protocol == HICCL_PROTO_LL) {
            /* LL has no tail: a channel that is not waiting for a free slot waits for lines of its next step */
            flags[0] = flags[7];
            flags[1] = flags[5];
            flags[2] = flags[6];
            flags[3] = flags[7];
        }
        if (to[c] >= 0 && flags[2] - flags[1] >= HICCL_STEPS)
            snprintf(what[c], sizeof what[c], "for rank %d to free a slot (sent %llu)", to[c],
                     (unsigned long long)flags[2]);
        else if (from[c] >= 0 && flags[0] <= flags[3])
            snprintf(what[c], sizeof what[c], "for rank %d to send slot %llu", from[c],
                     (unsigned long long)flags[3] + 1);
    }
    /* Channels in the same state, one after another, as one line: "channels 0-15 wait for ...". */
    for (uint32_t c = 0; c < HICCL_CHANNELS && used < sizeof comm->error;) {
        uint32_t end = c + 1;
        while (end < HICCL_CHANNELS && strcmp(what[end], what[c]) == 0)
            end++;
        if (what[c][0] != '\0' && end - c == 1)
            used += (size_t)snprintf(comm->error + used, sizeof comm->error - used, "; channel %u%s waits %s", c,
                                     label, what[c]);
        else if (what[c][0] != '\0')
            used += (size_t)snprintf(comm->error + used, sizeof comm->error - used, "; channels %u-%u%s wait %s", c,
                                     end - 1, label, what[c]);
        c = end;
    }
    return used;
}

/* Where the last collective stopped: on a ring, each channel's one connection; on the chain, its connection down
 * (from the parent, to the child) and up (from the child, to the parent), and across domains each of the heads'
 * links (both ways). Each channel with its own neighbours (across domains its ring and chain have their own order). */
static size_t describe_collective_stop(hicclComm_t comm, size_t used)
{
    int ring = comm->last_algorithm == HICCL_ALGO_RING;
    int before[HICCL_CHANNELS], after[HICCL_CHANNELS], across[HICCL_CHANNELS];
    for (uint32_t c = 0; c < HICCL_CHANNELS; c++)
        hiccl_net_neighbours(comm, ring, c, &before[c], &after[c]);
    if (ring)
        return describe_stop(comm, used, comm->area, "", before, after);
    used = describe_stop(comm, used, comm->area, " (down)", before, after);
    if (used < sizeof comm->error)
        used = describe_stop(comm, used, comm->tree_area, " (up)", after, before);
    const struct hiccl_net *n = &comm->net;
    for (uint32_t k = 0; k < n->tree_links_used && used < sizeof comm->error; k++) {
        for (uint32_t c = 0; c < HICCL_CHANNELS; c++)
            across[c] = n->path[NET_TREE + k].channel[c].role != NET_NONE ? n->tree_link[k].peer : -1;
        used = describe_stop(comm, used, n->tree_area + k * NET_LINK_BYTES, " (across)", across, across);
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
        hiccl_describe_p2p_stop(comm, describe_collective_stop(comm, used));
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
    return hiccl_comm_send(comm, rank, MSG_OOB, data, bytes);
}

hicclResult_t hicclOobRecv(hicclComm_t comm, int rank, void *data, uint32_t bytes)
{
    if (comm == NULL || rank < 0 || rank >= comm->nranks || bytes > sizeof((struct message *)0)->data)
        return hiccl_fail(comm, hicclInvalidArgument, "hicclOobRecv: rank %d, %u bytes", rank, bytes);
    struct message m;
    int from;
    hicclResult_t result = hiccl_comm_receive(comm, MSG_OOB, rank, &m, &from);
    if (result == hicclSuccess)
        memcpy(data, m.data, bytes);
    return result;
}

/* ---- collectives ---- */

/* The kernels' names: hiccl_ring_<type> and hiccl_tree_<type>. */
static const char *const type_name[hicclNumTypes] = {"int8",   "uint8",   "int32",   "uint32",  "int64",
                                                     "uint64", "float16", "float32", "float64", "bfloat16"};

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

/* A tree's chunk: a step of the protocol, and for Simple halved (not below 128, 64 and 32 KiB) while the channels
 * would each have fewer than 8, 4 and 1 chunks per hop of the chain's depth, as NCCL sizes a tree's chunks
 * (enqueue.cc, pattern TreeUpDown), so that small collectives still fill the chain's pipeline. */
static uint64_t tree_chunk_bytes(const struct hicclComm *comm, int protocol, uint64_t bytes, uint64_t channels)
{
    if (protocol == HICCL_PROTO_LL)
        return LL_SLOT_DATA;
    /* the tree's depth (NCCL's: the chain, then the hops between domains, floor(log2(domains))) */
    uint64_t chunk = SLOT_BYTES, depth = (uint64_t)comm->nranks - 1;
    if (comm->domain_gpus) {
        depth = (uint64_t)comm->domain_gpus - 1;
        for (int domains = comm->nranks / comm->domain_gpus; domains > 1; domains /= 2)
            depth++;
    }
    while (bytes / (channels * chunk) < depth * 8 && chunk > 131072)
        chunk /= 2;
    while (bytes / (channels * chunk) < depth * 4 && chunk > 65536)
        chunk /= 2;
    while (bytes / (channels * chunk) < depth && chunk > 32768)
        chunk /= 2;
    return chunk;
}

/* The collective's channels (blocks; a tree has two per channel) and threads per block, as NCCL shapes a launch
 * (enqueue.cc): while a thread would have fewer bytes than its protocol's threshold, one channel less, then at one
 * channel half the threads, not below 64. So a small collective runs on one channel of two warps, not on every
 * channel with a few bytes or none each. Across HiLink domains every channel runs: the proxy's plan and stand-in
 * areas are laid out for all of them (hiccl_net.c). */
static void launch_shape(const struct hicclComm *comm, int algorithm, int protocol, uint64_t bytes, uint32_t *channels,
                         uint32_t *threads)
{
    uint64_t nc = HICCL_CHANNELS, nt = THREADS;
    uint64_t threshold = protocol == HICCL_PROTO_LL ? LL_THREAD_THRESHOLD : SIMPLE_THREAD_THRESHOLD;
    if (algorithm == HICCL_ALGO_RING && protocol == HICCL_PROTO_LL)
        threshold *= (uint64_t)comm->nranks;
    while (comm->domain_gpus == 0 && bytes < nc * nt * threshold) {
        if (nc >= 2)
            nc--;
        else if (nt % 128 == 0)
            nt /= 2;
        else
            break;
    }
    *channels = (uint32_t)nc;
    *threads = (uint32_t)nt;
}

/* The collective's kernel on every channel, with the algorithm and protocol the cost model (or NCCL_ALGO and
 * NCCL_PROTO) gives; `count` elements (AllReduce) or elements per rank. */
static hicclResult_t launch_collective(hicclComm_t comm, int collective, uint64_t sendbuff, uint64_t recvbuff,
                                       size_t count, hicclDataType_t datatype, hicclRedOp_t op, int root,
                                       uint32_t stream)
{
    /* nccl-tests' size of the collective: the whole result or input */
    uint64_t bytes = count * hicclTypeSize(datatype) *
                     (collective == RING_REDUCE_SCATTER || collective == RING_ALL_GATHER ? (uint64_t)comm->nranks : 1);
    int algorithm, protocol;
    hiccl_choose(comm, collective, bytes, &algorithm, &protocol);
    comm->last_algorithm = algorithm;
    comm->last_protocol = protocol;
    uint32_t channels, threads;
    launch_shape(comm, algorithm, protocol, bytes, &channels, &threads);
    char kernel[32];
    snprintf(kernel, sizeof kernel, "hiccl_%s_%s", algorithm == HICCL_ALGO_TREE ? "tree" : "ring",
             type_name[datatype]);
    if (algorithm == HICCL_ALGO_TREE) {
        struct tree_args {
            uint64_t send, recv, count;
            int32_t op, rank, nranks, pad0;
            uint64_t my_area, next_area, prev_area, tree_area, parent_tree_area, child_tree_area, area_stride;
            uint64_t slot_bytes, flags_at;
            int32_t ll, pad1;
            uint64_t ll_at, ll_slot_bytes, chunk_bytes, net_in, net_out, net_flags, net_link_stride;
            int32_t domain_gpus;
            uint32_t tree_links;
        } args = {sendbuff, recvbuff, count, kernel_op[op], comm->rank, comm->nranks, 0,
                  comm->area, comm->next_area, comm->prev_area, comm->tree_area, comm->parent_tree_area,
                  comm->child_tree_area, AREA_BYTES, SLOT_BYTES, FLAGS_AT, protocol == HICCL_PROTO_LL, 0, LL_AT,
                  LL_SLOT_DATA, tree_chunk_bytes(comm, protocol, bytes, channels), 0, 0, 0, 0, comm->domain_gpus,
                  0777777};
        /* Across domains the heads' steps go through the proxy (hiccl_net.c). */
        if (comm->domain_gpus) {
            hiccl_net_plan_tree(comm, count, (uint32_t)hicclTypeSize(datatype), protocol, args.chunk_bytes);
            hiccl_net_tree_args(comm, &args.net_in, &args.net_out, &args.net_flags, &args.net_link_stride,
                                &args.tree_links);
        }
        return hiccl_gpu_call(comm, gpu_launch_async(comm->gpu, stream, comm->module, kernel,
                                                     (struct gpu_dim3){2 * channels, 1, 1},
                                                     (struct gpu_dim3){threads, 1, 1}, 0, &args, sizeof args),
                              "launch");
    }
    /* Across domains: the proxy forwards what the kernel writes to its stand-in areas (hiccl_net.c). */
    if (comm->domain_gpus)
        hiccl_net_plan(comm, collective, count, (uint32_t)hicclTypeSize(datatype), root, protocol);
    struct ring_args {
        int32_t collective, pad0;
        uint64_t send, recv, count;
        int32_t op, rank, nranks, root;
        uint64_t my_area, next_area, prev_area, area_stride, slot_bytes, flags_at;
        int32_t ll, pad1;
        uint64_t ll_at, ll_slot_bytes, net_area;
        int32_t domain_gpus;
    } args = {collective, 0, sendbuff, recvbuff, count, kernel_op[op], comm->rank, comm->nranks, root,
              comm->area, comm->next_area, comm->prev_area, AREA_BYTES, SLOT_BYTES, FLAGS_AT,
              protocol == HICCL_PROTO_LL, 0, LL_AT, LL_SLOT_DATA, comm->net.staging, comm->domain_gpus};
    return hiccl_gpu_call(comm, gpu_launch_async(comm->gpu, stream, comm->module, kernel,
                                                 (struct gpu_dim3){channels, 1, 1},
                                                 (struct gpu_dim3){threads, 1, 1}, 0, &args,
                                                 offsetof(struct ring_args, domain_gpus) + sizeof args.domain_gpus),
                          "launch"); /* the parameters' size without the struct's padding at its end */
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
    return launch_collective(comm, kind, sendbuff, recvbuff, count, datatype, op, root, stream);
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
