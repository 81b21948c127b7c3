/* HPCC ns-3 config files: every key becomes the scenario key that means the same; each defect names file and line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/fabric/hpcc_config.h"
#include "../../src/scenario/scenario.h"
#include "../suites.h"

/* The keys of HPCC ns-3's shipped mix/config.txt, CC_MODE 3, with paths of our own. */
static const char shipped[] =
    "ENABLE_QCN 1\nUSE_DYNAMIC_PFC_THRESHOLD 1\n\nPACKET_PAYLOAD_SIZE 1000\n\n"
    "TOPOLOGY_FILE check/corpus/hpcc/small.txt\nFLOW_FILE check/corpus/hpcc/small-flows.txt\n"
    "TRACE_FILE mix/trace.txt\nTRACE_OUTPUT_FILE mix/mix.tr\nFCT_OUTPUT_FILE out/fct.txt\nPFC_OUTPUT_FILE out/pfc.txt\n\n"
    "SIMULATOR_STOP_TIME 4.00\n\nCC_MODE 3\nALPHA_RESUME_INTERVAL 1\nRATE_DECREASE_INTERVAL 4\nCLAMP_TARGET_RATE 0\n"
    "RP_TIMER 900 \nEWMA_GAIN 0.00390625\nFAST_RECOVERY_TIMES 1\nRATE_AI 50Mb/s\nRATE_HAI 100Mb/s\nMIN_RATE 100Mb/s\n"
    "DCTCP_RATE_AI 1000Mb/s\n\nERROR_RATE_PER_LINK 0.0000\nL2_CHUNK_SIZE 4000\nL2_ACK_INTERVAL 1\nL2_BACK_TO_ZERO 0\n\n"
    "HAS_WIN 1\nGLOBAL_T 1\nVAR_WIN 1\nFAST_REACT 1\nU_TARGET 0.95\nMI_THRESH 0\nINT_MULTI 1\nMULTI_RATE 0\n"
    "SAMPLE_FEEDBACK 0\nPINT_LOG_BASE 1.05\nPINT_PROB 1.0\n\nRATE_BOUND 1\n\nACK_HIGH_PRIO 0\n\nLINK_DOWN 0 0 0\n\n"
    "ENABLE_TRACE 1\n\nKMAX_MAP 3 25000000000 400 50000000000 800 100000000000 1600\n"
    "KMIN_MAP 3 25000000000 100 50000000000 200 100000000000 400\n"
    "PMAX_MAP 3 25000000000 0.2 50000000000 0.2 100000000000 0.2\nBUFFER_SIZE 32\nQLEN_MON_FILE out/qlen.txt\n"
    "QLEN_MON_START 2000000000\nQLEN_MON_END 2010000000\n";

static char path[64];

static void write_config(const char *text)
{
    snprintf(path, sizeof path, "/tmp/vdc-hpcc-config-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
}

/* The shipped text with `key`'s line replaced by `line` ("" removes it). */
static char *edited(const char *key, const char *line)
{
    static char text[sizeof shipped + 256];
    const char *at = strstr(shipped, key);
    ck_assert_ptr_nonnull(at);
    const char *end = strchr(at, '\n') + 1;
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - shipped), shipped, line, end);
    return text;
}

static bool has(const struct hpcc_config *c, const char *assignment)
{
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->assignments[i], assignment) == 0)
            return true;
    }
    return false;
}

START_TEST(shipped_config_becomes_scenario_keys)
{
    write_config(shipped);
    struct hpcc_config c;
    struct vdc_error err;
    ck_assert_msg(fabric_hpcc_config_read(path, &c, &err), "%s", err.text);
    const char *expected[] = {
        "transport.model=hpcc-ns3", "transport.cc=hpcc", "topology.kind=hpcc",
        "topology.file=check/corpus/hpcc/small.txt", "workload.flows_file=check/corpus/hpcc/small-flows.txt",
        "fabric.buffer=32MiB", "fabric.payload=1000", "transport.dcqcn_alpha_interval=1000000ps",
        "transport.dcqcn_increase_interval=900000000ps", "transport.dcqcn_rate_ai=50000000bps",
        "transport.window=true", "transport.variable_window=true", "transport.hpcc_multi_rate=false",
        "transport.hpcc_mi_thresh=0", "transport.chunk=4000", "transport.ack_interval=1",
        "run.stop_time=4000000000000ps", "output.fct_file=out/fct.txt", "output.qlen_end=2010000000ns",
        "fabric.ecn_by_rate=25000000000bps 100000B 400000B 0.20000000000000001; 50000000000bps 200000B 800000B "
        "0.20000000000000001; 100000000000bps 400000B 1600000B 0.20000000000000001"};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        ck_assert_msg(has(&c, expected[i]), "missing %s", expected[i]);
    /* And the scenario takes them all. */
    struct vdc_scenario sc;
    vdc_scenario_init(&sc);
    for (size_t i = 0; i < c.count; i++)
        ck_assert_msg(vdc_scenario_set(&sc, c.assignments[i], &err), "%s: %s", c.assignments[i], err.text);
    ck_assert_msg(vdc_scenario_validate(&sc, &err), "%s", err.text);
    vdc_scenario_free(&sc);
    fabric_hpcc_config_free(&c);
    unlink(path);
}
END_TEST

START_TEST(documented_config_and_defaults)
{
    /* config_doc.txt's descriptions in braces after a value are allowed; left-out keys take third.cc's defaults. */
    write_config(edited("CC_MODE 3", "CC_MODE 1 {Specifying different CC. 1: DCQCN, 3: HPCC}\n"));
    struct hpcc_config c;
    struct vdc_error err;
    ck_assert_msg(fabric_hpcc_config_read(path, &c, &err), "%s", err.text);
    ck_assert(has(&c, "transport.cc=dcqcn"));
    fabric_hpcc_config_free(&c);
    unlink(path);
    write_config(edited("BUFFER_SIZE 32", ""));
    ck_assert_msg(fabric_hpcc_config_read(path, &c, &err), "%s", err.text);
    ck_assert(has(&c, "fabric.buffer=16MiB"));
    fabric_hpcc_config_free(&c);
    unlink(path);
}
END_TEST

struct broken_config {
    const char *key, *line, *message; /* PATH stands for the file */
};

static const struct broken_config broken[] = {
    {"ENABLE_QCN 1", "ENABLE_QCNN 1\n", "PATH:1: unknown key 'ENABLE_QCNN'; the keys are those of HPCC ns-3's "
                                        "mix/config_doc.txt"},
    {"HAS_WIN 1", "HAS_WIN 2\n", "PATH:32: HAS_WIN \"2\": expected 0 or 1"},
    {"HAS_WIN 1", "HAS_WIN\n", "PATH:32: HAS_WIN takes 1 value, found 0"},
    {"LINK_DOWN 0 0 0", "LINK_DOWN 0 0\n", "PATH:48: LINK_DOWN takes 3 values, found 2"},
    {"CC_MODE 3", "CC_MODE 10\n", "PATH:15: CC_MODE \"10\": vdc models CC modes 1 (DCQCN), 3 (HPCC), 7 (TIMELY) and "
                                  "8 (DCTCP); HPCC-PINT (10) is not modelled"},
    {"CC_MODE 3", "CC_MODE 2\n", "PATH:15: CC_MODE \"2\": vdc models CC modes 1 (DCQCN), 3 (HPCC), 7 (TIMELY) and "
                                 "8 (DCTCP)"},
    {"RP_TIMER 900", "", "PATH: RP_TIMER is missing; HPCC ns-3 has no usable default for it, so give it"},
    {"RATE_AI 50Mb/s", "RATE_AI 50Mbs\n", "PATH:22: RATE_AI \"50Mbs\": expected an ns-3 data rate like 50Mb/s or "
                                          "100Gbps"},
    {"BUFFER_SIZE 32", "BUFFER_SIZE 32MB\n", "PATH:55: BUFFER_SIZE \"32MB\": expected whole megabytes (MiB), 1 to "
                                             "16384"},
    {"SIMULATOR_STOP_TIME 4.00", "SIMULATOR_STOP_TIME 1e3\n",
     "PATH:13: SIMULATOR_STOP_TIME \"1e3\" uses an exponent; write plain decimal seconds like 0.000002"},
    {"PMAX_MAP", "PMAX_MAP 2 25000000000 0.2 50000000000 0.2\n",
     "PATH:53: KMIN_MAP has rate 100000000000 but PMAX_MAP has no entry for it; give each rate in all three maps"},
    {"KMAX_MAP", "KMAX_MAP 3 25000000000 400 50000000000\n",
     "PATH:52: KMAX_MAP takes a count from 1 to 16, then that many `RATE VALUE` pairs with the rate in bit/s, like "
     "`KMAX_MAP 1 100000000000 400`"},
    {"KMIN_MAP", "", "PATH: KMIN_MAP is missing; HPCC ns-3 needs ECN thresholds for every link rate"},
};

START_TEST(broken_configs)
{
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        const struct broken_config *b = &broken[i];
        write_config(edited(b->key, b->line));
        struct hpcc_config c;
        struct vdc_error err;
        ck_assert_msg(!fabric_hpcc_config_read(path, &c, &err), "case %zu read", i);
        char expected[600];
        const char *mark = strstr(b->message, "PATH");
        snprintf(expected, sizeof expected, "%.*s%s%s", (int)(mark - b->message), b->message, path, mark + 4);
        ck_assert_str_eq(err.text, expected);
        unlink(path);
    }
}
END_TEST

START_TEST(repeated_key_and_missing_file)
{
    char text[sizeof shipped + 32];
    snprintf(text, sizeof text, "%sHAS_WIN 0\n", shipped);
    write_config(text);
    struct hpcc_config c;
    struct vdc_error err;
    ck_assert(!fabric_hpcc_config_read(path, &c, &err));
    char expected[300];
    snprintf(expected, sizeof expected, "%s:59: HAS_WIN repeats the key of line 32; give each key once", path);
    ck_assert_str_eq(err.text, expected);
    unlink(path);
    ck_assert(!fabric_hpcc_config_read("/nonexistent/config.txt", &c, &err));
    ck_assert_msg(strstr(err.text, "/nonexistent/config.txt") != NULL, "%s", err.text);
}
END_TEST


Suite *hpcc_config_suite(void)
{
    Suite *s = suite_create("hpcc_config");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, shipped_config_becomes_scenario_keys);
    tcase_add_test(tc, documented_config_and_defaults);
    tcase_add_test(tc, broken_configs);
    tcase_add_test(tc, repeated_key_and_missing_file);
    suite_add_tcase(s, tc);
    return s;
}
