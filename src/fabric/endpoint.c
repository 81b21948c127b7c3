/* Devices' endpoints on host ports and the functions devices reach the fabric through (endpoint.h). */
#include "fabric/endpoint.h"

#include <assert.h>
#include <string.h>

#include "fabric/fabric.h"
#include "fabric/host.h"
#include "scheduler/sim.h"

/* The event argument: the device's own below, the endpoint's port in the top byte. */
#define ENDPOINT_ARG_BITS 56

bool fabric_endpoint_attach(struct fabric *f, uint32_t node, uint16_t port, const struct fabric_endpoint *endpoint,
                            struct fabric_attachment *at, struct vdc_error *err)
{
    char name[32];
    if (node >= f->node_count || f->nodes[node].is_switch)
        return vdc_fail(err, "node %u is not a host of the fabric; a NIC attaches to a host", node);
    struct fabric_node *host = &f->nodes[node];
    if (port >= host->port_count)
        return vdc_fail(err, "host %s has no port %u; it has %u", fabric_node_name(f->topo, node, name, sizeof name),
                        port, host->port_count);
    if (host->host->endpoints[port].device != NULL)
        return vdc_fail(err, "port %u of host %s already has a NIC attached", port,
                        fabric_node_name(f->topo, node, name, sizeof name));
    if (f->cfg.model == FABRIC_MODEL_HPCC_NS3)
        return vdc_fail(err, "a NIC sends real RoCEv2 frames; the hpcc-ns3 transport model is for flow-file traffic, "
                             "so use transport.model: roce with guests' NICs");
    host->host->endpoints[port] = *endpoint;
    host->host->endpoints_attached++;
    *at = (struct fabric_attachment){
        .fabric = f, .node = host, .port = &host->ports[port], .entity = host->entity, .host = node,
        .port_index = port};
    return true;
}

void fabric_endpoint_detach(struct fabric_attachment *at)
{
    if (at->fabric != NULL) {
        at->node->host->endpoints[at->port_index] = (struct fabric_endpoint){0};
        at->node->host->endpoints_attached--;
    }
    memset(at, 0, sizeof *at);
}

void fabric_endpoint_kick(const struct fabric_attachment *at)
{
    fabric_port_kick(at->port);
}

void fabric_endpoint_schedule(const struct fabric_attachment *at, struct vdc_entity *source, vdc_time when,
                              uint64_t arg)
{
    vdc_schedule_at(source, when, VDC_PRIO_DEVICE, at->entity->id, FABRIC_EV_ENDPOINT,
                    vdc_arg_put(arg, 0, ENDPOINT_ARG_BITS) | vdc_arg_put(at->port_index, ENDPOINT_ARG_BITS, 8));
}

void fabric_endpoint_event(struct fabric_host *host, uint64_t arg)
{
    uint64_t port = vdc_arg_field(arg, ENDPOINT_ARG_BITS, 8);
    assert(port < host->node->port_count);
    const struct fabric_endpoint *endpoint = &host->endpoints[port];
    if (endpoint->device != NULL)
        endpoint->event(endpoint->device, vdc_arg_field(arg, 0, ENDPOINT_ARG_BITS));
}

uint64_t fabric_endpoint_rate(const struct fabric_attachment *at)
{
    return at->port->rate;
}

struct fabric_pool *fabric_packet_pool(struct fabric *f)
{
    return &f->shards[0].pool; /* devices are attached only to serial runs */
}

const struct fabric_config *fabric_parameters(const struct fabric *f)
{
    return &f->cfg;
}

uint32_t fabric_hosts(const struct fabric *f, uint32_t *nodes, uint32_t max)
{
    uint32_t count = 0;
    for (uint32_t n = 0; n < f->node_count; n++) {
        if (f->nodes[n].is_switch)
            continue;
        if (count < max)
            nodes[count] = n;
        count++;
    }
    return count;
}

bool fabric_host_by_ipv4(const struct fabric *f, uint32_t ipv4, uint32_t *node)
{
    for (uint32_t n = 0; n < f->node_count; n++) {
        if (!f->nodes[n].is_switch && fabric_host_ipv4(n) == ipv4) {
            *node = n;
            return true;
        }
    }
    return false;
}
