/* A scenario: every setting of a run, with its defaults, loaded from YAML and --set overrides. */
#ifndef VDC_SCENARIO_SCENARIO_H
#define VDC_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/time.h"

enum vdc_topology_kind {
    VDC_TOPOLOGY_RACK,
    VDC_TOPOLOGY_LEAF_SPINE,
    VDC_TOPOLOGY_FAT_TREE,
    VDC_TOPOLOGY_HPCC,
    VDC_TOPOLOGY_SIMGRID,
};
enum vdc_workload_kind {
    VDC_WORKLOAD_NONE,
    VDC_WORKLOAD_UNIFORM,
    VDC_WORKLOAD_INCAST,
    VDC_WORKLOAD_POISSON,
    VDC_WORKLOAD_FLOWS,
};
enum vdc_flow_distribution { VDC_DISTRIBUTION_WEBSEARCH, VDC_DISTRIBUTION_HADOOP };
enum vdc_failure_policy { VDC_ON_FAILURE_STOP, VDC_ON_FAILURE_CONTINUE };
enum vdc_cpu_time { VDC_CPU_TIME_EXITS, VDC_CPU_TIME_INSTRUCTIONS };


struct vdc_scenario {
    char *name;
    char *description;
    uint64_t seed;
    struct {
        vdc_time stop_time; /* 0: until no event is left */
        uint64_t threads;   /* a fabric-only run split across this many threads (fabric/partition.h) */
    } run;
    struct {
        unsigned kind; /* enum vdc_topology_kind */
        uint64_t blades;
        uint64_t tor_ports;
        uint64_t link_rate;       /* bit/s */
        vdc_time link_delay;
        vdc_time switch_latency;
        char *file;               /* hpcc and simgrid kinds */
        uint64_t leaves, spines, hosts_per_leaf, k;
        uint64_t fabric_rate;     /* switch-to-switch links of leaf-spine and fat-tree */
    } topology;
    struct {
        unsigned kind; /* enum vdc_workload_kind */
        uint64_t message_size;    /* bytes */
        vdc_time mean_interval;   /* per blade, exponential inter-arrival */
        uint64_t messages_per_blade;
        uint64_t senders;          /* incast */
        uint64_t receiver;
        uint64_t flow_size;
        vdc_time start;
        unsigned distribution;     /* poisson: enum vdc_flow_distribution */
        double load;
        vdc_time duration;
        char *flows_file;          /* flows: an HPCC ns-3 flow file */
        uint64_t priority;
    } workload;
    struct {
        uint64_t payload, buffer;
        bool pfc, lossy;
        uint64_t pfc_reserve, pfc_resume_offset, pfc_alpha_shift, pfc_headroom;
        bool pause_expiry;
        uint64_t pause_quanta;
        bool ecn;
        uint64_t ecn_kmin, ecn_kmax;
        double ecn_pmax;
        uint64_t control_priority, strict_priorities;
        char *dwrr_weights;
        double link_error_rate;    /* per frame and direction, links without their own */
        char *ecn_by_rate;         /* "RATE KMIN KMAX PMAX; ..." */
    } fabric;
    struct {
        unsigned model;            /* enum fabric_transport_model */
        unsigned cc;               /* enum fabric_cc */
        vdc_time nack_interval, retransmit_timeout, cnp_interval;
        uint64_t ack_interval, chunk;
        bool back_to_zero, window, variable_window, global_rtt, rate_bound, ack_high_priority;
        bool dcqcn_clamp_target, hpcc_fast_react, hpcc_multi_rate, hpcc_sample_feedback;
        double hpcc_target_util;
        uint64_t hpcc_mi_thresh, hpcc_int_multi, dctcp_rate_ai;
        double dcqcn_g;
        vdc_time dcqcn_alpha_interval, dcqcn_decrease_interval, dcqcn_increase_interval;
        uint64_t dcqcn_fast_recovery;
        uint64_t dcqcn_rate_ai, dcqcn_rate_hai, dcqcn_min_rate;
    } transport;
    struct {
        char *schedule;            /* fault entries (fault_list.h), separated by ';' */
        vdc_time reroute_delay;    /* routes converge this long after a change */
    } faults;
    struct {
        vdc_time sample_interval;  /* queue-depth and utilization series; 0: none */
        char *fct_file, *pfc_file, *qlen_file; /* paths of HPCC's outputs; "" for --out's */
        vdc_time qlen_start, qlen_end;
    } output;
    struct {
        char *program;           /* "" for none; "guest:NAME" is build/guest/NAME.elf beside the vdc binary */
        char *args;
        uint64_t count;          /* 0: one per blade */
        uint64_t memory;         /* bytes per guest */
        vdc_time exit_cost;
        unsigned vcpu;           /* enum vdc_vcpu_backend */
        vdc_time runaway;        /* KVM: wall-clock limit without an exit */
        uint64_t runaway_instructions; /* emulator: instructions without an exit */
        unsigned cpu_time;       /* enum vdc_cpu_time */
        vdc_time instruction_time;
        unsigned on_failure;     /* enum vdc_failure_policy */
    } guests;
    struct {
        uint64_t min_delivered;
        vdc_time max_mean_latency; /* 0: no limit */
    } checks;

    /* Where each key got its value ("file.yaml:3:9", "--set", or "" for the default), by key index. */
    char **origin;
    size_t key_total;        /* keys known when the scenario was initialized (vdc_key_total) */
    /* The records of the key groups other parts added (keys.h: a device's keys), by group number. */
    void **group_records;
    size_t group_count;
    char *source_path;
    char *overrides; /* " --set k=v" for each override applied, for reproduction commands */
};

/* Sets every key to its default. */
void vdc_scenario_init(struct vdc_scenario *sc);
void vdc_scenario_free(struct vdc_scenario *sc);

/* Reads a YAML file over the current values; errors name file:line:column and the expected form. */
bool vdc_scenario_load(struct vdc_scenario *sc, const char *path, struct vdc_error *err);

/* Applies one "path.to.key=value" override. */
bool vdc_scenario_set(struct vdc_scenario *sc, const char *assignment, struct vdc_error *err);

/* The record of key group `group` (keys.h's vdc_keys_add_group): what that part's keys were set to. */
const void *vdc_scenario_group(const struct vdc_scenario *sc, size_t group);

/* Checks the rules that tie keys together (blades fit the TOR); run after all overrides. */
bool vdc_scenario_validate(const struct vdc_scenario *sc, struct vdc_error *err);

#endif
