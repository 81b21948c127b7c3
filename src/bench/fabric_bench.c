/* vdc bench fabric: builds the incast, runs it to completion and times only the event loop. */
#include "bench/fabric_bench.h"

#include <string.h>

#include "common/wall_clock.h"
#include "fabric/fabric.h"
#include "fabric/host.h"
#include "fabric/topologies.h"

bool vdc_bench_fabric_incast(uint32_t senders, uint64_t bytes, uint64_t rate, vdc_time delay, uint64_t seed,
                         struct fabric_bench_result *out, struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    struct fabric_topology topo;
    if (!fabric_topology_rack(&topo, senders + 1, senders + 1, rate, delay, err))
        return false;
    struct fabric_config cfg;
    fabric_config_defaults(&cfg);
    struct vdc_sim sim;
    vdc_sim_init(&sim, seed);
    struct fabric f;
    struct fabric_flow_set flows = {0};
    bool built = fabric_build(&f, &sim, &topo, &cfg, err), ok = built;
    if (ok) {
        for (uint32_t i = 0; i < senders; i++) {
            struct fabric_flow_spec spec = {.src = i, .dst = senders, .priority = 3, .dst_port = 100, .size = bytes};
            fabric_flow_set_add(&flows, &spec);
        }
        ok = fabric_hosts_add_flows(&f, &flows, err);
    }
    if (ok) {
        double start = vdc_wall_seconds();
        vdc_sim_run(&sim, VDC_TIME_MAX);
        out->wall_seconds = vdc_wall_seconds() - start;
        out->events = sim.events_processed;
        out->data_packets = fabric_data_packets_delivered(&f);
        out->drops = fabric_drops(&f);
        out->digest = sim.digest;
        out->simulated = sim.now;
        for (uint32_t n = 0; n < f.node_count; n++) {
            for (uint16_t p = 0; p < f.nodes[n].port_count; p++) {
                out->pauses += f.nodes[n].ports[p].count.pauses_sent;
                out->ecn_marks += f.nodes[n].ports[p].count.ecn_marked;
            }
        }
        if (fabric_flows_done(&f) != senders)
            ok = vdc_fail(err, "only %u of %u incast flows finished", fabric_flows_done(&f), senders);
    }
    if (built)
        fabric_free(&f);
    fabric_flow_set_free(&flows);
    vdc_sim_free(&sim);
    fabric_topology_free(&topo);
    return ok;
}
