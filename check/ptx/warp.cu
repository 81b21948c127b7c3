// Warp-level votes and shuffles.
__global__ void warp_ops(const int *in, unsigned *out)
{
    int t = threadIdx.x;
    int v = in[t];
    unsigned b = __ballot_sync(0xffffffffu, v > 0);
    int all = __all_sync(0xffffffffu, v > 0);
    int any = __any_sync(0xffffffffu, v < 0);
    int up = __shfl_up_sync(0xffffffffu, v, 1);
    int idx = __shfl_sync(0xffffffffu, v, 3);
    unsigned act = __activemask();
    out[t] = b + all + any + up + idx + act;
}
