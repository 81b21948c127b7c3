/* hiccl-mismatch: ranks that disagree, as a collective that hangs in a real job: rank 0 broadcasts 1 000 floats while
 * the others all-reduce them. Rank 0's broadcast ends; the others' AllReduce waits for slots rank 0 never sends
 * until gpu.kernel_timeout stops it, and each of them reports what its channels were waiting for
 * (hicclCommGetAsyncError) and exits 1. */
#include "hiccl.h"
#include "vdc_gpu.h"
#include "vdc_guest.h"

int main(void);
int main(void)
{
    int status;
    struct gpu_device *gpu = vdc_gpu_open(0, &status);
    struct higpu_info info;
    if (gpu == NULL || gpu_query(gpu, &info) != GPU_SUCCESS || info.hilink_gpus < 2) {
        printf("hiccl-mismatch: no GPU on a HiLink fabric with peers\n");
        return 1;
    }
    int rank = (int)info.hilink_place, nranks = (int)info.hilink_gpus;
    hicclUniqueId id;
    hicclComm_t comm;
    hicclResult_t r = rank == 0 ? hicclGetUniqueId(&id) : hicclRecvUniqueId(&id);
    if (r == hicclSuccess && rank == 0)
        r = hicclSendUniqueId(&id, nranks);
    if (r == hicclSuccess)
        r = hicclCommInitRank(&comm, nranks, id, rank);
    uint64_t count = 1000, buffer;
    if (r != hicclSuccess || gpu_malloc(gpu, &buffer, count * 4) != GPU_SUCCESS) {
        printf("hiccl-mismatch: set-up: %s: %s\n", hicclGetErrorString(r), hicclGetLastError(NULL));
        return 1;
    }
    hicclResult_t async;
    r = rank == 0 ? hicclBroadcast(buffer, buffer, count, hicclFloat, 0, comm, 0)
                  : hicclAllReduce(buffer, buffer, count, hicclFloat, hicclSum, comm, 0);
    if (r == hicclSuccess)
        r = hicclCommGetAsyncError(comm, &async);
    if (r != hicclSuccess || async != hicclSuccess) {
        printf("hiccl-mismatch: %s failed: %s\n", rank == 0 ? "Broadcast" : "AllReduce", hicclGetLastError(comm));
        hicclCommDestroy(comm);
        return 1;
    }
    printf("hiccl-mismatch: rank %d: %s of %llu floats ended\n", rank, rank == 0 ? "Broadcast" : "AllReduce",
           (unsigned long long)count);
    hicclCommDestroy(comm);
    return 0;
}
