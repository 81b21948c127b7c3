/* Runs a loaded scenario: builds its model on the scheduler, runs it, reports, and judges its checks. */
#ifndef VDC_RUN_RUN_SCENARIO_H
#define VDC_RUN_RUN_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario/scenario.h"

struct vdc_run_options {
    const char *out_dir; /* NULL: no files */
    const char *dtb_dir; /* NULL: do not write the guests' device trees */
    const char *pcap_links; /* NULL: no capture; "hosts": every host link; else NODE/NODE[,NODE/NODE...] */
    bool show_progress;
};

struct vdc_run_outcome {
    uint64_t digest;
    uint64_t events;
    vdc_time end_time;
    vdc_time latency_min, latency_mean; /* flow completion times */
    uint64_t flows_done, drops;
    bool checks_passed;
};

/* Adds the devices' keys (nic.*, gpu.*) to the scenario keys; call once before reading scenarios. */
void vdc_run_add_device_keys(void);

/* Prints the summary to `summary`; returns an exit code (enum vdc_exit). */
int vdc_run_scenario(const struct vdc_scenario *sc, const struct vdc_run_options *options, FILE *summary,
                     struct vdc_run_outcome *outcome);

#endif
