// Every atomic flavour nvcc maps to atom/red.
__global__ void atomics(int *ip, unsigned *up, float *fp, double *dp, unsigned long long *lp)
{
    int t = threadIdx.x;
    atomicAdd(ip, t);
    int old = atomicCAS(ip + 1, t, t + 1);
    atomicMin(ip + 2, old);
    atomicMax(ip + 3, t);
    atomicAnd(up, (unsigned)t);
    atomicOr(up + 1, (unsigned)t);
    atomicXor(up + 2, (unsigned)t);
    unsigned e = atomicExch(up + 3, (unsigned)t);
    atomicInc(up + 4, 100u);
    atomicDec(up + 5, 100u);
    atomicAdd(fp, (float)t);
    atomicAdd(dp, (double)t);
    unsigned long long c = atomicCAS(lp, (unsigned long long)t, 7ull);
    atomicAdd(lp + 1, c + e);
    __shared__ int s[4];
    if (t < 4) s[t] = 0;
    __syncthreads();
    atomicAdd(&s[t & 3], 1);
    __syncthreads();
    if (t < 4) ip[4 + t] = s[t];
}
