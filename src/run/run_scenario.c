/* From scenario to summary: entities, event loop, checks, and the files in --out. */
#include "run/run_scenario.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run/hilink_setup.h"
#include "run/progress.h"
#include "common/exit_codes.h"
#include "common/shell_quote.h"
#include "common/wall_clock.h"
#include "common/units.h"
#include "fabric/capture.h"
#include "scenario/keys.h"
#include "fabric/host.h"
#include "fabric/outputs.h"
#include "fabric/partition.h"
#include "fabric/qlen_monitor.h"
#include "fabric/sampler.h"
#include "report/latency_histogram.h"
#include "run/fabric_setup.h"
#include "run/guest_set.h"

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

/* What a run measured, gathered once for the summary, summary.json and the checks. */
static void judge_checks(const struct vdc_scenario *sc, const struct fabric_totals *t, struct check_result *r)
{
    r->passed = true;
    size_t used = 0;
    r->text[0] = '\0';
    if (t->flows_done < sc->checks.min_delivered) {
        r->passed = false;
        used += (size_t)snprintf(r->text + used, sizeof r->text - used,
                                 "FAILED checks.min_delivered: %" PRIu64 " flows completed, at least %" PRIu64
                                 " required; ",
                                 t->flows_done, sc->checks.min_delivered);
    }
    uint64_t mean = vdc_hist_mean(&t->fct);
    if (sc->checks.max_mean_latency != 0 && mean > sc->checks.max_mean_latency && used < sizeof r->text) {
        char have[64], limit[64];
        vdc_time_format(have, sizeof have, mean);
        vdc_time_format(limit, sizeof limit, sc->checks.max_mean_latency);
        r->passed = false;
        used += (size_t)snprintf(r->text + used, sizeof r->text - used,
                                 "FAILED checks.max_mean_latency: mean flow completion %s, at most %s allowed; ",
                                 have, limit);
    }
    if (r->passed)
        snprintf(r->text, sizeof r->text, "ok");
    else if (used >= 2 && used < sizeof r->text)
        r->text[used - 2] = '\0';
}

static void print_workload(FILE *out, const struct vdc_scenario *sc)
{
    const __typeof__(sc->workload) *w = &sc->workload;
    char a[64], b[64];
    switch (w->kind) {
    case VDC_WORKLOAD_UNIFORM:
        vdc_format_quantity(a, sizeof a, VDC_QTY_SIZE, w->message_size);
        vdc_time_format(b, sizeof b, w->mean_interval);
        fprintf(out, "workload   uniform: %s messages, mean interval %s, %" PRIu64 " per host\n", a, b,
                w->messages_per_blade);
        break;
    case VDC_WORKLOAD_INCAST:
        vdc_format_quantity(a, sizeof a, VDC_QTY_SIZE, w->flow_size);
        fprintf(out, "workload   incast: %" PRIu64 " senders to host %" PRIu64 ", %s each\n", w->senders, w->receiver,
                a);
        break;
    case VDC_WORKLOAD_POISSON:
        vdc_time_format(b, sizeof b, w->duration);
        fprintf(out, "workload   poisson: %s flow sizes at %.0f%% load for %s\n",
                w->distribution == VDC_DISTRIBUTION_HADOOP ? "FB Hadoop" : "WebSearch", w->load * 100, b);
        break;
    case VDC_WORKLOAD_FLOWS: fprintf(out, "workload   flows from %s\n", w->flows_file); break;
    default: fprintf(out, "workload   none\n"); break;
    }
}

static const char *const topology_names[] = {"rack", "leaf-spine", "fat-tree", "hpcc", "simgrid"};

static void print_summary(FILE *out, const struct vdc_scenario *sc, const struct vdc_sim *sim,
                          const struct fabric_totals *t, const struct check_result *checks)
{
    fprintf(out, "scenario   %s (seed %" PRIu64 ")\n", sc->name, sc->seed);
    if (t->hosts == 0)
        fprintf(out, "topology   %s: not simulated (no traffic)\n", topology_names[sc->topology.kind]);
    else
        fprintf(out, "topology   %s: %" PRIu32 " hosts, %" PRIu32 " switch%s, %" PRIu32 " links\n",
                topology_names[sc->topology.kind], t->hosts, t->switches, t->switches == 1 ? "" : "es", t->links);
    print_workload(out, sc);
    if (t->flows > 0) {
        static const char *const models[] = {"roce", "hpcc-ns3"};
        static const char *const controls[] = {"none", "dcqcn", "hpcc", "timely", "dctcp"};
        fprintf(out, "transport  %s model, congestion control %s\n", models[sc->transport.model],
                controls[sc->transport.cc]);
    }
    if (t->flows > 0) {
        fprintf(out, "flows      %" PRIu64 " of %" PRIu64 " completed, %" PRIu64 " bytes delivered, %" PRIu64
                     " packets retransmitted\n",
                t->flows_done, t->flows, t->bytes_delivered, t->retransmitted);
    }
    if (t->flows_done > 0) {
        char lo[64], mean[64], p99[64], hi[64];
        vdc_time_format(lo, sizeof lo, t->fct.min);
        vdc_time_format(mean, sizeof mean, vdc_hist_mean(&t->fct));
        vdc_time_format(p99, sizeof p99, vdc_hist_percentile(&t->fct, 99.0));
        vdc_time_format(hi, sizeof hi, t->fct.max);
        fprintf(out, "fct        min %s, mean %s, p99 %s, max %s; mean slowdown %.2f\n", lo, mean, p99, hi,
                t->mean_slowdown);
    }
    if (t->flows > 0) {
        char paused[64];
        vdc_time_format(paused, sizeof paused, t->paused_time);
        fprintf(out, "fabric     %" PRIu64 " drops, %" PRIu64 " ECN marks, %" PRIu64 " pauses and %" PRIu64
                     " resumes sent, %s paused in all\n",
                t->drops, t->ecn_marks, t->pauses_sent, t->resumes_sent, paused);
    }
    if (t->flows > 0 && sc->faults.schedule[0] != '\0')
        fprintf(out, "faults     %" PRIu64 " change%s applied, routes recomputed %" PRIu64 " time%s\n",
                t->faults_applied, t->faults_applied == 1 ? "" : "s", t->reroutes, t->reroutes == 1 ? "" : "s");
    if (t->flows > 0 && sim->now > 0)
        fprintf(out, "goodput    %.3f Gbps per host (mean over the run)\n",
                (double)t->bytes_delivered * 8.0 / ((double)sim->now * 1e-12) / 1e9 / (double)t->hosts);
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
                               const struct fabric_totals *t, const struct check_result *checks,
                               const struct vdc_guest_set *guests, struct vdc_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return vdc_fail(err, "--out: cannot write '%s' (%s); choose a writable folder", path, strerror(errno));
    /* Only model values: the file is the same on every machine for the same scenario and seed. */
    fprintf(f, "{\n  \"scenario\": ");
    write_json_string(f, sc->name);
    fprintf(f,
            ",\n  \"seed\": %" PRIu64 ",\n  \"end_time_ps\": %" PRIu64 ",\n  \"events\": %" PRIu64
            ",\n  \"digest\": \"%016" PRIx64 "\",\n  \"flows\": %" PRIu64 ",\n  \"flows_completed\": %" PRIu64
            ",\n  \"bytes_delivered\": %" PRIu64 ",\n  \"packets_retransmitted\": %" PRIu64
            ",\n  \"fct_ps\": {\"min\": %" PRIu64 ", \"mean\": %" PRIu64 ", \"p99\": %" PRIu64 ", \"max\": %" PRIu64
            "},\n  \"mean_slowdown\": %.6f,\n  \"drops\": %" PRIu64 ",\n  \"ecn_marks\": %" PRIu64
            ",\n  \"pauses_sent\": %" PRIu64 ",\n  \"paused_ps\": %" PRIu64 ",\n  \"checks_passed\": %s",
            sc->seed, sim->now, sim->events_processed, sim->digest, t->flows, t->flows_done, t->bytes_delivered,
            t->retransmitted, t->flows_done ? t->fct.min : 0, vdc_hist_mean(&t->fct),
            vdc_hist_percentile(&t->fct, 99.0), t->fct.max, t->mean_slowdown, t->drops, t->ecn_marks,
            t->pauses_sent, t->paused_time, checks->passed ? "true" : "false");
    vdc_guest_set_write_devices_json(guests, f);
    /* The one value that may differ between machines: what ran the guests (their results do not). */
    const char *vcpu = vdc_guest_set_backend(guests);
    if (vcpu != NULL)
        fprintf(f, ",\n  \"vcpu\": \"%s\"", vcpu);
    fprintf(f, "\n}\n");
    if (fclose(f) != 0)
        return vdc_fail(err, "--out: writing '%s' failed (%s)", path, strerror(errno));
    return true;
}

/* An output file: the path a key gives (HPCC's config names them), else NAME in the --out folder, else none. */
/* An output's path: the one a key gives (HPCC's config names them), else NAME in the --out folder, else none. */
static const char *output_path(const char *dir, const char *name, const char *path_key, char *path, size_t size)
{
    if (path_key[0] != '\0')
        snprintf(path, size, "%s", path_key);
    else if (dir != NULL)
        snprintf(path, size, "%s/%s", dir, name);
    else
        return NULL;
    return path;
}

/* The files written while the run goes: fct.txt, pfc.txt, the sampled series, HPCC's queue histograms. */
static bool open_outputs(struct fabric *f, const struct vdc_scenario *sc, const char *dir, struct vdc_error *err)
{
    const __typeof__(sc->output) *o = &sc->output;
    char fct[4200], pfc[4200];
    if (!fabric_logs_open(f, output_path(dir, "fct.txt", o->fct_file, fct, sizeof fct),
                          output_path(dir, "pfc.txt", o->pfc_file, pfc, sizeof pfc), err))
        return false;
    if (o->qlen_file[0] != '\0' && !fabric_qlen_monitor_start(f, o->qlen_file, o->qlen_start, o->qlen_end, err))
        return false;
    if (sc->output.sample_interval == 0 || dir == NULL)
        return true;
    char path[4200];
    snprintf(path, sizeof path, "%s/queues.csv", dir);
    return fabric_sampler_start(f, path, sc->output.sample_interval, err);
}

static bool close_outputs(struct fabric *f, const char *dir, struct vdc_error *err)
{
    bool ok = fabric_logs_close(f, err);
    ok = fabric_sampler_close(f, err) && ok;
    ok = fabric_qlen_monitor_close(f, err) && ok;
    ok = fabric_capture_close(f, err) && ok;
    if (ok && dir && f->nodes) {
        char path[4200];
        snprintf(path, sizeof path, "%s/counters.csv", dir);
        ok = fabric_write_counters(f, path, err);
    }
    return ok;
}

struct run_parts {
    struct fabric_topology topo;
    struct fabric_flow_set flows;
    struct fabric fabric;
    bool built;
    struct vdc_guest_set guests;
};

static void free_parts(struct run_parts *r)
{
    vdc_guest_set_free(&r->guests);
    if (r->built)
        fabric_free(&r->fabric);
    fabric_flow_set_free(&r->flows);
    fabric_topology_free(&r->topo);
}

static bool build_parts(struct run_parts *r, struct vdc_sim *sim, const struct vdc_scenario *sc,
                        const struct vdc_run_options *options, struct vdc_error *err)
{
    struct fabric_config cfg;
    /* Without traffic there is no fabric to simulate (a one-blade rack of guests is fine). */
    if (sc->workload.kind == VDC_WORKLOAD_NONE && !vdc_guest_set_uses_fabric(sc))
        return vdc_guest_set_build(&r->guests, sim, sc, NULL, err) &&
               (options->dtb_dir == NULL || vdc_guest_set_dump_dtbs(&r->guests, options->dtb_dir, err));
    if (!vdc_fabric_setup_config(sc, &cfg, err) || !vdc_fabric_setup_topology(sc, &r->topo, err) ||
        !vdc_fabric_setup_flows(sc, &r->topo, &r->flows, err))
        return false;
    if (!(r->built = fabric_build(&r->fabric, sim, &r->topo, &cfg, err)) ||
        !fabric_hosts_add_flows(&r->fabric, &r->flows, err))
        return false;
    if (!vdc_fabric_setup_faults(sc, &r->fabric, err))
        return false;
    if (!open_outputs(&r->fabric, sc, options->out_dir, err))
        return false;
    if (options->pcap_links && !fabric_capture_open(&r->fabric, options->out_dir, options->pcap_links, err))
        return false;
    return vdc_guest_set_build(&r->guests, sim, sc, &r->fabric, err) &&
           (options->dtb_dir == NULL || vdc_guest_set_dump_dtbs(&r->guests, options->dtb_dir, err));
}

void vdc_run_add_device_keys(void)
{
    vdc_guest_set_add_device_keys();
    vdc_hilink_add_keys();
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
    struct run_parts parts;
    memset(&parts, 0, sizeof parts);
    if (!build_parts(&parts, &sim, sc, options, &err)) {
        vdc_print_error(&err);
        close_outputs(&parts.fabric, NULL, &err);
        free_parts(&parts);
        vdc_sim_free(&sim);
        return VDC_EXIT_BAD_INPUT;
    }
    struct vdc_progress progress = {0};
    if (options->show_progress)
        vdc_progress_attach(&progress, &sim);
    double wall_start = vdc_wall_seconds();
    vdc_time until = sc->run.stop_time == 0 ? VDC_TIME_MAX : sc->run.stop_time;
    unsigned threads_used = 1;
    const char *not_split = NULL;
    sim.step_threads = (unsigned)sc->run.threads; /* steps and guests' runs of one time, unsplit runs */
    if (parts.built)
        fabric_run(&parts.fabric, until, (unsigned)sc->run.threads, &threads_used, &not_split);
    else
        vdc_sim_run(&sim, until);
    /* An execution setting, not a model value: stderr, so that stdout is the same bytes on any thread count. */
    /* Not said where the GPUs' windows could take them, nor the guests' copier (the NICs' payloads). */
    if (sc->run.threads > 1 && not_split != NULL && sim.steps == NULL && parts.guests.copier == NULL)
        fprintf(stderr, "vdc: run.threads=%" PRIu64 " not used: %s; the run took one thread\n", sc->run.threads,
                not_split);
    double wall = vdc_wall_seconds() - wall_start;
    vdc_progress_finish(&progress);

    fflush(stdout); /* guest console lines first, then the summary */
    struct fabric_totals totals;
    fabric_totals(&parts.fabric, &totals);
    struct check_result checks;
    judge_checks(sc, &totals, &checks);
    print_summary(summary, sc, &sim, &totals, &checks);
    bool guests_ok = vdc_guest_set_report(&parts.guests, summary);
    print_summary_tail(summary, &sim, wall);
    int code = checks.passed && guests_ok ? VDC_EXIT_OK : VDC_EXIT_SIM_FAILED;
    /* Outputs close whether or not there is an --out folder: HPCC's config names files of its own. */
    if (!close_outputs(&parts.fabric, options->out_dir, &err) ||
        (options->out_dir != NULL && !write_summary_json(options->out_dir, sc, &sim, &totals, &checks, &parts.guests, &err))) {
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
            .latency_min = totals.flows_done ? totals.fct.min : 0,
            .latency_mean = vdc_hist_mean(&totals.fct),
            .flows_done = totals.flows_done,
            .drops = totals.drops,
            .checks_passed = checks.passed,
        };
    free_parts(&parts);
    vdc_sim_free(&sim);
    return code;
}
