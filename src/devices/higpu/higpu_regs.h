/* HiGPU's guest ABI (compatible "vdc,higpu"): registers, the command queue's entries, completions and the device
 * information block. Shared by the device model and the guest GPU runtime; every structure is little-endian and
 * packed by construction (natural alignment, no holes). */
#ifndef VDC_DEVICES_HIGPU_REGS_H
#define VDC_DEVICES_HIGPU_REGS_H

/* Registers: 64-bit, 8-aligned, offsets from the BAR's base. */
#define HIGPU_REG_ID 0x000             /* R: HIGPU_MAGIC */
#define HIGPU_REG_CAPS 0x008           /* R: SM count (bits 0-15), log2 of the largest queue (16-23),
                                        * log2 command size (24-31), log2 completion size (32-39), command queues
                                        * (40-47) */
#define HIGPU_REG_MEMORY_SIZE 0x010    /* R: device memory in bytes */
#define HIGPU_REG_MEMORY_USED 0x018    /* R: device memory allocated, bytes */
#define HIGPU_REG_CAUSE 0x020          /* R: the simctl cause bit mask raised with each completion */
#define HIGPU_REG_CLOCK_KHZ 0x028      /* R: SM clock in kHz */
/* Queue 0's registers; queue q's (0 to HIGPU_MAX_QUEUES - 1) are also at HIGPU_REG_QUEUES + q * HIGPU_QUEUE_STRIDE
 * plus the same offsets from HIGPU_REG_QUEUE_BASE (HIGPU_QREG_*). */
#define HIGPU_REG_QUEUE_BASE 0x030     /* RW: guest address of the command ring (64-byte aligned) */
#define HIGPU_REG_COMPLETION_BASE 0x038 /* RW: guest address of the completion ring (64-byte aligned) */
#define HIGPU_REG_QUEUE_SIZE 0x040     /* RW: entries of both rings (a power of two up to HIGPU_MAX_QUEUE_ENTRIES);
                                        * writing it (only while idle) checks the rings, resets both indexes to 0;
                                        * 0 turns the queue off */
#define HIGPU_REG_DOORBELL 0x048       /* W: producer index of the command ring (32 bits, free running) */
#define HIGPU_REG_CONSUMER 0x050       /* R: commands whose completion has been written (32 bits, free running) */
#define HIGPU_REG_MESSAGE_BASE 0x058   /* RW: guest address of a buffer for the one-line text of each error
                                        * completion ("tag N: ..."), NUL-terminated; 0: none */
#define HIGPU_REG_MESSAGE_SIZE 0x060   /* RW: its size in bytes (at most HIGPU_MAX_MESSAGE) */
#define HIGPU_REG_ERRORS 0x068         /* R: guest errors the device logged (bad registers, commands, ...) */
#define HIGPU_REG_LAST_ERROR 0x070     /* R: enum higpu_error of the last one */
#define HIGPU_REG_BUSY_PS 0x078        /* R: virtual time the device spent executing commands, picoseconds */
#define HIGPU_REG_KERNEL_PS 0x080      /* R: of which running kernels */
#define HIGPU_REG_LINK 0x088           /* R: PCIe generation (bits 0-7), lanes (8-15) */
#define HIGPU_REG_QUEUES 0x100         /* the command queues' register blocks */
#define HIGPU_QUEUE_STRIDE 0x40
#define HIGPU_QREG_BASE 0x00           /* within a queue's block: as HIGPU_REG_QUEUE_BASE ... HIGPU_REG_CONSUMER */
#define HIGPU_QREG_COMPLETION_BASE 0x08
#define HIGPU_QREG_SIZE 0x10
#define HIGPU_QREG_DOORBELL 0x18
#define HIGPU_QREG_CONSUMER 0x20
#define HIGPU_BAR_SIZE 0x1000

#define HIGPU_MAGIC 0x0000000155504748ULL /* "HGPU", version 1 */

/* PCIe identity: the vendor id is vdc's own (VDC_PCI_VENDOR, as HiNIC's). */
#define HIGPU_PCI_VENDOR 0x5644
#define HIGPU_PCI_DEVICE 0x0002
#define HIGPU_PCI_CLASS 0x030200 /* display controller, 3D controller */

/* Limits. */
#define HIGPU_MAX_QUEUE_ENTRIES 4096
#define HIGPU_MAX_QUEUES 8                /* command queues (CUDA streams): each in order, all at once */
#define HIGPU_MAX_MODULES 64
#define HIGPU_MAX_EVENTS 256
#define HIGPU_MAX_MODULE_TEXT (16u << 20) /* bytes of PTX text */
#define HIGPU_MAX_NAME 255                /* bytes of a kernel or symbol name */
#define HIGPU_MAX_PARAMS 4096             /* bytes of a launch's parameter buffer */
#define HIGPU_MAX_MESSAGE 4096
#define HIGPU_MAX_EXPORTS 256             /* allocations exported at once (IPC handles) */
#define HIGPU_MAIL_BYTES 64               /* a mailbox message */
#define HIGPU_MAILBOX_MESSAGES 256        /* messages a mailbox keeps; more are dropped (and logged) */

/* Commands: the opcode of struct higpu_command. 0 is no command, so a zeroed ring slot is refused. */
enum higpu_opcode {
    HIGPU_CMD_MEM_ALLOC = 1,     /* alloc.size -> result: device address */
    HIGPU_CMD_MEM_FREE = 2,      /* free.address */
    HIGPU_CMD_COPY_H2D = 3,      /* copy: src guest address, dst device address, length */
    HIGPU_CMD_COPY_D2H = 4,      /* copy: src device address, dst guest address, length */
    HIGPU_CMD_COPY_D2D = 5,      /* copy: src and dst device addresses, length */
    HIGPU_CMD_MEMSET = 6,        /* memset: device address, length, byte value */
    HIGPU_CMD_MODULE_LOAD = 7,   /* module_load: guest address and length of PTX text -> result: module handle */
    HIGPU_CMD_MODULE_UNLOAD = 8, /* module_unload.module */
    HIGPU_CMD_LAUNCH = 9,        /* launch: module, kernel name, grid, block, dynamic shared, parameters */
    HIGPU_CMD_EVENT_RECORD = 10, /* event: slot, sequence (and a guest address for the time, 0: none) -> result:
                                  * time in ps. Its queue has reached it: every earlier command of the queue has
                                  * ended; the event's sequence becomes this one (0: the event is just recorded) */
    HIGPU_CMD_EVENT_WAIT = 11,   /* event: slot, sequence: the queue's later commands wait until a record with this
                                  * sequence (or a later one) has been reached, on any queue; sequence 0: the event
                                  * must have been recorded already (else BAD_HANDLE) */
    HIGPU_CMD_FENCE = 12,        /* completes when every earlier command of its queue has */
    HIGPU_CMD_QUERY = 13,        /* query: guest address and length for a struct higpu_info */
    HIGPU_CMD_MODULE_SYMBOL = 14, /* symbol: module, name -> result: device address, result2: size */
    HIGPU_CMD_PEER_ACCESS = 15,  /* peer: place, enable (0 or 1): whether kernels may reach that GPU's memory */
    HIGPU_CMD_COPY_PEER = 16,    /* copy: src and dst device addresses, one its own and the other a peer's, length:
                                  * over HiLink, to the peer (ends when the peer acknowledges the last byte) or
                                  * from it (read requests; ends when the last reply has landed) */
    HIGPU_CMD_IPC_EXPORT = 17,   /* ipc.address (an allocation's start) -> result: a handle a peer GPU can import;
                                  * result2: the allocation's size. Valid until the allocation is freed */
    HIGPU_CMD_IPC_IMPORT = 18,   /* ipc.handle (a peer's export) -> result: the memory's device address, in the
                                  * exporter's place; result2: its size. Enables peer access to that GPU */
    HIGPU_CMD_MAIL_SEND = 19,    /* mail: place, guest address and length (1 to HIGPU_MAIL_BYTES) of a message
                                  * for that GPU's mailbox, carried over HiLink */
    HIGPU_CMD_MAIL_RECV = 20,    /* mail: guest address and length (at least HIGPU_MAIL_BYTES): the oldest message
                                  * of its mailbox, waited for -> result: the sender's place; result2: bytes */
};

/* Completion statuses. */
enum higpu_status {
    HIGPU_STATUS_OK = 0,
    HIGPU_STATUS_BAD_COMMAND = 1,    /* an unknown opcode, reserved fields set, a length out of limits */
    HIGPU_STATUS_BAD_ADDRESS = 2,    /* a guest range outside guest memory */
    HIGPU_STATUS_BAD_DEVICE_ADDRESS = 3, /* a device range that is not allocated device memory */
    HIGPU_STATUS_OUT_OF_MEMORY = 4,
    HIGPU_STATUS_BAD_HANDLE = 5,     /* no such module, event, symbol or allocation */
    HIGPU_STATUS_PTX_ERROR = 6,      /* the module does not load; the message says where and why */
    HIGPU_STATUS_LAUNCH_ERROR = 7,   /* the launch cannot start: unknown kernel, dimensions, parameters, shared */
    HIGPU_STATUS_GPU_FAULT = 8,      /* the kernel faulted: block, thread and address in the completion */
    HIGPU_STATUS_NO_PEER = 9,        /* no GPU at that place on this GPU's HiLink fabric (or none at all) */
    HIGPU_STATUS_KERNEL_TIMEOUT = 10, /* the kernel ran past gpu.kernel_timeout and was stopped */
    HIGPU_STATUS_PEER_TIMEOUT = 11,  /* a copy to a peer made no progress for gpu.peer_timeout (a HiLink port down) */
};

/* Why the device logged a guest error (LAST_ERROR, the completion's error field, the log line). */
enum higpu_error {
    HIGPU_ERR_NONE = 0,
    HIGPU_ERR_BAD_REGISTER = 1,  /* a register that does not exist, a bad size, a read-only register */
    HIGPU_ERR_BAD_QUEUE = 2,     /* rings outside guest memory, misaligned, a size that is not a power of two,
                                  * a change while commands are in flight, a doorbell with no queue */
    HIGPU_ERR_RING_OVERRUN = 3,  /* a producer index more than the ring's size ahead of the consumer */
    HIGPU_ERR_BAD_COMMAND = 4,
    HIGPU_ERR_DMA = 5,           /* a guest address outside guest memory */
    HIGPU_ERR_DEVICE_MEMORY = 6,
    HIGPU_ERR_BAD_HANDLE = 7,
    HIGPU_ERR_PTX = 8,
    HIGPU_ERR_LAUNCH = 9,
    HIGPU_ERR_FAULT = 10,
    HIGPU_ERR_PEER = 11,         /* no such peer on the GPU's HiLink fabric */
};

#define HIGPU_COMPLETION_OWNER 0x01 /* flags: an entry is new when this equals 1 - (pass & 1), pass being the
                                     * command index / queue size, so a zeroed ring holds no entries */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct higpu_dim3 {
    uint32_t x, y, z;
};

/* A command (64 bytes), in the command ring. Fields a command does not use must be 0. */
struct higpu_command {
    uint16_t opcode;   /* enum higpu_opcode */
    uint16_t flags;    /* 0 */
    uint32_t tag;      /* the guest's own number for the command, echoed in its completion */
    union {
        struct { uint64_t size; } alloc;
        struct { uint64_t address; } free;
        struct { uint64_t src, dst, length; } copy;
        struct { uint64_t address, length; uint32_t value; uint32_t reserved; } memset; /* value: a byte */
        struct { uint64_t text, length; } module_load;
        struct { uint32_t module, reserved; } module_unload;
        struct {
            uint64_t name;           /* guest address of the kernel's name (not NUL-terminated) */
            uint64_t params;         /* guest address of the parameter buffer */
            struct higpu_dim3 grid, block;
            uint32_t module;
            uint32_t shared;         /* dynamic shared memory per block, bytes */
            uint32_t params_length;
            uint16_t name_length;
            uint16_t reserved;
        } launch;
        struct { uint32_t slot, sequence; uint64_t address; } event; /* address: where the time goes (8 bytes) */
        struct { uint64_t address, length; } query;
        struct { uint64_t name; uint32_t module; uint16_t name_length, reserved; } symbol;
        struct { uint32_t place, enable; } peer;
        struct { uint64_t address, handle; } ipc;       /* EXPORT: address; IMPORT: handle */
        struct { uint64_t buffer; uint32_t length, place; } mail; /* RECV: place 0 */
        uint64_t raw[7];
    };
};

/* A completion (64 bytes), in the completion ring at the command's index. */
struct higpu_completion {
    uint32_t tag;      /* the command's */
    uint8_t opcode;    /* the command's */
    uint8_t status;    /* enum higpu_status */
    uint8_t flags;     /* HIGPU_COMPLETION_OWNER */
    uint8_t error;     /* enum higpu_error for an error completion, else 0 */
    uint64_t result;   /* MEM_ALLOC: device address; MODULE_LOAD: handle; EVENT_RECORD: time (ps); GPU_FAULT:
                        * the faulting address; MODULE_SYMBOL: device address */
    uint64_t result2;  /* MODULE_SYMBOL: the symbol's size; LAUNCH: thread instructions executed */
    uint64_t start_ps, end_ps; /* virtual time the device started and finished the command */
    struct higpu_dim3 block, thread; /* GPU_FAULT: where */
};

/* QUERY's answer: what an nvidia-smi-like program shows. */
struct higpu_info {
    char name[32];              /* "HiGPU h100" */
    char preset[16];            /* "h100" */
    uint64_t memory_bytes, memory_used;
    uint64_t clock_hz;
    uint64_t l2_bytes;
    uint32_t sm_count, max_threads_per_block;
    uint32_t shared_per_block, max_threads_per_sm;
    uint32_t pcie_generation, pcie_lanes;
    uint64_t now_ps;            /* the device's virtual time when it answered */
    uint64_t busy_ps, kernel_ps, copy_ps; /* since the device was created */
    uint64_t launches, commands;
    uint32_t modules, allocations;
    uint32_t hilink_place, hilink_gpus; /* its place on its HiLink fabric and the fabric's GPUs (0: none) */
    uint64_t memory_base;       /* its device memory's first address (GPUs on one fabric share one address space) */
};
#endif

#endif
