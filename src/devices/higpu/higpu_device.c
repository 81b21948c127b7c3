/* HiGPU's registers, its command queues (each fetched and run in order, one command at a time, the queues side by
 * side as their commands' engines allow; completions written one PCIe crossing after each ends) and its events on
 * the GPU's entity. */
#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/guest.h"
#include "devices/device_log.h"
#include "devices/pcie.h"
#include "devices/plug.h"
#include "devices/higpu/higpu_internal.h"
#include "scheduler/entity_ids.h"

_Static_assert(sizeof(struct higpu_command) == 64, "command layout");
_Static_assert(sizeof(struct higpu_completion) == 64, "completion layout");
_Static_assert(sizeof(struct higpu_info) % 8 == 0, "info layout");


bool higpu_params_init(struct higpu_params *p, const char *preset, struct vdc_error *err)
{
    *p = (struct higpu_params){
        .pcie_generation = 5,
        .pcie_lanes = 16,
        .pcie_latency = 250 * VDC_NS,
        .command_time = 500 * VDC_NS,
        .kernel_timeout = VDC_SEC,
        .hang_timeout = 10 * VDC_MS,
        .peer_timeout = VDC_MS,
        .cause_mask = UINT64_C(1) << vdc_device_named("higpu")->cause_bit,
        .pcie_switch_port = 1,
    };
    return gpu_params_preset(preset, &p->gpu, err);
}

vdc_time higpu_now(const struct higpu *gpu)
{
    return gpu->entity->sim->now;
}

vdc_time higpu_pcie_transfer(const struct higpu *gpu, uint64_t bytes)
{
    return vdc_pcie_transfer(gpu->pcie_bandwidth, bytes);
}

void higpu_log(struct higpu *gpu, enum higpu_error code, const char *fmt, ...)
{
    gpu->stats.errors++;
    gpu->last_error = code;
    va_list ap;
    va_start(ap, fmt);
    vdc_device_log(gpu->log, gpu->stats.errors, higpu_now(gpu), gpu->guest->name, "higpu", fmt, ap);
    va_end(ap);
}

static void schedule(struct higpu *gpu, struct vdc_entity *source, vdc_time at, enum higpu_event kind, uint32_t queue,
                     uint32_t index)
{
    vdc_schedule_at(source, at, VDC_PRIO_DEVICE, gpu->entity->id, kind,
                    vdc_arg_put(index, 0, 32) | vdc_arg_put(gpu->queues[queue].epoch, 32, 24) |
                        vdc_arg_put(queue, 56, 8));
}

/* A queue may change only while nothing is in flight: no command running, every completion written. */
static bool queue_idle(const struct higpu_queue *q)
{
    return !q->running && q->consumer == q->started && q->producer == q->started;
}

static void set_queue_size(struct higpu *gpu, uint32_t queue, uint64_t entries)
{
    struct higpu_queue *q = &gpu->queues[queue];
    if (!queue_idle(q)) {
        higpu_log(gpu, HIGPU_ERR_BAD_QUEUE, "queue %u's size written while commands are in flight (%u started, %u "
                  "completed); wait for the consumer index to reach the producer's", queue, q->started, q->consumer);
        return;
    }
    if (entries != 0) {
        uint64_t bytes = entries * sizeof(struct higpu_command);
        char why[HIGPU_MAX_MESSAGE];
        if (entries > HIGPU_MAX_QUEUE_ENTRIES || (entries & (entries - 1)) != 0) {
            higpu_log(gpu, HIGPU_ERR_BAD_QUEUE, "queue %u's size %" PRIu64 " is not a power of two up to %u", queue,
                      entries, HIGPU_MAX_QUEUE_ENTRIES);
            return;
        }
        if (q->queue_base % 64 != 0 || q->completion_base % 64 != 0) {
            higpu_log(gpu, HIGPU_ERR_BAD_QUEUE, "queue %u's command ring 0x%" PRIx64 " or completion ring 0x%" PRIx64
                      " is not 64-byte aligned", queue, q->queue_base, q->completion_base);
            return;
        }
        if (!higpu_guest_range(gpu, q->queue_base, bytes, "command ring", why) ||
            !higpu_guest_range(gpu, q->completion_base, bytes, "completion ring", why)) {
            higpu_log(gpu, HIGPU_ERR_BAD_QUEUE, "queue %u: %s", queue, why);
            return;
        }
    }
    q->epoch = (q->epoch + 1) & 0xFFFFFF;
    q->queue_size = (uint32_t)entries;
    q->producer = q->started = q->consumer = 0;
    free(q->pending);
    q->pending = entries ? vdc_xcalloc(entries, sizeof *q->pending) : NULL;
}

static bool register_fault(struct higpu *gpu, struct vdc_error *err, const char *fmt, uint64_t offset)
{
    char text[160];
    snprintf(text, sizeof text, fmt, offset);
    higpu_log(gpu, HIGPU_ERR_BAD_REGISTER, "%s", text);
    return vdc_fail(err, "%s", text);
}

/* Which queue's register an offset is (queue 0's at their first offsets too): false when it is none. */
static bool queue_register(uint64_t offset, uint32_t *queue, uint64_t *reg)
{
    if (offset >= HIGPU_REG_QUEUE_BASE && offset <= HIGPU_REG_CONSUMER) {
        *queue = 0;
        *reg = offset - HIGPU_REG_QUEUE_BASE;
        return true;
    }
    if (offset >= HIGPU_REG_QUEUES && offset < HIGPU_REG_QUEUES + HIGPU_MAX_QUEUES * HIGPU_QUEUE_STRIDE &&
        (offset - HIGPU_REG_QUEUES) % HIGPU_QUEUE_STRIDE <= HIGPU_QREG_CONSUMER) {
        *queue = (uint32_t)((offset - HIGPU_REG_QUEUES) / HIGPU_QUEUE_STRIDE);
        *reg = (offset - HIGPU_REG_QUEUES) % HIGPU_QUEUE_STRIDE;
        return true;
    }
    return false;
}

static uint64_t read_register(struct higpu *gpu, uint64_t offset, bool *found)
{
    const struct gpu_params *p = &gpu->params.gpu;
    uint32_t queue;
    uint64_t reg;
    *found = true;
    if (queue_register(offset, &queue, &reg)) {
        const struct higpu_queue *q = &gpu->queues[queue];
        switch (reg) {
        case HIGPU_QREG_BASE: return q->queue_base;
        case HIGPU_QREG_COMPLETION_BASE: return q->completion_base;
        case HIGPU_QREG_SIZE: return q->queue_size;
        case HIGPU_QREG_CONSUMER: return q->consumer;
        default: *found = false; return 0; /* the doorbell is write-only */
        }
    }
    switch (offset) {
    case HIGPU_REG_ID: return HIGPU_MAGIC;
    case HIGPU_REG_CAPS:
        return (p->sm_count & 0xFFFF) | (uint64_t)(31 - __builtin_clz(HIGPU_MAX_QUEUE_ENTRIES)) << 16 |
               (uint64_t)6 << 24 | (uint64_t)6 << 32 | (uint64_t)HIGPU_MAX_QUEUES << 40;
    case HIGPU_REG_MEMORY_SIZE: return p->memory_bytes;
    case HIGPU_REG_MEMORY_USED: return gpu_get_memory(gpu->gpu)->used;
    case HIGPU_REG_CAUSE: return gpu->params.cause_mask;
    case HIGPU_REG_CLOCK_KHZ: return p->clock_hz / 1000;
    case HIGPU_REG_MESSAGE_BASE: return gpu->message_base;
    case HIGPU_REG_MESSAGE_SIZE: return gpu->message_size;
    case HIGPU_REG_ERRORS: return gpu->stats.errors;
    case HIGPU_REG_LAST_ERROR: return gpu->last_error;
    case HIGPU_REG_BUSY_PS: return gpu->stats.busy_ps;
    case HIGPU_REG_KERNEL_PS: return gpu->stats.kernel_ps;
    case HIGPU_REG_LINK: return gpu->params.pcie_generation | (uint64_t)gpu->params.pcie_lanes << 8;
    default: *found = false; return 0;
    }
}

static bool write_queue_register(struct higpu *gpu, struct vdc_guest *guest, uint32_t queue, uint64_t reg,
                                 uint64_t value)
{
    struct higpu_queue *q = &gpu->queues[queue];
    switch (reg) {
    case HIGPU_QREG_BASE:
    case HIGPU_QREG_COMPLETION_BASE:
        if (!queue_idle(q) || q->queue_size != 0) {
            higpu_log(gpu, HIGPU_ERR_BAD_QUEUE, "queue %u's ring address written while the queue is on; write the "
                      "queue size 0 first", queue);
            return true;
        }
        *(reg == HIGPU_QREG_BASE ? &q->queue_base : &q->completion_base) = value;
        return true;
    case HIGPU_QREG_SIZE: set_queue_size(gpu, queue, value); return true;
    case HIGPU_QREG_DOORBELL:
        /* A posted write: the GPU sees it one PCIe crossing later. */
        if (q->queue_size == 0) {
            higpu_log(gpu, HIGPU_ERR_BAD_QUEUE, "doorbell %" PRIu64 " of queue %u with no queue; set its size first",
                      value, queue);
            return true;
        }
        schedule(gpu, guest->entity, vdc_time_add(higpu_now(gpu), gpu->params.pcie_latency), HIGPU_EV_DOORBELL,
                 queue, (uint32_t)value);
        return true;
    default:
        return false; /* the consumer index is read-only */
    }
}

bool higpu_mmio(void *device, struct vdc_guest *guest, struct vdc_mmio_access *a, struct vdc_error *err)
{
    struct higpu *gpu = device;
    if (a->size != 8 || a->offset % 8 != 0) {
        char text[120];
        snprintf(text, sizeof text, "%u-byte access at offset 0x%" PRIx64 "; registers are 8 bytes, 8-aligned",
                 a->size, a->offset);
        higpu_log(gpu, HIGPU_ERR_BAD_REGISTER, "%s", text);
        return vdc_fail(err, "%s", text);
    }
    if (!a->is_write) {
        bool found;
        a->value = read_register(gpu, a->offset, &found);
        return found || register_fault(gpu, err, "read of offset 0x%" PRIx64 ", which is not a readable register",
                                       a->offset);
    }
    uint32_t queue;
    uint64_t reg;
    if (queue_register(a->offset, &queue, &reg) && write_queue_register(gpu, guest, queue, reg, a->value))
        return true;
    switch (a->offset) {
    case HIGPU_REG_MESSAGE_BASE: gpu->message_base = a->value; return true;
    case HIGPU_REG_MESSAGE_SIZE:
        if (a->value > HIGPU_MAX_MESSAGE) {
            higpu_log(gpu, HIGPU_ERR_BAD_REGISTER, "message size %" PRIu64 " is more than %u", a->value,
                      HIGPU_MAX_MESSAGE);
            return true;
        }
        gpu->message_size = a->value;
        return true;
    default:
        return register_fault(gpu, err, "write to offset 0x%" PRIx64 ", which is not a writable register",
                              a->offset);
    }
}

/* ---- running commands ---- */

/* Whether the queue's fetched command can start now: its engine free (a kernel and a peer copy exclude each other),
 * an event it waits for reached, a message it receives landed. */
static bool can_start(const struct higpu *gpu, const struct higpu_command *c)
{
    if (c->opcode == HIGPU_CMD_EVENT_WAIT && c->event.sequence != 0 && c->event.slot < HIGPU_MAX_EVENTS)
        return (int32_t)(gpu->event_sequence[c->event.slot] - c->event.sequence) >= 0;
    if (c->opcode == HIGPU_CMD_MAIL_RECV)
        return higpu_mail_waiting(gpu);
    enum higpu_engine e = higpu_engine_of(c->opcode);
    if (e == HIGPU_ENGINE_NONE)
        return true;
    if (gpu->engine_queue[e] >= 0)
        return false;
    if (e == HIGPU_ENGINE_COMPUTE)
        return gpu->engine_queue[HIGPU_ENGINE_COPY_PEER] < 0;
    if (e == HIGPU_ENGINE_COPY_PEER)
        return gpu->engine_queue[HIGPU_ENGINE_COMPUTE] < 0;
    return true;
}

/* Runs the queue's fetched command now, and ends it after the time it takes. */
static void execute(struct higpu *gpu, uint32_t queue)
{
    struct higpu_queue *q = &gpu->queues[queue];
    higpu_timeline_catch_up(gpu, higpu_now(gpu)); /* a command sees device memory as it is now */
    enum higpu_engine e = higpu_engine_of(q->command.opcode);
    if (e != HIGPU_ENGINE_NONE)
        gpu->engine_queue[e] = (int8_t)queue;
    vdc_time took = higpu_execute(gpu, queue, q->started - 1, &q->command, &q->current);
    q->current.start_ps = higpu_now(gpu);
    if (gpu->kernel != NULL && gpu->kernel_queue == queue && e == HIGPU_ENGINE_COMPUTE)
        higpu_kernel_window(gpu); /* a launch: the compute engine ends the command */
    else if (!(gpu->peer_copy_running && gpu->peer_copy_queue == queue && e == HIGPU_ENGINE_COPY_PEER))
        higpu_command_ends(gpu, queue, vdc_time_add(q->current.start_ps, took));
}

/* Queues whose command waits start it once they can, lowest queue first; a command that starts can let others
 * start (an event record), so until none does. */
void higpu_start_waiting(struct higpu *gpu)
{
    bool started;
    do {
        started = false;
        for (uint32_t i = 0; i < HIGPU_MAX_QUEUES; i++) {
            struct higpu_queue *q = &gpu->queues[i];
            if (q->waiting && can_start(gpu, &q->command)) {
                q->waiting = false;
                execute(gpu, i);
                started = true;
            }
        }
    } while (started);
}

/* Reads the queue's next command from its ring; runs it if it can start, else it waits. */
static void start_next(struct higpu *gpu, uint32_t queue)
{
    struct higpu_queue *q = &gpu->queues[queue];
    uint32_t index = q->started;
    struct vdc_error err;
    uint64_t at = q->queue_base + (uint64_t)(index & (q->queue_size - 1)) * sizeof q->command;
    q->running = true;
    q->started++;
    if (!vdc_guest_read(&gpu->guest->memory, at, &q->command, sizeof q->command, "command", &err)) {
        /* The ring was checked when the queue was set; guest memory does not shrink, but stay safe. */
        higpu_log(gpu, HIGPU_ERR_DMA, "%s", err.text);
        memset(&q->command, 0, sizeof q->command); /* an unknown opcode: its error completion */
    }
    if (can_start(gpu, &q->command))
        execute(gpu, queue);
    else
        q->waiting = true;
    higpu_start_waiting(gpu); /* an event record may let others go */
}

void higpu_command_ends(struct higpu *gpu, uint32_t queue, vdc_time end)
{
    struct higpu_queue *q = &gpu->queues[queue];
    q->current.end_ps = end;
    gpu->stats.busy_ps += end - q->current.start_ps;
    schedule(gpu, gpu->entity, end, HIGPU_EV_FINISH, queue, q->started - 1);
}

static void doorbell(struct higpu *gpu, uint32_t queue, uint32_t producer)
{
    struct higpu_queue *q = &gpu->queues[queue];
    uint32_t ahead = producer - q->consumer, beyond_started = producer - q->started;
    if (ahead > q->queue_size || beyond_started > q->queue_size) {
        higpu_log(gpu, HIGPU_ERR_RING_OVERRUN, "doorbell %u overruns queue %u's %u entries (consumer %u, %u started)",
                  producer, queue, q->queue_size, q->consumer, q->started);
        return;
    }
    q->producer = producer;
    /* An idle queue fetches the first command: a read request and its data, two crossings. */
    if (!q->running && q->producer != q->started) {
        q->running = true;
        vdc_time fetch = 2 * gpu->params.pcie_latency + higpu_pcie_transfer(gpu, sizeof(struct higpu_command));
        schedule(gpu, gpu->entity, vdc_time_add(higpu_now(gpu), fetch), HIGPU_EV_START, queue, q->started);
    }
}

static void finish(struct higpu *gpu, uint32_t queue, uint32_t index)
{
    struct higpu_queue *q = &gpu->queues[queue];
    q->pending[index & (q->queue_size - 1)] = q->current;
    gpu->stats.commands++;
    if (q->current.status != HIGPU_STATUS_OK)
        gpu->stats.error_completions++;
    vdc_digest_fold(gpu->entity->sim, (uint64_t)index << 32 | (uint64_t)queue << 24 |
                                          (uint64_t)q->current.opcode << 8 | q->current.status);
    schedule(gpu, gpu->entity, vdc_time_add(higpu_now(gpu), gpu->params.pcie_latency), HIGPU_EV_ARRIVE, queue,
             index);
    for (uint32_t e = 0; e < HIGPU_ENGINE_COUNT; e++)
        if (gpu->engine_queue[e] == (int8_t)queue)
            gpu->engine_queue[e] = -1;
    /* Later commands were fetched while this one ran. */
    q->running = false;
    if (q->producer != q->started)
        start_next(gpu, queue);
    higpu_start_waiting(gpu); /* the engine it held is free */
}

static void arrive(struct higpu *gpu, uint32_t queue, uint32_t index)
{
    struct higpu_queue *q = &gpu->queues[queue];
    struct higpu_completion c = q->pending[index & (q->queue_size - 1)];
    c.flags = (uint8_t)((c.flags & ~HIGPU_COMPLETION_OWNER) | (1 - ((index / q->queue_size) & 1)));
    uint64_t at = q->completion_base + (uint64_t)(index & (q->queue_size - 1)) * sizeof c;
    struct vdc_error err;
    if (!vdc_guest_write(&gpu->guest->memory, at, &c, sizeof c, "completion", &err))
        higpu_log(gpu, HIGPU_ERR_DMA, "%s", err.text);
    q->consumer = index + 1;
    vdc_guest_raise(gpu->guest, gpu->params.cause_mask);
}

static void ignore_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)self;
    (void)ev;
}

static void on_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct higpu *gpu = self->model;
    if (ev->kind == HIGPU_EV_MAIL) { /* for the GPU, whatever its queues */
        higpu_mail_event(gpu, (uint32_t)ev->arg);
        return;
    }
    uint32_t index = (uint32_t)vdc_arg_field(ev->arg, 0, 32), epoch = (uint32_t)vdc_arg_field(ev->arg, 32, 24);
    uint32_t queue = (uint32_t)vdc_arg_field(ev->arg, 56, 8);
    if (queue >= HIGPU_MAX_QUEUES || epoch != gpu->queues[queue].epoch || gpu->queues[queue].queue_size == 0)
        return; /* for a queue since replaced */
    switch (ev->kind) {
    case HIGPU_EV_DOORBELL: doorbell(gpu, queue, index); break;
    case HIGPU_EV_START: start_next(gpu, queue); break;
    case HIGPU_EV_FINISH: finish(gpu, queue, index); break;
    case HIGPU_EV_ARRIVE: arrive(gpu, queue, index); break;
    default: break;
    }
}

/* The least time in which anything outside the SMs can reach a running kernel: a PCIe crossing (a doorbell, a
 * command's effect), a HiLink link (a peer's packet is known by the time it leaves the switch) and the command time (a
 * transfer's bytes move when its set-up is over). A window may not be longer. */
static vdc_time higpu_lookahead(const struct higpu_params *p, const char **key)
{
    vdc_time bound = p->pcie_latency;
    *key = "gpu.pcie_latency";
    if (p->hilink_gpus > 0 && p->hilink_latency < bound) {
        bound = p->hilink_latency;
        *key = "hilink.link_latency";
    }
    if (p->command_time < bound) {
        bound = p->command_time;
        *key = "gpu.command_time";
    }
    return bound;
}

struct higpu *higpu_create(struct vdc_guest *guest, struct vdc_sim *sim, uint32_t entity_id, uint64_t base,
                           const struct higpu_params *params, FILE *log, struct vdc_error *err)
{
    if (params->pcie_generation < 1 || params->pcie_generation > 6)
        return vdc_fail(err, "gpu.pcie_generation %u must be 1 to 6", params->pcie_generation), NULL;
    uint32_t lanes = params->pcie_lanes;
    if (lanes == 0 || lanes > 16 || (lanes & (lanes - 1)) != 0)
        return vdc_fail(err, "gpu.pcie_lanes %u must be 1, 2, 4, 8 or 16", lanes), NULL;
    const char *bound_key;
    vdc_time bound = higpu_lookahead(params, &bound_key);
    if (bound == 0)
        return vdc_fail(err, "%s is 0: nothing would be known ahead of a running kernel; give at least 1ns",
                        bound_key), NULL;
    if (params->window > bound) {
        char window[32], latency[32];
        vdc_time_format(window, sizeof window, params->window);
        vdc_time_format(latency, sizeof latency, bound);
        return vdc_fail(err, "gpu.window %s is longer than the lookahead, %s %s: a kernel could miss what reaches "
                             "the GPU within a window; give at most %s, or 0 for the lookahead",
                        window, bound_key, latency, latency), NULL;
    }
    struct higpu *gpu = vdc_xcalloc(1, sizeof *gpu);
    gpu->guest = guest;
    gpu->base = base;
    gpu->params = *params;
    gpu->pcie_bandwidth = vdc_pcie_bandwidth(params->pcie_generation, params->pcie_lanes);
    gpu->log = log;
    gpu->gpu = gpu_create_at(&params->gpu, params->place, err);
    if (gpu->gpu == NULL) {
        free(gpu);
        return NULL;
    }
    char name[96];
    snprintf(name, sizeof name, "%s/gpu", guest->name);
    gpu->entity = vdc_entity_create(sim, entity_id, name, on_event, gpu, err);
    if (gpu->entity == NULL) {
        gpu_free(gpu->gpu);
        free(gpu);
        return NULL;
    }
    snprintf(name, sizeof name, "%s/gpu-engine", guest->name);
    assert(entity_id >= VDC_IDS_GPU_BASE && entity_id < VDC_IDS_GPU_BASE + VDC_IDS_GPU_COUNT);
    gpu->engine = vdc_entity_create(sim, VDC_IDS_GPU_ENGINE_BASE + (entity_id - VDC_IDS_GPU_BASE), name,
                                    higpu_kernel_on_event, gpu, err);
    if (gpu->engine == NULL) {
        gpu->entity->model = NULL;
        gpu->entity->handler = ignore_event;
        gpu_free(gpu->gpu);
        free(gpu);
        return NULL;
    }
    /* A window's instructions touch only this GPU: the windows of every GPU at one time may run at once (sim.h). */
    gpu->engine->advance = higpu_kernel_advance;
    gpu->engine->advance_kind = HIGPU_EV_WINDOW;
    gpu->window_ps = params->window != 0 ? params->window : bound;
    gpu->created_at = gpu->entity->sim->now;
    for (uint32_t e = 0; e < HIGPU_ENGINE_COUNT; e++)
        gpu->engine_queue[e] = -1;
    higpu_timeline_init(gpu);
    vdc_slot_pool_init(&gpu->mail_slots, sizeof(struct higpu_mail));
    gpu->bounce = vdc_xmalloc(HIGPU_BOUNCE_BYTES);
    gpu->dt_memory_be = __builtin_bswap64(params->gpu.memory_bytes);
    gpu->dt_sm_count_be = __builtin_bswap32(params->gpu.sm_count);
    gpu->dt_clock_khz_be = __builtin_bswap32((uint32_t)(params->gpu.clock_hz / 1000));
    gpu->params.gpu.preset[sizeof gpu->params.gpu.preset - 1] = '\0';
    gpu->properties[0] = (struct vdc_dt_property){"vdc,preset", gpu->params.gpu.preset,
                                                  (uint32_t)strlen(gpu->params.gpu.preset) + 1};
    gpu->properties[1] = (struct vdc_dt_property){"vdc,memory-size", &gpu->dt_memory_be, 8};
    gpu->properties[2] = (struct vdc_dt_property){"vdc,sm-count", &gpu->dt_sm_count_be, 4};
    gpu->properties[3] = (struct vdc_dt_property){"vdc,clock-khz", &gpu->dt_clock_khz_be, 4};
    /* On a HiLink fabric: its place (its index there, which also places its memory) and how many GPUs share it. */
    gpu->dt_place_be = __builtin_bswap32(params->place);
    gpu->dt_gpus_be = __builtin_bswap32(params->hilink_gpus);
    gpu->properties[4] = (struct vdc_dt_property){"vdc,hilink-place", &gpu->dt_place_be, 4};
    gpu->properties[5] = (struct vdc_dt_property){"vdc,hilink-gpus", &gpu->dt_gpus_be, 4};
    struct vdc_mmio_window window = {
        .base = base, .size = HIGPU_BAR_SIZE, .name = "higpu", .handler = higpu_mmio, .device = gpu,
        .cause = params->cause_mask,
        .pcie = {.present = true, .root_port = params->pcie_root_port, .switch_port = params->pcie_switch_port,
                 .generation = params->pcie_generation, .lanes = params->pcie_lanes, .vendor = HIGPU_PCI_VENDOR,
                 .device = HIGPU_PCI_DEVICE, .class_code = HIGPU_PCI_CLASS},
        .properties = gpu->properties, .property_count = params->hilink_gpus > 0 ? 6 : 4};
    if (!vdc_mmio_bus_add(&guest->bus, &window, err)) {
        /* The entity stays registered (the scheduler owns it); nothing has scheduled an event for it. */
        gpu->entity->model = NULL;
        gpu->entity->handler = ignore_event;
        gpu->engine->model = NULL;
        gpu->engine->handler = ignore_event;
        free(gpu->bounce);
        gpu_free(gpu->gpu);
        free(gpu);
        return NULL;
    }
    higpu_join_pcie_peers(gpu);
    return gpu;
}

void higpu_free(struct higpu *gpu)
{
    if (gpu == NULL)
        return;
    if (gpu->kernel != NULL)
        gpu_run_discard(gpu->kernel); /* the run ended with a launch in flight */
    hilink_port_release(&gpu->port);
    higpu_modules_free(gpu);
    higpu_timeline_free(gpu);
    higpu_ipc_free(gpu);
    gpu_free(gpu->gpu);
    for (uint32_t q = 0; q < HIGPU_MAX_QUEUES; q++)
        free(gpu->queues[q].pending);
    free(gpu->bounce);
    free(gpu);
}

void higpu_get_stats(const struct higpu *gpu, struct higpu_stats *out)
{
    *out = gpu->stats;
    out->peer_bytes_out = gpu->port.counters.bytes_out;
    out->peer_bytes_in = gpu->port.counters.bytes_in;
}
