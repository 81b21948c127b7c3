/* hiccl-split: communicators split from the rack's (hicclCommSplit), as a job splits its GPUs into groups: the even
 * and the odd HiLink places each form one, ranked in reverse (key -rank), and all-reduce 4 099 int32 elements in it
 * (the guest's arguments go to HiCCL too: NCCL_ALGO=Tree, NCCL_PROTO=Simple, ...); every element is checked. Then
 * the last place splits off alone (the others pass HICCL_SPLIT_NOCOLOR and get none) and all-reduces with itself.
 * Each rank prints one line; exit 1 on any wrong element or error. */
#include "hiccl.h"
#include "vdc_gpu.h"
#include "vdc_guest.h"

#define COUNT 4099

static int failed(const char *what, hicclResult_t r, hicclComm_t comm)
{
    printf("hiccl-split: %s: %s: %s\n", what, hicclGetErrorString(r), hicclGetLastError(comm));
    return 1;
}

/* In `comm`, every rank's COUNT elements `value + i` summed: the sum of the members' values, plus nranks * i. */
static int all_reduce_and_check(struct gpu_device *gpu, hicclComm_t comm, int32_t value, int32_t members_sum,
                                uint64_t buffer, int32_t *host, uint64_t *wrong)
{
    int n;
    hicclCommCount(comm, &n);
    for (int i = 0; i < COUNT; i++)
        host[i] = value + i;
    hicclResult_t r = gpu_memcpy_h2d(gpu, buffer, host, sizeof(int32_t) * COUNT) == GPU_SUCCESS
                          ? hicclAllReduce(buffer, buffer, COUNT, hicclInt32, hicclSum, comm, 0)
                          : hicclUnhandledCudaError;
    hicclResult_t async = hicclSuccess;
    if (r == hicclSuccess)
        r = hicclCommGetAsyncError(comm, &async);
    if (r != hicclSuccess || async != hicclSuccess ||
        gpu_memcpy_d2h(gpu, host, buffer, sizeof(int32_t) * COUNT) != GPU_SUCCESS)
        return 0;
    *wrong = 0;
    for (int i = 0; i < COUNT; i++)
        *wrong += host[i] != members_sum + n * i;
    return 1;
}

int main(void);
int main(void)
{
    hicclComm_t world, half, alone;
    hicclResult_t r = hicclCommInitFabric(&world);
    if (r != hicclSuccess)
        return failed("init", r, NULL);
    int rank, nranks;
    hicclCommUserRank(world, &rank);
    hicclCommCount(world, &nranks);
    struct gpu_device *gpu = hicclCommGpu(world);
    if ((r = hicclCommSplit(world, rank % 2, -rank, &half, NULL)) != hicclSuccess)
        return failed("split by parity", r, world);
    int half_rank, half_count;
    hicclCommUserRank(half, &half_rank);
    hicclCommCount(half, &half_count);
    uint64_t buffer;
    static int32_t host[COUNT];
    if (gpu_malloc(gpu, &buffer, sizeof host) != GPU_SUCCESS)
        return failed("allocate", hicclUnhandledCudaError, NULL);
    /* values: the world rank times 1000; the color's sum of them */
    int32_t sum = 0;
    for (int q = rank % 2; q < nranks; q += 2)
        sum += 1000 * q;
    uint64_t wrong;
    if (!all_reduce_and_check(gpu, half, 1000 * rank, sum, buffer, host, &wrong))
        return failed("AllReduce in the split", hicclUnhandledCudaError, half);
    printf("hiccl-split: place %d: %s places, rank %d of %d: AllReduce of %d int32: %llu wrong\n", rank,
           rank % 2 ? "odd" : "even", half_rank, half_count, COUNT, (unsigned long long)wrong);
    int last = rank == nranks - 1;
    if ((r = hicclCommSplit(world, last ? 7 : HICCL_SPLIT_NOCOLOR, 0, &alone, NULL)) != hicclSuccess)
        return failed("split off the last place", r, world);
    if (last != (alone != NULL)) {
        printf("hiccl-split: place %d: a communicator %s\n", rank, last ? "did not come" : "came without a color");
        return 1;
    }
    uint64_t wrong_alone = 0;
    if (alone != NULL && !all_reduce_and_check(gpu, alone, 5, 5, buffer, host, &wrong_alone))
        return failed("AllReduce alone", hicclUnhandledCudaError, alone);
    if (alone != NULL)
        printf("hiccl-split: place %d: alone: AllReduce: %llu wrong\n", rank, (unsigned long long)wrong_alone);
    hicclCommDestroy(alone);
    hicclCommDestroy(half);
    hicclCommDestroy(world);
    return wrong == 0 && wrong_alone == 0 ? 0 : 1;
}
