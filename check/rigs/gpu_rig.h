/* Test helper: a fresh HiGPU core of a preset with one PTX file loaded, and zeroed device buffers. */
#ifndef VDC_CHECK_GPU_RIG_H
#define VDC_CHECK_GPU_RIG_H

#include <stdint.h>

#include "../../src/gpu/gpu.h"

/* The GPU of preset `preset` with `ptx_path` (from the repository root) loaded as `*module`; fails the running test
 * on any error. */
struct gpu *check_gpu_open(const char *preset, const char *ptx_path, struct gpu_module **module);
/* `size` bytes of device memory, zeroed. */
uint64_t check_gpu_zeroed(struct gpu *gpu, uint64_t size);

#endif
