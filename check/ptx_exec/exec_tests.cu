// Kernels for the SIMT executor's tests: divergence, barriers, shuffles, votes, atomics, local and generic memory.
extern "C" __global__ void divergence(int *out)
{
    int t = blockIdx.x * blockDim.x + threadIdx.x;
    int lane = threadIdx.x & 31;
    int v = 0;
    if (lane & 1) {
        v += 10;
        if (lane & 2)
            v += 100;
        else
            v -= 3;
    } else {
        for (int i = 0; i < lane; i++) {
            if (i == 7)
                break;
            v += i;
        }
    }
    v *= 2;
    if (lane == 5)
        return;
    out[t] = v + __popc(__activemask());
}

extern "C" __global__ void reverse_block(const int *in, int *out)
{
    __shared__ int s[256];
    int t = threadIdx.x;
    s[t] = in[blockIdx.x * blockDim.x + t];
    __syncthreads();
    out[blockIdx.x * blockDim.x + t] = s[blockDim.x - 1 - t];
}

extern "C" __global__ void shuffles(const int *in, int *out)
{
    int t = threadIdx.x;
    int v = in[t];
    out[t * 5 + 0] = __shfl_up_sync(0xffffffff, v, 3);
    out[t * 5 + 1] = __shfl_down_sync(0xffffffff, v, 5);
    out[t * 5 + 2] = __shfl_xor_sync(0xffffffff, v, 9);
    out[t * 5 + 3] = __shfl_sync(0xffffffff, v, (t * 7) & 31);
    out[t * 5 + 4] = __shfl_down_sync(0xffffffff, v, 2, 16);
}

extern "C" __global__ void votes(const int *in, unsigned *out)
{
    int t = threadIdx.x;
    int v = in[t];
    unsigned ballot = __ballot_sync(0xffffffff, v > 10);
    int all = __all_sync(0xffffffff, v >= 0);
    int any = __any_sync(0xffffffff, v > 1000);
    unsigned inner = 0;
    if (v & 1)
        inner = __activemask();
    out[t * 4 + 0] = ballot;
    out[t * 4 + 1] = all;
    out[t * 4 + 2] = any;
    out[t * 4 + 3] = inner;
}

extern "C" __global__ void atomics(const unsigned *in, unsigned *bins, unsigned *maxv, int n)
{
    __shared__ unsigned local_bins[16];
    if (threadIdx.x < 16)
        local_bins[threadIdx.x] = 0;
    __syncthreads();
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        atomicAdd(&local_bins[in[i] & 15], 1u);
        atomicMax(maxv, in[i]);
    }
    __syncthreads();
    if (threadIdx.x < 16)
        atomicAdd(&bins[threadIdx.x], local_bins[threadIdx.x]);
}

extern "C" __global__ void local_array(const int *idx, int *out)
{
    int a[24];
    int t = threadIdx.x;
    for (int i = 0; i < 24; i++)
        a[i] = i * t + 1;
    out[t] = a[idx[t] % 24] + a[(idx[t] + 5) % 24];
}

__device__ __forceinline__ int load_any(const int *p)
{
    return *p;
}

extern "C" __global__ void generic_pointers(const int *in, int *out)
{
    __shared__ int s[64];
    s[threadIdx.x] = in[threadIdx.x] * 3;
    __syncthreads();
    const int *p = (threadIdx.x & 1) ? &s[63 - threadIdx.x] : &in[threadIdx.x];
    out[threadIdx.x] = load_any(p);
}

extern "C" __global__ void store_at(int *out, long long index)
{
    if (threadIdx.x == 3 && blockIdx.x == 1)
        out[index] = 7;
}

extern "C" __global__ void spin(unsigned long long *out, int iterations)
{
    long long start = clock64();
    float x = threadIdx.x;
    for (int i = 0; i < iterations; i++)
        x = x * 0.5f + 1.0f;
    out[threadIdx.x] = clock64() - start + (x < 0.0f);
}

extern "C" __global__ void bits(const unsigned *in, unsigned *out)
{
    unsigned t = threadIdx.x, v = in[t], r;
    asm("bfi.b32 %0, %1, %2, %3, %4;" : "=r"(r) : "r"(v), "r"(0xf0f0f0f0u), "r"(t % 29), "r"(t % 7 + 1));
    out[t * 5 + 0] = r;
    asm("bfe.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(v), "r"(t % 31), "r"(t % 9));
    out[t * 5 + 1] = r;
    out[t * 5 + 2] = __byte_perm(v, t * 0x01010101u, t * 0x1111u);
    out[t * 5 + 3] = __brev(v) ^ __clz(v);
    out[t * 5 + 4] = __popc(v) + __ffs(v);
}

extern "C" __global__ void nested_loops(int *out)
{
    int lane = threadIdx.x & 31, v = 0;
    for (int a = 0; a < (lane & 3); a++)
        for (int b = 0; b < ((lane >> 2) & 3); b++)
            for (int c = 0; c < ((lane >> 4) & 1) + a; c++)
                for (int d = 0; d < (lane & 1) + b; d++)
                    v += a * 1000 + b * 100 + c * 10 + d;
    out[threadIdx.x] = v;
}

// A struct of arrays passed by value and indexed by the block: nvcc takes the parameter's address (mov) and reads
// through the register (ld.param [%rd+off]), as kernels that carry their work in their arguments do.
struct ParamEntry { unsigned long long base; int scale, pad; };
struct ParamTable { int count, pad; ParamEntry entry[8]; };
extern "C" __global__ void param_table(ParamTable table, unsigned long long *out)
{
    const ParamEntry &e = table.entry[blockIdx.x % 8];
    out[blockIdx.x * blockDim.x + threadIdx.x] = blockIdx.x < table.count ? e.base + e.scale * threadIdx.x : 0;
}
