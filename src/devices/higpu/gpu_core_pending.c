/* TEMPORARY stand-in for HiGPU's core (gpu.c) and parameters (gpu_params.c) until they are merged: device
 * memory works, module loading and launches fail with "not yet available". Delete this file at that merge. */
#include <stdlib.h>
#include <string.h>

#include "gpu.h"

struct gpu {
    struct gpu_params params;
    struct gpu_memory memory;
};

bool gpu_params_preset(const char *name, struct gpu_params *p, struct vdc_error *err)
{
    bool h200 = strcmp(name, "h200") == 0;
    if (!h200 && strcmp(name, "h100") != 0)
        return vdc_fail(err, "unknown GPU preset '%s'; expected h100 or h200", name);
    memset(p, 0, sizeof *p);
    snprintf(p->preset, sizeof p->preset, "%s", name);
    p->clock_hz = 1980000000ULL;
    p->memory_bytes = h200 ? 141ULL << 30 : 80ULL << 30;
    p->sm_count = 132;
    p->max_threads_per_block = 1024;
    p->max_threads_per_sm = 2048;
    p->shared_per_block = 227u << 10;
    p->l2_bytes = 50ULL << 20;
    p->dram_bytes_per_second = h200 ? 4800000000000ULL : 3350000000000ULL;
    p->launch_latency_ps = 3000000;
    return true;
}

bool gpu_params_set(struct gpu_params *p, const char *key, const char *value, struct vdc_error *err)
{
    char *end;
    unsigned long n = strtoul(value, &end, 10);
    if (strcmp(key, "sm_count") == 0 && *value != '\0' && *end == '\0' && n >= 1 && n <= 65535) {
        p->sm_count = (uint32_t)n;
        return true;
    }
    return vdc_fail(err, "GPU parameter '%s' = '%s': the parameter table is not yet available in this build", key,
                    value);
}

bool gpu_params_validate(const struct gpu_params *p, struct vdc_error *err)
{
    (void)p, (void)err;
    return true;
}

struct gpu *gpu_create(const struct gpu_params *params, struct vdc_error *err)
{
    struct gpu *gpu = vdc_xcalloc(1, sizeof *gpu);
    gpu->params = *params;
    if (!gpu_memory_init(&gpu->memory, params->memory_bytes, err)) {
        free(gpu);
        return NULL;
    }
    return gpu;
}

void gpu_free(struct gpu *gpu)
{
    if (gpu == NULL)
        return;
    gpu_memory_release(&gpu->memory);
    free(gpu);
}

const struct gpu_params *gpu_get_params(const struct gpu *gpu)
{
    return &gpu->params;
}

struct gpu_memory *gpu_get_memory(struct gpu *gpu)
{
    return &gpu->memory;
}

bool gpu_module_load(struct gpu *gpu, const char *text, uint64_t length, const char *source_name,
                     struct gpu_module **out, struct vdc_error *err)
{
    (void)gpu, (void)text, (void)length;
    *out = NULL;
    return vdc_fail(err, "%s: loading PTX is not yet available in this build", source_name);
}

void gpu_module_unload(struct gpu *gpu, struct gpu_module *module)
{
    (void)gpu, (void)module;
}

const struct ptx_module *gpu_module_ptx(const struct gpu_module *module)
{
    (void)module;
    return NULL;
}

bool gpu_module_symbol(const struct gpu_module *module, const char *name, uint64_t *address, uint64_t *size)
{
    (void)module, (void)name, (void)address, (void)size;
    return false;
}

bool gpu_launch(struct gpu *gpu, struct gpu_module *module, const struct gpu_launch *launch,
                struct gpu_launch_stats *stats, struct gpu_fault *fault, struct vdc_error *err)
{
    (void)gpu, (void)module, (void)stats, (void)fault;
    return vdc_fail(err, "kernel %s: launches are not yet available in this build", launch->kernel);
}

void gpu_get_totals(const struct gpu *gpu, struct gpu_totals *out)
{
    (void)gpu;
    memset(out, 0, sizeof *out);
}
