/* HiGPU's core object: parameters, device memory and memory timing; loading PTX modules into device memory. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_image.h"
#include "gpu/gpu_internal.h"

struct gpu *gpu_create(const struct gpu_params *params, struct vdc_error *err)
{
    return gpu_create_at(params, 0, err);
}

struct gpu *gpu_create_at(const struct gpu_params *params, uint32_t place, struct vdc_error *err)
{
    if (!gpu_params_validate(params, err))
        return NULL;
    struct gpu *gpu = vdc_xcalloc(1, sizeof *gpu);
    gpu->params = *params;
    if (!gpu_memory_init(&gpu->memory, place, params->memory_bytes, err)) {
        free(gpu);
        return NULL;
    }
    gpu->memsys = gpu_memsys_create(&gpu->params);
    return gpu;
}

void gpu_free(struct gpu *gpu)
{
    if (gpu == NULL)
        return;
    gpu_memsys_free(gpu->memsys);
    gpu_memory_release(&gpu->memory);
    free(gpu);
}

void gpu_set_peer_ops(struct gpu *gpu, const struct gpu_peer_ops *ops)
{
    gpu->peers = *ops;
}

void gpu_allow_peer(struct gpu *gpu, uint32_t place, bool allowed)
{
    if (place >= GPU_MAX_PLACES)
        return;
    if (allowed)
        gpu->peers_allowed |= 1ull << place;
    else
        gpu->peers_allowed &= ~(1ull << place);
}

uint32_t gpu_place(const struct gpu *gpu)
{
    return (uint32_t)((gpu->memory.base - GPU_GLOBAL_BASE) / GPU_PLACE_BYTES);
}

const struct gpu_params *gpu_get_params(const struct gpu *gpu)
{
    return &gpu->params;
}

struct gpu_memory *gpu_get_memory(struct gpu *gpu)
{
    return &gpu->memory;
}

void gpu_get_totals(const struct gpu *gpu, struct gpu_totals *out)
{
    *out = gpu->totals;
}

/* Gives each module-scope .global/.const variable device memory holding its initializer. */
static bool place_variables(struct gpu *gpu, struct gpu_module *mod, struct vdc_error *err)
{
    const struct ptx_module *m = &mod->ptx;
    for (uint32_t v = 0; v < m->var_count; v++) {
        const struct ptx_var *var = &m->vars[v];
        if (!gpu_var_in_device_memory(var))
            continue;
        if (var->size == 0)
            continue;
        if (!gpu_memory_alloc(&gpu->memory, var->size, &mod->var_address[v], err))
            return vdc_fail_prefix(err, "%s: variable %s", m->source_name, var->name);
        if (var->init != NULL &&
            !gpu_memory_write(&gpu->memory, mod->var_address[v], var->init, var->size, "initializer", err))
            return false;
    }
    return true;
}

/* The parse and the compile are the image's, done once for every load of the same text (gpu_image.c); what
 * follows the parse here (variables, then kernels) and every message are as for a load of its own. */
bool gpu_module_load(struct gpu *gpu, const char *text, uint64_t length, const char *source_name,
                     struct gpu_module **out, struct vdc_error *err)
{
    struct gpu_image *image = gpu_image_acquire(&gpu->params, text, length, source_name, err);
    if (image == NULL)
        return false;
    struct gpu_module *mod = vdc_xcalloc(1, sizeof *mod);
    mod->image = image;
    mod->ptx = *image->ptx;
    mod->ptx.source_name = vdc_xstrdup(source_name != NULL ? source_name : "ptx");
    const struct ptx_module *m = &mod->ptx;
    mod->var_address = vdc_xcalloc(m->var_count ? m->var_count : 1, sizeof *mod->var_address);
    mod->kernels = vdc_xcalloc(m->function_count ? m->function_count : 1, sizeof *mod->kernels);
    if (!place_variables(gpu, mod, err) || !gpu_image_compile(image, m, err)) {
        gpu_module_unload(gpu, mod);
        return false;
    }
    for (uint32_t f = 0; f < m->function_count; f++)
        gpu_kernel_instantiate(&image->kernels[f], mod->var_address, &mod->kernels[f]);
    *out = mod;
    return true;
}

void gpu_module_unload(struct gpu *gpu, struct gpu_module *mod)
{
    if (mod == NULL)
        return;
    const struct ptx_module *m = &mod->ptx;
    for (uint32_t v = 0; v < m->var_count; v++)
        if (mod->var_address[v] != 0 && gpu_var_in_device_memory(&m->vars[v])) {
            struct vdc_error ignored;
            gpu_memory_free(&gpu->memory, mod->var_address[v], &ignored);
        }
    for (uint32_t f = 0; f < m->function_count; f++)
        gpu_kernel_release_instance(&mod->kernels[f]);
    free(mod->kernels);
    free(mod->var_address);
    free(mod->ptx.source_name);
    gpu_image_release(mod->image);
    free(mod);
}

const struct ptx_module *gpu_module_ptx(const struct gpu_module *module)
{
    return &module->ptx;
}

bool gpu_module_symbol(const struct gpu_module *module, const char *name, uint64_t *address, uint64_t *size)
{
    const struct ptx_module *m = &module->ptx;
    for (uint32_t v = 0; v < m->var_count; v++)
        if (m->vars[v].function == -1 && strcmp(m->vars[v].name, name) == 0 && gpu_var_in_device_memory(&m->vars[v])) {
            *address = module->var_address[v];
            *size = m->vars[v].size;
            return true;
        }
    return false;
}
