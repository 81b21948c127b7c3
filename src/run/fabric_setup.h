/* From scenario keys to the fabric: its topology, its parameters, its flows and its faults. */
#ifndef VDC_RUN_FABRIC_SETUP_H
#define VDC_RUN_FABRIC_SETUP_H

#include "fabric/fabric.h"
#include "fabric/faults.h"
#include "scenario/scenario.h"

bool vdc_fabric_setup_topology(const struct vdc_scenario *sc, struct fabric_topology *topo, struct vdc_error *err);
bool vdc_fabric_setup_config(const struct vdc_scenario *sc, struct fabric_config *cfg, struct vdc_error *err);
bool vdc_fabric_setup_flows(const struct vdc_scenario *sc, const struct fabric_topology *topo,
                        struct fabric_flow_set *flows, struct vdc_error *err);
/* Reads faults.schedule and schedules its entries on the built fabric. */
bool vdc_fabric_setup_faults(const struct vdc_scenario *sc, struct fabric *f, struct vdc_error *err);

#endif
