/* The guests a scenario runs: one per blade (or guests.count), each a VM whose vCPU is an entity. */
#ifndef VDC_RUN_GUEST_SET_H
#define VDC_RUN_GUEST_SET_H

#include <stdbool.h>
#include <stdio.h>

#include "kvm/guest.h"
#include "scenario/scenario.h"

struct fabric;
struct hinic;
struct higpu;

struct vdc_guest_set {
    struct vdc_guest *guests;
    uint32_t count;
    uint8_t *program;
    /* guests.nic: one HiNIC per guest on the fabric */
    struct fabric *fabric;
    const struct vdc_scenario *scenario;
    uint32_t ranks;                /* guests the scenario asks for (count grows as they are created) */
    uint32_t ended;
    bool stop_when_all_end;        /* no other traffic: the run is over when the last guest ends */
    struct hinic **nics;
    uint32_t *host_nodes;          /* fabric node of each rank's NIC */
    uint32_t *gids;                /* IPv4 address of each rank's NIC */
    struct higpu **gpus;           /* guests.gpu: each rank's HiGPU */
    struct vdc_sim *sim;
};

/* Resolves a program name: a path as it is, or "guest:NAME" as build/guest/NAME.elf beside the vdc binary. */
bool vdc_guest_program_path(const char *spec, char *path, size_t size, struct vdc_error *err);
/* Reads a whole program file (at most 256 MiB). */
uint8_t *vdc_guest_program_read(const char *path, size_t *size, struct vdc_error *err);

/* Reads the program once and creates every guest; with no guests.program, creates none. With guests.nic each
 * guest gets a HiNIC on the rank-th host of `fabric` (which must then be given and outlive the set); with
 * guests.gpu a HiGPU of its own. */
bool vdc_guest_set_build(struct vdc_guest_set *set, struct vdc_sim *sim, const struct vdc_scenario *sc,
                         struct fabric *fabric, struct vdc_error *err);
/* Writes each guest's device tree blob to DIR/NAME.dtb (for dtc -I dtb -O dts). */
bool vdc_guest_set_dump_dtbs(const struct vdc_guest_set *set, const char *dir, struct vdc_error *err);
/* One line per guest that did not exit with 0, and whether all did. */
bool vdc_guest_set_report(struct vdc_guest_set *set, FILE *out);
/* "kvm" or "emulated": what ran the guests (NULL with none). */
const char *vdc_guest_set_backend(const struct vdc_guest_set *set);
/* summary.json's "devices" member: each device's counters, by guest (nothing when no guest has a device). */
void vdc_guest_set_write_devices_json(const struct vdc_guest_set *set, FILE *f);
void vdc_guest_set_free(struct vdc_guest_set *set);

#endif
