/* reduce_perf [-b MIN] [-e MAX] [-f FACTOR] [-i STEP] [-n ITERS] [-w WARMUP] [-c CHECK] [-o OP] [-d TYPE] [-r ROOT]
 * [-g GPUS] [-z BLOCKING] [-a AVERAGE]: nccl-tests' reduce_perf on HiCCL (nccl_tests.h). */
#define PERF_COLLECTIVE 4 /* PERF_REDUCE */
#include "nccl_tests.h"
