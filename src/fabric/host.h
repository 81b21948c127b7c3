/* Hosts: the NIC side of flow-file traffic, RoCEv2 RC-like flows with DCQCN, per-packet ACKs and go-back-N. */
#ifndef VDC_FABRIC_HOST_H
#define VDC_FABRIC_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "fabric/dcqcn.h"
#include "fabric/endpoint.h"
#include "fabric/packet.h"
#include "fabric/topology.h"

struct fabric;
struct fabric_node;
struct fabric_port;
struct fabric_packet;

/* HPCC ns-3's per-hop HPCC state and its flow (QP) state: byte sequence numbers, pacing, window, the receiver's
 * expected sequence and each congestion control's variables, named as its rdma-hw code names them. */
struct fabric_ns3_hop_state {
    double u;
    uint64_t rc;
    int32_t inc_stage;
};

struct fabric_ns3_qp {
    /* The first cache line holds all that the NIC's choice of the next QP reads (host_ns3.c scans every QP of a host
     * per frame), so a QP costs one line there: the flow's size and priority are copied here. */
    uint64_t snd_nxt, snd_una;     /* bytes */
    vdc_time next_avail;
    uint64_t window;               /* bytes; 0: none */
    uint64_t size;                 /* the flow's, bytes */
    uint64_t rate, max_rate;       /* bit/s (DCQCN keeps its rate in the flow's dcqcn_state) */
    uint32_t last_packet_bytes;
    uint8_t priority;              /* the flow's */
    uint32_t host_slot;            /* its place in its host's qps, UINT32_MAX once removed from them */
    uint64_t base_rtt_ns;          /* the base RTT its HPCC arithmetic uses, ns */
    uint64_t pair_rtt_ns, pair_bw; /* the pair's base RTT and bottleneck, for the standalone FCT */
    /* HPCC */
    uint64_t hp_last_update_seq, hp_cur_rate;
    int32_t hp_inc_stage;
    double hp_u;
    struct fabric_int_hop hp_hop[FABRIC_INT_MAX_HOPS];
    struct fabric_ns3_hop_state hp_hop_state[FABRIC_INT_MAX_HOPS];
    /* TIMELY */
    uint64_t tmly_last_update_seq, tmly_cur_rate, tmly_last_rtt;
    uint32_t tmly_inc_stage;
    double tmly_rtt_diff;
    /* DCTCP */
    uint64_t dctcp_last_update_seq, dctcp_high_seq;
    uint32_t dctcp_ca_state, dctcp_ecn_count, dctcp_batch;
    double dctcp_alpha;
} __attribute__((aligned(64)));

/* What a flow's receiver keeps, in lines of its own (the fabric's flow_rx): the sender's host may run on another
 * thread (fabric/partition.h), and the receiver touches one line per packet instead of one in each of two records. */
struct fabric_flow_rx {
    uint64_t bytes_received;
    /* the roce model */
    uint32_t expected;
    uint32_t last_nack_psn;
    vdc_time nack_quiet_until, cnp_quiet_until;
    bool nacked;
    /* the hpcc-ns3 model (its ReceiverCheckSeq) */
    uint64_t ns3_expected;
    vdc_time ns3_nack_timer;
    uint64_t ns3_last_nack;
} __attribute__((aligned(64)));

/* On lines of its own, and what the receiver reads (spec, index, rx) in the first, which the sender never writes: a
 * parallel run may put the two hosts on different threads. */
struct fabric_flow {
    struct fabric_flow_spec spec;
    uint32_t index;
    struct fabric_flow_rx *rx;     /* the receiver's state */
    uint16_t source_port;          /* UDP source port: the flow's ECMP entropy */
    uint32_t packets;              /* data packets in the flow */
    uint32_t last_payload;
    /* sender */
    uint32_t next_psn, acked;      /* next packet to send; packets acknowledged */
    vdc_time next_send_at;         /* rate limit: earliest start of the next packet */
    bool started, active, done;
    bool rto_pending;
    uint32_t rto_epoch;
    vdc_time last_progress;
    uint64_t retransmitted;        /* packets sent again after a NACK or timeout */
    struct dcqcn_state cc;
    /* result */
    vdc_time finished_at;
    struct fabric_ns3_qp *ns3;     /* the hpcc-ns3 model's state; NULL in the roce model */
} __attribute__((aligned(64)));

struct fabric_host {
    struct fabric_node *node;
    uint32_t *active;              /* flows with packets to send, served round robin */
    uint32_t active_count, active_cap, round_robin;
    uint16_t next_source_port;
    bool stuck;                    /* receiver stopped draining: it keeps its link paused */
    struct fabric_endpoint *endpoints; /* one per port; device == NULL: none attached (endpoint.h) */
    uint16_t endpoints_attached;   /* checked first, so hosts without a device never touch `endpoints` */
    /* hpcc-ns3: the host's QPs in the order they started, served round robin after the last one served */
    uint32_t *qps;
    /* Beside each: when that QP may send next (its next_avail), VDC_TIME_MAX with no bytes left to send, so that
     * the NIC's wake-up time comes from one short array rather than a cache line per QP. */
    vdc_time *qp_ready;
    uint32_t qp_count, qp_cap, qp_last;
} __attribute__((aligned(64)));

/* A FABRIC_EV_ENDPOINT event: handed to the endpoint that scheduled it (endpoint.c). */
void fabric_endpoint_event(struct fabric_host *host, uint64_t arg);

/* Installs the flows (copied) and schedules their starts; flows must be between hosts. */
bool fabric_hosts_add_flows(struct fabric *f, const struct fabric_flow_set *flows, struct vdc_error *err);

bool fabric_host_has_data(const struct fabric_host *host);

/* The next data packet the host's NIC puts on `port`, or NULL when no flow may send now. */
struct fabric_packet *fabric_host_next_packet(struct fabric_host *host, struct fabric_port *port);

/* The earliest time one of the host's flows may send on `port` (VDC_TIME_MAX if none can). */
vdc_time fabric_host_next_ready(const struct fabric_host *host, const struct fabric_port *port);

void fabric_host_receive(struct fabric_node *node, struct fabric_packet *p);
void fabric_host_flow_start(struct fabric_node *node, uint32_t flow);
void fabric_host_timeout(struct fabric_node *node, uint64_t arg);
void fabric_host_dcqcn_timer(struct fabric_node *node, uint64_t arg);
/* A congestion notification for a DCQCN flow (a CNP, or an ACK's CNP flag): alpha and the decrease check. */
void fabric_host_dcqcn_cnp(struct fabric_node *node, struct fabric_flow *flow);
/* The flow's last byte is acknowledged: its FCT is logged. */
void fabric_host_flow_done(struct fabric_node *node, struct fabric_flow *flow);

/* The hpcc-ns3 model's NIC (host_ns3.c): the same entry points, HPCC ns-3's behaviour. */
void fabric_ns3_hosts_prepare(struct fabric *f);
struct fabric_packet *fabric_ns3_host_next_packet(struct fabric_host *host, struct fabric_port *port);
vdc_time fabric_ns3_host_next_ready(const struct fabric_host *host, const struct fabric_port *port);
void fabric_ns3_host_receive(struct fabric_node *node, struct fabric_flow *flow, struct fabric_packet *p);
void fabric_ns3_host_flow_start(struct fabric_node *node, struct fabric_flow *flow);
vdc_time fabric_ns3_standalone_fct(const struct fabric *f, const struct fabric_flow *flow);
/* Its rate changes: the flow's next transmission moves by the change in one packet's time (ChangeRate). */
void fabric_ns3_change_rate(struct fabric_node *node, struct fabric_flow *flow, uint64_t rate);
/* Its congestion controls' reaction to an ACK or NACK (cc_ns3.c): HPCC, TIMELY, DCTCP. */
void fabric_ns3_cc_on_ack(struct fabric_node *node, struct fabric_flow *flow, const struct fabric_packet *ack);

/* The time a flow alone on an idle fabric takes, from its start to the sender's last ACK (the standalone FCT). */
vdc_time fabric_flow_standalone_fct(const struct fabric *f, const struct fabric_flow *flow);

#endif
