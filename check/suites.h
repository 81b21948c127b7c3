/* The Check suites of vdc's unit tests, one constructor per area. */
#ifndef VDC_CHECK_SUITES_H
#define VDC_CHECK_SUITES_H

#include <check.h>

Suite *scheduler_suite(void);
Suite *rng_suite(void);
Suite *units_suite(void);
Suite *scenario_suite(void);
Suite *run_suite(void);
Suite *kvm_parts_suite(void);
Suite *vcpu_suite(void);
Suite *ptx_parse_suite(void);
Suite *ptx_scalar_suite(void);
Suite *gpu_params_suite(void);
Suite *gpu_memsys_suite(void);
Suite *gpu_sched_queue_suite(void);

#endif
