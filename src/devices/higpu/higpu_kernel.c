/* HiGPU's compute engine: a launch runs in windows of virtual time, one event each on the engine's own entity, so
 * that kernels on different GPUs interleave with each other and with the rest of the simulation; the command ends
 * when the launch's last warp does. The entity also carries the timeline's events (higpu_timeline.c), which, like
 * the windows, are not part of the digest. */
#include <inttypes.h>
#include <stdio.h>

#include "devices/higpu/higpu_internal.h"

/* Windows lie on one grid of virtual time shared by every GPU, multiples of the window: a window that starts at T
 * runs the cycles before T + window, and nothing from outside can reach the GPU sooner than the lookahead, which is
 * at least one window, so everything that arrives during those cycles is known at T. */
static vdc_time window_end(const struct higpu *gpu, vdc_time now)
{
    return (now / gpu->window_ps + 1) * gpu->window_ps;
}

void higpu_kernel_begin(struct higpu *gpu, struct gpu_run *run, const char *name, vdc_time ready)
{
    gpu->kernel = run;
    snprintf(gpu->kernel_name, sizeof gpu->kernel_name, "%s", name);
    gpu->kernel_start_ps = vdc_time_add(ready, gpu->params.gpu.launch_latency_ps);
}

/* Why a launch was stopped before its last warp ended. */
enum stop_reason { STOP_NONE, STOP_KERNEL_TIMEOUT, STOP_HANG_TIMEOUT };

static void kernel_over(struct higpu *gpu, enum stop_reason reason)
{
    struct gpu_launch_stats stats;
    struct gpu_fault fault;
    gpu_run_finish(gpu->kernel, &stats, &fault);
    gpu->kernel = NULL;
    if (gpu->port.fabric != NULL)
        hilink_port_windows_over(&gpu->port);
    gpu->message[0] = '\0';
    struct higpu_queue *q = &gpu->queues[gpu->kernel_queue];
    enum higpu_status status = higpu_kernel_status(gpu, &stats, &fault, &q->current);
    if (reason != STOP_NONE && status == HIGPU_STATUS_OK) {
        bool hang = reason == STOP_HANG_TIMEOUT;
        enum gpu_launch_end end = hang ? GPU_LAUNCH_HUNG : GPU_LAUNCH_TIMED_OUT;
        gpu_describe_stop(gpu->message, HIGPU_MAX_MESSAGE, gpu->kernel_name, end,
                          hang ? "gpu.hang_timeout" : "gpu.kernel_timeout",
                          hang ? gpu->params.hang_timeout : gpu->params.kernel_timeout, stats.cycles);
        status = HIGPU_STATUS_KERNEL_TIMEOUT;
    }
    higpu_conclude(gpu, q->started - 1, status, &q->current);
    vdc_time end = vdc_time_add(gpu->kernel_start_ps, gpu_cycles_to_ps(&gpu->params.gpu, stats.cycles));
    higpu_command_ends(gpu, gpu->kernel_queue, end > higpu_now(gpu) ? end : higpu_now(gpu));
}

uint64_t higpu_kernel_cycle_at(const struct higpu *gpu, vdc_time t)
{
    uint64_t first = gpu_run_first_cycle(gpu->kernel);
    return t > gpu->kernel_start_ps ? first + gpu_cycles_covering(&gpu->params.gpu, t - gpu->kernel_start_ps) : first;
}

vdc_time higpu_kernel_time_of(const struct higpu *gpu, uint64_t cycle)
{
    uint64_t first = gpu_run_first_cycle(gpu->kernel);
    return vdc_time_add(gpu->kernel_start_ps, gpu_cycles_to_ps(&gpu->params.gpu, cycle > first ? cycle - first : 0));
}

/* A window's instructions: what reached the GPU before the window's end goes into the launch, then the warps issue
 * to that end. Only the GPU's own state is touched (peer stores leave through its port, as events of the port's
 * entity), which is what lets the windows of every GPU at one time run on threads of their own (sim.h). */
static bool issue_window(struct higpu *gpu, vdc_time limit)
{
    if (gpu->port.fabric != NULL)
        hilink_port_take_handed(&gpu->port);
    higpu_timeline_feed_run(gpu, limit);
    bool over = gpu_run_advance(gpu->kernel, higpu_kernel_cycle_at(gpu, limit));
    if (gpu->port.fabric != NULL)
        hilink_port_poll_window(&gpu->port, limit); /* the fabric takes the window's packets, on this thread */
    return over;
}

void higpu_kernel_advance(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct higpu *gpu = self->model;
    (void)ev;
    if (gpu == NULL || gpu->kernel == NULL)
        return;
    gpu->window_over = issue_window(gpu, window_end(gpu, higpu_now(gpu)));
    gpu->window_advanced = true;
}

void higpu_kernel_window(struct higpu *gpu)
{
    vdc_time limit = window_end(gpu, higpu_now(gpu));
    bool over = gpu->window_advanced ? gpu->window_over : issue_window(gpu, limit);
    gpu->window_advanced = false;
    if (over) {
        kernel_over(gpu, STOP_NONE);
        return;
    }
    vdc_time progress = higpu_kernel_time_of(gpu, gpu_run_progress_cycle(gpu->kernel));
    enum stop_reason reason =
        limit > gpu->kernel_start_ps && limit - gpu->kernel_start_ps >= gpu->params.kernel_timeout ? STOP_KERNEL_TIMEOUT
        : limit > progress && limit - progress >= gpu->params.hang_timeout                           ? STOP_HANG_TIMEOUT
                                                                                                     : STOP_NONE;
    if (reason != STOP_NONE) {
        gpu_run_stop(gpu->kernel);
        kernel_over(gpu, reason);
        return;
    }
    vdc_schedule_at(gpu->engine, limit, VDC_PRIO_STEP, gpu->engine->id, HIGPU_EV_WINDOW, 0);
}

void higpu_kernel_on_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct higpu *gpu = self->model;
    if (gpu == NULL)
        return;
    if (ev->kind == HIGPU_EV_WINDOW && gpu->kernel != NULL)
        higpu_kernel_window(gpu);
    else if (ev->kind == HIGPU_EV_MEMORY_DUE)
        higpu_timeline_due(gpu, ev->time);
    else if (ev->kind == HIGPU_EV_PEER_CHECK)
        higpu_peer_copy_check(gpu, ev->arg);
}
