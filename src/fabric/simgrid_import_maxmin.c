/* SimGrid's max-min rates for long-lived transfers, measured in a child process, as a reference for the fabric. */
#include "fabric/simgrid_import.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/simgrid_import_child.h"
#include "fabric/simgrid_import_process.h"

/* How the rates are measured, exactly and with the public C API only (which cannot read a transfer's progress).
 * CM02 shares bandwidth by (weighted) max-min: as long as the set of active transfers stays the same, every rate
 * stays the same. Each pair therefore sends a first chunk of MEASURE_BYTES and, as soon as it arrives, a chunk so
 * large that it cannot finish before every first chunk has: no transfer ever stops, so the rates are constant
 * from time 0 and pair i's rate is MEASURE_BYTES / (time its first chunk arrived). The next chunk starts at the
 * same simulated instant, so the gap between chunks takes no time. With link latencies set to 0 there is no
 * latency phase either, and CM02 gives every transfer the same weight: plain max-min. */
#define MEASURE_BYTES 1000000000L          /* 1 GB: ends after 8000 s at 1 Mbps, the slowest link vdc takes */
#define KEEP_ALIVE_BYTES 1000000000000000000L
/* Each pair runs two actors; more pairs than this are not a validation case. */
#define MAX_PAIRS 16384

struct maxmin_request {
    const char *path;
    const uint32_t (*pairs)[2];
    size_t pair_count;
};

struct transfer_run {
    size_t pair_count;
    sg_sem_t measured;        /* released once per pair whose first chunk arrived */
    bool keep_alive_ended;    /* a keep-alive chunk arrived before every rate was measured */
};

struct transfer {
    struct transfer_run *run;
    sg_mailbox_t mailbox;
    double first_chunk_arrival;
};

/* The API for the actors (a child process runs one set of transfers). */
static const struct simgrid_api *sg;

static void sender(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct transfer *t = sg->actor_self_get_data();
    sg->actor_daemonize(sg->actor_self()); /* killed when the controller is done */
    sg->mailbox_put(t->mailbox, t, MEASURE_BYTES);
    t->first_chunk_arrival = sg->get_clock();
    sg->sem_release(t->run->measured);
    sg->mailbox_put(t->mailbox, t, KEEP_ALIVE_BYTES);
    t->run->keep_alive_ended = true;
}

static void receiver(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct transfer *t = sg->actor_self_get_data();
    sg->actor_daemonize(sg->actor_self());
    for (;;)
        sg->mailbox_get(t->mailbox);
}

/* The only actor that is not a daemon: the simulation ends when it has seen every first chunk arrive. */
static void controller(int argc, char **argv)
{
    (void)argc, (void)argv;
    struct transfer_run *run = sg->actor_self_get_data();
    for (size_t i = 0; i < run->pair_count; i++)
        sg->sem_acquire(run->measured);
}

static void start_actor(const char *name, sg_host_t host, void (*code)(int, char **), void *data)
{
    sg_actor_t actor = sg->actor_init(name, host);
    sg->actor_set_data(actor, data);
    sg->actor_start(actor, code, 0, NULL);
}

/* Child body: writes "rate I RATE" (bit/s, hex float) for each pair, then "end". */
static void run_transfers(FILE *out, const void *arg)
{
    const struct maxmin_request *request = arg;
    static const char *const options[] = {
        "--cfg=network/model:CM02", "--cfg=network/crosstraffic:0", "--cfg=network/TCP-gamma:1e30",
        /* Debian's libsimgrid is not built for AddressSanitizer, which then misreads its stack switching */
#ifdef __SANITIZE_ADDRESS__
        "--cfg=contexts/factory:thread",
#endif
    };
    sg = fabric_simgrid_child_start(out, request->path, options, sizeof options / sizeof options[0]);
    if (sg == NULL)
        return;
    size_t host_count, link_count = sg->link_count();
    sg_host_t *hosts = fabric_simgrid_child_sorted_hosts(&host_count);
    for (size_t i = 0; i < request->pair_count; i++) {
        for (int end = 0; end < 2; end++) {
            if (request->pairs[i][end] >= host_count) {
                fprintf(out, "error pair %zu: node %u is not a host; the platform's hosts are nodes 0 to %zu\n", i,
                        request->pairs[i][end], host_count - 1);
                return;
            }
        }
    }
    sg_link_t *links = sg->link_list();
    for (size_t i = 0; i < link_count; i++)
        sg->link_set_latency(links[i], 0.0);
    struct transfer_run run = {.pair_count = request->pair_count, .measured = sg->sem_init(0)};
    struct transfer *transfers = calloc(request->pair_count, sizeof *transfers);
    for (size_t i = 0; i < request->pair_count; i++) {
        char name[48];
        snprintf(name, sizeof name, "vdc-transfer-%zu", i);
        transfers[i] = (struct transfer){&run, sg->mailbox_by_name(name), 0.0};
        start_actor("sender", hosts[request->pairs[i][0]], sender, &transfers[i]);
        start_actor("receiver", hosts[request->pairs[i][1]], receiver, &transfers[i]);
    }
    start_actor("controller", hosts[request->pairs[0][0]], controller, &run);
    sg->run();
    if (run.keep_alive_ended) {
        fputs("error the transfer rates are too far apart to measure (over a factor of 10^9)\n", out);
        return;
    }
    for (size_t i = 0; i < request->pair_count; i++)
        fprintf(out, "rate %zu %a\n", i, 8.0 * (double)MEASURE_BYTES / transfers[i].first_chunk_arrival);
    fputs("end\n", out);
    free(transfers);
    free(links);
    free(hosts);
}

static bool read_rates(const char *text, size_t pair_count, double *rates_bps)
{
    const char *line = text;
    for (size_t i = 0; i < pair_count; i++) {
        char *end;
        errno = 0;
        if (strncmp(line, "rate ", 5) != 0 || strtoull(line + 5, &end, 10) != i || *end != ' ')
            return false;
        double rate = strtod(end + 1, &end);
        if (errno != 0 || !isfinite(rate) || rate <= 0.0 || *end != '\n')
            return false;
        rates_bps[i] = rate;
        line = end + 1;
    }
    return strcmp(line, "end\n") == 0;
}

bool fabric_simgrid_maxmin_rates(const char *platform_path, const uint32_t (*pairs)[2], size_t pair_count,
                          double *rates_bps, struct vdc_error *err)
{
    if (pair_count == 0)
        return true;
    if (pair_count > MAX_PAIRS)
        return vdc_fail(err, "%s: %zu transfers; the reference rates are computed for at most %d", platform_path,
                        pair_count, MAX_PAIRS);
    for (size_t i = 0; i < pair_count; i++) {
        if (pairs[i][0] == pairs[i][1])
            return vdc_fail(err, "%s: pair %zu: source and destination are both node %u; a transfer needs two "
                            "different hosts", platform_path, i, pairs[i][0]);
    }
    struct maxmin_request request = {platform_path, pairs, pair_count};
    struct simgrid_reply reply;
    if (!fabric_simgrid_check_platform_file(platform_path, err) ||
        !fabric_simgrid_run_child(platform_path, run_transfers, &request, &reply, err))
        return false;
    bool ok = read_rates(reply.text, pair_count, rates_bps);
    fabric_simgrid_reply_free(&reply);
    if (!ok)
        return vdc_fail(err, "%s: the SimGrid process replied something unexpected", platform_path);
    return true;
}
