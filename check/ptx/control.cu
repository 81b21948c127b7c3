// Loops and divergent branches.
__global__ void branches(const int *in, int *out, int n)
{
    int t = threadIdx.x;
    int v = in[t];
    int r;
    if (v & 1)
        r = v * 3 + 1;
    else
        r = v / 2;
    int acc = 0;
    for (int k = 0; k < n; k++) {
        if (((k + t) & 3) == 0)
            continue;
        acc += k * r;
        if (acc > 100000) break;
    }
    while (v > 1) {
        v = (v & 1) ? 3 * v + 1 : v >> 1;
        acc++;
    }
    out[t] = acc;
}
