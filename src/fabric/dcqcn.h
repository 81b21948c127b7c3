/* DCQCN reaction point (the sender's rate control), Mellanox timer variant as HPCC ns-3 models it. */
#ifndef VDC_FABRIC_DCQCN_H
#define VDC_FABRIC_DCQCN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/time.h"

struct dcqcn_params {
    bool enabled;
    double g;                       /* alpha gain */
    vdc_time alpha_interval;        /* alpha update period */
    vdc_time decrease_interval;     /* at most one rate cut per period */
    vdc_time increase_interval;     /* rate-increase timer */
    uint32_t fast_recovery_rounds;  /* increase events in fast recovery before additive increase */
    uint64_t rate_ai, rate_hai;     /* bit/s added to the target in additive and hyper increase */
    uint64_t min_rate;
    bool halve_separately;          /* a step is rate/2 + target/2, each truncated (HPCC ns-3's DataRate) */
    bool clamp_target;              /* every cut sets the target to the rate (else only after an increase) */
};

/* Timers are evaluated lazily: alpha updates are applied in closed form when alpha is needed, and only a
 * pending rate-decrease check and the increase timer are real events. */
struct dcqcn_state {
    uint64_t line_rate, rate, target;
    double alpha;
    bool cnp_seen;                  /* any CNP so far: the timers run from the first one */
    vdc_time alpha_base;            /* alpha ticks fall on alpha_base + k * alpha_interval, k >= 1 */
    uint64_t alpha_ticks_done;
    bool cnp_in_alpha_tick;         /* a CNP arrived since the last applied alpha tick */
    bool cnp_in_decrease_period;
    bool decrease_check_pending;
    vdc_time decrease_base;
    uint32_t increase_stage;
    vdc_time increase_due;          /* when the increase timer fires; a cut pushes it back */
    bool increase_pending;          /* an increase-timer event is in the queue (at most one per flow) */
    uint64_t cuts, increases;
};

void fabric_dcqcn_init(struct dcqcn_state *s, uint64_t line_rate);

/* A CNP arrived at `now`. Returns the time of the decrease check to schedule, or 0 if one is already pending. */
vdc_time fabric_dcqcn_on_cnp(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now);

/* The decrease check at `now`: cuts the rate if a CNP came in the period and returns true; the increase timer
 * then runs from this cut (increase_due): schedule it if no increase event is pending. */
bool fabric_dcqcn_decrease_check(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now);

/* The increase timer fired: fast recovery, additive or hyper increase. Returns true while the rate is still
 * below line rate (re-arm the timer). */
bool fabric_dcqcn_increase(struct dcqcn_state *s, const struct dcqcn_params *p);

/* The two timers as events, for any sender that keeps a dcqcn_state: each returns when to schedule the increase
 * timer's next event, or 0 for none (at most one increase event is pending per state). */
vdc_time fabric_dcqcn_decrease_timer(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now);
vdc_time fabric_dcqcn_increase_timer(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now);

/* Alpha as of `now` (applies the elapsed ticks). */
double fabric_dcqcn_alpha(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now);

#endif
