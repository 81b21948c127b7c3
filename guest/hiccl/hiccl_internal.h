/* What HiCCL's files share: the communicator, the connection areas' layout, the mailbox messages and the one path
 * for errors. Not for programs: they include hiccl.h. */
#ifndef VDC_GUEST_HICCL_INTERNAL_H
#define VDC_GUEST_HICCL_INTERNAL_H

#include "hiccl.h"
#include "vdc_guest.h"

#define MAGIC 0x4c434348u /* "HCCL" */
#define MAX_RANKS 64
#define SLOT_BYTES (HICCL_BUFFSIZE / HICCL_STEPS)
/* A connection's area, in its receiver's memory: the slots, then the flags the kernels name (the slots the sender
 * has sent here, of this GPU's slots those its receiver has consumed, this GPU's own counts of slots sent and
 * received). A ring's channels' areas follow one another in one allocation; Send/Recv has one area per peer. */
#define FLAGS_AT HICCL_BUFFSIZE
#define AREA_BYTES (FLAGS_AT + 256)
#define THREADS 256

enum message_kind { MSG_ID = 1, MSG_CONNECT = 2, MSG_OOB = 3, MSG_ARRIVE = 4, MSG_RELEASE = 5, MSG_P2P = 6 };

/* A mailbox message of HiCCL's (64 bytes). */
struct message {
    uint32_t magic, kind;
    uint64_t comm_id;
    uint32_t rank, bytes;
    uint8_t data[40];
};

/* A Send/Recv connection with one peer, made at the first operation with it: this GPU's areas for the peer (one per
 * channel), the peer's for this GPU, and each channel's count of slots queued so far each way (what the kernels'
 * counters will reach). */
struct p2p_connection {
    uint64_t mine, remote;
    uint64_t sent[HICCL_P2P_CHANNELS], received[HICCL_P2P_CHANNELS];
};

struct hicclComm {
    struct gpu_device *gpu;
    struct gpu_module_handle module;
    uint64_t id;
    int rank, nranks;
    uint64_t area;                 /* its own connection areas, HICCL_CHANNELS of them */
    uint64_t next_area, prev_area; /* its neighbours', opened from their handles */
    struct p2p_connection peers[MAX_RANKS];
    char error[512];
};

/* The one path for errors: the message goes to the communicator (or the last-error text without one). */
hicclResult_t hiccl_fail(hicclComm_t comm, hicclResult_t result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* hicclSuccess for GPU_SUCCESS, else the GPU's message after `what`. */
hicclResult_t hiccl_gpu_call(hicclComm_t comm, int status, const char *what);

/* Mailbox messages of `kind` for communicator `comm_id`: sent to a HiLink place, received from one (`from`, or any
 * when negative; those that come first for something else are kept until asked for). */
hicclResult_t hiccl_mail_send(struct gpu_device *gpu, uint32_t place, uint32_t kind, uint64_t comm_id, uint32_t rank,
                              const void *data, uint32_t bytes);
hicclResult_t hiccl_mail_receive(struct gpu_device *gpu, uint32_t kind, uint64_t comm_id, int from,
                                 struct message *out, uint32_t *sender);

/* Where the communicator's Send/Recv connections stopped, appended to its error text from `used` (a collective
 * that never ended). */
size_t hiccl_describe_p2p_stop(hicclComm_t comm, size_t used);

#endif
