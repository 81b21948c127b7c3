// Memory ordering, fences, volatile and the non-coherent path.
#include <cuda/atomic>
__global__ void ordering(int *flag, volatile int *v, const int *__restrict__ ro, int *o)
{
    int t = threadIdx.x;
    cuda::atomic_ref<int, cuda::thread_scope_device> a(flag[0]);
    a.fetch_add(1, cuda::memory_order_relaxed);
    int x = a.load(cuda::memory_order_acquire);
    a.store(x + 1, cuda::memory_order_release);
    __threadfence();
    __threadfence_block();
    __threadfence_system();
    v[t] = ro[t] + __ldg(&ro[t + 1]) + __ldcg(&ro[t + 2]) + __ldcs(&ro[t + 3]);
    __stcg(&o[t], x);
    __stwt(&o[t + 64], x);
}
