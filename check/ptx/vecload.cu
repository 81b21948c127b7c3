// Vector loads and stores, 2D/3D indices, dynamic shared memory.
extern __shared__ float dyn[];
__global__ void vec_copy(const float4 *__restrict__ a, float2 *b, const int4 *c, int4 *d, int w)
{
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    int z = blockIdx.z * blockDim.z + threadIdx.z;
    int i = (z * gridDim.y * blockDim.y + y) * w + x;
    float4 v = a[i];
    dyn[threadIdx.x] = v.x + v.w;
    __syncthreads();
    b[i] = make_float2(v.y + dyn[(threadIdx.x + 1) % blockDim.x], v.z);
    int4 q = c[i];
    q.x += gridDim.x + gridDim.z;
    d[i] = q;
}
