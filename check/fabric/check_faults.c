/* Faults: the fault list's syntax and order, link and port state over time, routing convergence, port failure
 * against link down, frame losses, and topologies with two links between the same nodes. */
#include <stdio.h>
#include <string.h>

#include "../../src/fabric/fabric.h"
#include "../../src/fabric/host.h"
#include "../../src/fabric/routing.h"
#include "../../src/run/fabric_setup.h"
#include "../../src/scenario/fault_list.h"
#include "../suites.h"


START_TEST(list_is_ordered_by_time_then_entry)
{
    struct vdc_fault_list list;
    struct vdc_error err = {{0}};
    ck_assert_msg(vdc_fault_list_parse(" 2ms up a/b ;\n1ms flap a/b until 3ms period 200us;;\t"
                                       "2ms fail-port tor:3\n0 errors a/b 1e-6; 1ms stuck host7; 2ms repair-port s/p;",
                                       5, &list, &err),
                  "%s", err.text);
    ck_assert_uint_eq(list.count, 6);
    static const unsigned numbers[] = {8, 6, 9, 5, 7, 10};
    static const vdc_time times[] = {0, VDC_MS, VDC_MS, 2 * VDC_MS, 2 * VDC_MS, 2 * VDC_MS};
    for (size_t i = 0; i < 6; i++) {
        ck_assert_uint_eq(list.items[i].number, numbers[i]);
        ck_assert_uint_eq(list.items[i].at, times[i]);
    }
    const struct vdc_fault_entry *e = list.items;
    ck_assert(e[0].action == VDC_FAULT_ERRORS && e[0].probability == 1e-6);
    ck_assert(e[1].action == VDC_FAULT_FLAP && e[1].period == 200 * VDC_US && e[1].until == 3 * VDC_MS);
    ck_assert_str_eq(e[1].text, "1ms flap a/b until 3ms period 200us");
    ck_assert(e[2].action == VDC_FAULT_STUCK);
    ck_assert_str_eq(e[2].target, "host7");
    ck_assert(e[3].action == VDC_FAULT_UP && e[4].action == VDC_FAULT_FAIL_PORT);
    ck_assert(e[5].action == VDC_FAULT_REPAIR_PORT);
    ck_assert_str_eq(e[4].target, "tor:3");
    vdc_fault_list_free(&list);
    ck_assert(vdc_fault_list_parse(" ; \n ", 1, &list, &err));
    ck_assert_uint_eq(list.count, 0);
}
END_TEST

START_TEST(list_errors_name_entry_and_word)
{
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"1ms down a/b; 2ms up a", "entry 2 ('2ms up a'): 'a' is not a link; expected TIME up NODE/NODE with a link "
                                   "named by its two nodes, such as leaf0/spine1"},
        {"1ms  fail-port tor/", "entry 1 ('1ms  fail-port tor/'): 'tor/' is not a switch port; expected TIME "
                                "fail-port SWITCH/PEER or SWITCH:N (the port of SWITCH cabled to PEER, or its port N, "
                                "from 1, as counters.csv numbers them)"},
        {"1ms flap a/b period 1ms until 2s x", "entry 1 ('1ms flap a/b period 1ms until 2s x'): unexpected 'x' after "
                                               "the entry; expected TIME flap NODE/NODE period TIME until TIME"},
        {"1ms flap a/b period 1mz until 2s", "entry 1 ('1ms flap a/b period 1mz until 2s'): period: unknown unit 'mz' "
                                             "in '1mz'; expected a time like 1.5us (units: ps, ns, us, ms, s)"},
        {"-1ms down a/b", "entry 1 ('-1ms down a/b'): negative time '-1ms'; expected a time like 1.5us (units: ps, "
                          "ns, us, ms, s)"},
        {"1ms errors a/b nan", "entry 1 ('1ms errors a/b nan'): 'nan' is out of the range of a real number; expected "
                               "a frame loss probability from 0 to 1, like 1e-6"},
        {"1ms down aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/b x",
         "entry 1 ('1ms down aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'): unexpected 'x' after the "
         "entry; expected TIME down NODE/NODE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct vdc_fault_list list;
        struct vdc_error err = {{0}};
        ck_assert_msg(!vdc_fault_list_parse(cases[i].text, 1, &list, &err), "'%s' was accepted", cases[i].text);
        ck_assert_str_eq(err.text, cases[i].message);
        ck_assert_ptr_null(list.items);
    }
}
END_TEST

/* A scenario's fabric, built as vdc run builds it, to be run step by step. */
struct world {
    struct vdc_scenario sc;
    struct vdc_sim sim;
    struct fabric_topology topo;
    struct fabric_flow_set flows;
    struct fabric f;
};

static void world_build(struct world *w, const char *const *sets)
{
    struct vdc_error err = {{0}};
    struct fabric_config cfg;
    memset(w, 0, sizeof *w);
    vdc_scenario_init(&w->sc);
    for (size_t i = 0; sets[i] != NULL; i++)
        ck_assert_msg(vdc_scenario_set(&w->sc, sets[i], &err), "%s", err.text);
    ck_assert_msg(vdc_scenario_validate(&w->sc, &err), "%s", err.text);
    vdc_sim_init(&w->sim, w->sc.seed);
    ck_assert_msg(vdc_fabric_setup_config(&w->sc, &cfg, &err) && vdc_fabric_setup_topology(&w->sc, &w->topo, &err) &&
                      vdc_fabric_setup_flows(&w->sc, &w->topo, &w->flows, &err),
                  "%s", err.text);
    ck_assert_msg(fabric_build(&w->f, &w->sim, &w->topo, &cfg, &err), "%s", err.text);
    ck_assert_msg(fabric_hosts_add_flows(&w->f, &w->flows, &err), "%s", err.text);
    ck_assert_msg(vdc_fabric_setup_faults(&w->sc, &w->f, &err), "%s", err.text);
}

static void world_free(struct world *w)
{
    fabric_free(&w->f);
    fabric_flow_set_free(&w->flows);
    fabric_topology_free(&w->topo);
    vdc_sim_free(&w->sim);
    vdc_scenario_free(&w->sc);
}

/* The port of node `a` cabled to node `b`. */
static struct fabric_port *port_of(struct world *w, const char *a, const char *b)
{
    int na = fabric_topology_find_node(&w->topo, a, strlen(a)), nb = fabric_topology_find_node(&w->topo, b, strlen(b));
    ck_assert(na >= 0 && nb >= 0);
    struct fabric_node *node = &w->f.nodes[na];
    for (uint16_t p = 0; p < node->port_count; p++) {
        if (node->ports[p].peer_node == (uint32_t)nb)
            return &node->ports[p];
    }
    ck_abort_msg("%s and %s are not cabled", a, b);
    return NULL;
}

/* Equal-cost next hops at switch `at` toward host `dst`. */
static unsigned next_hops(struct world *w, const char *at, const char *dst)
{
    const struct fabric_routes *r = w->f.routes;
    int node = fabric_topology_find_node(&w->topo, at, strlen(at));
    int host = fabric_topology_find_node(&w->topo, dst, strlen(dst));
    return fabric_route_cell(r, (uint32_t)node, (uint32_t)host)->count;
}

static const char *const leaf_spine[] = {"topology.kind=leaf-spine", "topology.leaves=2", "topology.spines=2",
                                         "topology.hosts_per_leaf=2", "workload.kind=none"};

static void build_leaf_spine(struct world *w, const char *schedule)
{
    const char *sets[8];
    memcpy(sets, leaf_spine, sizeof leaf_spine);
    sets[5] = schedule;
    sets[6] = NULL;
    world_build(w, sets);
}

START_TEST(equal_times_follow_entry_order_and_routes_converge_once)
{
    struct world w;
    build_leaf_spine(&w, "faults.schedule=1ms down leaf0/spine0; 1ms up leaf0/spine0; 1ms up leaf1/spine1; "
                         "1ms down leaf1/spine1");
    ck_assert_uint_eq(next_hops(&w, "leaf0", "host2"), 2);
    vdc_sim_run(&w.sim, VDC_MS + 50 * VDC_US);
    ck_assert(port_of(&w, "leaf0", "spine0")->up && port_of(&w, "spine0", "leaf0")->up);
    ck_assert(!port_of(&w, "leaf1", "spine1")->up && !port_of(&w, "spine1", "leaf1")->up);
    ck_assert_uint_eq(next_hops(&w, "leaf0", "host2"), 2); /* routes wait for the convergence delay (100us) */
    vdc_sim_run(&w.sim, 2 * VDC_MS);
    ck_assert_uint_eq(w.f.reroutes, 1); /* both changes at 1ms share one recomputation */
    ck_assert_uint_eq(next_hops(&w, "leaf0", "host2"), 1);
    ck_assert_uint_eq(next_hops(&w, "spine1", "host2"), 1); /* the long way: leaf0, spine0, leaf1 */
    world_free(&w);
}
END_TEST

START_TEST(flap_toggles_every_half_period_and_ends_up)
{
    struct world w;
    build_leaf_spine(&w, "faults.schedule=1ms flap leaf0/spine0 period 200us until 1.5ms");
    static const bool up_after[] = {false, true, false, true, false, true, true};
    for (unsigned i = 0; i < 7; i++) {
        vdc_sim_run(&w.sim, VDC_MS + 50 * VDC_US + i * 100 * VDC_US);
        ck_assert_msg(port_of(&w, "leaf0", "spine0")->up == up_after[i], "step %u", i);
    }
    ck_assert_uint_eq(w.f.reroutes, 6);
    world_free(&w);
}
END_TEST

/* Three blades send 1 MB each to blade0 on a rack: the TOR's port toward blade0 holds a queue at 20us. */
static void build_incast(struct world *w, const char *schedule)
{
    const char *sets[] = {"topology.blades=4", "topology.tor_ports=4", "workload.kind=incast", "workload.senders=3",
                          "workload.flow_size=1MB", schedule, NULL};
    world_build(w, sets);
}

START_TEST(failed_port_discards_its_queue_at_once)
{
    struct world w;
    build_incast(&w, "faults.schedule=20us fail-port tor/blade0; 100us repair-port tor:1");
    struct fabric_port *tor = port_of(&w, "tor", "blade0"), *blade = port_of(&w, "blade0", "tor");
    struct fabric_node *sw = tor->node;
    vdc_sim_run(&w.sim, 20 * VDC_US - 1);
    ck_assert_uint_gt(tor->queued_bytes, 10000);
    uint64_t queued_frames = 0;
    for (unsigned q = 0; q < FABRIC_PRIORITIES; q++)
        queued_frames += tor->queue[q].frames;
    vdc_sim_run(&w.sim, 20 * VDC_US);
    ck_assert(tor->failed && !tor->up && !blade->up);
    ck_assert_uint_eq(tor->queued_bytes, 0);
    ck_assert_uint_ge(tor->count.drops, queued_frames);
    ck_assert_uint_eq(sw->mmu.used, 0); /* nothing else was queued: the buffer is free again */
    vdc_sim_run(&w.sim, 99 * VDC_US);
    ck_assert_uint_eq(sw->mmu.used, 0); /* frames toward the failed port are dropped, never buffered */
    vdc_sim_run(&w.sim, VDC_TIME_MAX);
    ck_assert(!tor->failed && tor->up && blade->up);
    ck_assert_uint_eq(fabric_flows_done(&w.f), 3); /* go-back-N recovers every loss once the port is back */
    world_free(&w);
}
END_TEST

START_TEST(cut_link_drains_its_queue_into_the_cable)
{
    struct world w;
    build_incast(&w, "faults.schedule=20us down tor/blade0; 100us up tor/blade0");
    struct fabric_port *tor = port_of(&w, "tor", "blade0");
    vdc_sim_run(&w.sim, 20 * VDC_US - 1);
    uint64_t queued = tor->queued_bytes;
    vdc_sim_run(&w.sim, 20 * VDC_US);
    ck_assert(!tor->failed && !tor->up);
    ck_assert_uint_gt(tor->queued_bytes, queued / 2); /* still there: it leaves at line rate, into the cut cable */
    vdc_sim_run(&w.sim, VDC_TIME_MAX);
    ck_assert_uint_eq(fabric_flows_done(&w.f), 3);
    ck_assert_uint_gt(tor->count.drops, 0);
    world_free(&w);
}
END_TEST

START_TEST(lossy_link_loses_about_its_share)
{
    /* One 4 MB flow blade0 -> blade1: about 4000 data frames cross blade1/tor, which loses 1% each way. */
    const char *sets[] = {"topology.blades=2", "topology.tor_ports=2", "workload.kind=incast", "workload.senders=1",
                          "workload.receiver=1", "workload.flow_size=4MB", "faults.schedule=0 errors blade1/tor 0.01",
                          NULL};
    uint64_t drops[2];
    for (int run = 0; run < 2; run++) {
        struct world w;
        world_build(&w, sets);
        vdc_sim_run(&w.sim, VDC_TIME_MAX);
        struct fabric_port *tor = port_of(&w, "tor", "blade1"), *sender = port_of(&w, "blade0", "tor");
        ck_assert_uint_eq(fabric_flows_done(&w.f), 1);
        ck_assert_uint_eq(sender->count.drops, 0);
        /* Binomial(n, 0.01): 20 and 80 are more than 4 standard deviations from the mean for n near 4000-5000. */
        ck_assert_uint_ge(tor->count.drops * 10000, tor->count.tx_frames * 50);
        ck_assert_uint_le(tor->count.drops * 10000, tor->count.tx_frames * 200);
        drops[run] = tor->count.drops + port_of(&w, "blade1", "tor")->count.drops;
        world_free(&w);
    }
    ck_assert_uint_eq(drops[0], drops[1]); /* the loss stream depends on the seed and the link only */
}
END_TEST

START_TEST(default_error_rate_applies_to_every_link)
{
    const char *sets[] = {"topology.blades=2", "topology.tor_ports=2", "workload.kind=incast", "workload.senders=1",
                          "workload.receiver=1", "workload.flow_size=1MB", "fabric.link_error_rate=0.02", NULL};
    struct world w;
    world_build(&w, sets);
    for (uint32_t i = 0; i < w.topo.link_count; i++)
        ck_assert(w.topo.links[i].error_rate == 0.02);
    vdc_sim_run(&w.sim, VDC_TIME_MAX);
    ck_assert_uint_eq(fabric_flows_done(&w.f), 1);
    ck_assert_uint_gt(port_of(&w, "blade0", "tor")->count.drops, 0);
    ck_assert_uint_gt(port_of(&w, "tor", "blade1")->count.drops, 0);
    world_free(&w);
}
END_TEST

START_TEST(names_are_checked_against_the_topology)
{
    static const struct {
        const char *schedule, *message;
    } cases[] = {
        {"faults.schedule=1ms down leaf0/spine9", "faults.schedule entry 1 ('1ms down leaf0/spine9'): no node is "
                                                  "named 'spine9'; use the node names of counters.csv"},
        {"faults.schedule=1ms up leaf0/leaf1", "faults.schedule entry 1 ('1ms up leaf0/leaf1'): leaf0 and leaf1 are "
                                               "not cabled to each other; name a link as counters.csv does (node, "
                                               "peer)"},
        {"faults.schedule=1ms fail-port host0/leaf0", "faults.schedule entry 1 ('1ms fail-port host0/leaf0'): host0 "
                                                      "is a host; fail-port takes a switch's port, as SWITCH/PEER or "
                                                      "SWITCH:N"},
        {"faults.schedule=1ms down leaf0/spine0; 1ms repair-port spine0:3",
         "faults.schedule entry 2 ('1ms repair-port spine0:3'): switch spine0 has ports 1 to 2; use one of those or "
         "name the port by its peer as SWITCH/PEER"},
        {"faults.schedule=1ms stuck leaf1", "faults.schedule entry 1 ('1ms stuck leaf1'): leaf1 is a switch; stuck "
                                            "takes a host, whose receiver stops draining"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct vdc_scenario sc;
        struct vdc_sim sim;
        struct fabric_topology topo;
        struct fabric_config cfg;
        struct fabric f;
        struct vdc_error err = {{0}};
        vdc_scenario_init(&sc);
        for (size_t k = 0; k < sizeof leaf_spine / sizeof leaf_spine[0]; k++)
            ck_assert(vdc_scenario_set(&sc, leaf_spine[k], &err));
        ck_assert_msg(vdc_scenario_set(&sc, cases[i].schedule, &err), "%s", err.text);
        vdc_sim_init(&sim, 1);
        ck_assert(vdc_fabric_setup_config(&sc, &cfg, &err) && vdc_fabric_setup_topology(&sc, &topo, &err));
        ck_assert(fabric_build(&f, &sim, &topo, &cfg, &err));
        ck_assert_msg(!vdc_fabric_setup_faults(&sc, &f, &err), "%s was accepted", cases[i].schedule);
        ck_assert_str_eq(err.text, cases[i].message);
        fabric_free(&f);
        fabric_topology_free(&topo);
        vdc_sim_free(&sim);
        vdc_scenario_free(&sc);
    }
}
END_TEST

START_TEST(two_links_between_the_same_nodes)
{
    struct fabric_topology t;
    struct vdc_error err = {{0}};
    fabric_topology_init(&t, 4);
    t.is_switch[2] = t.is_switch[3] = true;
    ck_assert(fabric_topology_add_link(&t, 0, 2, 100000000000ULL, VDC_US, 0.0, &err));
    ck_assert(fabric_topology_add_link(&t, 1, 3, 100000000000ULL, VDC_US, 0.0, &err));
    ck_assert(fabric_topology_add_link(&t, 2, 3, 100000000000ULL, VDC_US, 0.0, &err));
    ck_assert_msg(fabric_topology_check(&t, &err), "%s", err.text);
    ck_assert(fabric_topology_add_link(&t, 3, 2, 100000000000ULL, VDC_US, 0.0, &err));
    ck_assert(!fabric_topology_check(&t, &err));
    ck_assert_str_eq(err.text, "nodes switch2 and switch3 are cabled twice (links 3 and 4, counted from 1); join two "
                               "nodes with one link, of the combined rate if both were meant");
    fabric_topology_free(&t);
}
END_TEST

Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_add_test(tc, list_is_ordered_by_time_then_entry);
    tcase_add_test(tc, list_errors_name_entry_and_word);
    tcase_add_test(tc, equal_times_follow_entry_order_and_routes_converge_once);
    tcase_add_test(tc, flap_toggles_every_half_period_and_ends_up);
    tcase_add_test(tc, failed_port_discards_its_queue_at_once);
    tcase_add_test(tc, cut_link_drains_its_queue_into_the_cable);
    tcase_add_test(tc, lossy_link_loses_about_its_share);
    tcase_add_test(tc, default_error_rate_applies_to_every_link);
    tcase_add_test(tc, names_are_checked_against_the_topology);
    tcase_add_test(tc, two_links_between_the_same_nodes);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}
