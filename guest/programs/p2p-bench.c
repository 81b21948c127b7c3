/* p2p-bench [BYTES] [ITERS]: the peer-to-peer bandwidth and latency matrices of the GPUs on a HiLink fabric, in the
 * spirit of CUDA's p2pBandwidthLatencyTest. Every guest runs it with its GPU; all of them take each step together,
 * meeting at a barrier the GPUs hold among themselves over HiLink (hl_barrier), so one pair measures at a time:
 * unidirectional bandwidth (a COPY_PEER of BYTES, default 4 MiB, timed with events), bidirectional bandwidth (both
 * GPUs of a pair copying to each other at once) and one-way latency (half a round trip of a flag ping-pong between
 * two kernels, ITERS round trips, default 100). The diagonal is a copy within the GPU (bandwidth) and not measured
 * (latency). Each GPU sends its results to GPU 0, whose guest prints the matrices. The GPUs allocate the same
 * buffers in the same order, so a buffer of a peer lies `place * 1 TiB` from where one's own lies. */
#include "vdc_gpu.h"
#include "vdc_guest.h"

VDC_PTX_DECLARE(peer);

#define PLACE_BYTES 0x10000000000ll
#define MAX_GPUS 64
/* Offsets in the control buffer: GPU 0's arrivals, every GPU's release flag and ping-pong flag, the results. */
#define ARRIVALS 0
#define RELEASE 256
#define FLAG 512
#define RESULTS 4096
enum { UNI, BIDIR, LATENCY, KINDS };

struct bench {
    struct gpu_device *gpu;
    struct gpu_module_handle module;
    uint32_t place, gpus;
    uint64_t clock_hz;
    uint64_t control, data, scratch, bytes;
    uint32_t epoch, iters;    /* barriers so far (the same on every GPU); round trips per ping-pong */
    uint64_t *results;   /* [KINDS][MAX_GPUS]: this GPU's row, in guest memory */
};

static void stop(struct bench *b, const char *what)
{
    printf("p2p-bench: GPU %u: %s: %s\n", b->place, what, gpu_error_text(b->gpu));
    vdc_exit(1);
}

static int64_t delta_to(const struct bench *b, uint32_t place)
{
    return ((int64_t)place - (int64_t)b->place) * PLACE_BYTES;
}

static void barrier(struct bench *b)
{
    b->epoch++;
    struct {
        uint64_t arrivals, release;
        uint32_t place, gpus;
        int64_t place_bytes;
        uint32_t epoch;
    } __attribute__((packed)) args = {b->control + ARRIVALS, b->control + RELEASE, b->place, b->gpus, PLACE_BYTES,
                                      b->epoch};
    gpu_launch(b->gpu, b->module, "hl_barrier", (struct gpu_dim3){1, 1, 1}, (struct gpu_dim3){1, 1, 1}, 0, &args,
               sizeof args);
    if (gpu_synchronize(b->gpu) != GPU_SUCCESS)
        stop(b, "barrier");
}

/* Picoseconds a copy to `peer` (or within the GPU, peer == place) takes, timed on the GPU by events. */
static uint64_t timed_copy(struct bench *b, uint32_t peer)
{
    uint32_t start, end;
    gpu_event_create(b->gpu, &start);
    gpu_event_create(b->gpu, &end);
    gpu_event_record(b->gpu, start);
    int status = peer == b->place ? gpu_memcpy_d2d(b->gpu, b->scratch, b->data, b->bytes)
                                  : gpu_memcpy_peer(b->gpu, b->data + (uint64_t)delta_to(b, peer), b->data, b->bytes);
    gpu_event_record(b->gpu, end);
    uint64_t ps = 0;
    if (status != GPU_SUCCESS || gpu_event_elapsed_ps(b->gpu, start, end, &ps) != GPU_SUCCESS)
        stop(b, "copy");
    return ps;
}

/* Cycles of `iters` round trips with `peer`, after one that is not timed (the initiator's count; 0 for the
 * responder). The flag's values are numbered from the barrier just passed, which both sides count alike, so no two
 * ping-pongs share one. */
static uint64_t ping_pong(struct bench *b, uint32_t peer, int initiator)
{
    uint64_t cycles = 0;
    struct {
        uint64_t flag;
        int64_t delta;
        uint32_t iters, initiator, first, pad; /* the .param list aligns the pointer after them to 8 */
        uint64_t cycles;
    } __attribute__((packed)) args = {b->control + FLAG, delta_to(b, peer), b->iters, (uint32_t)initiator,
                                      b->epoch * (b->iters + 1) + 1, 0, b->control + RESULTS - 8};
    gpu_launch(b->gpu, b->module, "ping_pong", (struct gpu_dim3){1, 1, 1}, (struct gpu_dim3){1, 1, 1}, 0, &args,
               sizeof args);
    if (gpu_synchronize(b->gpu) != GPU_SUCCESS)
        stop(b, "ping-pong");
    if (initiator)
        gpu_memcpy_d2h(b->gpu, &cycles, b->control + RESULTS - 8, 8);
    return cycles;
}

static void measure(struct bench *b)
{
    uint64_t *row = b->results;
    for (uint32_t i = 0; i < b->gpus; i++)
        for (uint32_t j = 0; j < b->gpus; j++) {
            barrier(b);
            if (b->place == i)
                row[UNI * MAX_GPUS + j] = timed_copy(b, j);
        }
    for (uint32_t i = 0; i < b->gpus; i++)
        for (uint32_t j = i; j < b->gpus; j++) {
            barrier(b);
            if (b->place == i)
                row[BIDIR * MAX_GPUS + j] = timed_copy(b, j);
            else if (b->place == j)
                row[BIDIR * MAX_GPUS + i] = timed_copy(b, i);
        }
    for (uint32_t i = 0; i < b->gpus; i++)
        for (uint32_t j = 0; j < b->gpus; j++) {
            if (i == j)
                continue;
            barrier(b);
            if (b->place == i)
                row[LATENCY * MAX_GPUS + j] = ping_pong(b, j, 1);
            else if (b->place == j)
                ping_pong(b, i, 0);
        }
}

static double gb_per_s(uint64_t bytes, uint64_t ps)
{
    return ps ? (double)bytes * 1000.0 / (double)ps : 0.0;
}

static void print_matrix(const struct bench *b, const uint64_t *all, int kind, const char *corner)
{
    printf("%s", corner);
    for (uint32_t j = 0; j < b->gpus; j++)
        printf("%6u ", j);
    printf("\n");
    for (uint32_t i = 0; i < b->gpus; i++) {
        printf("%6u ", i);
        for (uint32_t j = 0; j < b->gpus; j++) {
            uint64_t mine = all[(i * KINDS + (uint32_t)kind) * MAX_GPUS + j];
            if (kind == UNI) {
                printf("%6.02f ", gb_per_s(b->bytes, mine));
            } else if (kind == BIDIR) {
                uint64_t theirs = all[(j * KINDS + BIDIR) * MAX_GPUS + i];
                uint64_t slower = i == j ? mine : mine > theirs ? mine : theirs;
                printf("%6.02f ", gb_per_s(i == j ? b->bytes : 2 * b->bytes, slower));
            } else if (i == j) {
                printf("%6s ", "-");
            } else { /* one way: half a round trip */
                double us = (double)mine / (double)b->iters / 2.0 / ((double)b->clock_hz / 1e6);
                printf("%6.02f ", us);
            }
        }
        printf("\n");
    }
}

int main(void);
int main(void)
{
    int status;
    struct bench b = {.bytes = 4u << 20, .iters = 100};
    b.gpu = vdc_gpu_open(0, &status);
    if (b.gpu == NULL) {
        printf("p2p-bench: %s\n", gpu_status_name(status));
        return 1;
    }
    const char *arg = vdc_bootargs();
    char *end;
    if (*arg >= '0' && *arg <= '9')
        b.bytes = strtoul(arg, &end, 0), arg = end;
    while (*arg == ' ')
        arg++;
    if (*arg >= '0' && *arg <= '9')
        b.iters = (uint32_t)strtoul(arg, NULL, 0);
    struct higpu_info info;
    if (gpu_query(b.gpu, &info) != GPU_SUCCESS)
        stop(&b, "query");
    b.place = info.hilink_place;
    b.gpus = info.hilink_gpus;
    b.clock_hz = info.clock_hz;
    if (b.gpus < 2 || b.gpus > MAX_GPUS) {
        printf("p2p-bench: GPU %u is on no HiLink fabric with peers\n", b.place);
        return 1;
    }
    uint64_t result_bytes = (uint64_t)b.gpus * KINDS * MAX_GPUS * 8;
    if (gpu_module_load(b.gpu, &b.module, VDC_PTX_TEXT(peer), VDC_PTX_LENGTH(peer)) != GPU_SUCCESS ||
        gpu_malloc(b.gpu, &b.control, RESULTS + result_bytes) != GPU_SUCCESS ||
        gpu_malloc(b.gpu, &b.data, b.bytes) != GPU_SUCCESS || gpu_malloc(b.gpu, &b.scratch, b.bytes) != GPU_SUCCESS)
        stop(&b, "set-up");
    for (uint32_t g = 0; g < b.gpus; g++)
        if (g != b.place && gpu_peer_access(b.gpu, g, 1) != GPU_SUCCESS)
            stop(&b, "peer access");
    b.results = vdc_alloc(KINDS * MAX_GPUS * 8, 64);
    memset(b.results, 0, KINDS * MAX_GPUS * 8);
    measure(&b);
    /* Each row goes to its place in GPU 0's results, then GPU 0's guest prints them all. */
    uint64_t row_at = b.control + RESULTS + (uint64_t)b.place * KINDS * MAX_GPUS * 8;
    if (gpu_memcpy_h2d(b.gpu, row_at, b.results, KINDS * MAX_GPUS * 8) != GPU_SUCCESS ||
        (b.place != 0 && gpu_memcpy_peer(b.gpu, row_at + (uint64_t)delta_to(&b, 0), row_at,
                                         KINDS * MAX_GPUS * 8) != GPU_SUCCESS))
        stop(&b, "results");
    barrier(&b);
    if (b.place != 0)
        return 0;
    uint64_t *all = vdc_alloc(result_bytes, 64);
    if (gpu_memcpy_d2h(b.gpu, all, b.control + RESULTS, result_bytes) != GPU_SUCCESS)
        stop(&b, "results");
    printf("[P2P (Peer-to-Peer) GPU Bandwidth Latency Test]\n");
    for (uint32_t g = 0; g < b.gpus; g++)
        printf("Device: %u, %s, HiLink place %u\n", g, info.name, g);
    printf("Copies of %llu bytes; latency from %u round trips\n", (unsigned long long)b.bytes, b.iters);
    printf("Unidirectional P2P=Enabled Bandwidth (P2P Writes) Matrix (GB/s)\n");
    print_matrix(&b, all, UNI, "   D\\D");
    printf("Bidirectional P2P=Enabled Bandwidth Matrix (GB/s)\n");
    print_matrix(&b, all, BIDIR, "   D\\D");
    printf("P2P=Enabled Latency (P2P Writes) Matrix (us)\n");
    print_matrix(&b, all, LATENCY, "   GPU");
    return 0;
}
