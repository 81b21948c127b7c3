/* all_gather_perf [-b MIN] [-e MAX] [-f FACTOR] [-i STEP] [-n ITERS] [-w WARMUP] [-c CHECK] [-d TYPE] [-g GPUS]
 * [-z BLOCKING] [-a AVERAGE] [-r ROOT]: nccl-tests' all_gather_perf on HiCCL (nccl_tests.h). */
#define PERF_COLLECTIVE 2 /* PERF_ALL_GATHER */
#include "nccl_tests.h"
