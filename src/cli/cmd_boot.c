/* vdc boot PROGRAM.elf [options] [-- ARGS]: one guest with simctl and no scenario; exits with the guest's code. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exit_codes.h"
#include "kvm/simctl.h"
#include "kvm/guest.h"
#include "run/guest_set.h"
#include "common/units.h"
#include "cli/commands.h"

static void join_args(int argc, char **argv, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? " " : "", argv[i]);
}

int vdc_cmd_boot(int argc, char **argv)
{
    static const struct option options[] = {
        {"memory", required_argument, NULL, 'm'}, {"exit-cost", required_argument, NULL, 'c'},
        {"runaway", required_argument, NULL, 'r'}, {"seed", required_argument, NULL, 's'},
        {"name", required_argument, NULL, 'n'},    {"help", no_argument, NULL, 'h'},
        {"vcpu", required_argument, NULL, 'v'},    {"runaway-instructions", required_argument, NULL, 'i'},
        {"instruction-time", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    uint64_t memory = 64ULL << 20, exit_cost = VDC_US, runaway = 10 * VDC_SEC, instruction_time = 0;
    unsigned long long seed = 1, runaway_instructions = 10000000000ULL;
    enum vdc_vcpu_backend backend = VDC_VCPU_AUTO;
    const char *name = NULL;
    struct vdc_error err;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":m:c:r:s:n:hv:i:t:", options, NULL)) != -1) {
        switch (opt) {
        case 'm':
            if (!vdc_parse_quantity(optarg, VDC_QTY_SIZE, &memory, &err))
                return vdc_usage_error("boot", "--memory: %s; expected a size like 64MiB", err.text);
            break;
        case 'c':
            if (!vdc_parse_quantity(optarg, VDC_QTY_TIME, &exit_cost, &err))
                return vdc_usage_error("boot", "--exit-cost: %s; expected a time like 1us", err.text);
            break;
        case 'r':
            if (!vdc_parse_quantity(optarg, VDC_QTY_TIME, &runaway, &err) || runaway == 0)
                return vdc_usage_error("boot", "--runaway: expected a wall-clock time like 10s");
            break;
        case 's':
            if (vdc_option_count("boot", "--seed", optarg, &seed) != VDC_EXIT_OK)
                return VDC_EXIT_BAD_INPUT;
            break;
        case 'n': name = optarg; break;
        case 'v':
            if (!vdc_vcpu_backend_parse(optarg, &backend))
                return vdc_usage_error("boot", "--vcpu '%s': expected auto, kvm or emulated", optarg);
            break;
        case 'i':
            if (vdc_option_count("boot", "--runaway-instructions", optarg, &runaway_instructions) != VDC_EXIT_OK)
                return VDC_EXIT_BAD_INPUT;
            if (runaway_instructions == 0)
                return vdc_usage_error("boot", "--runaway-instructions must be at least 1");
            break;
        case 't':
            if (!vdc_parse_quantity(optarg, VDC_QTY_TIME, &instruction_time, &err) || instruction_time == 0)
                return vdc_usage_error("boot", "--instruction-time: expected a time like 0.5ns");
            break;
        case 'h': return vdc_cmd_help(2, (char *[]){"help", "boot", NULL});
        case ':': return vdc_usage_error("boot", "option '%s' needs a value", argv[optind - 1]);
        default: return vdc_usage_error("boot", "unknown option '%s'", vdc_bad_option(argv, optind));
        }
    }
    if (optind >= argc)
        return vdc_usage_error("boot", "no program given; try 'vdc boot build/guest/hello.elf'");
    const char *path = argv[optind++]; /* getopt has moved options (and a "--") before it; the rest are ARGS */
    char bootargs[4096];
    join_args(argc - optind, argv + optind, bootargs, sizeof bootargs);

    size_t size = 0;
    char resolved[4200];
    uint8_t *program = NULL;
    if (vdc_guest_program_path(path, resolved, sizeof resolved, &err))
        program = vdc_guest_program_read(resolved, &size, &err);
    if (program == NULL) {
        vdc_print_error(&err);
        return VDC_EXIT_BAD_INPUT;
    }
    /* The default name is the program's file name without ".elf" (or the NAME of "guest:NAME"). */
    char default_name[64];
    if (name == NULL) {
        const char *base = strrchr(resolved, '/') ? strrchr(resolved, '/') + 1 : resolved;
        size_t len = strlen(base);
        if (len > 4 && strcmp(base + len - 4, ".elf") == 0)
            len -= 4;
        snprintf(default_name, sizeof default_name, "%.*s", (int)(len < 63 ? len : 63), base);
        name = default_name;
    }
    struct vdc_sim sim;
    vdc_sim_init(&sim, seed);
    struct vdc_guest guest;
    struct vdc_guest_config config = {
        .name = name,
        .memory_size = memory,
        .exit_cost = exit_cost,
        .vcpu = backend,
        .runaway_seconds = (double)runaway / (double)VDC_SEC,
        .runaway_instructions = runaway_instructions,
        .instruction_time = instruction_time,
        .console = stdout,
        .bootargs = bootargs,
        .program_path = resolved,
    };
    int code = VDC_EXIT_BAD_INPUT;
    if (!vdc_guest_create(&guest, &sim, 1, &config, program, size, &err)) {
        vdc_print_error(&err);
        goto done;
    }
    vdc_sim_run(&sim, VDC_TIME_MAX);
    vdc_guest_console_flush(&guest);
    fflush(stdout);
    char when[64];
    vdc_time_format(when, sizeof when, sim.now);
    char outcome[900];
    vdc_guest_describe_end(&guest, outcome, sizeof outcome);
    code = guest.state == VDC_GUEST_EXITED ? guest.exit_code : VDC_EXIT_SIM_FAILED;
    fprintf(stderr, "vdc: %s %s; virtual time %s, %" PRIu64 " exits; digest %016" PRIx64 "; %s vCPU\n", name,
            outcome, when, guest.exits, sim.digest, vdc_vcpu_backend_name(guest.vcpu.backend));
done:
    vdc_guest_destroy(&guest);
    vdc_sim_free(&sim);
    free(program);
    return code;
}
