/* gpu-streams: two streams of one GPU, a kernel on one and a copy on the other. Each is timed alone, then both are
 * started together: they overlap (the GPU's compute engine and a copy engine work at once), so the pair takes about
 * the longer of the two, not their sum. Then the order across streams: a copy of the kernel's output on the second
 * stream, queued while the kernel runs on the first, reads it before the kernel has written it; after the second
 * stream waits for an event recorded on the first behind the kernel, the same copy reads every value. Prints the
 * times and what each copy read; exits 1 when the streams did not overlap or the ordered copy read a wrong value. */
#include "vdc_gpu.h"
#include "vdc_guest.h"

VDC_PTX_DECLARE(fma_bound);

#define THREADS (132u * 128u)
#define COPY_BYTES (512u << 10)

static int fail(struct gpu_device *gpu, const char *what)
{
    printf("gpu-streams: %s: %s\n", what, gpu_error_text(gpu));
    return 1;
}

struct kernel_args {
    uint64_t out;
    float a, b;
    int32_t iters;
} __attribute__((packed));

static int launch_kernel(struct gpu_device *gpu, uint32_t stream, struct gpu_module_handle module, uint64_t out)
{
    struct kernel_args args = {out, 0.5f, 1.0f, 100};
    return gpu_launch_async(gpu, stream, module, "fma_bound", (struct gpu_dim3){THREADS / 128, 1, 1},
                            (struct gpu_dim3){128, 1, 1}, 0, &args, sizeof args);
}

static void print_us(const char *what, uint64_t ps)
{
    printf("%s: %llu.%03llu us\n", what, (unsigned long long)(ps / 1000000), (unsigned long long)(ps / 1000 % 1000));
}

/* Values of the kernel's output the host got that the kernel has written (it writes no zeros: every chain ends
 * near b / (1 - a) = 2). */
static uint32_t written(const float *values)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < THREADS; i++)
        n += values[i] > 1.0f;
    return n;
}

int main(void);
int main(void)
{
    int status;
    struct gpu_device *gpu = vdc_gpu_open(0, &status);
    if (gpu == NULL) {
        printf("gpu-streams: %s\n", gpu_status_name(status));
        return 1;
    }
    struct gpu_module_handle module;
    uint64_t out, buffer;
    uint32_t compute, copy, e[4];
    uint8_t *host = vdc_alloc(COPY_BYTES, 64);
    float *values = vdc_alloc(THREADS * sizeof(float), 64);
    if (gpu_module_load(gpu, &module, VDC_PTX_TEXT(fma_bound), VDC_PTX_LENGTH(fma_bound)) != GPU_SUCCESS ||
        gpu_malloc(gpu, &out, THREADS * sizeof(float)) != GPU_SUCCESS ||
        gpu_malloc(gpu, &buffer, COPY_BYTES) != GPU_SUCCESS || gpu_stream_create(gpu, &compute) != GPU_SUCCESS ||
        gpu_stream_create(gpu, &copy) != GPU_SUCCESS)
        return fail(gpu, "set-up");
    for (int i = 0; i < 4; i++)
        gpu_event_create(gpu, &e[i]);
    memset(host, 7, COPY_BYTES);
    printf("streams %u and %u\n", compute, copy);

    /* Each alone. */
    uint64_t kernel_ps, copy_ps, both_ps;
    gpu_event_record_on(gpu, e[0], compute);
    launch_kernel(gpu, compute, module, out);
    gpu_event_record_on(gpu, e[1], compute);
    if (gpu_event_elapsed_ps(gpu, e[0], e[1], &kernel_ps) != GPU_SUCCESS)
        return fail(gpu, "kernel alone");
    gpu_event_record_on(gpu, e[0], copy);
    gpu_memcpy_h2d_async(gpu, copy, buffer, host, COPY_BYTES);
    gpu_event_record_on(gpu, e[1], copy);
    if (gpu_event_elapsed_ps(gpu, e[0], e[1], &copy_ps) != GPU_SUCCESS)
        return fail(gpu, "copy alone");
    print_us("kernel alone", kernel_ps);
    print_us("copy alone", copy_ps);

    /* Both at once. Both streams first wait for a gate, an event recorded on the default stream behind a copy
     * long enough for every command below to be queued by then (each takes the guest an MMIO exit); then the copy
     * stream starts with the compute stream's first event, and the compute stream ends after the copy stream's
     * last. */
    uint32_t gate;
    gpu_event_create(gpu, &gate);
    gpu_memcpy_h2d_async(gpu, 0, buffer, host, COPY_BYTES);
    gpu_memcpy_h2d_async(gpu, 0, buffer, host, COPY_BYTES);
    gpu_event_record_on(gpu, gate, 0);
    gpu_stream_wait_event(gpu, compute, gate);
    gpu_stream_wait_event(gpu, copy, gate);
    gpu_event_record_on(gpu, e[0], compute);
    gpu_stream_wait_event(gpu, copy, e[0]);
    launch_kernel(gpu, compute, module, out);
    gpu_memcpy_h2d_async(gpu, copy, buffer, host, COPY_BYTES);
    gpu_event_record_on(gpu, e[2], copy);
    gpu_stream_wait_event(gpu, compute, e[2]);
    gpu_event_record_on(gpu, e[1], compute);
    if (gpu_event_elapsed_ps(gpu, e[0], e[1], &both_ps) != GPU_SUCCESS)
        return fail(gpu, "both");
    print_us("kernel and copy on two streams", both_ps);
    uint64_t longer = kernel_ps > copy_ps ? kernel_ps : copy_ps;
    int overlapped = both_ps < kernel_ps + copy_ps;
    printf("overlap: %s (%llu%% of the sum, %llu%% of the longer)\n", overlapped ? "yes" : "NO",
           (unsigned long long)(both_ps * 100 / (kernel_ps + copy_ps)), (unsigned long long)(both_ps * 100 / longer));

    /* Order across streams. */
    if (gpu_memset(gpu, out, 0, THREADS * sizeof(float)) != GPU_SUCCESS)
        return fail(gpu, "memset");
    launch_kernel(gpu, compute, module, out);
    gpu_memcpy_d2h_async(gpu, copy, values, out, THREADS * sizeof(float));
    if (gpu_synchronize(gpu) != GPU_SUCCESS)
        return fail(gpu, "unordered copy");
    uint32_t early = written(values);
    printf("copy queued beside the kernel, no event: %u of %u values written when it read them\n", early, THREADS);
    gpu_memset(gpu, out, 0, THREADS * sizeof(float));
    launch_kernel(gpu, compute, module, out);
    gpu_event_record_on(gpu, e[3], compute);
    gpu_stream_wait_event(gpu, copy, e[3]);
    gpu_memcpy_d2h_async(gpu, copy, values, out, THREADS * sizeof(float));
    if (gpu_synchronize(gpu) != GPU_SUCCESS)
        return fail(gpu, "ordered copy");
    uint32_t ordered = written(values);
    printf("copy after waiting for the kernel's event: %u of %u values written when it read them\n", ordered,
           THREADS);
    return overlapped && ordered == THREADS ? 0 : 1;
}
