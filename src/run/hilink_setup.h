/* The scenario's HiLink fabric: its `hilink.*` keys, and the fabric that joins the guests' GPUs when they have some. */
#ifndef VDC_RUN_HILINK_SETUP_H
#define VDC_RUN_HILINK_SETUP_H

#include <stdint.h>

#include "common/error.h"
#include "hilink/hilink.h"
#include "scenario/scenario.h"

struct vdc_sim;

/* Adds the hilink.* keys to the scenario keys (once, before a scenario is read). */
void vdc_hilink_add_keys(void);
/* GPUs per HiLink domain when the guests have `gpus` of them (hilink.domain_gpus, at most gpus): guest r's GPU is
 * place r mod that of domain r / that. */
uint32_t vdc_hilink_domain_gpus(const struct vdc_scenario *sc, uint32_t gpus);
/* The fabric of domain `domain`, of `gpus` GPUs, when the scenario keeps HiLink on and 2 <= gpus <= 64; NULL
 * otherwise, or NULL with a message in err->text (check it) when its keys make no fabric. */
struct hilink *vdc_hilink_build(struct vdc_sim *sim, const struct vdc_scenario *sc, uint32_t gpus, uint32_t domain,
                                struct vdc_error *err);
/* Schedules the `hilink-down` and `hilink-up` entries of faults.schedule on the domains' fabrics (`domains` NULL:
 * there is no HiLink, and any such entry is an error; a domain's NULL: that GPU is on none), a guest `bladeN`
 * naming guest N's GPU of `gpus`. */
bool vdc_hilink_setup_faults(struct hilink *const *domains, const struct vdc_scenario *sc, uint32_t gpus,
                             struct vdc_error *err);

#endif
