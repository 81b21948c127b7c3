/* The bare loop answers the same MMIO reads through the vCPU interface with no scheduler, bus or device in
 * between, so the ratio of the two exit rates is the VMM's own cost beside the backend's. */
#include "bench/vcpu_bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/wall_clock.h"
#include "kvm/guest.h"
#include "kvm/guest_layout.h"
#include "kvm/simctl_regs.h"

static bool make_guest(struct vdc_guest *g, struct vdc_sim *sim, uint32_t id, enum vdc_vcpu_backend backend,
                       const uint8_t *program, size_t size, const char *args, struct vdc_error *err)
{
    struct vdc_guest_config config = {.name = "bench",
                                      .memory_size = 16ULL << 20,
                                      .exit_cost = VDC_US,
                                      .vcpu = backend,
                                      .runaway_seconds = 60,
                                      .runaway_instructions = UINT64_MAX,
                                      .bootargs = args};
    return vdc_guest_create(g, sim, id, &config, program, size, err);
}

/* Runs the guest without the scheduler: reads of simctl return fixed values, EXIT ends the loop. Timed from
 * the first exit on, as the run through vdc is. */
static bool bare_loop(struct vdc_guest *g, uint64_t *exits, double *seconds, struct vdc_error *err)
{
    uint64_t count = 0, fake_clock = 0;
    struct vdc_vcpu_exit x;
    double start = 0;
    for (;;) {
        if (count == 1)
            start = vdc_wall_seconds();
        vdc_vcpu_run(&g->vcpu, &x);
        if (x.kind == VDC_VCPU_EXIT_AGAIN)
            continue;
        count++;
        if (x.kind != VDC_VCPU_EXIT_MMIO)
            return vdc_fail(err, "bare loop: the guest stopped (%s)", x.message);
        uint64_t offset = x.mmio.address - GUEST_SIMCTL_BASE, value = 0;
        if (x.mmio.is_write) {
            if (offset == SIMCTL_EXIT)
                break;
            continue;
        }
        if (offset == SIMCTL_ID)
            value = SIMCTL_MAGIC;
        else if (offset == SIMCTL_CLOCK_NS)
            value = fake_clock += 1000;
        vdc_vcpu_complete_read(&g->vcpu, value);
    }
    *seconds = vdc_wall_seconds() - start;
    *exits = count - 1;
    return true;
}

static bool ended_well(const struct vdc_guest *g, struct vdc_error *err)
{
    if (g->state == VDC_GUEST_EXITED && g->exit_code == 0)
        return true;
    char end[900];
    vdc_guest_describe_end(g, end, sizeof end);
    return vdc_fail(err, "the bench guest %s", end);
}

static double resident_mib(void);

/* `guests` guests of one program in one event loop: the wall time to create them and run each to its first
 * exit (per guest), then the wall time of the rest of the run and the exits it made, and the resident memory
 * with all of them alive. */
struct many_run {
    double startup_seconds, after_first_seconds, resident_mib;
    uint64_t exits_after_first;
};

static bool many_run(enum vdc_vcpu_backend backend, const uint8_t *program, size_t size, const char *args,
                     uint32_t guests, struct many_run *r, struct vdc_error *err)
{
    struct vdc_sim sim;
    vdc_sim_init(&sim, 1);
    struct vdc_guest *g = vdc_xcalloc(guests, sizeof *g);
    bool ok = true;
    uint32_t made = 0;
    double t0 = vdc_wall_seconds();
    for (; made < guests && ok; made++)
        ok = make_guest(&g[made], &sim, 1 + made, backend, program, size, args, err);
    if (ok) {
        vdc_sim_run(&sim, 0); /* time 0: every guest's first RUN, which returns at its first exit */
        uint64_t first = 0, all = 0;
        for (uint32_t i = 0; i < guests; i++)
            first += g[i].exits;
        double t1 = vdc_wall_seconds();
        vdc_sim_run(&sim, VDC_TIME_MAX);
        double t2 = vdc_wall_seconds();
        r->resident_mib = resident_mib();
        for (uint32_t i = 0; i < guests && ok; i++) {
            all += g[i].exits;
            ok = ended_well(&g[i], err);
        }
        r->startup_seconds = (t1 - t0) / guests;
        r->after_first_seconds = t2 - t1;
        r->exits_after_first = all - first;
    }
    for (uint32_t i = 0; i < made; i++)
        vdc_guest_destroy(&g[i]);
    free(g);
    vdc_sim_free(&sim);
    return ok;
}

/* Guest instructions per second of bench-loop KIND (4 instructions an iteration), `guests` taking turns. */
static bool loop_rate(enum vdc_vcpu_backend backend, const struct vcpu_bench_programs *programs, const char *kind,
                      uint64_t iterations, uint32_t guests, double *rate, struct vdc_error *err)
{
    char args[64];
    struct many_run r;
    snprintf(args, sizeof args, "%s %llu", kind, (unsigned long long)iterations);
    if (!many_run(backend, programs->loop, programs->loop_size, args, guests, &r, err))
        return false;
    *rate = 4.0 * (double)iterations * guests / r.after_first_seconds;
    return true;
}

bool vdc_bench_vcpu_round(enum vdc_vcpu_backend backend, const struct vcpu_bench_programs *programs, uint64_t exits,
                      uint64_t iterations, struct vcpu_bench_result *result, struct vdc_error *err)
{
    char args[64];
    struct many_run r;
    snprintf(args, sizeof args, "%llu", (unsigned long long)exits);
    if (!many_run(backend, programs->exits, programs->exits_size, args, 1, &r, err))
        return false;
    result->startup_seconds = r.startup_seconds;
    result->vdc_exits_per_sec = (double)r.exits_after_first / r.after_first_seconds;

    /* Bare: the same guest, set up the same way, driven by a plain loop. */
    struct vdc_sim sim;
    struct vdc_guest g;
    vdc_sim_init(&sim, 1);
    bool ok = make_guest(&g, &sim, 1, backend, programs->exits, programs->exits_size, args, err);
    uint64_t bare_exits = 0;
    double bare_seconds = 0;
    ok = ok && bare_loop(&g, &bare_exits, &bare_seconds, err);
    result->bare_exits_per_sec = (double)bare_exits / bare_seconds;
    vdc_guest_destroy(&g);
    vdc_sim_free(&sim);
    return ok && loop_rate(backend, programs, "compute", iterations, 1, &result->compute_ips, err) &&
           loop_rate(backend, programs, "stores", iterations, 1, &result->store_ips, err);
}

static double resident_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long long size = 0, resident = 0;
    if (f != NULL) {
        if (fscanf(f, "%llu %llu", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

bool vdc_bench_vcpu_many(enum vdc_vcpu_backend backend, const struct vcpu_bench_programs *programs, uint32_t guests,
                     uint64_t exits, uint64_t iterations, struct vcpu_bench_many_result *result,
                     struct vdc_error *err)
{
    char args[32];
    struct many_run r;
    snprintf(args, sizeof args, "%llu", (unsigned long long)exits);
    if (!many_run(backend, programs->exits, programs->exits_size, args, guests, &r, err))
        return false;
    result->startup_seconds = r.startup_seconds;
    result->exits_per_sec = (double)r.exits_after_first / r.after_first_seconds;
    result->resident_mib = r.resident_mib;
    return loop_rate(backend, programs, "compute", iterations, guests, &result->compute_ips, err) &&
           loop_rate(backend, programs, "stores", iterations, guests, &result->store_ips, err);
}
