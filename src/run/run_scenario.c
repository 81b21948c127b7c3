/* From scenario to summary: entities, event loop, checks, and the files in --out. */
#include "run_scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli/progress.h"
#include "../common/exit_codes.h"
#include "../common/shell_quote.h"
#include "../common/wall_clock.h"
#include "../scenario/units.h"
#include "../workload/rack_messages.h"
#include "guest_set.h"

static bool make_dir(const char *path, struct vdc_error *err)
{
    char partial[4096];
    if (path[0] == '\0')
        return vdc_fail(err, "an empty folder name was given; name a folder such as results");
    if (snprintf(partial, sizeof partial, "%s", path) >= (int)sizeof partial)
        return vdc_fail(err, "%.80s...: the path is too long", path);
    for (char *p = partial + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(partial, 0777) != 0 && errno != EEXIST)
                return vdc_fail(err, "%s: cannot create '%s' (%s); choose a writable folder", path, partial,
                                strerror(errno));
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    struct stat info;
    if (stat(path, &info) != 0 || !S_ISDIR(info.st_mode))
        return vdc_fail(err, "%s is a file, not a folder; choose a folder for the outputs", path);
    return true;
}

struct check_result {
    bool passed;
    char text[512];
};

static void judge_checks(const struct vdc_scenario *sc, const struct rack_messages *m, struct check_result *r)
{
    r->passed = true;
    size_t used = 0;
    r->text[0] = '\0';
    if (m->delivered < sc->checks.min_delivered) {
        r->passed = false;
        used += (size_t)snprintf(r->text + used, sizeof r->text - used,
                                 "FAILED checks.min_delivered: %" PRIu64 " delivered, at least %" PRIu64 " required; ",
                                 m->delivered, sc->checks.min_delivered);
    }
    uint64_t mean = vdc_hist_mean(&m->latency);
    if (sc->checks.max_mean_latency != 0 && mean > sc->checks.max_mean_latency && used < sizeof r->text) {
        char have[64], limit[64];
        vdc_time_format(have, sizeof have, mean);
        vdc_time_format(limit, sizeof limit, sc->checks.max_mean_latency);
        r->passed = false;
        used += (size_t)snprintf(r->text + used, sizeof r->text - used,
                                 "FAILED checks.max_mean_latency: mean %s, at most %s allowed; ", have, limit);
    }
    if (r->passed)
        snprintf(r->text, sizeof r->text, "ok");
    else if (used >= 2 && used < sizeof r->text)
        r->text[used - 2] = '\0';
}

static void print_summary(FILE *out, const struct vdc_scenario *sc, const struct vdc_sim *sim,
                          const struct rack_messages *m, const struct check_result *checks)
{
    char rate[64], delay[64], size[64], interval[64];
    vdc_format_quantity(rate, sizeof rate, VDC_QTY_RATE, sc->topology.link_rate);
    vdc_time_format(delay, sizeof delay, sc->topology.link_delay);
    vdc_format_quantity(size, sizeof size, VDC_QTY_SIZE, sc->workload.message_size);
    vdc_time_format(interval, sizeof interval, sc->workload.mean_interval);
    fprintf(out, "scenario   %s (seed %" PRIu64 ")\n", sc->name, sc->seed);
    fprintf(out, "topology   rack: %" PRIu64 " blades on a %" PRIu64 "-port TOR, %s links, %s delay\n",
            sc->topology.blades, sc->topology.tor_ports, rate, delay);
    if (sc->workload.kind == VDC_WORKLOAD_UNIFORM)
        fprintf(out, "workload   uniform: %s messages, mean interval %s, %" PRIu64 " per blade\n", size, interval,
                sc->workload.messages_per_blade);
    if (sc->workload.kind != VDC_WORKLOAD_NONE)
        fprintf(out, "delivered  %" PRIu64 " of %" PRIu64 " messages, %" PRIu64 " bytes\n", m->delivered, m->sent,
            m->bytes_delivered);
    if (sc->workload.kind != VDC_WORKLOAD_NONE && m->delivered > 0) {
        char lo[64], mean[64], p99[64], hi[64];
        vdc_time_format(lo, sizeof lo, m->latency.min);
        vdc_time_format(mean, sizeof mean, vdc_hist_mean(&m->latency));
        vdc_time_format(p99, sizeof p99, vdc_hist_percentile(&m->latency, 99.0));
        vdc_time_format(hi, sizeof hi, m->latency.max);
        fprintf(out, "latency    min %s, mean %s, p99 %s, max %s\n", lo, mean, p99, hi);
    }
    if (sc->workload.kind != VDC_WORKLOAD_NONE && sim->now > 0)
        fprintf(out, "goodput    %.3f Gbps per blade (mean over the run)\n",
                (double)m->bytes_delivered * 8.0 / ((double)sim->now * 1e-12) / 1e9 / (double)m->blade_count);
    fprintf(out, "checks     %s\n", checks->text);
}

static void print_summary_tail(FILE *out, const struct vdc_sim *sim, double wall)
{
    char end[64];
    vdc_time_format(end, sizeof end, sim->now);
    /* stdout carries model values only, so two runs print the same bytes; the wall-clock figures go to a
     * terminal's stderr, like the progress line. */
    fprintf(out, "simulated  %s in %" PRIu64 " events\n", end, sim->events_processed);
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "vdc: wall %.3f s, %.2f M events/s\n", wall,
                wall > 0 ? (double)sim->events_processed / wall / 1e6 : 0.0);
    fprintf(out, "digest     %016" PRIx64 "\n", sim->digest);
}

static void write_json_string(FILE *f, const char *text)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static bool write_summary_json(const char *dir, const struct vdc_scenario *sc, const struct vdc_sim *sim,
                               const struct rack_messages *m, const struct check_result *checks,
                               struct vdc_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return vdc_fail(err, "--out: cannot write '%s' (%s); choose a writable folder", path, strerror(errno));
    /* Only model values: the file is the same on every machine for the same scenario and seed. */
    fprintf(f,
            "{\n  \"scenario\": ");
    write_json_string(f, sc->name);
    fprintf(f,
            ",\n  \"seed\": %" PRIu64 ",\n  \"end_time_ps\": %" PRIu64
            ",\n  \"events\": %" PRIu64 ",\n  \"digest\": \"%016" PRIx64 "\",\n  \"messages_sent\": %" PRIu64
            ",\n  \"messages_delivered\": %" PRIu64 ",\n  \"bytes_delivered\": %" PRIu64
            ",\n  \"latency_ps\": {\"min\": %" PRIu64 ", \"mean\": %" PRIu64 ", \"p99\": %" PRIu64
            ", \"max\": %" PRIu64 "},\n  \"checks_passed\": %s\n}\n",
            sc->seed, sim->now, sim->events_processed, sim->digest, m->sent, m->delivered,
            m->bytes_delivered, m->delivered ? m->latency.min : 0, vdc_hist_mean(&m->latency),
            vdc_hist_percentile(&m->latency, 99.0), m->latency.max, checks->passed ? "true" : "false");
    if (fclose(f) != 0)
        return vdc_fail(err, "--out: writing '%s' failed (%s)", path, strerror(errno));
    return true;
}

int vdc_run_scenario(const struct vdc_scenario *sc, const struct vdc_run_options *options, FILE *summary,
                     struct vdc_run_outcome *outcome)
{
    struct vdc_error err;
    if ((options->out_dir != NULL && !make_dir(options->out_dir, &err)) ||
        (options->dtb_dir != NULL && !make_dir(options->dtb_dir, &err))) {
        vdc_print_error(&err);
        return VDC_EXIT_BAD_INPUT;
    }
    struct vdc_sim sim;
    vdc_sim_init(&sim, sc->seed);
    struct rack_messages model;
    if (!rack_messages_build(&model, &sim, sc, &err)) {
        vdc_print_error(&err);
        rack_messages_free(&model);
        vdc_sim_free(&sim);
        return VDC_EXIT_BAD_INPUT;
    }
    struct vdc_guest_set guests;
    if (!vdc_guest_set_build(&guests, &sim, sc, &err) ||
        (options->dtb_dir != NULL && !vdc_guest_set_dump_dtbs(&guests, options->dtb_dir, &err))) {
        vdc_print_error(&err);
        vdc_guest_set_free(&guests);
        rack_messages_free(&model);
        vdc_sim_free(&sim);
        return VDC_EXIT_BAD_INPUT;
    }
    struct vdc_progress progress = {0};
    if (options->show_progress)
        vdc_progress_attach(&progress, &sim);
    double wall_start = vdc_wall_seconds();
    vdc_sim_run(&sim, sc->run.stop_time == 0 ? VDC_TIME_MAX : sc->run.stop_time);
    double wall = vdc_wall_seconds() - wall_start;
    vdc_progress_finish(&progress);

    fflush(stdout); /* guest console lines first, then the summary */
    struct check_result checks;
    judge_checks(sc, &model, &checks);
    print_summary(summary, sc, &sim, &model, &checks);
    bool guests_ok = vdc_guest_set_report(&guests, summary);
    print_summary_tail(summary, &sim, wall);
    int code = checks.passed && guests_ok ? VDC_EXIT_OK : VDC_EXIT_SIM_FAILED;
    if (options->out_dir != NULL && !write_summary_json(options->out_dir, sc, &sim, &model, &checks, &err)) {
        vdc_print_error(&err);
        code = VDC_EXIT_BAD_INPUT;
    }
    if (!guests_ok || !checks.passed) {
        char path[4200];
        vdc_shell_quote(path, sizeof path, sc->source_path ? sc->source_path : "SCENARIO");
        fprintf(stderr, "vdc: %s; reproduce with: vdc run %s --seed %" PRIu64 "%s\n",
                !guests_ok ? "a guest did not exit with 0 (see 'guest' in the summary)" : checks.text, path, sc->seed,
                sc->overrides ? sc->overrides : "");
    }
    if (outcome != NULL)
        *outcome = (struct vdc_run_outcome){
            .digest = sim.digest,
            .events = sim.events_processed,
            .end_time = sim.now,
            .latency_min = model.delivered ? model.latency.min : 0,
            .latency_mean = vdc_hist_mean(&model.latency),
            .checks_passed = checks.passed,
        };
    vdc_guest_set_free(&guests);
    rack_messages_free(&model);
    vdc_sim_free(&sim);
    return code;
}
