// HiCCL's collective kernels (guest/hiccl): AllReduce on a ring of GPUs with NCCL's Simple protocol. One block per
// channel: each channel has connections of its own (its areas `area_stride` bytes apart) and reduces its own
// contiguous part of the data. Each GPU receives from the previous GPU of the ring into its own slot buffer (HICCL_STEPS slots) and
// sends into the next GPU's, over HiLink: the data, then, after a system-scope fence that waits for the data to
// land, the slot count it has sent ("tail") in the receiver's memory; the receiver polls its tail, uses the slot,
// and writes the count it has consumed ("head") back into the sender's memory, which frees the slot.
//
// The ring as NCCL runs it (prims_simple / all_reduce.h runRing), over the data in rounds of nranks chunks of at
// most one slot each: step 0 sends the chunk (rank - 1); steps 1 .. n-2 receive a chunk, reduce it with their own
// and send it on; step n-1 receives the chunk `rank`, reduces it into the final value, stores it and sends it on;
// steps n .. 2n-3 receive final values, store them and send them on; step 2n-2 receives the last one.

#define HICCL_STEPS 8

enum { OP_SUM = 0, OP_PROD = 1, OP_MIN = 2, OP_MAX = 3, OP_AVG = 4 };

// A connection's state, in the GPU's own memory unless named remote.
struct Ring {
    volatile unsigned long long *my_tail;   // slots prev has sent me (prev writes)
    volatile unsigned long long *my_head;   // of my slots next has consumed (next writes)
    volatile unsigned long long *next_tail; // remote: next's my_tail
    volatile unsigned long long *prev_head; // remote: prev's my_head
    unsigned long long *counters;           // [0] slots sent, [1] slots received, across launches
    char *my_slots;                         // where prev writes
    char *next_slots;                       // remote: where I write
    unsigned long long slot_bytes;
};

template <typename T> __device__ T reduce(int op, T a, T b)
{
    switch (op) {
    case OP_PROD: return a * b;
    case OP_MIN: return b < a ? b : a;
    case OP_MAX: return b > a ? b : a;
    default: return a + b;
    }
}

template <typename T> __device__ T finish(int op, T v, int nranks)
{
    return op == OP_AVG ? (T)(v / (T)nranks) : v;
}

// What one step does with the chunk at `offset` (`n` elements).
enum { SEND, RECV_REDUCE_SEND, RECV_REDUCE_COPY_SEND, RECV_COPY_SEND, RECV };

template <typename T>
__device__ void step(const Ring &r, int kind, const T *src, T *dst, unsigned long long offset, unsigned long long n,
                     int op, int nranks, unsigned long long *sent, unsigned long long *received)
{
    bool sends = kind != RECV, receives = kind != SEND;
    if (threadIdx.x == 0) {
        if (receives)
            while (*r.my_tail <= *received)
                ;
        if (sends)
            while (*sent - *r.my_head >= HICCL_STEPS)
                ;
    }
    __syncthreads();
    const T *in = (const T *)(r.my_slots + (*received % HICCL_STEPS) * r.slot_bytes);
    T *out = (T *)(r.next_slots + (*sent % HICCL_STEPS) * r.slot_bytes);
    for (unsigned long long i = threadIdx.x; i < n; i += blockDim.x) {
        T v;
        if (kind == SEND)
            v = src[offset + i];
        else if (kind == RECV_REDUCE_SEND)
            v = reduce(op, in[i], src[offset + i]);
        else if (kind == RECV_REDUCE_COPY_SEND)
            v = finish(op, reduce(op, in[i], src[offset + i]), nranks);
        else
            v = in[i];
        if (kind == RECV_REDUCE_COPY_SEND || kind == RECV_COPY_SEND || kind == RECV)
            dst[offset + i] = v;
        if (sends)
            out[i] = v;
    }
    __threadfence_system(); // this thread's stores to the next GPU have landed
    __syncthreads();
    if (threadIdx.x == 0) {
        if (sends)
            *r.next_tail = ++*sent;
        if (receives)
            *r.prev_head = ++*received;
    }
    __syncthreads();
}

template <typename T>
__device__ void all_reduce_ring(const T *send, T *recv, unsigned long long count, int op, int rank, int nranks,
                                const Ring &r)
{
    __shared__ unsigned long long sent, received;
    if (threadIdx.x == 0) {
        sent = r.counters[0];
        received = r.counters[1];
    }
    __syncthreads();
    unsigned long long slot_elems = r.slot_bytes / sizeof(T);
    for (unsigned long long base = 0; base < count; base += (unsigned long long)nranks * slot_elems) {
        unsigned long long left = count - base;
        unsigned long long chunk = (left + nranks - 1) / nranks;
        if (chunk > slot_elems)
            chunk = slot_elems;
        for (int s = 0; s <= 2 * nranks - 2; s++) {
            int c, kind;
            if (s == 0) {
                c = (rank + nranks - 1) % nranks;
                kind = SEND;
            } else if (s < nranks - 1) {
                c = (rank + nranks - 1 - s) % nranks;
                kind = RECV_REDUCE_SEND;
            } else if (s == nranks - 1) {
                c = rank;
                kind = RECV_REDUCE_COPY_SEND;
            } else if (s < 2 * nranks - 2) {
                c = (rank + 2 * nranks - 1 - s) % nranks;
                kind = RECV_COPY_SEND;
            } else {
                c = (rank + 1) % nranks;
                kind = RECV;
            }
            unsigned long long offset = base + (unsigned long long)c * chunk;
            unsigned long long n = offset < count ? (count - offset < chunk ? count - offset : chunk) : 0;
            step(r, kind, send, recv, offset, n, op, nranks, &sent, &received);
        }
    }
    if (threadIdx.x == 0) {
        r.counters[0] = sent;
        r.counters[1] = received;
    }
}

// The channel's share of `count` elements: an equal part, the first ones taking one more.
__device__ void channel_part(unsigned long long count, unsigned long long *first, unsigned long long *n)
{
    unsigned long long c = blockIdx.x, channels = gridDim.x, each = count / channels, more = count % channels;
    *first = c * each + (c < more ? c : more);
    *n = each + (c < more ? 1 : 0);
}

#define ALL_REDUCE(name, T)                                                                                        \
    extern "C" __global__ void hiccl_all_reduce_ring_##name(                                                     \
        const T *send, T *recv, unsigned long long count, int op, int rank, int nranks, char *my_area,             \
        char *next_area, char *prev_area, unsigned long long area_stride, unsigned long long slot_bytes,           \
        unsigned long long flags_at)                                                                               \
    {                                                                                                              \
        unsigned long long at = blockIdx.x * area_stride, first, n;                                                \
        char *mine = my_area + at, *next = next_area + at, *prev = prev_area + at;                                 \
        Ring r = {(volatile unsigned long long *)(mine + flags_at), (volatile unsigned long long *)(mine + flags_at + 8), \
                  (volatile unsigned long long *)(next + flags_at), (volatile unsigned long long *)(prev + flags_at + 8), \
                  (unsigned long long *)(mine + flags_at + 16), mine, next, slot_bytes};                          \
        channel_part(count, &first, &n);                                                                           \
        all_reduce_ring<T>(send + first, recv + first, n, op, rank, nranks, r);                                    \
    }

ALL_REDUCE(int8, signed char)
ALL_REDUCE(uint8, unsigned char)
ALL_REDUCE(int32, int)
ALL_REDUCE(uint32, unsigned)
ALL_REDUCE(int64, long long)
ALL_REDUCE(uint64, unsigned long long)
ALL_REDUCE(float32, float)
ALL_REDUCE(float64, double)
