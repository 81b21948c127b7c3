/* Hold model: the standard way to measure an event list (Vaucher & Duval 1975), as ns-3's bench-scheduler does. */
#include "bench/hold.h"

#include <stdio.h>

#include "common/wall_clock.h"

#include "scheduler/sim.h"

#define HOLD_SOURCES 1024u

struct hold_state {
    uint64_t remaining;
    uint64_t max_gap;
};

static void hold_on_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)ev;
    struct hold_state *state = self->model;
    vdc_time gap = vdc_rng_below(&self->rng, state->max_gap + 1) * VDC_NS;
    vdc_schedule_in(self, gap, VDC_PRIO_DEVICE, self->id, 0, 0);
    if (--state->remaining == 0)
        vdc_sim_stop(self->sim);
}

struct hold_result vdc_bench_hold_run(uint64_t pending, uint64_t events, uint64_t seed)
{
    struct vdc_sim sim;
    vdc_sim_init(&sim, seed);
    /* Warm-up: one event per pending event, untimed, so the measurement sees the steady state (the
     * queue's arrays grown, the pending times spread out) rather than the first fill. */
    struct hold_state state = {.remaining = pending, .max_gap = 2 * pending};
    uint32_t sources = pending < HOLD_SOURCES ? (uint32_t)pending : HOLD_SOURCES;
    struct vdc_entity *entity[HOLD_SOURCES];
    for (uint32_t i = 0; i < sources; i++) {
        char name[32];
        snprintf(name, sizeof name, "hold%u", i);
        entity[i] = vdc_entity_create(&sim, i, name, hold_on_event, &state, NULL);
    }
    for (uint64_t i = 0; i < pending; i++) {
        struct vdc_entity *e = entity[i % sources];
        vdc_schedule_at(e, vdc_rng_below(&e->rng, state.max_gap + 1) * VDC_NS, VDC_PRIO_DEVICE, e->id, 0, 0);
    }
    vdc_sim_run(&sim, VDC_TIME_MAX);
    uint64_t warm_events = sim.events_processed;
    state.remaining = events;
    double start = vdc_wall_seconds();
    if (events > 0)
        vdc_sim_run(&sim, VDC_TIME_MAX);
    double wall = vdc_wall_seconds() - start;
    struct hold_result result = {
        .events = sim.events_processed - warm_events, .digest = sim.digest, .wall_seconds = wall};
    vdc_sim_free(&sim);
    return result;
}
