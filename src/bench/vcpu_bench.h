/* Benchmarks of the vCPU backends: start-up, the cost of an exit through vdc beside a bare loop over the vCPU
 * interface, guest instructions per second, and many guests taking turns. */
#ifndef VDC_BENCH_VCPU_BENCH_H
#define VDC_BENCH_VCPU_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "kvm/vcpu.h"

struct vcpu_bench_programs {
    const uint8_t *exits, *loop; /* bench-exits and bench-loop */
    size_t exits_size, loop_size;
};

struct vcpu_bench_result {
    double startup_seconds;    /* guest creation (RAM, ELF, tables, device tree, vCPU) to its first exit */
    double vdc_exits_per_sec;  /* clock reads handled through the scheduler, the MMIO bus and simctl */
    double bare_exits_per_sec; /* the same guest driven by a bare loop over the vCPU interface */
    double compute_ips;        /* guest instructions per second in a register-only loop */
    double store_ips;          /* ... and in a loop that stores once per iteration */
};

/* One round on `backend`: `exits` clock reads, `iterations` of each four-instruction loop. */
bool vdc_bench_vcpu_round(enum vdc_vcpu_backend backend, const struct vcpu_bench_programs *programs, uint64_t exits,
                      uint64_t iterations, struct vcpu_bench_result *result, struct vdc_error *err);

struct vcpu_bench_many_result {
    double startup_seconds;   /* creating all the guests, per guest */
    double exits_per_sec;     /* all guests' clock reads, taking turns in one event loop */
    double resident_mib;      /* the process's resident memory with all of them alive */
    double compute_ips, store_ips; /* all guests' instructions per second in the two loops */
};

/* `guests` guests in one run, each reading the clock `exits` times; then as many running each loop. */
bool vdc_bench_vcpu_many(enum vdc_vcpu_backend backend, const struct vcpu_bench_programs *programs, uint32_t guests,
                     uint64_t exits, uint64_t iterations, struct vcpu_bench_many_result *result,
                     struct vdc_error *err);

#endif
