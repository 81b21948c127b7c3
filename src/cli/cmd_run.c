/* vdc run SCENARIO [--out DIR] [--seed N] [--set key=value]... [--dump-dtb DIR] [--pcap LINKS]
 * vdc run --topology hpcc:FILE --flows hpcc:FILE [...]: an HPCC ns-3 experiment with no YAML file
 * vdc run --hpcc-config config.txt [...]: an HPCC ns-3 experiment folder as its own program runs it */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/exit_codes.h"
#include "fabric/hpcc_config.h"
#include "run/run_scenario.h"
#include "scenario/scenario.h"
#include "cli/commands.h"

int vdc_cmd_run(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'}, {"seed", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'S'}, {"help", no_argument, NULL, 'h'},
        {"dump-dtb", required_argument, NULL, 'd'}, {"topology", required_argument, NULL, 't'},
        {"flows", required_argument, NULL, 'f'},   {"pcap", optional_argument, NULL, 'p'},
        {"hpcc-config", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *out_dir = NULL, *seed_text = NULL, *dtb_dir = NULL, *topology = NULL, *flows = NULL;
    const char *pcap_links = NULL, *hpcc_config = NULL;
    const char *sets[256];
    size_t set_count = 0;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":o:s:S:hd:", options, NULL)) != -1) {
        switch (opt) {
        case 't': topology = optarg; break;
        case 'c': hpcc_config = optarg; break;
        case 'f': flows = optarg; break;
        case 'p': pcap_links = optarg ? optarg : "hosts"; break;
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
    if ((topology || flows) && !(topology && flows))
        return vdc_usage_error("run", "--topology and --flows go together, e.g. --topology hpcc:topo.txt --flows "
                                      "hpcc:flow.txt");
    if ((topology && strncmp(topology, "hpcc:", 5) != 0) || (flows && strncmp(flows, "hpcc:", 5) != 0))
        return vdc_usage_error("run", "--topology and --flows take hpcc:FILE (HPCC ns-3 formats)");
    if (hpcc_config && (topology || optind < argc))
        return vdc_usage_error("run", "--hpcc-config is the whole experiment; give it without a scenario, --topology "
                                      "or --flows (use --set to change a key)");
    if (optind >= argc && !topology && !hpcc_config)
        return vdc_usage_error("run", "no scenario file given; try 'vdc run scenarios/rack8.yaml'");
    if (optind + 1 < argc || (topology && optind < argc))
        return vdc_usage_error("run", "unexpected argument '%s'", argv[optind + (topology ? 0 : 1)]);
    const char *path = topology || hpcc_config ? NULL : argv[optind];

    struct vdc_scenario sc;
    struct vdc_error err;
    vdc_scenario_init(&sc);
    int code = VDC_EXIT_BAD_INPUT;
    if (path && !vdc_scenario_load(&sc, path, &err))
        goto fail;
    if (topology) {
        /* HPCC ns-3's defaults are vdc's defaults; only the inputs change. */
        char assignments[4][4200];
        snprintf(assignments[0], sizeof assignments[0], "topology.kind=hpcc");
        snprintf(assignments[1], sizeof assignments[1], "topology.file=%s", topology + 5);
        snprintf(assignments[2], sizeof assignments[2], "workload.kind=flows");
        snprintf(assignments[3], sizeof assignments[3], "workload.flows_file=%s", flows + 5);
        for (size_t i = 0; i < 4; i++) {
            if (!vdc_scenario_set(&sc, assignments[i], &err))
                goto fail;
        }
    }
    if (hpcc_config) {
        struct hpcc_config config;
        if (!fabric_hpcc_config_read(hpcc_config, &config, &err))
            goto fail;
        bool applied = true;
        for (size_t i = 0; i < config.count && applied; i++)
            applied = vdc_scenario_set(&sc, config.assignments[i], &err);
        fabric_hpcc_config_free(&config);
        if (!applied)
            goto fail;
    }
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
    if (pcap_links && !out_dir) {
        code = vdc_usage_error("run", "--pcap writes into the --out folder; add --out DIR");
        goto done;
    }
    struct vdc_run_options run_options = {
        .out_dir = out_dir, .dtb_dir = dtb_dir, .pcap_links = pcap_links, .show_progress = true};
    code = vdc_run_scenario(&sc, &run_options, stdout, NULL);
    goto done;
fail:
    vdc_print_error(&err);
done:
    vdc_scenario_free(&sc);
    return code;
}
