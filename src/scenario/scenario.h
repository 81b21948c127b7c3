/* A scenario: every setting of a run, with its defaults, loaded from YAML and --set overrides. */
#ifndef VDC_SCENARIO_SCENARIO_H
#define VDC_SCENARIO_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"
#include "../scheduler/time.h"

enum vdc_topology_kind { VDC_TOPOLOGY_RACK };
enum vdc_workload_kind { VDC_WORKLOAD_NONE, VDC_WORKLOAD_UNIFORM };
enum vdc_failure_policy { VDC_ON_FAILURE_STOP, VDC_ON_FAILURE_CONTINUE };

struct vdc_scenario {
    char *name;
    char *description;
    uint64_t seed;
    struct {
        vdc_time stop_time; /* 0: until no event is left */
    } run;
    struct {
        unsigned kind; /* enum vdc_topology_kind */
        uint64_t blades;
        uint64_t tor_ports;
        uint64_t link_rate;       /* bit/s */
        vdc_time link_delay;
        vdc_time switch_latency;
    } topology;
    struct {
        unsigned kind; /* enum vdc_workload_kind */
        uint64_t message_size;    /* bytes */
        vdc_time mean_interval;   /* per blade, exponential inter-arrival */
        uint64_t messages_per_blade;
    } workload;
    struct {
        char *program;           /* "" for none; "guest:NAME" is build/guest/NAME.elf beside the vdc binary */
        char *args;
        uint64_t count;          /* 0: one per blade */
        uint64_t memory;         /* bytes per guest */
        vdc_time exit_cost;
        vdc_time runaway;        /* wall-clock limit without an exit */
        unsigned on_failure;     /* enum vdc_failure_policy */
    } guests;
    struct {
        uint64_t min_delivered;
        vdc_time max_mean_latency; /* 0: no limit */
    } checks;

    /* Where each key got its value ("file.yaml:3:9", "--set", or "" for the default), by key index. */
    char **origin;
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

/* Checks the rules that tie keys together (blades fit the TOR); run after all overrides. */
bool vdc_scenario_validate(const struct vdc_scenario *sc, struct vdc_error *err);

#endif
