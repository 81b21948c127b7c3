// HiCCL's collective kernels (guest/hiccl): AllReduce, ReduceScatter, AllGather, Broadcast and Reduce on a ring of
// GPUs, AllReduce on a chain (NCCL's tree inside a node), and Send/Recv, with NCCL's Simple and LL protocols. One
// block per channel (two for a tree): each channel has connections of its own (its areas `area_stride` bytes apart)
// and reduces its own contiguous part of the data. Each GPU receives from the previous GPU of the ring into its own
// slot buffer (HICCL_STEPS slots) and sends into the next GPU's, over HiLink: the data, then, after a system-scope
// fence that waits for the data to land, the slot count it has sent ("tail") in the receiver's memory; the receiver
// polls its tail, uses the slot, and writes the count it has consumed ("head") back into the sender's memory, which
// frees the slot.
//
// The ring as NCCL runs it (prims_simple / all_reduce.h runRing), over the data in rounds of nranks chunks of at
// most one slot each: step 0 sends the chunk (rank - 1); steps 1 .. n-2 receive a chunk, reduce it with their own
// and send it on; step n-1 receives the chunk `rank`, reduces it into the final value, stores it and sends it on;
// steps n .. 2n-3 receive final values, store them and send them on; step 2n-2 receives the last one.

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#define HICCL_STEPS 8

enum { OP_SUM = 0, OP_PROD = 1, OP_MIN = 2, OP_MAX = 3, OP_AVG = 4 };

// Vectors each thread loads before it stores any: enough loads in flight per block to cover the memory's latency.
// NCCL's copy and reduce loops unroll by ncclCollUnroll(), 4 below compute capability 8.0 and 8 from it; with 8
// the 1-byte types' ring kernels have more registers than HiGPU's register pass shares out (docs/hiccl.md).
#define UNROLL 4

// A connection's state, in the GPU's own memory unless named remote.
// The protocol's fields (Simple, or LL with `ll` set: its own buffer, head and counts; no tail, the flags travel
// with the data).
struct Conn {
    volatile unsigned long long *my_tail;   // slots prev has sent me (prev writes; Simple only)
    volatile unsigned long long *my_head;   // of my slots next has consumed (next writes)
    volatile unsigned long long *next_tail; // remote: next's my_tail (Simple only)
    volatile unsigned long long *prev_head; // remote: prev's my_head
    unsigned long long *counters;           // [0] slots sent, [1] slots received, across launches
    volatile unsigned long long *active;    // 1 while the channel is in a collective (for the hang report)
    char *my_slots;                         // where prev writes
    char *next_slots;                       // remote: where I write
    unsigned long long slot_bytes;          // data bytes of a step
    int ll;
    int to_proxy; // next is the network proxy's stand-in (guest/hiccl/hiccl_net.c): LL also gives it a tail
};

// ---- LL: 16-byte lines of two 4-byte data words, each beside a 4-byte flag (the step's number plus one), stored
// and loaded whole, so that a line's flags say its data have come: no fence, no tail. ----

#define LL_LINES_PER_THREAD 8

// Neither access is a compiler barrier (no "memory" clobber, as NCCL's storeLL and readLL): a line's flags order
// it, so the compiler may keep addresses and counters in registers across them and the wait loop is the load and
// its compares alone.
__device__ void ll_store(char *line, unsigned d0, unsigned d1, unsigned flag)
{
    asm volatile("st.volatile.global.v4.u32 [%0], {%1, %2, %3, %4};" ::"l"(line), "r"(d0), "r"(flag), "r"(d1),
                 "r"(flag));
}

// Waits until the line holds `flag` twice, and returns its data.
__device__ uint2 ll_load(const char *line, unsigned flag)
{
    unsigned d0, f0, d1, f1;
    // The line's address and the flag made here, before the loop: left to itself nvcc computes both again on
    // every turn of it.
    asm("" : "+l"(line), "+r"(flag));
    do {
        asm volatile("ld.volatile.global.v4.u32 {%0, %1, %2, %3}, [%4];"
                     : "=r"(d0), "=r"(f0), "=r"(d1), "=r"(f1)
                     : "l"(line));
    } while (f0 != flag || f1 != flag);
    return make_uint2(d0, d1);
}

// 8 bytes as elements.
template <typename T> union Pair {
    uint2 u;
    T e[8 / sizeof(T)];
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

// What one step does with `n` elements: which of its slot, its own data (`src`) and its result (`dst`) it reads and
// writes.
// RECV_REDUCE_STORE keeps a partial result (a tree's node with two children reduces the first into its result
// buffer, then the second with that).
enum { SEND, RECV_REDUCE_SEND, RECV_REDUCE_COPY_SEND, RECV_REDUCE_COPY, COPY_SEND, RECV_COPY_SEND, RECV,
       RECV_REDUCE_STORE };

// How 16 bytes of T are loaded and stored: as four floats or two doubles for those types, so that the values land in
// the registers the arithmetic reads (loaded as uint4, each would need a copy into a float register first); as
// uint4 for the rest. `reg` names the registers PTX loads them into: 'r' (32-bit), 'f' (float) or 'd' (double).
template <typename T> struct Native {
    typedef uint4 type;
    static const char reg = 'r';
};
template <> struct Native<float> {
    typedef float4 type;
    static const char reg = 'f';
};
template <> struct Native<double> {
    typedef double2 type;
    static const char reg = 'd';
};

// 16 bytes as elements.
template <typename T> union Vector {
    uint4 u;
    typename Native<T>::type n;
    T e[16 / sizeof(T)];
};

// An element's value after the step: from the slot (`in`), its own data (`own`), or both reduced.
template <typename T> __device__ T combine(int kind, int op, T in, T own, int nranks)
{
    if (kind == SEND || kind == COPY_SEND)
        return own;
    if (kind == RECV_REDUCE_SEND || kind == RECV_REDUCE_STORE)
        return reduce(op, in, own);
    if (kind == RECV_REDUCE_COPY_SEND || kind == RECV_REDUCE_COPY)
        return finish(op, reduce(op, in, own), nranks);
    return in;
}

template <typename T> __device__ T combine(int kind, int op, T in, T own, int nranks);

// What a Simple step's vector loop computes per element, fixed for the whole loop so that the loop is compiled once
// per case with no choice left inside it: the slot's element, its own, the two reduced by OP, or summed and divided
// by the ranks' number (AVG's last reduction).
enum { FROM_SLOT, FROM_OWN, REDUCED, AVERAGED };

template <typename T, int MODE, int OP> __device__ T combine_fixed(T in, T own, int nranks)
{
    if (MODE == FROM_SLOT)
        return in;
    if (MODE == FROM_OWN)
        return own;
    if (MODE == AVERAGED)
        return finish(OP_AVG, reduce(OP_SUM, in, own), nranks);
    return reduce(OP, in, own);
}

// Vector `OFFSET` / 16 on from `p`, with a volatile load as NCCL's copy and reduce loops load their sources
// (`ld_volatile_global`: not kept in L1, the slot's bytes being the previous GPU's stores); the offset a constant
// of the instruction.
template <typename T, int OFFSET> __device__ __forceinline__ Vector<T> load_vector(const typename Native<T>::type *p)
{
    Vector<T> v;
    if constexpr (Native<T>::reg == 'f')
        asm volatile("ld.volatile.global.v4.f32 {%0, %1, %2, %3}, [%4+%5];"
                     : "=f"(v.n.x), "=f"(v.n.y), "=f"(v.n.z), "=f"(v.n.w)
                     : "l"(p), "n"(OFFSET)
                     : "memory");
    else if constexpr (Native<T>::reg == 'd')
        asm volatile("ld.volatile.global.v2.f64 {%0, %1}, [%2+%3];"
                     : "=d"(v.n.x), "=d"(v.n.y)
                     : "l"(p), "n"(OFFSET)
                     : "memory");
    else
        asm volatile("ld.volatile.global.v4.u32 {%0, %1, %2, %3}, [%4+%5];"
                     : "=r"(v.u.x), "=r"(v.u.y), "=r"(v.u.z), "=r"(v.u.w)
                     : "l"(p), "n"(OFFSET)
                     : "memory");
    return v;
}

// The first U vectors of a warp's hunk for this lane (vectors u x 32 on from `p`).
template <typename T, int U> __device__ __forceinline__ void load_hunk(Vector<T> *v, const typename Native<T>::type *p)
{
    if constexpr (U > 0) {
        load_hunk<T, U - 1>(v, p);
        v[U - 1] = load_vector<T, (U - 1) * 32 * 16>(p);
    }
}

// The vectors below `vectors` of a Simple step: from the slot `in` and the own data `src` as MODE reads them, into
// the result `dst` (STORES) and the next GPU's slot `out` (SENDS). In NCCL's layout for its copy and reduce loops: a
// warp moves hunks of UNROLL x 32 consecutive vectors, lane l the vectors l, l + 32, ... of its hunk, all UNROLL
// loaded (volatile, as NCCL loads) before any is stored; the block's warps take the hunks in turn. So every access
// of a warp is 512 consecutive bytes and the offsets inside a hunk are constants of the instructions. The vectors
// after the last whole hunk go one per thread.
template <typename T, int MODE, int OP, bool STORES, bool SENDS>
__device__ void move_vectors(const uint4 *in, const uint4 *src, uint4 *dst, uint4 *out, unsigned long long vectors,
                             int nranks)
{
    typedef typename Native<T>::type N;
    const bool receives = MODE != FROM_OWN, own = MODE != FROM_SLOT;
    const unsigned per_vector = 16 / sizeof(T);
    const unsigned long long hunk = UNROLL * 32;
    const unsigned warps = blockDim.x % 32 == 0 ? blockDim.x / 32 : 0; // a partial warp: one vector per thread
    const unsigned long long hunks = warps ? vectors / hunk : 0, skip = warps * hunk;
    unsigned long long h = threadIdx.x / 32, at = h * hunk + threadIdx.x % 32;
    const N *pin = (const N *)in + at, *psrc = (const N *)src + at;
    N *pdst = (N *)dst + at, *pout = (N *)out + at;
    for (; h < hunks; h += warps, pin += skip, psrc += skip, pdst += skip, pout += skip) {
        Vector<T> a[UNROLL], b[UNROLL];
        if (receives)
            load_hunk<T, UNROLL>(a, pin);
        if (own)
            load_hunk<T, UNROLL>(b, psrc);
#pragma unroll
        for (int u = 0; u < UNROLL; u++) {
            Vector<T> v;
#pragma unroll
            for (unsigned e = 0; e < per_vector; e++)
                v.e[e] = combine_fixed<T, MODE, OP>(a[u].e[e], b[u].e[e], nranks);
            if (STORES)
                pdst[u * 32] = v.n;
            if (SENDS)
                pout[u * 32] = v.n;
        }
    }
    for (unsigned long long j = hunks * hunk + threadIdx.x; j < vectors; j += blockDim.x) {
        Vector<T> a, b, v;
        if (receives)
            a = load_vector<T, 0>((const N *)in + j);
        if (own)
            b = load_vector<T, 0>((const N *)src + j);
#pragma unroll
        for (unsigned e = 0; e < per_vector; e++)
            v.e[e] = combine_fixed<T, MODE, OP>(a.e[e], b.e[e], nranks);
        if (STORES)
            ((N *)dst)[j] = v.n;
        if (SENDS)
            ((N *)out)[j] = v.n;
    }
}

// Simple's vector loop as a case of the dispatch below.
template <typename T, int MODE, int OP, bool STORES, bool SENDS> struct VectorLoop {
    static __device__ __forceinline__ void run(const uint4 *in, const uint4 *src, uint4 *dst, uint4 *out,
                                               unsigned long long vectors, int nranks)
    {
        move_vectors<T, MODE, OP, STORES, SENDS>(in, src, dst, out, vectors, nranks);
    }
};

// LOOP<T, MODE, OP, STORES, SENDS>::run(args) for a step that stores, sends or both.
template <template <typename, int, int, bool, bool> class LOOP, typename T, int MODE, int OP, typename... A>
__device__ __forceinline__ void run_to(bool stores, bool sends, A... args)
{
    if (stores && sends)
        LOOP<T, MODE, OP, true, true>::run(args...);
    else if (sends)
        LOOP<T, MODE, OP, false, true>::run(args...);
    else
        LOOP<T, MODE, OP, true, false>::run(args...);
}

// The loop LOOP (Simple's vectors or LL's lines) compiled for step `kind` and operation `op`, chosen once per step,
// so that the loop itself has no choice left in it (as NCCL compiles its primitives per operation).
template <template <typename, int, int, bool, bool> class LOOP, typename T, typename... A>
__device__ __forceinline__ void run_for(int kind, int op, bool stores, bool sends, A... args)
{
    if (kind == SEND || kind == COPY_SEND) {
        run_to<LOOP, T, FROM_OWN, OP_SUM>(stores, sends, args...);
    } else if (kind == RECV || kind == RECV_COPY_SEND) {
        run_to<LOOP, T, FROM_SLOT, OP_SUM>(stores, sends, args...);
    } else if (op == OP_AVG && (kind == RECV_REDUCE_COPY_SEND || kind == RECV_REDUCE_COPY)) {
        run_to<LOOP, T, AVERAGED, OP_SUM>(stores, sends, args...);
    } else {
        switch (op) {
        case OP_PROD: run_to<LOOP, T, REDUCED, OP_PROD>(stores, sends, args...); break;
        case OP_MIN: run_to<LOOP, T, REDUCED, OP_MIN>(stores, sends, args...); break;
        case OP_MAX: run_to<LOOP, T, REDUCED, OP_MAX>(stores, sends, args...); break;
        default: run_to<LOOP, T, REDUCED, OP_SUM>(stores, sends, args...); break;
        }
    }
}

// LL's lines of a step below `n` elements: from the slot `in` and the own data `src` as MODE reads them, into the
// result `dst` (STORES) and the next GPU's slot `out` (SENDS); each thread whole lines of 8 data bytes, the block's
// threads in turn (elements of the last line past `n` are padding).
template <typename T, int MODE, int OP, bool STORES, bool SENDS> struct LineLoop {
    static __device__ __forceinline__ void run(const char *in, const T *src, T *dst, char *out, unsigned long long n,
                                               unsigned flag_in, unsigned flag_out, int nranks)
    {
        const bool receives = MODE != FROM_OWN, own = MODE != FROM_SLOT;
        const unsigned per_line = 8 / sizeof(T);
        unsigned long long lines = (n + per_line - 1) / per_line;
        bool aligned = (((unsigned long long)src | (unsigned long long)dst) & 7) == 0;
        for (unsigned long long line = threadIdx.x; line < lines; line += blockDim.x) {
            unsigned long long first = line * per_line;
            bool whole = aligned && first + per_line <= n;
            Pair<T> a, b, v;
            a.u = make_uint2(0, 0);
            b.u = make_uint2(0, 0);
            if (receives)
                a.u = ll_load(in + line * 16, flag_in);
            if (own) {
                if (whole)
                    b.u = *(const uint2 *)(src + first);
                else
                    for (unsigned e = 0; e < per_line && first + e < n; e++)
                        b.e[e] = src[first + e];
            }
            for (unsigned e = 0; e < per_line; e++)
                v.e[e] = combine_fixed<T, MODE, OP>(a.e[e], b.e[e], nranks);
            if (STORES) {
                if (whole)
                    *(uint2 *)(dst + first) = v.u;
                else
                    for (unsigned e = 0; e < per_line && first + e < n; e++)
                        dst[first + e] = v.e[e];
            }
            if (SENDS)
                ll_store(out + line * 16, v.u.x, v.u.y, flag_out);
        }
    }
};

// A step in LL: each thread moves whole lines of 8 data bytes (elements of the last one past `n` are padding).
template <typename T>
__device__ void step_ll(const Conn &from, const Conn &to, int kind, const T *src, T *dst, unsigned long long n,
                        int op, int nranks, unsigned long long *sent, unsigned long long *received)
{
    bool sends = kind != RECV && kind != RECV_REDUCE_COPY && kind != RECV_REDUCE_STORE;
    bool receives = kind != SEND && kind != COPY_SEND;
    bool stores = kind != SEND && kind != RECV_REDUCE_SEND;
    // Signed: a receiver passes steps without lines (a chunk past the data) without waiting, so its count of
    // consumed slots may run ahead of this sender's count; a slot it has passed is free.
    if (threadIdx.x == 0 && sends)
        while ((long long)(*sent - *to.my_head) >= HICCL_STEPS)
            ;
    __syncthreads();
    const unsigned long long lines_per_step = from.slot_bytes / 8;
    const char *in = from.my_slots + (*received % HICCL_STEPS) * lines_per_step * 16;
    char *out = to.next_slots + (*sent % HICCL_STEPS) * lines_per_step * 16;
    unsigned flag_in = (unsigned)(*received + 1), flag_out = (unsigned)(*sent + 1);
    run_for<LineLoop, T>(kind, op, stores, sends, in, src, dst, out, n, flag_in, flag_out, nranks);
    // The proxy forwards a step's lines once they are all in its stand-in: their tail follows them, after a fence.
    bool tail = sends && to.to_proxy;
    if (tail)
        __threadfence_system();
    __syncthreads(); // every line of the slot read before it is freed
    if (threadIdx.x == 0) {
        if (sends)
            ++*sent;
        if (tail)
            *to.next_tail = *sent;
        if (receives)
            *from.prev_head = ++*received;
        /* Kept current in memory, so that a collective that never ends can say where it stopped (only the
         * directions this step used: a tree's two blocks may share a connection, one direction each). */
        if (sends)
            ((volatile unsigned long long *)to.counters)[0] = *sent;
        if (receives)
            ((volatile unsigned long long *)from.counters)[1] = *received;
    }
    __syncthreads();
}

// A step that receives through connection `from` and sends through `to` (the same one on a ring; a tree's root
// receives from below and sends down), counting in `received` and `sent`. Inlined whatever its size: HiGPU's PTX
// front end takes no calls.
template <typename T>
__device__ __forceinline__ void step(const Conn &from, const Conn &to, int kind, const T *src, T *dst,
                                     unsigned long long n, int op, int nranks, unsigned long long *sent,
                                     unsigned long long *received)
{
    if (from.ll) {
        step_ll(from, to, kind, src, dst, n, op, nranks, sent, received);
        return;
    }
    bool sends = kind != RECV && kind != RECV_REDUCE_COPY && kind != RECV_REDUCE_STORE;
    bool receives = kind != SEND && kind != COPY_SEND;
    bool stores = kind != SEND && kind != RECV_REDUCE_SEND;
    if (threadIdx.x == 0) {
        if (receives)
            while (*from.my_tail <= *received)
                ;
        if (sends)
            while (*sent - *to.my_head >= HICCL_STEPS)
                ;
    }
    __syncthreads();
    const T *in = (const T *)(from.my_slots + (*received % HICCL_STEPS) * from.slot_bytes);
    T *out = (T *)(to.next_slots + (*sent % HICCL_STEPS) * to.slot_bytes);
    // 16 bytes per access where every buffer the step touches is aligned to them (the slots always are), as NCCL's
    // kernels move data; one element at a time for the rest.
    const unsigned long long per_vector = 16 / sizeof(T);
    bool aligned = (((unsigned long long)src | (unsigned long long)dst) & 15) == 0;
    unsigned long long vectors = aligned ? n / per_vector : 0;
    run_for<VectorLoop, T>(kind, op, stores, sends, (const uint4 *)in, (const uint4 *)src, (uint4 *)dst, (uint4 *)out,
                           vectors, nranks);
    for (unsigned long long i = vectors * per_vector + threadIdx.x; i < n; i += blockDim.x) {
        T v = combine(kind, op, receives ? in[i] : (T)0, kind != RECV && kind != RECV_COPY_SEND ? src[i] : (T)0,
                      nranks);
        if (stores)
            dst[i] = v;
        if (sends)
            out[i] = v;
    }
    __threadfence_system(); // this thread's stores to the next GPU have landed
    __syncthreads();
    if (threadIdx.x == 0) {
        if (sends)
            *to.next_tail = ++*sent;
        if (receives)
            *from.prev_head = ++*received;
        /* Kept current in memory, so that a collective that never ends can say where it stopped (only the
         * directions this step used: a tree's two blocks may share a connection, one direction each). */
        if (sends)
            ((volatile unsigned long long *)to.counters)[0] = *sent;
        if (receives)
            ((volatile unsigned long long *)from.counters)[1] = *received;
    }
    __syncthreads();
}

enum { ALL_REDUCE, REDUCE_SCATTER, ALL_GATHER, BROADCAST, REDUCE };

// A channel's ring across HiLink domains of `domain_gpus` GPUs (rail-optimised, as NCCL's rings over one NIC per
// channel): in every domain it enters at place `rotation` and leaves at the place before, so each channel crosses
// between domains through a different pair of GPUs (and NICs). Position q of the ring is rank
// q - q % d + (q % d + rotation) % d. With domain_gpus 0 the ring is the ranks in order.
struct Order {
    int domain_gpus, rotation;
    __device__ int rank(int position) const
    {
        int d = domain_gpus;
        return d ? position - position % d + (position % d + rotation) % d : position;
    }
    __device__ int position(int rank) const
    {
        int d = domain_gpus;
        return d ? rank - rank % d + (rank % d - rotation + d) % d : rank;
    }
};

// Broadcast and Reduce: one step per slot of the channel's part, the ring running from the root (Broadcast: it
// sends, the others store and pass on, the last only stores) or to it (Reduce: the rank after the root sends, the
// others reduce and pass on, the root reduces and stores), as NCCL's runRing of each.
template <typename T>
__device__ void rooted(int collective, const T *send, T *recv, unsigned long long first, unsigned long long n, int op,
                       int rank, int nranks, int root, const Conn &r, unsigned long long *sent,
                       unsigned long long *received)
{
    unsigned long long slot_elems = r.slot_bytes / sizeof(T);
    int from_root = (rank - root + nranks) % nranks, to_root = (rank - root - 1 + nranks) % nranks;
    int kind = collective == BROADCAST ? (from_root == 0 ? COPY_SEND : from_root == nranks - 1 ? RECV : RECV_COPY_SEND)
                                       : (to_root == 0 ? SEND : to_root == nranks - 1 ? RECV_REDUCE_COPY
                                                                                      : RECV_REDUCE_SEND);
    for (unsigned long long base = 0; base < n; base += slot_elems) {
        unsigned long long len = n - base < slot_elems ? n - base : slot_elems;
        step(r, r, kind, send + first + base, recv + first + base, len, op, collective == REDUCE ? nranks : 1, sent,
             received);
    }
}

// The ring's steps over a channel's part of the data, `rank` and `root` the positions in the channel's ring. AllReduce:
// its `n` elements from `first`, in rounds of nranks chunks of at most a slot. ReduceScatter and AllGather: elements
// `first` to `first + n` of each rank's chunk of `count` elements (the send buffer's for ReduceScatter, the receive
// buffer's for AllGather; the chunk of the rank at a position, `order`), in rounds of a slot.
template <typename T>
__device__ __forceinline__ void ring(int collective, const T *send, T *recv, unsigned long long count,
                                     unsigned long long first, unsigned long long n, int op, int rank, int nranks,
                                     int root, const Order &order, const Conn &r)
{
    __shared__ unsigned long long sent, received;
    if (threadIdx.x == 0) {
        sent = r.counters[0];
        received = r.counters[1];
        *r.active = 1;
    }
    __syncthreads();
    if (collective == BROADCAST || collective == REDUCE) {
        rooted(collective, send, recv, first, n, op, rank, nranks, root, r, &sent, &received);
        n = 0; /* done: only the counters to keep */
    }
    unsigned long long slot_elems = r.slot_bytes / sizeof(T);
    unsigned long long round = collective == ALL_REDUCE ? (unsigned long long)nranks * slot_elems : slot_elems;
    for (unsigned long long base = 0; base < n; base += round) {
        unsigned long long left = n - base;
        unsigned long long chunk = collective == ALL_REDUCE ? (left + nranks - 1) / nranks : left;
        unsigned long long per_vector = 16 / sizeof(T);
        if (collective == ALL_REDUCE) /* whole vectors, so that every chunk starts aligned */
            chunk = (chunk + per_vector - 1) / per_vector * per_vector;
        if (chunk > slot_elems)
            chunk = slot_elems;
        int steps = collective == ALL_REDUCE ? 2 * nranks - 1 : nranks;
        for (int s = 0; s < steps; s++) {
            int c, kind;
            if (collective == ALL_GATHER) {
                c = (rank + nranks - s) % nranks; // the rank whose data this step stores
                kind = s == 0 ? COPY_SEND : s < nranks - 1 ? RECV_COPY_SEND : RECV;
            } else if (s == 0) {
                c = (rank + nranks - 1) % nranks;
                kind = SEND;
            } else if (s < nranks - 1) {
                c = (rank + nranks - 1 - s) % nranks;
                kind = RECV_REDUCE_SEND;
            } else if (s == nranks - 1) {
                c = rank;
                kind = collective == ALL_REDUCE ? RECV_REDUCE_COPY_SEND : RECV_REDUCE_COPY;
            } else if (s < 2 * nranks - 2) {
                c = (rank + 2 * nranks - 1 - s) % nranks;
                kind = RECV_COPY_SEND;
            } else {
                c = (rank + 1) % nranks;
                kind = RECV;
            }
            const T *src;
            T *dst;
            unsigned long long len;
            if (collective == ALL_REDUCE) {
                unsigned long long offset = first + base + (unsigned long long)c * chunk;
                unsigned long long end = first + n;
                len = offset < end ? (end - offset < chunk ? end - offset : chunk) : 0;
                src = send + offset;
                dst = recv + offset;
            } else {
                len = chunk;
                unsigned long long at = (unsigned long long)order.rank(c) * count + first + base;
                src = collective == REDUCE_SCATTER ? send + at : send + first + base;
                dst = collective == REDUCE_SCATTER ? recv + first + base : recv + at;
            }
            step(r, r, kind, src, dst, len, op, nranks, &sent, &received);
        }
    }
    if (threadIdx.x == 0) {
        r.counters[0] = sent;
        r.counters[1] = received;
        *r.active = 0;
    }
}

// The channel's share of `count` elements: equal parts of whole `unit`s (16 bytes of elements, so that each part
// starts aligned), the first channels taking one unit more, the last what is left.
__device__ void channel_part(unsigned long long count, unsigned long long unit, unsigned long long c,
                             unsigned long long channels, unsigned long long *first, unsigned long long *n)
{
    unsigned long long units = count / unit;
    unsigned long long each = units / channels, more = units % channels;
    *first = (c * each + (c < more ? c : more)) * unit;
    *n = (each + (c < more ? 1 : 0)) * unit;
    if (c == channels - 1)
        *n += count - units * unit;
}

// A channel's connection from its area `mine` (where `prev` writes) to `next`'s, with the protocol's fields: the
// flags at `flags_at` ([0] tail, [1] head, [2] sent, [3] received, [4] in a collective, [5] LL head, [6] LL sent,
// [7] LL received), the LL lines at `ll_at`.
__device__ Conn connection(char *mine, char *next, char *prev, unsigned long long slot_bytes,
                           unsigned long long flags_at, int ll, unsigned long long ll_at,
                           unsigned long long ll_slot_bytes)
{
    typedef volatile unsigned long long *flag;
    Conn c = {(flag)(mine + flags_at), (flag)(mine + flags_at + (ll ? 40 : 8)), (flag)(next + flags_at),
              (flag)(prev + flags_at + (ll ? 40 : 8)), (unsigned long long *)(mine + flags_at + (ll ? 48 : 16)),
              (flag)(mine + flags_at + 32), mine + (ll ? ll_at : 0), next + (ll ? ll_at : 0),
              ll ? ll_slot_bytes : slot_bytes, ll, 0};
    return c;
}

// AllReduce on a tree: inside a HiLink domain a chain (NCCL's tree inside a node), and across domains the chains'
// heads joined over the network in NCCL's double binary tree of the domains (guest/hiccl/hiccl_net.c: each channel
// takes one of the two trees; a head has a parent and up to two children there, the root one child). The channel's
// part goes in chunks of at most a slot (`chunk_bytes`, smaller for small parts so that the pipeline fills, as NCCL
// sizes a tree's chunks), each reduced on its way up (a rank without children sends its own; the others receive from
// each child, reduce with their own and send up) and broadcast on its way down (the root stores the final value and
// sends it to each child; the others store and pass it on). As NCCL's runTreeSplit, a channel's two directions run
// side by side: `down` 0 is the block that reduces up (and, on the root, turns the chunk down), 1 the block that
// broadcasts down. Connections (TREE_UP to TREE_NET_CHILD + 1): `up` (receives from the chain's child, sends to its
// parent), `down` (receives from the chain's parent, sends to its child), and the head's links to its parent domain
// and its child domains, each both ways.
enum { TREE_UP = 0, TREE_DOWN = 1, TREE_NET_PARENT = 2, TREE_NET_CHILD = 3, TREE_CONNS = 5 };
struct TreeNode {
    bool chain_parent, chain_child, net_parent, root;
    int net_children; // the head's child domains (their links TREE_NET_CHILD on)
};

template <typename T>
__device__ __forceinline__ void tree(const T *send, T *recv, unsigned long long first, unsigned long long n, int op,
                                     int nranks, int down, const TreeNode &node, const Conn *const *conns,
                                     unsigned long long chunk_bytes)
{
    if (down && node.root)
        return; /* the root's chunks go down from its reducing block */
    // Counters per connection: slots sent and received, and which this block moves.
    __shared__ unsigned long long sent[TREE_CONNS], received[TREE_CONNS];
    unsigned sends_on = 0, receives_on = 0;
    int in_id[3], nin = 0, out_id = -1, outs[3], nouts = 0;
    if (!down) {
        if (node.chain_child)
            in_id[nin++] = TREE_UP;
        for (int k = 0; k < node.net_children; k++)
            in_id[nin++] = TREE_NET_CHILD + k;
        out_id = node.chain_parent ? TREE_UP : node.net_parent ? TREE_NET_PARENT : -1;
    } else {
        in_id[nin++] = node.chain_parent ? TREE_DOWN : TREE_NET_PARENT;
    }
    if (down || node.root) {
        if (node.chain_child)
            outs[nouts++] = TREE_DOWN;
        for (int k = 0; k < node.net_children; k++)
            outs[nouts++] = TREE_NET_CHILD + k;
    }
    for (int i = 0; i < nin; i++)
        receives_on |= 1u << in_id[i];
    if (out_id >= 0)
        sends_on |= 1u << out_id;
    for (int i = 0; i < nouts; i++)
        sends_on |= 1u << outs[i];
    if (threadIdx.x == 0) {
        for (int c = 0; c < TREE_CONNS; c++) {
            if (!((sends_on | receives_on) >> c & 1))
                continue;
            sent[c] = conns[c]->counters[0];
            received[c] = conns[c]->counters[1];
            *conns[c]->active = 1;
        }
    }
    __syncthreads();
    unsigned long long chunk_elems = chunk_bytes / sizeof(T);
    for (unsigned long long base = 0; base < n; base += chunk_elems) {
        unsigned long long len = n - base < chunk_elems ? n - base : chunk_elems;
        const T *own = send + first + base;
        T *dst = recv + first + base;
        if (nin == 0) { /* a leaf: its own data up */
            step(*conns[out_id], *conns[out_id], SEND, own, dst, len, op, nranks, &sent[out_id], &received[out_id]);
            continue;
        }
        /* every child but the last: reduced into the result buffer, which then stands for this rank's own */
        for (int i = 0; i + 1 < nin; i++) {
            step(*conns[in_id[i]], *conns[in_id[i]], RECV_REDUCE_STORE, i == 0 ? own : (const T *)dst, dst, len, op,
                 nranks, &sent[in_id[i]], &received[in_id[i]]);
        }
        const T *src = nin > 1 ? (const T *)dst : own;
        int from_id = in_id[nin - 1];
        const Conn &from = *conns[from_id];
        if (down) {
            if (nouts == 0)
                step(from, from, RECV, src, dst, len, op, nranks, &sent[from_id], &received[from_id]);
            else
                step(from, *conns[outs[0]], RECV_COPY_SEND, src, dst, len, op, nranks, &sent[outs[0]],
                     &received[from_id]);
        } else if (node.root) {
            step(from, *conns[outs[0]], RECV_REDUCE_COPY_SEND, src, dst, len, op, nranks, &sent[outs[0]],
                 &received[from_id]);
        } else {
            step(from, *conns[out_id], RECV_REDUCE_SEND, src, dst, len, op, nranks, &sent[out_id],
                 &received[from_id]);
        }
        /* the result to every other child */
        for (int o = 1; o < nouts; o++)
            step(*conns[outs[o]], *conns[outs[o]], COPY_SEND, (const T *)dst, dst, len, op, nranks, &sent[outs[o]],
                 &received[outs[o]]);
    }
    if (threadIdx.x == 0) {
        for (int c = 0; c < TREE_CONNS; c++) {
            if (sends_on >> c & 1)
                conns[c]->counters[0] = sent[c];
            if (receives_on >> c & 1)
                conns[c]->counters[1] = received[c];
            if ((sends_on | receives_on) >> c & 1)
                *conns[c]->active = 0;
        }
    }
}

// One ring kernel per type: `collective` ALL_REDUCE, BROADCAST or REDUCE (count: elements), REDUCE_SCATTER or
// ALL_GATHER (count: elements per rank); `root` for BROADCAST and REDUCE; `ll` 1 for LL, 0 for Simple. The
// channels' areas are `area_stride` bytes apart. Across HiLink domains (`domain_gpus` set) `next_area` and
// `prev_area` are the neighbours' inside the domain, and a channel's ring enters and leaves the domain through
// `net_area` (the network proxy's stand-in areas in this GPU, guest/hiccl/hiccl_net.c) at the places Order gives:
// leaving, its slots (or LL lines) go to the channel's stand-in area and its tail to the channel's 64 bytes after all
// the areas; entering, its head goes to the second word there (the third and fourth words for LL, whose tail is
// written for the proxy alone: LL's receiver reads the flags in the lines).
#define RING(name, T)                                                                                              \
    extern "C" __global__ void hiccl_ring_##name(                                                                \
        int collective, const T *send, T *recv, unsigned long long count, int op, int rank, int nranks, int root,  \
        char *my_area, char *next_area, char *prev_area, unsigned long long area_stride,                           \
        unsigned long long slot_bytes, unsigned long long flags_at, int ll, unsigned long long ll_at,             \
        unsigned long long ll_slot_bytes, char *net_area, int domain_gpus)                                         \
    {                                                                                                              \
        unsigned long long at = blockIdx.x * area_stride, first, n;                                                \
        int d = domain_gpus, place = d ? rank % d : 0;                                                             \
        Order order = {d, d ? (int)(blockIdx.x % d) : 0};                                                          \
        char *next = d && place == (order.rotation + d - 1) % d ? net_area : next_area;                            \
        char *prev = d && place == order.rotation ? net_area : prev_area;                                          \
        Conn r = connection(my_area + at, next + at, prev + at, slot_bytes, flags_at, ll, ll_at, ll_slot_bytes);   \
        /* the proxy's flags: 64 bytes per channel after the stand-in areas, so that one read takes them all; the  \
           tail and head of Simple, then of LL */                                                                  \
        char *net_flags = net_area + gridDim.x * area_stride + blockIdx.x * 64 + (ll ? 16 : 0);                    \
        r.to_proxy = next == net_area;                                                                             \
        if (next == net_area)                                                                                      \
            r.next_tail = (volatile unsigned long long *)net_flags;                                                \
        if (prev == net_area)                                                                                      \
            r.prev_head = (volatile unsigned long long *)(net_flags + 8);                                          \
        channel_part(count, 16 / sizeof(T), blockIdx.x, gridDim.x, &first, &n);                                    \
        ring<T>(collective, send, recv, count, first, n, op, order.position(rank), nranks, order.position(root),   \
                order, r);                                                                                         \
    }

// One tree AllReduce kernel per type, two blocks per channel (reduce up, broadcast down). Going down, a rank sends
// through its ring connection to the next rank (its child in the chain); going up, through the tree's own areas
// (`tree_area`, where the child writes; the parent's, where it writes). Across HiLink domains (`domain_gpus` set)
// channel c's chain starts at place c mod d and goes round the places in order, and its head links to its parent
// and child domains' heads through the network proxy (guest/hiccl/hiccl_net.c), one link each: link k receives in
// its areas at `net_in` + k `net_link_stride`, sends to its stand-ins at `net_out` + k `net_link_stride`, and has
// its tail and head in the channel's 64 bytes at `net_flags` + k times 64 bytes per channel. `tree_links` names the
// links of tree t (the channel's: c / d mod 2) in bits 9t on: three 3-bit fields, the parent's and the two
// children's, 7 where there is none (so the root's parent field is 7).
#define TREE(name, T)                                                                                              \
    extern "C" __global__ void hiccl_tree_##name(                                                                \
        const T *send, T *recv, unsigned long long count, int op, int rank, int nranks, char *my_area,             \
        char *next_area, char *prev_area, char *tree_area, char *parent_tree_area, char *child_tree_area,          \
        unsigned long long area_stride, unsigned long long slot_bytes, unsigned long long flags_at, int ll,        \
        unsigned long long ll_at, unsigned long long ll_slot_bytes, unsigned long long chunk_bytes,               \
        char *net_in, char *net_out, char *net_flags, unsigned long long net_link_stride, int domain_gpus,         \
        unsigned tree_links)                                                                                       \
    {                                                                                                              \
        unsigned long long channel = blockIdx.x / 2, at = channel * area_stride, first, n;                        \
        Conn conn[TREE_CONNS];                                                                                     \
        conn[TREE_DOWN] = connection(my_area + at, next_area + at, prev_area + at, slot_bytes, flags_at, ll, ll_at, \
                                     ll_slot_bytes);                                                               \
        conn[TREE_UP] = connection(tree_area + at, parent_tree_area + at, child_tree_area + at, slot_bytes,        \
                                   flags_at, ll, ll_at, ll_slot_bytes);                                            \
        int d = domain_gpus, length = d ? d : nranks;                                                              \
        int position = d ? (rank % d - (int)(channel % d) + d) % d : rank;                                        \
        bool head = position == 0, crosses = d && nranks > d;                                                      \
        unsigned links = crosses && head ? tree_links >> (9 * (channel / d % 2)) : 0777;                         \
        const Conn *conns[TREE_CONNS];                                                                             \
        TreeNode node = {position > 0, position < length - 1, (links & 7) != 7, false, 0};                        \
        node.root = head && !node.net_parent;                                                                      \
        for (int role = 0; role < 3; role++) {                                                                     \
            unsigned k = links >> (3 * role) & 7;                                                                  \
            int id = role == 0 ? TREE_NET_PARENT : TREE_NET_CHILD + node.net_children;                             \
            if (k == 7)                                                                                            \
                continue;                                                                                          \
            char *in = net_in + k * net_link_stride + at, *out = net_out + k * net_link_stride + at;               \
            char *flags = net_flags + (k * (gridDim.x / 2) + channel) * 64 + (ll ? 16 : 0);                        \
            conn[id] = connection(in, out, in, slot_bytes, flags_at, ll, ll_at, ll_slot_bytes);                    \
            conn[id].to_proxy = 1;                                                                                 \
            conn[id].next_tail = (volatile unsigned long long *)flags;                                             \
            conn[id].prev_head = (volatile unsigned long long *)(flags + 8);                                       \
            if (role > 0)                                                                                          \
                node.net_children++;                                                                               \
        }                                                                                                          \
        for (int c = 0; c < TREE_CONNS; c++)                                                                       \
            conns[c] = &conn[c];                                                                                   \
        channel_part(count, 16 / sizeof(T), channel, gridDim.x / 2, &first, &n);                                   \
        tree<T>(send, recv, first, n, op, nranks, blockIdx.x % 2, node, conns, chunk_bytes);                       \
    }

RING(int8, signed char)
RING(uint8, unsigned char)
RING(int32, int)
RING(uint32, unsigned)
RING(int64, long long)
RING(uint64, unsigned long long)
RING(float32, float)
RING(float64, double)
RING(float16, __half)
RING(bfloat16, __nv_bfloat16)

TREE(int8, signed char)
TREE(uint8, unsigned char)
TREE(int32, int)
TREE(uint32, unsigned)
TREE(int64, long long)
TREE(uint64, unsigned long long)
TREE(float32, float)
TREE(float64, double)
TREE(float16, __half)
TREE(bfloat16, __nv_bfloat16)

// ---- Send/Recv: HICCL_P2P_CHANNELS blocks per operation of a group ----
//
// A pair of GPUs talks through one area per channel in each (`mine` here, `remote` in the peer, `area_stride` bytes
// apart): the slots the peer writes into, then four counters: [0] slots the peer has sent here (the peer writes),
// [1] of the slots sent to the peer, those it has consumed (the peer writes), [2] slots sent and [3] slots received
// by this GPU (kept current in memory for the hang report). A send and a receive with the same peer use different
// counters, so they run side by side. Each channel moves its own part of the operation's bytes.

#define HICCL_MAX_P2P 48
#define HICCL_P2P_CHANNELS 4

struct P2pOp {
    char *buff;               // the send buffer (a send) or the receive buffer (a receive)
    unsigned long long bytes;
    char *mine, *remote;
    unsigned long long start[HICCL_P2P_CHANNELS]; // each channel's slots sent (a send) or received (a receive)
                                                   // before this operation
    char *net_flags;          // a peer in another HiLink domain: `remote` is the network proxy's stand-in for its
                              // area (guest/hiccl/hiccl_net.c), and the counts for the peer go to the proxy's
                              // 64 bytes per channel here; 0 for a peer over HiLink
    int send;
    int after;                // a receive into the very bytes a send of this launch reads (in place): that send's
                              // index, whose steps this receive's steps wait for; -1 when none
};

struct P2pWork {
    int count, pad;
    unsigned long long slot_bytes, flags_at, area_stride;
    P2pOp op[HICCL_MAX_P2P];
};

// `n` bytes: 16 at a time where both sides are aligned to them, in the Simple loop's layout (move_vectors: a copy
// of the slot's vectors), one at a time for the rest.
__device__ void move_bytes(char *dst, const char *src, unsigned long long n)
{
    unsigned long long vectors = (((unsigned long long)dst | (unsigned long long)src) & 15) == 0 ? n / 16 : 0;
    move_vectors<unsigned, FROM_SLOT, OP_SUM, true, false>((const uint4 *)src, nullptr, (uint4 *)dst, nullptr, vectors,
                                                           1);
    for (unsigned long long i = vectors * 16 + threadIdx.x; i < n; i += blockDim.x)
        dst[i] = src[i];
}

extern "C" __global__ void hiccl_p2p(P2pWork work)
{
    const P2pOp &op = work.op[blockIdx.x / HICCL_P2P_CHANNELS];
    unsigned channel = blockIdx.x % HICCL_P2P_CHANNELS;
    unsigned long long at = channel * work.area_stride;
    volatile unsigned long long *mine = (volatile unsigned long long *)(op.mine + at + work.flags_at);
    volatile unsigned long long *remote = (volatile unsigned long long *)(op.net_flags ? op.net_flags + channel * 64
                                                                                    : op.remote + at + work.flags_at);
    // The channel's part: equal parts of whole 16-byte units, the first channels one unit more, the last the rest
    // (the library computes the same to count the steps).
    unsigned long long units = op.bytes / 16, each = units / HICCL_P2P_CHANNELS, more = units % HICCL_P2P_CHANNELS;
    unsigned long long first = (channel * each + (channel < more ? channel : more)) * 16;
    unsigned long long part = (each + (channel < more ? 1 : 0)) * 16;
    if (channel == HICCL_P2P_CHANNELS - 1)
        part += op.bytes - units * 16;
    char *buff = op.buff + first;
    unsigned long long k = 0;
    for (unsigned long long base = 0; base < part; base += work.slot_bytes, k++) {
        unsigned long long len = part - base < work.slot_bytes ? part - base : work.slot_bytes;
        unsigned long long count = op.start[channel] + k;
        char *slot = (op.send ? op.remote : op.mine) + at + (count % HICCL_STEPS) * work.slot_bytes;
        if (threadIdx.x == 0) {
            if (op.send) {
                while (count - mine[1] >= HICCL_STEPS)
                    ;
            } else {
                while (mine[0] <= count)
                    ;
                if (op.after >= 0) {
                    const P2pOp &reader = work.op[op.after];
                    volatile unsigned long long *read =
                        (volatile unsigned long long *)(reader.mine + at + work.flags_at);
                    while (read[2] <= reader.start[channel] + k)
                        ;
                }
            }
        }
        __syncthreads();
        if (op.send)
            move_bytes(slot, buff + base, len);
        else
            move_bytes(buff + base, slot, len);
        __threadfence_system(); // a send's data has landed before its count; a receive has read its slot
        __syncthreads();
        if (threadIdx.x == 0) {
            remote[op.send ? 0 : 1] = count + 1;
            mine[op.send ? 2 : 3] = count + 1;
        }
    }
}
