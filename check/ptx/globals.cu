// Module-scope __device__ and __constant__ variables with initializers; clock64.
__constant__ float coeffs[4] = {1.0f, 0.5f, 0.25f, 0.125f};
__constant__ double dcoef = 3.5;
__device__ int counter = 0;
__device__ int table[3] = {1, 2, 3};
__device__ unsigned long long stamps[2];
__global__ void use_globals(float *out, int n)
{
    long long t0 = clock64();
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        out[i] = coeffs[i & 3] * (float)dcoef + (float)table[i % 3];
    if (i == 0) {
        atomicAdd(&counter, 1);
        stamps[0] = (unsigned long long)(clock64() - t0);
    }
}
