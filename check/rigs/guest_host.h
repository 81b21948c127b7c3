/* A guest program on the host, for the host tests of the guest verbs library and the perftest program: compiled
 * for the host, it runs as the one guest of a two-blade rack, its register accesses reach the real simctl and
 * HiNIC (on blade 0) at its virtual time, each exit charged as the VMM charges it, and the memory it allocates
 * lies in that guest's memory. This file also gives the runtime functions the library and programs call
 * (vdc_alloc, vdc_wait, vdc_clock_ns, vdc_rank, vdc_bootargs, ...). */
#ifndef VDC_CHECK_GUEST_HOST_H
#define VDC_CHECK_GUEST_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "../../src/devices/hinic/hinic.h"

struct guest_host_options {
    const char *bootargs;
    bool peer_gids;     /* a "vdc,peer-gids" that puts ranks 0 and 1 both on this NIC: rank 0's peer is itself */
    vdc_time exit_cost; /* virtual time of each exit; 0: GUEST_HOST_EXIT_COST */
};

/* What the program did at the NIC's registers. */
struct guest_host_counts {
    unsigned commands, sq_doorbells, rq_doorbells, cq_doorbells;
};
extern struct guest_host_counts guest_host_counts;

/* Builds the rack, the guest (64 MiB) with its devices and device tree, and forgets the library's state from the
 * last boot; the program may then run. */
void guest_host_boot(const struct guest_host_options *options);
/* Frees everything of the last boot. */
void guest_host_halt(void);

/* The NIC and its counters; its log lines (one per guest error); the guest's virtual time. */
const struct hinic *guest_host_nic(void);
struct hinic_stats guest_host_nic_stats(void);
const char *guest_host_nic_log(void);
vdc_time guest_host_now(void);

/* The address the fabric gives blade 0 (the NIC's GID is ::ffff: + this). */
#define GUEST_HOST_IPV4 0x0b000001u
/* The rack: scenarios/rack8-perftest.yaml's links and switch. */
#define GUEST_HOST_LINK_RATE 100000000000ULL
#define GUEST_HOST_LINK_DELAY VDC_US
#define GUEST_HOST_SWITCH_LATENCY (500 * VDC_NS)
#define GUEST_HOST_EXIT_COST (250 * VDC_NS) /* the default */

#endif
