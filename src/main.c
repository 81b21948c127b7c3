/* vdc: a deterministic virtual GPU datacenter simulator. Dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "common/exit_codes.h"
#include "run/run_scenario.h"

int main(int argc, char **argv)
{
    vdc_run_add_device_keys(); /* before any scenario is read, and for 'vdc help keys' */
    if (argc < 2)
        return vdc_usage_error(NULL, "no command given; the commands are run, boot, ptx, bench, help, version");
    const char *command = argv[1];
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        printf("vdc %s\n", VDC_VERSION);
        return VDC_EXIT_OK;
    }
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0)
        return vdc_cmd_help(argc - 1, argv + 1);
    if (strcmp(command, "run") == 0)
        return vdc_cmd_run(argc - 1, argv + 1);
    if (strcmp(command, "boot") == 0)
        return vdc_cmd_boot(argc - 1, argv + 1);
    if (strcmp(command, "ptx") == 0)
        return vdc_cmd_ptx(argc - 1, argv + 1);
    if (strcmp(command, "bench") == 0)
        return vdc_cmd_bench(argc - 1, argv + 1);
    return vdc_usage_error(NULL, "unknown command '%s'; the commands are run, boot, ptx, bench, help, version", command);
}
