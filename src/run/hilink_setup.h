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
/* The fabric for `gpus` GPUs when the scenario keeps HiLink on and 2 <= gpus <= 64; NULL otherwise, or NULL with a
 * message in err->text (check it) when its keys make no fabric. */
struct hilink *vdc_hilink_build(struct vdc_sim *sim, const struct vdc_scenario *sc, uint32_t gpus,
                                struct vdc_error *err);
/* Schedules the `hilink-down` and `hilink-up` entries of faults.schedule on `h` (NULL: there is no HiLink, and any
 * such entry is an error), a guest `bladeN` naming the GPU at place N of `gpus`. */
bool vdc_hilink_setup_faults(struct hilink *h, const struct vdc_scenario *sc, uint32_t gpus, struct vdc_error *err);

#endif
