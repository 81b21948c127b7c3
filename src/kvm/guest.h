/* A guest: its RAM and one vCPU (KVM or emulated, vcpu.h) that is a scheduler entity, run only when it is the
 * earliest thing in the queue; and what the sim-control device does to it (exit, wait, compute, console). */
#ifndef VDC_KVM_GUEST_H
#define VDC_KVM_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scheduler/sim.h"
#include "kvm/mmio_bus.h"
#include "kvm/guest_memory.h"
#include "kvm/vcpu.h"

enum vdc_guest_state {
    VDC_GUEST_RUNNABLE,
    VDC_GUEST_WAITING,
    VDC_GUEST_EXITED,  /* EXIT(code) */
    VDC_GUEST_FAULTED, /* an exception, an access to nowhere, a bad device argument */
    VDC_GUEST_RUNAWAY, /* no exit within the runaway limit (wall time on KVM, instructions emulated) */
};

/* RUN enters the guest; WAKE ends a WAIT at its deadline; EXIT handles an exit whose instructions were charged. */
enum vdc_guest_event { VDC_GUEST_EV_RUN, VDC_GUEST_EV_WAKE, VDC_GUEST_EV_EXIT };

struct vdc_guest_config {
    const char *name;
    uint32_t rank, node_id;
    uint64_t memory_size;
    vdc_time exit_cost;      /* virtual time charged for each exit */
    enum vdc_vcpu_backend vcpu;
    double runaway_seconds;  /* KVM: wall-clock time without an exit after which the guest is stopped */
    uint64_t runaway_instructions; /* emulator: retired instructions without an exit after which it is stopped */
    vdc_time instruction_time; /* emulator: virtual time of each retired instruction; 0 charges exits only */
    FILE *console;           /* where stamped console lines go */
    const char *bootargs;    /* arguments for the program, in the device tree's /chosen/bootargs */
    const char *program_path; /* for messages about the program file */
    bool stop_run_on_failure; /* a fault or a runaway stops the whole run (else the others go on) */
    struct vdc_copier *copier; /* the thread that moves the guests' bulk DMA (guest_memory.h); NULL: none */
    /* Adds the guest's devices to its MMIO bus after simctl and before the device tree is built; NULL: none. */
    bool (*attach_devices)(struct vdc_guest *g, void *context, struct vdc_error *err);
    void *attach_context;
    /* Called once when the guest ends (exit, fault or runaway), at that virtual time; NULL: nothing. */
    void (*on_end)(struct vdc_guest *g, void *context);
};

/* Memory of a device of the blade that its other devices reach by DMA, peer to peer across PCIe (a GPU's memory,
 * for GPUDirect RDMA): addresses [base, base + size) of the blade's physical space. `valid`: the range is the
 * device's (allocated); `read` copies it as it is now; `write` lands it one crossing later, in the owner's time.
 * `behind_switch`: the device sits under the blade's PCIe switch (else on a root port of its own). */
struct vdc_peer_memory {
    uint64_t base, size;
    bool behind_switch;
    void *owner;
    bool (*valid)(void *owner, uint64_t addr, uint64_t length);
    void (*read)(void *owner, uint64_t addr, void *dst, uint64_t length);
    void (*write)(void *owner, uint64_t addr, const void *src, uint64_t length);
};
#define VDC_PEER_MEMORY_MAX 4

struct vdc_guest {
    struct vdc_guest_config config;
    char *name;
    struct vdc_guest_memory memory;
    struct vdc_vcpu vcpu;
    struct vdc_vcpu_exit exit; /* the last exit, handled now or after its instructions' time */
    bool exit_pending;         /* the next RUN's instructions have run ahead of its handler, up to `exit` */
    struct vdc_entity *entity;
    struct vdc_mmio_bus bus;
    enum vdc_guest_state state;
    int exit_code;
    char report[768];        /* what ended the guest, when it did not exit by itself */
    uint64_t exits;
    uint64_t instructions;    /* retired instructions charged (guests.cpu_time=instructions) */
    uint64_t dtb_address;     /* where the device tree sits in guest memory */
    vdc_time pending_compute; /* compute annotations to charge before the next run */
    /* WAIT in progress. */
    uint64_t wait_block;     /* guest address of the struct simctl_wait */
    uint64_t wait_mask;
    uint64_t wait_epoch;     /* tags deadline events, so a wait ended by a cause ignores its old deadline */
    uint64_t causes;         /* raised and not yet returned */
    /* Console line being assembled. */
    char line[4096];
    size_t line_len;
    struct vdc_peer_memory peer_memory[VDC_PEER_MEMORY_MAX];
    uint32_t peer_memory_count;
};

/* Creates the VM, loads the ELF program, builds the tables and the device tree, registers the vCPU
 * entity under `entity_id` and schedules its first run at time 0. */
bool vdc_guest_create(struct vdc_guest *g, struct vdc_sim *sim, uint32_t entity_id, const struct vdc_guest_config *cfg,
                      const uint8_t *elf, size_t elf_size, struct vdc_error *err);
void vdc_guest_destroy(struct vdc_guest *g);

/* How the guest ended, for reports: "exited with 3", "faulted: #PF ...", "stopped: ran away ...",
 * "did not finish (waiting)". */
void vdc_guest_describe_end(const struct vdc_guest *g, char *buf, size_t size);

/* A device's memory made reachable by the blade's other devices (false when the blade has no room for more). */
bool vdc_guest_add_peer_memory(struct vdc_guest *g, const struct vdc_peer_memory *m);
/* The device memory whose window holds all of [addr, addr + length), allocated or not; NULL when none does. */
const struct vdc_peer_memory *vdc_guest_peer_window(const struct vdc_guest *g, uint64_t addr, uint64_t length);
/* The device memory holding all of [addr, addr + length), allocated there; NULL when none does. */
const struct vdc_peer_memory *vdc_guest_peer_memory(const struct vdc_guest *g, uint64_t addr, uint64_t length);

/* Raises cause bits (a device's interrupt): ends a WAIT that waits for any of them. */
void vdc_guest_raise(struct vdc_guest *g, uint64_t causes);

/* Ends the guest with a fault report (from a device or the exit loop). */
void vdc_guest_fault(struct vdc_guest *g, const char *what);

/* A WAKE event (a WAIT's deadline) ends the WAIT it was made for, and only that one; true when `ev` was one. */
bool vdc_guest_take_wake(struct vdc_guest *g, const struct vdc_event *ev);

/* Ends a WAIT now: writes the causes to the guest's block and resumes it after the exit cost. */
void vdc_guest_end_wait(struct vdc_guest *g, uint64_t causes);

/* What the sim-control device does to its guest (simctl.c). */
void vdc_guest_exit(struct vdc_guest *g, int code);
/* Starts a WAIT described by the struct simctl_wait at `block_address`; false (with err) for a bad block. */
bool vdc_guest_start_wait(struct vdc_guest *g, uint64_t block_address, struct vdc_error *err);
/* Adds a compute annotation, charged before the guest runs again. */
void vdc_guest_charge_compute(struct vdc_guest *g, uint64_t nanoseconds);
/* Appends console text; lines go out stamped with the virtual time. */
void vdc_guest_console_write(struct vdc_guest *g, const uint8_t *text, size_t len);
/* Writes out a console line still being assembled (when the guest ends). */
void vdc_guest_console_flush(struct vdc_guest *g);

#endif
