/* vdc bench NAME [options]: speed measurements of vdc's own parts, as medians of repeated runs. */
#include <getopt.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench/fabric_bench.h"
#include "bench/gpu_bench.h"
#include "bench/gpu_micro.h"
#include "bench/hold.h"
#include "bench/vcpu_bench.h"
#include "kvm/kvm_device.h"
#include "run/guest_set.h"
#include "common/exit_codes.h"
#include "cli/commands.h"

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int bench_sched(int argc, char **argv)
{
    static const struct option options[] = {
        {"pending", required_argument, NULL, 'p'}, {"events", required_argument, NULL, 'e'},
        {"repeat", required_argument, NULL, 'r'},  {"seed", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    unsigned long long pending = 1000000, events = 10000000, repeat = 5, seed = 1;
    opterr = 0;
    optind = 1;
    int opt, code;
    while ((opt = getopt_long(argc, argv, ":p:e:r:s:", options, NULL)) != -1) {
        unsigned long long *target = opt == 'p' ? &pending : opt == 'e' ? &events : opt == 'r' ? &repeat : &seed;
        if (opt == ':')
            return vdc_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
        if (opt == '?')
            return vdc_usage_error("bench", "unknown option '%s' for 'bench sched'", vdc_bad_option(argv, optind));
        const char *name = opt == 'p' ? "--pending" : opt == 'e' ? "--events" : opt == 'r' ? "--repeat" : "--seed";
        if ((code = vdc_option_count("bench", name, optarg, target)) != 0)
            return code;
    }
    if (optind < argc)
        return vdc_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    if (pending == 0 || pending > 100000000ULL)
        return vdc_usage_error("bench", "--pending must be from 1 to 100000000");
    if (repeat == 0 || repeat > 101)
        return vdc_usage_error("bench", "--repeat must be from 1 to 101");
    printf("bench sched: hold model, %llu pending, %llu events per run, %llu runs\n", pending, events, repeat);
    double rates[101];
    uint64_t digest = 0;
    for (unsigned long long i = 0; i < repeat; i++) {
        struct hold_result r = vdc_bench_hold_run(pending, events, seed);
        rates[i] = (double)r.events / r.wall_seconds;
        printf("  run %llu: %.2f M events/s (wall %.3f s, digest %016" PRIx64 ")\n", i + 1, rates[i] / 1e6,
               r.wall_seconds, r.digest);
        if (i > 0 && r.digest != digest) {
            fprintf(stderr, "vdc: bench sched: runs with the same seed gave different digests\n");
            return VDC_EXIT_SIM_FAILED;
        }
        digest = r.digest;
    }
    qsort(rates, repeat, sizeof rates[0], compare_doubles);
    printf("median     %.2f M events/s\n", rates[repeat / 2] / 1e6);
    return VDC_EXIT_OK;
}

/* The median of `n` values (sorts them). */
static double median(double *values, unsigned long long n)
{
    qsort(values, n, sizeof values[0], compare_doubles);
    return values[n / 2];
}

static bool read_program(const char *name, uint8_t **program, size_t *size, struct vdc_error *err)
{
    char spec[64], path[4200];
    snprintf(spec, sizeof spec, "guest:%s", name);
    *program = NULL;
    if (vdc_guest_program_path(spec, path, sizeof path, err))
        *program = vdc_guest_program_read(path, size, err);
    return *program != NULL;
}

/* The median of one double field over `n` results of `stride` bytes each. */
static double median_field(const void *results, size_t stride, size_t offset, unsigned long long n)
{
    double values[101];
    for (unsigned long long i = 0; i < n; i++)
        memcpy(&values[i], (const char *)results + i * stride + offset, sizeof values[i]);
    return median(values, n);
}
#define MEDIAN(results, field, n) median_field(results, sizeof results[0], offsetof(__typeof__(results[0]), field), n)

static void print_vcpu_round(const char *label, const struct vcpu_bench_result *r)
{
    printf("%s start-up %.3f ms; exits: vdc %.0f/s (%.3f us each), bare %.0f/s, vdc/bare %.1f%%; guest "
           "instructions: compute %.1f M/s, stores %.1f M/s\n",
           label, r->startup_seconds * 1e3, r->vdc_exits_per_sec, 1e6 / r->vdc_exits_per_sec, r->bare_exits_per_sec,
           100 * r->vdc_exits_per_sec / r->bare_exits_per_sec, r->compute_ips / 1e6, r->store_ips / 1e6);
}

static void print_vcpu_many(const char *label, unsigned long long guests, const struct vcpu_bench_many_result *m)
{
    printf("%s %llu guests taking turns: start-up %.3f ms per guest; exits %.0f/s (%.3f us each); %.0f MiB "
           "resident; guest instructions: compute %.1f M/s, stores %.1f M/s\n",
           label, guests, m->startup_seconds * 1e3, m->exits_per_sec, 1e6 / m->exits_per_sec, m->resident_mib,
           m->compute_ips / 1e6, m->store_ips / 1e6);
}

static int bench_vcpu_backend(enum vdc_vcpu_backend backend, const struct vcpu_bench_programs *programs,
                              unsigned long long exits, unsigned long long iterations, unsigned long long guests,
                              unsigned long long repeat)
{
    const char *name = vdc_vcpu_backend_name(backend);
    struct vdc_error err;
    struct vcpu_bench_result one[101];
    struct vcpu_bench_many_result many[101];
    char label[64];
    for (unsigned long long i = 0; i < repeat; i++) {
        snprintf(label, sizeof label, "  %-8s run %llu:", name, i + 1);
        if (!vdc_bench_vcpu_round(backend, programs, exits, iterations, &one[i], &err) ||
            (guests > 1 &&
             !vdc_bench_vcpu_many(backend, programs, (uint32_t)guests, exits, iterations, &many[i], &err))) {
            vdc_fail_prefix(&err, "bench vcpu (%s)", name);
            vdc_print_error(&err);
            return VDC_EXIT_SIM_FAILED;
        }
        print_vcpu_round(label, &one[i]);
        if (guests > 1)
            print_vcpu_many(label, guests, &many[i]);
    }
    struct vcpu_bench_result m1 = {
        .startup_seconds = MEDIAN(one, startup_seconds, repeat),
        .vdc_exits_per_sec = MEDIAN(one, vdc_exits_per_sec, repeat),
        .bare_exits_per_sec = MEDIAN(one, bare_exits_per_sec, repeat),
        .compute_ips = MEDIAN(one, compute_ips, repeat),
        .store_ips = MEDIAN(one, store_ips, repeat),
    };
    snprintf(label, sizeof label, "median %-8s", name);
    print_vcpu_round(label, &m1);
    if (guests > 1) {
        struct vcpu_bench_many_result mn = {
            .startup_seconds = MEDIAN(many, startup_seconds, repeat),
            .exits_per_sec = MEDIAN(many, exits_per_sec, repeat),
            .resident_mib = MEDIAN(many, resident_mib, repeat),
            .compute_ips = MEDIAN(many, compute_ips, repeat),
            .store_ips = MEDIAN(many, store_ips, repeat),
        };
        print_vcpu_many(label, guests, &mn);
    }
    return VDC_EXIT_OK;
}

static int bench_vcpu(int argc, char **argv)
{
    static const struct option options[] = {{"exits", required_argument, NULL, 'e'},
                                            {"loop", required_argument, NULL, 'l'},
                                            {"guests", required_argument, NULL, 'g'},
                                            {"repeat", required_argument, NULL, 'r'},
                                            {"vcpu", required_argument, NULL, 'v'},
                                            {NULL, 0, NULL, 0}};
    unsigned long long exits = 20000, iterations = 5000000, guests = 1, repeat = 5;
    enum vdc_vcpu_backend only = VDC_VCPU_AUTO; /* AUTO here: every backend this machine has */
    opterr = 0;
    optind = 1;
    int opt, code;
    while ((opt = getopt_long(argc, argv, ":e:l:g:r:v:", options, NULL)) != -1) {
        if (opt == ':')
            return vdc_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
        if (opt == '?')
            return vdc_usage_error("bench", "unknown option '%s' for 'bench vcpu'", vdc_bad_option(argv, optind));
        if (opt == 'v') {
            if (!vdc_vcpu_backend_parse(optarg, &only))
                return vdc_usage_error("bench", "--vcpu '%s': expected kvm or emulated", optarg);
            continue;
        }
        unsigned long long *target = opt == 'e' ? &exits : opt == 'l' ? &iterations : opt == 'g' ? &guests : &repeat;
        const char *name = opt == 'e' ? "--exits" : opt == 'l' ? "--loop" : opt == 'g' ? "--guests" : "--repeat";
        if ((code = vdc_option_count("bench", name, optarg, target)) != 0)
            return code;
    }
    if (optind < argc)
        return vdc_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    if (repeat == 0 || repeat > 101 || exits == 0 || iterations == 0 || guests == 0 || guests > 4096)
        return vdc_usage_error("bench", "--repeat must be from 1 to 101, --guests from 1 to 4096, and --exits and "
                                        "--loop at least 1");
    struct vdc_error err;
    struct vcpu_bench_programs programs;
    if (!read_program("bench-exits", (uint8_t **)&programs.exits, &programs.exits_size, &err) ||
        !read_program("bench-loop", (uint8_t **)&programs.loop, &programs.loop_size, &err)) {
        free((void *)programs.exits);
        vdc_fail_prefix(&err, "bench vcpu");
        vdc_print_error(&err);
        return VDC_EXIT_BAD_INPUT;
    }
    struct vdc_error why;
    bool kvm = vdc_vcpu_kvm_available(&why);
    if (only == VDC_VCPU_KVM && !kvm) {
        free((void *)programs.exits);
        free((void *)programs.loop);
        vdc_fail_prefix(&why, "bench vcpu");
        vdc_print_error(&why);
        return VDC_EXIT_BAD_INPUT;
    }
    printf("bench vcpu: bench-exits with %llu clock reads, bench-loop with %llu iterations of 4 instructions, "
           "%llu runs%s\n",
           exits, iterations, repeat,
           !kvm && only == VDC_VCPU_AUTO ? "; no KVM here, the emulator only"
           : kvm && vdc_kvm_is_pvm()     ? "; KVM here is PVM"
                                         : "");
    code = VDC_EXIT_OK;
    if (kvm && only != VDC_VCPU_EMULATED)
        code = bench_vcpu_backend(VDC_VCPU_KVM, &programs, exits, iterations, guests, repeat);
    if (code == VDC_EXIT_OK && only != VDC_VCPU_KVM)
        code = bench_vcpu_backend(VDC_VCPU_EMULATED, &programs, exits, iterations, guests, repeat);
    free((void *)programs.exits);
    free((void *)programs.loop);
    return code;
}

static int bench_fabric(int argc, char **argv)
{
    static const struct option options[] = {{"senders", required_argument, NULL, 'n'},
                                            {"bytes", required_argument, NULL, 'b'},
                                            {"repeat", required_argument, NULL, 'r'},
                                            {NULL, 0, NULL, 0}};
    unsigned long long senders = 60, bytes = 5000000, repeat = 5;
    opterr = 0;
    optind = 1;
    int opt, code;
    while ((opt = getopt_long(argc, argv, ":n:b:r:", options, NULL)) != -1) {
        if (opt == ':')
            return vdc_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
        if (opt == '?')
            return vdc_usage_error("bench", "unknown option '%s' for 'bench fabric'", vdc_bad_option(argv, optind));
        unsigned long long *target = opt == 'n' ? &senders : opt == 'b' ? &bytes : &repeat;
        const char *name = opt == 'n' ? "--senders" : opt == 'b' ? "--bytes" : "--repeat";
        if ((code = vdc_option_count("bench", name, optarg, target)) != 0)
            return code;
    }
    if (optind < argc)
        return vdc_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    if (repeat == 0 || repeat > 101 || senders == 0 || senders > 1000 || bytes == 0 || bytes > (1ULL << 36))
        return vdc_usage_error("bench", "--repeat must be 1 to 101, --senders 1 to 1000, --bytes 1 to 64GiB");
    printf("bench fabric: %llu-to-1 incast, %llu bytes per sender, 100Gbps, 1us links, PFC+ECN+DCQCN, %llu runs\n",
           senders, bytes, repeat);
    double rates[101], walls[101];
    uint64_t digest = 0;
    struct fabric_bench_result r;
    for (unsigned long long i = 0; i < repeat; i++) {
        struct vdc_error err;
        if (!vdc_bench_fabric_incast((uint32_t)senders, bytes, 100000000000ULL, VDC_US, 1, &r, &err)) {
            vdc_fail_prefix(&err, "bench fabric");
            vdc_print_error(&err);
            return VDC_EXIT_SIM_FAILED;
        }
        walls[i] = r.wall_seconds;
        rates[i] = (double)r.data_packets / r.wall_seconds;
        printf("  run %llu: %.3f s wall, %" PRIu64 " data packets delivered (%.2f M/s), %" PRIu64
               " events (%.1f M/s), simulated %.3f ms, %" PRIu64 " pauses, %" PRIu64 " ECN marks, %" PRIu64
               " drops, digest %016" PRIx64 "\n",
               i + 1, r.wall_seconds, r.data_packets, rates[i] / 1e6, r.events, (double)r.events / r.wall_seconds / 1e6,
               (double)r.simulated / VDC_MS, r.pauses, r.ecn_marks, r.drops, r.digest);
        if (i > 0 && r.digest != digest) {
            fprintf(stderr, "vdc: bench fabric: runs with the same seed gave different digests\n");
            return VDC_EXIT_SIM_FAILED;
        }
        digest = r.digest;
    }
    qsort(rates, repeat, sizeof rates[0], compare_doubles);
    qsort(walls, repeat, sizeof walls[0], compare_doubles);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    printf("median     %.3f s wall, %.2f M data packets/s; peak memory %.1f MiB\n", walls[repeat / 2],
           rates[repeat / 2] / 1e6, (double)usage.ru_maxrss / 1024.0);
    return VDC_EXIT_OK;
}

static int bench_gpu(int argc, char **argv)
{
    static const struct option options[] = {{"repeat", required_argument, NULL, 'r'},
                                            {"gpu", required_argument, NULL, 'g'},
                                            {"gemm", required_argument, NULL, 'n'},
                                            {"gpus", required_argument, NULL, 'G'},
                                            {NULL, 0, NULL, 0}};
    unsigned long long repeat = 5, gemm_n = 512, gpus = 1;
    const char *preset = "h200";
    opterr = 0;
    optind = 1;
    int opt, code;
    while ((opt = getopt_long(argc, argv, ":r:g:n:G:", options, NULL)) != -1) {
        if (opt == ':')
            return vdc_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
        if (opt == '?')
            return vdc_usage_error("bench", "unknown option '%s' for 'bench gpu'", vdc_bad_option(argv, optind));
        if (opt == 'g')
            preset = optarg;
        else if ((code = vdc_option_count("bench", opt == 'r' ? "--repeat" : opt == 'G' ? "--gpus" : "--gemm", optarg,
                                          opt == 'r' ? &repeat : opt == 'G' ? &gpus : &gemm_n)) != 0)
            return code;
    }
    if (optind < argc)
        return vdc_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    if (repeat == 0 || repeat > 101 || gemm_n < 16 || gemm_n > 4096 || gpus == 0 || gpus > GPU_BENCH_MAX_GPUS)
        return vdc_usage_error("bench", "--repeat must be 1 to 101, --gemm 16 to 4096 and --gpus 1 to %u",
                               GPU_BENCH_MAX_GPUS);
    printf("bench gpu: %s preset, timing on; gemm %llux%llux%llu, fma_bound, stream_copy 64MiB; on %llu GPU%s at "
           "once; %llu runs\n", preset, gemm_n, gemm_n, gemm_n, gpus, gpus == 1 ? "" : "s", repeat);
    double rates[101];
    uint64_t digests[GPU_BENCH_KERNELS] = {0};
    for (unsigned long long i = 0; i < repeat; i++) {
        struct gpu_bench_kernel k[GPU_BENCH_KERNELS];
        struct vdc_error err;
        if (!vdc_bench_gpu_round(preset, (uint32_t)gemm_n, (uint32_t)gpus, k, &err)) {
            vdc_fail_prefix(&err, "bench gpu");
            vdc_print_error(&err);
            return VDC_EXIT_BAD_INPUT;
        }
        uint64_t insns = 0;
        double wall = 0;
        printf("  run %llu:", i + 1);
        for (int j = 0; j < GPU_BENCH_KERNELS; j++) {
            insns += k[j].thread_insns;
            wall += k[j].wall_seconds;
            printf(" %s %.1f M/s (%" PRIu64 " cycles)%s", k[j].name, (double)k[j].thread_insns / k[j].wall_seconds / 1e6,
                   k[j].cycles, j + 1 < GPU_BENCH_KERNELS ? ";" : "");
            if (i > 0 && k[j].digest != digests[j]) {
                fprintf(stderr, "vdc: bench gpu: %s gave different results or cycles in two runs\n", k[j].name);
                return VDC_EXIT_SIM_FAILED;
            }
            digests[j] = k[j].digest;
        }
        rates[i] = (double)insns / wall;
        printf("; all %.1f M thread instructions/s\n", rates[i] / 1e6);
    }
    qsort(rates, repeat, sizeof rates[0], compare_doubles);
    printf("median     %.1f M thread instructions/s\n", rates[repeat / 2] / 1e6);
    return VDC_EXIT_OK;
}

/* The GPU microbenchmark suite as a Markdown table: metric, published figure and its source, HiGPU's, ratio. */
static int bench_gpu_micro(int argc, char **argv)
{
    static const struct option options[] = {{"gpu", required_argument, NULL, 'g'}, {NULL, 0, NULL, 0}};
    const char *preset = "h100";
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":g:", options, NULL)) != -1) {
        if (opt == ':')
            return vdc_usage_error("bench", "option '%s' needs a value", argv[optind - 1]);
        if (opt == '?')
            return vdc_usage_error("bench", "unknown option '%s' for 'bench gpu-micro'", vdc_bad_option(argv, optind));
        preset = optarg;
    }
    if (optind < argc)
        return vdc_usage_error("bench", "unexpected argument '%s'", argv[optind]);
    struct gpu_micro_row rows[GPU_MICRO_ROWS];
    size_t count = 0;
    struct vdc_error err;
    if (!vdc_bench_gpu_micro(preset, rows, &count, &err)) {
        vdc_fail_prefix(&err, "bench gpu-micro");
        vdc_print_error(&err);
        return VDC_EXIT_BAD_INPUT;
    }
    printf("bench gpu-micro: %s preset\n\n| metric | unit | published | source | HiGPU | ratio |\n"
           "|---|---|---|---|---|---|\n",
           preset);
    for (size_t i = 0; i < count; i++) {
        const struct gpu_micro_row *r = &rows[i];
        if (r->published > 0) {
            double ratio = r->simulated / r->published;
            bool within = ratio >= 1 - r->tolerance && ratio <= 1 + r->tolerance;
            printf("| %s | %s | %.4g | %s | %.4g | %.3f%s |\n", r->metric, r->unit, r->published, r->source,
                   r->simulated, ratio, within ? "" : " (outside)");
        } else {
            printf("| %s | %s | — | — | %.4g | — |\n", r->metric, r->unit, r->simulated);
        }
    }
    return VDC_EXIT_OK;
}

int vdc_cmd_bench(int argc, char **argv)
{
    if (argc < 2)
        return vdc_usage_error("bench", "no benchmark named; the benchmarks are: sched, vcpu, fabric, gpu, gpu-micro");
    if (strcmp(argv[1], "sched") == 0)
        return bench_sched(argc - 1, argv + 1);
    if (strcmp(argv[1], "vcpu") == 0)
        return bench_vcpu(argc - 1, argv + 1);
    if (strcmp(argv[1], "fabric") == 0)
        return bench_fabric(argc - 1, argv + 1);
    if (strcmp(argv[1], "gpu") == 0)
        return bench_gpu(argc - 1, argv + 1);
    if (strcmp(argv[1], "gpu-micro") == 0)
        return bench_gpu_micro(argc - 1, argv + 1);
    return vdc_usage_error("bench", "unknown benchmark '%s'; the benchmarks are: sched, vcpu, fabric, gpu, gpu-micro",
                           argv[1]);
}
