// A call to a device function that is not inlined: refused at load.
__device__ __noinline__ int helper(int x) { return x * x + 1; }
__global__ void calls(int *o) { o[threadIdx.x] = helper(threadIdx.x); }
