/* The fault list of a scenario (faults.schedule): "TIME ACTION TARGET [ARGUMENTS]" entries, read and checked
 * without the topology; node names are looked up when the fabric is built (src/fabric/faults.c). */
#ifndef VDC_SCENARIO_FAULT_LIST_H
#define VDC_SCENARIO_FAULT_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/time.h"

enum vdc_fault_action {
    VDC_FAULT_DOWN,        /* TIME down NODE/NODE */
    VDC_FAULT_UP,          /* TIME up NODE/NODE */
    VDC_FAULT_FLAP,        /* TIME flap NODE/NODE period TIME until TIME */
    VDC_FAULT_FAIL_PORT,   /* TIME fail-port SWITCH/PEER or SWITCH:N */
    VDC_FAULT_REPAIR_PORT, /* TIME repair-port SWITCH/PEER or SWITCH:N */
    VDC_FAULT_STUCK,       /* TIME stuck HOST */
    VDC_FAULT_ERRORS,      /* TIME errors NODE/NODE PROBABILITY */
    VDC_FAULT_HILINK_DOWN, /* TIME hilink-down GUEST: every HiLink link of the guest's GPU */
    VDC_FAULT_HILINK_UP,   /* TIME hilink-up GUEST */
    VDC_FAULT_HILINK_CORRUPT, /* TIME hilink-corrupt GUEST: one bit of the next payload the guest's GPU receives */
};

struct vdc_fault_entry {
    unsigned number;            /* position in the list, from 1, for messages */
    char *text;                 /* the entry as written, without surrounding blanks */
    vdc_time at;
    enum vdc_fault_action action;
    char *target;               /* NODE/NODE, SWITCH/PEER, SWITCH:N, HOST or GUEST, as written */
    vdc_time period, until;     /* flap */
    double probability;         /* errors: per frame, each direction */
};

struct vdc_fault_list {
    struct vdc_fault_entry *items; /* by time, then by number */
    size_t count;
};

/* Reads entries separated by ';' or line breaks (blank entries are skipped), numbering them from `first_number`.
 * Each defect gives one message naming the entry, the word at fault and the expected form. */
bool vdc_fault_list_parse(const char *text, unsigned first_number, struct vdc_fault_list *out,
                          struct vdc_error *err);
void vdc_fault_list_free(struct vdc_fault_list *list);

/* The key table's check of faults.schedule: parses and counts the entries, keeping nothing. */
bool vdc_fault_list_check(const char *text, unsigned first_number, unsigned *count, struct vdc_error *err);

const char *vdc_fault_action_name(enum vdc_fault_action action);

#endif
