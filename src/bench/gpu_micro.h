/* The GPU microbenchmark suite: pointer chases per memory level, bandwidths, FMA and atomics on HiGPU, each turned
 * into the figure published for the real GPU and compared with it (docs/validation.md, "GPU microbenchmarks"). */
#ifndef VDC_BENCH_GPU_MICRO_H
#define VDC_BENCH_GPU_MICRO_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct gpu_micro_row {
    const char *metric;
    const char *unit;
    double published;       /* the figure compared against (0: none for this preset) */
    const char *source;     /* where `published` comes from */
    double tolerance;       /* the largest relative difference the model is held to */
    double simulated;
};

#define GPU_MICRO_ROWS 24

/* Runs the suite on `preset` ("h100" or "h200"); fills rows and their count. */
bool vdc_bench_gpu_micro(const char *preset, struct gpu_micro_row rows[GPU_MICRO_ROWS], size_t *count,
                         struct vdc_error *err);

#endif
