/* HiCCL's cost model, in NCCL's form (src/graph/tuning.cc): a collective's time is a base latency, plus a latency per
 * step of the ring or hop of the chain, plus the bytes each link carries over the protocol's bandwidth; the
 * algorithm and protocol with the smallest predicted time run, among those NCCL_ALGO and NCCL_PROTO allow. A tree
 * applies to AllReduce, the one collective with one; the others stay on the ring, where NCCL would refuse them (no
 * algorithm left), so that one setting serves a whole nccl-tests sweep. Constants below, with where each comes from. */
#include "hiccl_internal.h"

/* The base latency of a collective (NCCL's, for LL and Simple), and the latency of each step of a ring or hop of
 * a chain. Ring: NCCL's 0.6 us for LL over NVLink, which HiCCL's LL ring also shows (8 B on 8 GPUs, 14 steps:
 * 14.2 us); for Simple HiCCL's own 1.1 us (8 B: 23.9 us), where NCCL's 3.4 us also covers its proxy and launch.
 * Chain (tree): HiCCL's own, from 8 B on 8 GPUs (14 hops: LL 17.7 us, Simple 41.3 us, whose chunks of 32 KiB
 * each wait for a fence). */
static const double base_us[HICCL_PROTO_COUNT] = {6.6, 8.4};
static const double step_us[HICCL_ALGO_COUNT][HICCL_PROTO_COUNT] = {{0.6, 1.1}, {0.79, 2.35}};
/* Bytes per microsecond each link carries, 16 channels. Ring: LL moves 8 data bytes in every 16-byte line and
 * polls every line (2 MiB on 8 GPUs: 38.9 us since its line loop is compiled per case, 40.5 us before); Simple moves
 * whole slots (16 MiB: 106.2 us, now 100.8 us with the kernel's vector loop compiled per case); the two cross at
 * about 1.4 MB, between 1 MiB (LL 24.9 us, Simple 29.1) and 2 MiB (LL 38.9, Simple 30.7), as measured. Chain: its
 * links each carry the whole of the data each way (up reduced, down final), both ways at once; fitted to 4 and 16
 * MiB on 8 GPUs as first measured (LL 91.5 and 292.2 us, Simple 69.8 and 152.6 us; docs/validation.md has today's,
 * all faster, which leaves the choice of the ring inside a rack as it was). Measured on the rack's 8 GPUs
 * (docs/hiccl.md, "LL, and choosing the protocol" and "Trees"): inside a rack the ring is the faster everywhere. */
static const double link_bytes_per_us[HICCL_ALGO_COUNT][HICCL_PROTO_COUNT] = {{153600.0, 356000.0},
                                                                             {62700.0, 151900.0}};
/* A ring across HiLink domains (NCCL's inter-node ring, whose model adds the network's latency per step and takes
 * the lower of the intra- and inter-node bandwidths): each step that crosses to another domain costs a proxy round
 * (reading the kernel's flags from the GPU, then posting) and the network's trip, and the bytes go at the rate the
 * crossing steps let through, LL's lower (16-byte lines of 8 data bytes, each step a round of the proxy). HiCCL's
 * own, fitted where the protocols cross, to all_reduce_perf on scenarios/two-rack-allreduce.yaml (2 x 8 GPUs,
 * 400 Gbit/s NICs; 30 steps, 3.75 of them crossing): 8 B in 64.1 us (LL) and 99.0 us (Simple), 1 MiB in 127.3 and
 * 124.0 us; LL's rate is its steps' latency spread over the bytes (its ring is latency-bound there,
 * docs/validation.md), and the choice is LL up to about 1 MB, as measured. Simple's ring is bound by its HiLink steps inside the racks, as
 * in one rack (its network rate is above the link's, so the link's applies): 4, 8 and 16 MiB in 130.5, 139.4 and
 * 180.3 us (`-n 1 -w 0`, NCCL_ALGO=Ring), fitted with 8 B by a crossing step of 16.7 us (within 12% at each size).
 * Its network rate is the NICs': each GPU's NIC carries the crossings of the 16/d channels that leave its domain
 * at its place, 1/d of a rank's bytes, at 400 Gbit/s, so d times a NIC's rate per link (the 400 000 bytes per us
 * of two racks of 8; on four domains of 4, 200 000: 16 MiB predicted 324 us, measured 340.4 and 333.8). */
/* A tree across two domains (NCCL's double binary tree of two nodes) crosses twice per chunk, once up to the root's
 * head and once down from it: fitted to 8 B on the same two racks (LL 43.5 us, Simple 70.7 us; its chains' hops at
 * the chain's own step latencies above), and its rate to 2 MiB with LL (124.4 us: each LL step of 16 KiB crosses in a
 * proxy round of its own, so LL's tree is the slower from about 900 KB) and to 2, 8 and 16 MiB with Simple (89.1,
 * 153.7 and 225.5 us, the last two the mean of out of and in place): with the ring's, the tree runs up to about 7.8
 * MB and the ring above, as measured (4 MiB: tree 92.5 us, ring 130.5; 8 MiB: tree 153.7, ring 139.4). Across
 * more domains a tree crosses its depth's times each way (hiccl_tree_depth: 2 on three or four domains, 3 on five
 * to eight), at the same cost per crossing (8 B on 4 domains of 4: 64.5 us, predicted 62.9; on 8 domains of 2: 87.7
 * us, predicted 85.6), and an inner head sends each chunk to its parent and two children, so Simple's rate is
 * lower: fitted to 16 MiB on 4 domains of 4 (`-n 1 -w 0`: 305.6 and 281.9 us; 4 MiB 126.4 and 124.5), 78 800 bytes
 * per us. There the tree is the faster up to about 26 MB (16 MiB: ring 340.4 us, tree 305.6). */
static const double net_step_us[HICCL_ALGO_COUNT][HICCL_PROTO_COUNT] = {{10.5, 16.7}, {12.9, 14.7}};
static const double net_bytes_per_us[HICCL_ALGO_COUNT][HICCL_PROTO_COUNT] = {{31100.0, 0.0}, {25900.0, 105000.0}};
static const double nic_bytes_per_us = 50000.0;          /* 400 Gbit/s */
static const double tree_many_domains_bytes_per_us = 78800.0; /* Simple, more than two domains */

double hiccl_predict_us(int kind, int algorithm, int protocol, int nranks, int domains, uint64_t bytes)
{
    double n = nranks;
    /* Steps of the ring (hops of the chain, up and down) and the share of the bytes each link carries (nccl-tests'
     * busbw factors for a ring). */
    double steps = kind == RING_ALL_REDUCE ? 2 * (n - 1) : n - 1;
    double share = algorithm == HICCL_ALGO_TREE             ? 1.0
                   : kind == RING_ALL_REDUCE                ? 2 * (n - 1) / n
                   : kind == RING_BROADCAST || kind == RING_REDUCE ? 1.0
                                                                  : (n - 1) / n;
    if (algorithm == HICCL_ALGO_TREE && domains > 1) /* the chains are a domain long */
        steps = 2 * (n / domains - 1);
    double latency = base_us[protocol] + steps * step_us[algorithm][protocol];
    double bandwidth = link_bytes_per_us[algorithm][protocol];
    if (domains > 1) {
        /* a tree crosses between domains its depth's times up and again down (once each way on two domains); a
         * channel's ring `domains` times in each n of its steps */
        double crossings = algorithm == HICCL_ALGO_TREE ? 2.0 * hiccl_tree_depth(domains) : steps * domains / n;
        latency += crossings * net_step_us[algorithm][protocol];
        double net = net_bytes_per_us[algorithm][protocol];
        if (algorithm == HICCL_ALGO_RING && protocol == HICCL_PROTO_SIMPLE)
            net = nic_bytes_per_us * (n / domains);
        else if (algorithm == HICCL_ALGO_TREE && protocol == HICCL_PROTO_SIMPLE && domains > 2)
            net = tree_many_domains_bytes_per_us;
        bandwidth = net < bandwidth ? net : bandwidth;
    }
    return latency + (double)bytes * share / bandwidth;
}

void hiccl_choose(const struct hicclComm *comm, int kind, uint64_t bytes, int *algorithm, int *protocol)
{
    double best = 0;
    *algorithm = HICCL_ALGO_RING;
    *protocol = HICCL_PROTO_LL;
    unsigned algorithms = kind != RING_ALL_REDUCE ? 1u << HICCL_ALGO_RING : comm->algorithms;
    for (int a = 0; a < HICCL_ALGO_COUNT; a++) {
        if (!(algorithms & 1u << a))
            continue;
        for (int p = 0; p < HICCL_PROTO_COUNT; p++) {
            if (!(comm->protocols & 1u << p))
                continue;
            double t = hiccl_predict_us(kind, a, p, comm->nranks,
                                        comm->domain_gpus ? comm->nranks / comm->domain_gpus : 1, bytes);
            if (best == 0 || t < best) {
                best = t;
                *algorithm = a;
                *protocol = p;
            }
        }
    }
}

/* VALUE of the word NAME=VALUE in the guest's arguments, copied into `out`: 1, or 0 when there is none, or -1 when
 * the value does not fit. */
static int argument(const char *name, char *out, size_t size)
{
    const char *args = vdc_bootargs();
    size_t length = strlen(name);
    for (const char *p = args; *p != '\0';) {
        while (*p == ' ')
            p++;
        const char *end = p;
        while (*end != '\0' && *end != ' ')
            end++;
        if ((size_t)(end - p) > length && memcmp(p, name, length) == 0 && p[length] == '=') {
            size_t n = (size_t)(end - p) - length - 1;
            if (n >= size)
                return -1;
            memcpy(out, p + length + 1, n);
            out[n] = '\0';
            return 1;
        }
        p = end;
    }
    return 0;
}

/* NCCL's names for one setting, in NCCL's order, each with HiCCL's index for it or -1 where HiCCL has none. */
struct named { const char *name; int index; };
static const struct named nccl_protocols[] = {{"LL", HICCL_PROTO_LL}, {"LL128", -1}, {"Simple", HICCL_PROTO_SIMPLE}};
static const struct named nccl_algorithms[] = {{"Tree", HICCL_ALGO_TREE}, {"Ring", HICCL_ALGO_RING},
                                               {"CollnetDirect", -1}, {"CollnetChain", -1}, {"NVLS", -1},
                                               {"NVLSTree", -1}, {"PAT", -1}};

/* NAME's value read as NCCL reads NCCL_ALGO and NCCL_PROTO: names separated by commas, in any case, the ones listed
 * allowed, or with a leading ^ the ones listed left out; a name NCCL has and HiCCL lacks allows nothing here. Sets
 * *mask to the allowed ones of HiCCL's (all of them when NAME is not given). A name NCCL does not have (where NCCL
 * would pass over it), or a list that leaves HiCCL nothing, fails with a message. */
static hicclResult_t read_list(hicclComm_t comm, const char *name, const struct named *names, int count,
                               const char *hiccl_has, unsigned all, unsigned *mask)
{
    char value[128];
    *mask = all;
    int found = argument(name, value, sizeof value);
    if (found == 0)
        return hicclSuccess;
    if (found < 0)
        return hiccl_fail(comm, hicclInvalidArgument, "%s: its value is longer than %u bytes", name,
                          (unsigned)sizeof value - 1);
    char given[sizeof value]; /* the value as given, for messages (the walk below cuts `value` at its commas) */
    memcpy(given, value, sizeof value);
    int exclude = value[0] == '^';
    unsigned listed = 0;
    for (char *token = value + exclude; *token != '\0';) {
        char *comma = strchr(token, ',');
        if (comma != NULL)
            *comma = '\0';
        if (*token == '\0') { /* an empty name between commas: NCCL's strtok passes over it */
            token = comma + 1;
            continue;
        }
        int k = 0;
        while (k < count && strcasecmp(token, names[k].name) != 0)
            k++;
        if (k == count)
            return hiccl_fail(comm, hicclInvalidArgument, "%s=%s: '%s' is none of NCCL's names for it (HiCCL has %s)",
                              name, given, token, hiccl_has);
        if (names[k].index >= 0)
            listed |= 1u << names[k].index;
        if (comma == NULL)
            break;
        token = comma + 1;
    }
    *mask = exclude ? all & ~listed : listed;
    if (*mask == 0)
        return hiccl_fail(comm, hicclInvalidArgument, "%s=%s leaves HiCCL nothing to run: it has %s", name, given,
                          hiccl_has);
    return hicclSuccess;
}

hicclResult_t hiccl_read_overrides(hicclComm_t comm)
{
    hicclResult_t r = read_list(comm, "NCCL_PROTO", nccl_protocols, sizeof nccl_protocols / sizeof *nccl_protocols,
                                "LL and Simple", (1u << HICCL_PROTO_COUNT) - 1, &comm->protocols);
    if (r != hicclSuccess)
        return r;
    return read_list(comm, "NCCL_ALGO", nccl_algorithms, sizeof nccl_algorithms / sizeof *nccl_algorithms,
                     "Ring and Tree", (1u << HICCL_ALGO_COUNT) - 1, &comm->algorithms);
}
