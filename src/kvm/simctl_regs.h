/* The sim-control device's register map (compatible "vdc,simctl"): shared by the VMM, the CPL0 stub and guests. */
#ifndef VDC_KVM_SIMCTL_REGS_H
#define VDC_KVM_SIMCTL_REGS_H

/* All registers are 64-bit; offsets from the window's base. */
#define SIMCTL_ID 0x000      /* R: SIMCTL_MAGIC */
#define SIMCTL_CLOCK_NS 0x008 /* R: the guest's virtual time in ns */
#define SIMCTL_CONSOLE 0x010 /* W: bits 0-47 address of text, bits 48-63 its length (at most 65535) */
#define SIMCTL_EXIT 0x018    /* W: the guest ends with this exit code (0-255) */
#define SIMCTL_WAIT 0x020    /* W: address of a struct simctl_wait; returns when its deadline passes or a cause is raised */
#define SIMCTL_COMPUTE_NS 0x028 /* W: advance this guest's time by this many ns (a compute annotation) */
#define SIMCTL_RANDOM 0x030  /* R: the next 64 bits of the guest's deterministic random stream */
#define SIMCTL_CAUSES 0x038  /* R: raised causes not yet returned by a WAIT (reading clears them) */
#define SIMCTL_FILL 0x040    /* W: address of a struct simctl_fill; the VMM sets that memory (a bulk memset) */
#define SIMCTL_COPY 0x048    /* W: address of a struct simctl_copy; the VMM moves that memory (a bulk memmove) */
#define SIMCTL_COMPARE 0x050 /* W: address of a struct simctl_compare; the VMM compares (a bulk memcmp) */
#define SIMCTL_FAULT 0xF00   /* W, CPL0 stub only: address of an exception frame */

#define SIMCTL_MAGIC 0x0000000153434456ULL /* "VDCS", version 1 */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* FILL's argument block, in the program's part of RAM as are the bulk registers' other blocks: `length` bytes from
 * `address` (all in the program's part of RAM, above the VMM's first 2 MiB) are set to the low byte of `value`. */
struct simctl_fill {
    uint64_t address;
    uint64_t length;
    uint64_t value;
};

/* COPY's argument block: `length` bytes from `source` to `destination`, as memmove (the two may overlap); both
 * ranges in the program's part of RAM. */
struct simctl_copy {
    uint64_t destination;
    uint64_t source;
    uint64_t length;
};

/* COMPARE's argument block: `length` bytes at `first` and at `second` (both in the program's part of RAM, as is
 * the block); the VMM writes into `differs_at` the offset of the first byte that differs, or `length` when none. */
struct simctl_compare {
    uint64_t first;
    uint64_t second;
    uint64_t length;
    uint64_t differs_at;
};

/* WAIT's argument block, in guest memory. */
struct simctl_wait {
    uint64_t deadline_ns; /* absolute virtual time; 0 waits for a cause only */
    uint64_t cause_mask;  /* causes that end the wait */
    uint64_t causes;      /* out: the causes that were raised (0 when the deadline passed) */
};
#endif

#endif
