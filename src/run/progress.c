/* The progress line: rewritten in place at most 5 times a second, from the sim's progress hook. */
#include "run/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "common/wall_clock.h"

static void show_progress(const struct vdc_sim *sim, void *context)
{
    struct vdc_progress *p = context;
    double now = vdc_wall_seconds();
    if (now - p->last_print < 0.2)
        return;
    double rate = (double)(sim->events_processed - p->events_at_last_print) / (now - p->last_print);
    char when[64];
    vdc_time_format(when, sizeof when, sim->now);
    fprintf(stderr, "\r\033[Kvdc: virtual time %s, %.2f M events/s, wall %.1f s", when, rate / 1e6, now - p->wall_start);
    fflush(stderr);
    p->last_print = now;
    p->events_at_last_print = sim->events_processed;
    p->printed = true;
}

void vdc_progress_attach(struct vdc_progress *progress, struct vdc_sim *sim)
{
    *progress = (struct vdc_progress){0};
    if (!isatty(STDERR_FILENO))
        return;
    progress->wall_start = progress->last_print = vdc_wall_seconds();
    sim->progress = show_progress;
    sim->progress_context = progress;
    sim->progress_every = 1u << 16;
}

void vdc_progress_finish(struct vdc_progress *progress)
{
    if (progress->printed)
        fputs("\r\033[K", stderr);
}
