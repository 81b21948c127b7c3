/* A model of HiNIC for host tests of the guest verbs library (compiled into it, with its register accesses
 * hooked): one NIC whose QPs are connected to QPs of the same NIC, plus the runtime functions the library and
 * guest programs call (allocator, device tree, clock at 250 ns per exit, WAIT, rank 0, bootargs). */
#ifndef VDC_CHECK_HINIC_MODEL_H
#define VDC_CHECK_HINIC_MODEL_H

#define MODEL_NIC_IPV4 0x0b000001u /* fabric host 0, rank 0: so a bootstrap toward rank 0 reaches this NIC */
#define MODEL_NIC_CAUSE (1u << 3)

/* What the model saw; a CQ overrun or a send finding no receive posted is a library bug. */
struct hinic_model_counts {
    unsigned commands, sq_doorbells, rq_doorbells, cq_doorbells, overruns, rnr;
};
extern struct hinic_model_counts hinic_model_counts;

/* Forgets every object and count and builds the device tree: the NIC, and with `peer_gids` a vdc,peer-gids
 * that puts ranks 0 and 1 both on this NIC (so rank 0's peer is itself). */
void hinic_model_reset(int peer_gids);
void hinic_model_set_bootargs(const char *args);

#endif
