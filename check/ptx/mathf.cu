// Single and double precision math.
__global__ void math_f(const float *a, float *o, const double *da, double *dout, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float x = a[i];
    o[i] = expf(x) + logf(x) + sinf(x) * cosf(x) + sqrtf(x) + rsqrtf(x) + __fdividef(x, 3.0f) + x / (x + 1.0f);
    double d = da[i];
    dout[i] = sqrt(d) + d / (d + 1.0) + exp(d) + fabs(d) + fmin(d, 2.0);
}
