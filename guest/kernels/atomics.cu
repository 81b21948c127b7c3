// Atomics whose final values do not depend on thread order: int add/min/max, exch, a CAS loop, double add.
//
// counters[0] += vals[i]            (atomicAdd int)
// counters[1] = min of vals          (atomicMin int, start INT_MAX)
// counters[2] = max of vals          (atomicMax int, start INT_MIN)
// counters[3] = count of threads that found counters[4] == 0 when exchanging 1 into it: exactly 1 (atomicExch)
// counters[5] += vals[i] by a compare-and-swap loop (atomicCAS)
// dsum[0] += (double)vals[i] / 2    (atomicAdd double: halves of small integers add exactly in any order)

extern "C" __global__ void atomics_mix(int *counters, double *dsum, const int *vals, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    int v = vals[i];
    atomicAdd(&counters[0], v);
    atomicMin(&counters[1], v);
    atomicMax(&counters[2], v);
    if (atomicExch(&counters[4], 1) == 0)
        atomicAdd(&counters[3], 1);
    int old = counters[5], assumed;
    do {
        assumed = old;
        old = atomicCAS(&counters[5], assumed, assumed + v);
    } while (old != assumed);
    atomicAdd(dsum, (double)v * 0.5);
}
