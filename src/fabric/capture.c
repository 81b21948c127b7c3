/* Capture of chosen links: each captured link has a pcap writer that both of its ends write into. */
#include "fabric/capture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/pcap.h"
#include "fabric/fabric.h"
#include "fabric/wire.h"

struct fabric_capture {
    struct pcap_writer **by_link; /* NULL where the link is not captured */
    uint32_t links;
    bool failed;
    struct vdc_error first_error;
};

static bool open_link(struct fabric *f, struct fabric_capture *c, uint32_t link, const char *dir,
                      struct vdc_error *err)
{
    if (c->by_link[link])
        return true;
    char a[64], b[64], path[4300];
    const struct fabric_link_spec *l = &f->topo->links[link];
    snprintf(path, sizeof path, "%s/%s-%s.pcap", dir, fabric_node_name(f->topo, l->a, a, sizeof a),
             fabric_node_name(f->topo, l->b, b, sizeof b));
    c->by_link[link] = vdc_pcap_writer_open(path, 65535, err);
    return c->by_link[link] != NULL;
}

static bool open_named(struct fabric *f, struct fabric_capture *c, const char *dir, const char *item, size_t len,
                       struct vdc_error *err)
{
    uint32_t link;
    if (!fabric_topology_find_link(f->topo, item, len, &link, err))
        return vdc_fail_prefix(err, "--pcap '%.*s'", (int)len, item);
    return open_link(f, c, link, dir, err);
}

bool fabric_capture_open(struct fabric *f, const char *dir, const char *links, struct vdc_error *err)
{
    if (f->cfg.model == FABRIC_MODEL_HPCC_NS3)
        return vdc_fail(err, "--pcap: the hpcc-ns3 model's frames carry HPCC ns-3's own headers, which are not "
                             "Ethernet a pcap reader can decode; capture with transport.model: roce");
    struct fabric_capture *c = vdc_xcalloc(1, sizeof *c);
    c->links = f->topo->link_count;
    c->by_link = vdc_xcalloc(c->links ? c->links : 1, sizeof *c->by_link);
    f->capture = c;
    bool ok = true;
    if (strcmp(links, "hosts") == 0) {
        for (uint32_t i = 0; i < c->links && ok; i++) {
            const struct fabric_link_spec *l = &f->topo->links[i];
            if (!f->topo->is_switch[l->a] || !f->topo->is_switch[l->b])
                ok = open_link(f, c, i, dir, err);
        }
    } else {
        for (const char *item = links; ok && *item;) {
            size_t len = strcspn(item, ",");
            ok = open_named(f, c, dir, item, len, err);
            item += len + (item[len] == ',');
        }
    }
    return ok;
}

void fabric_capture_frame(struct fabric *f, const struct fabric_port *port, const struct fabric_packet *p,
                          vdc_time now)
{
    struct fabric_capture *c = f->capture;
    struct pcap_writer *w = c->by_link[port->link];
    if (!w || c->failed)
        return;
    uint8_t frame[FABRIC_WIRE_MAX_PAYLOAD + 128];
    /* A NIC's packets carry their payload bytes; flow traffic has none and shows zeros. */
    size_t len = fabric_wire_encode(p, p->rdma ? fabric_rdma_payload(p->rdma) : NULL, frame, sizeof frame);
    /* A write error is kept and reported once at the end; the simulation itself is not affected. */
    if (len == 0 ||
        !vdc_pcap_writer_add(w, now, frame, (uint32_t)len, (uint32_t)len, &c->first_error))
        c->failed = len != 0;
}

bool fabric_capture_close(struct fabric *f, struct vdc_error *err)
{
    struct fabric_capture *c = f->capture;
    if (!c)
        return true;
    bool ok = !c->failed;
    if (!ok)
        *err = c->first_error;
    for (uint32_t i = 0; i < c->links; i++) {
        struct vdc_error close_err;
        if (c->by_link[i] && !vdc_pcap_writer_close(c->by_link[i], &close_err) && ok) {
            ok = false;
            *err = close_err;
        }
    }
    free(c->by_link);
    free(c);
    f->capture = NULL;
    return ok;
}
