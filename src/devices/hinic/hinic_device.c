/* HiNIC's registers and doorbells, its events on the host's entity, and the port-facing endpoint. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fabric/fabric.h"
#include "fabric/host.h"
#include "kvm/guest.h"
#include "devices/device_log.h"
#include "devices/pcie.h"
#include "devices/plug.h"
#include "devices/hinic/hinic_internal.h"

_Static_assert(sizeof(struct hinic_command) == 64, "command block layout");
_Static_assert(sizeof(struct hinic_send_wqe) == 64, "send WQE layout");
_Static_assert(sizeof(struct hinic_recv_wqe) == 32, "receive WQE layout");
_Static_assert(sizeof(struct hinic_cqe) == 32, "CQE layout");


void hinic_params_defaults(struct hinic_params *p)
{
    *p = (struct hinic_params){
        .pcie_generation = 5,
        .pcie_lanes = 16,
        .pcie_latency = 250 * VDC_NS,
        .processing = 100 * VDC_NS,
        .rnr_delay = 10 * VDC_US,
        .mtu = 4096,
        .priority = 3,
        .root_complex_p2p_rate = UINT64_C(50000000000), /* 50 Gbit/s */
        .ack_request_interval = 64, /* Linux's software RoCE (rxe): RXE_MAX_PKT_PER_ACK */
        .cause_mask = UINT64_C(1) << vdc_device_named("hinic")->cause_bit,
    };
}

uint64_t hinic_pcie_bandwidth(const struct hinic_params *p)
{
    return vdc_pcie_bandwidth(p->pcie_generation, p->pcie_lanes);
}

vdc_time hinic_pcie_transfer(const struct hinic *nic, uint64_t bytes)
{
    return vdc_pcie_transfer(nic->pcie_bandwidth, bytes);
}

vdc_time hinic_dma_read_time(const struct hinic *nic, uint64_t addr, uint64_t bytes)
{
    /* The window alone: the read itself has checked the range (per packet, so not again here). */
    const struct vdc_peer_memory *peer = vdc_guest_peer_window(nic->guest, addr, bytes);
    if (peer == NULL || (peer->behind_switch && nic->params.pcie_switch_port >= 0))
        return hinic_pcie_transfer(nic, bytes);
    uint64_t rate = nic->params.root_complex_p2p_rate < nic->pcie_bandwidth ? nic->params.root_complex_p2p_rate
                                                                            : nic->pcie_bandwidth;
    return vdc_pcie_transfer(rate, bytes);
}

vdc_time hinic_now(const struct hinic *nic)
{
    return nic->entity->sim->now;
}

void hinic_schedule(struct hinic *nic, struct vdc_entity *source, vdc_time at, enum hinic_event kind, uint32_t index,
                    uint32_t epoch)
{
    fabric_endpoint_schedule(&nic->at, source, at,
                             vdc_arg_put(kind, 0, 8) | vdc_arg_put(index, 8, 16) | vdc_arg_put(epoch, 24, 32));
}

void hinic_log(struct hinic *nic, enum hinic_error code, const char *fmt, ...)
{
    nic->stats.errors++;
    nic->last_error = code;
    va_list ap;
    va_start(ap, fmt);
    vdc_device_log(nic->log, nic->stats.errors, hinic_now(nic), nic->guest->name, "hinic", fmt, ap);
    va_end(ap);
}

void hinic_kick(struct hinic *nic)
{
    fabric_endpoint_kick(&nic->at);
}

/* A doorbell names a QP by number; the guest may write anything. */
static struct hinic_qp *doorbell_qp(struct hinic *nic, uint64_t value, const char *which)
{
    uint32_t qpn = (uint32_t)(value >> 32);
    struct hinic_qp *qp = hinic_qp_by_number(nic, qpn);
    bool destroyed = qpn >= HINIC_QPN_BASE && qpn - HINIC_QPN_BASE < nic->qp_count;
    if (qp == NULL)
        hinic_log(nic, HINIC_ERR_BAD_QPN, "%s doorbell for QP 0x%x, which %s", which, qpn,
                  destroyed ? "was destroyed" : "does not exist");
    return qp;
}

static void cq_doorbell(struct hinic *nic, uint64_t value)
{
    uint32_t cqn = (uint32_t)(value >> 32);
    uint32_t consumer = (uint32_t)value & 0xFFFF;
    if (cqn >= HINIC_MAX_CQS || !nic->cqs[cqn].valid) {
        hinic_log(nic, HINIC_ERR_BAD_CQN, "CQ doorbell for CQ %u, which does not exist", cqn);
        return;
    }
    struct hinic_cq *cq = &nic->cqs[cqn];
    /* The 16-bit index is taken relative to the producer: it may not pass it. */
    uint32_t behind = (uint16_t)((uint16_t)cq->producer - (uint16_t)consumer);
    if (behind > cq->entries || behind > cq->producer - cq->consumer) {
        hinic_log(nic, HINIC_ERR_RING_OVERRUN, "CQ %u doorbell: consumer index %u is not between the last one and "
                                               "the producer (%u)", cqn, consumer, cq->producer & 0xFFFF);
        return;
    }
    cq->consumer = cq->producer - behind;
}

bool hinic_mmio(void *device, struct vdc_guest *guest, struct vdc_mmio_access *a, struct vdc_error *err)
{
    struct hinic *nic = device;
    if (a->size != 8 || a->offset % 8 != 0) {
        hinic_log(nic, HINIC_ERR_BAD_REGISTER, "%u-byte access at offset 0x%" PRIx64 "; registers are 8 bytes",
                  a->size, a->offset);
        return vdc_fail(err, "%u-byte access at offset 0x%" PRIx64 "; registers are 8 bytes, 8-aligned", a->size,
                        a->offset);
    }
    if (!a->is_write) {
        switch (a->offset) {
        case HINIC_REG_ID: a->value = HINIC_MAGIC; return true;
        case HINIC_REG_CAPS:
            a->value = HINIC_MAX_QPS | (uint64_t)HINIC_MAX_CQS << 16 | (uint64_t)HINIC_MAX_MRS << 32 |
                       (uint64_t)(31 - __builtin_clz(nic->params.mtu)) << 48;
            return true;
        case HINIC_REG_GID: a->value = fabric_host_ipv4(nic->node); return true;
        case HINIC_REG_CAUSE: a->value = nic->params.cause_mask; return true;
        case HINIC_REG_ERRORS: a->value = nic->stats.errors; return true;
        case HINIC_REG_LAST_ERROR: a->value = nic->last_error; return true;
        default:
            hinic_log(nic, HINIC_ERR_BAD_REGISTER, "read of offset 0x%" PRIx64 ", not a readable register",
                      a->offset);
            return vdc_fail(err, "read of offset 0x%" PRIx64 ", which is not a readable register", a->offset);
        }
    }
    /* A doorbell is a posted write: the NIC sees it one PCIe crossing later. */
    vdc_time seen = vdc_time_add(hinic_now(nic), nic->params.pcie_latency);
    struct hinic_qp *qp;
    switch (a->offset) {
    case HINIC_REG_COMMAND: hinic_command(nic, a->value); return true;
    case HINIC_REG_SQ_DOORBELL:
        if ((qp = doorbell_qp(nic, a->value, "send")) != NULL)
            hinic_schedule(nic, guest->entity, seen, HINIC_EV_SQ_DOORBELL, qp->index, (uint32_t)a->value & 0xFFFF);
        return true;
    case HINIC_REG_RQ_DOORBELL:
        if ((qp = doorbell_qp(nic, a->value, "receive")) != NULL)
            hinic_schedule(nic, guest->entity, seen, HINIC_EV_RQ_DOORBELL, qp->index, (uint32_t)a->value & 0xFFFF);
        return true;
    case HINIC_REG_CQ_DOORBELL: cq_doorbell(nic, a->value); return true;
    default:
        hinic_log(nic, HINIC_ERR_BAD_REGISTER, "write to offset 0x%" PRIx64 ", not a writable register", a->offset);
        return vdc_fail(err, "write to offset 0x%" PRIx64 ", which is not a writable register", a->offset);
    }
}

static void rq_doorbell(struct hinic *nic, struct hinic_qp *qp, uint32_t producer)
{
    uint32_t ahead = (uint16_t)(producer - (uint16_t)qp->rq_posted);
    if (qp->state == HINIC_QPS_RESET) {
        hinic_log(nic, HINIC_ERR_BAD_STATE, "receive doorbell for QP 0x%x in the RESET state", qp->qpn);
        return;
    }
    if (qp->rq_posted + ahead - qp->rq_used > qp->rq_entries) {
        hinic_log(nic, HINIC_ERR_RING_OVERRUN, "QP 0x%x receive doorbell: index %u puts %u receives in the %u-entry "
                                               "ring; the QP enters the error state",
                  qp->qpn, producer, qp->rq_posted + ahead - qp->rq_used, qp->rq_entries);
        hinic_qp_fail(nic, qp, HINIC_WC_LOC_QP_OP_ERR, HINIC_ERR_RING_OVERRUN);
        return;
    }
    qp->rq_posted += ahead;
    if (qp->state == HINIC_QPS_ERR)
        hinic_responder_flush(nic, qp);
}

static void on_event(void *device, uint64_t arg)
{
    struct hinic *nic = device;
    enum hinic_event kind = (enum hinic_event)vdc_arg_field(arg, 0, 8);
    uint32_t index = (uint32_t)vdc_arg_field(arg, 8, 16), epoch = (uint32_t)vdc_arg_field(arg, 24, 32);
    struct hinic_qp *qp = index < HINIC_MAX_QPS ? &nic->qps[index] : NULL;
    if (kind == HINIC_EV_COMPLETION) {
        hinic_completion_arrives(nic);
        return;
    }
    if (qp == NULL || !qp->valid)
        return; /* destroyed since */
    switch (kind) {
    case HINIC_EV_SQ_DOORBELL: hinic_sq_doorbell(nic, qp, epoch); break;
    case HINIC_EV_RQ_DOORBELL: rq_doorbell(nic, qp, epoch); break;
    case HINIC_EV_TIMEOUT: hinic_requester_timeout(nic, qp, epoch, false); break;
    case HINIC_EV_RNR_RETRY: hinic_requester_timeout(nic, qp, epoch, true); break;
    case HINIC_EV_DCQCN_DECREASE: hinic_requester_dcqcn(nic, qp, false); break;
    case HINIC_EV_DCQCN_INCREASE: hinic_requester_dcqcn(nic, qp, true); break;
    default: break;
    }
}

static struct fabric_packet *next_packet(void *device, struct fabric_port *port)
{
    struct hinic *nic = device;
    struct fabric_packet *p = hinic_responder_next(nic, port);
    if (p == NULL)
        p = hinic_requester_next(nic, port);
    if (p != NULL)
        nic->stats.packets_sent++;
    return p;
}

static vdc_time next_ready(void *device, const struct fabric_port *port)
{
    const struct hinic *nic = device;
    vdc_time a = hinic_responder_ready(nic, port), b = hinic_requester_ready(nic, port);
    return a < b ? a : b;
}

static void receive(void *device, struct fabric_packet *p)
{
    struct hinic *nic = device;
    nic->stats.packets_received++;
    struct hinic_qp *qp = hinic_qp_by_number(nic, p->dest_qp);
    if (qp != NULL && p->src_host == qp->dest_node) {
        bool to_requester = p->kind == FABRIC_PKT_ACK || p->kind == FABRIC_PKT_NACK || p->kind == FABRIC_PKT_CNP ||
                            (p->bth_opcode >= FABRIC_OP_READ_RESPONSE_FIRST &&
                             p->bth_opcode <= FABRIC_OP_READ_RESPONSE_ONLY);
        if (to_requester)
            hinic_requester_receive(nic, qp, p);
        else
            hinic_responder_receive(nic, qp, p);
    }
    fabric_packet_release(nic->pool, p);
}

struct hinic *hinic_create(struct vdc_guest *guest, struct fabric *fabric, uint32_t node, uint64_t base,
                           const struct hinic_params *params, const uint32_t *peer_gids, uint32_t peers, FILE *log,
                           struct vdc_error *err)
{
    if (params->mtu < 256 || params->mtu > 4096 || (params->mtu & (params->mtu - 1)) != 0)
        return vdc_fail(err, "nic.mtu %u must be 256, 512, 1024, 2048 or 4096", params->mtu), NULL;
    if (params->pcie_generation < 1 || params->pcie_generation > 6)
        return vdc_fail(err, "nic.pcie_generation %u must be 1 to 6", params->pcie_generation), NULL;
    uint32_t lanes = params->pcie_lanes;
    if (lanes == 0 || lanes > 16 || (lanes & (lanes - 1)) != 0)
        return vdc_fail(err, "nic.pcie_lanes %u must be 1, 2, 4, 8 or 16", lanes), NULL;
    struct hinic *nic = vdc_xcalloc(1, sizeof *nic);
    nic->guest = guest;
    nic->pool = fabric_packet_pool(fabric);
    nic->cfg = fabric_parameters(fabric);
    nic->node = node;
    nic->base = base;
    nic->params = *params;
    nic->pcie_bandwidth = hinic_pcie_bandwidth(params);
    nic->log = log;
    struct fabric_endpoint endpoint = {
        .device = nic, .next_packet = next_packet, .next_ready = next_ready, .receive = receive, .event = on_event};
    nic->peer_gids_be = vdc_xcalloc(peers ? peers : 1, sizeof *nic->peer_gids_be);
    for (uint32_t i = 0; i < peers; i++)
        nic->peer_gids_be[i] = __builtin_bswap32(peer_gids[i]);
    nic->properties[0] = (struct vdc_dt_property){"vdc,peer-gids", nic->peer_gids_be, peers * 4};
    struct vdc_mmio_window window = {
        .base = base, .size = HINIC_BAR_SIZE, .name = "hinic", .handler = hinic_mmio, .device = nic,
        .cause = params->cause_mask,
        .pcie = {.present = true, .root_port = params->pcie_root_port, .switch_port = params->pcie_switch_port,
                 .generation = params->pcie_generation, .lanes = params->pcie_lanes, .vendor = VDC_PCI_VENDOR,
                 .device = HINIC_PCI_DEVICE, .class_code = HINIC_PCI_CLASS},
        .properties = nic->properties, .property_count = peers ? 1 : 0};
    bool attached = fabric_endpoint_attach(fabric, node, 0, &endpoint, &nic->at, err);
    if (!attached || !vdc_mmio_bus_add(&guest->bus, &window, err)) {
        if (attached)
            fabric_endpoint_detach(&nic->at);
        free(nic->peer_gids_be);
        free(nic);
        return NULL;
    }
    nic->entity = nic->at.entity;
    return nic;
}

void hinic_free(struct hinic *nic)
{
    if (nic == NULL)
        return;
    for (uint32_t i = 0; i < HINIC_MAX_QPS; i++)
        free(nic->qps[i].swr);
    while (nic->control_head) {
        struct fabric_packet *p = nic->control_head;
        nic->control_head = p->next;
        fabric_packet_release(nic->pool, p);
    }
    for (uint32_t i = 0; i < nic->read_count; i++) {
        struct fabric_packet *p = nic->reads[(nic->read_head + i) % nic->read_cap].packet;
        if (p != NULL)
            fabric_packet_release(nic->pool, p);
    }
    free(nic->reads);
    free(nic->pending);
    free(nic->peer_gids_be);
    free(nic);
}

void hinic_get_stats(const struct hinic *nic, struct hinic_stats *out)
{
    *out = nic->stats;
}
