/* Runs every Check suite; CK_RUN_SUITE / CK_RUN_CASE select a part, CK_FORK=no helps gdb and valgrind. */
#include <stdlib.h>

#include "../src/run/run_scenario.h"
#include "suites.h"


int main(void)
{
    vdc_run_add_device_keys(); /* as the program does: the devices' keys (nic.*, gpu.*) exist */
    SRunner *runner = srunner_create(scheduler_suite());
    srunner_add_suite(runner, rng_suite());
    srunner_add_suite(runner, units_suite());
    srunner_add_suite(runner, scenario_suite());
    srunner_add_suite(runner, run_suite());
    srunner_add_suite(runner, kvm_parts_suite());
    srunner_add_suite(runner, vcpu_suite());
    srunner_add_suite(runner, wire_suite());
    srunner_add_suite(runner, wire_rdma_suite());
    srunner_add_suite(runner, traffic_suite());
    srunner_add_suite(runner, hpcc_import_suite());
    srunner_add_suite(runner, hpcc_config_suite());
    srunner_add_suite(runner, ns3_model_suite());
    srunner_add_suite(runner, dwrr_suite());
    srunner_add_suite(runner, simgrid_import_suite());
    srunner_add_suite(runner, hinic_suite());
    srunner_add_suite(runner, hinic_bad_input_suite());
    srunner_add_suite(runner, faults_suite());
    srunner_add_suite(runner, guest_verbs_suite());
    srunner_add_suite(runner, guest_perftest_suite());
    srunner_add_suite(runner, fabric_validation_suite());
    srunner_add_suite(runner, gpu_memory_suite());
    srunner_add_suite(runner, gpu_core_suite());
    srunner_add_suite(runner, gpu_validation_suite());
    srunner_add_suite(runner, gpu_micro_suite());
    srunner_add_suite(runner, gpu_run_suite());
    srunner_add_suite(runner, gpu_kernels_suite());
    srunner_add_suite(runner, higpu_suite());
    srunner_add_suite(runner, gpu_reference_suite());
    srunner_add_suite(runner, gpu_kernel_cases_suite());
    srunner_add_suite(runner, gpu_image_suite());
    srunner_add_suite(runner, ptx_parse_suite());
    srunner_add_suite(runner, ptx_scalar_suite());
    srunner_add_suite(runner, gpu_params_suite());
    srunner_add_suite(runner, gpu_memsys_suite());
    srunner_add_suite(runner, gpu_sched_queue_suite());
    srunner_add_suite(runner, hilink_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
