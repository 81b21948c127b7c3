/* HiGPU's commands: allocation, copies, modules, launches through the core (gpu.h), events and queries, each
 * checked field by field; a bad one ends in an error completion, a log line and the message buffer. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/guest.h"
#include "devices/higpu/higpu_internal.h"

static const char *const opcode_names[] = {
    [HIGPU_CMD_MEM_ALLOC] = "MEM_ALLOC",         [HIGPU_CMD_MEM_FREE] = "MEM_FREE",
    [HIGPU_CMD_COPY_H2D] = "COPY_H2D",           [HIGPU_CMD_COPY_D2H] = "COPY_D2H",
    [HIGPU_CMD_COPY_D2D] = "COPY_D2D",           [HIGPU_CMD_MEMSET] = "MEMSET",
    [HIGPU_CMD_MODULE_LOAD] = "MODULE_LOAD",     [HIGPU_CMD_MODULE_UNLOAD] = "MODULE_UNLOAD",
    [HIGPU_CMD_LAUNCH] = "LAUNCH",               [HIGPU_CMD_EVENT_RECORD] = "EVENT_RECORD",
    [HIGPU_CMD_EVENT_WAIT] = "EVENT_WAIT",       [HIGPU_CMD_FENCE] = "FENCE",
    [HIGPU_CMD_QUERY] = "QUERY",                 [HIGPU_CMD_MODULE_SYMBOL] = "MODULE_SYMBOL",
    [HIGPU_CMD_PEER_ACCESS] = "PEER_ACCESS",     [HIGPU_CMD_COPY_PEER] = "COPY_PEER",
    [HIGPU_CMD_IPC_EXPORT] = "IPC_EXPORT",       [HIGPU_CMD_IPC_IMPORT] = "IPC_IMPORT",
    [HIGPU_CMD_MAIL_SEND] = "MAIL_SEND",         [HIGPU_CMD_MAIL_RECV] = "MAIL_RECV",
};
#define OPCODE_LIMIT (sizeof opcode_names / sizeof opcode_names[0])

/* The bytes of the command's union each opcode reads (bit i: byte i); every other byte must be 0. */
#define BYTES(from, to) ((((uint64_t)1 << ((to) + 1)) - 1) & ~(((uint64_t)1 << (from)) - 1))
static const uint64_t used_bytes[OPCODE_LIMIT] = {
    [HIGPU_CMD_MEM_ALLOC] = BYTES(0, 7),     [HIGPU_CMD_MEM_FREE] = BYTES(0, 7),
    [HIGPU_CMD_COPY_H2D] = BYTES(0, 23),     [HIGPU_CMD_COPY_D2H] = BYTES(0, 23),
    [HIGPU_CMD_COPY_D2D] = BYTES(0, 23),     [HIGPU_CMD_MEMSET] = BYTES(0, 19),
    [HIGPU_CMD_MODULE_LOAD] = BYTES(0, 15),  [HIGPU_CMD_MODULE_UNLOAD] = BYTES(0, 3),
    [HIGPU_CMD_LAUNCH] = BYTES(0, 53),       [HIGPU_CMD_EVENT_RECORD] = BYTES(0, 15),
    [HIGPU_CMD_EVENT_WAIT] = BYTES(0, 7),    [HIGPU_CMD_FENCE] = 0,
    [HIGPU_CMD_QUERY] = BYTES(0, 15),        [HIGPU_CMD_MODULE_SYMBOL] = BYTES(0, 13),
    [HIGPU_CMD_PEER_ACCESS] = BYTES(0, 7),   [HIGPU_CMD_COPY_PEER] = BYTES(0, 23),
    [HIGPU_CMD_IPC_EXPORT] = BYTES(0, 7),    [HIGPU_CMD_IPC_IMPORT] = BYTES(8, 15),
    [HIGPU_CMD_MAIL_SEND] = BYTES(0, 15),    [HIGPU_CMD_MAIL_RECV] = BYTES(0, 15),
};

const char *higpu_opcode_name(uint32_t opcode)
{
    return opcode < OPCODE_LIMIT && opcode_names[opcode] != NULL ? opcode_names[opcode] : "unknown";
}

enum higpu_engine higpu_engine_of(uint32_t opcode)
{
    switch (opcode) {
    case HIGPU_CMD_LAUNCH: return HIGPU_ENGINE_COMPUTE;
    case HIGPU_CMD_COPY_H2D: return HIGPU_ENGINE_COPY_IN;
    case HIGPU_CMD_COPY_D2H: return HIGPU_ENGINE_COPY_OUT;
    case HIGPU_CMD_COPY_D2D:
    case HIGPU_CMD_MEMSET: return HIGPU_ENGINE_COPY_LOCAL;
    case HIGPU_CMD_COPY_PEER: return HIGPU_ENGINE_COPY_PEER;
    default: return HIGPU_ENGINE_NONE;
    }
}

/* A command being run: its queue and index, its completion, the time it takes, and the message of a failure. */
struct run {
    struct higpu *gpu;
    uint32_t queue, index;
    const struct higpu_command *c;
    struct higpu_completion *out;
    vdc_time time;
    char *why;
};

static enum higpu_status fail(struct run *r, enum higpu_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum higpu_status fail(struct run *r, enum higpu_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why, HIGPU_MAX_MESSAGE, fmt, ap);
    va_end(ap);
    return status;
}

/* Reads a guest buffer the command names (a kernel name, parameters, PTX text); two crossings and the data. */
static enum higpu_status read_guest(struct run *r, uint64_t address, uint64_t length, void *dst, const char *what)
{
    struct vdc_error err;
    if (!higpu_guest_range(r->gpu, address, length, what, r->why))
        return HIGPU_STATUS_BAD_ADDRESS;
    if (!vdc_guest_read(&r->gpu->guest->memory, address, dst, length, what, &err))
        return fail(r, HIGPU_STATUS_BAD_ADDRESS, "%s", err.text);
    r->time += 2 * r->gpu->params.pcie_latency + higpu_pcie_transfer(r->gpu, length);
    return HIGPU_STATUS_OK;
}

/* Time for `bytes` of device-memory traffic at the HBM bandwidth. */
static vdc_time dram_time(const struct higpu *gpu, uint64_t bytes)
{
    uint64_t rate = gpu->params.gpu.dram_bytes_per_second;
    if (rate == 0)
        return 0;
    unsigned __int128 t = ((unsigned __int128)bytes * VDC_SEC + rate - 1) / rate;
    return t > VDC_TIME_MAX ? VDC_TIME_MAX : (vdc_time)t;
}

static struct gpu_module *module_of(struct higpu *gpu, uint32_t handle)
{
    uint32_t slot = (handle & 0xFFFF) - 1;
    if ((handle & 0xFFFF) == 0 || slot >= HIGPU_MAX_MODULES || gpu->modules[slot].module == NULL ||
        gpu->modules[slot].generation != (uint16_t)(handle >> 16))
        return NULL;
    return gpu->modules[slot].module;
}

static enum higpu_status mem_alloc(struct run *r)
{
    struct vdc_error err;
    if (!gpu_memory_alloc(gpu_get_memory(r->gpu->gpu), r->c->alloc.size, &r->out->result, &err))
        return fail(r, r->c->alloc.size == 0 ? HIGPU_STATUS_BAD_COMMAND : HIGPU_STATUS_OUT_OF_MEMORY, "%s",
                    err.text);
    return HIGPU_STATUS_OK;
}

static enum higpu_status mem_free(struct run *r)
{
    struct vdc_error err;
    if (!gpu_memory_free(gpu_get_memory(r->gpu->gpu), r->c->free.address, &err))
        return fail(r, HIGPU_STATUS_BAD_HANDLE, "%s", err.text);
    higpu_ipc_freed(r->gpu, r->c->free.address); /* its handles import nothing any more */
    return HIGPU_STATUS_OK;
}

/* A transfer's bytes move when its set-up (the command time) is over, through the timeline, so that a kernel
 * running on another queue sees them at that cycle; the queue is busy until the last byte has crossed. */
static enum higpu_status transfer(struct run *r)
{
    const struct higpu_command *c = r->c;
    if (c->opcode == HIGPU_CMD_MEMSET && c->memset.value > 0xFF)
        return fail(r, HIGPU_STATUS_BAD_COMMAND, "memset value 0x%x is not a byte", c->memset.value);
    enum higpu_status s = higpu_transfer_check(r->gpu, c, r->why);
    if (s != HIGPU_STATUS_OK)
        return s;
    uint64_t length = c->opcode == HIGPU_CMD_MEMSET ? c->memset.length : c->copy.length;
    if (length > 0)
        higpu_timeline_add_transfer(r->gpu, r->queue, r->index, c, vdc_time_add(higpu_now(r->gpu), r->time));
    vdc_time lat = r->gpu->params.pcie_latency;
    vdc_time took = c->opcode == HIGPU_CMD_MEMSET   ? dram_time(r->gpu, length)
                    : c->opcode == HIGPU_CMD_COPY_D2D ? dram_time(r->gpu, 2 * length)
                    : c->opcode == HIGPU_CMD_COPY_H2D
                        /* reads of guest memory: a request crossing and the data crossing back */
                        ? 2 * lat + higpu_pcie_transfer(r->gpu, length)
                        /* posted writes: one crossing */
                        : lat + higpu_pcie_transfer(r->gpu, length);
    r->time = vdc_time_add(r->time, took);
    r->gpu->stats.copy_ps += took;
    if (c->opcode == HIGPU_CMD_COPY_H2D || c->opcode == HIGPU_CMD_COPY_D2H)
        r->gpu->stats.copied_bytes += length;
    return HIGPU_STATUS_OK;
}

static enum higpu_status module_load(struct run *r)
{
    uint64_t length = r->c->module_load.length;
    if (length == 0 || length > HIGPU_MAX_MODULE_TEXT)
        return fail(r, HIGPU_STATUS_BAD_COMMAND, "PTX text of %" PRIu64 " bytes; give 1 to %u bytes", length,
                    HIGPU_MAX_MODULE_TEXT);
    uint32_t slot = 0;
    while (slot < HIGPU_MAX_MODULES && r->gpu->modules[slot].module != NULL)
        slot++;
    if (slot == HIGPU_MAX_MODULES)
        return fail(r, HIGPU_STATUS_OUT_OF_MEMORY, "%u modules are loaded, the most a GPU holds; unload one",
                    HIGPU_MAX_MODULES);
    char *text = vdc_xmalloc(length + 1);
    enum higpu_status s = read_guest(r, r->c->module_load.text, length, text, "PTX text");
    if (s == HIGPU_STATUS_OK) {
        text[length] = '\0';
        struct vdc_error err;
        char source[48];
        snprintf(source, sizeof source, "module@tag%u", r->c->tag);
        struct gpu_module *module = NULL;
        if (!gpu_module_load(r->gpu->gpu, text, length, source, &module, &err)) {
            s = fail(r, HIGPU_STATUS_PTX_ERROR, "%s", err.text);
        } else {
            struct higpu_module_slot *m = &r->gpu->modules[slot];
            m->module = module;
            m->generation++;
            r->out->result = (uint64_t)m->generation << 16 | (slot + 1);
        }
    }
    free(text);
    return s;
}

static enum higpu_status module_unload(struct run *r)
{
    uint32_t handle = r->c->module_unload.module;
    struct gpu_module *module = module_of(r->gpu, handle);
    if (module == NULL)
        return fail(r, HIGPU_STATUS_BAD_HANDLE, "module 0x%x is not loaded", handle);
    gpu_module_unload(r->gpu->gpu, module);
    r->gpu->modules[(handle & 0xFFFF) - 1].module = NULL;
    return HIGPU_STATUS_OK;
}

/* A name (kernel or symbol) from guest memory, NUL-terminated in `name`. */
static enum higpu_status read_name(struct run *r, uint64_t address, uint32_t length, char *name)
{
    if (length == 0 || length > HIGPU_MAX_NAME)
        return fail(r, HIGPU_STATUS_BAD_COMMAND, "name of %u bytes; give 1 to %u bytes", length, HIGPU_MAX_NAME);
    enum higpu_status s = read_guest(r, address, length, name, "name");
    if (s != HIGPU_STATUS_OK)
        return s;
    name[length] = '\0';
    if (strlen(name) != length)
        return fail(r, HIGPU_STATUS_BAD_COMMAND, "name contains a NUL byte");
    return HIGPU_STATUS_OK;
}

static enum higpu_status launch(struct run *r)
{
    const struct higpu_command *c = r->c;
    struct gpu_module *module = module_of(r->gpu, c->launch.module);
    if (module == NULL)
        return fail(r, HIGPU_STATUS_BAD_HANDLE, "module 0x%x is not loaded", c->launch.module);
    if (c->launch.params_length > HIGPU_MAX_PARAMS)
        return fail(r, HIGPU_STATUS_BAD_COMMAND, "parameter buffer of %u bytes; the most is %u",
                    c->launch.params_length, HIGPU_MAX_PARAMS);
    char name[HIGPU_MAX_NAME + 1];
    uint8_t *params = r->gpu->bounce; /* the copy engines' buffer is free while a kernel runs */
    enum higpu_status s = read_name(r, c->launch.name, c->launch.name_length, name);
    if (s == HIGPU_STATUS_OK && c->launch.params_length > 0)
        s = read_guest(r, c->launch.params, c->launch.params_length, params, "parameter buffer");
    if (s != HIGPU_STATUS_OK)
        return s;
    struct gpu_launch l = {
        .kernel = name,
        .grid = {c->launch.grid.x, c->launch.grid.y, c->launch.grid.z},
        .block = {c->launch.block.x, c->launch.block.y, c->launch.block.z},
        .dynamic_shared_bytes = c->launch.shared,
        .params = params,
        .params_bytes = c->launch.params_length,
    };
    struct vdc_error err;
    struct gpu_run *run;
    if (!gpu_run_start(r->gpu->gpu, module, &l, &run, &err))
        return fail(r, HIGPU_STATUS_LAUNCH_ERROR, "%s", err.text);
    /* The compute engine runs it in windows of virtual time (higpu_kernel.c) and ends the command. */
    r->gpu->kernel_queue = r->queue;
    higpu_kernel_begin(r->gpu, run, name, vdc_time_add(higpu_now(r->gpu), r->time));
    return HIGPU_STATUS_OK;
}

enum higpu_status higpu_kernel_status(struct higpu *gpu, const struct gpu_launch_stats *stats,
                                      const struct gpu_fault *fault, struct higpu_completion *out)
{
    gpu->stats.kernel_ps += stats->duration_ps;
    gpu->stats.launches++;
    gpu->stats.thread_insns += stats->thread_insns;
    out->result2 = stats->thread_insns;
    if (!fault->happened)
        return HIGPU_STATUS_OK;
    gpu->stats.faults++;
    out->result = fault->address;
    out->block = (struct higpu_dim3){fault->block.x, fault->block.y, fault->block.z};
    out->thread = (struct higpu_dim3){fault->thread.x, fault->thread.y, fault->thread.z};
    snprintf(gpu->message, HIGPU_MAX_MESSAGE,
             "kernel %.*s faulted in block (%u,%u,%u) thread (%u,%u,%u) at address 0x%" PRIx64 ": %.*s (PTX line %u)",
             (int)sizeof fault->kernel, fault->kernel, fault->block.x, fault->block.y, fault->block.z,
             fault->thread.x, fault->thread.y, fault->thread.z, fault->address, (int)sizeof fault->what, fault->what,
             fault->line);
    return HIGPU_STATUS_GPU_FAULT;
}

static enum higpu_status event_record(struct run *r)
{
    uint32_t slot = r->c->event.slot;
    if (slot >= HIGPU_MAX_EVENTS)
        return fail(r, HIGPU_STATUS_BAD_HANDLE, "event %u; events are 0 to %u", slot, HIGPU_MAX_EVENTS - 1);
    /* The time the queue reached the event: every earlier command has ended. */
    vdc_time now = higpu_now(r->gpu);
    if (r->c->event.address != 0) {
        struct vdc_error err;
        if (!higpu_guest_range(r->gpu, r->c->event.address, 8, "event time", r->why))
            return HIGPU_STATUS_BAD_ADDRESS;
        if (!vdc_guest_write(&r->gpu->guest->memory, r->c->event.address, &now, 8, "event time", &err))
            return fail(r, HIGPU_STATUS_BAD_ADDRESS, "%s", err.text);
    }
    r->gpu->event_recorded[slot] = true;
    r->gpu->event_time[slot] = now;
    if (r->c->event.sequence != 0)
        r->gpu->event_sequence[slot] = r->c->event.sequence; /* queues waiting for it may go (higpu_device.c) */
    r->out->result = now;
    return HIGPU_STATUS_OK;
}

static enum higpu_status event_wait(struct run *r)
{
    uint32_t slot = r->c->event.slot;
    if (slot >= HIGPU_MAX_EVENTS)
        return fail(r, HIGPU_STATUS_BAD_HANDLE, "event %u; events are 0 to %u", slot, HIGPU_MAX_EVENTS - 1);
    /* With a sequence, the queue held this command until that record was reached (higpu_device.c); without one,
     * the event must have been recorded, and its queue, in order, is past it. */
    if (r->c->event.sequence == 0 && !r->gpu->event_recorded[slot])
        return fail(r, HIGPU_STATUS_BAD_HANDLE, "event %u has not been recorded", slot);
    r->out->result = r->gpu->event_time[slot];
    return HIGPU_STATUS_OK;
}

static enum higpu_status query(struct run *r)
{
    struct higpu *gpu = r->gpu;
    const struct gpu_params *p = &gpu->params.gpu;
    const struct gpu_memory *m = gpu_get_memory(gpu->gpu);
    struct higpu_info info = {
        .memory_bytes = p->memory_bytes, .memory_used = m->used, .clock_hz = p->clock_hz, .l2_bytes = p->l2_bytes,
        .sm_count = p->sm_count, .max_threads_per_block = p->max_threads_per_block,
        .shared_per_block = p->shared_per_block, .max_threads_per_sm = p->max_threads_per_sm,
        .pcie_generation = gpu->params.pcie_generation, .pcie_lanes = gpu->params.pcie_lanes,
        .now_ps = higpu_now(gpu), .busy_ps = gpu->stats.busy_ps, .kernel_ps = gpu->stats.kernel_ps,
        .copy_ps = gpu->stats.copy_ps, .launches = gpu->stats.launches, .commands = gpu->stats.commands,
        .allocations = m->allocation_count,
        .hilink_place = gpu->params.place, .hilink_gpus = gpu->params.hilink_gpus, .memory_base = m->base,
    };
    snprintf(info.name, sizeof info.name, "HiGPU %s", p->preset);
    snprintf(info.preset, sizeof info.preset, "%s", p->preset);
    for (uint32_t i = 0; i < HIGPU_MAX_MODULES; i++)
        info.modules += gpu->modules[i].module != NULL;
    uint64_t length = r->c->query.length < sizeof info ? r->c->query.length : sizeof info;
    struct vdc_error err;
    if (!higpu_guest_range(gpu, r->c->query.address, length, "query buffer", r->why))
        return HIGPU_STATUS_BAD_ADDRESS;
    if (!vdc_guest_write(&gpu->guest->memory, r->c->query.address, &info, length, "query buffer", &err))
        return fail(r, HIGPU_STATUS_BAD_ADDRESS, "%s", err.text);
    r->time += gpu->params.pcie_latency + higpu_pcie_transfer(gpu, length);
    r->out->result = sizeof info;
    return HIGPU_STATUS_OK;
}

static enum higpu_status symbol(struct run *r)
{
    struct gpu_module *module = module_of(r->gpu, r->c->symbol.module);
    if (module == NULL)
        return fail(r, HIGPU_STATUS_BAD_HANDLE, "module 0x%x is not loaded", r->c->symbol.module);
    char name[HIGPU_MAX_NAME + 1];
    enum higpu_status s = read_name(r, r->c->symbol.name, r->c->symbol.name_length, name);
    if (s != HIGPU_STATUS_OK)
        return s;
    if (!gpu_module_symbol(module, name, &r->out->result, &r->out->result2))
        return fail(r, HIGPU_STATUS_BAD_HANDLE, "module 0x%x has no variable %s", r->c->symbol.module, name);
    return HIGPU_STATUS_OK;
}


static enum higpu_status peer_access(struct run *r)
{
    if (r->c->peer.enable > 1)
        return fail(r, HIGPU_STATUS_BAD_COMMAND, "peer access enable %u: give 0 or 1", r->c->peer.enable);
    struct higpu *peer;
    enum higpu_status s = higpu_peer_at(r->gpu, r->c->peer.place, &peer, r->why);
    if (s == HIGPU_STATUS_OK)
        gpu_allow_peer(r->gpu->gpu, r->c->peer.place, r->c->peer.enable != 0);
    return s;
}

/* The place an address of the shared address space lies in (GPU_MAX_PLACES: none). */
static uint32_t place_of(uint64_t address)
{
    uint64_t place = address >= GPU_GLOBAL_BASE ? (address - GPU_GLOBAL_BASE) / GPU_PLACE_BYTES : UINT64_MAX;
    return place < GPU_MAX_PLACES ? (uint32_t)place : GPU_MAX_PLACES;
}

/* A copy between this GPU's memory and a peer's, over HiLink, once the command has started (C): to the peer when
 * the destination is the peer's (posted writes of 256 bytes, ended by the peer's acknowledgement of the last), from
 * the peer when the source is (read requests, ended by the last reply). */
static enum higpu_status copy_peer(struct run *r)
{
    const struct higpu_command *c = r->c;
    struct higpu *gpu = r->gpu;
    bool pulls = place_of(c->copy.dst) == gpu->params.place;
    uint64_t mine = pulls ? c->copy.dst : c->copy.src, theirs = pulls ? c->copy.src : c->copy.dst;
    uint32_t place = place_of(theirs);
    struct higpu *peer_gpu;
    enum higpu_status s = higpu_peer_at(gpu, place, &peer_gpu, r->why);
    if (s != HIGPU_STATUS_OK)
        return s;
    if (!higpu_device_range(gpu, mine, c->copy.length, pulls ? "copy destination" : "copy source", r->why))
        return HIGPU_STATUS_BAD_DEVICE_ADDRESS;
    char why[HIGPU_MAX_MESSAGE];
    if (!higpu_device_range(peer_gpu, theirs, c->copy.length, pulls ? "copy source" : "copy destination", why))
        return fail(r, HIGPU_STATUS_BAD_DEVICE_ADDRESS, "on peer GPU %u: %s", place, why);
    if (c->copy.length == 0)
        return HIGPU_STATUS_OK;
    vdc_time ready = vdc_time_add(higpu_now(gpu), r->time);
    if (pulls)
        higpu_peer_pull_begin(gpu, r->queue, place, c, ready);
    else
        higpu_peer_copy_begin(gpu, r->queue, place, c, ready);
    return HIGPU_STATUS_OK;
}

static enum higpu_status dispatch(struct run *r)
{
    const struct higpu_command *c = r->c;
    if (c->opcode >= OPCODE_LIMIT || opcode_names[c->opcode] == NULL)
        return fail(r, HIGPU_STATUS_BAD_COMMAND, "unknown opcode %u", c->opcode);
    if (c->flags != 0)
        return fail(r, HIGPU_STATUS_BAD_COMMAND, "flags 0x%x are reserved (0)", c->flags);
    const uint8_t *bytes = (const uint8_t *)c->raw;
    for (uint32_t i = 0; i < sizeof c->raw; i++) {
        if (bytes[i] != 0 && !(used_bytes[c->opcode] >> i & 1))
            return fail(r, HIGPU_STATUS_BAD_COMMAND, "byte %u of the command is reserved (0) for %s", 8 + i,
                        opcode_names[c->opcode]);
    }
    switch (c->opcode) {
    case HIGPU_CMD_MEM_ALLOC: return mem_alloc(r);
    case HIGPU_CMD_MEM_FREE: return mem_free(r);
    case HIGPU_CMD_COPY_H2D:
    case HIGPU_CMD_COPY_D2H:
    case HIGPU_CMD_COPY_D2D:
    case HIGPU_CMD_MEMSET: return transfer(r);
    case HIGPU_CMD_MODULE_LOAD: return module_load(r);
    case HIGPU_CMD_MODULE_UNLOAD: return module_unload(r);
    case HIGPU_CMD_LAUNCH: return launch(r);
    case HIGPU_CMD_EVENT_RECORD: return event_record(r);
    case HIGPU_CMD_EVENT_WAIT: return event_wait(r);
    case HIGPU_CMD_FENCE: return HIGPU_STATUS_OK; /* in order: every earlier command of its queue has ended */
    case HIGPU_CMD_QUERY: return query(r);
    case HIGPU_CMD_PEER_ACCESS: return peer_access(r);
    case HIGPU_CMD_COPY_PEER: return copy_peer(r);
    case HIGPU_CMD_IPC_EXPORT:
    case HIGPU_CMD_IPC_IMPORT:
    case HIGPU_CMD_MAIL_SEND:
    case HIGPU_CMD_MAIL_RECV: return higpu_ipc_command(r->gpu, c, r->out, r->why, &r->time);
    default: return symbol(r);
    }
}

static enum higpu_error error_of(enum higpu_status status)
{
    switch (status) {
    case HIGPU_STATUS_BAD_ADDRESS: return HIGPU_ERR_DMA;
    case HIGPU_STATUS_BAD_DEVICE_ADDRESS:
    case HIGPU_STATUS_OUT_OF_MEMORY: return HIGPU_ERR_DEVICE_MEMORY;
    case HIGPU_STATUS_BAD_HANDLE: return HIGPU_ERR_BAD_HANDLE;
    case HIGPU_STATUS_PTX_ERROR: return HIGPU_ERR_PTX;
    case HIGPU_STATUS_LAUNCH_ERROR: return HIGPU_ERR_LAUNCH;
    case HIGPU_STATUS_GPU_FAULT: return HIGPU_ERR_FAULT;
    case HIGPU_STATUS_NO_PEER: return HIGPU_ERR_PEER;
    case HIGPU_STATUS_KERNEL_TIMEOUT: return HIGPU_ERR_FAULT;
    case HIGPU_STATUS_PEER_TIMEOUT: return HIGPU_ERR_PEER;
    default: return HIGPU_ERR_BAD_COMMAND;
    }
}

/* The guest's message buffer gets "tag N: text", cut to its size and NUL-terminated. */
static void write_message(struct higpu *gpu, uint32_t tag, const char *text)
{
    if (gpu->message_base == 0 || gpu->message_size == 0)
        return;
    char line[HIGPU_MAX_MESSAGE];
    int n = snprintf(line, sizeof line, "tag %u: %s", tag, text);
    uint64_t length = (uint64_t)n + 1 < gpu->message_size ? (uint64_t)n + 1 : gpu->message_size;
    line[length - 1] = '\0';
    struct vdc_error err;
    if (!vdc_guest_write(&gpu->guest->memory, gpu->message_base, line, length, "message buffer", &err))
        higpu_log(gpu, HIGPU_ERR_DMA, "%s", err.text);
}

void higpu_conclude(struct higpu *gpu, uint32_t index, enum higpu_status status, struct higpu_completion *out)
{
    out->status = (uint8_t)status;
    if (status == HIGPU_STATUS_OK)
        return;
    out->error = (uint8_t)error_of(status);
    higpu_log(gpu, out->error, "command %u (tag %u, %s): %s", index, out->tag, higpu_opcode_name(out->opcode),
              gpu->message);
    write_message(gpu, out->tag, gpu->message);
}

vdc_time higpu_execute(struct higpu *gpu, uint32_t queue, uint32_t index, const struct higpu_command *c,
                       struct higpu_completion *out)
{
    *out = (struct higpu_completion){.tag = c->tag, .opcode = (uint8_t)c->opcode};
    struct run r = {.gpu = gpu, .queue = queue, .index = index, .c = c, .out = out,
                    .time = gpu->params.command_time, .why = gpu->message};
    gpu->message[0] = '\0';
    higpu_conclude(gpu, index, dispatch(&r), out);
    return r.time;
}

void higpu_modules_free(struct higpu *gpu)
{
    for (uint32_t i = 0; i < HIGPU_MAX_MODULES; i++) {
        if (gpu->modules[i].module != NULL)
            gpu_module_unload(gpu->gpu, gpu->modules[i].module);
        gpu->modules[i].module = NULL;
    }
}
