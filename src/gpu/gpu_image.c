/* The process's PTX images: each distinct text (and compile parameters) parsed, analysed and compiled once. */
#include <stdlib.h>
#include <string.h>

#include "gpu/gpu_image.h"

/* A simulation runs on one thread, so the list needs no lock. It holds few images (the kernel files guests
 * load), so a lookup goes through it comparing bytes: a hit is exact, never a hash's guess. The order of the list
 * changes nothing but the lookup's time. */
static struct gpu_image *images;

static bool same_key(const struct gpu_image *im, const struct gpu_params *params, const char *text, uint64_t length)
{
    return im->length == length && gpu_compile_params_equal(&im->params, params) &&
           memcmp(im->text, text, length) == 0;
}

struct gpu_image *gpu_image_acquire(const struct gpu_params *params, const char *text, uint64_t length,
                                    const char *source_name, struct vdc_error *err)
{
    for (struct gpu_image *im = images; im != NULL; im = im->next)
        if (same_key(im, params, text, length)) {
            im->users++;
            return im;
        }
    struct ptx_module *ptx = ptx_module_parse(text, length, source_name, err);
    if (ptx == NULL)
        return NULL;
    struct gpu_image *im = vdc_xcalloc(1, sizeof *im);
    im->text = vdc_xmalloc(length ? length : 1);
    memcpy(im->text, text, length);
    im->length = length;
    im->params = *params;
    im->ptx = ptx;
    im->users = 1;
    im->next = images;
    images = im;
    return im;
}

static void release_kernels(struct gpu_kernel *kernels, uint32_t count)
{
    for (uint32_t f = 0; f < count; f++)
        gpu_kernel_release(&kernels[f]);
    free(kernels);
}

bool gpu_image_compile(struct gpu_image *image, const struct ptx_module *view, struct vdc_error *err)
{
    if (image->kernels != NULL)
        return true;
    const struct ptx_module *m = image->ptx;
    struct gpu_kernel *kernels = vdc_xcalloc(m->function_count ? m->function_count : 1, sizeof *kernels);
    for (uint32_t f = 0; f < m->function_count; f++)
        if (m->functions[f].is_entry && !gpu_kernel_compile(&image->params, view, f, &kernels[f], err)) {
            release_kernels(kernels, m->function_count);
            return false;
        }
    image->kernels = kernels;
    return true;
}

void gpu_image_release(struct gpu_image *image)
{
    if (image == NULL || --image->users > 0)
        return;
    struct gpu_image **link = &images;
    while (*link != image)
        link = &(*link)->next;
    *link = image->next;
    if (image->kernels != NULL)
        release_kernels(image->kernels, image->ptx->function_count);
    ptx_module_free(image->ptx);
    free(image->text);
    free(image);
}

uint32_t gpu_image_count(void)
{
    uint32_t n = 0;
    for (const struct gpu_image *im = images; im != NULL; im = im->next)
        n++;
    return n;
}
