/* all_reduce_perf [-b MIN] [-e MAX] [-f FACTOR] [-i STEP] [-n ITERS] [-w WARMUP] [-c CHECK] [-o OP] [-d TYPE]
 * [-g GPUS] [-z BLOCKING] [-a AVERAGE] [-r ROOT]: nccl-tests' all_reduce_perf on HiCCL (nccl_tests.h). */
#define PERF_COLLECTIVE 0 /* PERF_ALL_REDUCE */
#include "nccl_tests.h"
