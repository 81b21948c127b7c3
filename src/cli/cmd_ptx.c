/* vdc ptx run FILE.ptx: runs one kernel on HiGPU without a VM, with buffers from sizes or raw files, kernel
 * arguments in order, and dumps of buffers afterwards; prints the simulated cycles, instructions and traffic. A
 * kernel that runs past its limits (--timeout, --hang-timeout) is stopped there, as a device stops one. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/exit_codes.h"
#include "common/read_file.h"
#include "common/time.h"
#include "common/wall_clock.h"
#include "gpu/gpu.h"
#include "common/units.h"
#include "scheduler/rng.h"
#include "cli/commands.h"

#define MAX_ITEMS 64

struct ptx_buffer {
    char name[64];
    uint64_t size;
    uint64_t address;
    const char *file;        /* @FILE: initial bytes */
};

struct ptx_run_options {
    const char *path, *kernel, *preset;
    struct gpu_dim grid, block;
    uint64_t dynamic_shared;
    struct ptx_buffer buffers[MAX_ITEMS];
    unsigned buffer_count;
    const char *args[MAX_ITEMS];
    unsigned arg_count;
    const char *dumps[MAX_ITEMS];
    unsigned dump_count;
    const char *sets[MAX_ITEMS];
    unsigned set_count;
    vdc_time timeout, hang_timeout; /* of the kernel's time, as a scenario's gpu.kernel_timeout and gpu.hang_timeout */
};

/* PTX files and raw buffers: at most 4 GiB each. */
static bool read_file(const char *path, uint8_t **data, uint64_t *size, struct vdc_error *err)
{
    struct vdc_error why;
    *data = vdc_read_file(path, 4ull << 30, size, &why);
    return *data != NULL || vdc_fail(err, "%s: %s", path, why.text);
}

/* "X[,Y[,Z]]" with each part from 1 to 2^32-1. */
static bool parse_dim(const char *option, const char *text, struct gpu_dim *out, struct vdc_error *err)
{
    uint32_t v[3] = {1, 1, 1};
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        errno = 0;
        if (*p < '0' || *p > '9')
            break;
        unsigned long long n = strtoull(p, &end, 10);
        if (errno != 0 || n == 0 || n > 0xffffffffull)
            break;
        v[i] = (uint32_t)n;
        p = end;
        if (*p == '\0') {
            *out = (struct gpu_dim){v[0], v[1], v[2]};
            return true;
        }
        if (*p != ',' || i == 2)
            break;
        p++;
    }
    return vdc_fail(err, "%s '%s': give X[,Y[,Z]] with each a whole number from 1, e.g. 128 or 16,16", option, text);
}

static struct ptx_buffer *find_buffer(struct ptx_run_options *o, const char *name, size_t len)
{
    for (unsigned i = 0; i < o->buffer_count; i++)
        if (strlen(o->buffers[i].name) == len && strncmp(o->buffers[i].name, name, len) == 0)
            return &o->buffers[i];
    return NULL;
}

static bool parse_buffer(struct ptx_run_options *o, const char *text, struct vdc_error *err)
{
    const char *eq = strchr(text, '=');
    size_t name_len = eq ? (size_t)(eq - text) : 0;
    if (eq == NULL || name_len == 0 || name_len >= sizeof o->buffers[0].name || eq[1] == '\0')
        return vdc_fail(err, "--buf '%s': give NAME=SIZE (e.g. x=4MiB) or NAME=@RAWFILE", text);
    if (find_buffer(o, text, name_len) != NULL)
        return vdc_fail(err, "--buf '%s': a buffer named '%.*s' is already given", text, (int)name_len, text);
    if (o->buffer_count == MAX_ITEMS)
        return vdc_fail(err, "--buf '%s': at most %d buffers", text, MAX_ITEMS);
    struct ptx_buffer *b = &o->buffers[o->buffer_count];
    memset(b, 0, sizeof *b);
    memcpy(b->name, text, name_len);
    if (eq[1] == '@') {
        b->file = eq + 2;
    } else if (!vdc_parse_quantity(eq + 1, VDC_QTY_SIZE, &b->size, err)) {
        return vdc_fail_prefix(err, "--buf '%s'", text);
    } else if (b->size == 0) {
        return vdc_fail(err, "--buf '%s': a buffer needs at least 1 byte", text);
    }
    o->buffer_count++;
    return true;
}

/* Writes argument `text` ("KIND:VALUE") for parameter `param` into the parameter buffer. */
static bool put_argument(struct ptx_run_options *o, const struct ptx_param *param, unsigned index, const char *text,
                         uint8_t *params, struct vdc_error *err)
{
    const char *colon = strchr(text, ':');
    if (colon == NULL || colon[1] == '\0')
        return vdc_fail(err, "--arg '%s': give KIND:VALUE with KIND ptr, u32, s32, u64, s64, f32 or f64", text);
    size_t kind_len = (size_t)(colon - text);
    const char *value = colon + 1;
    uint64_t bits = 0;
    unsigned size;
    char *end = NULL;
    errno = 0;
    if (kind_len == 3 && strncmp(text, "ptr", 3) == 0) {
        struct ptx_buffer *b = find_buffer(o, value, strlen(value));
        if (b == NULL)
            return vdc_fail(err, "--arg '%s': no buffer named '%s'; give it with --buf %s=SIZE", text, value, value);
        bits = b->address;
        size = 8;
        end = (char *)value + strlen(value);
    } else if (kind_len == 3 && (strncmp(text, "u32", 3) == 0 || strncmp(text, "u64", 3) == 0)) {
        size = text[1] == '3' ? 4 : 8;
        if (*value == '-')
            return vdc_fail(err, "--arg '%s': an unsigned value cannot be negative", text);
        unsigned long long n = strtoull(value, &end, 0);
        if (errno != 0 || (size == 4 && n > 0xffffffffull))
            return vdc_fail(err, "--arg '%s': out of range for %.*s", text, (int)kind_len, text);
        bits = n;
    } else if (kind_len == 3 && (strncmp(text, "s32", 3) == 0 || strncmp(text, "s64", 3) == 0)) {
        size = text[1] == '3' ? 4 : 8;
        long long n = strtoll(value, &end, 0);
        if (errno != 0 || (size == 4 && (n < INT32_MIN || n > INT32_MAX)))
            return vdc_fail(err, "--arg '%s': out of range for %.*s", text, (int)kind_len, text);
        bits = (uint64_t)n & (size == 4 ? 0xffffffffull : ~0ull);
    } else if (kind_len == 3 && strncmp(text, "f32", 3) == 0) {
        size = 4;
        float f = strtof(value, &end);
        uint32_t u;
        memcpy(&u, &f, 4);
        bits = u;
    } else if (kind_len == 3 && strncmp(text, "f64", 3) == 0) {
        size = 8;
        double d = strtod(value, &end);
        memcpy(&bits, &d, 8);
    } else {
        return vdc_fail(err, "--arg '%s': unknown kind '%.*s'; use ptr, u32, s32, u64, s64, f32 or f64", text,
                        (int)kind_len, text);
    }
    if (end == value || *end != '\0')
        return vdc_fail(err, "--arg '%s': '%s' is not a number", text, value);
    if (param->size != size)
        return vdc_fail(err, "--arg '%s': parameter %u (%s) takes %" PRIu32 " bytes, the argument gives %u", text,
                        index + 1, param->name, param->size, size);
    memcpy(params + param->offset, &bits, size);
    return true;
}

void vdc_ptx_usage(FILE *out)
{
    fprintf(out, "usage: vdc ptx run FILE.ptx --kernel NAME --grid X[,Y[,Z]] --block X[,Y[,Z]]\n"
                 "           [--buf NAME=SIZE | --buf NAME=@RAWFILE]... [--arg KIND:VALUE]...\n"
                 "           [--dump NAME=RAWFILE]... [--shared SIZE] [--gpu h100|h200] [--set key=value]...\n"
                 "           [--timeout TIME] [--hang-timeout TIME]\n"
                 "\n"
                 "Runs one kernel to completion (or to its limits) on HiGPU's functional and timing model and prints\n"
                 "its cycles, time, instructions, DRAM traffic and bandwidth, the simulation rate and a digest of the\n"
                 "results.\n"
                 "\n"
                 "  --buf NAME=SIZE    a zero-filled device buffer (SIZE with units: 4MiB, 1000B, 4096)\n"
                 "  --buf NAME=@FILE   a device buffer holding FILE's bytes\n"
                 "  --arg KIND:VALUE   the kernel's parameters in order; KIND ptr (VALUE names a buffer), u32, s32,\n"
                 "                     u64, s64, f32, f64\n"
                 "  --dump NAME=FILE   write the buffer's final bytes to FILE\n"
                 "  --shared SIZE      dynamic shared memory per block\n"
                 "  --gpu PRESET       h100 or h200 (default h200)\n"
                 "  --set KEY=VALUE    one timing parameter, e.g. --set sm_count=66 (keys: docs/higpu.md)\n"
                 "  --timeout TIME     stop the kernel after this much of its time (default 1s)\n"
                 "  --hang-timeout TIME\n"
                 "                     stop it after this long without a store, atomic or warp ending (default 10ms)\n"
                 "\n"
                 "exit status: 0 ok, 1 the kernel faulted or was stopped, 2 bad input or usage\n");
}

static int parse_options(int argc, char **argv, struct ptx_run_options *o)
{
    static const struct option options[] = {
        {"kernel", required_argument, NULL, 'k'}, {"grid", required_argument, NULL, 'g'},
        {"block", required_argument, NULL, 'b'},  {"buf", required_argument, NULL, 'B'},
        {"arg", required_argument, NULL, 'a'},    {"dump", required_argument, NULL, 'd'},
        {"gpu", required_argument, NULL, 'G'},    {"set", required_argument, NULL, 's'},
        {"shared", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
        {"timeout", required_argument, NULL, 'T'}, {"hang-timeout", required_argument, NULL, 'H'},
        {NULL, 0, NULL, 0},
    };
    struct vdc_error err;
    bool have_grid = false, have_block = false;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
        bool ok = true;
        switch (opt) {
        case 'k': o->kernel = optarg; break;
        case 'g': ok = parse_dim("--grid", optarg, &o->grid, &err); have_grid = true; break;
        case 'b': ok = parse_dim("--block", optarg, &o->block, &err); have_block = true; break;
        case 'B': ok = parse_buffer(o, optarg, &err); break;
        case 'G': o->preset = optarg; break;
        case 'S': ok = vdc_parse_quantity(optarg, VDC_QTY_SIZE, &o->dynamic_shared, &err); break;
        case 'T':
        case 'H': {
            const char *name = opt == 'T' ? "--timeout" : "--hang-timeout";
            vdc_time *limit = opt == 'T' ? &o->timeout : &o->hang_timeout;
            if (!vdc_parse_quantity(optarg, VDC_QTY_TIME, limit, &err) || *limit < VDC_US || *limit > 3600 * VDC_SEC)
                return vdc_usage_error("ptx", "%s '%s': give a time from 1us to 3600s, e.g. 20ms", name, optarg);
            break;
        }
        case 'a':
        case 'd':
        case 's': {
            const char **list = opt == 'a' ? o->args : opt == 'd' ? o->dumps : o->sets;
            unsigned *count = opt == 'a' ? &o->arg_count : opt == 'd' ? &o->dump_count : &o->set_count;
            if (*count == MAX_ITEMS)
                return vdc_usage_error("ptx", "at most %d of each of --arg, --dump and --set", MAX_ITEMS);
            list[(*count)++] = optarg;
            break;
        }
        case 'h': vdc_ptx_usage(stdout); return -1;
        case ':': return vdc_usage_error("ptx", "option '%s' needs a value", argv[optind - 1]);
        default: return vdc_usage_error("ptx", "unknown option '%s' for 'ptx run'", vdc_bad_option(argv, optind));
        }
        if (!ok)
            return vdc_usage_error("ptx", "%s", err.text);
    }
    if (optind >= argc)
        return vdc_usage_error("ptx", "no PTX file given; vdc ptx run FILE.ptx --kernel NAME --grid X --block X");
    o->path = argv[optind++];
    if (optind < argc)
        return vdc_usage_error("ptx", "unexpected argument '%s'", argv[optind]);
    if (o->kernel == NULL)
        return vdc_usage_error("ptx", "no kernel given; name the .entry with --kernel NAME");
    if (!have_grid || !have_block)
        return vdc_usage_error("ptx", "give both --grid X[,Y[,Z]] and --block X[,Y[,Z]]");
    if (o->dynamic_shared > 0xffffffffull)
        return vdc_usage_error("ptx", "--shared: at most 4 GiB");
    return 0;
}

/* The progress line of a long kernel, rewritten in place at most 5 times a second where stderr is a terminal. */
struct ptx_progress {
    const struct gpu_params *params;
    double wall_start, last_print;
    bool printed;
};

static void show_progress(void *context, uint64_t cycles_run)
{
    struct ptx_progress *p = context;
    double now = vdc_wall_seconds();
    if (now - p->last_print < 0.2)
        return;
    char when[64];
    vdc_time_format(when, sizeof when, gpu_cycles_to_ps(p->params, cycles_run));
    fprintf(stderr, "\r\033[Kvdc ptx: the kernel at %s of its time, wall %.1f s", when, now - p->wall_start);
    fflush(stderr);
    p->last_print = now;
    p->printed = true;
}

static int fail(const struct vdc_error *err, int code)
{
    vdc_print_error(err);
    return code;
}

static void print_stats(const struct ptx_run_options *o, const struct gpu_params *p, const struct gpu_launch_stats *s,
                        double wall, uint64_t digest)
{
    double seconds = (double)s->duration_ps / 1e12;
    double kernel_seconds = (double)s->cycles / (double)p->clock_hz;
    /* The bandwidth counts the bytes that moved while the kernel ran, not the write-back of what L2 still held. */
    uint64_t dram = s->dram_read_bytes + s->dram_write_bytes - s->dram_write_at_end_bytes;
    printf("kernel %s on %s: grid %" PRIu32 "x%" PRIu32 "x%" PRIu32 ", block %" PRIu32 "x%" PRIu32 "x%" PRIu32 "\n",
           o->kernel, p->preset, o->grid.x, o->grid.y, o->grid.z, o->block.x, o->block.y, o->block.z);
    printf("  occupancy           %" PRIu32 " blocks/SM (limited by %s; %" PRIu32 " registers/thread, %" PRIu64
           " B shared/block)\n",
           s->blocks_per_sm, s->occupancy_limit, s->registers_per_thread, s->shared_bytes_per_block);
    printf("  cycles              %" PRIu64 "\n", s->cycles);
    printf("  time                %.3f us (kernel %.3f us + launch %.3f us at %.3f GHz)\n", seconds * 1e6,
           kernel_seconds * 1e6, (double)p->launch_latency_ps / 1e6, (double)p->clock_hz / 1e9);
    printf("  warp instructions   %" PRIu64 "\n", s->warp_insns);
    printf("  thread instructions %" PRIu64 "\n", s->thread_insns);
    printf("  dram read           %" PRIu64 " B\n", s->dram_read_bytes);
    printf("  dram write          %" PRIu64 " B (%" PRIu64 " B of them still in L2 at the end, written back after)\n",
           s->dram_write_bytes, s->dram_write_at_end_bytes);
    printf("  dram bandwidth      %.1f GB/s (%.1f%% of %.1f GB/s)\n",
           kernel_seconds > 0 ? (double)dram / kernel_seconds / 1e9 : 0.0,
           kernel_seconds > 0 ? 100.0 * (double)dram / kernel_seconds / (double)p->dram_bytes_per_second : 0.0,
           (double)p->dram_bytes_per_second / 1e9);
    uint64_t l2 = s->l2_hits + s->l2_misses;
    printf("  l2 hit rate         %.1f%% of %" PRIu64 " sectors\n", l2 ? 100.0 * (double)s->l2_hits / (double)l2 : 0.0,
           l2);
    printf("  simulation rate     %.1f M thread instructions/s (wall %.3f s)\n",
           wall > 0 ? (double)s->thread_insns / wall / 1e6 : 0.0, wall);
    printf("digest %016" PRIx64 "\n", digest);
}

static int ptx_run(int argc, char **argv)
{
    static struct ptx_run_options o;
    memset(&o, 0, sizeof o);
    o.preset = "h200";
    o.timeout = VDC_SEC;
    o.hang_timeout = 10 * VDC_MS;
    int code = parse_options(argc, argv, &o);
    if (code != 0)
        return code < 0 ? VDC_EXIT_OK : code;
    struct vdc_error err;
    struct gpu_params params;
    if (!gpu_params_preset(o.preset, &params, &err))
        return vdc_usage_error("ptx", "--gpu: %s", err.text);
    for (unsigned i = 0; i < o.set_count; i++) {
        const char *eq = strchr(o.sets[i], '=');
        if (eq == NULL || eq == o.sets[i])
            return vdc_usage_error("ptx", "--set '%s': give key=value, e.g. --set sm_count=66", o.sets[i]);
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - o.sets[i]), o.sets[i]);
        const char *k = strncmp(key, "gpu.", 4) == 0 ? key + 4 : key;
        if (!gpu_params_set(&params, k, eq + 1, &err))
            return vdc_usage_error("ptx", "--set '%s': %s", o.sets[i], err.text);
    }
    uint8_t *text;
    uint64_t text_len;
    if (!read_file(o.path, &text, &text_len, &err))
        return fail(&err, VDC_EXIT_BAD_INPUT);
    struct gpu *gpu = gpu_create(&params, &err);
    struct gpu_module *module = NULL;
    uint8_t *params_buf = NULL;
    code = VDC_EXIT_BAD_INPUT;
    if (gpu == NULL || !gpu_module_load(gpu, (const char *)text, text_len, o.path, &module, &err))
        goto out;
    for (unsigned i = 0; i < o.buffer_count; i++) {
        struct ptx_buffer *b = &o.buffers[i];
        uint8_t *data = NULL;
        if (b->file != NULL && !read_file(b->file, &data, &b->size, &err)) {
            vdc_fail_prefix(&err, "--buf %s", b->name);
            goto out;
        }
        if (b->file != NULL && b->size == 0) {
            free(data);
            vdc_fail(&err, "--buf %s=@%s: the file is empty; a buffer needs at least 1 byte", b->name, b->file);
            goto out;
        }
        bool ok = gpu_memory_alloc(gpu_get_memory(gpu), b->size, &b->address, &err) &&
                  (data == NULL || gpu_memory_write(gpu_get_memory(gpu), b->address, data, b->size, "--buf", &err));
        free(data);
        if (!ok) {
            vdc_fail_prefix(&err, "--buf %s", b->name);
            goto out;
        }
    }
    const struct ptx_function *f = ptx_module_find_kernel(gpu_module_ptx(module), o.kernel);
    if (f == NULL) {
        vdc_fail(&err, "%s: no kernel (.entry) named '%s'", o.path, o.kernel);
        goto out;
    }
    if (o.arg_count != f->param_count) {
        vdc_fail(&err, "kernel %s takes %" PRIu32 " parameters, %u --arg given", o.kernel, f->param_count,
                 o.arg_count);
        goto out;
    }
    params_buf = vdc_xcalloc(f->param_bytes ? f->param_bytes : 1, 1);
    for (unsigned i = 0; i < o.arg_count; i++)
        if (!put_argument(&o, &f->params[i], i, o.args[i], params_buf, &err))
            goto out;
    for (unsigned i = 0; i < o.dump_count; i++) {
        const char *eq = strchr(o.dumps[i], '=');
        if (eq == NULL || eq[1] == '\0' || find_buffer(&o, o.dumps[i], (size_t)(eq - o.dumps[i])) == NULL) {
            vdc_fail(&err, "--dump '%s': give NAME=RAWFILE with NAME one of the --buf names", o.dumps[i]);
            goto out;
        }
    }
    struct gpu_launch launch = {
        .kernel = o.kernel, .grid = o.grid, .block = o.block, .dynamic_shared_bytes = (uint32_t)o.dynamic_shared,
        .params = params_buf, .params_bytes = f->param_bytes,
    };
    struct gpu_launch_stats stats;
    struct gpu_fault fault;
    double start = vdc_wall_seconds();
    struct ptx_progress progress = {.params = &params, .wall_start = start, .last_print = start};
    struct gpu_launch_limits limits = {
        .cycles = gpu_cycles_covering(&params, o.timeout),
        .idle_cycles = gpu_cycles_covering(&params, o.hang_timeout),
        .progress = isatty(STDERR_FILENO) ? show_progress : NULL,
        .ctx = &progress,
    };
    enum gpu_launch_end end;
    bool launched = gpu_launch_within(gpu, module, &launch, &limits, &stats, &fault, &end, &err);
    if (progress.printed)
        fputs("\r\033[K", stderr);
    if (!launched)
        goto out;
    double wall = vdc_wall_seconds() - start;
    /* The digest covers what the kernel computed and how long it took, never the wall clock. */
    uint64_t digest = vdc_mix64(stats.cycles ^ vdc_mix64(stats.thread_insns));
    for (unsigned i = 0; i < o.buffer_count; i++) {
        uint8_t *data = vdc_xmalloc(o.buffers[i].size);
        gpu_memory_read(gpu_get_memory(gpu), o.buffers[i].address, data, o.buffers[i].size, "--dump", &err);
        for (uint64_t j = 0; j < o.buffers[i].size; j += 8) {
            uint64_t word = 0;
            memcpy(&word, data + j, o.buffers[i].size - j < 8 ? o.buffers[i].size - j : 8);
            digest = vdc_mix64(digest ^ word);
        }
        for (unsigned d = 0; d < o.dump_count; d++) {
            const char *eq = strchr(o.dumps[d], '=');
            if ((size_t)(eq - o.dumps[d]) != strlen(o.buffers[i].name) ||
                strncmp(o.dumps[d], o.buffers[i].name, (size_t)(eq - o.dumps[d])) != 0)
                continue;
            FILE *out = fopen(eq + 1, "wb");
            bool ok = out != NULL && fwrite(data, 1, o.buffers[i].size, out) == o.buffers[i].size;
            if (out != NULL && fclose(out) != 0)
                ok = false;
            if (!ok) {
                free(data);
                vdc_fail(&err, "--dump %s: cannot write %s: %s", o.buffers[i].name, eq + 1, strerror(errno));
                goto out;
            }
        }
        free(data);
    }
    print_stats(&o, &params, &stats, wall, digest);
    code = VDC_EXIT_OK;
    if (fault.happened) {
        fprintf(stderr,
                "vdc: GPU fault in kernel %s, block (%" PRIu32 ",%" PRIu32 ",%" PRIu32 ") thread (%" PRIu32
                ",%" PRIu32 ",%" PRIu32 "): %s at 0x%" PRIx64 " (%s:%" PRIu32 ")\n",
                fault.kernel, fault.block.x, fault.block.y, fault.block.z, fault.thread.x, fault.thread.y,
                fault.thread.z, fault.what, fault.address, o.path, fault.line);
        code = VDC_EXIT_SIM_FAILED;
    } else if (end != GPU_LAUNCH_ENDED) {
        bool hung = end == GPU_LAUNCH_HUNG;
        char why[512];
        gpu_describe_stop(why, sizeof why, o.kernel, end, hung ? "--hang-timeout" : "--timeout",
                          hung ? o.hang_timeout : o.timeout, stats.cycles);
        fprintf(stderr, "vdc: %s\n", why);
        code = VDC_EXIT_SIM_FAILED;
    }
out:
    if (code == VDC_EXIT_BAD_INPUT)
        vdc_print_error(&err);
    free(params_buf);
    if (module != NULL)
        gpu_module_unload(gpu, module);
    gpu_free(gpu);
    free(text);
    return code;
}

int vdc_cmd_ptx(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        vdc_ptx_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? VDC_EXIT_BAD_INPUT : VDC_EXIT_OK;
    }
    if (strcmp(argv[1], "run") == 0)
        return ptx_run(argc - 1, argv + 1);
    return vdc_usage_error("ptx", "unknown subcommand '%s'; use 'vdc ptx run FILE.ptx ...'", argv[1]);
}
