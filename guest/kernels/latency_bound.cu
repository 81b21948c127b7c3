// Latency probe: each thread follows a chain of dependent loads (p = next[p], steps times) and stores where it ends.
//
// Each load's address depends on the previous load, so a warp stalls for the full memory latency at every step
// and throughput grows with the number of resident warps. The launch's dynamic shared memory is not used by
// the code: a launch asks for some only to cap how many blocks fit on an SM (occupancy).

extern "C" __global__ void pointer_chase(const unsigned *next, unsigned *out, int steps)
{
    unsigned gid = blockIdx.x * blockDim.x + threadIdx.x;
    unsigned p = gid;
    for (int s = 0; s < steps; s++)
        p = next[p];
    out[gid] = p;
}
