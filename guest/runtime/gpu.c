/* Guest GPU runtime: finds HiGPUs in the device tree, keeps a GPU's command queues (its streams) in guest memory, and
 * waits for completions by polling them and then one simctl WAIT on the GPU's cause. */
#include <libfdt.h>

#include "vdc_gpu.h"
#include "vdc_guest.h"

/* The device reads the ring during later exits: stores must be in memory before the doorbell, and loads of
 * completions must not be cached across a WAIT. */
#define gpu_barrier() __asm__ volatile("" ::: "memory")
/* A wait with progress work (gpu_set_progress) sleeps at most this long between calls. */
#define GPU_PROGRESS_NS 1000

static struct gpu_device devices[GPU_MAX_DEVICES];

static uint64_t reg_read(struct gpu_device *gpu, unsigned offset)
{
    gpu_barrier();
    uint64_t value = gpu->regs[offset / 8];
    gpu_barrier();
    return value;
}

static void reg_write(struct gpu_device *gpu, unsigned offset, uint64_t value)
{
    gpu_barrier();
    gpu->regs[offset / 8] = value;
    gpu_barrier();
}

/* The device-tree node of the index-th HiGPU, or a negative number. */
static int device_node(int index)
{
    const void *fdt = vdc_device_tree();
    int node = -1;
    for (int i = 0; i <= index; i++) {
        node = fdt_node_offset_by_compatible(fdt, node, "vdc,higpu");
        if (node < 0)
            return node;
    }
    return node;
}

int vdcGetDeviceCount(void)
{
    int count = 0;
    while (count < GPU_MAX_DEVICES && device_node(count) >= 0)
        count++;
    return count;
}

static int fail(struct gpu_device *gpu, int status, const char *text)
{
    if (gpu != NULL)
        snprintf(gpu->error_text, sizeof gpu->error_text, "%s", text);
    return status;
}

/* Queue q's register (its block; queue 0's are the same registers). */
static unsigned queue_reg(uint32_t q, unsigned reg)
{
    return HIGPU_REG_QUEUES + q * HIGPU_QUEUE_STRIDE + reg;
}

/* Queue 0's launch buffers (the default stream, set up with the device, without taking guest heap). */
static char default_names[GPU_MAX_DEVICES][GPU_QUEUE_ENTRIES][HIGPU_MAX_NAME + 1];
static _Alignas(16) uint8_t default_params[GPU_MAX_DEVICES][GPU_QUEUE_ENTRIES][HIGPU_MAX_PARAMS];

/* The rings of the device's queue q in guest memory, and its launch buffers. */
static int queue_alloc(struct gpu_device *gpu, uint32_t q)
{
    struct gpu_stream_queue *s = &gpu->streams[q];
    size_t ring = GPU_QUEUE_ENTRIES * sizeof(struct higpu_command);
    s->queue = vdc_alloc(ring, 4096);
    s->completions = vdc_alloc(ring, 4096);
    s->names = q == 0 ? default_names[gpu->index] : vdc_alloc(GPU_QUEUE_ENTRIES * sizeof *s->names, 64);
    s->params = q == 0 ? default_params[gpu->index] : vdc_alloc(GPU_QUEUE_ENTRIES * sizeof *s->params, 64);
    if (s->queue == NULL || s->completions == NULL || s->names == NULL || s->params == NULL) {
        s->queue = NULL;
        return GPU_ERROR_NO_MEMORY;
    }
    return GPU_SUCCESS;
}

/* Points the device's queue q at its rings and turns it on. */
static int queue_start(struct gpu_device *gpu, uint32_t q)
{
    struct gpu_stream_queue *s = &gpu->streams[q];
    reg_write(gpu, queue_reg(q, HIGPU_QREG_SIZE), 0);
    reg_write(gpu, queue_reg(q, HIGPU_QREG_BASE), (uint64_t)(uintptr_t)s->queue);
    reg_write(gpu, queue_reg(q, HIGPU_QREG_COMPLETION_BASE), (uint64_t)(uintptr_t)s->completions);
    if (q == 0) { /* the device's message buffer, with its first queue */
        reg_write(gpu, HIGPU_REG_MESSAGE_BASE, (uint64_t)(uintptr_t)gpu->message);
        reg_write(gpu, HIGPU_REG_MESSAGE_SIZE, 256);
    }
    reg_write(gpu, queue_reg(q, HIGPU_QREG_SIZE), GPU_QUEUE_ENTRIES);
    if (reg_read(gpu, queue_reg(q, HIGPU_QREG_SIZE)) != GPU_QUEUE_ENTRIES) {
        s->queue = NULL;
        return GPU_ERROR_NO_DEVICE;
    }
    return GPU_SUCCESS;
}

struct gpu_device *vdc_gpu_open(int index, int *status)
{
    *status = GPU_ERROR_NO_DEVICE;
    if (index < 0 || index >= GPU_MAX_DEVICES)
        return NULL;
    struct gpu_device *gpu = &devices[index];
    if (gpu->regs != NULL) {
        *status = GPU_SUCCESS;
        return gpu;
    }
    const void *fdt = vdc_device_tree();
    int node = device_node(index), len;
    const fdt64_t *reg = node < 0 ? NULL : fdt_getprop(fdt, node, "reg", &len);
    if (reg == NULL || len < 16 || fdt64_to_cpu(reg[1]) < HIGPU_BAR_SIZE)
        return NULL;
    gpu->regs = (volatile uint64_t *)(uintptr_t)fdt64_to_cpu(reg[0]);
    if (reg_read(gpu, HIGPU_REG_ID) != HIGPU_MAGIC || (gpu->cause_mask = reg_read(gpu, HIGPU_REG_CAUSE)) == 0) {
        gpu->regs = NULL; /* nothing would end a wait for its completions */
        return NULL;
    }
    gpu->index = index;
    gpu->node_name = fdt_get_name(fdt, node, NULL);
    int status_of_queue = queue_alloc(gpu, 0);
    gpu->message = vdc_alloc(256, 64);
    gpu->event_times = vdc_alloc(HIGPU_MAX_EVENTS * sizeof(uint64_t), 64);
    if (status_of_queue != GPU_SUCCESS || gpu->message == NULL || gpu->event_times == NULL) {
        gpu->regs = NULL;
        *status = GPU_ERROR_NO_MEMORY;
        return NULL;
    }
    if (queue_start(gpu, 0) != GPU_SUCCESS) {
        gpu->regs = NULL;
        return NULL;
    }
    gpu->streams_used = 1;
    *status = GPU_SUCCESS;
    return gpu;
}

const char *gpu_error_text(const struct gpu_device *gpu)
{
    return gpu->error_text;
}

const char *gpu_status_name(int status)
{
    static const char *const names[] = {"success", "bad command", "bad guest address", "bad device address",
                                        "out of device memory", "bad handle", "PTX error", "launch error",
                                        "GPU fault", "no such peer", "kernel timeout", "peer timeout"};
    if (status >= 0 && status < (int)(sizeof names / sizeof names[0]))
        return names[status];
    switch (status) {
    case GPU_ERROR_NO_DEVICE: return "no GPU";
    case GPU_ERROR_INVALID: return "invalid argument";
    case GPU_ERROR_NO_MEMORY: return "out of guest memory";
    default: return "unknown status";
    }
}

static struct higpu_completion *completion_at(struct gpu_stream_queue *s, uint32_t index)
{
    return &s->completions[index % GPU_QUEUE_ENTRIES];
}

static int completed(struct gpu_stream_queue *s, uint32_t index)
{
    gpu_barrier();
    return (completion_at(s, index)->flags & HIGPU_COMPLETION_OWNER) == 1 - ((index / GPU_QUEUE_ENTRIES) & 1);
}

/* Waits for the oldest command of the stream not yet consumed; keeps its completion, and its error if it is the
 * stream's first. */
static void consume_one(struct gpu_device *gpu, struct gpu_stream_queue *s)
{
    uint32_t index = s->consumed;
    /* A cause raised since the last WAIT is kept by simctl, so looking first loses no wake-up. */
    while (!completed(s, index)) {
        if (gpu->progress == NULL || gpu->in_progress) {
            vdc_wait(0, gpu->cause_mask);
            continue;
        }
        gpu->in_progress = 1;
        int busy = gpu->progress(gpu->progress_context);
        gpu->in_progress = 0;
        if (!completed(s, index))
            vdc_wait(busy ? vdc_clock_ns() + GPU_PROGRESS_NS : 0, gpu->cause_mask);
    }
    s->last = *completion_at(s, index);
    s->consumed++;
    if (s->last.status != HIGPU_STATUS_OK && s->sticky_error == GPU_SUCCESS) {
        s->sticky_error = s->last.status;
        s->sticky_index = index;
        snprintf(gpu->error_text, sizeof gpu->error_text, "%s", gpu->message);
    }
}

void gpu_set_progress(struct gpu_device *gpu, int (*progress)(void *context), void *context)
{
    gpu->progress = progress;
    gpu->progress_context = context;
}

/* The stream's queue, or NULL (with the runtime's error) when it was never created. */
static struct gpu_stream_queue *stream_of(struct gpu_device *gpu, uint32_t stream)
{
    if (stream < gpu->streams_used && gpu->streams[stream].queue != NULL)
        return &gpu->streams[stream];
    fail(gpu, GPU_ERROR_INVALID, "stream was not created");
    return NULL;
}

/* A free slot of the stream's ring (consuming completions until there is one): its index. */
static uint32_t reserve(struct gpu_device *gpu, struct gpu_stream_queue *s)
{
    while (s->producer - s->consumed >= GPU_QUEUE_ENTRIES)
        consume_one(gpu, s);
    return s->producer;
}

static uint32_t submit(struct gpu_device *gpu, uint32_t stream, struct higpu_command *c)
{
    struct gpu_stream_queue *s = &gpu->streams[stream];
    uint32_t index = reserve(gpu, s);
    s->producer++;
    c->tag = ++gpu->tag;
    s->queue[index % GPU_QUEUE_ENTRIES] = *c;
    reg_write(gpu, queue_reg(stream, HIGPU_QREG_DOORBELL), s->producer);
    return index;
}

/* Runs one command of the default stream to completion: earlier queued ones complete first (their errors stay for
 * gpu_synchronize). */
static int run(struct gpu_device *gpu, struct higpu_command c, struct higpu_completion *out)
{
    struct gpu_stream_queue *s = &gpu->streams[0];
    uint32_t index = submit(gpu, 0, &c);
    while (s->consumed != index + 1)
        consume_one(gpu, s);
    int status = s->last.status;
    if (status != GPU_SUCCESS) {
        snprintf(gpu->error_text, sizeof gpu->error_text, "%s", gpu->message);
        if (s->sticky_error != GPU_SUCCESS && s->sticky_index == index)
            s->sticky_error = GPU_SUCCESS; /* reported here, not again by gpu_synchronize */
    }
    if (out != NULL)
        *out = s->last;
    return status;
}

/* Queues a command on a stream. */
static int queue_on(struct gpu_device *gpu, uint32_t stream, struct higpu_command c)
{
    if (stream_of(gpu, stream) == NULL)
        return GPU_ERROR_INVALID;
    submit(gpu, stream, &c);
    return GPU_SUCCESS;
}

int gpu_malloc(struct gpu_device *gpu, uint64_t *device_address, uint64_t size)
{
    struct higpu_completion done;
    int status = run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_MEM_ALLOC, .alloc.size = size}, &done);
    *device_address = status == GPU_SUCCESS ? done.result : 0;
    return status;
}

int gpu_free(struct gpu_device *gpu, uint64_t device_address)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_MEM_FREE, .free.address = device_address}, NULL);
}

int gpu_memcpy_h2d(struct gpu_device *gpu, uint64_t device_address, const void *src, uint64_t length)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_COPY_H2D,
                                           .copy = {(uint64_t)(uintptr_t)src, device_address, length}}, NULL);
}

int gpu_memcpy_d2h(struct gpu_device *gpu, void *dst, uint64_t device_address, uint64_t length)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2H,
                                           .copy = {device_address, (uint64_t)(uintptr_t)dst, length}}, NULL);
}

int gpu_memcpy_d2d(struct gpu_device *gpu, uint64_t dst, uint64_t src, uint64_t length)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2D, .copy = {src, dst, length}}, NULL);
}

int gpu_memset(struct gpu_device *gpu, uint64_t device_address, uint8_t value, uint64_t length)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_MEMSET,
                                           .memset = {.address = device_address, .length = length, .value = value}},
               NULL);
}

int gpu_peer_access(struct gpu_device *gpu, uint32_t place, int enable)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_PEER_ACCESS,
                                           .peer = {.place = place, .enable = enable ? 1 : 0}}, NULL);
}

int gpu_memcpy_peer(struct gpu_device *gpu, uint64_t dst, uint64_t src, uint64_t length)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_COPY_PEER, .copy = {src, dst, length}}, NULL);
}

int gpu_ipc_get_handle(struct gpu_device *gpu, uint64_t device_address, uint64_t *handle)
{
    struct higpu_completion done;
    int status = run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_IPC_EXPORT, .ipc.address = device_address},
                     &done);
    *handle = status == GPU_SUCCESS ? done.result : 0;
    return status;
}

int gpu_ipc_open_handle(struct gpu_device *gpu, uint64_t handle, uint64_t *device_address, uint64_t *size)
{
    struct higpu_completion done;
    int status = run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_IPC_IMPORT, .ipc.handle = handle}, &done);
    *device_address = status == GPU_SUCCESS ? done.result : 0;
    if (size != NULL)
        *size = status == GPU_SUCCESS ? done.result2 : 0;
    return status;
}

int gpu_mail_send(struct gpu_device *gpu, uint32_t place, const void *data, uint32_t length)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_MAIL_SEND,
                                           .mail = {(uint64_t)(uintptr_t)data, length, place}}, NULL);
}

int gpu_mail_recv(struct gpu_device *gpu, void *data, uint32_t *from, uint32_t *length)
{
    struct higpu_completion done;
    int status = run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_MAIL_RECV,
                                                 .mail = {(uint64_t)(uintptr_t)data, HIGPU_MAIL_BYTES, 0}}, &done);
    if (from != NULL)
        *from = status == GPU_SUCCESS ? (uint32_t)done.result : 0;
    if (length != NULL)
        *length = status == GPU_SUCCESS ? (uint32_t)done.result2 : 0;
    return status;
}

int gpu_query(struct gpu_device *gpu, struct higpu_info *info)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_QUERY,
                                           .query = {(uint64_t)(uintptr_t)info, sizeof *info}}, NULL);
}

int gpu_module_load(struct gpu_device *gpu, struct gpu_module_handle *module, const char *ptx, uint64_t length)
{
    struct higpu_completion done;
    int status = run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_MODULE_LOAD,
                                                 .module_load = {(uint64_t)(uintptr_t)ptx, length}}, &done);
    module->handle = status == GPU_SUCCESS ? (uint32_t)done.result : 0;
    return status;
}

int gpu_module_unload(struct gpu_device *gpu, struct gpu_module_handle module)
{
    return run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_MODULE_UNLOAD, .module_unload.module = module.handle},
               NULL);
}

int gpu_module_symbol(struct gpu_device *gpu, struct gpu_module_handle module, const char *name, uint64_t *address,
                      uint64_t *size)
{
    size_t length = strlen(name);
    if (length == 0 || length > HIGPU_MAX_NAME)
        return fail(gpu, GPU_ERROR_INVALID, "symbol name of 0 or more than 255 bytes");
    struct higpu_completion done;
    int status = run(gpu, (struct higpu_command){.opcode = HIGPU_CMD_MODULE_SYMBOL,
                                                 .symbol = {(uint64_t)(uintptr_t)name, module.handle,
                                                            (uint16_t)length, 0}}, &done);
    if (status == GPU_SUCCESS) {
        *address = done.result;
        if (size != NULL)
            *size = done.result2;
    }
    return status;
}

int gpu_launch_async(struct gpu_device *gpu, uint32_t stream, struct gpu_module_handle module, const char *name,
                     struct gpu_dim3 grid, struct gpu_dim3 block, uint32_t shared_bytes, const void *params,
                     uint32_t params_length)
{
    size_t length = strlen(name);
    if (length == 0 || length > HIGPU_MAX_NAME || params_length > HIGPU_MAX_PARAMS)
        return fail(gpu, GPU_ERROR_INVALID, "kernel name or parameter buffer too long");
    struct gpu_stream_queue *s = stream_of(gpu, stream);
    if (s == NULL)
        return GPU_ERROR_INVALID;
    /* The device reads the name and parameters when the launch starts, after this call has returned: they go
     * into the ring slot's own copy. */
    uint32_t slot = reserve(gpu, s) % GPU_QUEUE_ENTRIES;
    memcpy(s->names[slot], name, length);
    memcpy(s->params[slot], params, params_length);
    struct higpu_command c = {.opcode = HIGPU_CMD_LAUNCH};
    c.launch.name = (uint64_t)(uintptr_t)s->names[slot];
    c.launch.name_length = (uint16_t)length;
    c.launch.params = (uint64_t)(uintptr_t)s->params[slot];
    c.launch.params_length = params_length;
    c.launch.grid = (struct higpu_dim3){grid.x, grid.y, grid.z};
    c.launch.block = (struct higpu_dim3){block.x, block.y, block.z};
    c.launch.module = module.handle;
    c.launch.shared = shared_bytes;
    submit(gpu, stream, &c);
    return GPU_SUCCESS;
}

int gpu_launch(struct gpu_device *gpu, struct gpu_module_handle module, const char *name, struct gpu_dim3 grid,
               struct gpu_dim3 block, uint32_t shared_bytes, const void *params, uint32_t params_length)
{
    return gpu_launch_async(gpu, 0, module, name, grid, block, shared_bytes, params, params_length);
}

int gpu_stream_synchronize(struct gpu_device *gpu, uint32_t stream)
{
    struct gpu_stream_queue *s = stream_of(gpu, stream);
    if (s == NULL)
        return GPU_ERROR_INVALID;
    while (s->consumed != s->producer)
        consume_one(gpu, s);
    int status = s->sticky_error;
    s->sticky_error = GPU_SUCCESS;
    return status;
}

int gpu_synchronize(struct gpu_device *gpu)
{
    int first = GPU_SUCCESS;
    for (uint32_t q = 0; q < gpu->streams_used; q++) {
        int status = gpu_stream_synchronize(gpu, q);
        if (first == GPU_SUCCESS)
            first = status;
    }
    return first;
}

int gpu_stream_create(struct gpu_device *gpu, uint32_t *stream)
{
    if (gpu->streams_used == HIGPU_MAX_QUEUES ||
        reg_read(gpu, HIGPU_REG_CAPS) >> 40 <= gpu->streams_used)
        return fail(gpu, GPU_ERROR_INVALID, "every command queue of the GPU is a stream already");
    int status = queue_alloc(gpu, gpu->streams_used);
    if (status == GPU_SUCCESS)
        status = queue_start(gpu, gpu->streams_used);
    if (status != GPU_SUCCESS)
        return fail(gpu, status, "the stream's queue could not be set up");
    *stream = gpu->streams_used++;
    return GPU_SUCCESS;
}

int gpu_memcpy_h2d_async(struct gpu_device *gpu, uint32_t stream, uint64_t device_address, const void *src,
                         uint64_t length)
{
    return queue_on(gpu, stream, (struct higpu_command){.opcode = HIGPU_CMD_COPY_H2D,
                                                        .copy = {(uint64_t)(uintptr_t)src, device_address, length}});
}

int gpu_memcpy_d2h_async(struct gpu_device *gpu, uint32_t stream, void *dst, uint64_t device_address,
                         uint64_t length)
{
    return queue_on(gpu, stream, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2H,
                                                        .copy = {device_address, (uint64_t)(uintptr_t)dst, length}});
}

int gpu_memcpy_d2d_async(struct gpu_device *gpu, uint32_t stream, uint64_t dst, uint64_t src, uint64_t length)
{
    return queue_on(gpu, stream, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2D, .copy = {src, dst, length}});
}

int gpu_memset_async(struct gpu_device *gpu, uint32_t stream, uint64_t device_address, uint8_t value,
                     uint64_t length)
{
    return queue_on(gpu, stream, (struct higpu_command){.opcode = HIGPU_CMD_MEMSET,
                                                        .memset = {.address = device_address, .length = length,
                                                                   .value = value}});
}

int gpu_memcpy_peer_async(struct gpu_device *gpu, uint32_t stream, uint64_t dst, uint64_t src, uint64_t length)
{
    return queue_on(gpu, stream, (struct higpu_command){.opcode = HIGPU_CMD_COPY_PEER, .copy = {src, dst, length}});
}
int gpu_event_create(struct gpu_device *gpu, uint32_t *event)
{
    if (gpu->events_used == HIGPU_MAX_EVENTS)
        return fail(gpu, GPU_ERROR_INVALID, "every event slot is in use");
    *event = gpu->events_used++;
    return GPU_SUCCESS;
}

int gpu_event_record_on(struct gpu_device *gpu, uint32_t event, uint32_t stream)
{
    if (event >= gpu->events_used)
        return fail(gpu, GPU_ERROR_INVALID, "event was not created");
    if (++gpu->event_records[event] == 0)
        gpu->event_records[event] = 1; /* 0 means "no sequence" to the device */
    gpu->event_times[event] = 0;
    struct higpu_command c = {.opcode = HIGPU_CMD_EVENT_RECORD};
    c.event.slot = event;
    c.event.sequence = gpu->event_records[event];
    c.event.address = (uint64_t)(uintptr_t)&gpu->event_times[event];
    return queue_on(gpu, stream, c);
}

int gpu_event_record(struct gpu_device *gpu, uint32_t event)
{
    return gpu_event_record_on(gpu, event, 0);
}

int gpu_stream_wait_event(struct gpu_device *gpu, uint32_t stream, uint32_t event)
{
    if (event >= gpu->events_used)
        return fail(gpu, GPU_ERROR_INVALID, "event was not created");
    if (gpu->event_records[event] == 0)
        return stream_of(gpu, stream) != NULL ? GPU_SUCCESS : GPU_ERROR_INVALID; /* never recorded: no wait */
    struct higpu_command c = {.opcode = HIGPU_CMD_EVENT_WAIT};
    c.event.slot = event;
    c.event.sequence = gpu->event_records[event];
    return queue_on(gpu, stream, c);
}

int gpu_event_elapsed_ps(struct gpu_device *gpu, uint32_t start, uint32_t stop, uint64_t *ps)
{
    if (start >= gpu->events_used || stop >= gpu->events_used)
        return fail(gpu, GPU_ERROR_INVALID, "event was not created");
    int status = gpu_synchronize(gpu);
    gpu_barrier();
    *ps = gpu->event_times[stop] - gpu->event_times[start];
    return status;
}
