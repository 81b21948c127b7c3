/* The KVM-free HiNIC rig (hinic_rig.h): blades of plain memory on a rack, driven through the NIC's registers. */
#include "hinic_rig.h"

#include <stdlib.h>
#include <string.h>

#include "../../src/fabric/topologies.h"
#include "../suites.h"

#define WAIT_AT 0x2000ULL /* the WAIT block */

/* A blade's vCPU stand-in: it only notes when a WAIT ends (its next run). */
static void on_guest_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct vdc_guest *g = self->model;
    struct rig *r = g->config.attach_context;
    if (ev->kind == VDC_GUEST_EV_RUN && g->state == VDC_GUEST_RUNNABLE)
        r->woke_at[g->config.rank] = self->sim->now;
}

void rig_wait(struct rig *r, uint32_t b)
{
    struct vdc_guest *g = &r->guest[b];
    g->state = VDC_GUEST_WAITING;
    g->wait_block = WAIT_AT;
    g->wait_mask = r->nic[b]->params.cause_mask;
    g->causes = 0;
}

void rig_init(struct rig *r, uint32_t blades, const struct hinic_params *params)
{
    struct fabric_config cfg;
    fabric_config_defaults(&cfg);
    rig_init_rack(r, blades, params, 100000000000ULL, VDC_US, cfg.switch_latency);
}

void rig_init_rack(struct rig *r, uint32_t blades, const struct hinic_params *params, uint64_t rate, vdc_time delay,
                   vdc_time switch_latency)
{
    struct vdc_error err;
    memset(r, 0, sizeof *r);
    r->blades = blades;
    vdc_sim_init(&r->sim, 1);
    ck_assert_msg(fabric_topology_rack(&r->topo, blades, blades, rate, delay, &err), "%s", err.text);
    struct fabric_config cfg;
    fabric_config_defaults(&cfg);
    cfg.switch_latency = switch_latency;
    ck_assert_msg(fabric_build(&r->fabric, &r->sim, &r->topo, &cfg, &err), "%s", err.text);
    uint32_t gids[MAX_BLADES];
    for (uint32_t i = 0; i < blades; i++)
        gids[i] = fabric_host_ipv4(i);
    for (uint32_t i = 0; i < blades; i++) {
        struct vdc_guest *g = &r->guest[i];
        char name[16];
        snprintf(name, sizeof name, "blade%u", i);
        g->name = vdc_xstrdup(name);
        g->config.rank = i;
        g->config.attach_context = r;
        g->state = VDC_GUEST_RUNNABLE;
        ck_assert(vdc_guest_memory_map(&g->memory, RIG_MEMORY, &err));
        g->entity = vdc_entity_create(&r->sim, 0x10000 + i, name, on_guest_event, g, &err);
        ck_assert_ptr_nonnull(g->entity);
        struct hinic_params defaults;
        hinic_params_defaults(&defaults);
        r->log[i] = open_memstream(&r->log_text[i], &r->log_size[i]);
        ck_assert_ptr_nonnull(r->log[i]);
        r->nic[i] = hinic_create(g, &r->fabric, i, 0xC0001000ULL, params ? params : &defaults, gids, blades, r->log[i],
                                 &err);
        ck_assert_msg(r->nic[i] != NULL, "%s", err.text);
    }
}

void rig_free(struct rig *r)
{
    for (uint32_t i = 0; i < r->blades; i++) {
        hinic_free(r->nic[i]);
        fclose(r->log[i]);
        free(r->log_text[i]);
        vdc_guest_memory_unmap(&r->guest[i].memory);
        vdc_mmio_bus_free(&r->guest[i].bus);
        free(r->guest[i].name);
    }
    fabric_free(&r->fabric);
    fabric_topology_free(&r->topo);
    vdc_sim_free(&r->sim);
}

bool rig_reg_write(struct rig *r, uint32_t b, uint64_t offset, uint64_t value)
{
    struct vdc_mmio_access a = {.offset = offset, .size = 8, .is_write = true, .value = value};
    struct vdc_error err;
    return hinic_mmio(r->nic[b], &r->guest[b], &a, &err);
}

uint64_t rig_reg_read(struct rig *r, uint32_t b, uint64_t offset)
{
    struct vdc_mmio_access a = {.offset = offset, .size = 8};
    struct vdc_error err;
    ck_assert(hinic_mmio(r->nic[b], &r->guest[b], &a, &err));
    return a.value;
}

void *rig_mem(struct rig *r, uint32_t b, uint64_t at, uint64_t len)
{
    void *p = vdc_guest_ptr(&r->guest[b].memory, at, len);
    ck_assert_ptr_nonnull(p);
    return p;
}

uint32_t rig_command(struct rig *r, uint32_t b, struct hinic_command *c)
{
    memcpy(rig_mem(r, b, CMD_AT, sizeof *c), c, sizeof *c);
    rig_reg_write(r, b, HINIC_REG_COMMAND, CMD_AT);
    memcpy(c, rig_mem(r, b, CMD_AT, sizeof *c), sizeof *c);
    return c->status;
}

void rig_modify(struct rig *r, uint32_t b, uint32_t state, uint32_t peer, uint8_t retry, uint8_t timeout)
{
    struct hinic_command c = {.opcode = HINIC_CMD_MODIFY_QP, .handle = r->qpn[b], .handle2 = state,
                              .dest_gid = fabric_host_ipv4(peer), .dest_qpn = r->qpn[peer], .mtu = 5, .priority = 3,
                              .retry_count = retry, .timeout = timeout};
    ck_assert_uint_eq(rig_command(r, b, &c), HINIC_CMD_OK);
}

void rig_connect(struct rig *r, const uint32_t *peer_of, uint8_t retry, uint8_t timeout)
{
    for (uint32_t b = 0; b < r->blades; b++) {
        /* The region's addresses are its guest-physical ones, as in a guest (identity-mapped). */
        struct hinic_command c = {.opcode = HINIC_CMD_REG_MR, .addr = BUF_AT, .addr2 = BUF_AT, .length = BUF_SIZE,
                                  .access = 15};
        ck_assert_uint_eq(rig_command(r, b, &c), HINIC_CMD_OK);
        r->lkey[b] = c.handle;
        c = (struct hinic_command){.opcode = HINIC_CMD_CREATE_CQ, .addr = CQ_AT, .length = RING};
        ck_assert_uint_eq(rig_command(r, b, &c), HINIC_CMD_OK);
        r->cqn[b] = c.handle;
        c = (struct hinic_command){.opcode = HINIC_CMD_CREATE_QP, .access = r->cqn[b], .handle2 = r->cqn[b],
                                   .addr = SQ_AT, .addr2 = RQ_AT, .length = RING | (uint64_t)RING << 32};
        ck_assert_uint_eq(rig_command(r, b, &c), HINIC_CMD_OK);
        r->qpn[b] = c.handle;
    }
    for (uint32_t b = 0; b < r->blades; b++) {
        rig_modify(r, b, HINIC_QPS_INIT, peer_of[b], 0, 0);
        rig_modify(r, b, HINIC_QPS_RTR, peer_of[b], 0, 0);
        rig_modify(r, b, HINIC_QPS_RTS, peer_of[b], retry, timeout);
    }
}

void rig_post_send(struct rig *r, uint32_t b, const struct hinic_send_wqe *w)
{
    memcpy(rig_mem(r, b, SQ_AT + (r->sq_pi[b] % RING) * sizeof *w, sizeof *w), w, sizeof *w);
    r->sq_pi[b]++;
    rig_reg_write(r, b, HINIC_REG_SQ_DOORBELL, (uint64_t)r->qpn[b] << 32 | (r->sq_pi[b] & 0xFFFF));
}

void rig_post_recv(struct rig *r, uint32_t b, uint64_t wr_id, uint64_t addr, uint32_t length)
{
    struct hinic_recv_wqe w = {.wr_id = wr_id, .addr = addr, .length = length, .lkey = r->lkey[b]};
    memcpy(rig_mem(r, b, RQ_AT + (r->rq_pi[b] % RING) * sizeof w, sizeof w), &w, sizeof w);
    r->rq_pi[b]++;
    rig_reg_write(r, b, HINIC_REG_RQ_DOORBELL, (uint64_t)r->qpn[b] << 32 | (r->rq_pi[b] & 0xFFFF));
}

bool rig_poll(struct rig *r, uint32_t b, struct hinic_cqe *out)
{
    struct hinic_cqe *e = rig_mem(r, b, CQ_AT + (r->cq_ci[b] % RING) * sizeof *e, sizeof *e);
    if ((e->flags & HINIC_CQE_OWNER) != 1 - ((r->cq_ci[b] / RING) & 1))
        return false;
    *out = *e;
    r->cq_ci[b]++;
    rig_reg_write(r, b, HINIC_REG_CQ_DOORBELL, (uint64_t)r->cqn[b] << 32 | (r->cq_ci[b] & 0xFFFF));
    return true;
}

void rig_fill(struct rig *r, uint32_t b, uint64_t at, uint64_t len, uint32_t seed)
{
    uint8_t *p = rig_mem(r, b, at, len);
    for (uint64_t i = 0; i < len; i++)
        p[i] = (uint8_t)(vdc_mix64(seed * 0x100000000ULL + i) >> 7);
}

uint32_t rig_qp_state(struct rig *r, uint32_t b)
{
    struct hinic_command q = {.opcode = HINIC_CMD_QUERY_QP, .handle = r->qpn[b]};
    ck_assert_uint_eq(rig_command(r, b, &q), HINIC_CMD_OK);
    return q.handle2;
}

unsigned rig_log_lines(struct rig *r, uint32_t b)
{
    fflush(r->log[b]);
    unsigned n = 0;
    for (size_t i = 0; i < r->log_size[b]; i++)
        n += r->log_text[b][i] == '\n';
    return n;
}

const char *rig_log_line(struct rig *r, uint32_t b, unsigned n)
{
    fflush(r->log[b]);
    const char *line = r->log_text[b];
    for (unsigned i = 0; i < n && line != NULL; i++) {
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    if (line == NULL || *line == '\0')
        return NULL;
    /* "[   0.000001234] blade0: hinic: ...": the stamp is the virtual time, checked by its form only. */
    const char *text = strstr(line, "] ");
    const char *end = strchr(line, '\n');
    ck_assert_msg(line[0] == '[' && text != NULL && end != NULL && text < end, "log line without a stamp: %s", line);
    text += 2;
    snprintf(r->line, sizeof r->line, "%.*s", (int)(end - text), text);
    return r->line;
}
