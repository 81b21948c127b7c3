// Inclusive prefix sum of ints: Hillis-Steele within each block, block totals, then a pass adding block offsets.
//
// Pass 1 (scan_block_i32, shared memory of 2 * blockDim ints, double-buffered) writes each block's own inclusive
// scan to out and the block's total to block_sums[blockIdx.x]. Scanning block_sums with the same kernel (one
// block) gives inclusive offsets; pass 2 (scan_add_offsets_i32) adds offsets[blockIdx.x - 1] to blocks after
// the first. Integer addition wraps modulo 2^32, so the result is exact in any order.

extern "C" __global__ void scan_block_i32(const int *in, int *out, int *block_sums, int n)
{
    extern __shared__ int buf[];
    unsigned t = threadIdx.x;
    int i = blockIdx.x * blockDim.x + t;
    int *src = buf, *dst = buf + blockDim.x;
    src[t] = i < n ? in[i] : 0;
    __syncthreads();
    for (unsigned d = 1; d < blockDim.x; d <<= 1) {
        dst[t] = t >= d ? src[t] + src[t - d] : src[t];
        __syncthreads();
        int *swap = src;
        src = dst;
        dst = swap;
    }
    if (i < n)
        out[i] = src[t];
    if (block_sums != 0 && t == blockDim.x - 1)
        block_sums[blockIdx.x] = src[t];
}

extern "C" __global__ void scan_add_offsets_i32(int *out, const int *offsets, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (blockIdx.x > 0 && i < n)
        out[i] += offsets[blockIdx.x - 1];
}
