/* HiCCL's network transport between HiLink domains, as NCCL's net transport with GPUDirect RDMA: each channel's ring
 * leaves a domain at its own GPU (rail-optimised rings, guest/kernels/hiccl.cu Order), whose kernel writes that
 * channel's slots and tail into a stand-in area in its own GPU; a proxy (run while the program waits for the GPU)
 * reads the tail and posts HiNIC RDMA writes of the slots, then of the tail, from this GPU's memory into the next
 * domain's GPU's area; that GPU's proxy sends its heads back the same way. The NIC reads and writes GPU memory
 * directly (docs/hinic.md, GPUDirect RDMA). */
#include <libfdt.h>

#include "hiccl_internal.h"
#include "vdc_verbs.h"

/* A guest has one bootstrap connection (its NIC's first QP): with the rank beside it across a domain boundary. */
static struct ibv_context *context;
static struct ibv_pd *pd;
static struct vdc_bootstrap bootstrap;
static int bootstrap_peer = -1;

/* The bootstrap with guest rank `peer`, made on first use. */
static hicclResult_t open_bootstrap(hicclComm_t comm, int peer)
{
    if (bootstrap_peer == peer)
        return hicclSuccess;
    if (bootstrap_peer >= 0)
        return hiccl_fail(comm, hicclInvalidUsage, "rank %u: a network connection to rank %d, but this guest already has "
                          "one to rank %d (one per guest: HiLink domains of at least two GPUs)", vdc_rank(), peer,
                          bootstrap_peer);
    if (context == NULL && (context = ibv_open_device()) == NULL)
        return hiccl_fail(comm, hicclSystemError, "no HiNIC on this blade to reach rank %d in another HiLink domain; set "
                          "guests.nic: true", peer);
    if (pd == NULL && (pd = ibv_alloc_pd(context)) == NULL)
        return hiccl_fail(comm, hicclSystemError, "ibv_alloc_pd: error %d", errno);
    int rc = vdc_bootstrap_connect(&bootstrap, pd, (uint32_t)peer);
    if (rc != 0)
        return hiccl_fail(comm, hicclSystemError, "bootstrap with rank %d: error %d%s", peer, rc,
                          rc == EEXIST ? " (its QP must be the NIC's first)" : "");
    bootstrap_peer = peer;
    return hicclSuccess;
}

hicclResult_t hiccl_net_open_early(uint32_t place, uint32_t domain_gpus)
{
    uint32_t guests = hicclGuestCount(), rank = vdc_rank();
    if (domain_gpus < 2 || guests <= domain_gpus || guests % domain_gpus != 0)
        return hicclSuccess; /* no communicator can span domains */
    if (place == domain_gpus - 1)
        return open_bootstrap(NULL, (int)((rank + 1) % guests));
    if (place == 0)
        return open_bootstrap(NULL, (int)((rank + guests - 1) % guests));
    return hicclSuccess;
}

/* ---- unique ids across domains ---- */

struct id_message {
    uint8_t id[8];
    uint32_t nranks;
};

hicclResult_t hiccl_net_receive_id(int rank, uint8_t id[8], uint32_t *nranks)
{
    hicclResult_t result = open_bootstrap(NULL, rank - 1);
    struct id_message mine = {{0}, 0}, theirs;
    if (result == hicclSuccess && vdc_bootstrap_exchange(&bootstrap, &mine, &theirs, sizeof theirs, 0) != 0)
        result = hiccl_fail(NULL, hicclRemoteError, "rank %d: the unique id from rank %d did not come", rank, rank - 1);
    if (result == hicclSuccess) {
        memcpy(id, theirs.id, 8);
        *nranks = theirs.nranks;
    }
    return result;
}

hicclResult_t hiccl_net_send_id(int rank, const uint8_t id[8], uint32_t nranks)
{
    hicclResult_t result = open_bootstrap(NULL, rank + 1);
    struct id_message mine = {{0}, nranks}, theirs;
    memcpy(mine.id, id, 8);
    if (result == hicclSuccess && vdc_bootstrap_exchange(&bootstrap, &mine, &theirs, sizeof theirs, 0) != 0)
        result = hiccl_fail(NULL, hicclRemoteError, "rank %d: rank %d did not take the unique id", rank, rank + 1);
    return result;
}

uint32_t hicclGuestCount(void)
{
    if (context == NULL && (context = ibv_open_device()) == NULL)
        return 0;
    int len;
    const void *gids = fdt_getprop(vdc_device_tree(), context->fdt_node, "vdc,peer-gids", &len);
    return gids != NULL && len > 0 ? (uint32_t)len / 4 : 0;
}

/* ---- the proxy ---- */

static void fail_async(hicclComm_t comm, const char *what, int status)
{
    if (comm->error[0] == '\0')
        hiccl_fail(comm, hicclRemoteError, "network proxy: %s: %s", what, ibv_wc_status_str(status));
}

/* Takes the NIC's completions (every request is signaled); with `wait`, at least one, sleeping until it comes (a
 * guest that only polled memory would stop virtual time). False when waiting failed. */
static bool drain(hicclComm_t comm, bool wait)
{
    struct hiccl_net *n = &comm->net;
    struct ibv_wc wc[16];
    for (;;) {
        int got = n->outstanding == 0 ? 0 : wait ? ibv_poll_cq_wait(n->cq, 16, wc, 0) : ibv_poll_cq(n->cq, 16, wc);
        if (got < 0) {
            fail_async(comm, "waiting for the NIC", IBV_WC_GENERAL_ERR);
            return false;
        }
        if (got == 0)
            return !wait || n->outstanding == 0;
        for (int i = 0; i < got; i++)
            if (wc[i].status != IBV_WC_SUCCESS)
                fail_async(comm, "an RDMA write", (int)wc[i].status);
        n->outstanding -= (uint32_t)got;
        wait = false;
    }
}

/* The writes gathered for `link`, posted in one list (one doorbell). */
static void flush(hicclComm_t comm, struct net_link *link)
{
    if (link->batched == 0)
        return;
    for (uint32_t i = 0; i < link->batched; i++)
        link->batch[i].next = i + 1 < link->batched ? &link->batch[i + 1] : NULL;
    struct ibv_send_wr *bad;
    if (ibv_post_send(link->qp, link->batch, &bad) != 0)
        fail_async(comm, "posting an RDMA write", IBV_WC_LOC_QP_OP_ERR);
    else
        comm->net.outstanding += link->batched;
    link->batched = 0;
}

/* An RDMA write gathered for the round's post (flush). */
static void post_write(hicclComm_t comm, struct net_link *link, uint64_t local, uint32_t lkey, uint32_t bytes,
                       uint64_t remote)
{
    struct hiccl_net *n = &comm->net;
    if (link->batched == NET_BATCH)
        flush(comm, link);
    while (n->outstanding + link->batched >= NET_SEND_DEPTH)
        if (!drain(comm, true))
            return;
    struct ibv_sge *sge = &link->batch_sge[link->batched];
    *sge = (struct ibv_sge){local, bytes, lkey};
    link->batch[link->batched++] = (struct ibv_send_wr){.sg_list = sge, .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
                                                        .send_flags = IBV_SEND_SIGNALED,
                                                        .wr.rdma = {remote, link->peer_rkey}};
}

/* A flag value of `protocol`'s to the peer's area, from its own host copy (the NIC reads it when the write goes, by
 * when the proxy may have seen a later value: each posted value keeps its slot until NET_VALUES more have gone). */
static void post_flag(hicclComm_t comm, struct net_link *link, int path, uint32_t channel, int protocol,
                      uint64_t value, uint64_t offset)
{
    struct hiccl_net *n = &comm->net;
    uint64_t at = ((uint64_t)path * HICCL_CHANNELS + channel) * HICCL_PROTO_COUNT + (uint32_t)protocol;
    uint64_t *slot = &n->values[at * NET_VALUES + value % NET_VALUES];
    *slot = value;
    post_write(comm, link, (uint64_t)(uintptr_t)slot, n->values_mr->lkey, 8,
               link->peer_area + channel * AREA_BYTES + FLAGS_AT + offset);
}

/* Whether a channel's crossing has steps launched that the proxy has not yet forwarded. */
static bool channel_busy(const struct net_channel *ch)
{
    return ((ch->role & NET_OUT) && ch->plan.head < ch->plan.count) ||
           ((ch->role & NET_IN) && (ch->forwarded_heads[HICCL_PROTO_LL] < ch->expected[HICCL_PROTO_LL] ||
                                    ch->forwarded_heads[HICCL_PROTO_SIMPLE] < ch->expected[HICCL_PROTO_SIMPLE]));
}

/* The kernel's flags of channel c on path `path`, as last read: word 0 Simple's tail, 1 its head, 2 and 3 LL's. */
static const uint64_t *channel_flags(const struct hiccl_net *n, int path, uint32_t c)
{
    return &n->flags[((uint64_t)path * HICCL_CHANNELS + c) * (NET_FLAG_BYTES / 8)];
}

/* Where the channel receives: the heads its kernels wrote since the last round, to the sender (the head of its
 * area's Simple slots, or of its LL lines). */
static void forward_heads(hicclComm_t comm, int path, uint32_t c)
{
    struct hiccl_net *n = &comm->net;
    struct net_channel *ch = &n->path[path].channel[c];
    for (int p = 0; p < HICCL_PROTO_COUNT; p++) {
        uint64_t seen = channel_flags(n, path, c)[p == HICCL_PROTO_LL ? 3 : 1];
        if (seen > ch->forwarded_heads[p]) {
            post_flag(comm, n->path[path].in, path, c, p, seen, p == HICCL_PROTO_LL ? 40 : 8);
            ch->forwarded_heads[p] = seen;
        }
    }
}

/* Where the channel sends: each step whose tail the kernel has written, in launch order (a step of either
 * protocol waits for those before it): its data from the stand-in area to the peer's area, then for Simple its
 * tail (LL's lines carry their flags). */
static void forward_steps(hicclComm_t comm, int path, uint32_t c)
{
    struct hiccl_net *n = &comm->net;
    struct net_path *way = &n->path[path];
    struct net_channel *ch = &way->channel[c];
    uint64_t seen[HICCL_PROTO_COUNT];
    seen[HICCL_PROTO_SIMPLE] = channel_flags(n, path, c)[0];
    seen[HICCL_PROTO_LL] = channel_flags(n, path, c)[2];
    while (ch->plan.head < ch->plan.count) {
        uint32_t entry = ch->plan.bytes[ch->plan.head], bytes = entry & ~NET_PLAN_LL;
        int p = entry & NET_PLAN_LL ? HICCL_PROTO_LL : HICCL_PROTO_SIMPLE;
        if (ch->forwarded_steps[p] >= seen[p])
            return;
        ch->plan.head++;
        uint64_t step = ch->forwarded_steps[p]++;
        uint64_t at = c * AREA_BYTES + (p == HICCL_PROTO_LL ? LL_AT + (step % HICCL_STEPS) * LL_SLOT_DATA * 2
                                                            : (step % HICCL_STEPS) * SLOT_BYTES);
        if (bytes > 0)
            post_write(comm, way->out, way->stand_in + at, way->lkey, bytes, way->out->peer_area + at);
        if (p == HICCL_PROTO_SIMPLE)
            post_flag(comm, way->out, path, c, p, step + 1, 0);
    }
}

/* One round: the flags of every path's channels read from the GPU (the kernel's tail where a channel sends, its
 * head where it receives) in one copy; what moved since goes to the peers. Nonzero while steps remain: an idle
 * proxy reads nothing, so a rank stuck elsewhere still ends as a hang. */
static int progress(void *argument)
{
    hicclComm_t comm = argument;
    struct hiccl_net *n = &comm->net;
    drain(comm, false);
    /* only the paths up to the last with work: one read of their flags */
    uint32_t paths = 0;
    for (uint32_t path = 0; path < n->paths_used; path++)
        for (uint32_t c = 0; c < HICCL_CHANNELS; c++)
            if (channel_busy(&n->path[path].channel[c]))
                paths = path + 1;
    if (paths == 0)
        return 0;
    gpu_memcpy_d2h_async(comm->gpu, n->stream, n->flags, n->staging + HICCL_CHANNELS * AREA_BYTES,
                         paths * HICCL_CHANNELS * NET_FLAG_BYTES);
    if (gpu_stream_synchronize(comm->gpu, n->stream) != GPU_SUCCESS) {
        hiccl_fail(comm, hicclUnhandledCudaError, "network proxy: reading the flags: %s", gpu_error_text(comm->gpu));
        return 0;
    }
    for (uint32_t path = 0; path < paths; path++) {
        for (uint32_t c = 0; c < HICCL_CHANNELS; c++) {
            struct net_channel *ch = &n->path[path].channel[c];
            if (!channel_busy(ch))
                continue;
            if (ch->role & NET_IN)
                forward_heads(comm, path, c);
            if (ch->role & NET_OUT)
                forward_steps(comm, path, c);
        }
    }
    flush(comm, &n->out);
    flush(comm, &n->in);
    for (uint32_t k = 0; k < n->tree_links_used; k++)
        flush(comm, &n->tree_link[k]);
    for (int r = 0; n->p2p_links != NULL && r < comm->nranks; r++)
        if (n->p2p_links[r].qp != NULL)
            flush(comm, &n->p2p_links[r]);
    return 1;
}

/* ---- connecting ---- */

/* A channel's ring position of `rank` (guest/kernels/hiccl.cu Order): in each domain of `d` places the ring of
 * channel c starts at place c mod d. */
static int ring_position(int rank, int d, uint32_t channel)
{
    int rotation = (int)(channel % (uint32_t)d);
    return rank - rank % d + (rank % d - rotation + d) % d;
}

/* A QP of this rank's NIC on the communicator's CQ, ready to connect, and its details for the peer: the areas it
 * writes into (`areas` of them from `area`, registered as `mr`). */
static hicclResult_t make_qp(hicclComm_t comm, struct ibv_qp **qp, struct vdc_dest *mine, struct ibv_mr *mr,
                             uint64_t area, uint32_t areas)
{
    struct hiccl_net *n = &comm->net;
    struct ibv_qp_init_attr init = {.send_cq = n->cq, .recv_cq = n->cq, .qp_type = IBV_QPT_RC,
                                    .cap = {.max_send_wr = NET_SEND_DEPTH, .max_recv_wr = 1, .max_send_sge = 1,
                                            .max_recv_sge = 1}};
    *qp = ibv_create_qp(pd, &init);
    struct ibv_qp_attr attr = {.qp_state = IBV_QPS_INIT, .port_num = 1, .qp_access_flags = IBV_ACCESS_REMOTE_WRITE};
    if (*qp == NULL ||
        ibv_modify_qp(*qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS) != 0)
        return hiccl_fail(comm, hicclSystemError, "creating the proxy's QP: error %d", errno);
    *mine = (struct vdc_dest){.qpn = (*qp)->qp_num, .psn = (uint32_t)vdc_random() & 0xffffff, .ipv4 = context->ipv4,
                              .rkey = mr->rkey, .addr = area, .length = (uint64_t)areas * AREA_BYTES};
    return hicclSuccess;
}

/* One QP's details and its place in a table a relay passes on. */
struct relayed_dest {
    struct vdc_dest dest;
    uint32_t place;
};

/* Passes a relay's table (d entries) to rank `to`, one mailbox message per entry. */
static hicclResult_t pass_table(hicclComm_t comm, int to, uint32_t kind, const struct vdc_dest *table)
{
    hicclResult_t result = hicclSuccess;
    for (int p = 0; p < comm->domain_gpus && result == hicclSuccess; p++) {
        struct relayed_dest r = {table[p], (uint32_t)p};
        result = hiccl_comm_send(comm, to, kind, &r, sizeof r);
    }
    return result;
}

static hicclResult_t take_table(hicclComm_t comm, int from, uint32_t kind, struct vdc_dest *table)
{
    hicclResult_t result = hicclSuccess;
    for (int i = 0; i < comm->domain_gpus && result == hicclSuccess; i++) {
        struct message m;
        struct relayed_dest r;
        int sender;
        if ((result = hiccl_comm_receive(comm, kind, from, &m, &sender)) != hicclSuccess)
            break;
        memcpy(&r, m.data, sizeof r);
        if (r.place >= (uint32_t)comm->domain_gpus)
            return hiccl_fail(comm, hicclInternalError, "rank %d: connection details for place %u from rank %d",
                              comm->rank, r.place, sender);
        table[r.place] = r.dest;
    }
    return result;
}

/* The QP details of every rank's link out of a domain meet those of the links in of the domain `hops` further on,
 * relayed by the bootstrap pairs between neighbouring domains: each rank mails its out-link's to its domain's last
 * rank and its in-link's to its first; every domain's last and the next domain's first swap their tables place by
 * place over their bootstrap, `hops` times (between swaps a table crosses its domain by mailbox, from first to last
 * going on, from last to first coming back), and the tables' last holders mail each rank its peer's: `to`, that of
 * the link in at place p + shift of the domain `hops` on, and `from`, that of the link out at place p - shift of the
 * domain `hops` back. Messages of kinds `kind` to `kind` + RELAY_KINDS - 1 (each relay has its own). */
static hicclResult_t relay_dests(hicclComm_t comm, const struct vdc_dest *out_mine, const struct vdc_dest *in_mine,
                                 struct vdc_dest *to, struct vdc_dest *from, int shift, int hops, uint32_t kind)
{
    int d = comm->domain_gpus, place = comm->rank % d, first = comm->rank - place, last = first + d - 1;
    uint32_t kind_out = kind, kind_in = kind + 1, kind_to = kind + 2, kind_from = kind + 3, kind_on = kind + 4,
             kind_back = kind + 5;
    struct vdc_dest mine[MAX_RANKS], theirs[MAX_RANKS];
    struct message m;
    int sender;
    hicclResult_t result = hicclSuccess;
    if (comm->rank != last)
        result = hiccl_comm_send(comm, last, kind_out, out_mine, sizeof *out_mine);
    if (comm->rank != first && result == hicclSuccess)
        result = hiccl_comm_send(comm, first, kind_in, in_mine, sizeof *in_mine);
    /* The domain's last relays its links out (end 0), its first its links in (end 1). */
    for (int end = 0; end < 2 && result == hicclSuccess; end++) {
        int relays = end == 0 ? comm->rank == last : comm->rank == first;
        if (!relays)
            continue;
        mine[place] = end == 0 ? *out_mine : *in_mine;
        for (int i = 1; i < d && result == hicclSuccess; i++) {
            result = hiccl_comm_receive(comm, end == 0 ? kind_out : kind_in, -1, &m, &sender);
            /* the domain's other ranks: all but the last (links out) or the first (links in) */
            int lowest = end == 0 ? first : first + 1, highest = end == 0 ? last - 1 : last;
            if (result == hicclSuccess && (sender < lowest || sender > highest))
                return hiccl_fail(comm, hicclInternalError, "rank %d: connection details from rank %d, not one of "
                                  "ranks %d to %d of its domain", comm->rank, sender, lowest, highest);
            if (result == hicclSuccess)
                memcpy(&mine[sender - first], m.data, sizeof mine[0]);
        }
        for (int hop = 1; hop <= hops && result == hicclSuccess; hop++) {
            for (int p = 0; p < d && result == hicclSuccess; p++)
                if (vdc_bootstrap_exchange(&bootstrap, &mine[p], &theirs[p], sizeof theirs[p], 0) != 0)
                    return hiccl_fail(comm, hicclRemoteError, "rank %d: exchanging connections with rank %d",
                                      comm->rank, bootstrap_peer);
            if (hop == hops)
                break;
            /* What came in goes across the domain to its other end; what that end got comes here. */
            int partner = end == 0 ? first : last;
            result = pass_table(comm, partner, end == 0 ? kind_back : kind_on, theirs);
            if (result == hicclSuccess)
                result = take_table(comm, partner, end == 0 ? kind_on : kind_back, mine);
        }
        for (int p = 0; p < d && result == hicclSuccess; p++) {
            const struct vdc_dest *peer = &theirs[end == 0 ? (p + shift) % d : (p + d - shift) % d];
            if (p == place)
                *(end == 0 ? to : from) = *peer;
            else
                result = hiccl_comm_send(comm, first + p, end == 0 ? kind_to : kind_from, peer, sizeof *peer);
        }
    }
    if (comm->rank != last && result == hicclSuccess &&
        (result = hiccl_comm_receive(comm, kind_to, last, &m, &sender)) == hicclSuccess)
        memcpy(to, m.data, sizeof *to);
    if (comm->rank != first && result == hicclSuccess &&
        (result = hiccl_comm_receive(comm, kind_from, first, &m, &sender)) == hicclSuccess)
        memcpy(from, m.data, sizeof *from);
    return result;
}

/* A link's QP connected to its peer's, whose areas it writes. Neither side writes before the communicator's
 * barrier, which follows set-up: both QPs are ready by then. */
static hicclResult_t connect_link(hicclComm_t comm, struct net_link *link, const struct vdc_dest *mine,
                                  const struct vdc_dest *peer)
{
    link->peer_area = peer->addr;
    link->peer_rkey = peer->rkey;
    if (vdc_connect_qp(link->qp, mine, peer, context->max_mtu, 0, 14, 7) != 0)
        return hiccl_fail(comm, hicclRemoteError, "rank %d: connecting the proxy's QP to rank %d", comm->rank,
                          link->peer);
    return hicclSuccess;
}

/* ---- the double binary tree ---- */

/* NCCL's binary tree rooted at node 0 (graph/trees.cc draws it): a node's lowest set bit b names its parent (b
 * cleared and 2b set, or only b cleared where that is past the last node) and its children (b/2 below and above
 * it, the one above brought within the nodes by halving); the root's one child is the highest power of two below
 * the node count. */
static void btree(int nodes, int node, int *parent, int children[2])
{
    int bit = 1;
    while (bit < nodes && !(bit & node))
        bit <<= 1;
    children[0] = children[1] = -1;
    if (node == 0) {
        *parent = -1;
        children[1] = nodes > 1 ? bit >> 1 : -1;
        return;
    }
    *parent = (node ^ bit) | (bit << 1);
    if (*parent >= nodes)
        *parent = node ^ bit;
    int low = bit >> 1;
    if (low != 0)
        children[0] = node - low;
    while (low != 0 && node + low >= nodes)
        low >>= 1;
    if (low != 0)
        children[1] = node + low;
}

/* The second tree is the first mirrored (an even node count) or shifted by one node (odd), so that a node inside
 * one is a leaf of the other, and the two roots differ. */
void hiccl_dtree(int nodes, int node, int tree, int *parent, int children[2])
{
    int odd = nodes % 2;
    if (tree == 0) {
        btree(nodes, node, parent, children);
        return;
    }
    btree(nodes, odd ? (node + nodes - 1) % nodes : nodes - 1 - node, parent, children);
    int *back[3] = {parent, &children[0], &children[1]};
    for (int i = 0; i < 3; i++)
        if (*back[i] >= 0)
            *back[i] = odd ? (*back[i] + 1) % nodes : nodes - 1 - *back[i];
}

int hiccl_tree_depth(int nodes)
{
    int depth = 0;
    for (int node = 0; node < nodes; node++) {
        int hops = 0, parent, children[2];
        for (int at = node; at != 0; at = parent, hops++)
            btree(nodes, at, &parent, children);
        depth = hops > depth ? hops : depth;
    }
    return depth;
}

/* Channel c's tree: the channels take the two trees in turn, d at a time, so that every place heads a channel of
 * each (its chain starts at place c mod d). */
static int channel_tree(uint32_t c, int d)
{
    return (int)(c / (uint32_t)d % 2);
}

/* This domain's neighbours in both trees, each given a link (its peer: the head at this rank's place there), and the
 * kernel's `tree_links`: per tree, the links of its parent and two children (7 where there is none). */
static void plan_tree_links(hicclComm_t comm)
{
    struct hiccl_net *n = &comm->net;
    int d = comm->domain_gpus, place = comm->rank % d, domain = comm->rank / d, domains = comm->nranks / d;
    n->tree_links_used = 0;
    n->tree_roles = 0;
    for (int t = 0; t < 2; t++) {
        int neighbour[3];
        hiccl_dtree(domains, domain, t, &neighbour[0], &neighbour[1]);
        uint32_t fields = 0777;
        for (int role = 0; role < 3; role++) {
            if (neighbour[role] < 0)
                continue;
            int peer = neighbour[role] * d + place;
            uint32_t k = 0;
            while (k < n->tree_links_used && n->tree_link[k].peer != peer)
                k++;
            if (k == n->tree_links_used)
                n->tree_link[n->tree_links_used++].peer = peer;
            fields = (fields & ~(7u << (3 * role))) | k << (3 * role);
        }
        n->tree_roles |= fields << (9 * t);
    }
    n->p2p_first = NET_TREE + n->tree_links_used;
}

/* The flags of every path, after the ring's stand-in areas: up to Send/Recv's with the last rank there can be. */
static uint64_t flags_bytes(const struct hiccl_net *n)
{
    return (n->p2p_first + (uint64_t)MAX_RANKS) * HICCL_CHANNELS * NET_FLAG_BYTES;
}

/* Whether link k carries channel c: this rank heads c's chain, and k's domain neighbours it in c's tree. */
static bool tree_link_serves(const struct hicclComm *comm, uint32_t k, uint32_t c)
{
    int d = comm->domain_gpus;
    uint32_t fields = comm->net.tree_roles >> (9 * channel_tree(c, d));
    return (uint32_t)(comm->rank % d) == c % (uint32_t)d &&
           ((fields & 7) == k || (fields >> 3 & 7) == k || (fields >> 6 & 7) == k);
}

/* Whether some domain has a tree neighbour `distance` domains on (then every rank takes part in that relay). */
static bool tree_distance_used(int domains, int distance)
{
    for (int domain = 0; domain < domains; domain++)
        for (int t = 0; t < 2; t++) {
            int neighbour[3];
            hiccl_dtree(domains, domain, t, &neighbour[0], &neighbour[1]);
            for (int role = 0; role < 3; role++)
                if (neighbour[role] >= 0 && (neighbour[role] - domain + domains) % domains == distance)
                    return true;
        }
    return false;
}

/* The tree's links (plan_tree_links): each a QP and this GPU's areas where the peer writes, the QPs' details relayed
 * once per domain distance that some domain's tree neighbour is at; the chain heads write into each other's areas
 * (guest/kernels/hiccl.cu, TREE). */
static hicclResult_t connect_tree(hicclComm_t comm)
{
    struct hiccl_net *n = &comm->net;
    int d = comm->domain_gpus, place = comm->rank % d, domain = comm->rank / d, domains = comm->nranks / d;
    uint64_t bytes = NET_LINK_BYTES;
    /* zeroed, as every allocation: flags included (allocate_areas in hiccl.c) */
    hicclResult_t result = hiccl_gpu_call(comm, gpu_malloc(comm->gpu, &n->tree_area, n->tree_links_used * bytes),
                                          "allocate the tree's network areas");
    if (result != hicclSuccess)
        return result;
    n->tree_area_mr = ibv_reg_mr(pd, (void *)(uintptr_t)n->tree_area, n->tree_links_used * bytes,
                                 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
    if (n->tree_area_mr == NULL)
        return hiccl_fail(comm, hicclSystemError, "registering the tree's areas with the NIC: error %d", errno);
    struct vdc_dest mine[NET_TREE_LINKS];
    for (uint32_t k = 0; k < n->tree_links_used && result == hicclSuccess; k++)
        result = make_qp(comm, &n->tree_link[k].qp, &mine[k], n->tree_area_mr, n->tree_area + k * bytes,
                         HICCL_CHANNELS);
    for (int distance = 1; distance < domains && result == hicclSuccess; distance++) {
        if (!tree_distance_used(domains, distance))
            continue;
        /* the link to the head `distance` domains on (its details go there) and the one back (its go back) */
        int ahead = (domain + distance) % domains * d + place;
        int behind = (domain + domains - distance) % domains * d + place;
        struct vdc_dest none = {0}, to, from;
        const struct vdc_dest *out = &none, *in = &none;
        uint32_t link_ahead = NET_TREE_LINKS;
        for (uint32_t k = 0; k < n->tree_links_used; k++) {
            if (n->tree_link[k].peer == ahead)
                out = &mine[link_ahead = k];
            if (n->tree_link[k].peer == behind)
                in = &mine[k];
        }
        result = relay_dests(comm, out, in, &to, &from, 0, distance,
                             MSG_TREE_OUT + RELAY_KINDS * (uint32_t)(distance - 1));
        if (result == hicclSuccess && link_ahead < NET_TREE_LINKS)
            result = connect_link(comm, &n->tree_link[link_ahead], &mine[link_ahead], &to);
    }
    if (result != hicclSuccess)
        return result;
    for (uint32_t k = 0; k < n->tree_links_used; k++) {
        struct net_path *way = &n->path[NET_TREE + k];
        way->out = way->in = &n->tree_link[k];
        way->stand_in = n->staging + bytes + flags_bytes(n) + k * bytes;
        way->lkey = n->staging_mr->lkey;
        for (uint32_t c = 0; c < HICCL_CHANNELS; c++)
            way->channel[c].role = tree_link_serves(comm, k, c) ? NET_OUT | NET_IN : NET_NONE;
    }
    n->paths_used = NET_TREE + n->tree_links_used;
    return hicclSuccess;
}

/* Send/Recv across domains: with every rank of the other domains, this rank's Send/Recv area for it (where it
 * writes) and a stand-in for its area there (where this rank's kernel writes what the proxy forwards), made now,
 * since the QPs' details travel through the bootstrap pairs, which a group's operations do not involve. One relay
 * per domain distance k and place shift s: each rank offers the QPs for place p + s of the domain k on and for
 * place p - s of the domain k back, and learns the first one's details for it. */
static hicclResult_t connect_p2p(hicclComm_t comm)
{
    struct hiccl_net *n = &comm->net;
    int d = comm->domain_gpus, place = comm->rank % d, domain = comm->rank / d, domains = comm->nranks / d;
    n->p2p_links = vdc_alloc((size_t)comm->nranks * sizeof *n->p2p_links, 64);
    n->p2p_mrs = vdc_alloc(2 * (size_t)comm->nranks * sizeof *n->p2p_mrs, 64);
    if (n->p2p_links == NULL || n->p2p_mrs == NULL)
        return hiccl_fail(comm, hicclSystemError, "the network proxy: out of guest memory");
    memset(n->p2p_links, 0, (size_t)comm->nranks * sizeof *n->p2p_links);
    memset(n->p2p_mrs, 0, 2 * (size_t)comm->nranks * sizeof *n->p2p_mrs);
    struct vdc_dest mine[MAX_RANKS];
    hicclResult_t result = hicclSuccess;
    for (int r = 0; r < comm->nranks && result == hicclSuccess; r++) {
        if (r / d == domain)
            continue;
        struct p2p_connection *c = &comm->peers[r];
        struct net_link *link = &n->p2p_links[r];
        link->peer = r;
        link->batch = vdc_alloc(NET_BATCH * sizeof *link->batch, 64);
        link->batch_sge = vdc_alloc(NET_BATCH * sizeof *link->batch_sge, 64);
        if (link->batch == NULL || link->batch_sge == NULL)
            return hiccl_fail(comm, hicclSystemError, "the network proxy: out of guest memory");
        uint64_t bytes = HICCL_P2P_CHANNELS * AREA_BYTES;
        result = hiccl_gpu_call(comm, gpu_malloc(comm->gpu, &c->mine, bytes), "allocate Send/Recv buffers");
        if (result == hicclSuccess)
            result = hiccl_gpu_call(comm, gpu_malloc(comm->gpu, &c->remote, bytes), "allocate Send/Recv stand-ins");
        if (result != hicclSuccess)
            return result;
        n->p2p_mrs[2 * r] = ibv_reg_mr(pd, (void *)(uintptr_t)c->mine, bytes,
                                       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
        n->p2p_mrs[2 * r + 1] = ibv_reg_mr(pd, (void *)(uintptr_t)c->remote, bytes, IBV_ACCESS_LOCAL_WRITE);
        if (n->p2p_mrs[2 * r] == NULL || n->p2p_mrs[2 * r + 1] == NULL)
            return hiccl_fail(comm, hicclSystemError, "registering Send/Recv buffers with the NIC: error %d", errno);
        result = make_qp(comm, &link->qp, &mine[r], n->p2p_mrs[2 * r], c->mine, HICCL_P2P_CHANNELS);
        struct net_path *way = &n->path[n->p2p_first + r];
        way->out = way->in = link;
        way->stand_in = c->remote;
        way->lkey = n->p2p_mrs[2 * r + 1]->lkey;
        for (uint32_t ch = 0; ch < HICCL_P2P_CHANNELS; ch++)
            way->channel[ch].role = NET_OUT | NET_IN;
    }
    for (int k = 1; k < domains && result == hicclSuccess; k++)
        for (int shift = 0; shift < d && result == hicclSuccess; shift++) {
            int ahead = (domain + k) % domains * d + (place + shift) % d;
            int behind = (domain + domains - k) % domains * d + (place + d - shift) % d;
            struct vdc_dest to, from;
            uint32_t kind = MSG_P2P_RELAY + RELAY_KINDS * (uint32_t)((k - 1) * d + shift);
            result = relay_dests(comm, &mine[ahead], &mine[behind], &to, &from, shift, k, kind);
            if (result == hicclSuccess)
                result = connect_link(comm, &n->p2p_links[ahead], &mine[ahead], &to);
        }
    n->paths_used = n->p2p_first + (uint32_t)comm->nranks;
    return result;
}

uint64_t hiccl_net_p2p_flags(hicclComm_t comm, int peer)
{
    return comm->net.staging + HICCL_CHANNELS * AREA_BYTES +
           (uint64_t)(comm->net.p2p_first + (uint32_t)peer) * HICCL_CHANNELS * NET_FLAG_BYTES;
}

hicclResult_t hiccl_net_connect(hicclComm_t comm)
{
    struct hiccl_net *n = &comm->net;
    int d = comm->domain_gpus, place = comm->rank % d, domain = comm->rank / d, domains = comm->nranks / d;
    n->out.peer = (domain + 1) % domains * d + (place + 1) % d;
    n->in.peer = (domain + domains - 1) % domains * d + (place + d - 1) % d;
    struct net_path *ring = &n->path[NET_RING];
    n->paths_used = NET_RING + 1;
    for (uint32_t c = 0; c < HICCL_CHANNELS; c++)
        ring->channel[c].role = (uint32_t)place == (c + (uint32_t)d - 1) % (uint32_t)d ? NET_OUT
                              : (uint32_t)place == c % (uint32_t)d                     ? NET_IN
                                                                                       : NET_NONE;
    /* The bootstrap pairs: each domain's last rank with the next domain's first. */
    hicclResult_t result = hicclSuccess;
    if (place == d - 1)
        result = open_bootstrap(comm, (comm->rank + 1) % comm->nranks);
    if (place == 0 && result == hicclSuccess)
        result = open_bootstrap(comm, (comm->rank + comm->nranks - 1) % comm->nranks);
    if (context == NULL && result == hicclSuccess && (context = ibv_open_device()) == NULL)
        result = hiccl_fail(comm, hicclSystemError, "no HiNIC on this blade to reach ranks %d and %d in other HiLink "
                            "domains; set guests.nic: true", n->out.peer, n->in.peer);
    if (pd == NULL && result == hicclSuccess && (pd = ibv_alloc_pd(context)) == NULL)
        result = hiccl_fail(comm, hicclSystemError, "ibv_alloc_pd: error %d", errno);
    /* The ring's stand-in areas, every path's flags, the tree links' stand-in areas (zeroed, flags included). */
    plan_tree_links(comm);
    uint64_t bytes = HICCL_CHANNELS * AREA_BYTES, flag_bytes = flags_bytes(n);
    uint64_t staging_bytes = bytes + flag_bytes + n->tree_links_used * bytes;
    if (result == hicclSuccess)
        result = hiccl_gpu_call(comm, gpu_malloc(comm->gpu, &n->staging, staging_bytes),
                                "allocate the network stand-in areas");
    if (result == hicclSuccess)
        result = hiccl_gpu_call(comm, gpu_stream_create(comm->gpu, &n->stream), "create the proxy's stream");
    if (result != hicclSuccess)
        return result;
    n->used = 1;
    ring->out = &n->out;
    ring->in = &n->in;
    ring->stand_in = n->staging;
    uint64_t values_bytes = (n->p2p_first + (uint64_t)comm->nranks) * HICCL_CHANNELS *
                            HICCL_PROTO_COUNT * NET_VALUES * sizeof *n->values;
    n->values = vdc_alloc(values_bytes, 64);
    n->flags = vdc_alloc(flag_bytes, 64);
    struct net_link *links[2 + NET_TREE_LINKS] = {&n->out, &n->in};
    for (uint32_t k = 0; k < n->tree_links_used; k++)
        links[2 + k] = &n->tree_link[k];
    for (uint32_t i = 0; i < 2 + n->tree_links_used; i++) {
        links[i]->batch = vdc_alloc(NET_BATCH * sizeof *links[i]->batch, 64);
        links[i]->batch_sge = vdc_alloc(NET_BATCH * sizeof *links[i]->batch_sge, 64);
        if (links[i]->batch == NULL || links[i]->batch_sge == NULL || n->flags == NULL)
            return hiccl_fail(comm, hicclSystemError, "the network proxy: out of guest memory");
    }
    n->area_mr = ibv_reg_mr(pd, (void *)(uintptr_t)comm->area, bytes, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE);
    n->staging_mr = ibv_reg_mr(pd, (void *)(uintptr_t)n->staging, staging_bytes, IBV_ACCESS_LOCAL_WRITE);
    n->values_mr = n->values == NULL ? NULL : ibv_reg_mr(pd, n->values, values_bytes, IBV_ACCESS_LOCAL_WRITE);
    if (n->area_mr == NULL || n->staging_mr == NULL || n->values_mr == NULL)
        return hiccl_fail(comm, hicclSystemError, "registering the connection buffers with the NIC: error %d", errno);
    ring->lkey = n->staging_mr->lkey;
    n->cq = ibv_create_cq(context, 4 * NET_SEND_DEPTH, NULL, NULL, 0);
    if (n->cq == NULL)
        return hiccl_fail(comm, hicclSystemError, "creating the proxy's CQ: error %d", errno);
    struct vdc_dest out_mine, in_mine, to, from;
    result = make_qp(comm, &n->out.qp, &out_mine, n->area_mr, comm->area, HICCL_CHANNELS);
    if (result == hicclSuccess)
        result = make_qp(comm, &n->in.qp, &in_mine, n->area_mr, comm->area, HICCL_CHANNELS);
    if (result == hicclSuccess)
        result = relay_dests(comm, &out_mine, &in_mine, &to, &from, 1, 1, MSG_RAIL_OUT);
    if (result == hicclSuccess)
        result = connect_link(comm, &n->out, &out_mine, &to);
    if (result == hicclSuccess)
        result = connect_link(comm, &n->in, &in_mine, &from);
    if (result == hicclSuccess)
        result = connect_tree(comm);
    if (result == hicclSuccess)
        result = connect_p2p(comm);
    if (result != hicclSuccess)
        return result;
    gpu_set_progress(comm->gpu, progress, comm);
    return hicclSuccess;
}

void hiccl_net_neighbours(hicclComm_t comm, int ring, uint32_t c, int *before, int *after)
{
    int rank = comm->rank, n = comm->nranks, d = comm->domain_gpus;
    if (d == 0) {
        *before = ring ? (rank + n - 1) % n : rank - 1;
        *after = ring ? (rank + 1) % n : rank + 1 < n ? rank + 1 : -1;
        return;
    }
    int place = rank % d, first = rank - place, rotation = (int)(c % (uint32_t)d);
    if (ring) { /* position q of the channel's ring is rank q - q mod d + (q mod d + rotation) mod d */
        int q = ring_position(rank, d, c), p = (q + n - 1) % n, a = (q + 1) % n;
        *before = p - p % d + (p % d + rotation) % d;
        *after = a - a % d + (a % d + rotation) % d;
        return;
    }
    int k = (place - rotation + d) % d; /* the chain starts at place `rotation` */
    *before = k > 0 ? first + (place + d - 1) % d : -1;
    *after = k < d - 1 ? first + (place + 1) % d : -1;
}

/* ---- what a launch will send ---- */

static void plan_push(struct net_plan *p, uint32_t bytes)
{
    if (p->head > 0 && p->head == p->count)
        p->head = p->count = 0;
    if (p->count == p->capacity) {
        uint32_t capacity = p->capacity ? 2 * p->capacity : 256;
        uint32_t *grown = vdc_alloc(capacity * sizeof *grown, 64);
        if (grown == NULL)
            return; /* counted as empty steps: the receiver then sees a wrong result, never a fault */
        memcpy(grown, p->bytes, p->count * sizeof *grown);
        p->bytes = grown; /* the bump allocator never frees */
        p->capacity = capacity;
    }
    p->bytes[p->count++] = bytes;
}

/* A step of `protocol`'s the proxy will see on a channel: its bytes (`elements` of `size` bytes; for LL the lines
 * that carry them) where the channel sends here, one more head to forward where it receives. */
static void plan_step(struct net_channel *ch, int protocol, uint64_t elements, uint32_t size)
{
    if (ch->role & NET_IN)
        ch->expected[protocol]++;
    if (!(ch->role & NET_OUT))
        return;
    if (protocol == HICCL_PROTO_LL)
        plan_push(&ch->plan, (uint32_t)((elements * size + 7) / 8 * 16) | NET_PLAN_LL);
    else
        plan_push(&ch->plan, (uint32_t)(elements * size));
}

/* The bytes of each step a ring collective (`collective`, the kernel's code) of `count` elements of `size` bytes (per
 * rank for ReduceScatter and AllGather) in `protocol` sends on the channels that cross a domain boundary here: from
 * this rank where they leave, from the previous domain's rank where they enter; in the order the ring kernel takes
 * them (guest/kernels/hiccl.cu: channel_part, then ring's rounds and steps at the sender's position in the channel's
 * ring, or rooted's slots; a slot holds a step's data, LL_SLOT_DATA bytes for LL). */
void hiccl_net_plan(hicclComm_t comm, int collective, uint64_t count, uint32_t size, int root, int protocol)
{
    struct hiccl_net *n = &comm->net;
    if (!n->used)
        return;
    uint64_t unit = 16 / size, slot_elems = (protocol == HICCL_PROTO_LL ? LL_SLOT_DATA : SLOT_BYTES) / size;
    int nranks = comm->nranks, all_reduce = collective == RING_ALL_REDUCE;
    for (uint32_t c = 0; c < HICCL_CHANNELS; c++) {
        struct net_channel *ch = &n->path[NET_RING].channel[c];
        if (ch->role == NET_NONE)
            continue;
        int rank = (ring_position(comm->rank, comm->domain_gpus, c) + (ch->role == NET_IN ? nranks - 1 : 0)) % nranks;
        int root_at = ring_position(root, comm->domain_gpus, c);
        uint64_t first, length;
        hiccl_part(count, 16 / size, c, HICCL_CHANNELS, &first, &length);
        if (collective == RING_BROADCAST || collective == RING_REDUCE) {
            /* One step per slot; every rank sends but the one before the root (Broadcast) or the root (Reduce). */
            int last = collective == RING_BROADCAST ? (rank - root_at + nranks) % nranks == nranks - 1
                                                    : (rank - root_at - 1 + nranks) % nranks == nranks - 1;
            for (uint64_t base = 0; base < length && !last; base += slot_elems)
                plan_step(ch, protocol, length - base < slot_elems ? length - base : slot_elems, size);
            continue;
        }
        uint64_t round = all_reduce ? (uint64_t)nranks * slot_elems : slot_elems;
        for (uint64_t base = 0; base < length; base += round) {
            uint64_t left = length - base, chunk = all_reduce ? (left + (uint64_t)nranks - 1) / (uint64_t)nranks : left;
            if (all_reduce)
                chunk = (chunk + unit - 1) / unit * unit;
            chunk = chunk > slot_elems ? slot_elems : chunk;
            /* AllReduce's last step only receives; ReduceScatter's and AllGather's last too. */
            int sends = all_reduce ? 2 * nranks - 2 : nranks - 1;
            for (int s = 0; s < sends; s++) {
                uint64_t elements = chunk;
                if (all_reduce) {
                    int index = s == 0 ? (rank + nranks - 1) % nranks
                              : s < nranks - 1 ? (rank + nranks - 1 - s) % nranks
                              : s == nranks - 1 ? rank
                                                : (rank + 2 * nranks - 1 - s) % nranks;
                    uint64_t offset = first + base + (uint64_t)index * chunk, end = first + length;
                    elements = offset < end ? (end - offset < chunk ? end - offset : chunk) : 0;
                }
                plan_step(ch, protocol, elements, size);
            }
        }
    }
}

/* A tree AllReduce's steps across domains: on each of its links, a channel's head sends one step per chunk (up to
 * its parent, or down to a child) and receives one per chunk (down from its parent, or up from a child). */
void hiccl_net_plan_tree(hicclComm_t comm, uint64_t count, uint32_t size, int protocol, uint64_t chunk_bytes)
{
    struct hiccl_net *n = &comm->net;
    uint64_t chunk_elems = chunk_bytes / size;
    for (uint32_t k = 0; k < n->tree_links_used; k++)
        for (uint32_t c = 0; c < HICCL_CHANNELS; c++) {
            struct net_channel *ch = &n->path[NET_TREE + k].channel[c];
            uint64_t first, length;
            hiccl_part(count, 16 / size, c, HICCL_CHANNELS, &first, &length);
            for (uint64_t base = 0; ch->role != NET_NONE && base < length; base += chunk_elems)
                plan_step(ch, protocol, length - base < chunk_elems ? length - base : chunk_elems, size);
        }
}

void hiccl_net_plan_p2p(hicclComm_t comm, int peer, int send, uint64_t bytes)
{
    struct net_path *way = &comm->net.path[comm->net.p2p_first + (uint32_t)peer];
    /* each channel's part as the kernel takes it, a slot per step */
    for (uint32_t ch = 0; ch < HICCL_P2P_CHANNELS; ch++) {
        uint64_t first, part;
        hiccl_part(bytes, 16, ch, HICCL_P2P_CHANNELS, &first, &part);
        for (uint64_t base = 0; base < part; base += SLOT_BYTES) {
            if (send)
                plan_push(&way->channel[ch].plan, (uint32_t)(part - base < SLOT_BYTES ? part - base : SLOT_BYTES));
            else
                way->channel[ch].expected[HICCL_PROTO_SIMPLE]++;
        }
    }
}

void hiccl_net_tree_args(hicclComm_t comm, uint64_t *net_in, uint64_t *net_out, uint64_t *net_flags,
                         uint64_t *link_stride, uint32_t *tree_links)
{
    struct hiccl_net *n = &comm->net;
    *net_in = n->tree_area;
    *net_out = n->path[NET_TREE].stand_in;
    *net_flags = n->staging + HICCL_CHANNELS * AREA_BYTES + NET_TREE * HICCL_CHANNELS * NET_FLAG_BYTES;
    *link_stride = NET_LINK_BYTES;
    *tree_links = n->tree_roles;
}

/* Every rank of a communicator across domains: each domain's ranks arrive at its first (mailboxes); a token goes
 * twice round the domains, from each domain's first to its last by mailbox and on to the next domain's first over
 * the network (the pairs' bootstrap, the last domain's back to rank 0). The first round finds every domain arrived,
 * and in the second each domain's first releases its ranks. */
hicclResult_t hiccl_net_barrier(hicclComm_t comm)
{
    int d = comm->domain_gpus, first = comm->rank - comm->rank % d, last = first + d - 1;
    struct message m;
    int from;
    hicclResult_t result = hicclSuccess;
    if (comm->rank != first)
        result = hiccl_comm_send(comm, first, MSG_ARRIVE, NULL, 0);
    for (int r = first + 1; r <= last && comm->rank == first && result == hicclSuccess; r++)
        result = hiccl_comm_receive(comm, MSG_ARRIVE, -1, &m, &from);
    for (int round = 0; round < 2 && result == hicclSuccess; round++) {
        int token = 0, theirs;
        if (comm->rank == first && first != 0 &&
            vdc_bootstrap_exchange(&bootstrap, &token, &theirs, sizeof theirs, 0) != 0)
            return hiccl_fail(comm, hicclRemoteError, "rank %d: the barrier's token from rank %d", comm->rank, first - 1);
        for (int r = first + 1; r <= last && comm->rank == first && round == 1 && result == hicclSuccess; r++)
            result = hiccl_comm_send(comm, r, MSG_RELEASE, NULL, 0);
        if (comm->rank == first && last != first && result == hicclSuccess)
            result = hiccl_comm_send(comm, last, MSG_TOKEN, NULL, 0);
        if (comm->rank == last && last != first && result == hicclSuccess)
            result = hiccl_comm_receive(comm, MSG_TOKEN, first, &m, &from);
        if (comm->rank == last && result == hicclSuccess &&
            vdc_bootstrap_exchange(&bootstrap, &token, &theirs, sizeof theirs, 0) != 0)
            return hiccl_fail(comm, hicclRemoteError, "rank %d: the barrier's token to rank %d", comm->rank,
                              (last + 1) % comm->nranks);
        if (comm->rank == 0 && result == hicclSuccess &&
            vdc_bootstrap_exchange(&bootstrap, &token, &theirs, sizeof theirs, 0) != 0)
            return hiccl_fail(comm, hicclRemoteError, "rank 0: the barrier's token from rank %d", comm->nranks - 1);
    }
    if (comm->rank != first && result == hicclSuccess)
        result = hiccl_comm_receive(comm, MSG_RELEASE, first, &m, &from);
    return result;
}

/* Everything the kernels have done forwarded and acknowledged, then both ends agree: neither area is written after
 * this. */
hicclResult_t hiccl_net_quiesce(hicclComm_t comm)
{
    struct hiccl_net *n = &comm->net;
    if (!n->used)
        return hicclSuccess;
    comm->gpu->in_progress = 1; /* its own waits for the GPU must not call it again */
    progress(comm);
    comm->gpu->in_progress = 0;
    while (n->outstanding > 0)
        if (!drain(comm, true))
            return hiccl_fail(comm, hicclRemoteError, "rank %d: the network proxy's last writes", comm->rank);
    return hicclSuccess;
}

void hiccl_net_close(hicclComm_t comm)
{
    struct hiccl_net *n = &comm->net;
    if (!n->used)
        return;
    gpu_set_progress(comm->gpu, NULL, NULL);

    if (n->out.qp != NULL)
        ibv_destroy_qp(n->out.qp);
    if (n->in.qp != NULL)
        ibv_destroy_qp(n->in.qp);
    for (uint32_t k = 0; k < n->tree_links_used; k++)
        if (n->tree_link[k].qp != NULL)
            ibv_destroy_qp(n->tree_link[k].qp);
    if (n->tree_area_mr != NULL)
        ibv_dereg_mr(n->tree_area_mr);
    if (n->tree_area != 0)
        gpu_free(comm->gpu, n->tree_area);
    for (int r = 0; n->p2p_links != NULL && r < comm->nranks; r++) {
        if (n->p2p_links[r].qp != NULL)
            ibv_destroy_qp(n->p2p_links[r].qp);
        for (int k = 0; k < 2; k++)
            if (n->p2p_mrs[2 * r + k] != NULL)
                ibv_dereg_mr(n->p2p_mrs[2 * r + k]);
        /* the stand-in is this rank's own (a HiLink peer's `remote` is the peer's area, opened, not freed here);
         * its area for the peer goes with the others' in the caller */
        if (n->p2p_mrs[2 * r + 1] != NULL && comm->peers[r].remote != 0) {
            gpu_free(comm->gpu, comm->peers[r].remote);
            comm->peers[r].remote = 0;
        }
    }
    if (n->cq != NULL)
        ibv_destroy_cq(n->cq);
    if (n->area_mr != NULL)
        ibv_dereg_mr(n->area_mr);
    if (n->staging_mr != NULL)
        ibv_dereg_mr(n->staging_mr);
    if (n->values_mr != NULL)
        ibv_dereg_mr(n->values_mr);
    if (n->staging != 0)
        gpu_free(comm->gpu, n->staging);
}
