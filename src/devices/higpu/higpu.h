/* HiGPU as a PCIe device: a guest drives one struct gpu through registers, a command queue in its memory and
 * DMA; completions raise a simctl cause. See docs/higpu.md, "Device". */
#ifndef VDC_DEVICES_HIGPU_H
#define VDC_DEVICES_HIGPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/time.h"
#include "gpu/gpu_params.h"

struct vdc_guest;
struct vdc_device_plug;
struct vdc_sim;

/* The device's parameters (scenario keys gpu.*): the GPU's own and its link. */
struct higpu_params {
    struct gpu_params gpu;     /* the preset with any gpu.<param> overrides */
    uint32_t pcie_generation;  /* 1-6 */
    uint32_t pcie_lanes;       /* 1, 2, 4, 8 or 16 */
    vdc_time pcie_latency;     /* one crossing of the PCIe hierarchy */
    vdc_time command_time;     /* per command besides its transfers and kernel: decode, allocator, engine setup */
    uint64_t cause_mask;       /* the simctl cause raised on each completion */
    uint32_t pcie_root_port;
    int32_t pcie_switch_port;  /* -1: directly under the root port */
    vdc_time window;           /* virtual time a running launch advances per step; 0: the lookahead (docs/higpu.md) */
    vdc_time kernel_timeout;   /* virtual time a kernel may run before it is stopped (a wait nobody ends) */
    vdc_time hang_timeout;     /* virtual time a kernel may go without progress (a store, an atomic, a warp ending) */
    vdc_time peer_timeout;     /* virtual time a copy to a peer may go without progress before it fails */
    uint32_t place;            /* its place in the GPUs' shared address space: its HiLink index, 0 without HiLink */
    uint32_t hilink_gpus;      /* GPUs on its HiLink fabric; 0: none */
    vdc_time hilink_latency;   /* the fabric's link latency, a bound of the window (the lookahead) */
};

/* Defaults with the GPU of preset `preset` ("h100", "h200"). */
bool higpu_params_init(struct higpu_params *p, const char *preset, struct vdc_error *err);

struct higpu;

/* A GPU for `guest` (whose memory it reaches only through the checked helpers), with its own entity `entity_id`
 * in `sim`; its register window is added to the guest's MMIO bus at `base` (so it may be created before the
 * guest's own entity, from the guest's attach_devices hook). `log` receives one line per guest error (NULL:
 * counted only). */
struct higpu *higpu_create(struct vdc_guest *guest, struct vdc_sim *sim, uint32_t entity_id, uint64_t base,
                           const struct higpu_params *params, FILE *log, struct vdc_error *err);
void higpu_free(struct higpu *gpu);
/* Puts the GPU on HiLink fabric `fabric` at its place (params.place; hilink_gpus must be set). */
struct hilink;
bool higpu_join_hilink(struct higpu *gpu, struct hilink *fabric, struct vdc_error *err);

/* Counters for reports and tests. */
struct higpu_stats {
    uint64_t errors;              /* guest errors logged */
    uint64_t commands, error_completions;
    uint64_t launches, faults;
    uint64_t thread_insns;        /* thread instructions the kernels executed (a warp instruction: its active lanes) */
    vdc_time busy_ps, kernel_ps, copy_ps;
    uint64_t copied_bytes;        /* across PCIe, both directions */
    uint64_t peer_bytes_out, peer_bytes_in; /* over HiLink: sent (copies and kernels' stores) and received */
};
void higpu_get_stats(const struct higpu *gpu, struct higpu_stats *out);

/* Its row in the device table (devices/plug.h). */
extern const struct vdc_device_plug higpu_plug;

#endif
