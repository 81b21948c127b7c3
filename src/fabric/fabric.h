/* The simulated fabric: nodes (hosts and switches) as scheduler entities, their ports, links, and parameters. */
#ifndef VDC_FABRIC_FABRIC_H
#define VDC_FABRIC_FABRIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scheduler/entity_ids.h"
#include "scheduler/parallel.h"
#include "scheduler/sim.h"
#include "fabric/dcqcn.h"
#include "fabric/dwrr.h"
#include "fabric/mmu.h"
#include "fabric/ns3.h"
#include "fabric/packet.h"
#include "fabric/pool.h"
#include "fabric/topology.h"

#define FABRIC_PRIORITIES 8
/* Entity ids of fabric nodes: FABRIC_ENTITY_BASE + node number (guests and other devices use other ranges); the
 * fabric's own observers and its fault schedule take the ids just below. */
#define FABRIC_ENTITY_BASE VDC_IDS_FABRIC_NODE_BASE
#define FABRIC_SAMPLER_ENTITY (VDC_IDS_FABRIC_SERVICE_BASE + 15)
#define FABRIC_FAULT_ENTITY (VDC_IDS_FABRIC_SERVICE_BASE + 14)
#define FABRIC_QLEN_MONITOR_ENTITY (VDC_IDS_FABRIC_SERVICE_BASE + 13)
/* Frame losses on a link draw from a stream per direction, FABRIC_LOSS_STREAM_BASE + 2 x link + (0 from the link's
 * first node, 1 from its second): above every entity id, so no entity shares it and a lossy link changes no other
 * random decision. */
#define FABRIC_LOSS_STREAM_BASE (1ULL << 32)

/* The host transport and switch details a run follows (docs/fabric.md, "Two transport models"). */
enum fabric_transport_model {
    FABRIC_MODEL_ROCE,     /* real RoCEv2 frames, CNPs as ConnectX NICs send them, retransmit timeout */
    FABRIC_MODEL_HPCC_NS3, /* HPCC ns-3's NIC and switch: its header sizes, ECN echoed in ACKs, ns timing */
};

/* Congestion control at the senders (transport.cc; HPCC ns-3's CC_MODE 1, 3, 7, 8). */
enum fabric_cc { FABRIC_CC_NONE, FABRIC_CC_DCQCN, FABRIC_CC_HPCC, FABRIC_CC_TIMELY, FABRIC_CC_DCTCP };

/* ECN thresholds for one link rate (fabric.ecn_by_rate; HPCC's KMIN_MAP, KMAX_MAP and PMAX_MAP). */
struct fabric_ecn_rate {
    uint64_t rate, kmin, kmax;     /* bit/s; bytes */
    double pmax;
};
#define FABRIC_ECN_RATES 16

/* HPCC ns-3's transport parameters (its config keys in brackets); only the hpcc-ns3 model reads them. */
struct fabric_ns3_params {
    uint32_t ack_interval;         /* [L2_ACK_INTERVAL] bytes: 0 never ACKs; its code compares bytes, see host_ns3.c */
    uint32_t chunk;                /* [L2_CHUNK_SIZE] an ACK at every chunk boundary too; 0: none */
    bool back_to_zero;             /* [L2_BACK_TO_ZERO] a NACK rewinds to a chunk boundary */
    bool window;                   /* [HAS_WIN] a window of one BDP */
    bool variable_window;          /* [VAR_WIN] the window scales with the rate */
    bool global_rtt;               /* [GLOBAL_T] base RTT and BDP: the network's largest, else the pair's */
    bool rate_bound;               /* [RATE_BOUND] pace at the flow's rate, else at line rate */
    bool ack_high_priority;        /* [ACK_HIGH_PRIO] ACKs in the switches' strict queue */
    bool fast_react;               /* [FAST_REACT] HPCC: react on every ACK */
    bool multi_rate;               /* [MULTI_RATE] HPCC: one rate per hop */
    bool sample_feedback;          /* [SAMPLE_FEEDBACK] HPCC */
    double target_util;            /* [U_TARGET] HPCC's eta */
    uint32_t mi_thresh;            /* [MI_THRESH] HPCC's maxStage */
    uint32_t int_multi;            /* [INT_MULTI] unit multiplier of INT byte and queue fields */
    uint64_t dctcp_rate_ai;        /* [DCTCP_RATE_AI] bit/s */
    /* TIMELY's constants (HPCC ns-3 attributes, no config keys) */
    double timely_alpha, timely_beta;
    vdc_time timely_t_low, timely_t_high, timely_min_rtt;
};

/* Every parameter of the switch and transport models; defaults follow HPCC ns-3 (docs/fabric.md). */
struct fabric_config {
    enum fabric_transport_model model;
    enum fabric_cc cc;
    uint32_t payload;              /* bytes of payload per data packet (path MTU payload) */
    uint64_t buffer;               /* shared buffer per switch, bytes */
    bool pfc;                      /* lossless: per-(ingress port, priority) PFC */
    bool lossy;                    /* no PFC; packets over the threshold are dropped */
    uint32_t pfc_reserve;          /* guaranteed bytes per ingress (port, priority) */
    uint32_t pfc_resume_offset;    /* XON when shared use + this is under the threshold */
    uint32_t pfc_alpha_shift;      /* dynamic threshold = free shared buffer >> shift */
    uint64_t pfc_headroom;         /* per port; 0: rate x delay x 3 / 8 as HPCC */
    bool pause_expiry;             /* pauses last pause_quanta x 512 bit times and are refreshed; else until XON */
    uint32_t pause_quanta;
    bool ecn;
    uint64_t ecn_kmin, ecn_kmax;   /* bytes; 0: from the link rate (HPCC's table) */
    double ecn_pmax;
    struct fabric_ecn_rate ecn_by_rate[FABRIC_ECN_RATES]; /* when given, every link rate needs an entry */
    uint32_t ecn_by_rate_count;
    vdc_time switch_latency;       /* added to every frame a switch forwards */
    uint8_t control_priority;      /* ACK, NACK and CNP */
    uint8_t strict_priorities;     /* the highest N priorities are served strictly before DWRR */
    uint32_t dwrr_weight[FABRIC_PRIORITIES];
    uint64_t ecmp_seed;            /* mixed with each switch's id */
    /* transport */
    vdc_time nack_interval;        /* a receiver NACKs a flow at most this often */
    vdc_time retransmit_timeout;   /* no ACK progress for this long: go back N */
    vdc_time cnp_interval;         /* a receiver sends at most one CNP per flow per interval */
    struct dcqcn_params dcqcn;
    struct fabric_ns3_params ns3;
};

void fabric_config_defaults(struct fabric_config *cfg);

struct fabric_node;
struct fabric_flow;
struct fabric_flow_rx;

/* Counters kept per port, both directions. */
struct fabric_port_counters {
    uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
    uint64_t drops;               /* frames dropped at this port's ingress (lossy), on its link (errors, down) or
                                   * by its failure (fail-port) */
    uint64_t ecn_marked;          /* frames this port marked CE on transmission */
    uint64_t pauses_sent, pauses_received, resumes_sent, resumes_received;
    vdc_time paused_time;         /* total time any priority of this egress was paused */
};

struct fabric_queue {
    struct fabric_packet *head, *tail;
    uint64_t bytes;
    uint32_t frames;
};

/* One end of a link: the transmitter toward the peer and the state about frames received from it. */
struct fabric_port {
    /* What every frame sent or received through the port reads or writes comes first, in the first three cache
     * lines (node_prefetch in network.c fetches them ahead of the port's next event); a frame's queue and the DWRR
     * state follows, the rest is touched rarely. */
    /* line 0: the transmitter's state */
    struct fabric_node *node;
    vdc_time qlen_next_sample;    /* a switch port's next queue-length sample (qlen_monitor.c); VDC_TIME_MAX: none */
    vdc_time arrive_latency;      /* from a frame's end leaving to its arrival: delay, plus the peer's switch latency */
    vdc_time free_at;             /* when the frame on the wire ends */
    vdc_time tx_event_at;
    uint64_t queued_bytes;
    uint32_t peer_node;
    uint32_t tx_epoch;            /* a TX_DONE that was moved earlier leaves a stale one behind */
    uint16_t index;
    uint16_t peer_port;
    bool up;                      /* the link carries frames: neither cut nor either end failed */
    bool failed;                  /* a failed switch port: discards what it holds, gets and is sent */
    bool busy;                    /* a TX_DONE event is pending, at tx_event_at */
    uint8_t pausing_mask;         /* PFC as a sender (our ingress): priorities we told the peer to pause; here
                                   * because a frame leaving the switch reads it from its ingress port */
    /* line 1: what choosing and serializing a frame reads */
    uint8_t backlog_mask;         /* priorities whose queue holds a frame */
    uint8_t paused_mask;          /* PFC as a receiver of pauses (our egress): priorities the peer told us to pause */
    /* The serialization times of the last two frame sizes sent (the hpcc-ns3 model's conversion is costly). */
    uint32_t serialization_bytes[2];
    vdc_time serialization_time[2];
    struct fabric_queue control;  /* PFC frames: sent before anything else, never paused */
    /* line 2: marking, losses and the frame counters (their first four fields) */
    double error_rate;            /* probability that a frame sent is lost */
    uint64_t ecn_kmin, ecn_kmax;  /* RED ramp of this egress, bytes */
    double ecn_pmax;
    struct fabric_port_counters count;
    uint64_t rate;                /* bit/s (sending reads the serialization times above) */
    struct fabric_queue queue[FABRIC_PRIORITIES] __attribute__((aligned(64)));
    struct fabric_dwrr dwrr;      /* the classes below the strict ones */

    vdc_time delay;
    uint32_t link;                /* index into topology links */
    struct vdc_rng loss_rng;      /* draws for error_rate only (FABRIC_LOSS_STREAM_BASE) */
    vdc_time paused_since[FABRIC_PRIORITIES];
    uint32_t pause_epoch[FABRIC_PRIORITIES];
    uint64_t sampled_tx_bytes;    /* for utilization series */
};

struct fabric;

struct fabric_node {
    struct fabric *fabric;
    struct vdc_entity *entity;
    uint32_t number;
    bool is_switch;
    uint16_t port_count;
    struct fabric_port *ports;
    /* switches */
    struct fabric_mmu mmu;
    uint64_t ecmp_salt;
    /* hosts */
    struct fabric_host *host;
    struct fabric_shard *shard;   /* its partition's (the fabric's first in a serial run) */
} __attribute__((aligned(64))); /* a switch writes its MMU's totals: no two nodes share a line */

/* The clock of the sim that runs this node: its partition's in a parallel run. */
static inline vdc_time fabric_now(const struct fabric_node *node)
{
    return node->entity->sim->now;
}

/* Totals over the shards. */
uint32_t fabric_flows_done(const struct fabric *f);
uint64_t fabric_data_packets_delivered(const struct fabric *f);
uint64_t fabric_drops(const struct fabric *f);

struct fabric_pfc_log_entry;

/* One shard per partition of a parallel run at most. */
#define FABRIC_SHARDS_MAX VDC_PARTITIONS_MAX

/* A line for fct.txt or pfc.txt held back in a parallel run until the lines of every partition can be written in
 * the order a serial run writes them: by the key of the event that wrote them. */
struct fabric_held_line {
    vdc_time time;
    uint64_t order;
    uint32_t seq;                 /* lines of one event in the order they were written */
    char *text;
};

struct fabric_held_lines {
    struct fabric_held_line *items;
    size_t len, cap;
};

/* What the nodes of one partition update: a serial run has one; a parallel run one per partition, so that no two
 * threads write one counter or one free list. */
struct fabric_shard {
    struct fabric_pool pool;
    uint64_t drops;
    uint64_t data_packets_delivered;
    uint32_t flows_done;
    bool hold_lines;              /* a parallel run: fct and pfc lines wait in `held` */
    struct fabric_held_lines held[2]; /* fct, pfc */
} __attribute__((aligned(64)));

struct fabric {
    struct vdc_sim *sim;
    struct fabric_config cfg;
    const struct fabric_topology *topo;
    struct fabric_node *nodes;
    uint32_t node_count;
    struct fabric_shard shards[FABRIC_SHARDS_MAX];
    struct fabric_routes *routes;
    struct fabric_flow *flows;
    struct fabric_flow_rx *flow_rx; /* each flow's receiver state (host.h) */
    uint32_t flow_count;
    struct fabric_ns3_qp *ns3_qps;  /* hpcc-ns3: one per flow */
    vdc_time ns3_max_rtt;          /* hpcc-ns3: the largest base RTT between two hosts, and its BDP (bytes) */
    uint64_t ns3_max_bdp;
    uint32_t dwrr_quantum;        /* bytes per DWRR weight unit: a full data frame of the flows, at least 1538
                                   * (a NIC's 4 KiB-MTU frame is longer: it waits for the turns that add up to it) */
    /* outputs, NULL when not asked for */
    FILE *fct_file;
    FILE *pfc_file;
    struct fabric_capture *capture;
    struct fabric_sampler *sampler;
    struct fabric_qlen_monitor *qlen_monitor;
    void *fault_state;
    uint64_t faults_applied;      /* fault entries acted on, a flap once per change */
    uint64_t reroutes;            /* routing recomputations after faults */
};

/* Event kinds handled by node entities. */
enum fabric_event_kind {
    FABRIC_EV_ARRIVE = 1,     /* arg: packet | ingress port << 48 (fabric_arrive_arg) */
    FABRIC_EV_TX_DONE,        /* arg: port index | epoch << 16 | likely queue << 48: the port may start its next
                               * frame (the queue is only a hint for fetching ahead) */
    FABRIC_EV_PAUSE_END,      /* arg: port | priority << 16 | epoch << 24 */
    FABRIC_EV_PAUSE_REFRESH,  /* arg: port | priority << 16 */
    FABRIC_EV_FLOW_START,     /* arg: flow index */
    FABRIC_EV_RTO,            /* arg: flow index | epoch << 32 */
    FABRIC_EV_DCQCN_TIMER,    /* arg: flow index | timer << 32 */
    FABRIC_EV_LINK_STATE,     /* arg: link index | up << 32 */
    FABRIC_EV_ENDPOINT,       /* arg: the attached device's own (struct fabric_endpoint.event) */
};

/* An ARRIVE event's argument carries the ingress port beside the packet, so that both can be fetched into the host's
 * caches before the event runs without reading the packet first. User-space addresses fit in 48 bits. */
static inline uint64_t fabric_arrive_arg(const struct fabric_packet *p, uint16_t ingress_port)
{
    return vdc_arg_put((uintptr_t)p, 0, 48) | vdc_arg_put(ingress_port, 48, 16);
}

static inline struct fabric_packet *fabric_arrive_packet(uint64_t arg)
{
    return (struct fabric_packet *)(uintptr_t)vdc_arg_field(arg, 0, 48);
}

static inline uint16_t fabric_arrive_port(uint64_t arg)
{
    return (uint16_t)vdc_arg_field(arg, 48, 16);
}

/* Builds entities for every node and port of `topo` (which must outlive the fabric). */
bool fabric_build(struct fabric *f, struct vdc_sim *sim, const struct fabric_topology *topo,
                  const struct fabric_config *cfg, struct vdc_error *err);
void fabric_free(struct fabric *f);

/* Port-level operations (port.c). */
void fabric_port_enqueue(struct fabric_port *port, struct fabric_packet *p);
void fabric_port_send_control(struct fabric_port *port, struct fabric_packet *p);
void fabric_port_kick(struct fabric_port *port);
void fabric_port_tx_done(struct fabric_port *port, uint32_t epoch);
void fabric_port_receive_pfc(struct fabric_port *port, const struct fabric_packet *p);
void fabric_port_pause_end(struct fabric_port *port, unsigned priority, uint32_t epoch);
void fabric_port_send_pfc(struct fabric_port *port, uint8_t classes, bool pause);
/* With expiring pauses, re-sends XOFF for `priority` every half pause while the port still asks for it. */
void fabric_port_schedule_refresh(struct fabric_port *port, unsigned priority);
void fabric_port_pause_refresh(struct fabric_port *port, unsigned priority);
/* A link changed state (faults.c): both ends stop or resume; pauses across it are forgotten. */
void fabric_link_set_state(struct fabric *f, uint32_t link, bool up);
/* Discards every frame queued at a failed port (counted as its drops), returning switch buffer as it goes. */
void fabric_port_discard_queued(struct fabric_port *port);

/* Switch and host reception (switch.c, host.c). */
void fabric_switch_receive(struct fabric_node *sw, struct fabric_packet *p);
void fabric_switch_dequeued(struct fabric_node *sw, struct fabric_port *port, struct fabric_packet *p);
/* A queued frame will never leave (its port failed): its buffer returns, which may resume its ingress. */
void fabric_switch_discarded(struct fabric_node *sw, struct fabric_packet *p);

/* ECN's RED ramp at dequeue, on the egress queue (`depth` bytes, the leaving frame not counted) of the frame's
 * priority: the probability of marking is 0 up to kmin, rises linearly to pmax at kmax, and is 1 above kmax. */
double fabric_red_probability(uint64_t kmin, uint64_t kmax, double pmax, uint64_t depth);
/* The switch's marking decision on that ramp; it draws from `rng` only between kmin and kmax. */
bool fabric_red_mark(uint64_t kmin, uint64_t kmax, double pmax, uint64_t depth, struct vdc_rng *rng);

static inline struct fabric_node *fabric_node_of(struct vdc_entity *e)
{
    return e->model;
}

static inline uint32_t fabric_entity_id(uint32_t node)
{
    return FABRIC_ENTITY_BASE + node;
}

/* ECMP's hash of a RoCE frame's 5-tuple (source and destination address, UDP ports, protocol) with a switch salt. */
static inline uint64_t fabric_ecmp_hash(uint64_t salt, uint32_t src_node, uint32_t dst_node, uint16_t source_port)
{
    uint64_t addresses = (uint64_t)fabric_host_ipv4(src_node) << 32 | fabric_host_ipv4(dst_node);
    uint64_t ports = (uint64_t)source_port | (uint64_t)FABRIC_ROCE_UDP_PORT << 16 | (uint64_t)17 << 32;
    return vdc_mix64(salt ^ addresses ^ vdc_mix64(ports));
}

/* Serialization time of a frame on a port's link, rounded up to the next picosecond (the hpcc-ns3 model: its
 * nanosecond steps, no preamble or gap). */
static inline vdc_time fabric_serialization(const struct fabric_port *port, uint32_t frame_bytes)
{
    if (port->node->fabric->cfg.model == FABRIC_MODEL_HPCC_NS3)
        return ns3_tx_time(frame_bytes, port->rate);
    uint64_t bits = fabric_wire_bits(frame_bytes);
    return (bits * VDC_SEC + port->rate - 1) / port->rate;
}

#endif
