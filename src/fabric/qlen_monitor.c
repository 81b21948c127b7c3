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
    struct histogram *ports; /* every port of every node, switches' used */
    uint32_t *first_port;    /* index of each node's first port in `ports` */
};

static void count(struct histogram *h, uint64_t bytes)
{
    uint64_t kb = bytes / 1000;
    if (kb >= h->size) {
        uint32_t size = (uint32_t)kb + 1;
        h->count = vdc_xrealloc(h->count, size, sizeof *h->count);
        memset(h->count + h->size, 0, (size - h->size) * sizeof *h->count);
        h->size = size;
    }
    h->count[kb]++;
}

static void dump(struct fabric_qlen_monitor *m)
{
    struct fabric *f = m->fabric;
    fprintf(m->out, "time: %" PRIu64 "\n", f->sim->now / VDC_NS);
    for (uint32_t n = 0; n < f->node_count; n++) {
        if (!f->nodes[n].is_switch)
            continue;
        for (uint16_t p = 0; p < f->nodes[n].port_count; p++) {
            const struct histogram *h = &m->ports[m->first_port[n] + p];
            fprintf(m->out, "%" PRIu32 " %u", n, p + 1u);
            for (uint32_t k = 0; k < h->size; k++)
                fprintf(m->out, " %" PRIu32, h->count[k]);
            fputc('\n', m->out);
        }
    }
    fflush(m->out);
}

static void sample(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)ev;
    struct fabric_qlen_monitor *m = self->model;
    struct fabric *f = m->fabric;
    for (uint32_t n = 0; n < f->node_count; n++) {
        const struct fabric_node *node = &f->nodes[n];
        if (!node->is_switch)
            continue;
        for (uint16_t p = 0; p < node->port_count; p++)
            count(&m->ports[m->first_port[n] + p], node->ports[p].queued_bytes);
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
    m->first_port = vdc_xcalloc(f->node_count ? f->node_count : 1, sizeof *m->first_port);
    uint32_t ports = 0;
    for (uint32_t n = 0; n < f->node_count; n++) {
        m->first_port[n] = ports;
        ports += f->nodes[n].port_count;
    }
    m->ports = vdc_xcalloc(ports ? ports : 1, sizeof *m->ports);
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
    for (uint32_t n = 0, i = 0; n < f->node_count; n++) {
        for (uint16_t p = 0; p < f->nodes[n].port_count; p++, i++)
            free(m->ports[i].count);
    }
    free(m->ports);
    free(m->first_port);
    free(m->path);
    free(m);
    f->qlen_monitor = NULL;
    return ok;
}
