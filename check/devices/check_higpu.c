/* HiGPU's device without KVM: the guest is plain memory plus an entity, and the tests drive registers, the
 * command ring and completions as the guest runtime would, checking results, timing and every refusal. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/devices/higpu/higpu_internal.h"
#include "../../src/devices/hinic/hinic.h"
#include "../../src/devices/hinic/hinic_regs.h"
#include "../../src/devices/pcie.h"
#include "../../src/devices/plug.h"
#include "../../src/kvm/guest_layout.h"
#include "../../src/scheduler/entity_ids.h"
#include "../../src/kvm/guest.h"
#include "../suites.h"

#define MEMORY (16ULL << 20)
#define QUEUE_AT 0x10000ULL
#define COMPLETIONS_AT 0x20000ULL
#define MESSAGE_AT 0x30000ULL
#define MESSAGE_SIZE 512
#define INFO_AT 0x38000ULL
#define BUF_AT 0x100000ULL
#define ENTRIES 64

struct rig {
    struct vdc_sim sim;
    struct vdc_guest guest;
    struct higpu_params params;
    struct higpu *gpu;
    uint32_t producer, next_tag;
    char *log;
    size_t log_size;
    FILE *log_file;
};

static void ignore_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)self;
    (void)ev;
}

static bool reg_write(struct rig *r, uint64_t offset, uint64_t value)
{
    struct vdc_mmio_access a = {.offset = offset, .size = 8, .is_write = true, .value = value};
    struct vdc_error err;
    return higpu_mmio(r->gpu, &r->guest, &a, &err);
}

static uint64_t reg_read(struct rig *r, uint64_t offset)
{
    struct vdc_mmio_access a = {.offset = offset, .size = 8};
    struct vdc_error err;
    ck_assert_msg(higpu_mmio(r->gpu, &r->guest, &a, &err), "%s", err.text);
    return a.value;
}

static void *mem(struct rig *r, uint64_t at, uint64_t len)
{
    void *p = vdc_guest_ptr(&r->guest.memory, at, len);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* A GPU with a queue of `entries` (0: none set up); `params` NULL: the defaults of preset h100. */
static void rig_init_with(struct rig *r, const struct higpu_params *params, uint32_t entries)
{
    struct vdc_error err;
    memset(r, 0, sizeof *r);
    vdc_sim_init(&r->sim, 1);
    r->guest.name = vdc_xstrdup("blade0");
    ck_assert(vdc_guest_memory_map(&r->guest.memory, MEMORY, &err));
    r->guest.entity = vdc_entity_create(&r->sim, 0x10000, "blade0", ignore_event, &r->guest, &err);
    ck_assert_ptr_nonnull(r->guest.entity);
    if (params != NULL)
        r->params = *params;
    else
        ck_assert_msg(higpu_params_init(&r->params, "h100", &err), "%s", err.text);
    r->log_file = open_memstream(&r->log, &r->log_size);
    r->gpu = higpu_create(&r->guest, &r->sim, 0x18000, 0xC0002000ULL, &r->params, r->log_file, &err);
    ck_assert_msg(r->gpu != NULL, "%s", err.text);
    if (entries == 0)
        return;
    reg_write(r, HIGPU_REG_QUEUE_BASE, QUEUE_AT);
    reg_write(r, HIGPU_REG_COMPLETION_BASE, COMPLETIONS_AT);
    reg_write(r, HIGPU_REG_QUEUE_SIZE, entries);
    reg_write(r, HIGPU_REG_MESSAGE_BASE, MESSAGE_AT);
    reg_write(r, HIGPU_REG_MESSAGE_SIZE, MESSAGE_SIZE);
    ck_assert_uint_eq(reg_read(r, HIGPU_REG_QUEUE_SIZE), entries);
    ck_assert_uint_eq(reg_read(r, HIGPU_REG_ERRORS), 0);
}

static void rig_init(struct rig *r)
{
    rig_init_with(r, NULL, ENTRIES);
}

static void rig_free(struct rig *r)
{
    higpu_free(r->gpu);
    fclose(r->log_file);
    free(r->log);
    vdc_guest_memory_unmap(&r->guest.memory);
    vdc_mmio_bus_free(&r->guest.bus);
    free(r->guest.name);
    vdc_sim_free(&r->sim);
}

static const char *log_text(struct rig *r)
{
    fflush(r->log_file);
    return r->log ? r->log : "";
}

/* Places a command in the next slot (with a fresh tag unless it has one) and rings the doorbell; returns its index. */
static uint32_t submit(struct rig *r, struct higpu_command c)
{
    uint32_t index = r->producer++;
    if (c.tag == 0)
        c.tag = ++r->next_tag;
    uint32_t entries = (uint32_t)reg_read(r, HIGPU_REG_QUEUE_SIZE);
    memcpy(mem(r, QUEUE_AT + (index % entries) * sizeof c, sizeof c), &c, sizeof c);
    reg_write(r, HIGPU_REG_DOORBELL, r->producer);
    return index;
}

static struct higpu_completion completion(struct rig *r, uint32_t index)
{
    uint32_t entries = (uint32_t)reg_read(r, HIGPU_REG_QUEUE_SIZE);
    struct higpu_completion c;
    memcpy(&c, mem(r, COMPLETIONS_AT + (index % entries) * sizeof c, sizeof c), sizeof c);
    ck_assert_msg((c.flags & HIGPU_COMPLETION_OWNER) == 1 - ((index / entries) & 1), "completion %u not written",
                  index);
    return c;
}

/* Submits one command, runs until idle, returns its completion. */
static struct higpu_completion run1(struct rig *r, struct higpu_command c)
{
    uint32_t index = submit(r, c);
    vdc_sim_run(&r->sim, VDC_TIME_MAX);
    return completion(r, index);
}

static uint64_t alloc(struct rig *r, uint64_t size)
{
    struct higpu_completion c = run1(r, (struct higpu_command){.opcode = HIGPU_CMD_MEM_ALLOC, .alloc.size = size});
    ck_assert_uint_eq(c.status, HIGPU_STATUS_OK);
    return c.result;
}

static void fill(struct rig *r, uint64_t at, uint64_t len, uint32_t seed)
{
    uint8_t *p = mem(r, at, len);
    for (uint64_t i = 0; i < len; i++)
        p[i] = (uint8_t)(vdc_mix64(seed * 0x100000000ULL + i) >> 7);
}

/* "[   0.000001234] blade0: higpu: " for a line logged at `t`. */
static void expect_log_line(struct rig *r, vdc_time t, const char *text)
{
    char line[700];
    snprintf(line, sizeof line, "[%4" PRIu64 ".%09" PRIu64 "] blade0: higpu: %s\n", t / VDC_SEC,
             t % VDC_SEC / VDC_NS, text);
    ck_assert_msg(strstr(log_text(r), line) != NULL, "log lacks\n%sit has\n%s", line, log_text(r));
}

static const char *message(struct rig *r)
{
    return mem(r, MESSAGE_AT, MESSAGE_SIZE);
}

/* ---- several queues ---- */

#define QUEUES_AT 0x40000ULL /* queue q's ring at + q * 0x2000, its completions 0x1000 above */
#define QUEUE_ENTRIES 8

static void queue_on(struct rig *r, uint32_t q)
{
    uint64_t block = HIGPU_REG_QUEUES + q * HIGPU_QUEUE_STRIDE;
    reg_write(r, block + HIGPU_QREG_BASE, QUEUES_AT + q * 0x2000);
    reg_write(r, block + HIGPU_QREG_COMPLETION_BASE, QUEUES_AT + q * 0x2000 + 0x1000);
    reg_write(r, block + HIGPU_QREG_SIZE, QUEUE_ENTRIES);
    ck_assert_uint_eq(reg_read(r, block + HIGPU_QREG_SIZE), QUEUE_ENTRIES);
}

/* Queues command `index` of queue q (the guest's own count) and rings its doorbell. */
static void submit_on(struct rig *r, uint32_t q, uint32_t index, struct higpu_command c)
{
    c.tag = ++r->next_tag;
    memcpy(mem(r, QUEUES_AT + q * 0x2000 + (index % QUEUE_ENTRIES) * sizeof c, sizeof c), &c, sizeof c);
    reg_write(r, HIGPU_REG_QUEUES + q * HIGPU_QUEUE_STRIDE + HIGPU_QREG_DOORBELL, index + 1);
}

static struct higpu_completion completion_on(struct rig *r, uint32_t q, uint32_t index)
{
    struct higpu_completion c;
    memcpy(&c, mem(r, QUEUES_AT + q * 0x2000 + 0x1000 + (index % QUEUE_ENTRIES) * sizeof c, sizeof c), sizeof c);
    ck_assert_msg((c.flags & HIGPU_COMPLETION_OWNER) == 1 - ((index / QUEUE_ENTRIES) & 1),
                  "completion %u of queue %u not written", index, q);
    ck_assert_uint_eq(c.status, HIGPU_STATUS_OK);
    return c;
}

/* Copies on different engines run at once; two on one engine take turns; an event wait holds its queue until the
 * record it names is reached on another queue, and a record's sequence without waiters changes nothing. */
START_TEST(queues_run_side_by_side_and_events_order_them)
{
    struct rig r;
    rig_init(&r);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_CAPS) >> 40 & 0xFF, HIGPU_MAX_QUEUES);
    for (uint32_t q = 1; q <= 3; q++)
        queue_on(&r, q);
    uint64_t n = 1 << 20, a = alloc(&r, n), b = alloc(&r, n);
    fill(&r, BUF_AT, n, 5);
    vdc_time t0 = r.sim.now;
    submit_on(&r, 1, 0, (struct higpu_command){.opcode = HIGPU_CMD_COPY_H2D, .copy = {BUF_AT, a, n}});
    submit_on(&r, 2, 0, (struct higpu_command){.opcode = HIGPU_CMD_MEMSET, .memset = {.address = b, .length = n}});
    submit_on(&r, 3, 0, (struct higpu_command){.opcode = HIGPU_CMD_COPY_H2D, .copy = {BUF_AT, b, 4096}});
    /* Queue 2 waits for queue 1's record behind its copy, then copies a to b on the device. */
    submit_on(&r, 1, 1, (struct higpu_command){.opcode = HIGPU_CMD_EVENT_RECORD, .event = {.slot = 3, .sequence = 1}});
    submit_on(&r, 2, 1, (struct higpu_command){.opcode = HIGPU_CMD_EVENT_WAIT, .event = {.slot = 3, .sequence = 1}});
    submit_on(&r, 2, 2, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2D, .copy = {a, b, n}});
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct higpu_completion copy1 = completion_on(&r, 1, 0), fill2 = completion_on(&r, 2, 0);
    struct higpu_completion copy3 = completion_on(&r, 3, 0), record = completion_on(&r, 1, 1);
    struct higpu_completion wait = completion_on(&r, 2, 1), d2d = completion_on(&r, 2, 2);
    /* The memset (local engine) starts with the first copy and ends long before it. */
    ck_assert_uint_eq(fill2.start_ps, copy1.start_ps);
    ck_assert_uint_lt(fill2.end_ps, copy1.end_ps);
    /* The second host copy waits for the copy-in engine. */
    ck_assert_uint_eq(copy3.start_ps, copy1.end_ps);
    ck_assert_uint_eq(record.start_ps, copy1.end_ps);
    /* The wait, queue 2's since its memset ended, runs once the record is reached. */
    ck_assert_uint_lt(fill2.end_ps, record.start_ps);
    ck_assert_uint_eq(wait.start_ps, record.start_ps);
    ck_assert_uint_eq(wait.end_ps, record.start_ps + r.params.command_time);
    ck_assert_uint_ge(d2d.start_ps, wait.end_ps);
    ck_assert_uint_gt(copy1.start_ps, t0);
    /* b holds a (the whole copy of the host buffer), not the memset's zeros nor only the 4 KiB of queue 3. */
    uint8_t *want = mem(&r, BUF_AT, n), got[4096];
    struct vdc_error err;
    for (uint64_t at = 0; at < n; at += sizeof got) {
        ck_assert(gpu_memory_read(gpu_get_memory(r.gpu->gpu), b + at, got, sizeof got, "test", &err));
        ck_assert_int_eq(memcmp(got, want + at, sizeof got), 0);
    }
    rig_free(&r);
}
END_TEST

START_TEST(register_map)
{
    struct rig r;
    rig_init(&r);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_ID), HIGPU_MAGIC);
    uint64_t caps = reg_read(&r, HIGPU_REG_CAPS);
    ck_assert_uint_eq(caps & 0xFFFF, r.params.gpu.sm_count);
    ck_assert_uint_eq(1u << (caps >> 16 & 0xFF), HIGPU_MAX_QUEUE_ENTRIES);
    ck_assert_uint_eq(1u << (caps >> 24 & 0xFF), sizeof(struct higpu_command));
    ck_assert_uint_eq(1u << (caps >> 32 & 0xFF), sizeof(struct higpu_completion));
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_MEMORY_SIZE), r.params.gpu.memory_bytes);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_MEMORY_USED), 0);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_CAUSE), 1u << 2);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_CLOCK_KHZ), r.params.gpu.clock_hz / 1000);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_LINK), 5 | 16 << 8);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_QUEUE_BASE), QUEUE_AT);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_COMPLETION_BASE), COMPLETIONS_AT);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_MESSAGE_SIZE), MESSAGE_SIZE);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_CONSUMER), 0);
    /* The window is on the guest's bus with its PCIe identity. */
    const struct vdc_mmio_window *w = vdc_mmio_bus_find(&r.guest.bus, 0xC0002000ULL, 8);
    ck_assert_ptr_nonnull(w);
    ck_assert_str_eq(w->name, "higpu");
    ck_assert_uint_eq(w->pcie.vendor, 0x5644);
    ck_assert_uint_eq(w->pcie.device, 0x0002);
    ck_assert_uint_eq(w->pcie.class_code, 0x030200);
    ck_assert_uint_eq(w->cause, 1u << 2);
    ck_assert_uint_eq(w->property_count, 4);
    ck_assert_str_eq(w->properties[0].name, "vdc,preset");
    ck_assert_str_eq(w->properties[0].value, "h100");
    /* Registers that are not there, odd sizes, writes to read-only ones: a fault and a line each. */
    struct vdc_mmio_access a = {.offset = 0x800, .size = 8};
    struct vdc_error err;
    ck_assert(!higpu_mmio(r.gpu, &r.guest, &a, &err));
    ck_assert_str_eq(err.text, "read of offset 0x800, which is not a readable register");
    a = (struct vdc_mmio_access){.offset = HIGPU_REG_ID, .size = 4};
    ck_assert(!higpu_mmio(r.gpu, &r.guest, &a, &err));
    ck_assert(!reg_write(&r, HIGPU_REG_ID, 1));
    expect_log_line(&r, 0, "read of offset 0x800, which is not a readable register");
    expect_log_line(&r, 0, "4-byte access at offset 0x0; registers are 8 bytes, 8-aligned");
    expect_log_line(&r, 0, "write to offset 0x0, which is not a writable register");
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_ERRORS), 3);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_LAST_ERROR), HIGPU_ERR_BAD_REGISTER);
    rig_free(&r);
}
END_TEST

/* Host to device and back: the bytes arrive, and each copy takes the time the link's generation and width give. */
static void copy_timing(uint32_t generation, uint32_t lanes, vdc_time latency)
{
    struct rig r;
    struct higpu_params params;
    struct vdc_error err;
    ck_assert(higpu_params_init(&params, "h100", &err));
    params.pcie_generation = generation;
    params.pcie_lanes = lanes;
    params.pcie_latency = latency;
    rig_init_with(&r, &params, ENTRIES);
    const uint64_t n = 3 << 20; /* crosses a 2 MiB page and many bounce chunks */
    uint64_t dev = alloc(&r, n);
    fill(&r, BUF_AT, n, 11);
    vdc_time t0 = r.sim.now;
    struct higpu_completion h2d = run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_H2D,
                                                                  .copy = {BUF_AT, dev, n}});
    ck_assert_uint_eq(h2d.status, HIGPU_STATUS_OK);
    /* The analytic time: the doorbell crosses once; the idle engine fetches the command (two crossings and 64
     * bytes); the copy reads guest memory (two crossings and the bytes); the completion crosses once. */
    uint64_t bw = vdc_pcie_bandwidth(generation, lanes);
    ck_assert_uint_eq(bw, (uint64_t)(generation == 4 ? 15753846154ULL : 31507692308ULL) * lanes / 280 * 256);
    vdc_time command = params.command_time;
    vdc_time bytes = (vdc_time)(((unsigned __int128)n * 8 * VDC_SEC + bw - 1) / bw);
    vdc_time fetch = 2 * latency + (64 * 8 * VDC_SEC + bw - 1) / bw;
    ck_assert_uint_eq(h2d.start_ps, t0 + latency + fetch);
    ck_assert_uint_eq(h2d.end_ps - h2d.start_ps, command + 2 * latency + bytes);
    ck_assert_uint_eq(r.sim.now, h2d.end_ps + latency);
    ck_assert_uint_eq(r.guest.causes, 1u << 2);
    /* Device to host: posted writes, one crossing. */
    struct higpu_completion d2h = run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2H,
                                                                  .copy = {dev, BUF_AT + (4 << 20), n}});
    ck_assert_uint_eq(d2h.status, HIGPU_STATUS_OK);
    ck_assert_uint_eq(d2h.end_ps - d2h.start_ps, command + latency + bytes);
    ck_assert_int_eq(memcmp(mem(&r, BUF_AT, n), mem(&r, BUF_AT + (4 << 20), n), n), 0);
    struct higpu_stats stats;
    higpu_get_stats(r.gpu, &stats);
    ck_assert_uint_eq(stats.copied_bytes, 2 * n);
    ck_assert_uint_eq(stats.copy_ps, 3 * latency + 2 * bytes);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_BUSY_PS), stats.busy_ps);
    ck_assert_uint_eq(stats.busy_ps, 3 * command + 3 * latency + 2 * bytes);
    ck_assert_str_eq(log_text(&r), "");
    rig_free(&r);
}

START_TEST(copies_round_trip_with_pcie_timing)
{
    copy_timing(5, 16, 250 * VDC_NS);
    copy_timing(4, 8, 1 * VDC_US);
}
END_TEST

START_TEST(memset_and_device_to_device)
{
    struct rig r;
    rig_init(&r);
    const uint64_t n = 100000;
    uint64_t a = alloc(&r, n), b = alloc(&r, 2 * n);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_MEMORY_USED), 3 * n);
    struct higpu_completion c = run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_MEMSET,
                                                                .memset = {.address = a, .length = n, .value = 0xAB}});
    ck_assert_uint_eq(c.status, HIGPU_STATUS_OK);
    uint64_t rate = r.params.gpu.dram_bytes_per_second;
    ck_assert_uint_eq(c.end_ps - c.start_ps, r.params.command_time + (n * VDC_SEC + rate - 1) / rate);
    /* Overlapping device-to-device copies behave as memmove, in both directions. */
    fill(&r, BUF_AT, 2 * n, 3);
    ck_assert_uint_eq(run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_H2D, .copy = {BUF_AT, b, 2 * n}})
                          .status, HIGPU_STATUS_OK);
    c = run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2D, .copy = {b, b + 1000, n}});
    ck_assert_uint_eq(c.status, HIGPU_STATUS_OK);
    ck_assert_uint_eq(c.end_ps - c.start_ps, r.params.command_time + (2 * n * VDC_SEC + rate - 1) / rate);
    c = run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2D, .copy = {a, b + 2 * n - 500, 500}});
    ck_assert_uint_eq(c.status, HIGPU_STATUS_OK);
    ck_assert_uint_eq(run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2H,
                                                      .copy = {b, BUF_AT + (4 << 20), 2 * n}}).status,
                      HIGPU_STATUS_OK);
    uint8_t *expect = malloc(2 * n);
    memcpy(expect, mem(&r, BUF_AT, 2 * n), 2 * n);
    memmove(expect + 1000, expect, n);
    memset(expect + 2 * n - 500, 0xAB, 500);
    ck_assert_int_eq(memcmp(expect, mem(&r, BUF_AT + (4 << 20), 2 * n), 2 * n), 0);
    c = run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2D, .copy = {b + 1000, b, n}});
    ck_assert_uint_eq(c.status, HIGPU_STATUS_OK);
    run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2H, .copy = {b, BUF_AT + (4 << 20), 2 * n}});
    memmove(expect, expect + 1000, n);
    ck_assert_int_eq(memcmp(expect, mem(&r, BUF_AT + (4 << 20), 2 * n), 2 * n), 0);
    free(expect);
    ck_assert_str_eq(log_text(&r), "");
    rig_free(&r);
}
END_TEST

/* Runs one command that must fail with `status`; checks the completion, the log line and the message buffer. */
static void expect_refusal(struct rig *r, struct higpu_command c, enum higpu_status status, const char *text)
{
    uint64_t errors = reg_read(r, HIGPU_REG_ERRORS);
    uint32_t index = submit(r, c);
    vdc_sim_run(&r->sim, VDC_TIME_MAX);
    struct higpu_completion done = completion(r, index);
    ck_assert_msg(done.status == status, "status %u, expected %u (%s)", done.status, status, message(r));
    ck_assert_uint_ne(done.error, HIGPU_ERR_NONE);
    ck_assert_uint_eq(reg_read(r, HIGPU_REG_LAST_ERROR), done.error);
    ck_assert_uint_eq(reg_read(r, HIGPU_REG_ERRORS), errors + 1);
    ck_assert_uint_eq(done.end_ps - done.start_ps, r->params.command_time);
    char line[600];
    uint32_t tag = c.tag ? c.tag : r->next_tag;
    snprintf(line, sizeof line, "command %u (tag %u, %s): %s", index, tag, higpu_opcode_name(c.opcode), text);
    expect_log_line(r, done.start_ps, line);
    char expect[600];
    snprintf(expect, sizeof expect, "tag %u: %s", tag, text);
    ck_assert_str_eq(message(r), expect);
}

START_TEST(allocation_errors)
{
    struct rig r;
    rig_init(&r);
    uint64_t capacity = r.params.gpu.memory_bytes;
    char text[300];
    snprintf(text, sizeof text, "device allocation of %" PRIu64 " bytes: larger than the device's %" PRIu64
             " bytes", capacity + 1, capacity);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MEM_ALLOC, .alloc.size = capacity + 1},
                   HIGPU_STATUS_OUT_OF_MEMORY, text);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MEM_ALLOC}, HIGPU_STATUS_BAD_COMMAND,
                   "device allocation of 0 bytes: ask for at least 1 byte");
    uint64_t a = alloc(&r, 4096);
    ck_assert_uint_eq(a % 256, 0);
    ck_assert_uint_ge(a, GPU_GLOBAL_BASE);
    snprintf(text, sizeof text, "free of device address 0x%" PRIx64 ": not the start of an allocation", a + 16);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MEM_FREE, .free.address = a + 16},
                   HIGPU_STATUS_BAD_HANDLE, text);
    ck_assert_uint_eq(run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_MEM_FREE, .free.address = a}).status,
                      HIGPU_STATUS_OK);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_MEMORY_USED), 0);
    snprintf(text, sizeof text, "free of device address 0x%" PRIx64 ": not the start of an allocation", a);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MEM_FREE, .free.address = a},
                   HIGPU_STATUS_BAD_HANDLE, text);
    /* Freed memory is gone: copies into it are refused. */
    snprintf(text, sizeof text, "destination 0x%" PRIx64 " (16 bytes): 0x%" PRIx64 " is not allocated device memory",
             a, a);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_H2D, .copy = {BUF_AT, a, 16}},
                   HIGPU_STATUS_BAD_DEVICE_ADDRESS, text);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MODULE_UNLOAD, .module_unload.module = 1},
                   HIGPU_STATUS_BAD_HANDLE, "module 0x1 is not loaded");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_LAUNCH, .launch = {.module = 0x10001}},
                   HIGPU_STATUS_BAD_HANDLE, "module 0x10001 is not loaded");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MODULE_SYMBOL, .symbol = {.module = 7}},
                   HIGPU_STATUS_BAD_HANDLE, "module 0x7 is not loaded");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_EVENT_WAIT, .event.slot = 3},
                   HIGPU_STATUS_BAD_HANDLE, "event 3 has not been recorded");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_EVENT_RECORD, .event.slot = 256},
                   HIGPU_STATUS_BAD_HANDLE, "event 256; events are 0 to 255");
    rig_free(&r);
}
END_TEST

START_TEST(bad_commands)
{
    struct rig r;
    rig_init(&r);
    uint64_t dev = alloc(&r, 1 << 20);
    char text[300];
    expect_refusal(&r, (struct higpu_command){.opcode = 99, .tag = 7}, HIGPU_STATUS_BAD_COMMAND, "unknown opcode 99");
    expect_refusal(&r, (struct higpu_command){.opcode = 0}, HIGPU_STATUS_BAD_COMMAND, "unknown opcode 0");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_FENCE, .flags = 1}, HIGPU_STATUS_BAD_COMMAND,
                   "flags 0x1 are reserved (0)");
    struct higpu_command c = {.opcode = HIGPU_CMD_MEM_ALLOC, .alloc.size = 64};
    c.raw[3] = 1;
    expect_refusal(&r, c, HIGPU_STATUS_BAD_COMMAND, "byte 32 of the command is reserved (0) for MEM_ALLOC");
    c = (struct higpu_command){.opcode = HIGPU_CMD_LAUNCH, .launch = {.module = 1}};
    c.launch.reserved = 1;
    expect_refusal(&r, c, HIGPU_STATUS_BAD_COMMAND, "byte 62 of the command is reserved (0) for LAUNCH");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MEMSET, .memset = {dev, 16, 0x100, 0}},
                   HIGPU_STATUS_BAD_COMMAND, "memset value 0x100 is not a byte");
    /* Guest ranges outside guest memory, and lengths that run past its end or wrap around. */
    snprintf(text, sizeof text, "source 0x%llx (100 bytes) is outside guest memory (16777216 bytes)", MEMORY - 10);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_H2D, .copy = {MEMORY - 10, dev, 100}},
                   HIGPU_STATUS_BAD_ADDRESS, text);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2H, .copy = {dev, 0x1000, UINT64_MAX}},
                   HIGPU_STATUS_BAD_DEVICE_ADDRESS,
                   "source 0x10000000000 (18446744073709551615 bytes) is outside device memory");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2H, .copy = {dev, 0xFFFFFFFFFFFFFF00ULL, 16}},
                   HIGPU_STATUS_BAD_ADDRESS,
                   "destination 0xffffffffffffff00 (16 bytes) is outside guest memory (16777216 bytes)");
    snprintf(text, sizeof text, "destination 0x%llx (1048577 bytes) is outside guest memory (16777216 bytes)",
             MEMORY - (1 << 20));
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2H, .copy = {dev, MEMORY - (1 << 20),
                                                                                     (1 << 20) + 1}},
                   HIGPU_STATUS_BAD_ADDRESS, text);
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_COPY_D2D, .copy = {0x1000, dev, 8}},
                   HIGPU_STATUS_BAD_DEVICE_ADDRESS, "source 0x1000 (8 bytes) is outside device memory");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MODULE_LOAD, .module_load = {BUF_AT, 0}},
                   HIGPU_STATUS_BAD_COMMAND, "PTX text of 0 bytes; give 1 to 16777216 bytes");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_MODULE_LOAD, .module_load = {MEMORY - 4, 100}},
                   HIGPU_STATUS_BAD_ADDRESS, "PTX text 0xfffffc (100 bytes) is outside guest memory (16777216 bytes)");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_QUERY, .query = {MEMORY, 8}},
                   HIGPU_STATUS_BAD_ADDRESS, "query buffer 0x1000000 (8 bytes) is outside guest memory (16777216 bytes)");
    expect_refusal(&r, (struct higpu_command){.opcode = HIGPU_CMD_EVENT_RECORD, .event = {.address = MEMORY - 4}},
                   HIGPU_STATUS_BAD_ADDRESS, "event time 0xfffffc (8 bytes) is outside guest memory (16777216 bytes)");
    /* Text that is not PTX: a PTX error with its message. */
    static const char junk[] = "this is not PTX";
    memcpy(mem(&r, BUF_AT, sizeof junk), junk, sizeof junk);
    uint32_t index = submit(&r, (struct higpu_command){.opcode = HIGPU_CMD_MODULE_LOAD,
                                                       .module_load = {BUF_AT, sizeof junk - 1}});
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    ck_assert_uint_eq(completion(&r, index).status, HIGPU_STATUS_PTX_ERROR);
    ck_assert_uint_eq(completion(&r, index).error, HIGPU_ERR_PTX);
    snprintf(text, sizeof text, "tag %u: module@tag%u", r.next_tag, r.next_tag);
    ck_assert_msg(strncmp(message(&r), text, strlen(text)) == 0, "message '%s'", message(&r));
    /* The queue goes on after every refusal. */
    ck_assert_uint_eq(run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_FENCE}).status, HIGPU_STATUS_OK);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_CONSUMER), r.producer);
    rig_free(&r);
}
END_TEST

START_TEST(queue_errors)
{
    struct rig r;
    rig_init_with(&r, NULL, 0);
    reg_write(&r, HIGPU_REG_DOORBELL, 1);
    expect_log_line(&r, 0, "doorbell 1 of queue 0 with no queue; set its size first");
    reg_write(&r, HIGPU_REG_QUEUE_BASE, QUEUE_AT + 8);
    reg_write(&r, HIGPU_REG_COMPLETION_BASE, COMPLETIONS_AT);
    reg_write(&r, HIGPU_REG_QUEUE_SIZE, 64);
    expect_log_line(&r, 0, "queue 0's command ring 0x10008 or completion ring 0x20000 is not 64-byte aligned");
    reg_write(&r, HIGPU_REG_QUEUE_BASE, MEMORY - 64 * 32);
    reg_write(&r, HIGPU_REG_QUEUE_SIZE, 64);
    expect_log_line(&r, 0, "queue 0: command ring 0xfff800 (4096 bytes) is outside guest memory (16777216 bytes)");
    reg_write(&r, HIGPU_REG_QUEUE_SIZE, 48);
    expect_log_line(&r, 0, "queue 0's size 48 is not a power of two up to 4096");
    reg_write(&r, HIGPU_REG_QUEUE_SIZE, 8192);
    expect_log_line(&r, 0, "queue 0's size 8192 is not a power of two up to 4096");
    reg_write(&r, HIGPU_REG_MESSAGE_SIZE, 5000);
    expect_log_line(&r, 0, "message size 5000 is more than 4096");
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_QUEUE_SIZE), 0);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_ERRORS), 6);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_LAST_ERROR), HIGPU_ERR_BAD_REGISTER);
    /* A good queue of 4: a doorbell more than 4 ahead of the consumer overruns it and is ignored. */
    reg_write(&r, HIGPU_REG_QUEUE_BASE, QUEUE_AT);
    reg_write(&r, HIGPU_REG_QUEUE_SIZE, 4);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_QUEUE_SIZE), 4);
    reg_write(&r, HIGPU_REG_DOORBELL, 5);
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    expect_log_line(&r, r.params.pcie_latency, "doorbell 5 overruns queue 0's 4 entries (consumer 0, 0 started)");
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_LAST_ERROR), HIGPU_ERR_RING_OVERRUN);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_CONSUMER), 0);
    /* While commands are in flight, the queue cannot change. */
    submit(&r, (struct higpu_command){.opcode = HIGPU_CMD_FENCE});
    vdc_sim_run(&r.sim, r.sim.now + r.params.pcie_latency + 1);
    reg_write(&r, HIGPU_REG_QUEUE_SIZE, 8);
    reg_write(&r, HIGPU_REG_QUEUE_BASE, 0x40000);
    expect_log_line(&r, r.sim.now, "queue 0's size written while commands are in flight (0 started, 0 completed); "
                                   "wait for the consumer index to reach the producer's");
    expect_log_line(&r, r.sim.now, "queue 0's ring address written while the queue is on; write the queue size 0 first");
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    ck_assert_uint_eq(completion(&r, 0).status, HIGPU_STATUS_OK);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_QUEUE_SIZE), 4);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_QUEUE_BASE), QUEUE_AT);
    /* Off and on again: indexes restart at 0. */
    reg_write(&r, HIGPU_REG_QUEUE_SIZE, 0);
    reg_write(&r, HIGPU_REG_QUEUE_SIZE, 8);
    ck_assert_uint_eq(reg_read(&r, HIGPU_REG_CONSUMER), 0);
    rig_free(&r);
}
END_TEST

/* Many commands in one doorbell run back to back; the owner bit flips on each pass around the rings. */
START_TEST(batches_events_and_wraparound)
{
    struct rig r;
    rig_init_with(&r, NULL, 4);
    uint64_t dev = alloc(&r, 1 << 20);
    const uint64_t n = 65536;
    for (uint32_t round = 0; round < 5; round++) {
        uint32_t first = r.producer;
        uint64_t *stamp = mem(&r, BUF_AT + (2 << 20), 8);
        *stamp = 0;
        /* Four commands in the ring, one doorbell. */
        struct higpu_command cmds[4] = {
            {.opcode = HIGPU_CMD_EVENT_RECORD, .event = {.slot = 0}},
            {.opcode = HIGPU_CMD_COPY_H2D, .copy = {BUF_AT, dev, n}},
            {.opcode = HIGPU_CMD_EVENT_RECORD, .event = {.slot = 1, .address = BUF_AT + (2 << 20)}},
            {.opcode = HIGPU_CMD_EVENT_WAIT, .event = {.slot = 1}},
        };
        for (uint32_t i = 0; i < 4; i++) {
            cmds[i].tag = 100 + i;
            memcpy(mem(&r, QUEUE_AT + ((first + i) % 4) * 64, 64), &cmds[i], 64);
        }
        r.producer += 4;
        reg_write(&r, HIGPU_REG_DOORBELL, r.producer);
        vdc_sim_run(&r.sim, VDC_TIME_MAX);
        struct higpu_completion c[4];
        for (uint32_t i = 0; i < 4; i++) {
            c[i] = completion(&r, first + i);
            ck_assert_uint_eq(c[i].status, HIGPU_STATUS_OK);
            ck_assert_uint_eq(c[i].tag, 100 + i);
            ck_assert_uint_eq(c[i].opcode, cmds[i].opcode);
            if (i > 0) /* fetched while the one before ran: no gap */
                ck_assert_uint_eq(c[i].start_ps, c[i - 1].end_ps);
        }
        ck_assert_uint_eq(c[0].result, c[0].start_ps);
        ck_assert_uint_eq(c[2].result - c[0].result, c[1].end_ps - c[0].start_ps);
        ck_assert_uint_eq(*stamp, c[2].result);
        ck_assert_uint_eq(c[3].result, c[2].result);
        ck_assert_uint_eq(reg_read(&r, HIGPU_REG_CONSUMER), r.producer);
    }
    ck_assert_str_eq(log_text(&r), "");
    rig_free(&r);
}
END_TEST

START_TEST(query_reports_the_device)
{
    struct rig r;
    rig_init(&r);
    alloc(&r, 5000);
    struct higpu_completion c = run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_QUERY,
                                                                .query = {INFO_AT, sizeof(struct higpu_info)}});
    ck_assert_uint_eq(c.status, HIGPU_STATUS_OK);
    ck_assert_uint_eq(c.result, sizeof(struct higpu_info));
    const struct higpu_info *info = mem(&r, INFO_AT, sizeof *info);
    ck_assert_str_eq(info->name, "HiGPU h100");
    ck_assert_str_eq(info->preset, "h100");
    ck_assert_uint_eq(info->sm_count, r.params.gpu.sm_count);
    ck_assert_uint_eq(info->memory_bytes, r.params.gpu.memory_bytes);
    ck_assert_uint_eq(info->memory_used, 5000);
    ck_assert_uint_eq(info->clock_hz, r.params.gpu.clock_hz);
    ck_assert_uint_eq(info->pcie_generation, 5);
    ck_assert_uint_eq(info->pcie_lanes, 16);
    ck_assert_uint_eq(info->allocations, 1);
    ck_assert_uint_eq(info->commands, 1);
    ck_assert_uint_eq(info->now_ps, c.start_ps);
    ck_assert_uint_eq(info->busy_ps, r.params.command_time);
    /* A short buffer gets the first bytes only. */
    memset(mem(&r, INFO_AT, sizeof *info), 0x55, sizeof *info);
    c = run1(&r, (struct higpu_command){.opcode = HIGPU_CMD_QUERY, .query = {INFO_AT, 16}});
    ck_assert_uint_eq(c.status, HIGPU_STATUS_OK);
    ck_assert_str_eq(info->name, "HiGPU h100");
    ck_assert_uint_eq(((const uint8_t *)info)[16], 0x55);
    rig_free(&r);
}
END_TEST

/* Guest garbage: a million random register writes and commands (random opcodes and fields, aimed now and then at
 * real addresses and handles). Nothing may crash, leak or write outside guest memory (ASan runs this too). */
START_TEST(random_registers_and_commands)
{
    struct rig r;
    struct higpu_params params;
    struct vdc_error err;
    ck_assert(higpu_params_init(&params, "h100", &err));
    params.gpu.memory_bytes = 64ULL << 20; /* allocations fail often */
    rig_init_with(&r, &params, ENTRIES);
    struct vdc_rng rng;
    vdc_rng_seed(&rng, 20261122, 0);
    uint64_t allocations[8] = {0};
    static const uint64_t offsets[] = {HIGPU_REG_DOORBELL, HIGPU_REG_QUEUE_SIZE, HIGPU_REG_QUEUE_BASE,
                                       HIGPU_REG_COMPLETION_BASE, HIGPU_REG_MESSAGE_BASE, HIGPU_REG_MESSAGE_SIZE,
                                       HIGPU_REG_ID, 0x7F8};
    uint32_t producer = 0;
    for (uint32_t i = 0; i < 1000000; i++) {
        uint64_t word = vdc_rng_next(&rng);
        if (i % 8 != 0) {
            /* A command with random fields, often pointing at guest buffers and allocations. */
            struct higpu_command c;
            for (uint32_t k = 0; k < 8; k++)
                ((uint64_t *)&c)[k] = vdc_rng_next(&rng);
            c.opcode = (uint16_t)(word % 16);
            if (word & 0x10)
                c.flags = 0;
            if (word & 0x20) { /* a well-formed command but for the fields below */
                c.flags = 0;
                memset(c.raw, 0, sizeof c.raw);
            }
            if (word & 0x40)
                c.raw[0] = (word & 0x80) ? allocations[(word >> 8) % 8] : BUF_AT + (word >> 12) % (1 << 20);
            if (word & 0x4000)
                c.raw[1] = (word & 0x8000) ? allocations[(word >> 16) % 8] + (word >> 20) % 4096
                                           : BUF_AT + (word >> 20) % (1 << 20);
            if (word & 0x10000000)
                c.raw[2] = (word >> 28) % (1 << 16); /* a moderate length */
            if (c.opcode == HIGPU_CMD_MEM_ALLOC)
                c.alloc.size = (word >> 32) % (8 << 20);
            memcpy(mem(&r, QUEUE_AT + (producer % ENTRIES) * 64, 64), &c, 64);
            producer++;
            if ((word >> 40) % 4 == 0 && producer - (uint32_t)reg_read(&r, HIGPU_REG_CONSUMER) <= ENTRIES)
                reg_write(&r, HIGPU_REG_DOORBELL, producer);
        } else {
            uint64_t offset = offsets[word % 8];
            uint64_t value = vdc_rng_next(&rng);
            if (word & 0x100)
                value &= 0xFFFF;
            if ((word & 0x200) && offset == HIGPU_REG_QUEUE_SIZE)
                value = ENTRIES;
            if ((word & 0x400) && offset == HIGPU_REG_DOORBELL)
                value = producer;
            struct vdc_mmio_access a = {.offset = offset, .size = (word & 0x800) ? 4 : 8,
                                        .is_write = offset != HIGPU_REG_ID, .value = value};
            higpu_mmio(r.gpu, &r.guest, &a, &err);
            if (offset == HIGPU_REG_QUEUE_SIZE && reg_read(&r, HIGPU_REG_QUEUE_SIZE) != 0)
                producer = (uint32_t)reg_read(&r, HIGPU_REG_CONSUMER);
        }
        if (i % 64 == 0) {
            vdc_sim_run(&r.sim, r.sim.now + 20 * VDC_US);
            /* Remember what the allocations returned, to aim later commands at them. */
            struct higpu_completion c;
            memcpy(&c, mem(&r, COMPLETIONS_AT + (word >> 50) % ENTRIES * 64, 64), 64);
            if (c.opcode == HIGPU_CMD_MEM_ALLOC && c.status == HIGPU_STATUS_OK)
                allocations[(word >> 56) % 8] = c.result;
        }
        if (i % 100000 == 0) {
            /* Put the queue back now and then, so commands keep flowing. */
            vdc_sim_run(&r.sim, VDC_TIME_MAX);
            reg_write(&r, HIGPU_REG_QUEUE_SIZE, 0);
            reg_write(&r, HIGPU_REG_QUEUE_BASE, QUEUE_AT);
            reg_write(&r, HIGPU_REG_COMPLETION_BASE, COMPLETIONS_AT);
            reg_write(&r, HIGPU_REG_QUEUE_SIZE, ENTRIES);
            producer = 0;
        }
    }
    vdc_sim_run(&r.sim, VDC_TIME_MAX);
    struct higpu_stats stats;
    higpu_get_stats(r.gpu, &stats);
    ck_assert_uint_gt(stats.errors, 10000);
    ck_assert_uint_gt(stats.commands, 100000);
    ck_assert_uint_gt(stats.commands, stats.error_completions);
    ck_assert_uint_gt(stats.copied_bytes, 0);
    rig_free(&r);
}
END_TEST

/* The device table: windows inside the MMIO area after simctl's, of each device's BAR size, disjoint; cause bits
 * distinct and above 0 (simctl's own); entity ranges from entity_ids.h; every plug complete. */
START_TEST(device_places_do_not_overlap)
{
    const struct vdc_device_slot *t = vdc_device_table;
    ck_assert_ptr_eq(vdc_device_named("hinic")->plug, &hinic_plug);
    ck_assert_ptr_eq(vdc_device_named("higpu")->plug, &higpu_plug);
    ck_assert_ptr_null(vdc_device_named("nothing"));
    ck_assert_uint_eq(hinic_plug.mmio_size, HINIC_BAR_SIZE);
    ck_assert_uint_eq(higpu_plug.mmio_size, HIGPU_BAR_SIZE);
    ck_assert_uint_eq(vdc_device_named("higpu")->entity_base, VDC_IDS_GPU_BASE);
    for (size_t i = 0; i < vdc_device_count; i++) {
        const struct vdc_device_plug *plug = t[i].plug;
        ck_assert(plug->attach && plug->wanted && plug->summary && plug->counters && plug->free);
        ck_assert_uint_gt(plug->key_count, 0);
        ck_assert_uint_ge(t[i].mmio_base, GUEST_SIMCTL_BASE + GUEST_SIMCTL_SIZE);
        ck_assert_uint_le(t[i].mmio_base + plug->mmio_size, GUEST_MMIO_END);
        ck_assert_uint_gt(t[i].cause_bit, 0);
        ck_assert_uint_lt(t[i].cause_bit, 64);
        for (size_t j = 0; j < i; j++) {
            ck_assert(t[i].mmio_base >= t[j].mmio_base + t[j].plug->mmio_size ||
                      t[j].mmio_base >= t[i].mmio_base + plug->mmio_size);
            ck_assert_uint_ne(t[i].cause_bit, t[j].cause_bit);
            ck_assert_str_ne(plug->name, t[j].plug->name);
            ck_assert(t[i].entity_base == 0 || t[i].entity_base != t[j].entity_base);
        }
    }
}
END_TEST

Suite *higpu_suite(void)
{
    Suite *s = suite_create("higpu");
    TCase *t = tcase_create("device");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, register_map);
    tcase_add_test(t, queues_run_side_by_side_and_events_order_them);
    tcase_add_test(t, copies_round_trip_with_pcie_timing);
    tcase_add_test(t, memset_and_device_to_device);
    tcase_add_test(t, allocation_errors);
    tcase_add_test(t, bad_commands);
    tcase_add_test(t, queue_errors);
    tcase_add_test(t, batches_events_and_wraparound);
    tcase_add_test(t, query_reports_the_device);
    tcase_add_test(t, random_registers_and_commands);
    tcase_add_test(t, device_places_do_not_overlap);
    suite_add_tcase(s, t);
    return s;
}
