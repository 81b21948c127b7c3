/* Scheduled faults: links down, up or flapping, switch ports failing and coming back, links losing frames, stuck
 * receivers; routing convergence after each change of a link's state. */
#ifndef VDC_FABRIC_FAULTS_H
#define VDC_FABRIC_FAULTS_H

#include <stddef.h>

#include "common/error.h"
#include "common/time.h"

struct fabric;

enum fabric_fault_kind {
    FABRIC_FAULT_DOWN,        /* a link is cut */
    FABRIC_FAULT_UP,          /* a cut link is whole again */
    FABRIC_FAULT_FLAP,        /* down and up every half period until a time */
    FABRIC_FAULT_FAIL_PORT,   /* a switch port fails */
    FABRIC_FAULT_REPAIR_PORT, /* a failed port works again */
    FABRIC_FAULT_STUCK,       /* a host's receiver stops draining */
    FABRIC_FAULT_ERRORS,      /* a link loses frames with a probability */
};

/* One fault, in the fabric's own form (the scenario's faults.schedule is read into these by the run layer). */
struct fabric_fault {
    unsigned number;            /* from 1, for messages */
    const char *text;           /* the entry as written, for messages */
    const char *kind_name;      /* the action's word, for messages */
    vdc_time at;
    enum fabric_fault_kind kind;
    const char *target;         /* NODE/NODE, SWITCH/PEER, SWITCH:N or HOST */
    vdc_time period, until;     /* flap */
    double probability;         /* errors: per frame, each direction */
};

struct fabric_fault_plan {
    const struct fabric_fault *entries;    /* by time, then by number */
    size_t count;
    vdc_time reroute_delay;                /* every switch's tables are recomputed this long after a change */
};

/* Resolves the entries' node names against the fabric's topology and schedules them. Messages name the entry
 * ("faults.schedule entry 2 ('...'): no node is named 'spine9'; ..."). */
bool fabric_faults_schedule(struct fabric *f, const struct fabric_fault_plan *plan, struct vdc_error *err);

/* Frees what fabric_faults_schedule kept (fabric_free calls it). */
void fabric_faults_free(struct fabric *f);

#endif
