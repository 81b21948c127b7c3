// Sum reductions: per block in shared memory (a tree down to 64 values, then warp shuffles); float and integer.
//
// Every block size must be a power of two, at least 64 and at most 1024. A thread first adds its elements
// i = global id, + grid size, ... in that order; the block then halves its 'blockDim' partial sums by a tree
// (sh[t] += sh[t + s] for s = blockDim/2 .. 64), and the first warp finishes with shuffles (offsets 32 by
// reading sh[t + 32], then 16, 8, 4, 2, 1). The CPU reference (check/gpu_reference.c) follows this order.

#define FULL_MASK 0xffffffffu

// Sums the block's values into lane 0 of warp 0. T is float or unsigned int.
template <typename T>
__device__ T block_sum(T v, T *sh)
{
    unsigned t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s >= 64; s >>= 1) {
        if (t < s)
            sh[t] += sh[t + s];
        __syncthreads();
    }
    if (t < 32) {
        v = sh[t] + sh[t + 32];
        for (int offset = 16; offset > 0; offset >>= 1)
            v += __shfl_down_sync(FULL_MASK, v, offset);
    }
    return v;
}

// One partial sum per block in partials[blockIdx.x]: the result does not depend on the order blocks run in.
extern "C" __global__ void reduce_sum_f32(const float *in, float *partials, int n)
{
    __shared__ float sh[1024];
    float v = 0.0f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        v += in[i];
    v = block_sum(v, sh);
    if (threadIdx.x == 0)
        partials[blockIdx.x] = v;
}

// The block sums added into *out with a float atomicAdd: exact bits depend on the order blocks commit in,
// except with one or two blocks (float addition is commutative, so 0 + a + b == 0 + b + a).
extern "C" __global__ void reduce_sum_f32_atomic(const float *in, float *out, int n)
{
    __shared__ float sh[1024];
    float v = 0.0f;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        v += in[i];
    v = block_sum(v, sh);
    if (threadIdx.x == 0)
        atomicAdd(out, v);
}

// Integer sum (modulo 2^32) with one atomicAdd per block: the same bits whatever the block order.
extern "C" __global__ void reduce_sum_u32(const unsigned *in, unsigned *out, int n)
{
    __shared__ unsigned sh[1024];
    unsigned v = 0;
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
        v += in[i];
    v = block_sum(v, sh);
    if (threadIdx.x == 0)
        atomicAdd(out, v);
}
