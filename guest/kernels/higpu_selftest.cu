// The HiGPU device's self-test kernel (guest/programs/gpu-selftest.c): c[i] = a[i] + b[i].
// Regenerate the PTX with: nvcc -arch=sm_90 -ptx higpu_selftest.cu -o higpu_selftest.ptx
extern "C" __global__ void vector_add(const float *a, const float *b, float *c, unsigned n)
{
    unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        c[i] = a[i] + b[i];
}
