/* reduce_scatter_perf [-b MIN] [-e MAX] [-f FACTOR] [-i STEP] [-n ITERS] [-w WARMUP] [-c CHECK] [-o OP] [-d TYPE]
 * [-g GPUS] [-z BLOCKING] [-a AVERAGE] [-r ROOT]: nccl-tests' reduce_scatter_perf on HiCCL (nccl_tests.h). */
#define PERF_COLLECTIVE 1 /* PERF_REDUCE_SCATTER */
#include "nccl_tests.h"
