/* The Check suites of vdc's unit tests: every suite's constructor, declared here once and run by check_main.c. */
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
Suite *wire_suite(void);
Suite *wire_rdma_suite(void);
Suite *traffic_suite(void);
Suite *hpcc_import_suite(void);
Suite *hpcc_config_suite(void);
Suite *ns3_model_suite(void);
Suite *dwrr_suite(void);
Suite *simgrid_import_suite(void);
Suite *hinic_suite(void);
Suite *hinic_bad_input_suite(void);
Suite *faults_suite(void);
Suite *guest_verbs_suite(void);
Suite *guest_perftest_suite(void);
Suite *fabric_validation_suite(void);
Suite *gpu_memory_suite(void);
Suite *gpu_core_suite(void);
Suite *gpu_validation_suite(void);
Suite *gpu_micro_suite(void);
Suite *gpu_run_suite(void);
Suite *gpu_kernels_suite(void);
Suite *higpu_suite(void);
Suite *gpu_reference_suite(void);
Suite *gpu_kernel_cases_suite(void);
Suite *gpu_image_suite(void);
Suite *hilink_suite(void);

#endif
