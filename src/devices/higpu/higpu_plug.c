/* HiGPU's plug (devices/plug.h): its gpu.* keys, attaching one to a guest, its counters. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "devices/higpu/higpu.h"
#include "devices/higpu/higpu_regs.h"
#include "devices/pcie.h"
#include "devices/plug.h"
#include "hilink/hilink.h"

/* The values of its keys (their record). */
struct higpu_config {
    bool enabled;
    unsigned preset;      /* index in gpu_presets */
    uint64_t pcie_generation, pcie_lanes;
    unsigned pcie_layout; /* enum vdc_pcie_layout */
    vdc_time pcie_latency, command_time, window, kernel_timeout, hang_timeout, peer_timeout;
    char *params;         /* "key=value; ..." from gpu.<param> keys, applied in order over the preset */
};

#define FIELD(member) offsetof(struct higpu_config, member)

static const char *const gpu_presets[] = {"h100", "h200", NULL};

/* A gpu.<param> value is checked against the GPU model's table when it is set, so a typo is reported with its
 * line. */
static const struct vdc_key higpu_keys[] = {
    {"guests.gpu", VDC_KEY_BOOL, FIELD(enabled), "false",
     .doc = "Each guest drives a HiGPU of its own (docs/higpu.md), made from the `gpu.*` keys."},
    {"gpu.preset", VDC_KEY_CHOICE, FIELD(preset), "h100", .choices = gpu_presets,
     .doc = "The GPU each guest gets: an NVIDIA H100 SXM or H200 SXM as HiGPU models them (docs/higpu.md)."},
    {"gpu.pcie_generation", VDC_KEY_COUNT, FIELD(pcie_generation), "5", 1, 6,
     .doc = "PCIe generation of the GPU's link (transfer rate per lane: 2.5, 5, 8, 16, 32, 64 GT/s)."},
    {"gpu.pcie_lanes", VDC_KEY_COUNT, FIELD(pcie_lanes), "16", 1, 16,
     .doc = "Width of the GPU's PCIe link: 1, 2, 4, 8 or 16 lanes."},
    {"gpu.pcie_layout", VDC_KEY_CHOICE, FIELD(pcie_layout), "switch", .choices = vdc_pcie_layouts,
     .doc = "Where the GPU sits: behind the blade's PCIe `switch` (downstream port 1, beside the NIC) under root "
            "port 0, or on a `root-port` of its own (root port 1)."},
    {"gpu.pcie_latency", VDC_KEY_TIME, FIELD(pcie_latency), "250ns", 0, VDC_MS,
     .doc = "One crossing of the PCIe hierarchy (a doorbell, a DMA write, a completion; a DMA read takes two)."},
    {"gpu.command_time", VDC_KEY_TIME, FIELD(command_time), "500ns", 0, VDC_MS,
     .doc = "Device time per command besides its transfers and kernel: decoding, the allocator, engine set-up (a "
            "transfer's bytes move when it is over)."},
    {"gpu.window", VDC_KEY_TIME, FIELD(window), "0ns", 0, VDC_MS,
     .doc = "Virtual time a running kernel advances per step; 0 takes the lookahead, the shortest latency by which "
            "anything outside the GPU reaches it (the least of gpu.pcie_latency, gpu.command_time and, on HiLink, "
            "hilink.link_latency). Results, cycles and the digest do not depend on it; a longer one than the "
            "lookahead is refused."},
    {"gpu.kernel_timeout", VDC_KEY_TIME, FIELD(kernel_timeout), "1s", VDC_US, 3600 * VDC_SEC,
     .doc = "Virtual time a kernel may run; past it the kernel is stopped and its launch ends in an error completion "
            "(a kernel that waits for a flag nobody sets would otherwise run for ever)."},
    {"gpu.hang_timeout", VDC_KEY_TIME, FIELD(hang_timeout), "10ms", VDC_US, 3600 * VDC_SEC,
     .doc = "Virtual time a kernel may go without progress: no store to memory, no atomic and no warp ending (its "
            "warps only poll). Past it the kernel is stopped as hung and its launch ends in an error completion, so "
            "a collective whose ranks' calls do not match ends however long a working one may run."},
    {"gpu.peer_timeout", VDC_KEY_TIME, FIELD(peer_timeout), "1ms", VDC_US, 3600 * VDC_SEC,
     .doc = "Virtual time a copy to a peer GPU may go with no packet leaving and no acknowledgement coming (a HiLink "
            "port that is down); past it the copy ends in an error completion (PEER_TIMEOUT)."},
    {"gpu.<param>", VDC_KEY_FAMILY, FIELD(params), "", .member_check = gpu_params_check,
     .doc = "Any parameter of the GPU's timing model over the preset's value, e.g. `gpu.sm_count: 66`, "
            "`gpu.l2_latency: 200`, `gpu.latency.fp32: 4` (in YAML nested: `latency:` then `fp32: 4`); the "
            "parameter table is in docs/higpu.md."},
};

static bool wanted(const void *config)
{
    return ((const struct higpu_config *)config)->enabled;
}

/* The GPU of the preset with the gpu.<param> entries applied in the order they were set. */
static bool params_of(const struct higpu_config *c, unsigned cause_bit, struct higpu_params *params,
                      struct vdc_error *err)
{
    if (!higpu_params_init(params, gpu_presets[c->preset], err))
        return false;
    params->pcie_generation = (uint32_t)c->pcie_generation;
    params->pcie_lanes = (uint32_t)c->pcie_lanes;
    params->pcie_latency = c->pcie_latency;
    params->command_time = c->command_time;
    params->window = c->window;
    params->kernel_timeout = c->kernel_timeout;
    params->hang_timeout = c->hang_timeout;
    params->peer_timeout = c->peer_timeout;
    params->cause_mask = UINT64_C(1) << cause_bit;
    bool behind_switch = c->pcie_layout == VDC_PCIE_BEHIND_SWITCH;
    params->pcie_root_port = behind_switch ? 0 : 1;
    params->pcie_switch_port = behind_switch ? 1 : -1;
    char entry[512];
    for (const char *at = c->params; at != NULL && *at != '\0';) {
        size_t len = strcspn(at, ";");
        snprintf(entry, sizeof entry, "%.*s", (int)len, at);
        char *eq = strchr(entry, '=');
        if (eq != NULL) {
            *eq = '\0';
            if (!gpu_params_set(&params->gpu, entry, eq + 1, err))
                return vdc_fail_prefix(err, "gpu.%s", entry);
        }
        at += len;
        while (*at == ';' || *at == ' ')
            at++;
    }
    return gpu_params_validate(&params->gpu, err);
}

static void *attach(const struct vdc_device_env *env, const void *config, struct vdc_error *err)
{
    struct higpu_params params;
    if (!params_of(config, env->cause_bit, &params, err))
        return NULL;
    if (env->hilink != NULL) {
        params.place = env->hilink_place;
        params.hilink_gpus = hilink_get_params(env->hilink)->gpus;
        params.hilink_latency = hilink_get_params(env->hilink)->link_latency;
    }
    struct higpu *gpu = higpu_create(env->guest, env->sim, env->entity_id, env->mmio_base, &params, env->log, err);
    if (gpu != NULL && env->hilink != NULL && !higpu_join_hilink(gpu, env->hilink, err)) {
        higpu_free(gpu);
        return NULL;
    }
    return gpu;
}

static void summary(const void *device, char *line, size_t size)
{
    struct higpu_stats g;
    higpu_get_stats(device, &g);
    char busy[64], kernels[64], copies[64];
    vdc_time_format(busy, sizeof busy, g.busy_ps);
    vdc_time_format(kernels, sizeof kernels, g.kernel_ps);
    vdc_time_format(copies, sizeof copies, g.copy_ps);
    snprintf(line, size,
             "%" PRIu64 " commands (%" PRIu64 " in error), %" PRIu64 " kernels, %" PRIu64
             " faults; busy %s (kernels %s, copies %s), %" PRIu64 " bytes copied; %" PRIu64 " guest errors",
             g.commands, g.error_completions, g.launches, g.faults, busy, kernels, copies, g.copied_bytes, g.errors);
}

static size_t counters(const void *device, struct vdc_device_counter *out)
{
    struct higpu_stats g;
    higpu_get_stats(device, &g);
    const struct vdc_device_counter list[] = {
        {"commands", g.commands}, {"error_completions", g.error_completions}, {"kernels", g.launches},
        {"faults", g.faults}, {"busy_ps", g.busy_ps}, {"kernel_ps", g.kernel_ps}, {"copy_ps", g.copy_ps},
        {"copied_bytes", g.copied_bytes}, {"guest_errors", g.errors}, {"peer_bytes_out", g.peer_bytes_out},
        {"peer_bytes_in", g.peer_bytes_in}, {"thread_instructions", g.thread_insns},
    };
    size_t count = sizeof list / sizeof list[0];
    for (size_t i = 0; i < count; i++)
        out[i] = list[i];
    return count;
}

static void release(void *device)
{
    higpu_free(device);
}

const struct vdc_device_plug higpu_plug = {
    .name = "higpu",
    .mmio_size = HIGPU_BAR_SIZE,
    .keys = higpu_keys,
    .key_count = sizeof higpu_keys / sizeof higpu_keys[0],
    .config_size = sizeof(struct higpu_config),
    .wanted = wanted,
    .uses_fabric = false,
    .uses_hilink = true,
    .attach = attach,
    .summary = summary,
    .counters = counters,
    .free = release,
};
