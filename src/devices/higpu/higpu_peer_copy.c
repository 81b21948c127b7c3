/* HiGPU's copies between its memory and a peer's over HiLink (COPY_PEER): pushing, the port sends 256-byte writes as
 * the links take them and the peer's acknowledgement of the last ends the command; pulling, the copy engine keeps
 * up to HIGPU_PULL_WINDOW read requests of 256 bytes outstanding and each reply lands in its memory through the
 * timeline, the last ending the command. A watch gives a copy up after gpu.peer_timeout without progress. */
#include <inttypes.h>
#include <stdio.h>

#include "devices/higpu/higpu_internal.h"

/* The watch runs on the engine's entity with the windows, out of the digest: a watch that finds progress changes
 * nothing, and one that gives up ends the command, which is folded. */
static void watch(struct higpu *gpu, vdc_time at)
{
    vdc_schedule_at(gpu->engine, at, VDC_PRIO_STEP, gpu->engine->id, HIGPU_EV_PEER_CHECK, gpu->peer_copy_serial);
}

static void copy_starts(struct higpu *gpu, uint32_t queue, bool pulls, vdc_time ready)
{
    gpu->peer_copy_running = true;
    gpu->peer_copy_pulls = pulls;
    gpu->peer_copy_queue = queue;
    gpu->peer_copy_started = gpu->peer_copy_progress = ready;
    gpu->peer_copy_serial = (gpu->peer_copy_serial + 1) & ~HIGPU_PULL_TAG;
    watch(gpu, vdc_time_add(ready, gpu->params.peer_timeout));
}

static void copy_ends(struct higpu *gpu, vdc_time end)
{
    gpu->peer_copy_running = false;
    gpu->stats.copy_ps += end - gpu->queues[gpu->peer_copy_queue].current.start_ps;
    higpu_command_ends(gpu, gpu->peer_copy_queue, end);
}

void higpu_peer_copy_begin(struct higpu *gpu, uint32_t queue, uint32_t place, const struct higpu_command *c,
                           vdc_time ready)
{
    copy_starts(gpu, queue, false, ready);
    hilink_port_copy(&gpu->port, place, c->copy.src, c->copy.dst, c->copy.length, gpu->peer_copy_serial, ready);
}

void higpu_peer_copy_done(void *ctx, uint64_t tag, vdc_time arrive)
{
    struct higpu *gpu = ctx;
    if (gpu->peer_copy_running && !gpu->peer_copy_pulls && tag == gpu->peer_copy_serial)
        copy_ends(gpu, arrive);
}

/* ---- pulling ---- */

/* The next read request, leaving at `ready`. */
static void pull_request(struct higpu *gpu, vdc_time ready)
{
    uint64_t left = gpu->pull.length - gpu->pull.requested;
    uint32_t bytes = left < HILINK_MAX_PAYLOAD ? (uint32_t)left : HILINK_MAX_PAYLOAD;
    hilink_port_send(&gpu->port, gpu->pull.place, HILINK_PORT_READ, gpu->pull.src + gpu->pull.requested, bytes, NULL,
                     0, HIGPU_PULL_TAG | gpu->peer_copy_serial, ready);
    gpu->pull.requested += bytes;
}

void higpu_peer_pull_begin(struct higpu *gpu, uint32_t queue, uint32_t place, const struct higpu_command *c,
                           vdc_time ready)
{
    copy_starts(gpu, queue, true, ready);
    gpu->pull.place = place;
    gpu->pull.src = c->copy.src;
    gpu->pull.dst = c->copy.dst;
    gpu->pull.length = c->copy.length;
    gpu->pull.requested = gpu->pull.landed = 0;
    for (uint32_t i = 0; i < HIGPU_PULL_WINDOW && gpu->pull.requested < gpu->pull.length; i++)
        pull_request(gpu, ready);
}

/* A reply lands at `arrive` (told a link latency earlier): its bytes go to memory then, through the timeline, as a
 * peer's write would; the next request leaves then; the last reply ends the command. */
void higpu_peer_pull_reply(struct higpu *gpu, uint32_t slot, vdc_time arrive)
{
    struct hilink_packet p = *hilink_port_packet(&gpu->port, slot);
    hilink_port_release_slot(&gpu->port, slot);
    if (!gpu->peer_copy_running || !gpu->peer_copy_pulls || p.tag != (HIGPU_PULL_TAG | gpu->peer_copy_serial))
        return; /* of a copy given up */
    p.kind = HILINK_PORT_WRITE;
    p.address = gpu->pull.dst + (p.address - gpu->pull.src);
    higpu_timeline_add_packet(gpu, &p, arrive);
    gpu->pull.landed += p.bytes;
    gpu->peer_copy_progress = arrive;
    if (gpu->pull.requested < gpu->pull.length)
        pull_request(gpu, arrive);
    else if (gpu->pull.landed == gpu->pull.length)
        copy_ends(gpu, arrive);
}

/* ---- the watch ---- */

/* No packet has left (a push) or landed (a pull) and no acknowledgement come for gpu.peer_timeout (its port or the
 * peer's is down, or the fabric holds its packets): the copy is given up with an error completion; what it sent
 * stays on its way and lands if the links come back. Otherwise the watch looks again a timeout after the latest
 * progress. */
void higpu_peer_copy_check(struct higpu *gpu, uint64_t serial)
{
    if (!gpu->peer_copy_running || serial != gpu->peer_copy_serial)
        return;
    vdc_time last = gpu->peer_copy_progress;
    if (!gpu->peer_copy_pulls && gpu->port.copy.last_sent > last)
        last = gpu->port.copy.last_sent;
    vdc_time deadline = vdc_time_add(last, gpu->params.peer_timeout);
    if (deadline > higpu_now(gpu)) {
        watch(gpu, deadline);
        return;
    }
    gpu->peer_copy_running = false;
    struct higpu_queue *q = &gpu->queues[gpu->peer_copy_queue];
    char limit[32];
    vdc_time_format(limit, sizeof limit, gpu->params.peer_timeout);
    if (gpu->peer_copy_pulls) {
        snprintf(gpu->message, HIGPU_MAX_MESSAGE, "copy from GPU %u made no progress for gpu.peer_timeout (%s): its "
                 "replies did not come (is a HiLink port down?); %" PRIu64 " of %" PRIu64 " bytes landed",
                 gpu->pull.place, limit, gpu->pull.landed, gpu->pull.length);
    } else {
        hilink_port_cancel_copy(&gpu->port);
        snprintf(gpu->message, HIGPU_MAX_MESSAGE, "copy to GPU %u made no progress for gpu.peer_timeout (%s): %s; %"
                 PRIu64 " bytes were not sent", gpu->port.copy.dst_place, limit,
                 gpu->port.copy.left > 0 ? "its packets cannot leave (is a HiLink port down?)"
                                         : "the peer's acknowledgement did not come (is a HiLink port down?)",
                 gpu->port.copy.left);
    }
    higpu_conclude(gpu, q->started - 1, HIGPU_STATUS_PEER_TIMEOUT, &q->current);
    higpu_command_ends(gpu, gpu->peer_copy_queue, higpu_now(gpu));
}
