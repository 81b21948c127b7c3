/* HiGPU device state shared by its parts: registers and the command queues (higpu_device.c), command execution
 * (higpu_commands.c), transfers between guest and device memory (higpu_copy.c), what reaches device memory from
 * outside the SMs (higpu_timeline.c), the compute engine (higpu_kernel.c) and the HiLink port (higpu_peer.c). */
#ifndef VDC_DEVICES_HIGPU_INTERNAL_H
#define VDC_DEVICES_HIGPU_INTERNAL_H

#include "kvm/mmio_bus.h"
#include "scheduler/sim.h"
#include "gpu/gpu.h"
#include "devices/higpu/higpu.h"
#include "devices/higpu/higpu_regs.h"
#include "common/index_heap.h"
#include "common/slot_pool.h"
#include "devices/hilink/hilink_port.h"

/* Events on the GPU's entity: kind, arg = index | epoch << 32 | queue << 56 (epoch: the queue's configuration, so
 * that events of a queue since replaced are dropped). */
enum higpu_event {
    HIGPU_EV_DOORBELL = 1, /* index: the producer index the guest wrote */
    HIGPU_EV_START,        /* the next command has been fetched: run it */
    HIGPU_EV_FINISH,       /* the running command's time is over */
    HIGPU_EV_ARRIVE,       /* index: the command whose completion reaches guest memory */
    HIGPU_EV_WINDOW,       /* on the engine's entity: the running launch's next window */
    HIGPU_EV_MEMORY_DUE,   /* on the engine's entity: a timeline entry's time (higpu_timeline.c) */
    HIGPU_EV_MAIL,         /* index: the mail slot of a message that lands in the mailbox now (higpu_ipc.c) */
    HIGPU_EV_PEER_CHECK,   /* on the engine's entity; arg: a copy to a peer: has it made progress lately? */
};

/* What a command occupies while it runs besides its queue: a queue whose next command needs a busy engine waits.
 * A kernel and a copy to a peer never run together (the peer copy reads its source as its packets leave, which a
 * kernel running ahead of virtual time could have written already). */
enum higpu_engine {
    HIGPU_ENGINE_NONE = 0,   /* the queue's own front end: allocation, modules, events, queries */
    HIGPU_ENGINE_COMPUTE,    /* LAUNCH */
    HIGPU_ENGINE_COPY_IN,    /* COPY_H2D */
    HIGPU_ENGINE_COPY_OUT,   /* COPY_D2H */
    HIGPU_ENGINE_COPY_LOCAL, /* COPY_D2D, MEMSET */
    HIGPU_ENGINE_COPY_PEER,  /* COPY_PEER */
    HIGPU_ENGINE_COUNT
};

/* A command queue, as its registers set it: commands run in order, one at a time. */
struct higpu_queue {
    uint64_t queue_base, completion_base;
    uint32_t queue_size;           /* 0: off */
    uint32_t epoch;
    uint32_t producer;             /* doorbells seen */
    uint32_t started;              /* commands fetched (the running or waiting one included) */
    uint32_t consumer;             /* completions written */
    bool running;                  /* a command is being fetched, waits or runs */
    bool waiting;                  /* `command` waits for its engine or an event */
    struct higpu_command command;  /* the fetched command */
    struct higpu_completion current;          /* the running command's, filled when it starts */
    struct higpu_completion *pending;         /* queue_size slots: completions on their way, by index */
};

/* Something that reaches device memory from outside the SMs at `time` (higpu_timeline.c). */
enum higpu_memory_op_kind {
    HIGPU_MEMORY_PEER = 1,     /* a HiLink packet: a peer's write, request or red */
    HIGPU_MEMORY_TRANSFER = 2, /* a copy engine's transfer (COPY_H2D, COPY_D2H, COPY_D2D, MEMSET) */
};
struct higpu_memory_op {
    vdc_time time;
    uint64_t seq;
    uint8_t kind;
    union {
        struct hilink_packet packet;
        struct { struct higpu_command command; uint32_t queue, index; } transfer;
    };
};

#define HIGPU_BOUNCE_BYTES (64u << 10) /* copies move through a buffer of this size */

struct higpu_module_slot {
    struct gpu_module *module;  /* NULL: free */
    uint16_t generation;        /* in the handle, so a stale handle of a reused slot does not match */
};

struct higpu {
    struct vdc_guest *guest;
    struct vdc_entity *entity;
    struct gpu *gpu;
    uint64_t base;
    struct higpu_params params;
    uint64_t pcie_bandwidth;
    FILE *log;
    uint64_t last_error;
    vdc_time created_at;

    struct higpu_queue queues[HIGPU_MAX_QUEUES];
    uint64_t message_base, message_size;
    int8_t engine_queue[HIGPU_ENGINE_COUNT];  /* the queue whose command holds each engine, -1: free */

    /* The compute engine (higpu_kernel.c): the launch it runs, NULL when none, window by window. */
    struct vdc_entity *engine;     /* its window events, kept off the GPU's own entity and out of the digest */
    struct gpu_run *kernel;
    uint32_t kernel_queue;         /* the queue of the LAUNCH it runs */
    vdc_time kernel_start_ps;      /* the virtual time of the launch's first cycle */
    vdc_time window_ps;
    bool window_advanced;          /* the pending window's instructions already issued (higpu_kernel_advance) */
    bool window_over;              /* and whether the launch ended in them */
    char kernel_name[HIGPU_MAX_NAME + 1];

    /* Its HiLink port (higpu_peer.c); port.fabric NULL when it is on none. */
    struct hilink_port port;
    /* The COPY_PEER running (higpu_peer_copy.c): pushing (the port sends, the acknowledgement ends it) or pulling
     * (read requests it sends, the replies landing in its memory; the last ends it). */
    bool peer_copy_running;
    bool peer_copy_pulls;
    uint32_t peer_copy_queue;
    uint64_t peer_copy_serial;     /* the copy's tag on the wire: what comes back for one given up is ignored */
    vdc_time peer_copy_started, peer_copy_progress;
    struct { uint32_t place; uint64_t src, dst, length, requested, landed; } pull;

    /* What reaches device memory from outside the SMs, by (time, seq) (higpu_timeline.c). */
    struct vdc_slot_pool memory_ops; /* struct higpu_memory_op */
    uint64_t memory_op_seq;
    struct vdc_index_heap memory_timeline;

    /* IPC exports and the mailbox (higpu_ipc.c). */
    struct higpu_export { uint64_t address, size; uint32_t serial; bool live; } exports[HIGPU_MAX_EXPORTS];
    uint32_t export_serial;
    struct higpu_mail { uint32_t from, bytes; uint8_t data[HIGPU_MAIL_BYTES]; } mailbox[HIGPU_MAILBOX_MESSAGES];
    struct vdc_slot_pool mail_slots; /* struct higpu_mail, landing */
    uint32_t mail_head, mail_count; /* mailbox: landed, oldest at mail_head */

    struct higpu_module_slot modules[HIGPU_MAX_MODULES];
    bool event_recorded[HIGPU_MAX_EVENTS];
    vdc_time event_time[HIGPU_MAX_EVENTS];
    uint32_t event_sequence[HIGPU_MAX_EVENTS]; /* the sequence of the latest record reached */

    uint8_t *bounce;               /* HIGPU_BOUNCE_BYTES */
    char message[HIGPU_MAX_MESSAGE];

    /* Device-tree property storage (big-endian values). */
    uint64_t dt_memory_be;
    uint32_t dt_sm_count_be, dt_clock_khz_be, dt_place_be, dt_gpus_be;
    struct vdc_dt_property properties[6];
    struct higpu_stats stats;
};

/* higpu_device.c */
bool higpu_mmio(void *device, struct vdc_guest *guest, struct vdc_mmio_access *access, struct vdc_error *err);
/* Logs a guest error (counted always, printed for the first few) and remembers it in LAST_ERROR. */
void higpu_log(struct higpu *gpu, enum higpu_error code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
vdc_time higpu_now(const struct higpu *gpu);
/* PCIe time to move `bytes` across the link (no latency). */
vdc_time higpu_pcie_transfer(const struct higpu *gpu, uint64_t bytes);

/* Ends queue `queue`'s running command at `end`: its completion goes out then. */
void higpu_command_ends(struct higpu *gpu, uint32_t queue, vdc_time end);

/* higpu_commands.c: runs queue `queue`'s command `c` at its start time: its effects happen now (a transfer's when its
 * set-up is over, through the timeline), its completion is filled in `out` and the time it occupies the queue is
 * returned; a launch instead leaves the compute engine running (gpu->kernel), and a copy to a peer the port
 * sending, either of which ends the command itself. */
vdc_time higpu_execute(struct higpu *gpu, uint32_t queue, uint32_t index, const struct higpu_command *c,
                       struct higpu_completion *out);
/* The engine a command occupies. */
enum higpu_engine higpu_engine_of(uint32_t opcode);
/* Starts the commands that wait, as far as they now can (an engine freed, an event recorded, a message landed). */
void higpu_start_waiting(struct higpu *gpu);

/* higpu_ipc.c: IPC_EXPORT, IPC_IMPORT, MAIL_SEND and MAIL_RECV (a status, a message in `why`; `time` gains what the
 * command takes beyond the command time); a MEM_FREE's end of the exports of that allocation; a message landing
 * (the port's MAIL packet, then its event); whether a MAIL_RECV can start. */
enum higpu_status higpu_ipc_command(struct higpu *gpu, const struct higpu_command *c, struct higpu_completion *out,
                                    char *why, vdc_time *time);
void higpu_ipc_freed(struct higpu *gpu, uint64_t address);
void higpu_mail_lands(struct higpu *gpu, const struct hilink_packet *p, vdc_time arrive);
void higpu_mail_event(struct higpu *gpu, uint32_t slot);
bool higpu_mail_waiting(const struct higpu *gpu);
void higpu_ipc_free(struct higpu *gpu);
/* Fills the completion's status; a failure is logged and its message (gpu->message) written for the guest. */
void higpu_conclude(struct higpu *gpu, uint32_t index, enum higpu_status status, struct higpu_completion *out);
/* A finished launch's counters and completion fields; its status (a fault's message in gpu->message). */
enum higpu_status higpu_kernel_status(struct higpu *gpu, const struct gpu_launch_stats *stats,
                                      const struct gpu_fault *fault, struct higpu_completion *out);

/* higpu_kernel.c: the compute engine. Begin: `run` was started by a command whose set-up ends at `ready`; its first
 * window runs when the command's start is over (higpu_kernel_window). */
void higpu_kernel_begin(struct higpu *gpu, struct gpu_run *run, const char *name, vdc_time ready);
void higpu_kernel_window(struct higpu *gpu);
void higpu_kernel_on_event(struct vdc_entity *self, const struct vdc_event *ev);
void higpu_kernel_advance(struct vdc_entity *self, const struct vdc_event *ev);

/* higpu_timeline.c: what reaches device memory from outside the SMs, applied when the GPU reaches its time. */
void higpu_timeline_init(struct higpu *gpu);
void higpu_timeline_add_packet(struct higpu *gpu, const struct hilink_packet *p, vdc_time time);
/* The `src` of a store that came across PCIe from another device of the blade (its NIC), not over HiLink. */
#define HIGPU_FROM_PCIE 0xFFFFu
/* Makes its memory reachable by the blade's other devices (higpu_pcie_peer.c). */
void higpu_join_pcie_peers(struct higpu *gpu);
void higpu_timeline_add_transfer(struct higpu *gpu, uint32_t queue, uint32_t index, const struct higpu_command *c,
                                 vdc_time time);
/* Device memory as it is at `t` (no kernel running): everything due by then applied. */
void higpu_timeline_catch_up(struct higpu *gpu, vdc_time t);
/* Hands the running launch what is due before `limit`, each at its cycle. */
void higpu_timeline_feed_run(struct higpu *gpu, vdc_time limit);
/* The engine's event at an entry's time. */
void higpu_timeline_due(struct higpu *gpu, vdc_time t);
void higpu_timeline_free(struct higpu *gpu);
/* higpu_peer_copy.c: a COPY_PEER pushing to a peer or pulling from one starts at `ready` (its progress watched);
 * the port's acknowledgement of a push, a pull's reply, the watch's event. Pull replies carry HIGPU_PULL_TAG. */
#define HIGPU_PULL_TAG (UINT64_C(1) << 63)
#define HIGPU_PULL_WINDOW 2048    /* read requests a pulling copy keeps outstanding (512 KiB) */
void higpu_peer_copy_begin(struct higpu *gpu, uint32_t queue, uint32_t place, const struct higpu_command *c,
                           vdc_time ready);
void higpu_peer_pull_begin(struct higpu *gpu, uint32_t queue, uint32_t place, const struct higpu_command *c,
                           vdc_time ready);
void higpu_peer_copy_done(void *ctx, uint64_t tag, vdc_time arrive);
void higpu_peer_pull_reply(struct higpu *gpu, uint32_t slot, vdc_time arrive);
void higpu_peer_copy_check(struct higpu *gpu, uint64_t serial);
/* The GPU at `place` on this GPU's HiLink fabric; NO_PEER with a message in `why` when there is none (or it is this
 * GPU) (higpu_peer.c). */
enum higpu_status higpu_peer_at(const struct higpu *gpu, uint32_t place, struct higpu **peer, char *why);
/* A peer's request or red, served on device memory at `at` (higpu_peer.c). */
void higpu_peer_serve(struct higpu *gpu, const struct hilink_packet *request, vdc_time at);
/* The GPU cycle of the running launch at virtual time `t` (the first whose time is not before it), and back. */
uint64_t higpu_kernel_cycle_at(const struct higpu *gpu, vdc_time t);
vdc_time higpu_kernel_time_of(const struct higpu *gpu, uint64_t cycle);
const char *higpu_opcode_name(uint32_t opcode);
void higpu_modules_free(struct higpu *gpu);

/* higpu_copy.c: a transfer's ranges checked (when its command starts), and the transfer itself, checked again
 * (when its time comes); a status and a message in `why` (size HIGPU_MAX_MESSAGE). */
enum higpu_status higpu_transfer_check(const struct higpu *gpu, const struct higpu_command *c, char *why);
enum higpu_status higpu_transfer(struct higpu *gpu, const struct higpu_command *c, char *why);
/* True when [address, address + length) is allocated device memory (page storage), else a message in `why`. */
bool higpu_device_range(const struct higpu *gpu, uint64_t address, uint64_t length, const char *what, char *why);
/* True when [address, address + length) is guest memory, else a message in `why`. */
bool higpu_guest_range(const struct higpu *gpu, uint64_t address, uint64_t length, const char *what, char *why);

#endif
