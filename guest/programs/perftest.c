/* perftest: ib_write_bw, ib_read_bw, ib_send_lat and ib_write_lat between pairs of guests over HiNIC, with
 * perftest's options and tables. Even rank r is the client of rank r + 1, its server; the pair connects over the
 * verbs bootstrap QP, and every time comes from the virtual clock. */
#include <libfdt.h>

#include "perftest_stats.h"
#include "vdc_gpu.h"
#include "vdc_guest.h"
#include "vdc_verbs.h"

#define MAX_SIZE 8388608u              /* perftest's -a goes from 2 bytes to this */
#define LAT_SQ_DEPTH 128               /* latency tests keep this many sends in the ring... */
#define LAT_SIGNAL_EVERY 64            /* ...and ask for a completion on every 64th, to free them */
#define SETUP_TIMEOUT_NS 1000000000ULL /* the peer has 1 s of virtual time to reach each setup step */
#define STALL_NS 10000000000ULL        /* a test with no completion for 10 s of virtual time has failed */
#define PEAK_MAX_PAIRS 200000000ULL    /* a longer peak search would run seconds without an exit */
#define WC_BATCH 64
#define RESULT_LINE "---------------------------------------------------------------------------------------\n"
#define BW_HEADER " #bytes     #iterations    BW peak[%s]    BW average[%s]   MsgRate[Mpps]\n"
#define LAT_HEADER                                                                                                \
    " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    t_avg[usec]    t_stdev[usec]   99%% " \
    "percentile[usec]   99.9%% percentile[usec] \n"
/* perftest's rows, tabs included (print_row expands them) */
#define BW_ROW " %-7lu    %-10lu       %-7.2f            %-7.2f\t\t   %-7.6f\n"
#define LAT_ROW                                                                                                  \
    " %-7lu %lu          %-7.2f        %-7.2f      %-7.2f  \t       %-7.2f     \t%-7.2f\t\t%-7.2f \t\t%-7.2f\n"

enum test { WRITE_BW, READ_BW, SEND_LAT, WRITE_LAT, TESTS };

static const char *const test_names[TESTS] = {"write_bw", "read_bw", "send_lat", "write_lat"};
static const char *const test_titles[TESTS] = {"RDMA_Write BW Test", "RDMA_Read BW Test", "Send Latency Test",
                                               "RDMA_Write Latency Test"};

struct options {
    enum test test;
    int all, gbits, no_peak;
    int use_cuda; /* --use_cuda: the buffer in the blade's GPU memory (GPUDirect RDMA) */
    unsigned long size, iters, tx_depth, rx_depth, mtu, timeout, sl;
};

/* One side of a connected pair and what its test needs. */
struct pair {
    struct options opt;
    int client;
    uint32_t rank, peer;
    enum ibv_mtu mtu;
    struct ibv_context *context;
    struct ibv_pd *pd;
    struct ibv_cq *cq;
    struct ibv_qp *qp;
    struct ibv_mr *mr;
    struct vdc_bootstrap bs;
    struct vdc_dest local, remote;
    uint8_t *buffer;        /* the source half, then the destination half (device addresses with --use_cuda) */
    struct gpu_device *gpu; /* with --use_cuda */
    uint8_t *staging;       /* with --use_cuda: the destination half copied out of the GPU for the data check */
    uint64_t half;          /* bytes in each half */
    struct ibv_send_wr *wr; /* requests and their elements, reused by every post */
    struct ibv_sge *sge;
    struct ibv_recv_wr *rwr; /* latency tests: receives, all into the destination half */
    struct ibv_sge rsge;
    uint64_t *stamps; /* latency: the time of each post */
    struct perftest_stamp *posts, *completions;
    uint32_t rx_posted, rx_taken, sends;
    int bw_requests_made; /* the bandwidth tests' requests are in wr and sge */
};

static int is_bw(enum test t)
{
    return t == WRITE_BW || t == READ_BW;
}

/* The byte a side fills its source half with, from its PSN; never 0, so untouched memory does not pass. */
static uint8_t pattern(uint32_t psn)
{
    return (uint8_t)(0x80 | (psn & 0x7f));
}

static int usage(const char *why, const char *arg)
{
    printf("perftest: %s%s%s\n", why, arg ? ": " : "", arg ? arg : "");
    printf("usage: perftest write_bw|read_bw|send_lat|write_lat [-s SIZE] [-a] [-n ITERS] [-t TX_DEPTH] "
           "[-r RX_DEPTH] [-m MTU] [-u QP_TIMEOUT] [-S SL] [-N] [-F] [--report_gbits] [--use_cuda]\n");
    return 2;
}

/* Options with a value: -x VALUE, -xVALUE, --name VALUE or --name=VALUE. */
static const struct {
    char letter;
    const char *name;
    size_t offset;
    unsigned long min, max;
} valued[] = {
    {'s', "size", offsetof(struct options, size), 1, MAX_SIZE},
    {'n', "iters", offsetof(struct options, iters), 5, 100000000},
    {'t', "tx-depth", offsetof(struct options, tx_depth), 1, 8192},
    {'r', "rx-depth", offsetof(struct options, rx_depth), 2, 8192},
    {'m', "mtu", offsetof(struct options, mtu), 256, 4096},
    {'u', "qp-timeout", offsetof(struct options, timeout), 0, 31},
    {'S', "sl", offsetof(struct options, sl), 0, 7},
};

/* Which valued option `arg` names (or -1), and where its value is: in `arg` itself, or the next word (NULL). */
static int valued_option(const char *arg, const char **inline_value)
{
    for (int k = 0; k < (int)(sizeof valued / sizeof valued[0]); k++)
        if (vdc_option(arg, valued[k].letter, valued[k].name, inline_value))
            return k;
    return -1;
}

/* Bootargs as perftest's command line: the test's name (the ib_ prefix optional) and its options. */
static int parse_options(char *line, struct options *o)
{
    char *argv[48];
    int argc = 0, have_test = 0;
    for (char *p = line; *p;) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p && argc == 48)
            return usage("more than 48 arguments", NULL);
        if (*p)
            argv[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    *o = (struct options){.rx_depth = 512, .timeout = 14};
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *value;
        int k = valued_option(arg, &value);
        if (k >= 0) {
            if (value == NULL && i + 1 < argc)
                value = argv[++i];
            char *end;
            unsigned long v = value ? strtoul(value, &end, 0) : 0;
            if (value == NULL || *value == '\0' || *end != '\0' || v < valued[k].min || v > valued[k].max)
                return usage("missing or out-of-range value", arg);
            *(unsigned long *)((char *)o + valued[k].offset) = v;
        } else if (!strcmp(arg, "-a") || !strcmp(arg, "--all")) {
            o->all = 1;
        } else if (!strcmp(arg, "-N") || !strcmp(arg, "--no_peak")) {
            o->no_peak = 1;
        } else if (!strcmp(arg, "--report_gbits")) {
            o->gbits = 1;
        } else if (!strcmp(arg, "--use_cuda") || !strcmp(arg, "--use_cuda=0")) {
            o->use_cuda = 1; /* the blade's one GPU, device 0 */
        } else if (!strcmp(arg, "-F") || !strcmp(arg, "--CPU-freq")) {
            /* perftest's: no warning about CPU frequency scaling; a virtual clock never gives one */
        } else if (vdc_option(arg, 'd', "ib-dev", &value) || vdc_option(arg, 'i', "ib-port", &value) ||
                   vdc_option(arg, 'x', "gid-index", &value)) {
            return usage("the blade's one HiNIC, its one port and GID 0 are used: no device, port or GID index is "
                         "chosen",
                         arg);
        } else if (arg[0] != '-' && have_test) {
            return usage("no server address is taken: each even rank's server is the rank after it", arg);
        } else if (arg[0] != '-' && !have_test) {
            const char *name = memcmp(arg, "ib_", 3) ? arg : arg + 3;
            int t = 0;
            while (t < TESTS && strcmp(name, test_names[t]))
                t++;
            if (t == TESTS)
                return usage("unknown test", arg);
            o->test = (enum test)t;
            have_test = 1;
        } else {
            return usage("unknown argument", arg);
        }
    }
    if (!have_test)
        return usage("no test named", NULL);
    if (o->mtu & (o->mtu - 1))
        return usage("the MTU is one of 256, 512, 1024, 2048 and 4096", NULL);
    if (o->size == 0)
        o->size = is_bw(o->test) ? 65536 : 2;
    if (o->iters == 0)
        o->iters = o->test == WRITE_BW ? 5000 : 1000;
    if (o->tx_depth == 0)
        o->tx_depth = is_bw(o->test) ? 128 : 1;
    return 0;
}

/* Prints a line with its tabs expanded to 8-column stops: the console shows control bytes as \xNN. */
static void print_row(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void print_row(const char *fmt, ...)
{
    char raw[256], line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    size_t n = 0;
    for (const char *c = raw; *c && n < sizeof line - 9; c++) {
        if (*c != '\t')
            line[n++] = *c;
        else
            do
                line[n++] = ' ';
            while (n % 8 != 0);
    }
    line[n] = '\0';
    printf("%s", line);
}

static void print_address(const char *side, const struct vdc_dest *d)
{
    union ibv_gid gid;
    ibv_gid_from_ipv4(&gid, d->ipv4);
    printf(" %s address: LID 0000 QPN 0x%04x PSN 0x%06x RKey 0x%06x VAddr 0x%014llx\n", side, d->qpn, d->psn,
           d->rkey, (unsigned long long)d->addr);
    char text[16 * 4 + 1];
    size_t n = 0;
    for (int i = 0; i < 16; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%s%02u", i ? ":" : "", gid.raw[i]);
    printf(" GID: %s\n", text);
}

static void print_banner(const struct pair *p)
{
    const struct options *o = &p->opt;
    printf(RESULT_LINE);
    printf("                    %s\n", test_titles[o->test]);
    printf(" Device          : %s\n", p->context->name);
    printf(" Number of qps   : 1\n");
    printf(" Connection type : RC\n");
    printf(" TX depth        : %lu\n", o->tx_depth);
    if (!is_bw(o->test))
        printf(" RX depth        : %lu\n", o->rx_depth);
    printf(" Mtu             : %u[B]\n", 128u << p->mtu);
    printf(" Link type       : Ethernet\n");
    printf(" GID index       : 0\n");
    printf(" Max inline data : 0[B]\n");
    printf(" Data ex. method : bootstrap QP, %s of rank %u\n", p->client ? "client" : "server", p->peer);
    printf(RESULT_LINE);
    print_address("local", &p->local);
    print_address("remote", &p->remote);
    printf(RESULT_LINE);
}

static int failed(const char *what, int rc)
{
    static const struct {
        int code;
        const char *name;
    } names[] = {{ENOENT, "ENOENT"}, {EIO, "EIO"},     {ENOMEM, "ENOMEM"},         {EBUSY, "EBUSY"},
                 {EEXIST, "EEXIST"}, {ENODEV, "ENODEV"}, {EINVAL, "EINVAL"}, {EOPNOTSUPP, "EOPNOTSUPP"},
                 {ETIMEDOUT, "ETIMEDOUT"}};
    const char *name = "error";
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].code == rc)
            name = names[i].name;
    printf("perftest: %s failed: %s (%d)\n", what, name, rc);
    return 1;
}

#ifdef PERFTEST_HOST_TEST
/* The host tests (check/devices/check_guest_perftest.c) run the program with no GPU to put a buffer in. */
static int gpu_buffer(struct pair *p)
{
    (void)p;
    printf("perftest: --use_cuda: no GPU on this blade; set guests.gpu: true\n");
    return 1;
}

static int gpu_copy_out(const struct pair *p, void *dst, const uint8_t *src, uint32_t size)
{
    (void)p, (void)dst, (void)src, (void)size;
    return 1;
}
#else
/* --use_cuda: both halves in the blade's GPU memory, the source half filled with the pattern there, and a staging
 * copy in guest memory for the data check; what perftest prints as it sets CUDA up. The NIC reaches the buffer
 * peer to peer (docs/hinic.md, "GPUDirect RDMA"). */
static int gpu_buffer(struct pair *p)
{
    int status;
    uint64_t address;
    printf("initializing CUDA\n");
    if ((p->gpu = vdc_gpu_open(0, &status)) == NULL) {
        printf("perftest: --use_cuda: %s on this blade; set guests.gpu: true\n", gpu_status_name(status));
        return 1;
    }
    printf("Picking device No. 0\n");
    if (gpu_malloc(p->gpu, &address, 2 * p->half) != GPU_SUCCESS ||
        gpu_memset(p->gpu, address, pattern(p->local.psn), p->half) != GPU_SUCCESS) {
        printf("perftest: --use_cuda: a GPU buffer of %llu bytes: %s\n", (unsigned long long)(2 * p->half),
               gpu_error_text(p->gpu));
        return 1;
    }
    printf("cuMemAlloc() of a %llu bytes GPU buffer\n", (unsigned long long)(2 * p->half));
    printf("allocated GPU buffer address at %016llx\n", (unsigned long long)address);
    p->buffer = (uint8_t *)(uintptr_t)address;
    if ((p->staging = vdc_alloc(p->half, 4096)) == NULL)
        return failed("allocating the staging buffer (guests.memory too small?)", ENOMEM);
    return 0;
}

/* `size` bytes of the GPU buffer at `src` into `dst`; nonzero, with a message, when the GPU refuses. */
static int gpu_copy_out(const struct pair *p, void *dst, const uint8_t *src, uint32_t size)
{
    if (gpu_memcpy_d2h(p->gpu, dst, (uint64_t)(uintptr_t)src, size) == GPU_SUCCESS)
        return 0;
    printf("perftest: copying the received data out of the GPU: %s\n", gpu_error_text(p->gpu));
    return 1;
}
#endif

static int completion_failed(const struct ibv_wc *wc)
{
    printf("perftest: completion of request %llu on QP 0x%x: %s (vendor error %u)\n", (unsigned long long)wc->wr_id,
           wc->qp_num, ibv_wc_status_str(wc->status), wc->vendor_err);
    return 1;
}

/* Receives for the latency tests, topped up to rx_depth in one post. */
static int post_receives(struct pair *p)
{
    uint32_t count = (uint32_t)p->opt.rx_depth - (p->rx_posted - p->rx_taken);
    for (uint32_t k = 0; k < count; k++)
        p->rwr[k] = (struct ibv_recv_wr){.wr_id = p->rx_posted + k, .next = k + 1 < count ? &p->rwr[k + 1] : NULL,
                                         .sg_list = &p->rsge, .num_sge = 1};
    p->rx_posted += count;
    return count ? ibv_post_recv(p->qp, p->rwr, NULL) : 0;
}

static int setup_resources(struct pair *p)
{
    const struct options *o = &p->opt;
    if ((p->context = ibv_open_device()) == NULL)
        return failed("opening the HiNIC (a \"vdc,hinic\" node)", errno);
    p->mtu = o->mtu ? (enum ibv_mtu)(__builtin_ctzl(o->mtu) - 7) : p->context->max_mtu;
    if (p->mtu > p->context->max_mtu)
        return failed("choosing the MTU (above the port's)", EINVAL);
    if ((p->pd = ibv_alloc_pd(p->context)) == NULL)
        return failed("ibv_alloc_pd", errno);
    if (vdc_peer_ipv4(p->context, p->rank) != p->context->ipv4)
        printf("perftest: warning: this NIC's address is not where the peer will look for it\n");
    int rc = vdc_bootstrap_connect(&p->bs, p->pd, p->peer);
    if (rc != 0)
        return failed(rc == EEXIST ? "bootstrap (its QP must be the NIC's first)" : "bootstrap", rc);
    p->half = ((o->all ? MAX_SIZE : o->size) + 4095) & ~4095ull;
    if (o->use_cuda) {
        p->local.psn = (uint32_t)vdc_random() & 0xffffff;
        if ((rc = gpu_buffer(p)) != 0)
            return rc;
    } else {
        if ((p->buffer = vdc_alloc(2 * p->half, 4096)) == NULL)
            return failed("allocating the buffer (guests.memory too small?)", ENOMEM);
        p->local.psn = (uint32_t)vdc_random() & 0xffffff;
        memset(p->buffer, pattern(p->local.psn), p->half);
    }
    p->mr = ibv_reg_mr(p->pd, p->buffer, 2 * p->half,
                       IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ);
    if (p->mr == NULL)
        return failed("ibv_reg_mr", errno);
    uint32_t sq_depth = is_bw(o->test) ? (uint32_t)o->tx_depth : LAT_SQ_DEPTH;
    uint32_t rq_depth = is_bw(o->test) ? 1 : (uint32_t)o->rx_depth;
    if ((p->cq = ibv_create_cq(p->context, (int)(sq_depth + rq_depth), NULL, NULL, 0)) == NULL)
        return failed("ibv_create_cq", errno);
    struct ibv_qp_init_attr init = {.send_cq = p->cq, .recv_cq = p->cq, .qp_type = IBV_QPT_RC,
                                    .cap = {.max_send_wr = sq_depth, .max_recv_wr = rq_depth, .max_send_sge = 1,
                                            .max_recv_sge = 1}};
    if ((p->qp = ibv_create_qp(p->pd, &init)) == NULL)
        return failed("ibv_create_qp", errno);
    struct ibv_qp_attr attr = {.qp_state = IBV_QPS_INIT, .port_num = 1,
                               .qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ};
    if ((rc = ibv_modify_qp(p->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS)))
        return failed("ibv_modify_qp to INIT", rc);
    p->wr = vdc_alloc(sq_depth * sizeof *p->wr, 64);
    p->sge = vdc_alloc(sq_depth * sizeof *p->sge, 64);
    p->rwr = vdc_alloc(rq_depth * sizeof *p->rwr, 64);
    p->stamps = is_bw(o->test) ? NULL : vdc_alloc(o->iters * sizeof *p->stamps, 64);
    p->posts = is_bw(o->test) ? vdc_alloc(o->iters * sizeof *p->posts, 64) : NULL;
    p->completions = is_bw(o->test) ? vdc_alloc(o->iters * sizeof *p->completions, 64) : NULL;
    if (p->wr == NULL || p->sge == NULL || p->rwr == NULL || (p->stamps == NULL && p->posts == NULL) ||
        (p->posts != NULL && p->completions == NULL))
        return failed("allocating the test's arrays (guests.memory too small?)", ENOMEM);
    p->rsge = (struct ibv_sge){(uint64_t)(uintptr_t)(p->buffer + p->half), (uint32_t)p->half, p->mr->lkey};
    if (!is_bw(o->test) && (rc = post_receives(p)) != 0)
        return failed("ibv_post_recv", rc);
    return 0;
}

/* perftest's exchange: QPN, PSN, GID, rkey and buffer go both ways over the bootstrap QP; then RTR and RTS,
 * and a barrier so neither side sends before the other is ready. */
static int connect_pair(struct pair *p)
{
    p->local = (struct vdc_dest){.qpn = p->qp->qp_num, .psn = p->local.psn, .ipv4 = p->context->ipv4,
                                 .rkey = p->mr->rkey,
                                 .addr = (uint64_t)(uintptr_t)p->buffer, .length = 2 * p->half};
    int rc = vdc_bootstrap_exchange(&p->bs, &p->local, &p->remote, sizeof p->local, SETUP_TIMEOUT_NS);
    if (rc != 0)
        return failed("exchanging QP numbers with the peer", rc);
    if (p->remote.length != p->local.length)
        return failed("matching the peer's options (its buffer differs)", EINVAL);
    rc = vdc_connect_qp(p->qp, &p->local, &p->remote, p->mtu, (uint8_t)p->opt.sl, (uint8_t)p->opt.timeout, 7);
    if (rc != 0)
        return failed("moving the QP to RTR and RTS", rc);
    rc = vdc_bootstrap_barrier(&p->bs, SETUP_TIMEOUT_NS);
    return rc ? failed("the barrier after connecting", rc) : 0;
}

/* Keeps tx_depth signaled requests in flight until iters have completed; returns the elapsed ns, and the peak
 * ns per message in *peak_ns (0 when not computed). */
static int run_bw(struct pair *p, uint32_t size, uint64_t *elapsed_ns, double *peak_ns)
{
    const struct options *o = &p->opt;
    uint32_t iters = (uint32_t)o->iters, window = (uint32_t)o->tx_depth;
    int write = o->test == WRITE_BW;
    uint64_t local = (uint64_t)(uintptr_t)p->buffer + (write ? 0 : p->half);
    uint64_t remote = p->remote.addr + (write ? p->remote.length / 2 : 0);
    /* The requests differ from size to size only in their length: made whole once, then only the lengths are
     * written (on the emulated vCPU every store to memory is dear: docs/performance.md, HiNIC). */
    for (uint32_t k = 0; k < window; k++) {
        if (!p->bw_requests_made) {
            p->sge[k] = (struct ibv_sge){local, size, p->mr->lkey};
            p->wr[k] = (struct ibv_send_wr){.sg_list = &p->sge[k], .num_sge = 1,
                                            .opcode = write ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ,
                                            .send_flags = IBV_SEND_SIGNALED, .wr.rdma = {remote, p->remote.rkey}};
        }
        p->sge[k].length = size;
    }
    p->bw_requests_made = 1;
    uint32_t posted = 0, completed = 0;
    size_t n_posts = 0, n_completions = 0;
    uint64_t now = vdc_clock_ns();
    while (completed < iters) {
        uint32_t room = window - (posted - completed);
        if (room > iters - posted)
            room = iters - posted;
        if (room > 0) {
            for (uint32_t k = 0; k < room; k++) {
                p->wr[k].wr_id = posted + k;
                p->wr[k].next = k + 1 < room ? &p->wr[k + 1] : NULL;
            }
            int rc = ibv_post_send(p->qp, p->wr, NULL);
            if (rc != 0)
                return failed("ibv_post_send", rc);
            p->posts[n_posts++] = (struct perftest_stamp){now, posted};
            posted += room;
        }
        struct ibv_wc wc[WC_BATCH];
        int n = ibv_poll_cq_wait(p->cq, WC_BATCH, wc, now + STALL_NS);
        if (n < 0)
            return failed("waiting for completions", -n);
        for (int i = 0; i < n; i++)
            if (wc[i].status != IBV_WC_SUCCESS)
                return completion_failed(&wc[i]);
        completed += (uint32_t)n;
        now = vdc_clock_ns(); /* one read stamps these completions and the requests that replace them */
        p->completions[n_completions++] = (struct perftest_stamp){now, completed - 1};
    }
    *elapsed_ns = p->completions[n_completions - 1].time_ns - p->posts[0].time_ns;
    *peak_ns = !o->no_peak && (uint64_t)n_posts * n_completions <= PEAK_MAX_PAIRS
                   ? perftest_peak_ns(p->posts, n_posts, p->completions, n_completions)
                   : 0;
    return 0;
}

static void report_bw(const struct pair *p, uint32_t size, uint64_t elapsed_ns, double peak_ns)
{
    double unit = p->opt.gbits ? 1e9 / 8 : 1048576.0; /* Gb/sec or MiB/sec */
    double seconds = (double)elapsed_ns / 1e9, iters = (double)p->opt.iters;
    double average = (double)size * iters / seconds / unit;
    double peak = peak_ns > 0 ? (double)size / (peak_ns / 1e9) / unit : 0;
    print_row(BW_ROW, (unsigned long)size, p->opt.iters, peak, average, iters / seconds / 1e6);
}

static int send_ping(struct pair *p, uint32_t i, uint32_t size)
{
    p->sge[0] = (struct ibv_sge){(uint64_t)(uintptr_t)p->buffer, size, p->mr->lkey};
    p->wr[0] = (struct ibv_send_wr){
        .wr_id = i, .sg_list = &p->sge[0], .num_sge = 1, .imm_data = i,
        .opcode = p->opt.test == SEND_LAT ? IBV_WR_SEND : IBV_WR_RDMA_WRITE_WITH_IMM,
        .send_flags = ++p->sends % LAT_SIGNAL_EVERY == 0 ? IBV_SEND_SIGNALED : 0,
        .wr.rdma = {p->remote.addr + p->remote.length / 2, p->remote.rkey}};
    int rc = ibv_post_send(p->qp, p->wr, NULL);
    return rc ? failed("ibv_post_send", rc) : 0;
}

/* Waits for the peer's message i; send completions met on the way only free ring slots. */
static int wait_ping(struct pair *p, uint32_t i, uint32_t size, uint64_t deadline_ns)
{
    for (;;) {
        struct ibv_wc wc[4];
        int n = ibv_poll_cq_wait(p->cq, 4, wc, deadline_ns);
        if (n < 0)
            return failed("waiting for the peer's message", -n);
        int got = 0;
        for (int k = 0; k < n; k++) {
            if (wc[k].status != IBV_WC_SUCCESS)
                return completion_failed(&wc[k]);
            if (!(wc[k].opcode & IBV_WC_RECV))
                continue;
            p->rx_taken++;
            int expected = p->opt.test == SEND_LAT ? wc[k].opcode == IBV_WC_RECV && wc[k].byte_len == size
                                                   : wc[k].opcode == IBV_WC_RECV_RDMA_WITH_IMM && wc[k].imm_data == i;
            if (!expected || got++)
                return failed("matching the peer's message to this iteration", EIO);
        }
        if (got)
            return 0;
    }
}

/* Ping-pong: the client stamps and sends, the server answers each message. A round trip costs the client 3 exits
 * (clock, doorbell, WAIT) and the server 2 (WAIT, doorbell); receive top-ups are made while a message is in
 * flight, and the few signaled send completions wake a side only while it is idle anyway. */
static int run_lat(struct pair *p, uint32_t size)
{
    uint32_t iters = (uint32_t)p->opt.iters;
    for (uint32_t i = 0; i < iters; i++) {
        int rc;
        if (p->client) {
            p->stamps[i] = vdc_clock_ns();
            rc = send_ping(p, i, size);
            if (rc == 0 && p->rx_posted - p->rx_taken <= p->opt.rx_depth / 2)
                rc = post_receives(p);
            if (rc == 0)
                rc = wait_ping(p, i, size, p->stamps[i] + STALL_NS);
        } else {
            rc = wait_ping(p, i, size, 0);
            if (rc == 0)
                rc = send_ping(p, i, size);
            if (rc == 0 && p->rx_posted - p->rx_taken <= p->opt.rx_depth / 2)
                rc = post_receives(p);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void report_lat(const struct pair *p, uint32_t size)
{
    size_t n = p->opt.iters - 1;
    for (size_t i = 0; i < n; i++)
        p->stamps[i] = p->stamps[i + 1] - p->stamps[i]; /* round trips */
    struct perftest_lat s;
    if (perftest_lat_stats(p->stamps, n, 2, &s) != 0)
        return;
    print_row(LAT_ROW, (unsigned long)size, p->opt.iters, s.min, s.max, s.typical, s.avg, s.stdev, s.p99, s.p999);
}

/* Whether the peer's data arrived whole: every byte it wrote or sent carries its pattern. */
static int check_landing(const struct pair *p, uint32_t size)
{
    const uint8_t *landed = p->buffer + p->half;
    if (p->opt.use_cuda) {
        if (gpu_copy_out(p, p->staging, landed, size) != 0)
            return 1;
        landed = p->staging;
    }
    uint8_t expected = pattern(p->remote.psn);
    /* The first block against the pattern, then every later byte against the one a block before it: a few simctl
     * exits (memset and memcmp from VDC_FILL_MIN bytes up), not a loop over megabytes on the vCPU. */
    static uint8_t block[4096];
    static uint32_t block_filled; /* bytes of block holding `expected`, the same for every size of a run */
    uint32_t head = size < sizeof block ? size : (uint32_t)sizeof block;
    if (block[0] != expected) /* never 0, so the first call fills */
        block_filled = 0;
    if (head > block_filled) { /* every store costs the emulated vCPU: docs/performance.md, HiNIC */
        memset(block + block_filled, expected, head - block_filled);
        block_filled = head;
    }
    if (memcmp(landed, block, head) == 0 && (size == head || memcmp(landed + head, landed, size - head) == 0))
        return 0;
    for (uint32_t i = 0; i < size; i++) { /* byte by byte, to name the first mismatch */
        if (landed[i] != expected) {
            printf("perftest: data check failed at byte %u of %u: 0x%02x, not 0x%02x\n", i, size, landed[i],
                   expected);
            return 1;
        }
    }
    return 0;
}

static int run_size(struct pair *p, uint32_t size)
{
    enum test t = p->opt.test;
    uint64_t elapsed_ns = 0;
    double peak_ns = 0;
    int rc = 0;
    if (!is_bw(t))
        rc = run_lat(p, size);
    else if (p->client)
        rc = run_bw(p, size, &elapsed_ns, &peak_ns);
    if (rc != 0)
        return rc;
    /* The server of a bandwidth test waits here for the whole run. */
    if ((rc = vdc_bootstrap_barrier(&p->bs, p->client ? SETUP_TIMEOUT_NS : 0)) != 0)
        return failed("the barrier after a test", rc);
    if (p->client && is_bw(t))
        report_bw(p, size, elapsed_ns, peak_ns);
    else if (p->client)
        report_lat(p, size);
    int receiver = t == WRITE_BW ? !p->client : t == READ_BW ? p->client : 1;
    return receiver ? check_landing(p, size) : 0;
}

int main(void);
int main(void)
{
    static char line[1024];
    static struct pair pair;
    struct pair *p = &pair;
    *p = (struct pair){0};
    memset(line, 0, sizeof line);
    size_t n = strlen(vdc_bootargs());
    if (n >= sizeof line)
        return usage("the arguments are longer than 1023 bytes", NULL);
    memcpy(line, vdc_bootargs(), n);
    int rc = parse_options(line, &p->opt);
    if (rc != 0)
        return rc;
    p->rank = vdc_rank();
    p->client = p->rank % 2 == 0;
    p->peer = p->rank ^ 1;
    struct ibv_context *context = ibv_open_device();
    int len;
    if (context != NULL && fdt_getprop(vdc_device_tree(), context->fdt_node, "vdc,peer-gids", &len) != NULL &&
        p->peer >= (uint32_t)len / 4) {
        printf("perftest: rank %u has no peer (rank %u does not exist)\n", p->rank, p->peer);
        return 0;
    }
    if ((rc = setup_resources(p)) != 0 || (rc = connect_pair(p)) != 0)
        return rc;
    print_banner(p);
    const char *unit = p->opt.gbits ? "Gb/sec" : "MiB/sec";
    if (p->client && is_bw(p->opt.test))
        printf(BW_HEADER, unit, unit);
    else if (p->client)
        printf(LAT_HEADER);
    uint32_t first = p->opt.all ? 2 : (uint32_t)p->opt.size, last = p->opt.all ? MAX_SIZE : first;
    for (uint32_t size = first; size <= last && rc == 0; size *= 2)
        rc = run_size(p, size);
    if (p->client)
        printf(RESULT_LINE);
    ibv_destroy_qp(p->qp);
    ibv_destroy_cq(p->cq);
    ibv_dereg_mr(p->mr);
    vdc_bootstrap_close(&p->bs);
    return rc;
}
