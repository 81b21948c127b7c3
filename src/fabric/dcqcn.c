/* DCQCN rate control at the sender: alpha EWMA, multiplicative cut, fast recovery, additive and hyper increase. */
#include "fabric/dcqcn.h"

void fabric_dcqcn_init(struct dcqcn_state *s, uint64_t line_rate)
{
    *s = (struct dcqcn_state){.line_rate = line_rate, .rate = line_rate, .target = line_rate, .alpha = 1.0};
}

/* (1 - g)^n by squaring: IEEE operations only, so the same bits everywhere. */
static double decay_power(double base, uint64_t n)
{
    double result = 1.0;
    while (n > 0 && result > 0.0) {
        if (n & 1)
            result *= base;
        base *= base;
        n >>= 1;
    }
    return result;
}

/* Applies every alpha tick up to `now`: the first one counts a CNP if any arrived since the last tick. */
static void alpha_catch_up(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now)
{
    if (!s->cnp_seen || now < s->alpha_base)
        return;
    uint64_t ticks = (now - s->alpha_base) / p->alpha_interval;
    if (ticks <= s->alpha_ticks_done)
        return;
    uint64_t pending = ticks - s->alpha_ticks_done;
    double keep = 1.0 - p->g;
    if (s->cnp_in_alpha_tick) {
        s->alpha = keep * s->alpha + p->g;
        s->cnp_in_alpha_tick = false;
        pending--;
    }
    s->alpha *= decay_power(keep, pending);
    s->alpha_ticks_done = ticks;
}

double fabric_dcqcn_alpha(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now)
{
    alpha_catch_up(s, p, now);
    return s->alpha;
}

static vdc_time next_decrease_tick(const struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now)
{
    uint64_t periods = (now - s->decrease_base) / p->decrease_interval + 1;
    return s->decrease_base + periods * p->decrease_interval;
}

vdc_time fabric_dcqcn_on_cnp(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now)
{
    if (!s->cnp_seen) {
        /* The first CNP starts the timers; alpha starts at 1 and the first cut comes at the first check. */
        s->cnp_seen = true;
        s->alpha = 1.0;
        s->alpha_base = now;
        s->alpha_ticks_done = 0;
        s->decrease_base = now;
        s->cnp_in_decrease_period = true;
        s->decrease_check_pending = true;
        return now + p->decrease_interval;
    }
    alpha_catch_up(s, p, now);
    s->cnp_in_alpha_tick = true;
    s->cnp_in_decrease_period = true;
    if (s->decrease_check_pending)
        return 0;
    s->decrease_check_pending = true;
    return next_decrease_tick(s, p, now);
}

bool fabric_dcqcn_decrease_check(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now)
{
    s->decrease_check_pending = false;
    if (!s->cnp_in_decrease_period)
        return false;
    double alpha = fabric_dcqcn_alpha(s, p, now);
    if (s->increase_stage != 0 || p->clamp_target)
        s->target = s->rate;
    uint64_t cut = (uint64_t)((double)s->rate * (1.0 - alpha / 2.0));
    s->rate = cut < p->min_rate ? p->min_rate : cut;
    s->increase_stage = 0;
    s->cnp_in_decrease_period = false;
    s->increase_due = now + p->increase_interval;
    s->cuts++;
    return true;
}

bool fabric_dcqcn_increase(struct dcqcn_state *s, const struct dcqcn_params *p)
{
    if (s->increase_stage == p->fast_recovery_rounds)
        s->target += p->rate_ai;
    else if (s->increase_stage > p->fast_recovery_rounds)
        s->target += p->rate_hai;
    if (s->target > s->line_rate)
        s->target = s->line_rate;
    s->rate = p->halve_separately ? s->rate / 2 + s->target / 2 : (s->rate + s->target + 1) / 2;
    if (s->increase_stage <= p->fast_recovery_rounds)
        s->increase_stage++;
    else
        s->increase_stage = p->fast_recovery_rounds + 1;
    s->increases++;
    return s->rate < s->line_rate;
}

vdc_time fabric_dcqcn_decrease_timer(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now)
{
    if (!fabric_dcqcn_decrease_check(s, p, now) || s->increase_pending)
        return 0;
    s->increase_pending = true;
    return s->increase_due;
}

vdc_time fabric_dcqcn_increase_timer(struct dcqcn_state *s, const struct dcqcn_params *p, vdc_time now)
{
    s->increase_pending = false;
    /* A cut since this event was scheduled moved the due time later. */
    if (now >= s->increase_due) {
        if (!fabric_dcqcn_increase(s, p))
            return 0;
        s->increase_due = now + p->increase_interval;
    }
    s->increase_pending = true;
    return s->increase_due;
}
