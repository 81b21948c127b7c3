/* gpu-peers [BYTES | access | ipc [BYTES] | refusals | stranded]: two GPUs on a HiLink fabric. Rank 0 copies BYTES
 * (default 4 MiB) of its memory into rank 1's over HiLink (COPY_PEER), timed with events, then a kernel of its
 * stores a flag into rank 1's memory and times the system-scope fence after it, which waits for the store to land;
 * rank 1's kernel polls that flag in its own memory until it changes, then rank 1 checks every copied byte. Both
 * allocate the same buffers in the same order, so a buffer of the peer lies at the same offset from the peer's
 * memory base (its place in the shared address space) as one's own does from one's own. Other ranks do nothing.
 * With "refusals", rank 0 instead shows what the device refuses: a copy to a GPU that is not on the fabric, and a
 * kernel's store into a peer whose access it never enabled (a GPU fault naming the peer and the thread). With
 * "stranded", rank 0 sends nothing and rank 1's kernel waits for a flag nobody sets, until gpu.kernel_timeout stops
 * it. With "access", rank 0's kernel loads rank 1's words and updates counters in rank 1's memory with atomics
 * (peer_access), flags in each other's memory saying when to start and when it is over; each checks what it sees.
 * With "ipc", nothing relies on allocation order: rank 1 exports a buffer (64 KiB, or BYTES) and mails the handle
 * to rank 0, which opens it, copies into it and pulls the bytes back; after rank 1 has checked the bytes and freed
 * the buffer, the same handle, and one never exported, no longer open. */
#include "vdc_gpu.h"
#include "vdc_guest.h"

VDC_PTX_DECLARE(flags);
VDC_PTX_DECLARE(peer);

#define PLACE_BYTES 0x10000000000ull /* each GPU's part of the shared address space */

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i * 131 + (i >> 9) + 7);
}

static int fail(struct gpu_device *gpu, const char *what)
{
    printf("gpu-peers: %s: %s\n", what, gpu_error_text(gpu));
    return 1;
}

static void print_time(const char *what, uint64_t bytes, uint64_t ps)
{
    uint64_t mb_per_s = ps ? bytes * 1000000ull / ps : 0; /* bytes per microsecond = MB/s */
    printf("%s: %llu bytes in %llu.%03llu us, %llu.%03llu GB/s\n", what, (unsigned long long)bytes,
           (unsigned long long)(ps / 1000000), (unsigned long long)(ps / 1000 % 1000),
           (unsigned long long)(mb_per_s / 1000), (unsigned long long)(mb_per_s % 1000));
}

static int sender(struct gpu_device *gpu, struct gpu_module_handle module, uint64_t peer_flag, uint64_t data,
                  uint64_t peer_data, uint64_t n)
{
    uint8_t *host = vdc_alloc(n, 64);
    for (uint64_t i = 0; i < n; i++)
        host[i] = pattern(i);
    if (gpu_memcpy_h2d(gpu, data, host, n) != GPU_SUCCESS)
        return fail(gpu, "copy to the device");
    if (gpu_peer_access(gpu, 1, 1) != GPU_SUCCESS)
        return fail(gpu, "peer access to GPU 1");
    uint32_t start, stop;
    gpu_event_create(gpu, &start);
    gpu_event_create(gpu, &stop);
    gpu_event_record(gpu, start);
    int status = gpu_memcpy_peer(gpu, peer_data, data, n);
    gpu_event_record(gpu, stop);
    uint64_t ps = 0;
    if (status != GPU_SUCCESS || gpu_event_elapsed_ps(gpu, start, stop, &ps) != GPU_SUCCESS)
        return fail(gpu, "copy to GPU 1");
    print_time("copy to GPU 1 over HiLink", n, ps);
    uint64_t timing;
    if (gpu_malloc(gpu, &timing, 8) != GPU_SUCCESS)
        return fail(gpu, "allocate");
    struct { uint64_t flag; uint32_t value, pad; uint64_t cycles; } __attribute__((packed)) args = {peer_flag, 1, 0,
                                                                                                   timing};
    gpu_launch(gpu, module, "store_then_fence", (struct gpu_dim3){1, 1, 1}, (struct gpu_dim3){1, 1, 1}, 0, &args,
               sizeof args);
    if (gpu_synchronize(gpu) != GPU_SUCCESS)
        return fail(gpu, "store_then_fence on GPU 1");
    uint64_t cycles = 0;
    gpu_memcpy_d2h(gpu, &cycles, timing, 8);
    printf("flag stored into GPU 1's memory; the fence after it waited until it landed: %llu cycles\n",
           (unsigned long long)cycles);
    return 0;
}

static int receiver(struct gpu_device *gpu, struct gpu_module_handle module, uint64_t flag, uint64_t data,
                    uint64_t n)
{
    uint64_t out;
    if (gpu_malloc(gpu, &out, 16) != GPU_SUCCESS)
        return fail(gpu, "allocate");
    struct { uint64_t flag; uint32_t expected, pad; uint64_t out; } __attribute__((packed)) args = {flag, 1, 0, out};
    gpu_launch(gpu, module, "wait_flag", (struct gpu_dim3){1, 1, 1}, (struct gpu_dim3){1, 1, 1}, 0, &args,
               sizeof args);
    if (gpu_synchronize(gpu) != GPU_SUCCESS)
        return fail(gpu, "wait_flag");
    uint64_t waited[2];
    gpu_memcpy_d2h(gpu, waited, out, sizeof waited);
    printf("flag seen after %llu cycles (%llu polls)\n", (unsigned long long)waited[0],
           (unsigned long long)waited[1]);
    uint8_t *host = vdc_alloc(n, 64);
    if (gpu_memcpy_d2h(gpu, host, data, n) != GPU_SUCCESS)
        return fail(gpu, "copy from the device");
    uint64_t wrong = 0;
    for (uint64_t i = 0; i < n; i++)
        wrong += host[i] != pattern(i);
    printf("bytes from GPU 0: %llu of %llu wrong\n", (unsigned long long)wrong, (unsigned long long)n);
    return wrong != 0;
}

static int refusals(struct gpu_device *gpu, struct gpu_module_handle module, uint64_t flag, uint64_t data)
{
    int status = gpu_memcpy_peer(gpu, data + 5 * PLACE_BYTES, data, 256);
    printf("copy to GPU 5: %s: %s\n", gpu_status_name(status), gpu_error_text(gpu));
    struct { uint64_t flag; uint32_t value; } __attribute__((packed)) args = {flag + PLACE_BYTES, 1};
    gpu_launch(gpu, module, "set_flag", (struct gpu_dim3){1, 1, 1}, (struct gpu_dim3){1, 1, 1}, 0, &args,
               sizeof args);
    status = gpu_synchronize(gpu);
    printf("store into GPU 1 without peer access: %s: %s\n", gpu_status_name(status), gpu_error_text(gpu));
    return 0;
}

#define ACCESS_THREADS 1024u

static uint32_t word(uint32_t i)
{
    return i * 2654435761u + 12345u;
}

/* A kernel of one thread that waits for its own flag to hold `value` (set by the peer's store). */
static int await_flag(struct gpu_device *gpu, struct gpu_module_handle flags, uint64_t flag, uint32_t value,
                      uint64_t scratch)
{
    struct { uint64_t flag; uint32_t expected, pad; uint64_t out; } __attribute__((packed)) args = {flag, value, 0,
                                                                                                   scratch};
    gpu_launch(gpu, flags, "wait_flag", (struct gpu_dim3){1, 1, 1}, (struct gpu_dim3){1, 1, 1}, 0, &args,
               sizeof args);
    return gpu_synchronize(gpu);
}

static int signal_flag(struct gpu_device *gpu, struct gpu_module_handle flags, uint64_t peer_flag, uint32_t value)
{
    struct { uint64_t flag; uint32_t value; } __attribute__((packed)) args = {peer_flag, value};
    gpu_launch(gpu, flags, "set_flag", (struct gpu_dim3){1, 1, 1}, (struct gpu_dim3){1, 1, 1}, 0, &args,
               sizeof args);
    return gpu_synchronize(gpu);
}

/* Rank 1 holds the words and the counters; rank 0's kernel reads and updates them over HiLink. */
static int access_peer(struct gpu_device *gpu, struct gpu_module_handle flags, uint32_t place, uint64_t flag,
                       uint64_t peer_offset)
{
    struct gpu_module_handle peer;
    uint64_t words, counters, mine, tickets, scratch;
    uint32_t n = ACCESS_THREADS;
    if (gpu_module_load(gpu, &peer, VDC_PTX_TEXT(peer), VDC_PTX_LENGTH(peer)) != GPU_SUCCESS ||
        gpu_malloc(gpu, &words, 4 * n) != GPU_SUCCESS || gpu_malloc(gpu, &counters, 8) != GPU_SUCCESS ||
        gpu_malloc(gpu, &mine, 4 * n) != GPU_SUCCESS || gpu_malloc(gpu, &tickets, 4 * n) != GPU_SUCCESS ||
        gpu_malloc(gpu, &scratch, 16) != GPU_SUCCESS || gpu_memset(gpu, counters, 0, 8) != GPU_SUCCESS ||
        gpu_peer_access(gpu, 1 - place, 1) != GPU_SUCCESS)
        return fail(gpu, "set-up for access");
    uint32_t *host = vdc_alloc(4 * n, 64);
    if (place == 1) {
        for (uint32_t i = 0; i < n; i++)
            host[i] = word(i);
        if (gpu_memcpy_h2d(gpu, words, host, 4 * n) != GPU_SUCCESS ||
            signal_flag(gpu, flags, flag + peer_offset, 1) != GPU_SUCCESS ||
            await_flag(gpu, flags, flag, 2, scratch) != GPU_SUCCESS)
            return fail(gpu, "rank 1");
        uint32_t totals[2];
        gpu_memcpy_d2h(gpu, totals, counters, sizeof totals);
        printf("counters after GPU 0's atomics: %u tickets taken, %u added by red (expected %u and %u)\n", totals[0],
               totals[1], n, 2 * n);
        return totals[0] != n || totals[1] != 2 * n;
    }
    if (await_flag(gpu, flags, flag, 1, scratch) != GPU_SUCCESS)
        return fail(gpu, "wait for GPU 1");
    struct { uint64_t src, dst, counters, tickets, cycles; } args = {words + peer_offset, mine, counters + peer_offset,
                                                                     tickets, scratch};
    gpu_launch(gpu, peer, "peer_access", (struct gpu_dim3){n / 128, 1, 1}, (struct gpu_dim3){128, 1, 1}, 0, &args,
               sizeof args);
    if (gpu_synchronize(gpu) != GPU_SUCCESS)
        return fail(gpu, "peer_access");
    uint64_t cycles = 0;
    gpu_memcpy_d2h(gpu, &cycles, scratch, 8);
    printf("one 4-byte load from GPU 1's memory: %llu cycles\n", (unsigned long long)cycles);
    gpu_memcpy_d2h(gpu, host, mine, 4 * n);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < n; i++)
        wrong += host[i] != word(i);
    printf("words loaded from GPU 1: %u of %u wrong\n", wrong, n);
    /* Every ticket from 0 to n-1 exactly once: the atomics were applied one at a time. */
    uint8_t *seen = vdc_alloc(n, 64);
    memset(seen, 0, n);
    gpu_memcpy_d2h(gpu, host, tickets, 4 * n);
    uint32_t bad = 0;
    for (uint32_t i = 0; i < n; i++)
        bad += host[i] >= n || seen[host[i]]++;
    printf("tickets from GPU 1's counter: %u of %u not unique\n", bad, n);
    if (signal_flag(gpu, flags, flag + peer_offset, 2) != GPU_SUCCESS)
        return fail(gpu, "tell GPU 1");
    return wrong != 0 || bad != 0;
}

static uint32_t ipc_bytes = 64u << 10;
#define IPC_BYTES ipc_bytes

static int ipc(struct gpu_device *gpu, uint32_t place)
{
    uint64_t message[8] = {0};
    uint32_t from, length;
    if (place == 1) {
        uint64_t spacer, buffer, handle;
        /* A different allocation history from rank 0's: the address is only known through the handle. */
        if (gpu_malloc(gpu, &spacer, 3u << 20) != GPU_SUCCESS || gpu_malloc(gpu, &buffer, IPC_BYTES) != GPU_SUCCESS ||
            gpu_ipc_get_handle(gpu, buffer, &handle) != GPU_SUCCESS)
            return fail(gpu, "export");
        printf("exported 0x%llx as handle 0x%016llx\n", (unsigned long long)buffer, (unsigned long long)handle);
        message[0] = handle;
        if (gpu_mail_send(gpu, 0, message, sizeof message) != GPU_SUCCESS ||
            gpu_mail_recv(gpu, message, &from, &length) != GPU_SUCCESS)
            return fail(gpu, "mail");
        uint8_t *host = vdc_alloc(IPC_BYTES, 64);
        gpu_memcpy_d2h(gpu, host, buffer, IPC_BYTES);
        uint32_t wrong = 0;
        for (uint32_t i = 0; i < IPC_BYTES; i++)
            wrong += host[i] != pattern(i);
        printf("GPU %u says it is done: %u of %u bytes wrong; freeing the buffer\n", from, wrong, IPC_BYTES);
        if (gpu_free(gpu, buffer) != GPU_SUCCESS || gpu_mail_send(gpu, 0, message, 8) != GPU_SUCCESS)
            return fail(gpu, "free");
        return wrong != 0;
    }
    if (gpu_mail_recv(gpu, message, &from, &length) != GPU_SUCCESS)
        return fail(gpu, "mail");
    uint64_t handle = message[0], address, size;
    if (gpu_ipc_open_handle(gpu, handle, &address, &size) != GPU_SUCCESS)
        return fail(gpu, "open the handle");
    printf("handle 0x%016llx from GPU %u (%u bytes of mail) opens 0x%llx, %llu bytes\n", (unsigned long long)handle,
           from, length, (unsigned long long)address, (unsigned long long)size);
    uint64_t mine;
    uint8_t *host = vdc_alloc(IPC_BYTES, 64);
    for (uint32_t i = 0; i < IPC_BYTES; i++)
        host[i] = pattern(i);
    if (gpu_malloc(gpu, &mine, IPC_BYTES) != GPU_SUCCESS || gpu_memcpy_h2d(gpu, mine, host, IPC_BYTES) != GPU_SUCCESS ||
        gpu_memcpy_peer(gpu, address, mine, IPC_BYTES) != GPU_SUCCESS)
        return fail(gpu, "copy into the opened buffer");
    /* And back: the same bytes pulled from GPU 1's buffer (read requests over HiLink) into another of its own. */
    uint64_t back;
    uint32_t start, stop;
    uint64_t ps = 0;
    gpu_event_create(gpu, &start);
    gpu_event_create(gpu, &stop);
    if (gpu_malloc(gpu, &back, IPC_BYTES) != GPU_SUCCESS)
        return fail(gpu, "allocate");
    gpu_event_record(gpu, start);
    if (gpu_memcpy_peer(gpu, back, address, IPC_BYTES) != GPU_SUCCESS)
        return fail(gpu, "copy from the opened buffer");
    gpu_event_record(gpu, stop);
    gpu_event_elapsed_ps(gpu, start, stop, &ps);
    gpu_memcpy_d2h(gpu, host, back, IPC_BYTES);
    uint32_t wrong = 0;
    for (uint32_t i = 0; i < IPC_BYTES; i++)
        wrong += host[i] != pattern(i);
    printf("copied back from GPU 1: %u of %u bytes wrong\n", wrong, IPC_BYTES);
    print_time("copy from GPU 1 over HiLink", IPC_BYTES, ps);
    if (gpu_mail_send(gpu, 1, message, 8) != GPU_SUCCESS || gpu_mail_recv(gpu, message, &from, &length) != GPU_SUCCESS)
        return fail(gpu, "mail");
    int status = gpu_ipc_open_handle(gpu, handle, &address, &size);
    printf("the same handle after GPU 1 freed the buffer: %s: %s\n", gpu_status_name(status), gpu_error_text(gpu));
    status = gpu_ipc_open_handle(gpu, handle + 1, &address, &size);
    printf("a handle never exported: %s: %s\n", gpu_status_name(status), gpu_error_text(gpu));
    return wrong != 0;
}

int main(void);
int main(void)
{
    int status;
    struct gpu_device *gpu = vdc_gpu_open(0, &status);
    if (gpu == NULL) {
        printf("gpu-peers: %s\n", gpu_status_name(status));
        return 1;
    }
    uint64_t n = 4u << 20;
    const char *arg = vdc_bootargs();
    int refuse = strcmp(arg, "refusals") == 0, stranded = strcmp(arg, "stranded") == 0;
    int access = strcmp(arg, "access") == 0, by_handle = memcmp(arg, "ipc", 3) == 0 && (arg[3] == '\0' || arg[3] == ' ');
    if (by_handle && arg[3] == ' ')
        ipc_bytes = (uint32_t)strtoul(arg + 4, NULL, 0); /* "ipc BYTES": the copies' size */
    if (*arg >= '0' && *arg <= '9')
        n = strtoul(arg, NULL, 0);
    struct higpu_info info;
    if (gpu_query(gpu, &info) != GPU_SUCCESS)
        return fail(gpu, "query");
    if (info.hilink_gpus < 2) {
        printf("gpu-peers: GPU %u is on no HiLink fabric with a peer\n", info.hilink_place);
        return 1;
    }
    if (info.hilink_place > 1 || (refuse && info.hilink_place == 1) || (stranded && info.hilink_place == 0)) {
        printf("GPU %u: nothing to do\n", info.hilink_place);
        return 0;
    }
    struct gpu_module_handle module;
    uint64_t flag, data;
    if (gpu_module_load(gpu, &module, VDC_PTX_TEXT(flags), VDC_PTX_LENGTH(flags)) != GPU_SUCCESS ||
        gpu_malloc(gpu, &flag, 4) != GPU_SUCCESS || gpu_malloc(gpu, &data, n) != GPU_SUCCESS ||
        gpu_memset(gpu, flag, 0, 4) != GPU_SUCCESS)
        return fail(gpu, "set-up");
    uint64_t peer_offset = ((uint64_t)(1 - info.hilink_place) - info.hilink_place) * PLACE_BYTES;
    printf("GPU %u of %u, memory at 0x%llx\n", info.hilink_place, info.hilink_gpus,
           (unsigned long long)info.memory_base);
    if (refuse)
        return refusals(gpu, module, flag, data);
    if (access)
        return access_peer(gpu, module, info.hilink_place, flag, peer_offset);
    if (by_handle)
        return ipc(gpu, info.hilink_place);
    return info.hilink_place == 0 ? sender(gpu, module, flag + peer_offset, data, data + peer_offset, n)
                                  : receiver(gpu, module, flag, data, n);
}
