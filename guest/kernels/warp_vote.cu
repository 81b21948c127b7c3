// Warp votes: per warp, the ballot of in[i] > 0 and whether all / any of its lanes saw a positive value.
//
// Threads past n vote false (they still take part, so every lane of the mask reaches the vote).
// The warp's lane 0 writes ballots[w], all_flags[w], any_flags[w] with w = global id / 32.

#define FULL_MASK 0xffffffffu

extern "C" __global__ void warp_vote(const int *in, unsigned *ballots, int *all_flags, int *any_flags, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    int positive = i < n && in[i] > 0;
    unsigned ballot = __ballot_sync(FULL_MASK, positive);
    int all = __all_sync(FULL_MASK, positive);
    int any = __any_sync(FULL_MASK, positive);
    if ((threadIdx.x & 31) == 0) {
        int w = i / 32;
        ballots[w] = ballot;
        all_flags[w] = all;
        any_flags[w] = any;
    }
}
