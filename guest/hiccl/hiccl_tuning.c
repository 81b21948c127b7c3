/* HiCCL's cost model, in NCCL's form (src/graph/tuning.cc): a collective's time is a base latency, plus a latency per
 * step of the ring, plus the bytes each link carries over the protocol's bandwidth; the protocol with the smallest
 * predicted time runs, unless NCCL_PROTO names one. Constants below, with where each comes from. */
#include "hiccl_internal.h"

/* The base latency of a ring collective (NCCL's, for LL and Simple), and the latency of each step of the ring:
 * NCCL's 0.6 us for LL over NVLink, which HiCCL's LL ring also shows (8 B on 8 GPUs, 14 steps: 14.5 us); for
 * Simple HiCCL's own 1.1 us (8 B: 23.9 us), where NCCL's 3.4 us also covers its proxy and launch. */
static const double base_us[HICCL_PROTO_COUNT] = {6.6, 8.4};
static const double step_us[HICCL_PROTO_COUNT] = {0.6, 1.1};
/* Bytes per microsecond each link of the ring carries, 16 channels: LL moves 8 data bytes in every 16-byte line and
 * polls every line (2 MiB on 8 GPUs: 40.5 us); Simple moves whole slots (16 MiB: 106.2 us). Measured on the rack's
 * 8 GPUs (docs/hiccl.md, "LL, and choosing the protocol"); with them the two cross at about 1.2 MB, between the
 * sizes where each measures faster. */
static const double link_bytes_per_us[HICCL_PROTO_COUNT] = {144000.0, 356000.0};

double hiccl_predict_us(int kind, int protocol, int nranks, uint64_t bytes)
{
    double n = nranks;
    /* Steps of the ring and the share of the bytes each link carries (nccl-tests' busbw factors). */
    double steps = kind == RING_ALL_REDUCE ? 2 * (n - 1) : n - 1;
    double share = kind == RING_ALL_REDUCE ? 2 * (n - 1) / n
                   : kind == RING_BROADCAST || kind == RING_REDUCE ? 1.0
                                                                  : (n - 1) / n;
    return base_us[protocol] + steps * step_us[protocol] + (double)bytes * share / link_bytes_per_us[protocol];
}

int hiccl_choose_protocol(int kind, int nranks, uint64_t bytes)
{
    return hiccl_predict_us(kind, HICCL_PROTO_LL, nranks, bytes) <= hiccl_predict_us(kind, HICCL_PROTO_SIMPLE,
                                                                                     nranks, bytes)
               ? HICCL_PROTO_LL
               : HICCL_PROTO_SIMPLE;
}

/* VALUE of the word NAME=VALUE in the guest's arguments, copied into `out`; 0 when there is none. */
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
            n = n < size - 1 ? n : size - 1;
            memcpy(out, p + length + 1, n);
            out[n] = '\0';
            return 1;
        }
        p = end;
    }
    return 0;
}

hicclResult_t hiccl_read_overrides(hicclComm_t comm)
{
    char value[32];
    comm->protocol_override = -1;
    if (argument("NCCL_PROTO", value, sizeof value)) {
        if (strcmp(value, "LL") == 0)
            comm->protocol_override = HICCL_PROTO_LL;
        else if (strcmp(value, "Simple") == 0 || strcmp(value, "SIMPLE") == 0)
            comm->protocol_override = HICCL_PROTO_SIMPLE;
        else
            return hiccl_fail(comm, hicclInvalidArgument, "NCCL_PROTO=%s: HiCCL has LL and Simple", value);
    }
    if (argument("NCCL_ALGO", value, sizeof value) && strcmp(value, "Ring") != 0 && strcmp(value, "RING") != 0)
        return hiccl_fail(comm, hicclInvalidArgument, "NCCL_ALGO=%s: HiCCL has Ring", value);
    return hicclSuccess;
}
