/* Scenario files: every broken file in check/corpus gives its exact message; --set and cross-key rules. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/scenario/keys.h"
#include "../../src/scenario/scenario.h"
#include "../suites.h"

#define CORPUS_DIR "check/corpus"

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first line of each corpus file is "# expect: MESSAGE" with FILE standing for the file's path. */
static void expected_message(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    fclose(f);
    ck_assert_msg(strncmp(line, "# expect: ", 10) == 0, "%s: first line must be '# expect: MESSAGE'", path);
    line[strcspn(line, "\n")] = '\0';
    const char *template = line + 10, *file = strstr(template, "FILE");
    ck_assert_ptr_nonnull(file);
    snprintf(out, size, "%.*s%s%s", (int)(file - template), template, path, file + 4);
}

START_TEST(corpus_of_broken_files)
{
    DIR *dir = opendir(CORPUS_DIR);
    ck_assert_msg(dir != NULL, "run the tests from the repository root");
    char *names[256];
    size_t count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < 256) {
        size_t len = strlen(entry->d_name);
        if (len > 5 && strcmp(entry->d_name + len - 5, ".yaml") == 0)
            names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    ck_assert_uint_ge(count, 20);
    qsort(names, count, sizeof names[0], compare_names);
    for (size_t i = 0; i < count; i++) {
        char path[512], expected[1200];
        snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, names[i]);
        expected_message(path, expected, sizeof expected);
        struct vdc_scenario sc;
        struct vdc_error err = {{0}};
        vdc_scenario_init(&sc);
        bool loaded = vdc_scenario_load(&sc, path, &err);
        vdc_scenario_free(&sc);
        ck_assert_msg(!loaded, "%s was accepted", path);
        ck_assert_str_eq(err.text, expected);
        free(names[i]);
    }
}
END_TEST

START_TEST(missing_file)
{
    struct vdc_scenario sc;
    struct vdc_error err;
    vdc_scenario_init(&sc);
    ck_assert(!vdc_scenario_load(&sc, "no/such/file.yaml", &err));
    ck_assert_str_eq(err.text, "no/such/file.yaml: cannot open the scenario file (No such file or directory); check the path");
    vdc_scenario_free(&sc);
}
END_TEST

START_TEST(shipped_scenarios_load)
{
    const char *paths[] = {"scenarios/rack8.yaml",       "scenarios/rack8-light.yaml", "scenarios/hello.yaml",
                           "scenarios/fault-page.yaml",  "scenarios/fault-ud.yaml",    "scenarios/fault-divide.yaml",
                           "scenarios/fault-mmio.yaml",  "scenarios/fault-loop.yaml",  "scenarios/exit3.yaml",
                           "scenarios/link-failure.yaml", "scenarios/link-faults.yaml", "scenarios/pause-storm.yaml"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct vdc_scenario sc;
        struct vdc_error err = {{0}};
        vdc_scenario_init(&sc);
        ck_assert_msg(vdc_scenario_load(&sc, paths[i], &err), "%s", err.text);
        ck_assert_msg(vdc_scenario_validate(&sc, &err), "%s", err.text);
        vdc_scenario_free(&sc);
    }
}
END_TEST

struct set_case {
    const char *assignment;
    const char *message; /* NULL: accepted */
};

static const struct set_case set_cases[] = {
    {"topology.link_rate=200Gbps", NULL},
    {"name=my run", NULL},
    {"topology.link_rate=200", "--set topology.link_rate: '200' has no unit; expected a rate like 100Gbps (units: "
                               "bps, Kbps, Mbps, Gbps, Tbps, B/s, KB/s, MB/s, GB/s, TB/s)"},
    {"topology.blades=0", "--set topology.blades: 0 is out of range; expected 1 to 4096"},
    {"topology.rate=1Gbps", "--set topology.rate: unknown key 'topology.rate'; expected topology to hold one of: "
                            "kind, file, blades, tor_ports, link_rate, link_delay, switch_latency, leaves, "
                            "spines, hosts_per_leaf, k, fabric_rate"},
    {"topolgy.blades=4", "--set topolgy.blades: unknown key 'topolgy.blades'; expected one of: name, description, "
                         "seed, run, topology, workload, fabric, transport, faults, output, guests, checks, nic, "
                         "gpu, hilink"},
    {"topology=rack", "--set topology: 'topology' is a section; set one of its keys: kind, file, blades, "
                      "tor_ports, link_rate, link_delay, switch_latency, leaves, spines, hosts_per_leaf, k, "
                      "fabric_rate"},
    {"seed", "--set 'seed': expected key=value, e.g. --set topology.link_rate=200Gbps"},
    {"=5", "--set '=5': expected key=value, e.g. --set topology.link_rate=200Gbps"},
    {"workload.kind=ring", "--set workload.kind: unknown choice 'ring'; expected one of: none, uniform, incast, poisson, flows"},
    {"faults.schedule=1ms down a/b; 2ms up a/b", NULL},
    {"faults.schedule=1ms down a/b; 2ms fail a/b", "--set faults.schedule: entry 2 ('2ms fail a/b'): unknown action "
                                                   "'fail'; expected one of: down, up, flap, fail-port, repair-port, "
                                                   "stuck, errors, hilink-down, hilink-up, hilink-corrupt"},
    {"faults.down_at=1ms", "--set faults.down_at: 'faults.down_at' is no longer a key; write '200us down NODE/NODE' "
                           "into faults.schedule"},
    {"fabric.link_error_rate=1.5", "--set fabric.link_error_rate: 1.5 is out of range; expected 0 to 1"},
};

START_TEST(set_overrides)
{
    struct vdc_scenario sc;
    vdc_scenario_init(&sc);
    for (size_t i = 0; i < sizeof set_cases / sizeof set_cases[0]; i++) {
        struct vdc_error err = {{0}};
        bool ok = vdc_scenario_set(&sc, set_cases[i].assignment, &err);
        if (set_cases[i].message == NULL) {
            ck_assert_msg(ok, "%s: %s", set_cases[i].assignment, err.text);
        } else {
            ck_assert_msg(!ok, "%s was accepted", set_cases[i].assignment);
            ck_assert_str_eq(err.text, set_cases[i].message);
        }
    }
    ck_assert_uint_eq(sc.topology.link_rate, 200000000000ULL);
    ck_assert_str_eq(sc.name, "my run");
    ck_assert_str_eq(sc.faults.schedule, "1ms down a/b; 2ms up a/b"); /* a failed --set changes nothing */
    ck_assert_str_eq(sc.overrides, " --set topology.link_rate=200Gbps --set 'name=my run' --set 'faults.schedule=1ms "
                                   "down a/b; 2ms up a/b'");
    vdc_scenario_free(&sc);
}
END_TEST

START_TEST(set_wins_over_file_and_defaults_hold)
{
    struct vdc_scenario sc;
    struct vdc_error err;
    vdc_scenario_init(&sc);
    ck_assert_uint_eq(sc.topology.blades, 8); /* default */
    ck_assert_uint_eq(sc.topology.link_delay, 1000000);
    ck_assert(vdc_scenario_load(&sc, "scenarios/rack8.yaml", &err));
    ck_assert(vdc_scenario_set(&sc, "topology.link_delay=250ns", &err));
    ck_assert_uint_eq(sc.topology.link_delay, 250000);
    vdc_scenario_free(&sc);
}
END_TEST

START_TEST(cross_key_rules)
{
    struct vdc_scenario sc;
    struct vdc_error err;
    vdc_scenario_init(&sc);
    ck_assert(vdc_scenario_load(&sc, "scenarios/rack8.yaml", &err));
    ck_assert(vdc_scenario_set(&sc, "topology.blades=12", &err));
    ck_assert(!vdc_scenario_validate(&sc, &err));
    ck_assert_str_eq(err.text, "--set: 'topology.blades' = 12 needs 12 TOR ports but 'topology.tor_ports' = 10; "
                               "raise tor_ports or lower blades");
    ck_assert(vdc_scenario_set(&sc, "topology.tor_ports=12", &err));
    ck_assert(vdc_scenario_validate(&sc, &err));
    ck_assert(vdc_scenario_set(&sc, "workload.messages_per_blade=0", &err));
    ck_assert(!vdc_scenario_validate(&sc, &err));
    ck_assert_str_eq(err.text, "'workload.messages_per_blade' = 0 sends forever and 'run.stop_time' = 0 never stops; "
                               "set one of them");
    ck_assert(vdc_scenario_set(&sc, "workload.messages_per_blade=10", &err));
    ck_assert(vdc_scenario_set(&sc, "topology.blades=1", &err));
    ck_assert(vdc_scenario_set(&sc, "workload.kind=incast", &err));
    ck_assert(!vdc_scenario_validate(&sc, &err));
    ck_assert_str_eq(err.text, "'workload.kind' = incast needs at least 2 blades to send between; raise "
                               "topology.blades or set workload.kind=none");
    /* Blades are the rack's hosts; a fat-tree counts its own. */
    ck_assert(vdc_scenario_set(&sc, "topology.kind=fat-tree", &err));
    ck_assert_msg(vdc_scenario_validate(&sc, &err), "%s", err.text);
    ck_assert(vdc_scenario_set(&sc, "fabric.link_error_rate=1e-6", &err));
    ck_assert_msg(vdc_scenario_validate(&sc, &err), "%s", err.text);
    /* An HPCC file's links that give 0 take it, as HPCC's ERROR_RATE_PER_LINK does. */
    ck_assert(vdc_scenario_set(&sc, "topology.kind=hpcc", &err));
    ck_assert_msg(vdc_scenario_validate(&sc, &err), "%s", err.text);
    vdc_scenario_free(&sc);
}
END_TEST

/* gpu.<param>: any member the GPU's parameter table knows, kept in the order set, a later value replacing an
 * earlier one; nested YAML mappings name deeper members; unknown members and bad values are refused. */
/* A key's value read through the key table, wherever it is kept (the scenario or a device's record). */
static void *key_field(struct vdc_scenario *sc, const char *path)
{
    int index = vdc_key_find(path);
    ck_assert_int_ge(index, 0);
    return (char *)vdc_key_record(sc, (size_t)index) + vdc_key_at((size_t)index)->offset;
}

static const char *key_text(struct vdc_scenario *sc, const char *path)
{
    return *(char **)key_field(sc, path);
}

START_TEST(gpu_parameter_family)
{
    struct vdc_scenario sc;
    vdc_scenario_init(&sc);
    struct vdc_error err = {{0}};
    ck_assert_str_eq(key_text(&sc, "gpu.<param>"), "");
    ck_assert_int_eq(vdc_key_find("gpu.sm_count"), vdc_key_find("gpu.<param>"));
    ck_assert_int_ne(vdc_key_find("gpu.preset"), vdc_key_find("gpu.<param>"));
    ck_assert_int_eq(vdc_key_find("gpu."), -1);
    ck_assert_msg(vdc_scenario_set(&sc, "gpu.sm_count=66", &err), "%s", err.text);
    ck_assert_msg(vdc_scenario_set(&sc, "gpu.preset=h200", &err), "%s", err.text);
    ck_assert_msg(vdc_scenario_set(&sc, "gpu.sm_count=70", &err), "%s", err.text);
    ck_assert_str_eq(key_text(&sc, "gpu.<param>"), "sm_count=70");
    ck_assert_uint_eq(*(unsigned *)key_field(&sc, "gpu.preset"), 1);
    ck_assert(!vdc_scenario_set(&sc, "gpu.no_such_parameter=1", &err));
    ck_assert(strncmp(err.text, "--set gpu.no_such_parameter: ", 29) == 0);
    ck_assert(!vdc_scenario_set(&sc, "gpu.sm_count=1;x=2", &err));
    ck_assert_str_eq(err.text, "--set gpu.sm_count: '1;x=2' is not a value (empty, or it has ';', '=' or a line "
                               "break); expected the parameter's value, with its unit where it has one");
    ck_assert(!vdc_scenario_set(&sc, "gpu.pcie_lanes=32", &err));
    ck_assert_str_eq(key_text(&sc, "gpu.<param>"), "sm_count=70");
    char path[] = "/tmp/vdc-gpu-keys-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("guests:\n  gpu: true\ngpu:\n  preset: h100\n  sm_count: 12\n  pcie_lanes: 8\n", f);
    fclose(f);
    ck_assert_msg(vdc_scenario_load(&sc, path, &err), "%s", err.text);
    ck_assert(*(bool *)key_field(&sc, "guests.gpu"));
    ck_assert_uint_eq(*(unsigned *)key_field(&sc, "gpu.preset"), 0);
    ck_assert_uint_eq(*(uint64_t *)key_field(&sc, "gpu.pcie_lanes"), 8);
    ck_assert_str_eq(key_text(&sc, "gpu.<param>"), "sm_count=12");
    f = fopen(path, "w");
    fputs("gpu:\n  sm_count: [1, 2]\n", f);
    fclose(f);
    ck_assert(!vdc_scenario_load(&sc, path, &err));
    char expect[200];
    snprintf(expect, sizeof expect, "%s:2:13: 'gpu.sm_count' must be the parameter's value, with its unit where it "
             "has one, not a list", path);
    ck_assert_str_eq(err.text, expect);
    remove(path);
    vdc_scenario_free(&sc);
}
END_TEST

/* Every key path, the scenario's and the devices', is unique, and each default is kept in its own record. */
START_TEST(key_paths_are_unique)
{
    ck_assert_uint_gt(vdc_key_total(), vdc_key_count);
    for (size_t i = 0; i < vdc_key_total(); i++) {
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(vdc_key_at(i)->path, vdc_key_at(j)->path);
        ck_assert_int_eq(vdc_key_find(vdc_key_at(i)->path), (int)i);
    }
    struct vdc_scenario sc;
    vdc_scenario_init(&sc);
    ck_assert(!*(bool *)key_field(&sc, "guests.nic"));
    ck_assert_uint_eq(*(uint64_t *)key_field(&sc, "nic.mtu"), 4096);
    ck_assert_ptr_ne(vdc_key_record(&sc, (size_t)vdc_key_find("nic.mtu")), &sc);
    ck_assert_ptr_eq(vdc_key_record(&sc, (size_t)vdc_key_find("seed")), &sc);
    vdc_scenario_free(&sc);
}
END_TEST

START_TEST(every_key_is_documented)
{
    /* docs/scenarios.md carries the table `vdc help keys` prints; each row must be there verbatim. */
    FILE *docs = fopen("docs/scenarios.md", "r");
    ck_assert_ptr_nonnull(docs);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, docs);
    text[n] = '\0';
    fclose(docs);
    char *table = NULL;
    size_t table_size = 0;
    FILE *mem = open_memstream(&table, &table_size);
    vdc_keys_write_markdown(mem);
    fclose(mem);
    for (char *line = strtok(table, "\n"); line != NULL; line = strtok(NULL, "\n"))
        ck_assert_msg(strstr(text, line) != NULL, "docs/scenarios.md lacks: %s (run 'make docs')", line);
    free(table);
}
END_TEST

Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("yaml");
    tcase_add_test(tc, corpus_of_broken_files);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, shipped_scenarios_load);
    tcase_add_test(tc, set_overrides);
    tcase_add_test(tc, set_wins_over_file_and_defaults_hold);
    tcase_add_test(tc, cross_key_rules);
    tcase_add_test(tc, gpu_parameter_family);
    tcase_add_test(tc, key_paths_are_unique);
    tcase_add_test(tc, every_key_is_documented);
    suite_add_tcase(s, tc);
    return s;
}
