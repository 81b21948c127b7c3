// Row softmax: one block per row; out[r][c] = exp(x - max) / sum(exp(x - max)) with expf and IEEE division.
//
// Block size a power of two, at most 1024. Each thread walks the columns c = tid, tid + blockDim, ...; the
// block's maximum and sum are shared-memory trees (sh[t] = op(sh[t], sh[t + s]), s = blockDim/2 .. 1).
// expf is nvcc's accurate expf: a range reduction with fma, then ex2.approx.ftz.f32 (see softmax.ptx).

extern "C" __global__ void softmax_rows(const float *in, float *out, int cols)
{
    __shared__ float sh[1024];
    const float *x = in + (size_t)blockIdx.x * cols;
    float *y = out + (size_t)blockIdx.x * cols;
    unsigned t = threadIdx.x;

    float m = -INFINITY;
    for (int c = t; c < cols; c += blockDim.x)
        m = fmaxf(m, x[c]);
    sh[t] = m;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            sh[t] = fmaxf(sh[t], sh[t + s]);
        __syncthreads();
    }
    m = sh[0];
    __syncthreads();

    float sum = 0.0f;
    for (int c = t; c < cols; c += blockDim.x)
        sum += expf(x[c] - m);
    sh[t] = sum;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s)
            sh[t] += sh[t + s];
        __syncthreads();
    }
    sum = sh[0];

    for (int c = t; c < cols; c += blockDim.x)
        y[c] = expf(x[c] - m) / sum;
}
