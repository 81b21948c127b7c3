/* Every scenario key in one table, so loading, --set, messages and docs/scenarios.md cannot drift apart. */
#include "scenario/keys.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/fault_list.h"
#include "common/units.h"

#define FIELD(member) offsetof(struct vdc_scenario, member)

static const char *const topology_kinds[] = {"rack", "leaf-spine", "fat-tree", "hpcc", "simgrid", NULL};
static const char *const workload_kinds[] = {"none", "uniform", "incast", "poisson", "flows", NULL};
static const char *const distributions[] = {"websearch", "hadoop", NULL};
static const char *const failure_policies[] = {"stop", "continue", NULL};
static const char *const vcpu_backends[] = {"auto", "kvm", "emulated", NULL}; /* enum vdc_vcpu_backend's order */
static const char *const cpu_time_models[] = {"exits", "instructions", NULL};
static const char *const transport_models[] = {"roce", "hpcc-ns3", NULL}; /* enum fabric_transport_model's order */
static const char *const congestion_controls[] = {"none", "dcqcn", "hpcc", "timely", "dctcp", NULL}; /* enum fabric_cc */

const struct vdc_key vdc_keys[] = {
    {"name", VDC_KEY_TEXT, FIELD(name), "unnamed", .doc = "Name printed in the summary and written to outputs."},
    {"description", VDC_KEY_TEXT, FIELD(description), "", .doc = "Free text: what the scenario shows."},
    {"seed", VDC_KEY_COUNT, FIELD(seed), "1", 0, UINT64_MAX,
     .doc = "Seeds every entity's random stream (with the entity id); `--seed N` overrides it."},
    {"run.stop_time", VDC_KEY_TIME, FIELD(run.stop_time), "0", 0, UINT64_MAX,
     .doc = "Virtual time at which the run ends; 0 runs until no event is left."},
    {"run.threads", VDC_KEY_COUNT, FIELD(run.threads), "1", 1, 8,
     .doc = "Threads a run may use: a run of the fabric alone (no guests, devices, faults, pcap or samples) is "
            "split across them, its nodes in as many partitions; in a run with GPUs, the kernel windows the GPUs "
            "take at one time run on them at once; emulated guests due to run at one time run their instructions on "
            "them at once (their exits handled in order); with more than one, the NICs' payloads move into guest "
            "memory on a thread of their own. The events, outputs and digest are those of one thread."},
    {"topology.kind", VDC_KEY_CHOICE, FIELD(topology.kind), "rack", .choices = topology_kinds,
     .doc = "`rack`: an Open Rack v3 rack, blades cabled to one top-of-rack switch; `leaf-spine`; `fat-tree` "
            "(k-ary); `hpcc`: an HPCC ns-3 topology file; `simgrid`: a SimGrid platform XML (`topology.file`)."},
    {"topology.file", VDC_KEY_TEXT, FIELD(topology.file), "",
     .doc = "The topology file of the `hpcc` and `simgrid` kinds, relative to the working directory."},
    {"topology.blades", VDC_KEY_COUNT, FIELD(topology.blades), "8", 1, 4096,
     .doc = "Number of GPU blades (hosts), each on its own TOR port."},
    {"topology.tor_ports", VDC_KEY_COUNT, FIELD(topology.tor_ports), "10", 1, 4096,
     .doc = "Ports on the top-of-rack switch; must be at least `blades`."},
    {"topology.link_rate", VDC_KEY_RATE, FIELD(topology.link_rate), "100Gbps", 1000000, 1600000000000ULL,
     .doc = "Rate of every blade-to-TOR link, each direction."},
    {"topology.link_delay", VDC_KEY_TIME, FIELD(topology.link_delay), "1us", 0, VDC_SEC,
     .doc = "Propagation delay of every link."},
    {"topology.switch_latency", VDC_KEY_TIME, FIELD(topology.switch_latency), "0", 0, VDC_MS,
     .doc = "Added to every frame a switch forwards (store-and-forward plus this); 0 as in HPCC ns-3."},
    {"topology.leaves", VDC_KEY_COUNT, FIELD(topology.leaves), "4", 1, 1024, .doc = "Leaf switches of `leaf-spine`."},
    {"topology.spines", VDC_KEY_COUNT, FIELD(topology.spines), "2", 1, 1024, .doc = "Spine switches of `leaf-spine`."},
    {"topology.hosts_per_leaf", VDC_KEY_COUNT, FIELD(topology.hosts_per_leaf), "8", 1, 1024,
     .doc = "Hosts under each leaf of `leaf-spine`."},
    {"topology.k", VDC_KEY_COUNT, FIELD(topology.k), "4", 2, 64,
     .doc = "Ports per switch of `fat-tree` (even): k pods, k^3/4 hosts."},
    {"topology.fabric_rate", VDC_KEY_RATE, FIELD(topology.fabric_rate), "100Gbps", 1000000, 1600000000000ULL,
     .doc = "Rate of switch-to-switch links in `leaf-spine` and `fat-tree` (host links use `link_rate`)."},
    {"workload.kind", VDC_KEY_CHOICE, FIELD(workload.kind), "uniform", .choices = workload_kinds,
     .doc = "`uniform`: each host sends messages (flows) to peers chosen uniformly at random; `incast`: many to "
            "one; `poisson`: flows with a size distribution at a given load; `flows`: an HPCC ns-3 flow file; "
            "`none`: no traffic."},
    {"workload.message_size", VDC_KEY_SIZE, FIELD(workload.message_size), "64KiB", 1, 1ULL << 40,
     .doc = "Bytes per message."},
    {"workload.mean_interval", VDC_KEY_TIME, FIELD(workload.mean_interval), "20us", 1, VDC_SEC,
     .doc = "Mean of the exponential time between a blade's messages."},
    {"workload.messages_per_blade", VDC_KEY_COUNT, FIELD(workload.messages_per_blade), "1000", 0, 1000000000,
     .doc = "Messages each blade sends; 0 sends until `run.stop_time`."},
    {"workload.senders", VDC_KEY_COUNT, FIELD(workload.senders), "7", 1, 65535,
     .doc = "`incast`: the first N hosts (other than the receiver) each send one flow."},
    {"workload.receiver", VDC_KEY_COUNT, FIELD(workload.receiver), "0", 0, 65535,
     .doc = "`incast`: the receiving host, by host index (0 is the first host)."},
    {"workload.flow_size", VDC_KEY_SIZE, FIELD(workload.flow_size), "500KB", 1, 1ULL << 40,
     .doc = "`incast`: bytes each sender sends."},
    {"workload.start", VDC_KEY_TIME, FIELD(workload.start), "0", 0, 3600 * VDC_SEC,
     .doc = "`incast`: when the flows start; `poisson`: when arrivals begin."},
    {"workload.distribution", VDC_KEY_CHOICE, FIELD(workload.distribution), "websearch", .choices = distributions,
     .doc = "`poisson`: flow sizes from HPCC's WebSearch or FB Hadoop distribution."},
    {"workload.load", VDC_KEY_REAL, FIELD(workload.load), "0.3", .real_min = 0.001, .real_max = 1.0,
     .doc = "`poisson`: offered load per host as a fraction of its link rate."},
    {"workload.duration", VDC_KEY_TIME, FIELD(workload.duration), "1ms", 1, 3600 * VDC_SEC,
     .doc = "`poisson`: how long flows keep arriving."},
    {"workload.flows_file", VDC_KEY_TEXT, FIELD(workload.flows_file), "",
     .doc = "`flows`: an HPCC ns-3 flow file (`count`, then `src dst pg dport size start_s` lines)."},
    {"workload.priority", VDC_KEY_COUNT, FIELD(workload.priority), "3", 0, 6,
     .doc = "802.1Q priority of generated flows (HPCC's priority group 3); 7 is the control priority."},
    {"fabric.payload", VDC_KEY_SIZE, FIELD(fabric.payload), "1000", 64, 9000,
     .doc = "Payload bytes per data packet (HPCC's 1000)."},
    {"fabric.buffer", VDC_KEY_SIZE, FIELD(fabric.buffer), "32MB", 64 * 1024, 1ULL << 34,
     .doc = "Shared buffer of each switch."},
    {"fabric.pfc", VDC_KEY_BOOL, FIELD(fabric.pfc), "true",
     .doc = "Lossless: per-(port, priority) PFC. false makes the fabric lossy (drops over the threshold)."},
    {"fabric.pfc_reserve", VDC_KEY_SIZE, FIELD(fabric.pfc_reserve), "4KiB", 0, 1ULL << 30,
     .doc = "Guaranteed buffer per ingress (port, priority)."},
    {"fabric.pfc_resume_offset", VDC_KEY_SIZE, FIELD(fabric.pfc_resume_offset), "3KiB", 0, 1ULL << 30,
     .doc = "XON is sent when the shared use plus this is under the threshold."},
    {"fabric.pfc_alpha_shift", VDC_KEY_COUNT, FIELD(fabric.pfc_alpha_shift), "3", 0, 16,
     .doc = "Dynamic threshold = free shared buffer >> shift (alpha = 1/8), one less per doubling of port rate "
            "over the host rate."},
    {"fabric.pfc_headroom", VDC_KEY_SIZE, FIELD(fabric.pfc_headroom), "0", 0, 1ULL << 30,
     .doc = "PFC headroom per port; 0 = rate x delay x 3/8 bytes as HPCC ns-3, or the worst case in flight after "
            "XOFF where that is larger (docs/fabric.md)."},
    {"fabric.pause_expiry", VDC_KEY_BOOL, FIELD(fabric.pause_expiry), "false",
     .doc = "true: a pause lasts `pause_quanta` x 512 bit times and is refreshed while needed; false: until XON."},
    {"fabric.pause_quanta", VDC_KEY_COUNT, FIELD(fabric.pause_quanta), "65535", 1, 65535,
     .doc = "Pause time carried in XOFF frames."},
    {"fabric.ecn", VDC_KEY_BOOL, FIELD(fabric.ecn), "true", .doc = "RED/ECN marking at dequeue."},
    {"fabric.ecn_kmin", VDC_KEY_SIZE, FIELD(fabric.ecn_kmin), "0", 0, 1ULL << 34,
     .doc = "Queue depth where marking starts; 0 = by link rate (100Gbps: 400KB)."},
    {"fabric.ecn_kmax", VDC_KEY_SIZE, FIELD(fabric.ecn_kmax), "0", 0, 1ULL << 34,
     .doc = "Queue depth where every packet is marked; 0 = 4 x Kmin."},
    {"fabric.ecn_pmax", VDC_KEY_REAL, FIELD(fabric.ecn_pmax), "0.2", .real_min = 0.0, .real_max = 1.0,
     .doc = "Marking probability at Kmax."},
    {"fabric.control_priority", VDC_KEY_COUNT, FIELD(fabric.control_priority), "7", 0, 7,
     .doc = "Priority of ACK, NACK and CNP packets."},
    {"fabric.strict_priorities", VDC_KEY_COUNT, FIELD(fabric.strict_priorities), "1", 0, 7,
     .doc = "The highest N priorities are served strictly; the others share by DWRR."},
    {"fabric.dwrr_weights", VDC_KEY_TEXT, FIELD(fabric.dwrr_weights), "1,1,1,1,1,1,1,1",
     .doc = "DWRR (ETS) weights of priorities 0..7, comma-separated, 1 to 100 each."},
    {"fabric.link_error_rate", VDC_KEY_REAL, FIELD(fabric.link_error_rate), "0", .real_min = 0.0, .real_max = 1.0,
     .doc = "Probability that a link loses a frame (corrupted, dropped by the receiver's FCS check), per frame and "
            "direction, on every link of the built-in and SimGrid topologies and on the links of an HPCC file that give 0 "
            "(as HPCC's ERROR_RATE_PER_LINK). "
            "`errors` entries in `faults.schedule` change one link."},
    {"fabric.ecn_by_rate", VDC_KEY_TEXT, FIELD(fabric.ecn_by_rate), "",
     .doc = "ECN thresholds by link rate, `RATE KMIN KMAX PMAX` entries separated by `;` (e.g. `100Gbps 400KB "
            "1600KB 0.2; 400Gbps 800KB 3200KB 0.2`), as HPCC's KMIN_MAP, KMAX_MAP and PMAX_MAP; when given, every "
            "link rate needs an entry and it overrides `ecn_kmin`, `ecn_kmax` and `ecn_pmax`."},
    {"transport.model", VDC_KEY_CHOICE, FIELD(transport.model), "roce", .choices = transport_models,
     .doc = "Host transport and switch details: `roce` (real RoCEv2 frames, CNPs as ConnectX NICs send them, "
            "retransmit timeout) or `hpcc-ns3` (HPCC ns-3's NIC and switch: its header sizes, ECN echoed in ACKs, "
            "its ns timing, ECMP hash and INT). docs/fabric.md lists every difference."},
    {"transport.cc", VDC_KEY_CHOICE, FIELD(transport.cc), "dcqcn", .choices = congestion_controls,
     .doc = "Congestion control at the senders: `dcqcn`, `hpcc`, `timely`, `dctcp` (those three with the hpcc-ns3 "
            "model) or `none`."},
    {"transport.ack_interval", VDC_KEY_COUNT, FIELD(transport.ack_interval), "1", 0, UINT32_MAX,
     .doc = "hpcc-ns3: HPCC's L2_ACK_INTERVAL, compared in its code with bytes received (docs/fabric.md)."},
    {"transport.chunk", VDC_KEY_SIZE, FIELD(transport.chunk), "4000", 0, UINT32_MAX,
     .doc = "hpcc-ns3: HPCC's L2_CHUNK_SIZE: ACK at every chunk boundary; 0 for none."},
    {"transport.back_to_zero", VDC_KEY_BOOL, FIELD(transport.back_to_zero), "false",
     .doc = "hpcc-ns3: HPCC's L2_BACK_TO_ZERO: a NACK rewinds to a chunk boundary."},
    {"transport.window", VDC_KEY_BOOL, FIELD(transport.window), "false",
     .doc = "hpcc-ns3: HPCC's HAS_WIN: at most one BDP in flight per flow."},
    {"transport.variable_window", VDC_KEY_BOOL, FIELD(transport.variable_window), "false",
     .doc = "hpcc-ns3: HPCC's VAR_WIN: the window scales with the flow's rate."},
    {"transport.global_rtt", VDC_KEY_BOOL, FIELD(transport.global_rtt), "true",
     .doc = "hpcc-ns3: HPCC's GLOBAL_T: the largest base RTT (and its BDP) for every flow, else the pair's."},
    {"transport.rate_bound", VDC_KEY_BOOL, FIELD(transport.rate_bound), "true",
     .doc = "hpcc-ns3: HPCC's RATE_BOUND: pace each flow at its rate (else at line rate)."},
    {"transport.ack_high_priority", VDC_KEY_BOOL, FIELD(transport.ack_high_priority), "false",
     .doc = "hpcc-ns3: HPCC's ACK_HIGH_PRIO: ACKs in the strict queue (else in the data's priority)."},
    {"transport.dcqcn_clamp_target", VDC_KEY_BOOL, FIELD(transport.dcqcn_clamp_target), "false",
     .doc = "DCQCN: every cut sets the target to the current rate (HPCC's CLAMP_TARGET_RATE), not only cuts after "
            "an increase."},
    {"transport.hpcc_fast_react", VDC_KEY_BOOL, FIELD(transport.hpcc_fast_react), "true",
     .doc = "HPCC: react to every ACK (FAST_REACT), not once per RTT."},
    {"transport.hpcc_multi_rate", VDC_KEY_BOOL, FIELD(transport.hpcc_multi_rate), "true",
     .doc = "HPCC: one rate per hop (MULTI_RATE)."},
    {"transport.hpcc_sample_feedback", VDC_KEY_BOOL, FIELD(transport.hpcc_sample_feedback), "false",
     .doc = "HPCC: SAMPLE_FEEDBACK."},
    {"transport.hpcc_target_util", VDC_KEY_REAL, FIELD(transport.hpcc_target_util), "0.95", .real_min = 0.01,
     .real_max = 1.0, .doc = "HPCC: target utilization eta (U_TARGET)."},
    {"transport.hpcc_mi_thresh", VDC_KEY_COUNT, FIELD(transport.hpcc_mi_thresh), "5", 0, 1000000,
     .doc = "HPCC: additive steps before a multiplicative one (MI_THRESH, maxStage)."},
    {"transport.hpcc_int_multi", VDC_KEY_COUNT, FIELD(transport.hpcc_int_multi), "1", 1, 1000000,
     .doc = "HPCC: unit multiplier of the INT byte and queue fields (INT_MULTI)."},
    {"transport.dctcp_rate_ai", VDC_KEY_RATE, FIELD(transport.dctcp_rate_ai), "1000Mbps", 0, 1600000000000ULL,
     .doc = "DCTCP: additive increase per window (DCTCP_RATE_AI)."},
    {"transport.nack_interval", VDC_KEY_TIME, FIELD(transport.nack_interval), "500us", 0, VDC_SEC,
     .doc = "A receiver NACKs a flow at most once per interval for the same gap."},
    {"transport.retransmit_timeout", VDC_KEY_TIME, FIELD(transport.retransmit_timeout), "1ms", VDC_US, VDC_SEC,
     .doc = "No ACK progress for this long sends the flow back to its first unacknowledged packet."},
    {"transport.cnp_interval", VDC_KEY_TIME, FIELD(transport.cnp_interval), "4us", 0, VDC_MS,
     .doc = "A receiver sends at most one CNP per flow per interval."},
    {"transport.dcqcn_g", VDC_KEY_REAL, FIELD(transport.dcqcn_g), "0.00390625", .real_min = 0.0, .real_max = 1.0,
     .doc = "Alpha gain g (1/256)."},
    {"transport.dcqcn_alpha_interval", VDC_KEY_TIME, FIELD(transport.dcqcn_alpha_interval), "1us", VDC_NS, VDC_SEC,
     .doc = "Alpha update period."},
    {"transport.dcqcn_decrease_interval", VDC_KEY_TIME, FIELD(transport.dcqcn_decrease_interval), "4us", VDC_NS,
     VDC_SEC, .doc = "At most one rate cut per period."},
    {"transport.dcqcn_increase_interval", VDC_KEY_TIME, FIELD(transport.dcqcn_increase_interval), "900us", VDC_NS,
     VDC_SEC, .doc = "Rate-increase timer."},
    {"transport.dcqcn_fast_recovery", VDC_KEY_COUNT, FIELD(transport.dcqcn_fast_recovery), "1", 0, 1000,
     .doc = "Increase events spent in fast recovery before additive increase."},
    {"transport.dcqcn_rate_ai", VDC_KEY_RATE, FIELD(transport.dcqcn_rate_ai), "50Mbps", 0, 1600000000000ULL,
     .doc = "Additive increase step of the target rate (DCQCN; HPCC's and TIMELY's RATE_AI too)."},
    {"transport.dcqcn_rate_hai", VDC_KEY_RATE, FIELD(transport.dcqcn_rate_hai), "100Mbps", 0, 1600000000000ULL,
     .doc = "Hyper increase step of the target rate (DCQCN; TIMELY's RATE_HAI too)."},
    {"transport.dcqcn_min_rate", VDC_KEY_RATE, FIELD(transport.dcqcn_min_rate), "100Mbps", 1000000,
     1600000000000ULL, .doc = "Lowest rate a cut can reach (every congestion control's MIN_RATE)."},
    {"faults.schedule", VDC_KEY_LIST, FIELD(faults.schedule), "", .check = vdc_fault_list_check,
     .doc = "Faults, applied in time order (list order at equal times), each `TIME ACTION TARGET`: `down NODE/NODE`, "
            "`up NODE/NODE`, `flap NODE/NODE period TIME until TIME`, `fail-port SWITCH/PEER` (or `SWITCH:N`), "
            "`repair-port SWITCH/PEER`, `stuck HOST` (its receiver stops draining and pauses its link for good), "
            "`errors NODE/NODE P` (from then on the link loses each frame with probability P). Nodes by the names "
            "of counters.csv; e.g. `200us down leaf0/spine1; 1ms up leaf0/spine1`. docs/fabric.md has the model."},
    {"faults.reroute_delay", VDC_KEY_TIME, FIELD(faults.reroute_delay), "100us", 0, VDC_SEC,
     .doc = "Routing convergence: every switch's tables are recomputed this long after a link or port changes."},
    {"output.sample_interval", VDC_KEY_TIME, FIELD(output.sample_interval), "100us", 0, VDC_SEC,
     .doc = "Period of the queue-depth and link-utilization series (`queues.csv` in `--out`, idle ports left "
            "out); 0: none."},
    {"output.fct_file", VDC_KEY_TEXT, FIELD(output.fct_file), "",
     .doc = "Where fct.txt goes (HPCC's FCT_OUTPUT_FILE); empty: into `--out`."},
    {"output.pfc_file", VDC_KEY_TEXT, FIELD(output.pfc_file), "",
     .doc = "Where pfc.txt goes (HPCC's PFC_OUTPUT_FILE); empty: into `--out`."},
    {"output.qlen_file", VDC_KEY_TEXT, FIELD(output.qlen_file), "",
     .doc = "HPCC's queue-length histograms (QLEN_MON_FILE): every switch port's egress bytes sampled each 100 ns "
            "from `qlen_start` to `qlen_end`, written in its format; empty: none."},
    {"output.qlen_start", VDC_KEY_TIME, FIELD(output.qlen_start), "2s", 0, UINT64_MAX,
     .doc = "First queue-length sample (QLEN_MON_START)."},
    {"output.qlen_end", VDC_KEY_TIME, FIELD(output.qlen_end), "2.1s", 0, UINT64_MAX,
     .doc = "Last queue-length sample (QLEN_MON_END)."},
    {"guests.program", VDC_KEY_TEXT, FIELD(guests.program), "",
     .doc = "Guest program each blade runs on its vCPU: an ELF path, or `guest:NAME` for `build/guest/NAME.elf` "
            "beside the vdc binary; empty runs no guests."},
    {"guests.args", VDC_KEY_TEXT, FIELD(guests.args), "", .doc = "Arguments for the program (its `bootargs`)."},
    {"guests.count", VDC_KEY_COUNT, FIELD(guests.count), "0", 0, 4096,
     .doc = "Number of guests, named `blade0`, `blade1`, ... with ranks 0, 1, ...; 0 means one per blade."},
    {"guests.memory", VDC_KEY_SIZE, FIELD(guests.memory), "64MiB", 4ULL << 20, 3ULL << 30,
     .doc = "RAM of each guest, a multiple of 2MiB."},
    {"guests.exit_cost", VDC_KEY_TIME, FIELD(guests.exit_cost), "1us", 0, VDC_MS,
     .doc = "Virtual time charged for each exit from a guest to the VMM."},
    {"guests.vcpu", VDC_KEY_CHOICE, FIELD(guests.vcpu), "auto", .choices = vcpu_backends,
     .doc = "What runs the guests' vCPUs: `kvm`, the `emulated` x86-64 CPU (Unicorn), or `auto`: KVM when "
            "/dev/kvm can be opened, else the emulator. Both give the same outputs and digest (docs/guest-abi.md)."},
    {"guests.runaway", VDC_KEY_TIME, FIELD(guests.runaway), "10s", VDC_MS, 3600 * VDC_SEC,
     .doc = "On KVM: wall-clock time a guest may run without an exit before it is stopped as a runaway."},
    {"guests.runaway_instructions", VDC_KEY_COUNT, FIELD(guests.runaway_instructions), "10000000000", 1000,
     UINT64_MAX,
     .doc = "On the emulator: instructions a guest may retire without an exit before it is stopped as a "
            "runaway, at the same instruction on every run."},
    {"guests.cpu_time", VDC_KEY_CHOICE, FIELD(guests.cpu_time), "exits", .choices = cpu_time_models,
     .doc = "Guest CPU time: `exits` charges `exit_cost` per exit plus compute annotations (both backends); "
            "`instructions` also charges `instruction_time` per retired instruction (emulator only)."},
    {"guests.instruction_time", VDC_KEY_TIME, FIELD(guests.instruction_time), "0.5ns", 1, VDC_US,
     .doc = "Virtual time of one retired guest instruction when `cpu_time` is `instructions`."},
    {"guests.on_failure", VDC_KEY_CHOICE, FIELD(guests.on_failure), "stop", .choices = failure_policies,
     .doc = "When a guest faults or runs away: `stop` the run, or `continue` with the other guests."},
    {"checks.min_delivered", VDC_KEY_COUNT, FIELD(checks.min_delivered), "0", 0, UINT64_MAX,
     .doc = "The run fails (exit 1) if fewer flows (messages) completed."},
    {"checks.max_mean_latency", VDC_KEY_TIME, FIELD(checks.max_mean_latency), "0", 0, UINT64_MAX,
     .doc = "The run fails (exit 1) if the mean flow completion time is higher; 0 means no limit."},
};
const size_t vdc_key_count = sizeof vdc_keys / sizeof vdc_keys[0];

/* The groups other parts add (their keys after the scenario's own), and the running totals. */
#define KEY_GROUPS_MAX 16
static const struct vdc_key_group *key_groups[KEY_GROUPS_MAX];
static size_t key_group_count, key_group_keys;

size_t vdc_keys_add_group(const struct vdc_key_group *group)
{
    for (size_t g = 0; g < key_group_count; g++) {
        if (key_groups[g] == group)
            return g;
    }
    if (key_group_count == KEY_GROUPS_MAX)
        vdc_die("more than %d key groups", KEY_GROUPS_MAX);
    key_groups[key_group_count] = group;
    key_group_keys += group->count;
    return key_group_count++;
}

size_t vdc_key_groups(void)
{
    return key_group_count;
}

const struct vdc_key_group *vdc_key_group_at(size_t group)
{
    return key_groups[group];
}

size_t vdc_key_total(void)
{
    return vdc_key_count + key_group_keys;
}

/* The group holding key `index` (or key_group_count for the scenario's own) and the key's place in it. */
static size_t group_of(size_t index, size_t *within)
{
    if (index < vdc_key_count) {
        *within = index;
        return key_group_count;
    }
    index -= vdc_key_count;
    for (size_t g = 0; g < key_group_count; g++) {
        if (index < key_groups[g]->count) {
            *within = index;
            return g;
        }
        index -= key_groups[g]->count;
    }
    vdc_die("key index past the last key");
}

const struct vdc_key *vdc_key_at(size_t index)
{
    size_t within, g = group_of(index, &within);
    return g == key_group_count ? &vdc_keys[within] : &key_groups[g]->keys[within];
}

void *vdc_key_record(struct vdc_scenario *sc, size_t index)
{
    size_t within, g = group_of(index, &within);
    if (g == key_group_count)
        return sc;
    assert(g < sc->group_count); /* the scenario was initialized after the group was added */
    return sc->group_records[g];
}

bool vdc_key_assign_at(struct vdc_scenario *sc, size_t index, const char *path, const char *text,
                       struct vdc_error *err)
{
    return vdc_key_store(vdc_key_record(sc, index), vdc_key_at(index), path, text, err);
}

static const struct {
    const char *path, *instead;
} retired_keys[] = {
    {"faults.link", "write the fault into faults.schedule, e.g. '200us down pod0-agg0/core0; 1ms up pod0-agg0/core0'"},
    {"faults.down_at", "write '200us down NODE/NODE' into faults.schedule"},
    {"faults.up_at", "write '1ms up NODE/NODE' into faults.schedule"},
    {"faults.flap_period", "write '200us flap NODE/NODE period 100us until 1ms' into faults.schedule"},
    {"faults.stuck_host", "write '50us stuck HOST' into faults.schedule"},
    {"transport.dcqcn", "write transport.cc: dcqcn (or none)"},
    {"faults.stuck_at", "write '50us stuck HOST' into faults.schedule"},
};

const char *vdc_key_retired(const char *path)
{
    for (size_t i = 0; i < sizeof retired_keys / sizeof retired_keys[0]; i++) {
        if (strcmp(retired_keys[i].path, path) == 0)
            return retired_keys[i].instead;
    }
    return NULL;
}

int vdc_key_find(const char *path)
{
    for (size_t i = 0; i < vdc_key_total(); i++) {
        if (strcmp(vdc_key_at(i)->path, path) == 0)
            return (int)i;
    }
    for (size_t i = 0; i < vdc_key_total(); i++) {
        const struct vdc_key *key = vdc_key_at(i);
        size_t n = vdc_key_family_prefix(key);
        if (key->type == VDC_KEY_FAMILY && strncmp(key->path, path, n) == 0 && path[n] != '\0')
            return (int)i;
    }
    return -1;
}

bool vdc_key_is_section(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < vdc_key_total(); i++) {
        if (strncmp(vdc_key_at(i)->path, path, n) == 0 && vdc_key_at(i)->path[n] == '.')
            return true;
    }
    return false;
}

void vdc_key_children(const char *section, char *buf, size_t size)
{
    size_t prefix = strlen(section), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < vdc_key_total(); i++) {
        const char *path = vdc_key_at(i)->path;
        if (prefix > 0 && (strncmp(path, section, prefix) != 0 || path[prefix] != '.'))
            continue;
        const char *child = path + (prefix > 0 ? prefix + 1 : 0);
        size_t len = strcspn(child, ".");
        bool seen = false; /* keys of one section are adjacent in the table, but be exact */
        for (size_t j = 0; j < i && !seen; j++) {
            const char *other = vdc_key_at(j)->path;
            if (prefix > 0 && (strncmp(other, section, prefix) != 0 || other[prefix] != '.'))
                continue;
            const char *other_child = other + (prefix > 0 ? prefix + 1 : 0);
            seen = strcspn(other_child, ".") == len && strncmp(other_child, child, len) == 0;
        }
        if (seen)
            continue;
        int written = snprintf(buf + used, size - used, "%s%.*s", used ? ", " : "", (int)len, child);
        if (written < 0 || (size_t)written >= size - used)
            return;
        used += (size_t)written;
    }
}

void vdc_keys_write_markdown(FILE *out)
{
    fputs("| key | value | default | what it does |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < vdc_key_total(); i++) {
        const struct vdc_key *key = vdc_key_at(i);
        char expected[256], range[160];
        vdc_key_expected(key, expected, sizeof expected);
        vdc_key_range(key, range, sizeof range);
        fprintf(out, "| `%s` | %s%s | `%s` | %s |\n", key->path, expected, range,
                key->default_text[0] ? key->default_text : "\"\"", key->doc);
    }
}
