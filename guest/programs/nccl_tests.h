/* nccl-tests' harness for HiCCL's collectives (as nccl-tests' common.cu is for NCCL's): option parsing, data,
 * checking, timing and the table, for the program that includes it after defining PERF_COLLECTIVE (PERF_ALL_REDUCE,
 * PERF_REDUCE_SCATTER, PERF_ALL_GATHER, PERF_BROADCAST, PERF_REDUCE, PERF_ALLTOALL or PERF_SENDRECV). One rank per
 * blade's GPU (every guest runs the program; rank = the GPU's HiLink place). Sizes take K, M, G. For each type,
 * operation and root asked (each in turn for "all" and root -1), and each size from MIN to MAX (times FACTOR, or plus
 * STEP), it times ITERS calls after WARMUP, out of place and in place, between two events on each rank's GPU (the
 * table gives their average over the ranks, or rank 0's, the least or the most: AVERAGE 1, 0, 2, 3, as nccl-tests'
 * -a), checks every element of every rank's result against the expected value (CHECK 1), and rank 0 prints
 * nccl-tests' table: size, count, type, redop, root, then time, algbw, busbw (algbw times nccl-tests' factor) and
 * #wrong for each placement, and its closing lines. The data are small integers, so every result is exact. */
#ifndef VDC_GUEST_NCCL_TESTS_H
#define VDC_GUEST_NCCL_TESTS_H

#include "hiccl.h"
#include "vdc_gpu.h"
#include "vdc_guest.h"

#define PERF_ALL_REDUCE 0
#define PERF_REDUCE_SCATTER 1
#define PERF_ALL_GATHER 2
#define PERF_BROADCAST 3
#define PERF_REDUCE 4
#define PERF_ALLTOALL 5
#define PERF_SENDRECV 6
#if PERF_COLLECTIVE == PERF_ALL_REDUCE
#define PERF_NAME "all_reduce_perf"
#elif PERF_COLLECTIVE == PERF_REDUCE_SCATTER
#define PERF_NAME "reduce_scatter_perf"
#elif PERF_COLLECTIVE == PERF_ALL_GATHER
#define PERF_NAME "all_gather_perf"
#elif PERF_COLLECTIVE == PERF_BROADCAST
#define PERF_NAME "broadcast_perf"
#elif PERF_COLLECTIVE == PERF_REDUCE
#define PERF_NAME "reduce_perf"
#elif PERF_COLLECTIVE == PERF_ALLTOALL
#define PERF_NAME "alltoall_perf"
#else
#define PERF_NAME "sendrecv_perf"
#endif
/* Whether the collective reduces, and whether it has a root. */
#define PERF_REDUCES (PERF_COLLECTIVE == PERF_ALL_REDUCE || PERF_COLLECTIVE == PERF_REDUCE_SCATTER || \
                      PERF_COLLECTIVE == PERF_REDUCE)
#define PERF_ROOTED (PERF_COLLECTIVE == PERF_BROADCAST || PERF_COLLECTIVE == PERF_REDUCE)

/* -d all, -o all and -r -1: every type, operation or root in turn, each a test of every size, as in nccl-tests. */
#define EVERY (-1)

struct options {
    uint64_t min_bytes, max_bytes, step_bytes, factor;
    int iters, warmup, check, op, type, root; /* op, type and root may be EVERY as given; a test runs one of each */
    int average; /* the time reported: 0 rank 0's, 1 the ranks' average, 2 the least, 3 the most (nccl-tests' -a) */
};

static const char *const type_names[hicclNumTypes] = {"int8", "uint8", "int32", "uint32", "int64", "uint64", "half",
                                                      "float", "double", "bfloat16"};
static const char *const op_names[hicclNumOps] = {"sum", "prod", "max", "min", "avg"};

static void usage(void)
{
    printf("USAGE: " PERF_NAME "\n"
           "\t[-t,--nthreads <num threads>] (1)\n"
           "\t[-g,--ngpus <gpus per thread>] (1)\n"
           "\t[-b,--minbytes <min size in bytes>]\n"
           "\t[-e,--maxbytes <max size in bytes>]\n"
           "\t[-i,--stepbytes <increment size>]\n"
           "\t[-f,--stepfactor <increment factor>]\n"
           "\t[-n,--iters <iteration count>]\n"
           "\t[-w,--warmup_iters <warmup iteration count>]\n"
           "\t[-c,--check <0/1>]\n"
           "\t[-o,--op <sum/prod/min/max/avg/all>]\n"
           "\t[-d,--datatype <int8/uint8/int32/uint32/int64/uint64/half/float/double/bfloat16/all>]\n"
           "\t[-r,--root <root>]\n"
           "\t[-z,--blocking <0/1>]\n"
           "\t[-a,--average <0/1/2/3> report average iteration time <0=RANK0/1=AVG/2=MIN/3=MAX>]\n"
           "\t[-h,--help]\n");
}

/* A size with an optional K, M or G (powers of 1024, as nccl-tests reads them). */
static int parse_size(const char *text, uint64_t *out)
{
    char *end;
    uint64_t v = strtoul(text, &end, 0);
    switch (*end) {
    case 'K': case 'k': v <<= 10; end++; break;
    case 'M': case 'm': v <<= 20; end++; break;
    case 'G': case 'g': v <<= 30; end++; break;
    default: break;
    }
    *out = v;
    return end != text && *end == '\0';
}

/* A name's index in `names`, EVERY for "all", else -2. */
static int lookup(const char *text, const char *const *names, int count)
{
    for (int i = 0; i < count; i++)
        if (names[i] != NULL && strcmp(text, names[i]) == 0)
            return i;
    return strcmp(text, "all") == 0 ? EVERY : -2;
}

/* A root: a rank, or -1 for every rank in turn (nccl-tests reads -r with strtol). */
static int parse_root(const char *text, int *root)
{
    uint64_t number;
    if (strcmp(text, "-1") == 0) {
        *root = EVERY;
        return 1;
    }
    if (!parse_size(text, &number) || number > 0x7fffffff)
        return 0;
    *root = (int)number;
    return 1;
}

/* The options these programs take, with nccl-tests' long names for them (its getopt_long table's). */
static const struct {
    char letter;
    const char *name;
} known_options[] = {{'t', "nthreads"}, {'g', "ngpus"},      {'b', "minbytes"}, {'e', "maxbytes"},
                     {'i', "stepbytes"}, {'f', "stepfactor"}, {'n', "iters"},    {'w', "warmup_iters"},
                     {'c', "check"},     {'o', "op"},         {'d', "datatype"}, {'r', "root"},
                     {'z', "blocking"},  {'a', "average"},    {'h', "help"}};

/* The options in the guest's arguments, as getopt_long reads nccl-tests' (-b 8, -b8, --minbytes 8, --minbytes=8):
 * 1 when they are good, 0 when not (what is wrong printed), 2 for -h or --help. */
static int parse_options(struct options *o)
{
    *o = (struct options){.min_bytes = 32u << 20, .max_bytes = 32u << 20, .step_bytes = 1u << 20, .factor = 1,
                          .iters = 20, .warmup = 5, .check = 1, .op = hicclSum, .type = hicclFloat,
                          .average = 1};
    static char args[512];
    if ((size_t)snprintf(args, sizeof args, "%s", vdc_bootargs()) >= sizeof args) {
        printf(PERF_NAME ": the arguments are longer than %u bytes\n", (unsigned)sizeof args - 1);
        return 0;
    }
    char *words[64];
    int n = 0;
    for (char *p = args; *p != '\0';) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p == '\0')
            break;
        if (n == 64) {
            printf(PERF_NAME ": more than 64 arguments\n");
            return 0;
        }
        words[n++] = p;
        while (*p != '\0' && *p != ' ')
            p++;
    }
    int factor_given = 0;
    for (int i = 0; i < n; i++) {
        const char *w = words[i];
        if (w[0] != '-' && strchr(w, '=') != NULL)
            continue; /* NAME=VALUE: an environment-style setting for HiCCL (NCCL_PROTO, NCCL_ALGO) */
        char letter = 0;
        const char *v = NULL; /* the value, when it is in the same word */
        char name[32];        /* the option, for messages */
        for (size_t k = 0; k < sizeof known_options / sizeof known_options[0] && letter == 0; k++)
            if (vdc_option(w, known_options[k].letter, known_options[k].name, &v)) {
                letter = known_options[k].letter;
                if (w[1] == '-')
                    snprintf(name, sizeof name, "--%s", known_options[k].name);
                else
                    snprintf(name, sizeof name, "-%c", letter);
            }
        if (letter == 0) {
            printf(PERF_NAME ": invalid option '%s'\n", w);
            return 0;
        }
        if (letter == 'h')
            return 2;
        if (v == NULL && i + 1 >= n) {
            printf(PERF_NAME ": option '%s' needs a value\n", name);
            return 0;
        }
        if (v == NULL)
            v = words[++i];
        uint64_t number;
        int ok = 1;
        switch (letter) {
        case 'b': ok = parse_size(v, &o->min_bytes); break;
        case 'e': ok = parse_size(v, &o->max_bytes); break;
        case 'i': ok = parse_size(v, &o->step_bytes); break;
        case 'f': ok = parse_size(v, &o->factor) && o->factor >= 1; factor_given = 1; break;
        case 'n': ok = parse_size(v, &number) && number >= 1; o->iters = (int)number; break;
        case 'w': ok = parse_size(v, &number); o->warmup = (int)number; break;
        case 'c': ok = parse_size(v, &number) && number <= 1; o->check = (int)number; break;
        case 'o': ok = (o->op = lookup(v, op_names, hicclNumOps)) >= EVERY; break;
        case 'd': ok = (o->type = lookup(v, type_names, hicclNumTypes)) >= EVERY; break;
        case 'g': case 't':
            ok = parse_size(v, &number) && number == 1;
            if (!ok) { /* one GPU per guest: the ranks are the guests (nccl-tests run as one process per GPU) */
                printf(PERF_NAME ": invalid value '%s' for %s: each guest is one rank on its one GPU; "
                                 "set guests.count for more ranks\n", v, name);
                return 0;
            }
            break;
        case 'r': ok = parse_root(v, &o->root); break;
        case 'a': ok = parse_size(v, &number) && number <= 3; o->average = (int)number; break;
        case 'z': ok = parse_size(v, &number); break;                        /* accepted: calls are blocking */
        default: ok = 0; break;
        }
        if (!ok) {
            printf(PERF_NAME ": invalid value '%s' for %s\n", v, name);
            return 0;
        }
    }
    if (!factor_given && o->step_bytes == 0)
        o->step_bytes = 1;
    if (factor_given)
        o->step_bytes = 0;
    if (o->min_bytes > o->max_bytes) {
        printf(PERF_NAME ": minBytes %llu is more than maxBytes %llu\n", (unsigned long long)o->min_bytes,
               (unsigned long long)o->max_bytes);
        return 0;
    }
    return 1;
}

/* ---- data ---- */

static int64_t value(int op, int rank, uint64_t i)
{
    if (op == hicclProd)
        return (i + (uint64_t)rank) % 7 == 0 ? 2 : 1;
    if (op == hicclMin || op == hicclMax)
        return (int64_t)((i * 5 + (uint64_t)rank * 11) % 97) - 48;
    return (int64_t)((i * 7 + (uint64_t)rank * 13) % 15) - 7;
}

/* value() repeats in i with this period, so inputs are made and results checked one period at a time. */
static uint64_t period_of(int op)
{
    return op == hicclProd ? 7 : op == hicclMin || op == hicclMax ? 97 : 15;
}

static int is_unsigned(int type)
{
    return type == hicclUint8 || type == hicclUint32 || type == hicclUint64;
}

static int64_t value_of(int type, int op, int rank, uint64_t i)
{
    int64_t v = value(op, rank, i);
    return is_unsigned(type) && v < 0 ? -v : v;
}

/* Element i of the result on `rank`: the ranks' inputs at i reduced (AllReduce), at rank * count + i reduced
 * (ReduceScatter, `count` elements per rank), rank i / count's input at i % count (AllGather), rank i / count's
 * input at rank * count + i % count (AlltoAll), or the previous rank's input at i (SendRecv). */
static int64_t expected_of(int type, int op, int rank, int nranks, uint64_t count, uint64_t i, int root)
{
#if PERF_COLLECTIVE == PERF_ALLTOALL
    (void)nranks, (void)root;
    return value_of(type, op, (int)(i / count), (uint64_t)rank * count + i % count);
#elif PERF_COLLECTIVE == PERF_SENDRECV
    (void)count, (void)root;
    return value_of(type, op, (rank + nranks - 1) % nranks, i);
#elif PERF_COLLECTIVE == PERF_ALL_GATHER
    (void)rank, (void)nranks, (void)root;
    return value_of(type, op, (int)(i / count), i % count);
#elif PERF_COLLECTIVE == PERF_BROADCAST
    (void)rank, (void)nranks, (void)count;
    return value_of(type, op, root, i);
#else
    (void)root;
#if PERF_COLLECTIVE == PERF_REDUCE_SCATTER
    i += (uint64_t)rank * count;
#else
    (void)rank, (void)count;
#endif
    int64_t r = value_of(type, op, 0, i);
    for (int k = 1; k < nranks; k++) {
        int64_t v = value_of(type, op, k, i);
        r = op == hicclProd ? r * v : op == hicclMin ? (v < r ? v : r) : op == hicclMax ? (v > r ? v : r) : r + v;
    }
    return r;
#endif
}

/* A float's bits as float16 or bfloat16, rounded to nearest even (the data are small integers and their quotients
 * by nranks: normal numbers or zero; smaller magnitudes flush to zero). */
static uint16_t half_bits(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, exponent = (x >> 23) & 0xff, mantissa = x & 0x7fffffu;
    if (exponent < 127 - 14)
        return (uint16_t)sign;
    uint32_t bits = (exponent - 127 + 15) << 10 | mantissa >> 13, rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (bits & 1)))
        bits++;
    return (uint16_t)(sign | bits);
}

static uint16_t bfloat16_bits(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t rest = x & 0xffffu, bits = x >> 16;
    if (rest > 0x8000u || (rest == 0x8000u && (bits & 1)))
        bits++;
    return (uint16_t)bits;
}

static void store(void *p, int type, uint64_t i, int64_t v)
{
    switch (type) {
    case hicclFloat16: ((uint16_t *)p)[i] = half_bits((float)v); break;
    case hicclBfloat16: ((uint16_t *)p)[i] = bfloat16_bits((float)v); break;
    case hicclInt8: case hicclUint8: ((int8_t *)p)[i] = (int8_t)v; break;
    case hicclInt32: case hicclUint32: ((int32_t *)p)[i] = (int32_t)v; break;
    case hicclFloat: ((float *)p)[i] = (float)v; break;
    case hicclDouble: ((double *)p)[i] = (double)v; break;
    default: ((int64_t *)p)[i] = v; break;
    }
}

/* Element k of `p` as the kernels leave the reduction `e`: avg divided in the type (a copy divides nothing). The
 * check compares these bits with the result's, so a float must come out exact, as nccl-tests' integer-valued data
 * make it. */
static void store_result(void *p, int type, int op, int nranks, uint64_t k, int64_t e)
{
    if (!PERF_REDUCES || op != hicclAvg) {
        store(p, type, k, e);
        return;
    }
    switch (type) {
    case hicclFloat: ((float *)p)[k] = (float)e / (float)nranks; break;
    case hicclDouble: ((double *)p)[k] = (double)e / (double)nranks; break;
    case hicclFloat16: ((uint16_t *)p)[k] = half_bits((float)e / (float)nranks); break;
    case hicclBfloat16: ((uint16_t *)p)[k] = bfloat16_bits((float)e / (float)nranks); break;
    default: store(p, type, k, is_unsigned(type) ? (int64_t)((uint64_t)e / (uint64_t)nranks) : e / nranks); break;
    }
}

/* ---- one size ---- */

struct bench {
    struct options o;
    hicclComm_t comm;
    struct gpu_device *gpu;
    int rank, nranks;
    uint64_t send, recv;
    uint8_t *host;
    uint32_t start, stop;
    double bw_sum;
    int sizes;
    uint64_t wrong_total;
    int across;       /* the ranks span HiLink domains: gathers are collectives (no mailbox reaches every rank) */
    uint64_t scratch; /* 8 bytes of GPU memory for them */
};

static void fail(struct bench *b, const char *what, hicclResult_t r)
{
    printf(PERF_NAME ": rank %d: %s: %s: %s\n", b->rank, what, hicclGetErrorString(r), hicclGetLastError(b->comm));
    vdc_exit(1);
}

/* `value` reduced over every rank by a one-element AllReduce, as nccl-tests reduces its figures with MPI. */
static uint64_t reduce_across(struct bench *b, uint64_t value, hicclRedOp_t op)
{
    hicclResult_t r;
    if (gpu_memcpy_h2d(b->gpu, b->scratch, &value, sizeof value) != GPU_SUCCESS)
        fail(b, "gather", hicclUnhandledCudaError);
    if ((r = hicclAllReduce(b->scratch, b->scratch, 1, hicclUint64, op, b->comm, 0)) != hicclSuccess)
        fail(b, "gather", r);
    if (gpu_memcpy_d2h(b->gpu, &value, b->scratch, sizeof value) != GPU_SUCCESS)
        fail(b, "gather", hicclUnhandledCudaError);
    return value;
}

/* The first `period_bytes` at p repeated up to `total_bytes`, by doubling copies (whole periods until the last). */
static void repeat(uint8_t *p, uint64_t period_bytes, uint64_t total_bytes)
{
    for (uint64_t done = period_bytes; done < total_bytes;) {
        uint64_t n = total_bytes - done < done ? total_bytes - done : done;
        memcpy(p + done, p, n);
        done += n;
    }
}

static void fill(struct bench *b, uint64_t address, uint64_t count)
{
    size_t size = hicclTypeSize(b->o.type);
    uint64_t period = count < period_of(b->o.op) ? count : period_of(b->o.op);
    for (uint64_t i = 0; i < period; i++)
        store(b->host, b->o.type, i, value_of(b->o.type, b->o.op, b->rank, i));
    repeat(b->host, period * size, count * size);
    if (gpu_memcpy_h2d(b->gpu, address, b->host, count * hicclTypeSize(b->o.type)) != GPU_SUCCESS)
        fail(b, "copy the data in", hicclUnhandledCudaError);
}

/* Expected values of one block of a result, whole periods of them, compared a run at a time. */
static uint8_t expected_run[8192];

/* The elements of a result's block `first` .. `first + len` that differ from the expected ones. Within a block
 * (the whole result, or one rank's part of an AllGather or AlltoAll) the expected values repeat with the data's
 * period, so a run of whole periods is made once and compared with the result a run at a time; only a run that
 * differs is counted element by element. */
static uint64_t wrong_in_block(struct bench *b, uint64_t count, uint64_t first, uint64_t len)
{
    size_t size = hicclTypeSize(b->o.type);
    uint64_t period = period_of(b->o.op), run_elements = sizeof expected_run / (period * size) * period;
    run_elements = run_elements < len ? run_elements : len;
    for (uint64_t k = 0; k < run_elements; k++)
        store_result(expected_run, b->o.type, b->o.op, b->nranks, k,
                     expected_of(b->o.type, b->o.op, b->rank, b->nranks, count, first + k, b->o.root));
    const uint8_t *block = b->host + first * size;
    /* The whole block at once: it is its expected values when its first run is and each later byte equals the one a
     * run before it (the expected values repeat with the run's length); memcmp of that size is one exit. */
    if (memcmp(block, expected_run, run_elements * size) == 0 &&
        (len == run_elements || memcmp(block, block + run_elements * size, (len - run_elements) * size) == 0))
        return 0;
    uint64_t wrong = 0;
    for (uint64_t done = 0; done < len; done += run_elements) {
        uint64_t n = len - done < run_elements ? len - done : run_elements;
        const uint8_t *got = b->host + (first + done) * size;
        if (memcmp(got, expected_run, n * size) == 0)
            continue;
        for (uint64_t k = 0; k < n; k++)
            wrong += memcmp(got + k * size, expected_run + k * size, size) != 0;
    }
    return wrong;
}

/* The collective, `count` elements being the total of nccl-tests' size. */
static hicclResult_t collective(struct bench *b, uint64_t in, uint64_t out, uint64_t count)
{
#if PERF_COLLECTIVE == PERF_ALL_REDUCE
    return hicclAllReduce(in, out, count, b->o.type, b->o.op, b->comm, 0);
#elif PERF_COLLECTIVE == PERF_REDUCE_SCATTER
    return hicclReduceScatter(in, out, count / b->nranks, b->o.type, b->o.op, b->comm, 0);
#elif PERF_COLLECTIVE == PERF_ALL_GATHER
    return hicclAllGather(in, out, count / b->nranks, b->o.type, b->comm, 0);
#elif PERF_COLLECTIVE == PERF_BROADCAST
    return hicclBroadcast(in, out, count, b->o.type, b->o.root, b->comm, 0);
#elif PERF_COLLECTIVE == PERF_REDUCE
    return hicclReduce(in, out, count, b->o.type, b->o.op, b->o.root, b->comm, 0);
#else
    /* As nccl-tests runs them: a group of a send and a receive per peer (AlltoAll, count / nranks elements each),
     * or to the next rank and from the previous one (SendRecv). */
    hicclResult_t r = hicclGroupStart();
#if PERF_COLLECTIVE == PERF_ALLTOALL
    uint64_t chunk = count / b->nranks, bytes = chunk * hicclTypeSize(b->o.type);
    for (int peer = 0; peer < b->nranks && r == hicclSuccess; peer++) {
        r = hicclSend(in + (uint64_t)peer * bytes, chunk, b->o.type, peer, b->comm, 0);
        if (r == hicclSuccess)
            r = hicclRecv(out + (uint64_t)peer * bytes, chunk, b->o.type, peer, b->comm, 0);
    }
#else
    r = hicclSend(in, count, b->o.type, (b->rank + 1) % b->nranks, b->comm, 0);
    if (r == hicclSuccess)
        r = hicclRecv(out, count, b->o.type, (b->rank + b->nranks - 1) % b->nranks, b->comm, 0);
#endif
    hicclResult_t end = hicclGroupEnd();
    return r != hicclSuccess ? r : end;
#endif
}

/* Elements of a rank's input and of its result. */
static uint64_t input_count(const struct bench *b, uint64_t count)
{
    return PERF_COLLECTIVE == PERF_ALL_GATHER ? count / b->nranks : count;
}

static uint64_t output_count(const struct bench *b, uint64_t count)
{
    return PERF_COLLECTIVE == PERF_REDUCE_SCATTER ? count / b->nranks : count;
}

/* The ranks' times of the calls, `ps` its own, combined as -a asks: gathered by rank 0 (the others send theirs), or
 * across domains reduced on every rank. */
static uint64_t combine_times(struct bench *b, uint64_t ps)
{
    if (b->across)
        return b->o.average == 1 ? reduce_across(b, ps, hicclSum) / (uint64_t)b->nranks
             : b->o.average == 2 ? reduce_across(b, ps, hicclMin)
             : b->o.average == 3 ? reduce_across(b, ps, hicclMax) : ps;
    if (b->rank != 0) {
        hicclOobSend(b->comm, 0, &ps, sizeof ps);
        return ps;
    }
    uint64_t sum = ps, least = ps, most = ps;
    for (int k = 1; k < b->nranks; k++) {
        uint64_t theirs = 0;
        hicclResult_t r = hicclOobRecv(b->comm, k, &theirs, sizeof theirs);
        if (r != hicclSuccess)
            fail(b, "gather the times", r);
        sum += theirs;
        least = theirs < least ? theirs : least;
        most = theirs > most ? theirs : most;
    }
    return b->o.average == 1 ? sum / (uint64_t)b->nranks : b->o.average == 2 ? least : b->o.average == 3 ? most : ps;
}

/* Microseconds per call of `iters` collectives from `in` to `out` (the ranks' clocks combined as -a asks), after
 * one untimed call, as nccl-tests' BenchTime makes ("Sync"); then, with fresh data, one more whose result is
 * checked: the elements wrong on every rank (rank 0 gathers them). */
static double run(struct bench *b, uint64_t in, uint64_t out, uint64_t count, uint64_t *wrong)
{
    hicclResult_t r;
    fill(b, in, input_count(b, count));
    if ((r = collective(b, in, out, count)) != hicclSuccess)
        fail(b, "collective", r);
    gpu_event_record(b->gpu, b->start);
    for (int i = 0; i < b->o.iters; i++)
        if ((r = collective(b, in, out, count)) != hicclSuccess)
            fail(b, "collective", r);
    gpu_event_record(b->gpu, b->stop);
    uint64_t ps = 0;
    if (gpu_event_elapsed_ps(b->gpu, b->start, b->stop, &ps) != GPU_SUCCESS) {
        hicclResult_t async;
        hicclCommGetAsyncError(b->comm, &async); /* what the collective was waiting for */
        fail(b, "collective", hicclUnhandledCudaError);
    }
    if (b->nranks > 1)
        ps = combine_times(b, ps);
    *wrong = 0;
    if (b->o.check) {
        fill(b, in, input_count(b, count));
        if ((r = collective(b, in, out, count)) != hicclSuccess)
            fail(b, "collective", r);
        uint64_t results = output_count(b, count);
        if (gpu_synchronize(b->gpu) != GPU_SUCCESS ||
            gpu_memcpy_d2h(b->gpu, b->host, out, results * hicclTypeSize(b->o.type)) != GPU_SUCCESS)
            fail(b, "copy the result out", hicclUnhandledCudaError);
        /* Reduce's result is the root's only. */
        /* A gathered result is the ranks' parts one after another, each its own block of the data's period. */
        uint64_t blocks = PERF_COLLECTIVE == PERF_ALL_GATHER || PERF_COLLECTIVE == PERF_ALLTOALL ? (uint64_t)b->nranks : 1;
        if (PERF_COLLECTIVE != PERF_REDUCE || b->rank == b->o.root)
            for (uint64_t k = 0; k < blocks; k++)
                *wrong += wrong_in_block(b, count / b->nranks, k * (results / blocks), results / blocks);
        if (b->across) {
            *wrong = reduce_across(b, *wrong, hicclSum);
        } else if (b->rank != 0) {
            hicclOobSend(b->comm, 0, wrong, sizeof *wrong);
        } else {
            for (int k = 1; k < b->nranks; k++) {
                uint64_t theirs = 0;
                if ((r = hicclOobRecv(b->comm, k, &theirs, sizeof theirs)) != hicclSuccess)
                    fail(b, "gather #wrong", r);
                *wrong += theirs;
            }
        }
    }
    return (double)ps / 1e6 / b->o.iters;
}

static void print_placement(struct bench *b, double us, uint64_t bytes, uint64_t wrong)
{
    char time[16], wrong_text[16];
    if (us >= 10000.0)
        snprintf(time, sizeof time, "%7.0f", us);
    else if (us >= 100.0)
        snprintf(time, sizeof time, "%7.1f", us);
    else
        snprintf(time, sizeof time, "%7.2f", us);
    double algbw = us > 0 ? (double)bytes / us / 1e3 : 0; /* bytes per microsecond / 1e3 = GB/s */
    /* nccl-tests' bus bandwidth factors */
    double busbw = PERF_ROOTED || PERF_COLLECTIVE == PERF_SENDRECV
                       ? algbw
                       : algbw * (PERF_COLLECTIVE == PERF_ALL_REDUCE ? 2.0 : 1.0) * (b->nranks - 1) / b->nranks;
    if (b->o.check)
        snprintf(wrong_text, sizeof wrong_text, "%llu", (unsigned long long)wrong);
    else
        snprintf(wrong_text, sizeof wrong_text, "N/A");
    printf("  %7s  %6.2f  %6.2f  %5s", time, algbw, busbw, wrong_text);
    b->bw_sum += busbw;
    b->wrong_total += wrong;
}

/* The elements of a size's collective. */
static uint64_t count_of(const struct bench *b, uint64_t bytes)
{
    uint64_t count = bytes / hicclTypeSize(b->o.type);
    if (PERF_COLLECTIVE == PERF_REDUCE_SCATTER || PERF_COLLECTIVE == PERF_ALL_GATHER || PERF_COLLECTIVE == PERF_ALLTOALL)
        count -= count % b->nranks; /* a whole number of elements per rank */
    return count;
}

/* nccl-tests' warm-up, once before the sizes: -w calls of the largest size, then -w of the smallest, out of place,
 * on whatever the buffers hold. */
static void warm_up(struct bench *b)
{
    uint64_t sizes[2] = {b->o.max_bytes, b->o.min_bytes};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < b->o.warmup; i++) {
            hicclResult_t r = collective(b, b->send, b->recv, count_of(b, sizes[s]));
            if (r != hicclSuccess)
                fail(b, "warm-up", r);
        }
}

static void one_size(struct bench *b, uint64_t bytes)
{
    size_t size = hicclTypeSize(b->o.type);
    uint64_t count = count_of(b, bytes);
    bytes = count * size;
    uint64_t wrong_out, wrong_in;
    /* In place, as nccl-tests places it: the result is the input (AllReduce), the rank's part of the input
     * (ReduceScatter), or the input is the rank's part of the result (AllGather). */
    uint64_t part = count / b->nranks * size * (uint64_t)b->rank;
    double out_us = run(b, b->send, b->recv, count, &wrong_out);
    double in_us = PERF_COLLECTIVE == PERF_ALL_REDUCE || PERF_ROOTED || PERF_COLLECTIVE >= PERF_ALLTOALL
                       ? run(b, b->send, b->send, count, &wrong_in)
                   : PERF_COLLECTIVE == PERF_REDUCE_SCATTER ? run(b, b->send, b->send + part, count, &wrong_in)
                                                            : run(b, b->recv + part, b->recv, count, &wrong_in);
    if (b->rank != 0)
        return;
    printf("%12llu  %12llu  %8s  %6s  %6d", (unsigned long long)bytes, (unsigned long long)count,
           type_names[b->o.type], PERF_REDUCES || PERF_COLLECTIVE == PERF_SENDRECV ? op_names[b->o.op] : "none",
           PERF_ROOTED ? b->o.root : -1);
    print_placement(b, out_us, bytes, wrong_out);
    print_placement(b, in_us, bytes, wrong_in);
    printf("\n");
    b->sizes += 2; /* nccl-tests averages both placements' busbw */
}

/* nccl-tests' TimeTest: the warm-up, then every size, for the type, operation and root in b->o. */
static void time_test(struct bench *b)
{
    warm_up(b);
    for (uint64_t bytes = b->o.min_bytes; bytes <= b->o.max_bytes;) {
        one_size(b, bytes);
        uint64_t next = b->o.step_bytes ? bytes + b->o.step_bytes : bytes * b->o.factor;
        if (next <= bytes)
            break;
        bytes = next;
    }
}

/* The tests as nccl-tests' programs run them: for each type asked (every one for -d all), each operation (-o all)
 * where the collective takes one (the reductions, and SendRecv, whose table names it though it moves the data
 * unchanged; the others run with sum's data and name none), and each root (-r -1) where it has one. */
static void run_tests(struct bench *b)
{
    const struct options asked = b->o;
    int takes_op = PERF_REDUCES || PERF_COLLECTIVE == PERF_SENDRECV;
    int type_first = asked.type == EVERY ? 0 : asked.type;
    int type_last = asked.type == EVERY ? hicclNumTypes - 1 : asked.type;
    int op_first = !takes_op && asked.op == EVERY ? hicclSum : asked.op == EVERY ? 0 : asked.op;
    int op_last = !takes_op && asked.op == EVERY ? hicclSum : asked.op == EVERY ? hicclNumOps - 1 : asked.op;
    int root_first = PERF_ROOTED && asked.root == EVERY ? 0 : asked.root;
    int root_last = PERF_ROOTED && asked.root == EVERY ? b->nranks - 1 : asked.root;
    for (int type = type_first; type <= type_last; type++)
        for (int op = op_first; op <= op_last; op++)
            for (int root = root_first; root <= root_last; root++) {
                b->o.type = type;
                b->o.op = op;
                b->o.root = root;
                time_test(b);
            }
    b->o = asked;
}

int main(void);
int main(void)
{
    struct bench b = {0};
    int parsed = parse_options(&b.o);
    if (parsed != 1) {
        usage(); /* -h: the usage text and nothing else, as nccl-tests' */
        return parsed == 2 ? 0 : 2;
    }
    int status;
    b.gpu = vdc_gpu_open(0, &status);
    struct higpu_info info;
    if (b.gpu == NULL || gpu_query(b.gpu, &info) != GPU_SUCCESS) {
        printf(PERF_NAME ": no GPU: %s\n", gpu_status_name(status));
        return 1;
    }
    /* The ranks of the GPU's HiLink domain (rank = place); every guest's GPU (rank = the guest's) when the blades have
     * NICs and the guests are several whole domains. */
    b.nranks = info.hilink_gpus > 1 ? (int)info.hilink_gpus : 1;
    b.rank = b.nranks > 1 ? (int)info.hilink_place : 0;
    uint32_t guests = hicclGuestCount();
    if (b.nranks > 1 && guests > (uint32_t)b.nranks && guests % (uint32_t)b.nranks == 0) {
        b.across = 1;
        b.nranks = (int)guests;
        b.rank = (int)vdc_rank();
    }
    hicclUniqueId id;
    hicclResult_t r;
    if (b.rank == 0) {
        if ((r = hicclGetUniqueId(&id)) != hicclSuccess || (r = hicclSendUniqueId(&id, b.nranks)) != hicclSuccess)
            fail(&b, "unique id", r);
    } else if ((r = hicclRecvUniqueId(&id)) != hicclSuccess) {
        fail(&b, "unique id", r);
    }
    if ((r = hicclCommInitRank(&b.comm, b.nranks, id, b.rank)) != hicclSuccess)
        fail(&b, "hicclCommInitRank", r);
    if (b.across && gpu_malloc(b.gpu, &b.scratch, 16) != GPU_SUCCESS)
        fail(&b, "gpu_malloc", hicclUnhandledCudaError);
    b.host = vdc_alloc(b.o.max_bytes ? b.o.max_bytes : 1, 64);
    if (b.host == NULL || gpu_malloc(b.gpu, &b.send, b.o.max_bytes ? b.o.max_bytes : 1) != GPU_SUCCESS ||
        gpu_malloc(b.gpu, &b.recv, b.o.max_bytes ? b.o.max_bytes : 1) != GPU_SUCCESS) {
        printf(PERF_NAME ": rank %d: no memory for %llu bytes (guests.memory, gpu memory)\n", b.rank,
               (unsigned long long)b.o.max_bytes);
        return 1;
    }
    gpu_event_create(b.gpu, &b.start);
    gpu_event_create(b.gpu, &b.stop);
    if (b.rank == 0) {
        printf("# Collective test starting: " PERF_NAME "\n");
        printf("# nThread 1 nGpus 1 minBytes %llu maxBytes %llu step: %llu(%s) warmup iters: %d iters: %d agg iters: "
               "1 validation: %d graph: 0\n#\n# Using devices\n", (unsigned long long)b.o.min_bytes,
               (unsigned long long)b.o.max_bytes,
               (unsigned long long)(b.o.step_bytes ? b.o.step_bytes : b.o.factor), b.o.step_bytes ? "bytes" : "factor",
               b.o.warmup, b.o.iters, b.o.check);
        /* The ranks are the guests from this one's on (the places of its HiLink domain, or every guest). */
        for (int k = 0; k < b.nranks; k++)
            printf("#  Rank %2d Group  0 Pid %6d on %10s%u device  0 [0000:%02x:00] %s\n", k, 1, "blade",
                   vdc_rank() - (uint32_t)b.rank + (uint32_t)k, (b.across ? k % (int)info.hilink_gpus : k) + 1,
                   info.name);
        printf("#\n#%61s%35s\n", "out-of-place", "in-place");
        printf("#%11s  %12s  %8s  %6s  %6s  %7s  %6s  %6s %6s  %7s  %6s  %6s %6s\n", "size", "count", "type", "redop",
               "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw", "#wrong");
        printf("#%11s  %12s  %8s  %6s  %6s  %7s  %6s  %6s %6s  %7s  %6s  %6s %6s\n", "(B)", "(elements)", "", "", "",
               "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
    }
    run_tests(&b);
    if (b.rank == 0) {
        printf("# Out of bounds values : %llu %s\n", (unsigned long long)b.wrong_total,
               b.wrong_total == 0 ? "OK" : "FAILED");
        double avg = b.sizes ? b.bw_sum / b.sizes : 0;
        /* %g's six significant digits (the guest's printf has no %g) */
        const char *format = avg >= 1000 ? "# Avg bus bandwidth    : %.2f \n#\n"
                             : avg >= 100 ? "# Avg bus bandwidth    : %.3f \n#\n"
                             : avg >= 10  ? "# Avg bus bandwidth    : %.4f \n#\n"
                                          : "# Avg bus bandwidth    : %.5f \n#\n";
        printf(format, avg);
        printf("# Collective test concluded: " PERF_NAME "\n");
    }
    hicclCommDestroy(b.comm);
    return b.wrong_total == 0 ? 0 : 1;
}

#endif
