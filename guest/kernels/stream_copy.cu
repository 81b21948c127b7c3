// Bandwidth probe: a grid-stride float4 copy, 16 bytes read and written per element.
extern "C" __global__ void stream_copy(const float4 *src, float4 *dst, unsigned long long n4)
{
    unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    for (unsigned long long i = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x; i < n4; i += stride)
        dst[i] = src[i];
}
