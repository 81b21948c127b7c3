/* The bare loop answers the same MMIO reads with no scheduler, bus or device in between, so the ratio of the
 * two rates is the VMM's own cost per exit beside KVM's. */
#include "kvm_bench.h"

#include <stdio.h>
#include <string.h>

#include "../common/wall_clock.h"
#include "../kvm/simctl_regs.h"
#include "../kvm/guest.h"
#include "../kvm/guest_layout.h"

static bool make_guest(struct vdc_guest *g, struct vdc_sim *sim, const uint8_t *program, size_t size,
                       const char *args, struct vdc_error *err)
{
    struct vdc_guest_config config = {
        .name = "bench", .memory_size = 16ULL << 20, .exit_cost = VDC_US, .runaway_seconds = 60, .bootargs = args};
    return vdc_guest_create(g, sim, 1, &config, program, size, err);
}

/* Runs the guest without the scheduler: reads of simctl return fixed values, EXIT ends the loop. */
static bool bare_loop(struct vdc_guest *g, uint64_t *exits, struct vdc_error *err)
{
    uint64_t count = 0, fake_clock = 0;
    struct vdc_vcpu_exit x;
    for (;;) {
        vdc_vcpu_run(&g->vcpu, &x);
        if (x.kind == VDC_VCPU_EXIT_AGAIN)
            continue;
        count++;
        if (x.kind != VDC_VCPU_EXIT_MMIO)
            return vdc_fail(err, "bare loop: unexpected exit (%s)", x.message);
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
    *exits = count;
    return true;
}

bool kvm_bench_round(const uint8_t *program, size_t size, uint64_t exits, struct kvm_bench_result *result,
                     struct vdc_error *err)
{
    char args[32];
    snprintf(args, sizeof args, "%llu", (unsigned long long)exits);
    struct vdc_sim sim;
    struct vdc_guest g;
    bool ok = false;

    /* Through vdc: start-up to the first exit, then the rest of the run. */
    vdc_sim_init(&sim, 1);
    double t0 = vdc_wall_seconds();
    if (!make_guest(&g, &sim, program, size, args, err))
        goto done;
    vdc_sim_run(&sim, 0); /* time 0: the first RUN event, which returns at the guest's first exit */
    double t1 = vdc_wall_seconds();
    uint64_t first_exits = g.exits;
    vdc_sim_run(&sim, VDC_TIME_MAX);
    double t2 = vdc_wall_seconds();
    if (g.state != VDC_GUEST_EXITED) {
        vdc_fail(err, "bench guest did not exit cleanly: %s", g.report);
        goto done;
    }
    result->startup_seconds = t1 - t0;
    result->vdc_exits_per_sec = (double)(g.exits - first_exits) / (t2 - t1);
    vdc_guest_destroy(&g);
    vdc_sim_free(&sim);

    /* Bare: the same guest, set up the same way, driven by a plain loop. */
    vdc_sim_init(&sim, 1);
    if (!make_guest(&g, &sim, program, size, args, err))
        goto done;
    uint64_t bare_exits = 0;
    double t3 = vdc_wall_seconds();
    if (!bare_loop(&g, &bare_exits, err))
        goto done;
    result->bare_exits_per_sec = (double)bare_exits / (vdc_wall_seconds() - t3);
    ok = true;
done:
    vdc_guest_destroy(&g);
    vdc_sim_free(&sim);
    return ok;
}
