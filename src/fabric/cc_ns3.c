/* HPCC ns-3's congestion controls that react to ACKs (its rdma-hw code): HPCC from INT hop records, TIMELY from
 * RTT gradients, DCTCP from echoed ECN. DCQCN runs in dcqcn.c for both transport models. */
#include "fabric/fabric.h"
#include "fabric/host.h"
#include "fabric/ns3.h"

static const uint64_t int_line_rates[8] = {25000000000u, 50000000000u, 100000000000u, 200000000000u, 400000000000u,
                                           0, 0, 0};

static uint64_t hop_bytes_delta(const struct fabric_int_hop *now, const struct fabric_int_hop *before, uint32_t multi)
{
    uint64_t units = now->bytes >= before->bytes ? now->bytes - before->bytes
                                                 : now->bytes + (1u << 20) - before->bytes;
    return units * 128 * multi;
}

static uint64_t hop_time_delta(const struct fabric_int_hop *now, const struct fabric_int_hop *before)
{
    return now->time >= before->time ? now->time - before->time : now->time + (1u << 24) - before->time;
}

static uint64_t clamp_rate(uint64_t rate, uint64_t min_rate, uint64_t max_rate)
{
    return rate < min_rate ? min_rate : rate > max_rate ? max_rate : rate;
}

/* UpdateRateHp: utilization per hop from the change in its tx bytes and its queue, an EWMA over the base RTT,
 * then a multiplicative step toward the target utilization or an additive one. */
static void hpcc_update(struct fabric_node *node, struct fabric_flow *flow, const struct fabric_ns3_fields *ih,
                        bool fast_react)
{
    struct fabric *f = node->fabric;
    const struct fabric_ns3_params *params = &f->cfg.ns3;
    const struct dcqcn_params *rates = &f->cfg.dcqcn;
    struct fabric_ns3_qp *q = flow->ns3;
    uint64_t next_seq = q->snd_nxt;
    if (q->hp_last_update_seq == 0) { /* the first RTT: keep the hops to compare with */
        q->hp_last_update_seq = next_seq;
        for (uint32_t i = 0; i < ih->nhop && i < FABRIC_INT_MAX_HOPS; i++)
            q->hp_hop[i] = ih->hop[i];
        return;
    }
    if (ih->nhop <= FABRIC_INT_MAX_HOPS) {
        double max_u = 0;
        uint64_t dt = 0;
        bool updated[FABRIC_INT_MAX_HOPS] = {false}, updated_any = false;
        for (uint32_t i = 0; i < ih->nhop; i++) {
            const struct fabric_int_hop *hop = &ih->hop[i];
            uint64_t qlen = hop->qlen * 80 * params->int_multi;
            if (params->sample_feedback && qlen == 0 && fast_react)
                continue;
            uint64_t tau = hop_time_delta(hop, &q->hp_hop[i]);
            uint64_t line = int_line_rates[hop->rate_code & 7];
            if (tau == 0 || line == 0)
                continue; /* no time between the two records: no rate to compute */
            updated[i] = updated_any = true;
            double tx_rate = (double)hop_bytes_delta(hop, &q->hp_hop[i], params->int_multi) * 8 / ((double)tau * 1e-9);
            uint64_t old_qlen = q->hp_hop[i].qlen * 80 * params->int_multi;
            double u = tx_rate / (double)line +
                       (double)(qlen < old_qlen ? qlen : old_qlen) * (double)q->max_rate / (double)line /
                           (double)q->window;
            if (!params->multi_rate) {
                if (u > max_u) {
                    max_u = u;
                    dt = tau;
                }
            } else {
                if (tau > q->base_rtt_ns)
                    tau = q->base_rtt_ns;
                struct fabric_ns3_hop_state *s = &q->hp_hop_state[i];
                s->u = (s->u * (double)(q->base_rtt_ns - tau) + u * (double)tau) / (double)q->base_rtt_ns;
            }
            q->hp_hop[i] = *hop;
        }
        uint64_t new_rate = 0;
        int32_t new_stage = 0;
        uint64_t per_hop_rate[FABRIC_INT_MAX_HOPS] = {0};
        int32_t per_hop_stage[FABRIC_INT_MAX_HOPS] = {0};
        if (!params->multi_rate) {
            if (updated_any) {
                if (dt > q->base_rtt_ns)
                    dt = q->base_rtt_ns;
                q->hp_u = (q->hp_u * (double)(q->base_rtt_ns - dt) + max_u * (double)dt) / (double)q->base_rtt_ns;
                double c = q->hp_u / params->target_util;
                if (c >= 1 || (uint32_t)q->hp_inc_stage >= params->mi_thresh) {
                    new_rate = (uint64_t)((double)q->hp_cur_rate / c) + rates->rate_ai;
                    new_stage = 0;
                } else {
                    new_rate = q->hp_cur_rate + rates->rate_ai;
                    new_stage = q->hp_inc_stage + 1;
                }
                new_rate = clamp_rate(new_rate, rates->min_rate, q->max_rate);
            }
        } else {
            new_rate = q->max_rate;
            for (uint32_t i = 0; i < ih->nhop; i++) {
                struct fabric_ns3_hop_state *s = &q->hp_hop_state[i];
                if (updated[i]) {
                    double c = s->u / params->target_util;
                    if (c >= 1 || (uint32_t)s->inc_stage >= params->mi_thresh) {
                        per_hop_rate[i] = (uint64_t)((double)s->rc / c) + rates->rate_ai;
                        per_hop_stage[i] = 0;
                    } else {
                        per_hop_rate[i] = s->rc + rates->rate_ai;
                        per_hop_stage[i] = s->inc_stage + 1;
                    }
                    per_hop_rate[i] = clamp_rate(per_hop_rate[i], rates->min_rate, q->max_rate);
                    if (per_hop_rate[i] < new_rate)
                        new_rate = per_hop_rate[i];
                } else if (s->rc < new_rate) {
                    new_rate = s->rc;
                }
            }
        }
        if (updated_any)
            fabric_ns3_change_rate(node, flow, new_rate);
        if (!fast_react) {
            if (updated_any) {
                q->hp_cur_rate = new_rate;
                q->hp_inc_stage = new_stage;
            }
            if (params->multi_rate) {
                for (uint32_t i = 0; i < ih->nhop; i++) {
                    if (updated[i]) {
                        q->hp_hop_state[i].rc = per_hop_rate[i];
                        q->hp_hop_state[i].inc_stage = per_hop_stage[i];
                    }
                }
            }
        }
    }
    if (!fast_react && next_seq > q->hp_last_update_seq)
        q->hp_last_update_seq = next_seq;
}

/* UpdateRateTimely: once per RTT of data, from the RTT the ACK's echoed timestamp gives. */
static void timely_update(struct fabric *f, struct fabric_flow *flow, uint64_t rtt)
{
    const struct fabric_ns3_params *params = &f->cfg.ns3;
    const struct dcqcn_params *rates = &f->cfg.dcqcn;
    struct fabric_ns3_qp *q = flow->ns3;
    uint64_t next_seq = q->snd_nxt;
    if (q->tmly_last_update_seq != 0) {
        int64_t new_diff = (int64_t)rtt - (int64_t)q->tmly_last_rtt;
        double rtt_diff = (1 - params->timely_alpha) * q->tmly_rtt_diff + params->timely_alpha * (double)new_diff;
        double gradient = rtt_diff / (double)(params->timely_min_rtt / VDC_NS);
        uint64_t t_low = params->timely_t_low / VDC_NS, t_high = params->timely_t_high / VDC_NS;
        bool increase;
        double c = 0;
        if (rtt < t_low) {
            increase = true;
        } else if (rtt > t_high) {
            c = 1 - params->timely_beta * (1 - (double)t_high / (double)rtt);
            increase = false;
        } else if (gradient <= 0) {
            increase = true;
        } else {
            c = 1 - params->timely_beta * gradient;
            if (c < 0)
                c = 0;
            increase = false;
        }
        if (increase) {
            q->rate = q->tmly_cur_rate + (q->tmly_inc_stage < 5 ? rates->rate_ai : rates->rate_hai);
            if (q->rate > q->max_rate)
                q->rate = q->max_rate;
            q->tmly_inc_stage++;
        } else {
            uint64_t cut = (uint64_t)((double)q->tmly_cur_rate * c);
            q->rate = cut > rates->min_rate ? cut : rates->min_rate;
            q->tmly_inc_stage = 0;
        }
        q->tmly_cur_rate = q->rate;
        q->tmly_rtt_diff = rtt_diff;
    }
    if (next_seq > q->tmly_last_update_seq) {
        q->tmly_last_update_seq = next_seq;
        q->tmly_last_rtt = rtt;
    }
}

/* HandleAckDctcp: alpha from the fraction of echoed marks per window of data, one cut per window, additive
 * increase per window otherwise. */
static void dctcp_update(struct fabric *f, struct fabric_flow *flow, uint64_t ack_seq, bool cnp)
{
    const struct dcqcn_params *rates = &f->cfg.dcqcn;
    struct fabric_ns3_qp *q = flow->ns3;
    uint32_t mtu = f->cfg.payload;
    bool new_batch = false;
    q->dctcp_ecn_count += cnp;
    if (ack_seq > q->dctcp_last_update_seq) {
        new_batch = true;
        if (q->dctcp_last_update_seq == 0) {
            q->dctcp_last_update_seq = q->snd_nxt;
            q->dctcp_batch = (uint32_t)(q->snd_nxt / mtu + 1);
        } else {
            double fraction = (double)q->dctcp_ecn_count / q->dctcp_batch;
            if (fraction > 1.0)
                fraction = 1.0;
            q->dctcp_alpha = (1 - rates->g) * q->dctcp_alpha + rates->g * fraction;
            q->dctcp_last_update_seq = q->snd_nxt;
            q->dctcp_ecn_count = 0;
            q->dctcp_batch = (uint32_t)((q->snd_nxt - ack_seq) / mtu + 1);
        }
    }
    if (q->dctcp_ca_state == 1 && ack_seq > q->dctcp_high_seq)
        q->dctcp_ca_state = 0;
    if (cnp && q->dctcp_ca_state == 0) {
        uint64_t cut = (uint64_t)((double)q->rate * (1 - q->dctcp_alpha / 2));
        q->rate = cut > rates->min_rate ? cut : rates->min_rate;
        q->dctcp_ca_state = 1;
        q->dctcp_high_seq = q->snd_nxt;
    }
    if (q->dctcp_ca_state == 0 && new_batch) {
        uint64_t raised = q->rate + f->cfg.ns3.dctcp_rate_ai;
        q->rate = raised < q->max_rate ? raised : q->max_rate;
    }
}

void fabric_ns3_cc_on_ack(struct fabric_node *node, struct fabric_flow *flow, const struct fabric_packet *ack)
{
    struct fabric *f = node->fabric;
    uint64_t ack_seq = ack->psn;
    switch (f->cfg.cc) {
    case FABRIC_CC_HPCC:
        if (ack_seq > flow->ns3->hp_last_update_seq)
            hpcc_update(node, flow, ack->ns3, false);
        else if (f->cfg.ns3.fast_react)
            hpcc_update(node, flow, ack->ns3, true);
        break;
    case FABRIC_CC_TIMELY:
        if (ack_seq > flow->ns3->tmly_last_update_seq)
            timely_update(f, flow, fabric_now(node) / VDC_NS - ack->ns3->ts);
        break;
    case FABRIC_CC_DCTCP: dctcp_update(f, flow, ack_seq, ack->cnp_echo); break;
    default: break;
    }
}
