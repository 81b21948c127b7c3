/* broadcast_perf [-b MIN] [-e MAX] [-f FACTOR] [-i STEP] [-n ITERS] [-w WARMUP] [-c CHECK] [-d TYPE] [-r ROOT]
 * [-g GPUS] [-z BLOCKING] [-a AVERAGE]: nccl-tests' broadcast_perf on HiCCL (nccl_tests.h). */
#define PERF_COLLECTIVE 3 /* PERF_BROADCAST */
#include "nccl_tests.h"
