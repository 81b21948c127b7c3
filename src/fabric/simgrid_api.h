/* SimGrid's C API as loaded at run time, in the child process that imports a platform. */
#ifndef VDC_FABRIC_SIMGRID_API_H
#define VDC_FABRIC_SIMGRID_API_H

#include <stdbool.h>
#include <stdio.h>

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <xbt/dynar.h>

/* vdc does not link SimGrid: Debian's library pulls in a dozen ns-3 libraries whose loading and static set-up took
 * 40 ms at every start of vdc, a run or a test that imports no platform included. The functions a platform import
 * calls are looked up once, when the child first needs them; their types are those of SimGrid's own headers. */
struct simgrid_api {
    __typeof__(simgrid_init) *init;
    __typeof__(simgrid_load_platform) *load_platform;
    __typeof__(simgrid_run) *run;
    __typeof__(simgrid_get_clock) *get_clock;
    __typeof__(sg_host_count) *host_count;
    __typeof__(sg_host_list) *host_list;
    __typeof__(sg_host_get_name) *host_get_name;
    __typeof__(sg_host_get_route) *host_get_route;
    __typeof__(sg_link_count) *link_count;
    __typeof__(sg_link_list) *link_list;
    __typeof__(sg_link_get_name) *link_get_name;
    __typeof__(sg_link_get_bandwidth) *link_get_bandwidth;
    __typeof__(sg_link_get_latency) *link_get_latency;
    __typeof__(sg_link_set_latency) *link_set_latency;
    __typeof__(sg_link_is_shared) *link_is_shared;
    __typeof__(sg_link_get_data) *link_get_data;
    __typeof__(sg_link_set_data) *link_set_data;
    __typeof__(sg_actor_init) *actor_init;
    __typeof__(sg_actor_set_data) *actor_set_data;
    __typeof__(sg_actor_start_) *actor_start;
    __typeof__(sg_actor_self) *actor_self;
    __typeof__(sg_actor_self_get_data) *actor_self_get_data;
    __typeof__(sg_actor_daemonize) *actor_daemonize;
    __typeof__(sg_mailbox_by_name) *mailbox_by_name;
    __typeof__(sg_mailbox_put) *mailbox_put;
    __typeof__(sg_mailbox_get) *mailbox_get;
    __typeof__(sg_sem_init) *sem_init;
    __typeof__(sg_sem_acquire) *sem_acquire;
    __typeof__(sg_sem_release) *sem_release;
    __typeof__(xbt_dynar_new) *dynar_new;
    __typeof__(xbt_dynar_reset) *dynar_reset;
    __typeof__(xbt_dynar_length) *dynar_length;
    __typeof__(xbt_dynar_get_ptr) *dynar_get_ptr;
    __typeof__(xbt_dynar_free) *dynar_free;
};

/* The API, loaded on first use; NULL after writing "error ..." (the child's reply line) to `out` when the library or
 * one of its functions cannot be found. */
const struct simgrid_api *fabric_simgrid_api(FILE *out);

#endif
