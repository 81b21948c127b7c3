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

struct fabric_qlen_monitor {
    struct fabric *fabric;
    FILE *out;
    char *path;
    vdc_time end;
    /* Every switch port, in node then port order (the file's): sampled every 100 ns, so the loop reads only these
     * arrays and each port's queue length. Most samples find a queue under 1 KB; they are counted in `empty` and
     * folded into the histogram's first bucket when it is written, which keeps the histograms out of the loop. */
    uint32_t port_count;
    const struct fabric_port **ports;
    uint32_t *empty;
    struct histogram *histograms;
};

/* Adds `samples` samples that found `kb` KB queued. */
static void count(struct histogram *h, uint64_t kb, uint32_t samples)
{
    if (kb >= h->size) {
        uint32_t size = (uint32_t)kb + 1;
        h->count = vdc_xrealloc(h->count, size, sizeof *h->count);
        memset(h->count + h->size, 0, (size - h->size) * sizeof *h->count);
        h->size = size;
    }
    h->count[kb] += samples;
}

static void dump(struct fabric_qlen_monitor *m)
{
    struct fabric *f = m->fabric;
    fprintf(m->out, "time: %" PRIu64 "\n", f->sim->now / VDC_NS);
    for (uint32_t i = 0; i < m->port_count; i++) {
        struct histogram *h = &m->histograms[i];
        if (m->empty[i] > 0)
            count(h, 0, m->empty[i]);
        m->empty[i] = 0;
        fprintf(m->out, "%" PRIu32 " %u", m->ports[i]->node->number, m->ports[i]->index + 1u);
        for (uint32_t k = 0; k < h->size; k++)
            fprintf(m->out, " %" PRIu32, h->count[k]);
        fputc('\n', m->out);
    }
    fflush(m->out);
}

static void sample(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)ev;
    struct fabric_qlen_monitor *m = self->model;
    struct fabric *f = m->fabric;
    for (uint32_t i = 0; i < m->port_count; i++) {
        uint64_t bytes = m->ports[i]->queued_bytes;
        if (bytes < 1000)
            m->empty[i]++;
        else
            count(&m->histograms[i], bytes / 1000, 1);
    }
    if (f->sim->now % QLEN_DUMP_INTERVAL == 0)
        dump(m);
    if (f->sim->now < m->end)
        vdc_schedule_in(self, QLEN_SAMPLE_INTERVAL, VDC_PRIO_OBSERVE, self->id, 0, 0);
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
    m->end = end;
    for (uint32_t n = 0; n < f->node_count; n++)
        m->port_count += f->nodes[n].is_switch ? f->nodes[n].port_count : 0;
    m->ports = vdc_xcalloc(m->port_count, sizeof *m->ports);
    m->empty = vdc_xcalloc(m->port_count, sizeof *m->empty);
    m->histograms = vdc_xcalloc(m->port_count, sizeof *m->histograms);
    for (uint32_t n = 0, i = 0; n < f->node_count; n++) {
        for (uint16_t p = 0; f->nodes[n].is_switch && p < f->nodes[n].port_count; p++)
            m->ports[i++] = &f->nodes[n].ports[p];
    }
    f->qlen_monitor = m;
    struct vdc_entity *e = vdc_entity_create(f->sim, FABRIC_QLEN_MONITOR_ENTITY, "qlen-monitor", sample, m, err);
    if (!e)
        return false;
    vdc_schedule_at(e, start, VDC_PRIO_OBSERVE, e->id, 0, 0);
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
        free(m->histograms[i].count);
    free(m->histograms);
    free(m->empty);
    free(m->ports);
    free(m->path);
    free(m);
    f->qlen_monitor = NULL;
    return ok;
}
