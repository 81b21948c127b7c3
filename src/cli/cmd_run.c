/* vdc run SCENARIO [--out DIR] [--seed N] [--set key=value]... [--dump-dtb DIR] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/exit_codes.h"
#include "../run/run_scenario.h"
#include "../scenario/scenario.h"
#include "commands.h"

int vdc_cmd_run(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'}, {"seed", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
        {"dump-dtb", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    const char *out_dir = NULL, *seed_text = NULL, *dtb_dir = NULL;
    const char *sets[256];
    size_t set_count = 0;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:s:S:hd:", options, NULL)) != -1) {
        switch (opt) {
        case 'o': out_dir = optarg; break;
        case 'd': dtb_dir = optarg; break;
        case 's': seed_text = optarg; break;
        case 'S':
            if (set_count == sizeof sets / sizeof sets[0])
                return vdc_usage_error("run", "more than %zu --set options", set_count);
            sets[set_count++] = optarg;
            break;
        case 'h': return vdc_cmd_help(2, (char *[]){"help", "run", NULL});
        case ':': return vdc_usage_error("run", "option '%s' needs a value", argv[optind - 1]);
        default: return vdc_usage_error("run", "unknown option '%s'", vdc_bad_option(argv, optind));
        }
    }
    if (optind >= argc)
        return vdc_usage_error("run", "no scenario file given; try 'vdc run scenarios/rack8.yaml'");
    if (optind + 1 < argc)
        return vdc_usage_error("run", "unexpected argument '%s' after the scenario file", argv[optind + 1]);
    const char *path = argv[optind];

    struct vdc_scenario sc;
    struct vdc_error err;
    vdc_scenario_init(&sc);
    int code = VDC_EXIT_BAD_INPUT;
    if (!vdc_scenario_load(&sc, path, &err))
        goto fail;
    for (size_t i = 0; i < set_count; i++) {
        if (!vdc_scenario_set(&sc, sets[i], &err))
            goto fail;
    }
    if (seed_text != NULL) {
        unsigned long long seed;
        if (vdc_option_count("run", "--seed", seed_text, &seed) != VDC_EXIT_OK)
            goto done;
        sc.seed = seed;
    }
    if (!vdc_scenario_validate(&sc, &err))
        goto fail;
    struct vdc_run_options run_options = {.out_dir = out_dir, .dtb_dir = dtb_dir, .show_progress = true};
    code = vdc_run_scenario(&sc, &run_options, stdout, NULL);
    goto done;
fail:
    vdc_print_error(&err);
done:
    vdc_scenario_free(&sc);
    return code;
}
