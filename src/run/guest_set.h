/* The guests a scenario runs: one per blade (or guests.count), each a VM whose vCPU is an entity. */
#ifndef VDC_RUN_GUEST_SET_H
#define VDC_RUN_GUEST_SET_H

#include <stdbool.h>
#include <stdio.h>

#include "kvm/guest.h"
#include "scenario/scenario.h"

struct fabric;

#define VDC_DEVICES_MAX 16 /* rows of the device table */

struct vdc_guest_set {
    struct vdc_guest *guests;
    uint32_t count;
    uint8_t *program;
    struct fabric *fabric;         /* the devices' packet fabric, or NULL */
    struct hilink **hilinks;       /* the GPUs' peer fabric of each HiLink domain (NULL: none there), or NULL */
    uint32_t hilink_domains;
    uint32_t hilink_domain_gpus;   /* GPUs per domain: guest r's GPU is place r mod this of domain r / this */
    const struct vdc_scenario *scenario;
    uint32_t ranks;                /* guests the scenario asks for (count grows as they are created) */
    uint32_t ended;
    bool stop_when_all_end;        /* no other traffic: the run is over when the last guest ends */
    void **devices;                /* rank r's device of table row d at r * vdc_device_count + d; NULL: none */
    struct vdc_sim *sim;
    struct vdc_copier *copier;     /* moves the NICs' payloads into guest RAM on a thread of its own, or NULL */
};

/* Resolves a program name: a path as it is, or "guest:NAME" as build/guest/NAME.elf beside the vdc binary. */
bool vdc_guest_program_path(const char *spec, char *path, size_t size, struct vdc_error *err);
/* Reads a whole program file (at most 256 MiB). */
uint8_t *vdc_guest_program_read(const char *path, size_t *size, struct vdc_error *err);

/* Adds each device's keys to the scenario keys; the program does this once before it reads a scenario. */
void vdc_guest_set_add_device_keys(void);
/* Whether the scenario gives the guests a device that sends on the packet fabric. */
bool vdc_guest_set_uses_fabric(const struct vdc_scenario *sc);

/* Reads the program once and creates every guest; with no guests.program, creates none. Each guest gets the
 * devices its scenario's keys ask for, in the device table's order; a device on the fabric needs `fabric`
 * (which must then outlive the set). */
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
