/* Progress on stderr for long runs: virtual time reached, events per second, wall time; only on a terminal. */
#ifndef VDC_CLI_PROGRESS_H
#define VDC_CLI_PROGRESS_H

#include <stdbool.h>

#include "scheduler/sim.h"

struct vdc_progress {
    double wall_start, last_print;
    uint64_t events_at_last_print;
    bool printed;
};

/* Hooks progress into the sim when stderr is a terminal; does nothing otherwise. */
void vdc_progress_attach(struct vdc_progress *progress, struct vdc_sim *sim);
/* Ends the progress line, if one was printed. */
void vdc_progress_finish(struct vdc_progress *progress);

#endif
