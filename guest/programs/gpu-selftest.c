/* gpu-selftest [copies] [BYTES]: drives this guest's first HiGPU through the runtime: copies round trip (host to
 * device, device to device, memset, device to host) with their bytes checked and their time measured with events,
 * a refusal with the device's message, and (unless "copies" is given) a vector add kernel whose results are
 * checked against the CPU's. */
#include "vdc_gpu.h"
#include "vdc_guest.h"

VDC_PTX_DECLARE(vector_add);

static int failures;

static void check(int ok, const char *what)
{
    printf("%-40s %s\n", what, ok ? "OK" : "FAILED");
    failures += !ok;
}

static void copies(struct gpu_device *gpu, uint64_t n)
{
    uint8_t *src = vdc_alloc(n, 64), *dst = vdc_alloc(n, 64);
    if (src == NULL || dst == NULL) {
        check(0, "guest buffers");
        return;
    }
    for (uint64_t i = 0; i < n; i++)
        src[i] = (uint8_t)(i * 7 + (i >> 8));
    uint64_t a, b;
    check(gpu_malloc(gpu, &a, n) == GPU_SUCCESS && gpu_malloc(gpu, &b, n) == GPU_SUCCESS, "allocate 2 buffers");
    uint32_t start, stop;
    gpu_event_create(gpu, &start);
    gpu_event_create(gpu, &stop);
    gpu_event_record(gpu, start);
    int status = gpu_memcpy_h2d(gpu, a, src, n);
    gpu_event_record(gpu, stop);
    uint64_t ps = 0;
    check(status == GPU_SUCCESS && gpu_event_elapsed_ps(gpu, start, stop, &ps) == GPU_SUCCESS, "copy host to device");
    printf("host to device: %llu bytes in %llu.%03llu us\n", (unsigned long long)n,
           (unsigned long long)(ps / 1000000), (unsigned long long)(ps / 1000 % 1000));
    check(gpu_memcpy_d2d(gpu, b, a, n) == GPU_SUCCESS, "copy device to device");
    check(gpu_memset(gpu, b, 0x5A, 16) == GPU_SUCCESS, "memset 16 bytes");
    check(gpu_memcpy_d2h(gpu, dst, b, n) == GPU_SUCCESS, "copy device to host");
    int same = 1;
    for (uint64_t i = 0; i < n; i++)
        same &= dst[i] == (i < 16 ? 0x5A : src[i]);
    check(same, "copies: bytes round trip");
    status = gpu_free(gpu, a + 8);
    check(status == HIGPU_STATUS_BAD_HANDLE, "free of a bad address is refused");
    printf("device says: %s\n", gpu_error_text(gpu));
    check(gpu_free(gpu, a) == GPU_SUCCESS && gpu_free(gpu, b) == GPU_SUCCESS, "free 2 buffers");
}

static void vector_add(struct gpu_device *gpu)
{
    struct gpu_module_handle module;
    int status = gpu_module_load(gpu, &module, VDC_PTX_TEXT(vector_add), VDC_PTX_LENGTH(vector_add));
    if (status != GPU_SUCCESS) {
        printf("vector_add: module not loaded: %s\n", gpu_error_text(gpu));
        failures++;
        return;
    }
    const uint32_t n = 10000;
    float *a = vdc_alloc(n * sizeof(float), 64), *b = vdc_alloc(n * sizeof(float), 64),
          *c = vdc_alloc(n * sizeof(float), 64);
    for (uint32_t i = 0; i < n; i++) {
        a[i] = (float)i * 0.5f;
        b[i] = 1.0f / (float)(i + 1);
    }
    uint64_t da, db, dc;
    gpu_malloc(gpu, &da, n * sizeof(float));
    gpu_malloc(gpu, &db, n * sizeof(float));
    gpu_malloc(gpu, &dc, n * sizeof(float));
    gpu_memcpy_h2d(gpu, da, a, n * sizeof(float));
    gpu_memcpy_h2d(gpu, db, b, n * sizeof(float));
    struct {
        uint64_t a, b, c;
        uint32_t n;
    } params = {da, db, dc, n};
    uint32_t start, stop;
    gpu_event_create(gpu, &start);
    gpu_event_create(gpu, &stop);
    gpu_event_record(gpu, start);
    gpu_launch(gpu, module, "vector_add", (struct gpu_dim3){(n + 255) / 256, 1, 1}, (struct gpu_dim3){256, 1, 1}, 0,
               &params, 28);
    gpu_event_record(gpu, stop);
    uint64_t ps = 0;
    status = gpu_event_elapsed_ps(gpu, start, stop, &ps);
    if (status != GPU_SUCCESS) {
        printf("vector_add: %s: %s\n", gpu_status_name(status), gpu_error_text(gpu));
        failures++;
        return;
    }
    gpu_memcpy_d2h(gpu, c, dc, n * sizeof(float));
    int same = 1;
    for (uint32_t i = 0; i < n; i++)
        same &= c[i] == a[i] + b[i];
    check(same, "vector_add: results equal the CPU's");
    printf("vector_add: %u elements in %llu.%03llu us\n", n, (unsigned long long)(ps / 1000000),
           (unsigned long long)(ps / 1000 % 1000));
    gpu_module_unload(gpu, module);
}

static int starts_with(const char *s, const char *prefix)
{
    while (*prefix != '\0' && *s == *prefix)
        s++, prefix++;
    return *prefix == '\0';
}

int main(void);
int main(void)
{
    int status;
    struct gpu_device *gpu = vdc_gpu_open(0, &status);
    if (gpu == NULL) {
        printf("gpu-selftest: %s\n", gpu_status_name(status));
        return 1;
    }
    uint64_t n = 1 << 20;
    int kernels = 1;
    for (const char *arg = vdc_bootargs(); *arg != '\0';) {
        if (starts_with(arg, "copies"))
            kernels = 0;
        else if (*arg >= '0' && *arg <= '9')
            n = strtoul(arg, NULL, 0);
        while (*arg != '\0' && *arg != ' ')
            arg++;
        while (*arg == ' ')
            arg++;
    }
    copies(gpu, n ? n : 1);
    if (kernels)
        vector_add(gpu);
    printf("gpu-selftest: %s\n", failures ? "FAILED" : "passed");
    return failures ? 1 : 0;
}
