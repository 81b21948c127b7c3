/* The sampler entity: at OBSERVE priority, after everything else at that instant, one row per port. */
#include "fabric/sampler.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/fabric.h"


struct fabric_sampler {
    struct fabric *fabric;
    FILE *out;
    char *path;
    vdc_time interval;
};

static void sample(struct vdc_entity *self, const struct vdc_event *ev)
{
    (void)ev;
    struct fabric_sampler *s = self->model;
    struct fabric *f = s->fabric;
    char name[64], peer[64];
    for (uint32_t n = 0; n < f->node_count; n++) {
        struct fabric_node *node = &f->nodes[n];
        for (uint16_t p = 0; p < node->port_count; p++) {
            struct fabric_port *port = &node->ports[p];
            uint64_t sent = port->count.tx_bytes - port->sampled_tx_bytes;
            port->sampled_tx_bytes = port->count.tx_bytes;
            /* Idle ports are left out: a big fabric's series stay proportional to its activity. */
            if (sent == 0 && port->queued_bytes == 0)
                continue;
            /* Frame bytes plus preamble and gap would exceed 1 at line rate; utilization counts frame bits. */
            double utilization = (double)sent * 8.0 / ((double)port->rate * ((double)s->interval / (double)VDC_SEC));
            fprintf(s->out, "%" PRIu64 ",%s,%u,%s,%" PRIu64 ",%.4f\n", f->sim->now / VDC_NS,
                    fabric_node_name(f->topo, n, name, sizeof name), p + 1u,
                    fabric_node_name(f->topo, port->peer_node, peer, sizeof peer), port->queued_bytes, utilization);
        }
    }
    /* Stop with the model: when nothing but the sampler is pending, the run would otherwise never end. */
    if (f->sim->queue.size > 0)
        vdc_schedule_in(self, s->interval, VDC_PRIO_OBSERVE, self->id, 0, 0);
}

bool fabric_sampler_start(struct fabric *f, const char *path, vdc_time interval, struct vdc_error *err)
{
    FILE *out = fopen(path, "w");
    if (!out)
        return vdc_fail(err, "%s: cannot write (%s); choose a writable --out folder", path, strerror(errno));
    struct fabric_sampler *s = vdc_xcalloc(1, sizeof *s);
    *s = (struct fabric_sampler){.fabric = f, .out = out, .path = vdc_xstrdup(path), .interval = interval};
    struct vdc_entity *e = vdc_entity_create(f->sim, FABRIC_SAMPLER_ENTITY, "sampler", sample, s, err);
    if (!e) {
        fclose(out);
        free(s->path);
        free(s);
        return false;
    }
    f->sampler = s;
    fprintf(out, "time_ns,node,port,peer,queue_bytes,utilization\n");
    vdc_schedule_at(e, f->sim->now + interval, VDC_PRIO_OBSERVE, e->id, 0, 0);
    return true;
}

bool fabric_sampler_close(struct fabric *f, struct vdc_error *err)
{
    struct fabric_sampler *s = f->sampler;
    if (!s)
        return true;
    bool ok = !ferror(s->out);
    if (fclose(s->out) != 0 || !ok)
        ok = vdc_fail(err, "%s: write failed (%s); check the disk", s->path, strerror(errno));
    free(s->path);
    free(s);
    f->sampler = NULL;
    return ok;
}
