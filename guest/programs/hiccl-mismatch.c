/* hiccl-mismatch [p2p | count]: ranks that disagree, as a collective that hangs in a real job: rank 0 broadcasts 1 000
 * floats while the others all-reduce them. Rank 0's broadcast ends; the others' AllReduce waits for slots rank 0
 * never sends until gpu.hang_timeout stops it, and each of them reports what its channels were waiting for
 * (hicclCommGetAsyncError) and exits 1. With `p2p`: rank 0 sends 1 000 floats to rank 1 once, rank 1 receives
 * twice; its second receive waits in the same way. With `count`: every rank all-reduces, rank 0 1 000 floats, the
 * others 100 000 (with NCCL_ALGO=Tree the chain's ranks below rank 0 wait for the chunks it never sends down). A rank whose collective failed aborts its communicator. */
#include "hiccl.h"
#include "vdc_gpu.h"
#include "vdc_guest.h"

/* The guest's arguments start with the word `word` (HiCCL's NAME=VALUE words may follow). */
static int first_word_is(const char *word)
{
    const char *args = vdc_bootargs();
    size_t n = strlen(word);
    return memcmp(args, word, n) == 0 && (args[n] == '\0' || args[n] == ' ');
}

int main(void);
int main(void)
{
    hicclComm_t comm;
    int rank = 0;
    uint64_t count = 1000, buffer;
    hicclResult_t r = hicclCommInitFabric(&comm);
    if (r == hicclSuccess)
        hicclCommUserRank(comm, &rank);
    if (r != hicclSuccess || gpu_malloc(hicclCommGpu(comm), &buffer, count * 4 * 100) != GPU_SUCCESS) {
        printf("hiccl-mismatch: set-up: %s: %s\n", hicclGetErrorString(r), hicclGetLastError(NULL));
        return 1;
    }
    hicclResult_t async;
    int p2p = first_word_is("p2p"), counts = first_word_is("count");
    const char *what = p2p ? (rank == 0 ? "Send" : rank == 1 ? "Recv" : "nothing")
                           : (rank == 0 && !counts ? "Broadcast" : "AllReduce");
    if (counts)
        r = hicclAllReduce(buffer, buffer, rank == 0 ? count : count * 100, hicclFloat, hicclSum, comm, 0);
    else if (!p2p)
        r = rank == 0 ? hicclBroadcast(buffer, buffer, count, hicclFloat, 0, comm, 0)
                      : hicclAllReduce(buffer, buffer, count, hicclFloat, hicclSum, comm, 0);
    else if (rank == 0)
        r = hicclSend(buffer, count, hicclFloat, 1, comm, 0);
    else if (rank == 1 && (r = hicclRecv(buffer, count, hicclFloat, 0, comm, 0)) == hicclSuccess)
        r = hicclRecv(buffer, count, hicclFloat, 0, comm, 0);
    if (r == hicclSuccess)
        r = hicclCommGetAsyncError(comm, &async);
    if (r != hicclSuccess || async != hicclSuccess) {
        printf("hiccl-mismatch: %s failed: %s\n", what, hicclGetLastError(comm));
        hicclCommAbort(comm); /* the other ranks may never come to a barrier */
        return 1;
    }
    printf("hiccl-mismatch: rank %d: %s of %llu floats ended\n", rank, what, (unsigned long long)count);
    hicclCommDestroy(comm);
    return 0;
}
