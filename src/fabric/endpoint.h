/* Devices on the fabric's hosts (HiNIC): an endpoint on one host port, and the few functions a device uses to
 * reach the fabric, so that no device reads the fabric's structures. A host carries one endpoint per port (a
 * blade with several NIC rails). */
#ifndef VDC_FABRIC_ENDPOINT_H
#define VDC_FABRIC_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "common/time.h"

struct fabric;
struct fabric_node;
struct fabric_port;
struct fabric_packet;
struct fabric_pool;
struct fabric_config;
struct vdc_entity;

/* What a device gives its port: the port asks it for frames, frames for it (flow FABRIC_FLOW_ENDPOINT, arriving on
 * its port) are handed to it, and its timers run as FABRIC_EV_ENDPOINT events on the host's entity, so its work is
 * ordered with the port's. */
struct fabric_endpoint {
    void *device;
    /* The next frame to put on `port` now, or NULL. */
    struct fabric_packet *(*next_packet)(void *device, struct fabric_port *port);
    /* When the device will next have a frame for `port` (VDC_TIME_MAX: only after something happens). */
    vdc_time (*next_ready)(void *device, const struct fabric_port *port);
    /* A frame addressed to the device; it owns the packet. */
    void (*receive)(void *device, struct fabric_packet *p);
    /* A FABRIC_EV_ENDPOINT event the device scheduled (fabric_endpoint_schedule) with this argument. */
    void (*event)(void *device, uint64_t arg);
};

/* Where an endpoint is attached: what its device keeps and hands to the functions below. */
struct fabric_attachment {
    struct fabric *fabric;
    struct fabric_node *node;
    struct fabric_port *port;
    struct vdc_entity *entity;  /* the host's: the device's events run on it */
    uint32_t host;              /* the host's node number: its frames' source and destination */
    uint16_t port_index;
};

/* Attaches `endpoint` to port `port` of host `node`. */
bool fabric_endpoint_attach(struct fabric *f, uint32_t node, uint16_t port, const struct fabric_endpoint *endpoint,
                            struct fabric_attachment *at, struct vdc_error *err);
void fabric_endpoint_detach(struct fabric_attachment *at);

/* The device has a frame to send: the port starts it if it is idle. */
void fabric_endpoint_kick(const struct fabric_attachment *at);

/* Schedules the device's event (at.entity's FABRIC_EV_ENDPOINT) at `when`; `arg` has at most 56 bits. */
void fabric_endpoint_schedule(const struct fabric_attachment *at, struct vdc_entity *source, vdc_time when,
                              uint64_t arg);

/* Link rate (bit/s) of the endpoint's port. */
uint64_t fabric_endpoint_rate(const struct fabric_attachment *at);

/* The fabric's packet pool and parameters (packets a device builds come from the pool and go back to it). */
struct fabric_pool *fabric_packet_pool(struct fabric *f);
const struct fabric_config *fabric_parameters(const struct fabric *f);

/* The hosts' node numbers in node order into `nodes` (at most `max`); returns how many hosts there are. */
uint32_t fabric_hosts(const struct fabric *f, uint32_t *nodes, uint32_t max);

/* The host whose address is `ipv4` (fabric_host_ipv4), or false. */
bool fabric_host_by_ipv4(const struct fabric *f, uint32_t ipv4, uint32_t *node);

#endif
