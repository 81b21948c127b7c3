// Compute probe: 8 independent fma chains per thread (x = x * a + b, iters times), so issue, not latency, limits.
//
// Chain j starts at x_j = (float)(global id) * 0.001f + j. After the loop the thread stores
// ((((((x0 + x1) + x2) + x3) + x4) + x5) + x6) + x7 to out[global id]. |a| < 1 keeps the chains finite.

#define CHAINS 8

extern "C" __global__ void fma_bound(float *out, float a, float b, int iters)
{
    int gid = blockIdx.x * blockDim.x + threadIdx.x;
    float x[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        x[j] = (float)gid * 0.001f + (float)j;
    for (int it = 0; it < iters; it++) {
#pragma unroll
        for (int j = 0; j < CHAINS; j++)
            x[j] = fmaf(x[j], a, b);
    }
    float s = x[0];
    for (int j = 1; j < CHAINS; j++)
        s += x[j];
    out[gid] = s;
}
