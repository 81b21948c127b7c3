/* A PTX text parsed and compiled once per process: what every GPU that loads the same text shares. */
#ifndef VDC_DEVICES_HIGPU_GPU_IMAGE_H
#define VDC_DEVICES_HIGPU_GPU_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "gpu/gpu_internal.h"

/* Read only once made, but for `kernels`, compiled at the first load that places its variables; counted by its
 * loads (gpu_module), freed with the last. */
struct gpu_image {
    struct gpu_image *next;      /* the images alive */
    char *text;                  /* the key: the text's bytes... */
    uint64_t length;
    struct gpu_params params;    /* ...and the parameters the compile reads (gpu_compile_params_equal) */
    struct ptx_module *ptx;      /* parsed and analysed; its source_name is the first load's */
    struct gpu_kernel *kernels;  /* one per function (zero for a .func), NULL until compiled */
    uint32_t users;
};

/* The image of `text` for a GPU of parameters `params`: one alive with the same bytes and compile parameters (a
 * further user of it), else the text parsed now. NULL with the parser's message, naming `source_name`, when it
 * does not parse: a failed text is never kept, so every load of it fails with its own message. */
struct gpu_image *gpu_image_acquire(const struct gpu_params *params, const char *text, uint64_t length,
                                    const char *source_name, struct vdc_error *err);
/* Compiles the image's kernels unless an earlier load did; `view` is the loading module (the image's under its
 * name), which a compile error names. False with that message; the next load tries again and fails alike. */
bool gpu_image_compile(struct gpu_image *image, const struct ptx_module *view, struct vdc_error *err);
/* One user fewer; the last frees it. */
void gpu_image_release(struct gpu_image *image);
/* Images alive in the process (for tests). */
uint32_t gpu_image_count(void);

#endif
