/* The guest GPU runtime: a CUDA-runtime-like API over HiGPU's command queues (guest/runtime/gpu.c). Copies,
 * allocation and module calls wait for their completion; launches, event records and the _async calls are queued,
 * and gpu_synchronize waits for everything (one simctl WAIT per wait, on the GPU's cause). Streams are queues of
 * their own: each runs in order, side by side with the others as the GPU's engines allow (a copy beside a kernel),
 * ordered across streams only by events; the default stream (0) does not wait for the others (CUDA's
 * non-blocking streams). */
#ifndef VDC_GUEST_GPU_H
#define VDC_GUEST_GPU_H

#include <stdint.h>

#include "../../src/devices/higpu/higpu_regs.h"

/* Results: 0 or an enum higpu_status, or one of these (the runtime's own). */
enum {
    GPU_SUCCESS = 0,
    GPU_ERROR_NO_DEVICE = 100, /* no "vdc,higpu" node, or a device that does not answer as HiGPU */
    GPU_ERROR_INVALID = 101,   /* an argument the runtime refuses before the device sees it */
    GPU_ERROR_NO_MEMORY = 102, /* guest memory for the rings ran out */
};

#define GPU_QUEUE_ENTRIES 64
#define GPU_MAX_DEVICES 8

/* A stream: one of the device's command queues. */
struct gpu_stream_queue {
    struct higpu_command *queue;   /* NULL: not set up */
    struct higpu_completion *completions;
    char (*names)[HIGPU_MAX_NAME + 1];              /* per ring slot: a queued launch's kernel name */
    uint8_t (*params)[HIGPU_MAX_PARAMS];            /* and its parameters, read by the device when it starts */
    uint32_t producer, consumed;
    int sticky_error;              /* the first error of a queued command, returned by a synchronize */
    uint32_t sticky_index;         /* that command's index */
    struct higpu_completion last;  /* the last completion a waiting call returned */
};

struct gpu_device {
    volatile uint64_t *regs;
    uint64_t cause_mask;
    int index;
    const char *node_name;         /* the device-tree node, "higpu@c0002000" */
    struct gpu_stream_queue streams[HIGPU_MAX_QUEUES];
    uint32_t streams_used;
    char *message;                 /* the device's text for the last error completion */
    uint64_t *event_times;         /* HIGPU_MAX_EVENTS slots: EVENT_RECORD writes the time here (ps) */
    uint32_t event_records[HIGPU_MAX_EVENTS]; /* records queued per event: the sequence a wait waits for */
    uint32_t events_used;
    uint32_t tag;
    char error_text[256];          /* the message of the last error */
    /* Called while the program waits for the GPU (gpu_set_progress), never from inside itself. */
    int (*progress)(void *context);
    void *progress_context;
    int in_progress;
};

struct gpu_module_handle {
    uint32_t handle;
};

struct gpu_dim3 {
    uint32_t x, y, z;
};

/* Work the program must keep doing while it waits for the GPU, as a CUDA program's helper thread would (a
 * collective's network proxy): while any wait of this runtime finds its command not done, it calls `progress`
 * (which may itself use the GPU); while that returns nonzero (work is outstanding) the wait sleeps at most a
 * microsecond of virtual time between calls, else until the GPU's cause, so that an idle helper keeps no time
 * going. NULL stops it. */
void gpu_set_progress(struct gpu_device *gpu, int (*progress)(void *context), void *context);

/* How many HiGPUs the device tree lists. */
int vdcGetDeviceCount(void);

/* Opens GPU `index` (0 for the first): checks its identity, sets up its command queue. NULL with *status set
 * when there is none. */
struct gpu_device *vdc_gpu_open(int index, int *status);

/* The text of the last error: the device's message ("tag N: ..."), or the runtime's. */
const char *gpu_error_text(const struct gpu_device *gpu);
const char *gpu_status_name(int status);

int gpu_malloc(struct gpu_device *gpu, uint64_t *device_address, uint64_t size);
int gpu_free(struct gpu_device *gpu, uint64_t device_address);
int gpu_memcpy_h2d(struct gpu_device *gpu, uint64_t device_address, const void *src, uint64_t length);
int gpu_memcpy_d2h(struct gpu_device *gpu, void *dst, uint64_t device_address, uint64_t length);
int gpu_memcpy_d2d(struct gpu_device *gpu, uint64_t dst, uint64_t src, uint64_t length);
int gpu_memset(struct gpu_device *gpu, uint64_t device_address, uint8_t value, uint64_t length);
int gpu_query(struct gpu_device *gpu, struct higpu_info *info);

/* HiLink peers (GPUs on this GPU's peer fabric, by place; QUERY gives its own place and the fabric's GPUs): lets
 * this GPU's kernels reach the peer's memory, or stops them; copies `length` bytes between this GPU's memory and a
 * peer's, either way (a peer's memory lies at its own place of the shared address space). */
int gpu_peer_access(struct gpu_device *gpu, uint32_t place, int enable);
int gpu_memcpy_peer(struct gpu_device *gpu, uint64_t dst, uint64_t src, uint64_t length);

/* IPC: a handle for an allocation (its start address) that a peer GPU on the same HiLink fabric can open, getting
 * the allocation's address in the exporter's memory (and peer access to it); valid until the allocation is freed.
 * Handles travel between GPUs as mailbox messages: up to HIGPU_MAIL_BYTES to the GPU at `place`; a receive waits
 * for the oldest message that has landed and says who sent it. */
int gpu_ipc_get_handle(struct gpu_device *gpu, uint64_t device_address, uint64_t *handle);
int gpu_ipc_open_handle(struct gpu_device *gpu, uint64_t handle, uint64_t *device_address, uint64_t *size);
int gpu_mail_send(struct gpu_device *gpu, uint32_t place, const void *data, uint32_t length);
int gpu_mail_recv(struct gpu_device *gpu, void *data, uint32_t *from, uint32_t *length);

/* Loads PTX text (see VDC_PTX below) and finds module-scope variables. */
int gpu_module_load(struct gpu_device *gpu, struct gpu_module_handle *module, const char *ptx, uint64_t length);
int gpu_module_unload(struct gpu_device *gpu, struct gpu_module_handle module);
int gpu_module_symbol(struct gpu_device *gpu, struct gpu_module_handle module, const char *name, uint64_t *address,
                      uint64_t *size);

/* Queues a launch of kernel `name` with its parameter buffer laid out as the kernel's .param list (pointers are
 * 8-byte device addresses). Errors of the launch itself come from gpu_synchronize. */
int gpu_launch(struct gpu_device *gpu, struct gpu_module_handle module, const char *name, struct gpu_dim3 grid,
               struct gpu_dim3 block, uint32_t shared_bytes, const void *params, uint32_t params_length);

/* Waits for every queued command of every stream; returns the first error among them (and forgets it), else 0. */
int gpu_synchronize(struct gpu_device *gpu);

/* Streams: gpu_stream_create sets up the next of the device's queues (1 to HIGPU_MAX_QUEUES - 1) and returns its
 * number; 0 is the default stream, which the calls without a stream use. The _async calls queue their command and
 * return; a buffer of guest memory they name must stay as it is until the stream has got past it. */
int gpu_stream_create(struct gpu_device *gpu, uint32_t *stream);
int gpu_stream_synchronize(struct gpu_device *gpu, uint32_t stream);
int gpu_launch_async(struct gpu_device *gpu, uint32_t stream, struct gpu_module_handle module, const char *name,
                     struct gpu_dim3 grid, struct gpu_dim3 block, uint32_t shared_bytes, const void *params,
                     uint32_t params_length);
int gpu_memcpy_h2d_async(struct gpu_device *gpu, uint32_t stream, uint64_t device_address, const void *src,
                         uint64_t length);
int gpu_memcpy_d2h_async(struct gpu_device *gpu, uint32_t stream, void *dst, uint64_t device_address,
                         uint64_t length);
int gpu_memcpy_d2d_async(struct gpu_device *gpu, uint32_t stream, uint64_t dst, uint64_t src, uint64_t length);
int gpu_memset_async(struct gpu_device *gpu, uint32_t stream, uint64_t device_address, uint8_t value,
                     uint64_t length);
int gpu_memcpy_peer_async(struct gpu_device *gpu, uint32_t stream, uint64_t dst, uint64_t src, uint64_t length);
/* Records `event` on `stream` (cudaEventRecord); makes `stream`'s later commands wait until the event's latest
 * record (queued before this call, on any stream) has been reached (cudaStreamWaitEvent; none yet: no wait). */
int gpu_event_record_on(struct gpu_device *gpu, uint32_t event, uint32_t stream);
int gpu_stream_wait_event(struct gpu_device *gpu, uint32_t stream, uint32_t event);

/* Events: a slot whose record takes the virtual time at which the queue reached it. */
int gpu_event_create(struct gpu_device *gpu, uint32_t *event);
int gpu_event_record(struct gpu_device *gpu, uint32_t event);
/* Picoseconds between two recorded events (waits for both). */
int gpu_event_elapsed_ps(struct gpu_device *gpu, uint32_t start, uint32_t stop, uint64_t *ps);

/* PTX embedded in a guest program: the build turns guest/kernels/NAME.ptx into the NUL-terminated text
 * vdc_ptx_NAME (hyphens become underscores) in libkernels.a. */
#define VDC_PTX_DECLARE(name) extern const char vdc_ptx_##name[], vdc_ptx_##name##_end[]
#define VDC_PTX_TEXT(name) (vdc_ptx_##name)
#define VDC_PTX_LENGTH(name) ((uint64_t)(vdc_ptx_##name##_end - vdc_ptx_##name))

#endif
