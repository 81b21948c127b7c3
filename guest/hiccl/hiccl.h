/* HiCCL: NCCL-style collectives for guest programs on the rack's GPUs (docs/hiccl.md). Names follow NCCL's with the
 * hiccl prefix; buffers are device addresses of the blade's GPU (vdc_gpu.h), streams its stream numbers. This first
 * part of it: communicators of the GPUs of one HiLink fabric (one rank per GPU, rank = its place); AllReduce,
 * ReduceScatter, AllGather, Broadcast and Reduce on a ring with NCCL's Simple and LL protocols over HICCL_CHANNELS
 * channels; Send/Recv and groups of them; AllReduce across HiLink domains through the blades' NICs. */
#ifndef VDC_GUEST_HICCL_H
#define VDC_GUEST_HICCL_H

#include <stddef.h>
#include <stdint.h>

#include "vdc_gpu.h"

typedef enum {
    hicclSuccess = 0,
    hicclUnhandledCudaError = 1, /* the GPU refused a command: hicclGetLastError says which */
    hicclSystemError = 2,
    hicclInternalError = 3,
    hicclInvalidArgument = 4,
    hicclInvalidUsage = 5,
    hicclRemoteError = 6,
    hicclInProgress = 7,
    hicclNumResults = 8
} hicclResult_t;

/* NCCL's numbering. */
typedef enum {
    hicclInt8 = 0, hicclChar = 0, hicclUint8 = 1, hicclInt32 = 2, hicclInt = 2, hicclUint32 = 3, hicclInt64 = 4,
    hicclUint64 = 5, hicclFloat16 = 6, hicclHalf = 6, hicclFloat32 = 7, hicclFloat = 7, hicclFloat64 = 8,
    hicclDouble = 8, hicclBfloat16 = 9, hicclNumTypes = 10
} hicclDataType_t;

typedef enum { hicclSum = 0, hicclProd = 1, hicclMax = 2, hicclMin = 3, hicclAvg = 4, hicclNumOps = 5 } hicclRedOp_t;

#define HICCL_UNIQUE_ID_BYTES 128
typedef struct {
    char internal[HICCL_UNIQUE_ID_BYTES];
} hicclUniqueId;

typedef struct hicclComm *hicclComm_t;

/* Slots of a connection's buffer and the buffer's size (NCCL_STEPS and NCCL_BUFFSIZE). */
#define HICCL_STEPS 8
#define HICCL_BUFFSIZE (4u << 20)
/* Channels a collective runs on: one block each, each with its own connections and part of the data. */
#define HICCL_CHANNELS 16
/* Channels of one Send or Recv: blocks that each move a part of it through their own connection with the peer. */
#define HICCL_P2P_CHANNELS 4

const char *hicclGetErrorString(hicclResult_t result);
/* The message of the communicator's last error (or of the last call without one). */
const char *hicclGetLastError(hicclComm_t comm);

/* A new id for a communicator; rank 0 makes it and hands it to the others (hicclSendUniqueId). */
hicclResult_t hicclGetUniqueId(hicclUniqueId *id);
/* Without a host network, the id travels in the GPUs' mailboxes: rank 0 sends it to ranks 1 .. nranks-1, each of
 * them receives it. */
hicclResult_t hicclSendUniqueId(const hicclUniqueId *id, int nranks);
hicclResult_t hicclRecvUniqueId(hicclUniqueId *id);
/* Every GPU of the blade's HiLink fabric in one communicator, rank = its place (every guest calls it): rank 0 makes
 * the id and mails it to the others, as an MPI job's ranks would broadcast it before hicclCommInitRank. */
hicclResult_t hicclCommInitFabric(hicclComm_t *comm);
/* The guests of the run, as the blade's NIC lists them (0 without a NIC): with HiLink domains of several GPUs each, a
 * communicator of every guest's GPU spans the domains, its ranks the guests' (docs/hiccl.md, "Across racks"). */
uint32_t hicclGuestCount(void);
/* Joins the communicator `id` as `rank` of `nranks`, on the blade's GPU: ranks are the places of the GPUs of its
 * HiLink fabric, in order, and form a ring; every rank must call it. */
hicclResult_t hicclCommInitRank(hicclComm_t *comm, int nranks, hicclUniqueId id, int rank);
/* Every rank of `comm` calls it; those with the same color (>= 0) form a new communicator, ranked by key and then
 * by their rank in `comm`; HICCL_SPLIT_NOCOLOR gives *newcomm NULL. config: NULL. */
#define HICCL_SPLIT_NOCOLOR (-1)
hicclResult_t hicclCommSplit(hicclComm_t comm, int color, int key, hicclComm_t *newcomm, const void *config);
/* After the communicator's last calls on every rank: waits for them (a barrier), then frees its buffers. */
hicclResult_t hicclCommDestroy(hicclComm_t comm);
/* Frees it without waiting for the other ranks (after a hang, say): only for this GPU's kernels to end. */
hicclResult_t hicclCommAbort(hicclComm_t comm);
/* Waits for the communicator's collectives; *asyncError says whether one failed, and hicclGetLastError then says how
 * and, for a collective that never ended (gpu.kernel_timeout: the ranks' calls did not match), what each channel of
 * this rank was waiting for. */
hicclResult_t hicclCommGetAsyncError(hicclComm_t comm, hicclResult_t *async_error);
hicclResult_t hicclCommCount(const hicclComm_t comm, int *count);
hicclResult_t hicclCommUserRank(const hicclComm_t comm, int *rank);
/* The GPU the communicator runs on (for the caller's own copies and events). */
struct gpu_device *hicclCommGpu(const hicclComm_t comm);

/* recvbuff[i] = op over the ranks of sendbuff[i], for i < count, on every rank; queued on `stream`. In place when
 * the two are the same. */
hicclResult_t hicclAllReduce(uint64_t sendbuff, uint64_t recvbuff, size_t count, hicclDataType_t datatype,
                             hicclRedOp_t op, hicclComm_t comm, uint32_t stream);
/* recvbuff[i] = op over the ranks of sendbuff[rank * recvcount + i], for i < recvcount. */
hicclResult_t hicclReduceScatter(uint64_t sendbuff, uint64_t recvbuff, size_t recvcount, hicclDataType_t datatype,
                                 hicclRedOp_t op, hicclComm_t comm, uint32_t stream);
/* recvbuff[r * sendcount + i] = rank r's sendbuff[i]. */
hicclResult_t hicclAllGather(uint64_t sendbuff, uint64_t recvbuff, size_t sendcount, hicclDataType_t datatype,
                             hicclComm_t comm, uint32_t stream);
/* recvbuff[i] = the root's sendbuff[i] on every rank (sendbuff read on the root only). */
hicclResult_t hicclBroadcast(uint64_t sendbuff, uint64_t recvbuff, size_t count, hicclDataType_t datatype, int root,
                             hicclComm_t comm, uint32_t stream);
/* On the root, recvbuff[i] = op over the ranks of sendbuff[i]. */
hicclResult_t hicclReduce(uint64_t sendbuff, uint64_t recvbuff, size_t count, hicclDataType_t datatype,
                          hicclRedOp_t op, int root, hicclComm_t comm, uint32_t stream);

/* Point to point: `count` elements to or from rank `peer`, queued on `stream`. A send and the peer's receive must
 * name as many bytes. Outside a group each is a group of one and waits (on the GPU) for its match; inside
 * hicclGroupStart/hicclGroupEnd they run together, so that a group may send to and receive from many peers at once
 * (AlltoAll is such a group). The first operation with a peer connects the two (HICCL_P2P_CHANNELS buffers of
 * HICCL_BUFFSIZE in each); a peer in another HiLink domain is connected, through the NICs, when the communicator is
 * made. */
hicclResult_t hicclSend(uint64_t sendbuff, size_t count, hicclDataType_t datatype, int peer, hicclComm_t comm,
                        uint32_t stream);
hicclResult_t hicclRecv(uint64_t recvbuff, size_t count, hicclDataType_t datatype, int peer, hicclComm_t comm,
                        uint32_t stream);
/* Groups nest; the outermost hicclGroupEnd runs the operations queued since its hicclGroupStart. Collectives called
 * inside a group are queued on their stream at once, not fused with the group's other operations. */
hicclResult_t hicclGroupStart(void);
hicclResult_t hicclGroupEnd(void);

/* A program's own messages between the ranks of a communicator (up to 40 bytes), standing in for the host network
 * (MPI in nccl-tests) the guests do not have: they travel in the GPUs' mailboxes beside HiCCL's own. */
hicclResult_t hicclOobSend(hicclComm_t comm, int rank, const void *data, uint32_t bytes);
hicclResult_t hicclOobRecv(hicclComm_t comm, int rank, void *data, uint32_t bytes);

/* Bytes of one element of `type` (0 for none). */
size_t hicclTypeSize(hicclDataType_t type);

#endif
