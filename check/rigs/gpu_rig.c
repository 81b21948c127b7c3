/* Test helper: a fresh HiGPU core of a preset with one PTX file loaded, and zeroed device buffers. */
#include "gpu_rig.h"

#include <check.h>
#include <stdlib.h>

#include "test_files.h"

struct gpu *check_gpu_open(const char *preset, const char *ptx_path, struct gpu_module **module)
{
    struct gpu_params p;
    struct vdc_error err;
    ck_assert_msg(gpu_params_preset(preset, &p, &err), "%s", err.text);
    struct gpu *gpu = gpu_create(&p, &err);
    ck_assert_msg(gpu != NULL, "%s", err.text);
    uint64_t len;
    char *text = check_read_text(ptx_path, &len);
    ck_assert_msg(gpu_module_load(gpu, text, len, ptx_path, module, &err), "%s: %s", ptx_path, err.text);
    free(text);
    return gpu;
}

uint64_t check_gpu_zeroed(struct gpu *gpu, uint64_t size)
{
    uint64_t address;
    struct vdc_error err;
    ck_assert_msg(gpu_memory_alloc(gpu_get_memory(gpu), size, &address, &err), "%s", err.text);
    uint8_t *zeros = calloc(1, size);
    ck_assert(gpu_memory_write(gpu_get_memory(gpu), address, zeros, size, "zeroed buffer", &err));
    free(zeros);
    return address;
}
