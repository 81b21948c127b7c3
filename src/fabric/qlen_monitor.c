/* The queue-length monitor entity: samples at OBSERVE priority, after everything else at that instant. */
#include "fabric/qlen_monitor.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/fabric.h"

#define QLEN_SAMPLE_INTERVAL (100 * VDC_NS)
#define QLEN_DUMP_INTERVAL (100 * VDC_MS)

struct histogram {
    uint32_t *count; /* count[k]: samples that found k KB queued */
    uint32_t size;
};

/* A port's account: the samples are counted when its queue changes, those from its last change (the first of them
 * at the port's qlen_next_sample) to this one. On a line of its own: the port's partition writes it
 * (fabric/partition.h). */
struct port_account {
    struct histogram histogram;
} __attribute__((aligned(64)));

/* HPCC ns-3 samples every switch port each 100 ns. A sample sees the queue as the last change at or before its
 * instant left it, so the samples a queue length gets are those that fall from one change to the next: counted when
 * the next change comes (fabric_qlen_note) and, for the length still held, when the counts are written. The same
 * counts as sampling, without an event per sample. */
struct fabric_qlen_monitor {
    struct fabric *fabric;
    FILE *out;
    char *path;
    vdc_time start, last_sample; /* samples at start + k x 100 ns up to the first at or after the end */
    uint32_t port_count;         /* every switch port, in node then port order (the file's) */
    struct fabric_port **ports;
    uint32_t *first_account;     /* per node: its first port's account (switches) */
    struct port_account *accounts;
};

/* Adds `samples` samples that found `kb` KB queued. */
static void count(struct histogram *h, uint64_t kb, uint64_t samples)
{
    if (kb >= h->size) {
        uint32_t size = (uint32_t)kb + 1;
        h->count = vdc_xrealloc(h->count, size, sizeof *h->count);
        memset(h->count + h->size, 0, (size - h->size) * sizeof *h->count);
        h->size = size;
    }
    h->count[kb] += (uint32_t)samples;
}

/* Counts the samples before `until` that found `bytes` queued: those from the port's next one on. Samples that
 * found under 1 KB, the most common, are not counted one by one: the first bucket is what the port's other buckets
 * leave of all its samples when the counts are written, so that passing them touches only the port's own line. Past
 * the last sample, the port's next is VDC_TIME_MAX, so that its changes no longer call here. */
static void settle(const struct fabric_qlen_monitor *m, struct fabric_port *port, uint64_t bytes, vdc_time until)
{
    vdc_time next = port->qlen_next_sample;
    if (until <= next)
        return;
    vdc_time last = until - 1 < m->last_sample ? until - 1 : m->last_sample;
    uint64_t gap = last - next, samples = gap < QLEN_SAMPLE_INTERVAL ? 1 : gap / QLEN_SAMPLE_INTERVAL + 1;
    if (bytes >= 1000)
        count(&m->accounts[m->first_account[port->node->number] + port->index].histogram, bytes / 1000, samples);
    next += samples * QLEN_SAMPLE_INTERVAL;
    port->qlen_next_sample = next > m->last_sample ? VDC_TIME_MAX : next;
}

void fabric_qlen_note(struct fabric_qlen_monitor *m, struct fabric_port *port, uint64_t before)
{
    settle(m, port, before, fabric_now(port->node));
}

/* Samples from the first to the one at `now` (inclusive). */
static uint64_t samples_until(const struct fabric_qlen_monitor *m, vdc_time now)
{
    if (now < m->start)
        return 0;
    vdc_time last = now < m->last_sample ? now : m->last_sample;
    return (last - m->start) / QLEN_SAMPLE_INTERVAL + 1;
}

static void dump(struct fabric_qlen_monitor *m, vdc_time now)
{
    fprintf(m->out, "time: %" PRIu64 "\n", now / VDC_NS);
    for (uint32_t i = 0; i < m->port_count; i++) {
        struct histogram *h = &m->accounts[i].histogram;
        settle(m, m->ports[i], m->ports[i]->queued_bytes, now + 1); /* the sample at this instant too */
        uint64_t counted = 0;
        for (uint32_t k = 1; k < h->size; k++)
            counted += h->count[k];
        uint64_t under_1kb = samples_until(m, now) - counted;
        if (under_1kb > 0 || h->size > 0) {
            count(h, 0, 0);
            h->count[0] = (uint32_t)under_1kb;
        }
        fprintf(m->out, "%" PRIu32 " %u", m->ports[i]->node->number, m->ports[i]->index + 1u);
        for (uint32_t k = 0; k < h->size; k++)
            fprintf(m->out, " %" PRIu32, h->count[k]);
        fputc('\n', m->out);
    }
    fflush(m->out);
}

/* The next instant the monitor has work at after `now`: a sample that falls on a multiple of 100 ms (the counts are
 * written), or the last sample (kept as an event, so that a run ends when it would with a sample every 100 ns). */
static vdc_time next_stop(const struct fabric_qlen_monitor *m, vdc_time now)
{
    vdc_time next = m->last_sample;
    if ((m->start % QLEN_SAMPLE_INTERVAL) == 0) { /* else no sample falls on a multiple of 100 ms */
        vdc_time dump_at = (now / QLEN_DUMP_INTERVAL + 1) * QLEN_DUMP_INTERVAL;
        if (now < m->start)
            dump_at = (m->start + QLEN_DUMP_INTERVAL - 1) / QLEN_DUMP_INTERVAL * QLEN_DUMP_INTERVAL;
        next = dump_at < next ? dump_at : next;
    }
    return next;
}

static void stop(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)ev;
    struct fabric_qlen_monitor *m = self->model;
    vdc_time now = self->sim->now;
    if (now >= m->start && (now - m->start) % QLEN_SAMPLE_INTERVAL == 0 && now % QLEN_DUMP_INTERVAL == 0)
        dump(m, now);
    if (now < m->last_sample)
        vdc_schedule_at(self, next_stop(m, now), VDC_PRIO_OBSERVE, self->id, 0, 0);
}

bool fabric_qlen_monitor_start(struct fabric *f, const char *path, vdc_time start, vdc_time end,
                               struct vdc_error *err)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return vdc_fail(err, "%s: cannot write (%s); choose a writable path for output.qlen_file", path,
                        strerror(errno));
    struct fabric_qlen_monitor *m = vdc_xcalloc(1, sizeof *m);
    m->fabric = f;
    m->out = out;
    m->path = vdc_xstrdup(path);
    m->start = start;
    m->last_sample = start;
    if (end > start) {
        uint64_t steps = (end - start + QLEN_SAMPLE_INTERVAL - 1) / QLEN_SAMPLE_INTERVAL;
        m->last_sample = steps > (VDC_TIME_MAX - start) / QLEN_SAMPLE_INTERVAL
                             ? VDC_TIME_MAX - (VDC_TIME_MAX - start) % QLEN_SAMPLE_INTERVAL
                             : start + steps * QLEN_SAMPLE_INTERVAL;
    }
    m->first_account = vdc_xcalloc(f->node_count, sizeof *m->first_account);
    for (uint32_t n = 0; n < f->node_count; n++) {
        m->first_account[n] = m->port_count;
        m->port_count += f->nodes[n].is_switch ? f->nodes[n].port_count : 0;
    }
    m->ports = vdc_xcalloc(m->port_count, sizeof *m->ports);
    m->accounts = vdc_xcalloc_lines(m->port_count, sizeof *m->accounts);

    for (uint32_t n = 0, i = 0; n < f->node_count; n++) {
        for (uint16_t p = 0; f->nodes[n].is_switch && p < f->nodes[n].port_count; p++)
            m->ports[i++] = &f->nodes[n].ports[p];
    }
    for (uint32_t i = 0; i < m->port_count; i++)
        m->ports[i]->qlen_next_sample = start;
    f->qlen_monitor = m;
    struct vdc_entity *e = vdc_entity_create(f->sim, FABRIC_QLEN_MONITOR_ENTITY, "qlen-monitor", stop, m, err);
    if (!e)
        return false;
    vdc_schedule_at(e, start % QLEN_DUMP_INTERVAL == 0 ? start : next_stop(m, start), VDC_PRIO_OBSERVE, e->id, 0, 0);
    return true;
}

bool fabric_qlen_monitor_close(struct fabric *f, struct vdc_error *err)
{
    struct fabric_qlen_monitor *m = f->qlen_monitor;
    if (!m)
        return true;
    bool ok = !ferror(m->out);
    if (fclose(m->out) != 0 || !ok)
        ok = vdc_fail(err, "%s: write failed (%s); check the disk", m->path, strerror(errno));
    for (uint32_t i = 0; i < m->port_count; i++)
        free(m->accounts[i].histogram.count);
    free(m->accounts);
    free(m->first_account);
    free(m->ports);
    free(m->path);
    free(m);
    f->qlen_monitor = NULL;
    return ok;
}
