/* Benchmarks of the VMM: guest start-up time, and the cost of an exit through vdc beside a bare KVM_RUN loop. */
#ifndef VDC_BENCH_KVM_BENCH_H
#define VDC_BENCH_KVM_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../common/error.h"

struct kvm_bench_result {
    double startup_seconds;   /* VM creation to the guest's first exit (its first instructions ran) */
    double vdc_exits_per_sec; /* exits handled through the scheduler, MMIO bus and simctl */
    double bare_exits_per_sec; /* the same guest and exits with a bare KVM_RUN loop */
};

/* One round: starts `program` (bench-exits) for `exits` clock reads, once under vdc and once bare. */
bool kvm_bench_round(const uint8_t *program, size_t size, uint64_t exits, struct kvm_bench_result *result,
                     struct vdc_error *err);

#endif
