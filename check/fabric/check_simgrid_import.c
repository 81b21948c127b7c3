/* SimGrid platforms: the parking lot imports as expected, SimGrid's max-min rates match the hand-computed ones,
 * and platforms that cannot be cables between nodes are refused with one line. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/fabric/simgrid_import.h"
#include "../../src/fabric/simgrid_import_process.h"
#include "../suites.h"

#define PARKING_LOT "scenarios/platforms/parking-lot.xml"

static const char platform_head[] = "<?xml version='1.0'?>\n"
                                    "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
                                    "<platform version=\"4.1\">\n";

/* Writes a platform into a fresh temporary folder; the caller removes both with remove_platform. */
static void write_platform(char *path, size_t size, const char *body)
{
    char folder[] = "/tmp/vdc-simgrid-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(folder));
    snprintf(path, size, "%s/platform.xml", folder);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(body, f);
    fclose(f);
}

static void remove_platform(const char *path)
{
    unlink(path);
    char folder[256];
    snprintf(folder, sizeof folder, "%.*s", (int)(strrchr(path, '/') - path), path);
    rmdir(folder);
}

/* Imports `body` (after the common head) and returns the message; the import must fail. */
static void refused(const char *body, char *message, size_t size)
{
    char path[256], text[2048];
    snprintf(text, sizeof text, "%s%s</platform>\n", platform_head, body);
    write_platform(path, sizeof path, text);
    struct fabric_topology topo;
    struct vdc_error err = {{0}};
    bool loaded = fabric_simgrid_read_platform(path, &topo, &err);
    remove_platform(path);
    ck_assert_msg(!loaded, "the platform was accepted: %s", body);
    ck_assert_ptr_null(topo.links);
    const char *after_path = strstr(err.text, "/platform.xml: ");
    ck_assert_msg(after_path != NULL, "%s", err.text);
    snprintf(message, size, "%s", after_path + strlen("/platform.xml: "));
}

struct expected_link {
    const char *a, *b;
    uint64_t rate;
    vdc_time delay;
};

START_TEST(parking_lot_imports_hosts_switches_and_links)
{
    struct fabric_topology topo;
    struct vdc_error err = {{0}};
    ck_assert_msg(fabric_simgrid_read_platform(PARKING_LOT, &topo, &err), "%s", err.text);
    static const char *const names[] = {"a1", "a2", "b1", "b2", "b3", "c1", "c2", "c3", "a1-r1+a2-r1+r1-r2",
                                        "b1-r2+b2-r2+b3-r2+r1-r2+r2-r3", "c1-r3+c2-r3+c3-r3+r2-r3"};
    ck_assert_uint_eq(topo.node_count, 11);
    for (uint32_t n = 0; n < 11; n++) {
        ck_assert_str_eq(topo.names[n], names[n]);
        ck_assert(topo.is_switch[n] == (n >= 8));
    }
    static const struct expected_link links[] = {
        {"a1", "a1-r1+a2-r1+r1-r2", 25000000000ULL, VDC_US},
        {"a2", "a1-r1+a2-r1+r1-r2", 25000000000ULL, VDC_US},
        {"b1", "b1-r2+b2-r2+b3-r2+r1-r2+r2-r3", 25000000000ULL, VDC_US},
        {"b2", "b1-r2+b2-r2+b3-r2+r1-r2+r2-r3", 25000000000ULL, VDC_US},
        {"b3", "b1-r2+b2-r2+b3-r2+r1-r2+r2-r3", 1000000000ULL, 2 * VDC_US},
        {"c1", "c1-r3+c2-r3+c3-r3+r2-r3", 25000000000ULL, VDC_US},
        {"c2", "c1-r3+c2-r3+c3-r3+r2-r3", 25000000000ULL, VDC_US},
        {"c3", "c1-r3+c2-r3+c3-r3+r2-r3", 25000000000ULL, VDC_US},
        {"a1-r1+a2-r1+r1-r2", "b1-r2+b2-r2+b3-r2+r1-r2+r2-r3", 10000000000ULL, 10 * VDC_US},
        {"b1-r2+b2-r2+b3-r2+r1-r2+r2-r3", "c1-r3+c2-r3+c3-r3+r2-r3", 6000000000ULL, 5 * VDC_US},
    };
    ck_assert_uint_eq(topo.link_count, 10);
    for (uint32_t i = 0; i < 10; i++) {
        const struct fabric_link_spec *l = &topo.links[i];
        ck_assert_str_eq(topo.names[l->a], links[i].a);
        ck_assert_str_eq(topo.names[l->b], links[i].b);
        ck_assert_uint_eq(l->rate, links[i].rate);
        ck_assert_uint_eq(l->delay, links[i].delay);
        ck_assert(l->error_rate == 0.0);
    }
    fabric_topology_free(&topo);
}
END_TEST

START_TEST(parking_lot_maxmin_rates)
{
    /* Node numbers: a1 0, a2 1, b1 2, b2 3, b3 4, c1 5, c2 6, c3 7 (see the platform's header). */
    const uint32_t pairs[][2] = {{0, 5}, {1, 2}, {3, 6}, {4, 7}, {5, 0}};
    const double expected[] = {2.5e9, 7.5e9, 2.5e9, 1e9, 6e9};
    double rates[5] = {0};
    struct vdc_error err = {{0}};
    ck_assert_msg(fabric_simgrid_maxmin_rates(PARKING_LOT, pairs, 5, rates, &err), "%s", err.text);
    for (int i = 0; i < 5; i++)
        ck_assert_msg(fabs(rates[i] - expected[i]) <= 1e-6 * expected[i], "pair %d: %.17g bit/s, expected %.17g", i,
                      rates[i], expected[i]);
}
END_TEST

START_TEST(maxmin_refuses_bad_pairs)
{
    double rates[1];
    struct vdc_error err = {{0}};
    const uint32_t same[][2] = {{2, 2}};
    ck_assert(!fabric_simgrid_maxmin_rates(PARKING_LOT, same, 1, rates, &err));
    ck_assert_str_eq(err.text, PARKING_LOT ": pair 0: source and destination are both node 2; a transfer needs two "
                               "different hosts");
    const uint32_t switch_node[][2] = {{0, 8}};
    ck_assert(!fabric_simgrid_maxmin_rates(PARKING_LOT, switch_node, 1, rates, &err));
    ck_assert_str_eq(err.text, PARKING_LOT ": pair 0: node 8 is not a host; the platform's hosts are nodes 0 to 7");
}
END_TEST

START_TEST(missing_and_broken_files)
{
    struct fabric_topology topo;
    struct vdc_error err = {{0}};
    ck_assert(!fabric_simgrid_read_platform("scenarios/platforms/no-such-platform.xml", &topo, &err));
    ck_assert_str_eq(err.text, "scenarios/platforms/no-such-platform.xml: cannot open the platform file (No such "
                               "file or directory); check the path");
    ck_assert(!fabric_simgrid_read_platform("scenarios/platforms", &topo, &err));
    ck_assert_str_eq(err.text, "scenarios/platforms: is a folder, not a SimGrid platform file");

    /* An unclosed <host> on line 5: SimGrid's parser aborts; its first line becomes the message. */
    char path[256], expected[768];
    write_platform(path, sizeof path, "<?xml version='1.0'?>\n"
                                      "<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
                                      "<platform version=\"4.1\">\n"
                                      "  <zone id=\"w\" routing=\"Full\">\n"
                                      "    <host id=\"a\" speed=\"1Gf\">\n"
                                      "  </zone>\n"
                                      "</platform>\n");
    bool loaded = fabric_simgrid_read_platform(path, &topo, &err);
    remove_platform(path);
    ck_assert(!loaded);
    snprintf(expected, sizeof expected, "%s: SimGrid refused the platform: Parse error at %s:6: ", path, path);
    ck_assert_msg(strncmp(err.text, expected, strlen(expected)) == 0, "%s", err.text);
    ck_assert_ptr_null(strchr(err.text, '\n'));
    ck_assert_ptr_nonnull(strstr(err.text, "</host>"));
}
END_TEST

START_TEST(routes_that_are_not_cables)
{
    char message[768];
    refused("<cluster id=\"c\" prefix=\"n\" suffix=\"\" radical=\"0-3\" speed=\"1Gf\" bw=\"10Gbps\" lat=\"1us\" "
            "bb_bw=\"40Gbps\" bb_lat=\"2us\"/>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "the routes through link c_backbone meet it at more than two points, as a <cluster> "
                              "backbone is used; vdc links are cables with two ends");
    /* Out over l1, across l2 and back over l1: l2 would start and end at the same node. */
    refused("<zone id=\"w\" routing=\"Full\"><host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/>"
            "<link id=\"l1\" bandwidth=\"1Gbps\" latency=\"1us\"/><link id=\"l2\" bandwidth=\"1Gbps\" latency=\"1us\"/>"
            "<route src=\"a\" dst=\"b\"><link_ctn id=\"l1\"/><link_ctn id=\"l2\"/><link_ctn id=\"l1\"/></route>"
            "</zone>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "link l2 would join a node to itself: the routes through it (e.g. from host a to host "
                              "b) meet at both its ends");
    refused("<zone id=\"w\" routing=\"Full\"><host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/>"
            "<host id=\"c\" speed=\"1Gf\"/><link id=\"ab\" bandwidth=\"1Gbps\" latency=\"1us\"/>"
            "<link id=\"bc\" bandwidth=\"1Gbps\" latency=\"1us\"/>"
            "<route src=\"a\" dst=\"b\"><link_ctn id=\"ab\"/></route>"
            "<route src=\"b\" dst=\"c\"><link_ctn id=\"bc\"/></route>"
            "<route src=\"a\" dst=\"c\"><link_ctn id=\"ab\"/><link_ctn id=\"bc\"/></route></zone>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "the route from host a to host c passes through host b; vdc hosts do not forward "
                              "traffic");
    refused("<zone id=\"w\" routing=\"Full\"><host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/>"
            "<link id=\"l1\" bandwidth=\"1Gbps\" latency=\"1us\" sharing_policy=\"FATPIPE\"/>"
            "<route src=\"a\" dst=\"b\"><link_ctn id=\"l1\"/></route></zone>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "link l1 uses SimGrid's FATPIPE sharing, which vdc cannot model; make it SHARED or "
                              "SPLITDUPLEX");
    refused("<zone id=\"w\" routing=\"Full\"><host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/>"
            "<host id=\"c\" speed=\"1Gf\"/><link id=\"l1\" bandwidth=\"1Gbps\" latency=\"1us\"/>"
            "<route src=\"a\" dst=\"b\"><link_ctn id=\"l1\"/></route></zone>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "SimGrid gives no link from host a to host c; vdc needs links between every two hosts");
    refused("<zone id=\"w\" routing=\"Full\"><host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/>"
            "<link id=\"l1\" bandwidth=\"10Tbps\" latency=\"1us\"/>"
            "<route src=\"a\" dst=\"b\"><link_ctn id=\"l1\"/></route></zone>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "link l1: bandwidth 1.25e+12 bytes/s (1e+13 bit/s) is out of range; vdc links run at "
                              "1Mbps to 1.6Tbps");
}
END_TEST

/* Two hosts and three routers r1, r2, r3 in a triangle; host links la (a-r1) and lb (r1-b or r3-b). */
#define TRIANGLE_LINKS                                                                                                 \
    "<link id=\"la\" bandwidth=\"1Gbps\" latency=\"1us\"/><link id=\"lb\" bandwidth=\"1Gbps\" latency=\"1us\"/>"      \
    "<link id=\"l12\" bandwidth=\"1Gbps\" latency=\"1us\"/><link id=\"l23\" bandwidth=\"1Gbps\" latency=\"1us\"/>"  \
    "<link id=\"l13\" bandwidth=\"1Gbps\" latency=\"1us\"/>"
#define TWO_HOSTS "<zone id=\"w\" routing=\"Full\"><host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/>"

START_TEST(routes_that_vdc_would_not_follow)
{
    char message[768];
    /* a -> r1 -> r2 -> r3 -> r1 -> b: the way back (lb, la) shows that la and lb meet at one router. */
    refused(TWO_HOSTS TRIANGLE_LINKS
            "<route src=\"a\" dst=\"b\" symmetrical=\"NO\"><link_ctn id=\"la\"/><link_ctn id=\"l12\"/>"
            "<link_ctn id=\"l23\"/><link_ctn id=\"l13\"/><link_ctn id=\"lb\"/></route>"
            "<route src=\"b\" dst=\"a\" symmetrical=\"NO\"><link_ctn id=\"lb\"/><link_ctn id=\"la\"/></route>"
            "</zone>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "the route from host a to host b visits node l12+l13+la+lb twice, a routing loop; "
                              "give a route that crosses each router once");
    /* a -> r1 -> r2 -> r3 -> b while the way back shows r3 -> r1 directly: 4 links where 3 do. */
    refused(TWO_HOSTS TRIANGLE_LINKS
            "<route src=\"a\" dst=\"b\" symmetrical=\"NO\"><link_ctn id=\"la\"/><link_ctn id=\"l12\"/>"
            "<link_ctn id=\"l23\"/><link_ctn id=\"lb\"/></route>"
            "<route src=\"b\" dst=\"a\" symmetrical=\"NO\"><link_ctn id=\"lb\"/><link_ctn id=\"l13\"/>"
            "<link_ctn id=\"la\"/></route></zone>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "the route from host a to host b crosses 4 links but a path of 3 exists; vdc forwards "
                              "on shortest paths, so its traffic would not follow the route: shorten the route or "
                              "remove the shorter path");
    /* Two links between the same two routers: one each way. */
    refused(TWO_HOSTS TRIANGLE_LINKS
            "<route src=\"a\" dst=\"b\" symmetrical=\"NO\"><link_ctn id=\"la\"/><link_ctn id=\"l12\"/>"
            "<link_ctn id=\"lb\"/></route>"
            "<route src=\"b\" dst=\"a\" symmetrical=\"NO\"><link_ctn id=\"lb\"/><link_ctn id=\"l13\"/>"
            "<link_ctn id=\"la\"/></route></zone>\n",
            message, sizeof message);
    ck_assert_str_eq(message, "links l12 and l13 both join l12+l13+la and l12+l13+lb; vdc names a link by its two "
                              "ends, so join them with one link, of the combined bandwidth if both were meant");
}
END_TEST

START_TEST(cluster_without_backbone_is_a_star)
{
    char path[256], text[1024];
    snprintf(text, sizeof text, "%s<cluster id=\"c\" prefix=\"n\" suffix=\"\" radical=\"0-3\" speed=\"1Gf\" "
                                "bw=\"10Gbps\" lat=\"1.5us\"/>\n</platform>\n", platform_head);
    write_platform(path, sizeof path, text);
    struct fabric_topology topo;
    struct vdc_error err = {{0}};
    bool loaded = fabric_simgrid_read_platform(path, &topo, &err);
    remove_platform(path);
    ck_assert_msg(loaded, "%s", err.text);
    ck_assert_uint_eq(topo.node_count, 5);
    ck_assert_str_eq(topo.names[0], "n0");
    ck_assert_str_eq(topo.names[4], "c_link_0+c_link_1+c_link_2+c_link_3");
    ck_assert_uint_eq(topo.link_count, 4);
    for (uint32_t i = 0; i < 4; i++) {
        ck_assert(topo.links[i].a == i && topo.links[i].b == 4);
        ck_assert(topo.links[i].rate == 10000000000ULL && topo.links[i].delay == 1500000);
    }
    fabric_topology_free(&topo);
}
END_TEST

START_TEST(shared_links_routed_in_full)
{
    /* Links without a sharing policy are SHARED; explicit routes (reversed for the way back) meet at one router. */
    char path[256], text[2048];
    snprintf(text, sizeof text,
             "%s<zone id=\"w\" routing=\"Full\">"
             "<host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/><host id=\"c\" speed=\"1Gf\"/>"
             "<link id=\"la\" bandwidth=\"100Gbps\" latency=\"0.5us\"/>"
             "<link id=\"lb\" bandwidth=\"40Gbps\" latency=\"1us\"/>"
             "<link id=\"lc\" bandwidth=\"10Gbps\" latency=\"333ns\"/>"
             "<route src=\"a\" dst=\"b\"><link_ctn id=\"la\"/><link_ctn id=\"lb\"/></route>"
             "<route src=\"a\" dst=\"c\"><link_ctn id=\"la\"/><link_ctn id=\"lc\"/></route>"
             "<route src=\"b\" dst=\"c\"><link_ctn id=\"lb\"/><link_ctn id=\"lc\"/></route>"
             "</zone></platform>\n",
             platform_head);
    write_platform(path, sizeof path, text);
    struct fabric_topology topo;
    struct vdc_error err = {{0}};
    bool loaded = fabric_simgrid_read_platform(path, &topo, &err);
    remove_platform(path);
    ck_assert_msg(loaded, "%s", err.text);
    ck_assert_uint_eq(topo.node_count, 4);
    ck_assert_str_eq(topo.names[3], "la+lb+lc");
    ck_assert_uint_eq(topo.link_count, 3);
    const uint64_t rates[] = {100000000000ULL, 40000000000ULL, 10000000000ULL};
    const vdc_time delays[] = {500000, 1000000, 333000};
    for (uint32_t i = 0; i < 3; i++) {
        ck_assert(topo.links[i].a == i && topo.links[i].b == 3);
        ck_assert(topo.links[i].rate == rates[i] && topo.links[i].delay == delays[i]);
    }
    fabric_topology_free(&topo);
}
END_TEST

START_TEST(simgrid_messages_lose_their_log_prefix)
{
    char message[256];
    fabric_simgrid_first_message("[0.000000] ./src/xbt/exception.cpp:95: [xbt_exception/ERROR] Parse error at p.xml:6: "
                          "unknown unit: Gbs.\n[0.000000] ./src/xbt/exception.cpp:96: [xbt_exception/ERROR] Exiting "
                          "now.\n",
                          message, sizeof message);
    ck_assert_str_eq(message, "Parse error at p.xml:6: unknown unit: Gbs");
    fabric_simgrid_first_message("[0.000000] ./src/xbt/exception.cpp:48: [xbt_exception/CRITICAL] Uncaught exception "
                          "std::invalid_argument: No route from 'a1' to 'a2'\n  ->  0# backtrace",
                          message, sizeof message);
    ck_assert_str_eq(message, "No route from 'a1' to 'a2'");
    fabric_simgrid_first_message("\nplain words\n", message, sizeof message);
    ck_assert_str_eq(message, "plain words");
}
END_TEST


Suite *simgrid_import_suite(void)
{
    Suite *s = suite_create("simgrid_import");
    TCase *tc = tcase_create("platforms");
    tcase_set_timeout(tc, 60); /* each test starts SimGrid in child processes, slower under the sanitizers */
    tcase_add_test(tc, parking_lot_imports_hosts_switches_and_links);
    tcase_add_test(tc, parking_lot_maxmin_rates);
    tcase_add_test(tc, maxmin_refuses_bad_pairs);
    tcase_add_test(tc, missing_and_broken_files);
    tcase_add_test(tc, routes_that_are_not_cables);
    tcase_add_test(tc, routes_that_vdc_would_not_follow);
    tcase_add_test(tc, cluster_without_backbone_is_a_star);
    tcase_add_test(tc, shared_links_routed_in_full);
    tcase_add_test(tc, simgrid_messages_lose_their_log_prefix);
    suite_add_tcase(s, tc);
    return s;
}
