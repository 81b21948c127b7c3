/* The device plug: what every guest device offers the run (its keys, attaching it to a guest, its counters,
 * freeing it), and the table that gives each device its place in a guest. Adding a device is a folder of its own
 * and a row in devices.c. */
#ifndef VDC_DEVICES_PLUG_H
#define VDC_DEVICES_PLUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/key_table.h"

struct vdc_sim;
struct vdc_guest;
struct fabric;
struct hilink;

/* What a device is given when it is attached to one guest: no more. */
struct vdc_device_env {
    struct vdc_sim *sim;
    struct vdc_guest *guest;
    struct fabric *fabric;      /* the scenario's packet fabric; NULL when it has none */
    struct hilink *hilink;      /* the peer fabric of the GPU's HiLink domain; NULL when there is none */
    uint32_t hilink_place;      /* the GPU's place on it */
    uint32_t rank, ranks;       /* this guest's rank among the scenario's `ranks` guests */
    uint64_t mmio_base;         /* its register window in the guest's MMIO area */
    unsigned cause_bit;         /* the simctl cause its completions raise */
    uint32_t entity_id;         /* its own entity id (the row's base + rank), when it has one */
    FILE *log;                  /* one line per guest error; NULL: counted only */
};

/* One counter of a device's report (summary.json's field name and value). */
struct vdc_device_counter {
    const char *name;
    uint64_t value;
};

#define VDC_DEVICE_COUNTERS_MAX 16

struct vdc_device_plug {
    const char *name;           /* "hinic": its summary lines and summary.json's "device" */
    uint64_t mmio_size;         /* its register window */
    /* Its scenario keys, kept in a record of `config_size` bytes that attach receives. */
    const struct vdc_key *keys;
    size_t key_count, config_size;
    /* Whether the scenario gives each guest one (its keys say, e.g. guests.nic: true). */
    bool (*wanted)(const void *config);
    /* Whether it sends on the packet fabric: the guests' traffic then keeps a run without a workload going. */
    bool uses_fabric;
    /* Whether it joins the GPU peer fabric (HiLink): the run builds one when such a device is wanted. */
    bool uses_hilink;
    /* Attaches one to env->guest: NULL with a one-line message in err. */
    void *(*attach)(const struct vdc_device_env *env, const void *config, struct vdc_error *err);
    /* The run summary's line after "<name> <guest>: " (no newline). */
    void (*summary)(const void *device, char *line, size_t size);
    /* Its counters for summary.json; returns how many it wrote (at most VDC_DEVICE_COUNTERS_MAX). */
    size_t (*counters)(const void *device, struct vdc_device_counter *out);
    void (*free)(void *device);
};

/* A device's row: the plug and its place in every guest, unique to it (tested). */
struct vdc_device_slot {
    const struct vdc_device_plug *plug;
    uint64_t mmio_base;
    unsigned cause_bit;
    uint32_t entity_base;       /* + rank, when the device has entities of its own; 0: none */
};

extern const struct vdc_device_slot vdc_device_table[];
extern const size_t vdc_device_count;

/* The row of the device named `name`, or NULL. */
const struct vdc_device_slot *vdc_device_named(const char *name);

#endif
