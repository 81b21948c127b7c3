/* HPCC topology and flow files: good files load exactly; each broken file in check/corpus/hpcc gives its message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/fabric/hpcc_import.h"
#include "../../src/fabric/hpcc_import_text.h"
#include "../suites.h"

#define HPCC_DIR "check/corpus/hpcc/"

/* HPCC files have no comment syntax, so each broken file's expected message lives here; FILE stands for its path. */
struct broken_file {
    const char *name;
    const char *message;
};

static const struct broken_file broken_topologies[] = {
    {"topo-empty.txt", "FILE:1: the file is empty; line 1 should be '<nodes> <switches> <links>'"},
    {"topo-blank.txt", "FILE:3: the file has only blank lines; line 1 should be '<nodes> <switches> <links>'"},
    {"topo-header-short.txt", "FILE:1: field 3 (links) is missing; line 1 has 3 fields: nodes, switches, links"},
    {"topo-header-extra.txt", "FILE:1: field 4 \"7\": is extra; line 1 has 3 fields: nodes, switches, links"},
    {"topo-nodes-word.txt", "FILE:1: field 1 (nodes) \"three\": is not a whole number; give digits only, like 42"},
    {"topo-nodes-trailing.txt", "FILE:1: field 1 (nodes) \"3x\": is not a whole number; give digits only, like 42"},
    {"topo-nodes-huge.txt", "FILE:1: field 1 (nodes) \"70000\": is too large (the largest is 65536)"},
    {"topo-nodes-one.txt", "FILE:1: field 1 (nodes) \"1\": a topology needs at least two nodes"},
    {"topo-switches-all.txt",
     "FILE:1: field 2 (switches) \"2\": leaves 1 of the 3 nodes as hosts; traffic needs at least two hosts"},
    {"topo-switch-twice.txt", "FILE:2: field 2 (switch id) \"2\": switch 2 is listed twice; list each once"},
    {"topo-switch-range.txt",
     "FILE:2: field 1 (switch id) \"5\": node 5 does not exist; nodes are 0 to 2 (line 1 declares 3)"},
    {"topo-switch-extra.txt", "FILE:2: field 2 \"3\": is one more switch id than the 1 declared on line 1; fix the "
                              "count on line 1 or start links on a new line"},
    {"topo-switch-short.txt", "FILE:3: field 2 \"3\": is one more switch id than the 2 declared on line 1; fix the "
                              "count on line 1 or start links on a new line"},
    {"topo-switch-missing.txt",
     "FILE:1: the file ends after 0 of the 1 switch ids declared on line 1; list them all, then the links"},
    {"topo-link-short.txt", "FILE:3: field 5 (error rate) is missing; a link line has 5 fields: node a, node b, "
                            "rate, delay, error rate"},
    {"topo-link-extra.txt",
     "FILE:3: field 6 \"9\": is extra; a link line has 5 fields: node a, node b, rate, delay, error rate"},
    {"topo-rate-unit.txt", "FILE:4: field 3 (rate) \"100Gbs\": unknown unit 'Gbs'; give a rate like 100Gbps"},
    {"topo-rate-no-unit.txt", "FILE:3: field 3 (rate) \"100\": has no unit; give a rate like 100Gbps"},
    {"topo-rate-range.txt", "FILE:3: field 3 (rate) \"10Tbps\": is out of range; vdc links run at 1Mbps to 1.6Tbps"},
    {"topo-rate-fraction.txt", "FILE:3: field 3 (rate) \"0.5bps\": is finer than the resolution of 1 bit/s; give a "
                               "rate like 100Gbps"},
    {"topo-long-field.txt", "FILE:3: field 3 (rate) \"9999999999999999999999999999999999999999...\": is 304 "
                            "characters long; give a rate like 100Gbps"},
    {"topo-delay-unit.txt", "FILE:3: field 4 (delay) \"1sec\": unknown unit 'sec'; give a delay like 1us or 0.001ms"},
    {"topo-delay-fine.txt", "FILE:3: field 4 (delay) \"0.5ps\": is finer than the resolution of 1 ps; give a delay "
                            "like 1us or 0.001ms"},
    {"topo-delay-long.txt",
     "FILE:3: field 4 (delay) \"2s\": is over the 1s limit for a link; give a delay like 1us or 0.001ms"},
    {"topo-delay-negative.txt", "FILE:3: field 4 (delay) \"-1us\": is negative; give a delay like 1us or 0.001ms"},
    {"topo-error-word.txt", "FILE:3: field 5 (error rate) \"0.5x\": is not a number; give a probability from 0 to 1 "
                            "like 0 or 0.000001"},
    {"topo-error-range.txt", "FILE:3: field 5 (error rate) \"1.5\": is not a probability; give a probability from 0 "
                             "to 1 like 0 or 0.000001"},
    {"topo-node-range.txt",
     "FILE:4: field 1 (node a) \"9\": node 9 does not exist; nodes are 0 to 2 (line 1 declares 3)"},
    {"topo-node-negative.txt", "FILE:3: field 1 (node a) \"-1\": is negative; nodes are 0 to 2 (line 1 declares 3)"},
    {"topo-self-link.txt",
     "FILE:4: field 2 (node b) \"2\": is node a again; a link must join two different nodes"},
    {"topo-links-fewer.txt",
     "FILE:4: the file ends after 2 of the 3 links declared on line 1; add the missing links or fix the count"},
    {"topo-links-more.txt",
     "FILE:5: this is one link more than the 2 declared on line 1; fix the count on line 1 or delete the extra lines"},
    {"topo-rate-zero.txt", "FILE:3: field 3 (rate) \"0Gbps\": is out of range; vdc links run at 1Mbps to 1.6Tbps"},
    {"topo-rate-negative.txt", "FILE:3: field 3 (rate) \"-100Gbps\": is negative; give a rate like 100Gbps"},
    {"topo-rate-exponent.txt", "FILE:3: field 3 (rate) \"1e30bps\": uses an exponent; give a rate like 100Gbps"},
    {"topo-error-negative.txt", "FILE:3: field 5 (error rate) \"-0.1\": is not a probability; give a probability "
                                "from 0 to 1 like 0 or 0.000001"},
    {"topo-link-twice.txt", "FILE:5: nodes 2 and 0 are linked again (first on line 3); list each link once, with the "
                            "combined rate if both were meant"},
    {"topo-disconnected.txt", "FILE: the topology is disconnected: node host2 cannot reach node host0; add links "
                              "between the parts or remove one"},
    {"topo-unlinked-host.txt", "FILE: node host2 has no link; cable it or remove it"},
    {"topo-nul.txt", "FILE:3: NUL byte at column 10; the file must be plain text"},
    {"does-not-exist.txt", "FILE: cannot open the topology file (No such file or directory); check the path"},
};

static const struct broken_file broken_flows[] = {
    {"flows-empty.txt", "FILE:1: the file is empty; line 1 should be the number of flows"},
    {"flows-count-word.txt",
     "FILE:1: field 1 (flow count) \"two\": is not a whole number; give digits only, like 42"},
    {"flows-count-extra.txt", "FILE:1: field 2 \"x\": is extra; line 1 has 1 field: the number of flows"},
    {"flows-fewer.txt",
     "FILE:3: the file ends after 2 of the 3 flows declared on line 1; add the missing flows or fix the count"},
    {"flows-more.txt", "FILE:3: this is one flow more than the 1 declared on line 1; HPCC ignores lines past the "
                       "count, vdc does not; fix the count on line 1 or delete the extra lines"},
    {"flows-short.txt", "FILE:2: field 5 (size) is missing; a flow line has 6 fields: src, dst, priority group, dst "
                        "port, size, start time"},
    {"flows-extra.txt", "FILE:2: field 7 \"7\": is extra; a flow line has 6 fields: src, dst, priority group, dst "
                        "port, size, start time"},
    {"flows-src-switch.txt", "FILE:2: field 1 (src) \"2\": node 2 is a switch; flows run between hosts"},
    {"flows-dst-range.txt", "FILE:2: field 2 (dst) \"7\": node 7 does not exist; nodes are 0 to 2 (line 1 declares 3)"},
    {"flows-same-host.txt",
     "FILE:2: field 2 (dst) \"1\": is the source host again; a flow needs two different hosts"},
    {"flows-priority.txt", "FILE:2: field 3 (priority group) \"8\": is too large (the largest is 7)"},
    {"flows-port.txt", "FILE:2: field 4 (dst port) \"70000\": is too large (the largest is 65535)"},
    {"flows-size-zero.txt", "FILE:2: field 5 (size) \"0\": a flow carries at least 1 byte"},
    {"flows-size-unit.txt", "FILE:2: field 5 (size) \"1000B\": is not a whole number; give digits only, like 42"},
    {"flows-size-huge.txt",
     "FILE:2: field 5 (size) \"18446744073709551616\": is too large (the largest is 18446744073709551615)"},
    {"flows-time-negative.txt", "FILE:2: field 6 (start time) \"-1.0\": is negative; flows start at time 0 or later"},
    {"flows-time-fine.txt", "FILE:2: field 6 (start time) \"0.0000000000001\": is finer than 1 ps; give at most 12 "
                            "digits after the decimal point"},
    {"flows-time-exponent.txt",
     "FILE:2: field 6 (start time) \"2e-3\": uses an exponent; write plain decimal seconds like 0.000002"},
    {"flows-time-huge.txt", "FILE:2: field 6 (start time) \"18446744.073709551616\": is too large (the latest start "
                            "is 18446744.073709551615 s, about 213 days)"},
    {"flows-time-unit.txt",
     "FILE:2: field 6 (start time) \"2.0s\": is not a number of seconds; write seconds like 2.000000"},
    {"flows-time-dot.txt", "FILE:2: field 6 (start time) \"2.\": has no digits after the decimal point; write "
                           "seconds like 2.000000"},
    {"does-not-exist.txt", "FILE: cannot open the flow file (No such file or directory); check the path"},
};

static void expected_for(const char *template, const char *path, char *out, size_t size)
{
    const char *file = strstr(template, "FILE");
    ck_assert_ptr_nonnull(file);
    snprintf(out, size, "%.*s%s%s", (int)(file - template), template, path, file + 4);
}

START_TEST(broken_topology_files)
{
    for (size_t i = 0; i < sizeof broken_topologies / sizeof broken_topologies[0]; i++) {
        char path[256], expected[1024];
        snprintf(path, sizeof path, HPCC_DIR "%s", broken_topologies[i].name);
        expected_for(broken_topologies[i].message, path, expected, sizeof expected);
        struct fabric_topology topo;
        struct vdc_error err = {{0}};
        ck_assert_msg(!fabric_hpcc_read_topology(path, &topo, NULL, &err), "%s was accepted", path);
        ck_assert_str_eq(err.text, expected);
        ck_assert_ptr_null(topo.links); /* nothing left allocated */
        ck_assert_ptr_null(topo.is_switch);
    }
}
END_TEST

START_TEST(broken_flow_files)
{
    struct fabric_topology topo;
    struct vdc_error err = {{0}};
    ck_assert_msg(fabric_hpcc_read_topology(HPCC_DIR "small.txt", &topo, NULL, &err), "%s", err.text);
    for (size_t i = 0; i < sizeof broken_flows / sizeof broken_flows[0]; i++) {
        char path[256], expected[1024];
        snprintf(path, sizeof path, HPCC_DIR "%s", broken_flows[i].name);
        expected_for(broken_flows[i].message, path, expected, sizeof expected);
        struct fabric_flow_set flows;
        ck_assert_msg(!fabric_hpcc_read_flows(path, &topo, &flows, NULL, &err), "%s was accepted", path);
        ck_assert_str_eq(err.text, expected);
        ck_assert_ptr_null(flows.items);
    }
    fabric_topology_free(&topo);
}
END_TEST

START_TEST(folder_and_long_line)
{
    struct fabric_topology topo;
    struct vdc_error err = {{0}};
    ck_assert(!fabric_hpcc_read_topology("check/corpus/hpcc", &topo, NULL, &err));
    ck_assert_str_eq(err.text, "check/corpus/hpcc: is a folder, not a topology file");

    char path[] = "/tmp/vdc-hpcc-long-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs("3 1 2\n", f);
    for (size_t i = 0; i < HPCC_MAX_LINE_BYTES + 10; i++)
        fputc('2', f);
    fputc('\n', f);
    fclose(f);
    bool loaded = fabric_hpcc_read_topology(path, &topo, NULL, &err);
    unlink(path);
    ck_assert(!loaded);
    char expected[256];
    snprintf(expected, sizeof expected, "%s:2: the line is longer than 1048576 bytes; is this an HPCC text file?",
             path);
    ck_assert_str_eq(err.text, expected);
}
END_TEST

static void check_small(const struct fabric_topology *topo)
{
    ck_assert_uint_eq(topo->node_count, 3);
    ck_assert(!topo->is_switch[0] && !topo->is_switch[1] && topo->is_switch[2]);
    ck_assert_uint_eq(topo->link_count, 2);
    const struct fabric_link_spec *l = topo->links;
    ck_assert(l[0].a == 0 && l[0].b == 2 && l[0].rate == 100000000000ULL && l[0].delay == VDC_US);
    ck_assert(l[0].error_rate == 0.0);
    ck_assert(l[1].a == 1 && l[1].b == 2 && l[1].rate == 25000000000ULL && l[1].delay == VDC_US);
    ck_assert(l[1].error_rate == 0.000001);
}

START_TEST(small_topology_in_every_line_ending)
{
    static const char *const files[] = {"small.txt", "small-crlf.txt", "small-cr.txt"};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, HPCC_DIR "%s", files[i]);
        struct fabric_topology topo;
        struct vdc_error err = {{0}};
        ck_assert_msg(fabric_hpcc_read_topology(path, &topo, NULL, &err), "%s: %s", path, err.text);
        check_small(&topo);
        fabric_topology_free(&topo);
    }
}
END_TEST

START_TEST(flows_keep_file_order_and_exact_times)
{
    struct fabric_topology topo;
    struct fabric_flow_set flows;
    struct vdc_error err = {{0}};
    ck_assert(fabric_hpcc_read_topology(HPCC_DIR "small.txt", &topo, NULL, &err));
    ck_assert_msg(fabric_hpcc_read_flows(HPCC_DIR "small-flows.txt", &topo, &flows, NULL, &err), "%s", err.text);
    ck_assert_uint_eq(flows.count, 4);
    const struct fabric_flow_spec *f = flows.items;
    ck_assert(f[0].src == 0 && f[0].dst == 1 && f[0].priority == 3 && f[0].dst_port == 100);
    ck_assert(f[0].size == 200000000 && f[0].start == 2 * VDC_SEC);
    ck_assert(f[1].src == 1 && f[1].dst == 0 && f[1].priority == 0 && f[1].dst_port == 65535);
    ck_assert(f[1].size == 1 && f[1].start == 1); /* 0.000000000001 s is 1 ps */
    ck_assert(f[2].priority == 7 && f[2].dst_port == 0 && f[2].size == UINT64_MAX && f[2].start == UINT64_MAX);
    ck_assert(f[3].size == 5000000 && f[3].start == VDC_SEC / 2); /* earlier than f[2]: file order is kept */
    fabric_flow_set_free(&flows);
    fabric_topology_free(&topo);
}
END_TEST

START_TEST(hpcc_fat_tree_shape)
{
    struct fabric_topology topo;
    struct fabric_flow_set flows;
    struct vdc_error err = {{0}};
    ck_assert_msg(fabric_hpcc_read_topology(HPCC_DIR "hpcc-fat.txt", &topo, NULL, &err), "%s", err.text);
    ck_assert_uint_eq(topo.node_count, 376);
    ck_assert_uint_eq(fabric_topology_host_count(&topo), 320);
    ck_assert_uint_eq(topo.link_count, 480);
    for (uint32_t n = 0; n < 376; n++)
        ck_assert(topo.is_switch[n] == (n >= 320));
    ck_assert(topo.links[0].a == 0 && topo.links[0].b == 320 && topo.links[0].rate == 100000000000ULL);
    ck_assert(topo.links[319].a == 319 && topo.links[319].b == 339);
    ck_assert(topo.links[320].a == 320 && topo.links[320].b == 340 && topo.links[320].rate == 400000000000ULL);
    ck_assert(topo.links[479].a == 359 && topo.links[479].b == 375 && topo.links[479].delay == VDC_US);
    ck_assert_msg(fabric_hpcc_read_flows(HPCC_DIR "hpcc-fat-flows.txt", &topo, &flows, NULL, &err), "%s", err.text);
    ck_assert_uint_eq(flows.count, 4);
    ck_assert(flows.items[3].src == 5 && flows.items[3].dst == 1 && flows.items[3].start == 2 * VDC_SEC);
    fabric_flow_set_free(&flows);
    fabric_topology_free(&topo);
}
END_TEST


Suite *hpcc_import_suite(void)
{
    Suite *s = suite_create("hpcc_import");
    TCase *tc = tcase_create("files");
    tcase_add_test(tc, broken_topology_files);
    tcase_add_test(tc, broken_flow_files);
    tcase_add_test(tc, folder_and_long_line);
    tcase_add_test(tc, small_topology_in_every_line_ending);
    tcase_add_test(tc, flows_keep_file_order_and_exact_times);
    tcase_add_test(tc, hpcc_fat_tree_shape);
    suite_add_tcase(s, tc);
    return s;
}
