/* sendrecv_perf [-b MIN] [-e MAX] [-f FACTOR] [-i STEP] [-n ITERS] [-w WARMUP] [-c CHECK] [-o OP] [-d TYPE]
 * [-g GPUS] [-z BLOCKING] [-a AVERAGE]: nccl-tests' sendrecv_perf on HiCCL's Send/Recv in groups (nccl_tests.h). */
#define PERF_COLLECTIVE 6 /* PERF_SENDRECV */
#include "nccl_tests.h"
