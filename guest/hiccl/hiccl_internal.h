/* What HiCCL's files share: the communicator, the connection areas' layout, the mailbox messages and the one path
 * for errors. Not for programs: they include hiccl.h. */
#ifndef VDC_GUEST_HICCL_INTERNAL_H
#define VDC_GUEST_HICCL_INTERNAL_H

#include "hiccl.h"
#include "vdc_guest.h"

#define MAGIC 0x4c434348u /* "HCCL" */
#define MAX_RANKS 64
#define MAX_DOMAINS (MAX_RANKS / 2) /* HiLink domains of a communicator: at least two GPUs each */
#define SLOT_BYTES (HICCL_BUFFSIZE / HICCL_STEPS)
/* A connection's area, in its receiver's memory: the Simple protocol's slots, then the flags the kernels name (the
 * slots the sender has sent here, of this GPU's slots those its receiver has consumed, this GPU's own counts of
 * slots sent and received, whether the channel is in a collective, and the same counts for LL), then the LL
 * protocol's lines. A ring's channels' areas follow one another in one allocation; Send/Recv has one area per peer
 * and channel. */
#define FLAGS_AT HICCL_BUFFSIZE
#define THREADS 256
/* LL: each of a block's threads moves LL_LINES_PER_THREAD 16-byte lines (8 data bytes each) per step, in
 * HICCL_STEPS slots, as NCCL's LL buffer (NCCL_LL_LINES_PER_THREAD 8 lines per thread per step). */
#define LL_LINES_PER_THREAD 8
#define LL_SLOT_DATA (LL_LINES_PER_THREAD * THREADS * 8)
#define LL_AT (FLAGS_AT + 256)
/* A collective's bytes per thread below which its kernel gets fewer channels, then fewer threads (NCCL's
 * NCCL_LL_THREAD_THRESHOLD, times the ranks for a ring, and NCCL_SIMPLE_THREAD_THRESHOLD): hiccl.c, launch_shape. */
#define LL_THREAD_THRESHOLD 8
#define SIMPLE_THREAD_THRESHOLD 64
#define AREA_BYTES (LL_AT + HICCL_STEPS * LL_SLOT_DATA * 2)

/* Protocols and algorithms, and the kinds of ring collective (the kernel's codes). */
enum hiccl_protocol { HICCL_PROTO_LL = 0, HICCL_PROTO_SIMPLE = 1, HICCL_PROTO_COUNT = 2 };
enum hiccl_algorithm { HICCL_ALGO_RING = 0, HICCL_ALGO_TREE = 1, HICCL_ALGO_COUNT = 2 };
enum { RING_ALL_REDUCE = 0, RING_REDUCE_SCATTER = 1, RING_ALL_GATHER = 2, RING_BROADCAST = 3, RING_REDUCE = 4 };

#define RELAY_KINDS 6 /* a relay of QP details between domains takes this many kinds from its first */
enum message_kind {
    MSG_ID = 1, MSG_CONNECT = 2, MSG_OOB = 3, MSG_ARRIVE = 4, MSG_RELEASE = 5, MSG_P2P = 6, MSG_TREE_CONNECT = 7,
    MSG_SPLIT = 8, MSG_TOKEN = 9,
    /* relays (hiccl_net.c, relay_dests) */
    MSG_RAIL_OUT = 10 /* the ring's */, MSG_TREE_OUT = MSG_RAIL_OUT + RELAY_KINDS /* the tree's, one per distance */,
    MSG_P2P_RELAY = MSG_TREE_OUT + RELAY_KINDS * MAX_DOMAINS /* Send/Recv's, one per distance and place shift */
};

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

/* The network transport (hiccl_net.c): each channel's ring enters and leaves a HiLink domain at its own pair of
 * places (rail-optimised, guest/kernels/hiccl.cu Order), so a GPU sends to the next domain on the channels it leaves
 * by and receives from the previous one on those it enters by, each way over one RC QP of its NIC. A tree across
 * domains joins each channel's chain heads (the same place in every domain) in NCCL's double binary tree of the
 * domains, over one QP, both ways, per neighbouring domain in either tree: at most NET_TREE_LINKS of them. */
#define NET_VALUES 64      /* host copies of the flag values posted, per channel, protocol and path */
#define NET_SEND_DEPTH 512 /* RDMA writes in flight */
#define NET_BATCH 32       /* RDMA writes posted with one doorbell (one guest exit) */
#define NET_FLAG_BYTES 64  /* per channel and path, after the ring's stand-in areas: the kernel's tail ([0]) or head
                              ([1]), and LL's ([2], [3]) */
#define NET_PLAN_LL 0x80000000u /* in a planned step's bytes: the step is LL's (its lines' bytes) */
enum net_role { NET_NONE = 0, NET_OUT = 1, NET_IN = 2 }; /* bits: a tree's channel crosses both ways */
#define NET_TREE_LINKS 6    /* a domain's neighbours in a double binary tree: a parent and two children in each */
#define NET_LINK_BYTES (HICCL_CHANNELS * AREA_BYTES) /* a tree link's areas (one per channel), and its stand-ins */
/* The paths: the ring's, the tree's links, then Send/Recv's with each rank of the other domains (path p2p_first +
 * rank, right after the tree's links, so that a proxy round's one read of the flags spans no unused path). */
enum net_path_index { NET_RING = 0, NET_TREE = 1, NET_PATHS = NET_TREE + NET_TREE_LINKS + MAX_RANKS };
struct net_plan {          /* the bytes of the send steps launched and not yet forwarded, in order, each with its
                              protocol (NET_PLAN_LL) */
    uint32_t *bytes;
    uint32_t head, count, capacity;
};
struct ibv_cq;
struct ibv_qp;
struct ibv_mr;
struct ibv_send_wr;
struct ibv_sge;
struct net_link {          /* a QP to another domain's GPU: the ring's to the next domain (out) or from the
                              previous (in), or the tree's to a neighbouring domain's head */
    int peer;              /* its rank */
    struct ibv_qp *qp;
    uint64_t peer_area;    /* the peer's connection areas (data and tails go there, or heads) */
    uint32_t peer_rkey;
    struct ibv_send_wr *batch; /* NET_BATCH writes gathered in a round, posted together */
    struct ibv_sge *batch_sge;
    uint32_t batched;
};
/* A channel's crossing on a path. Per protocol (each counts its own steps): the steps (or heads) gone to the peer,
 * and where it receives, the heads the kernels will have written; where it sends, the steps' bytes in order. */
struct net_channel {
    uint8_t role;
    struct net_plan plan;
    uint64_t forwarded_steps[HICCL_PROTO_COUNT], forwarded_heads[HICCL_PROTO_COUNT];
    uint64_t expected[HICCL_PROTO_COUNT];
};
struct net_path {          /* the ring's crossings, the tree's, or Send/Recv's with one peer */
    struct net_link *out, *in;
    uint64_t stand_in;     /* the kernel's stand-in for the peers' areas (HICCL_CHANNELS of them), in this GPU */
    uint32_t lkey;         /* the stand-in's registration */
    struct net_channel channel[HICCL_CHANNELS];
};
struct hiccl_net {
    int used;              /* 1 when the communicator spans domains */
    uint32_t tree_links_used; /* the tree's links: one per neighbouring domain in either of the two trees */
    uint32_t tree_roles;   /* which link is tree t's parent and children: the tree kernel's `tree_links` */
    uint32_t p2p_first;    /* the path of Send/Recv with rank 0 (NET_TREE + tree_links_used) */
    struct net_link out, in, tree_link[NET_TREE_LINKS];
    struct net_link *p2p_links;   /* one per rank (those of the other domains used) */
    struct ibv_mr **p2p_mrs;      /* per rank: its Send/Recv area here (2 r) and its stand-in (2 r + 1) */
    uint32_t paths_used;          /* paths below this one may have channels */
    struct ibv_cq *cq;     /* the QPs' */
    struct ibv_mr *area_mr, *tree_area_mr, *staging_mr, *values_mr;
    uint64_t tree_area;    /* the tree's receiving areas, per link: its neighbouring domain's head writes there */
    uint64_t staging;      /* the ring's stand-in areas, then every path's flags, then the tree links' stand-ins */
    uint64_t *flags;       /* the flags' host copy, read in one copy per round */
    uint32_t stream, outstanding;
    uint64_t *values;      /* paths_used * HICCL_CHANNELS * HICCL_PROTO_COUNT * NET_VALUES */
    struct net_path path[NET_PATHS];
};

struct hicclComm {
    struct gpu_device *gpu;
    struct gpu_module_handle module;
    uint64_t id;
    int rank, nranks;
    uint8_t places[MAX_RANKS]; /* each rank's HiLink place: the rank itself, unless split from a larger one */
    int domain_gpus;           /* across HiLink domains: the ranks per domain (rank r in domain r / this); else 0 */
    struct hiccl_net net;
    uint32_t splits;           /* hicclCommSplit calls made on it, for the new communicators' ids */
    uint64_t area;                 /* its own ring connection areas, HICCL_CHANNELS of them */
    uint64_t next_area, prev_area; /* its neighbours', opened from their handles */
    /* The chain's (tree's) connections upwards: its own areas, where its child writes, and its parent's and child's
     * (0 on the root and the last rank); downwards the chain uses the ring's connection to the next rank. */
    uint64_t tree_area, parent_tree_area, child_tree_area;
    struct p2p_connection peers[MAX_RANKS];
    unsigned protocols;     /* the hiccl_protocols the cost model chooses among, a bit each (NCCL_PROTO) */
    unsigned algorithms;    /* the hiccl_algorithms AllReduce chooses among, a bit each (NCCL_ALGO) */
    int last_protocol;      /* of the last collective, for the hang report */
    int last_algorithm;
    char error[512];
};

/* A channel's part of `count` items as the kernels cut it (guest/kernels/hiccl.cu channel_part and hiccl_p2p):
 * equal parts of whole `unit`s over `channels`, the first ones a unit more, the last also what is left; from
 * `*first`, `*length` items. */
static inline void hiccl_part(uint64_t count, uint64_t unit, uint32_t c, uint32_t channels, uint64_t *first,
                              uint64_t *length)
{
    uint64_t units = count / unit, each = units / channels, more = units % channels;
    *first = (c * each + (c < more ? c : more)) * unit;
    *length = (each + (c < more ? 1 : 0)) * unit + (c == channels - 1 ? count - units * unit : 0);
}

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

/* Mailbox messages between the communicator's ranks: to rank `rank`; from rank `from` (any when negative), the
 * sender's rank in `*sender`. */
hicclResult_t hiccl_comm_send(hicclComm_t comm, int rank, uint32_t kind, const void *data, uint32_t bytes);
hicclResult_t hiccl_comm_receive(hicclComm_t comm, uint32_t kind, int from, struct message *out, int *sender);

/* The cost model (hiccl_tuning.c): the algorithm and protocol a collective of `kind` on `nranks` ranks (in
 * `domains` HiLink domains) moving `bytes` (the size nccl-tests reports) runs with (the communicator's overrides
 * kept), and the predicted time in microseconds of one pair. Trees run AllReduce only. */
void hiccl_choose(const struct hicclComm *comm, int kind, uint64_t bytes, int *algorithm, int *protocol);
double hiccl_predict_us(int kind, int algorithm, int protocol, int nranks, int domains, uint64_t bytes);
/* NCCL_PROTO and NCCL_ALGO from the guest's arguments (words NAME=VALUE, as NCCL reads its environment):
 * -1 when not given; an unknown value is an error. */
hicclResult_t hiccl_read_overrides(hicclComm_t comm);

/* The network transport (hiccl_net.c). The unique id over the NIC from the previous guest (the last of the previous
 * domain) or to the next; connecting this rank's QPs to the next and the previous domain (their details relayed
 * over the domains' bootstrap pairs); each channel's send steps of a ring collective, queued before its launch;
 * making sure nothing more will be written to either end; a barrier of every rank of a communicator across domains;
 * freeing it. */
/* The guest's bootstrap connection made as early as the unique id's exchange starts, when the guests are whole
 * domains with NICs and this GPU is its domain's first or last: a message that reached a peer whose QP did not exist
 * yet would wait for the bootstrap's retransmission (67 ms). */
hicclResult_t hiccl_net_open_early(uint32_t place, uint32_t domain_gpus);
hicclResult_t hiccl_net_receive_id(int rank, uint8_t id[8], uint32_t *nranks);
hicclResult_t hiccl_net_send_id(int rank, const uint8_t id[8], uint32_t nranks);
hicclResult_t hiccl_net_connect(hicclComm_t comm);
void hiccl_net_plan(hicclComm_t comm, int collective, uint64_t count, uint32_t size, int root, int protocol);
/* A tree AllReduce's steps over the network (chunks of `chunk_bytes`), and the kernel's parameters for it: where its
 * head receives (link k's areas `link_stride` bytes after link k - 1's), its stand-ins, its flags, and which link is
 * each tree's parent and children (the tree kernel's `tree_links`, guest/kernels/hiccl.cu). */
void hiccl_net_plan_tree(hicclComm_t comm, uint64_t count, uint32_t size, int protocol, uint64_t chunk_bytes);
void hiccl_net_tree_args(hicclComm_t comm, uint64_t *net_in, uint64_t *net_out, uint64_t *net_flags,
                         uint64_t *link_stride, uint32_t *tree_links);
/* NCCL's double binary tree of `nodes` nodes (graph/trees.cc): node `node`'s parent and children in tree `tree` (0
 * or 1), -1 where there is none; and the depth of either tree (the hops from its root to its farthest leaf). */
void hiccl_dtree(int nodes, int node, int tree, int *parent, int children[2]);
int hiccl_tree_depth(int nodes);
/* Channel c's neighbours of this rank, -1 where there is none: on the ring (`ring`), the ranks before and after it;
 * on the tree, its chain parent and child. Across domains, in the channel's own order (hiccl_net.c); else the ranks
 * in order. The tree's links across domains are in comm->net (their peers, and the channels each serves). */
void hiccl_net_neighbours(hicclComm_t comm, int ring, uint32_t c, int *before, int *after);
/* Send/Recv with a rank of another domain: the proxy's 64 bytes per channel
 * for its counts (the kernel's P2pOp.net_flags), and the steps of a send (their bytes) or a receive (their number)
 * of `bytes` on each channel, queued before the launch. */
uint64_t hiccl_net_p2p_flags(hicclComm_t comm, int peer);
void hiccl_net_plan_p2p(hicclComm_t comm, int peer, int send, uint64_t bytes);
hicclResult_t hiccl_net_quiesce(hicclComm_t comm);
hicclResult_t hiccl_net_barrier(hicclComm_t comm);
void hiccl_net_close(hicclComm_t comm);

/* Where the communicator's Send/Recv connections stopped, appended to its error text from `used` (a collective
 * that never ended). */
size_t hiccl_describe_p2p_stop(hicclComm_t comm, size_t used);

#endif
