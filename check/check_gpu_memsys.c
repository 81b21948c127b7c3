/* HiGPU memory timing: coalescing, the caches, HBM bandwidth and latency, shared-memory bank conflicts. */
#include "suites.h"

Suite *gpu_memsys_suite(void)
{
    Suite *s = suite_create("gpu_memsys");
    return s;
}
