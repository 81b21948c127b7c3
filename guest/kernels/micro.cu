// Microbenchmarks of HiGPU's timing, the classic ones run on real GPUs (docs/validation.md, "GPU microbenchmarks"):
// pointer chases per memory level, bandwidth of HBM, L2 and shared memory, FMA throughput and latency, and atomics.
// `vdc bench gpu-micro` builds the inputs, runs each kernel and turns its cycles into the table.
#include <stdint.h>

// Pointer chase through global memory: one thread follows a chain of 64-bit addresses (each element holds the
// address of the next), first `warm` links to fill the caches, then `steps` links timed with clock64. out[0] gets
// the timed cycles, out[1] the last address (so the chain cannot be optimized away). One kernel per cache
// operator: .ca caches in L1 and L2, .cg in L2 only.
struct load_ca {
    __device__ const uint64_t *operator()(const uint64_t *p) const { return (const uint64_t *)__ldca(p); }
};
struct load_cg {
    __device__ const uint64_t *operator()(const uint64_t *p) const { return (const uint64_t *)__ldcg(p); }
};

template <typename Load>
__device__ void chase(const uint64_t *start, uint32_t warm, uint32_t steps, uint64_t *out, Load load)
{
    const uint64_t *p = start;
    for (uint32_t i = 0; i < warm; i++)
        p = load(p);
    uint64_t t0 = clock64();
    for (uint32_t i = 0; i < steps; i++)
        p = load(p);
    uint64_t t1 = clock64();
    out[0] = t1 - t0;
    out[1] = (uint64_t)p;
}

extern "C" __global__ void chase_ca(const uint64_t *start, uint32_t warm, uint32_t steps, uint64_t *out)
{
    chase(start, warm, steps, out, load_ca());
}

extern "C" __global__ void chase_cg(const uint64_t *start, uint32_t warm, uint32_t steps, uint64_t *out)
{
    chase(start, warm, steps, out, load_cg());
}

// Pointer chase through shared memory: the chain of `n` 32-bit indices is turned into shared-memory addresses as
// the block copies it in, then thread 0 follows it with one ld.shared per link (inline PTX, as the published chases
// do, so that no address arithmetic sits between the loads), timed as chase_ca is.
extern "C" __global__ void chase_shared(const uint32_t *chain, uint32_t n, uint32_t steps, uint64_t *out)
{
    extern __shared__ uint32_t next[];
    uint32_t base = (uint32_t)__cvta_generic_to_shared(next);
    for (uint32_t i = threadIdx.x; i < n; i += blockDim.x)
        next[i] = base + 4 * chain[i];
    __syncthreads();
    if (threadIdx.x != 0)
        return;
    uint32_t j = base;
    for (uint32_t i = 0; i < n; i++)
        asm volatile("ld.shared.u32 %0, [%0];" : "+r"(j));
    uint64_t t0 = clock64();
    for (uint32_t i = 0; i < steps; i++)
        asm volatile("ld.shared.u32 %0, [%0];" : "+r"(j));
    uint64_t t1 = clock64();
    out[0] = t1 - t0;
    out[1] = j;
}

// HBM bandwidth: grid-stride copy, read (a sum per thread, stored once) and write of n float4s.
extern "C" __global__ void bw_copy(const float4 *a, float4 *b, uint64_t n)
{
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x)
        b[i] = a[i];
}

extern "C" __global__ void bw_read(const float4 *a, uint64_t n, float *out)
{
    uint64_t first = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x;
    float s = 0.0f;
    for (uint64_t i = first; i < n; i += (uint64_t)gridDim.x * blockDim.x) {
        float4 v = a[i];
        s += v.x + v.y + v.z + v.w;
    }
    out[first] = s;
}

extern "C" __global__ void bw_write(float4 *b, uint64_t n, float value)
{
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < n; i += (uint64_t)gridDim.x * blockDim.x)
        b[i] = make_float4(value, value, value, value);
}

// L2 bandwidth: every thread reads float4s with .cg (L2, not L1) over a footprint of `mask + 1` float4s that fits
// in L2, `reps` times, starting at a different place per block so that blocks share no L1 lines either way.
extern "C" __global__ void bw_l2(const float4 *a, uint32_t mask, uint32_t reps, float *out)
{
    uint32_t t = blockIdx.x * blockDim.x + threadIdx.x;
    float s = 0.0f;
    for (uint32_t r = 0; r < reps; r++) {
        float4 v = __ldcg(&a[(t + r * gridDim.x * blockDim.x) & mask]);
        s += v.x + v.y + v.z + v.w;
    }
    out[t] = s;
}

// Shared-memory bandwidth: each thread reads float4s (four wavefronts a warp), consecutive lanes consecutive
// elements (no bank conflicts), `reps` times.
extern "C" __global__ void bw_shared(uint32_t reps, float *out)
{
    __shared__ float4 data[1024];
    for (uint32_t i = threadIdx.x; i < 1024; i += blockDim.x)
        data[i] = make_float4(i, i + 1, i + 2, i + 3);
    __syncthreads();
    float4 s = make_float4(0, 0, 0, 0);
#pragma unroll 16
    for (uint32_t r = 0; r < reps; r++) {
        float4 v = data[(threadIdx.x + r * 32) & 1023];
        s.x += v.x;
        s.y += v.y;
        s.z += v.z;
        s.w += v.w;
    }
    out[blockIdx.x * blockDim.x + threadIdx.x] = s.x + s.y + s.z + s.w;
}

// FMA throughput: 8 independent chains of fmaf per thread, `iters` rounds.
extern "C" __global__ void fma_throughput(float *out, float a, float b, uint32_t iters)
{
    uint32_t gid = blockIdx.x * blockDim.x + threadIdx.x;
    float x0 = gid * 0.001f, x1 = x0 + 1, x2 = x0 + 2, x3 = x0 + 3, x4 = x0 + 4, x5 = x0 + 5, x6 = x0 + 6, x7 = x0 + 7;
#pragma unroll 16
    for (uint32_t i = 0; i < iters; i++) {
        x0 = fmaf(x0, a, b); x1 = fmaf(x1, a, b); x2 = fmaf(x2, a, b); x3 = fmaf(x3, a, b);
        x4 = fmaf(x4, a, b); x5 = fmaf(x5, a, b); x6 = fmaf(x6, a, b); x7 = fmaf(x7, a, b);
    }
    out[gid] = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
}

// FMA latency: one thread, one dependent chain of `steps` fmaf, timed with clock64.
extern "C" __global__ void fma_latency(float a, float b, uint32_t steps, uint64_t *out)
{
    float x = a;
    uint64_t t0 = clock64();
#pragma unroll 32
    for (uint32_t i = 0; i < steps; i++)
        x = fmaf(x, a, b);
    uint64_t t1 = clock64();
    out[0] = t1 - t0;
    out[1] = __float_as_uint(x);
}

// Global atomics: every thread adds 1 to counters[its global id & mask] `iters` times (mask 0: one address for the
// whole grid; mask 7: eight hot addresses; a mask past the thread count: every thread its own address). The sum of
// the returned values is stored so that the atomics are atom, not red.
extern "C" __global__ void atomics_global(uint32_t *counters, uint32_t mask, uint32_t iters, uint32_t *out)
{
    uint32_t t = blockIdx.x * blockDim.x + threadIdx.x;
    uint32_t seen = 0;
    for (uint32_t i = 0; i < iters; i++)
        seen += atomicAdd(&counters[t & mask], 1u);
    out[t] = seen;
}

// Shared-memory atomics: every thread adds 1 to its block's counters[threadIdx.x & mask] `iters` times; the block's
// counters are then added to counters in global memory.
extern "C" __global__ void atomics_shared(uint32_t *counters, uint32_t mask, uint32_t iters, uint32_t *out)
{
    __shared__ uint32_t local[1024];
    for (uint32_t i = threadIdx.x; i < 1024; i += blockDim.x)
        local[i] = 0;
    __syncthreads();
    uint32_t seen = 0;
    for (uint32_t i = 0; i < iters; i++)
        seen += atomicAdd(&local[threadIdx.x & mask], 1u);
    __syncthreads();
    out[blockIdx.x * blockDim.x + threadIdx.x] = seen;
    if (threadIdx.x <= mask)
        atomicAdd(&counters[threadIdx.x], local[threadIdx.x]);
}
