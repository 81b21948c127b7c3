/* A guest program on the host (guest_host.h): the verbs library compiled in, its register accesses handled by the
 * real devices as the VMM's exit loop handles them, and the guest runtime's functions over simctl's registers. */
#define VDC_VERBS_HOST_TEST 1
#include <check.h>
#include <errno.h>
#include <libfdt.h>
#include <stdlib.h>
#include <string.h>

/* The library, compiled for the host. */
#include "../../guest/runtime/bootstrap.c"
#include "../../guest/runtime/options.c"
#include "../../guest/runtime/verbs.c"
#include "../../guest/runtime/verbs_data.c"

#include "../../src/kvm/simctl.h"
#include "../../src/fabric/fabric.h"
#include "../../src/fabric/topologies.h"
#include "../../src/kvm/device_tree.h"
#include "../../src/kvm/guest.h"
#include "../../src/kvm/guest_layout.h"
#include "guest_host.h"

#define MEMORY (64ULL << 20)
#define ENTITY_ID 0x10000u
#define HINIC_BASE (GUEST_SIMCTL_BASE + GUEST_SIMCTL_SIZE)

struct guest_host_counts guest_host_counts;

static struct {
    struct vdc_sim sim;
    struct fabric_topology topo;
    struct fabric fabric;
    struct vdc_guest guest;
    struct hinic *nic;
    FILE *log;
    char *log_text;
    size_t log_size;
    uint64_t alloc_next, alloc_end; /* vdc_alloc's free memory, guest-physical */
    struct simctl_wait *wait_block;
    bool resumed;
} host;

/* The vCPU's entity: a RUN event is where the program goes on; a WAKE ends a WAIT at its deadline. */
static void on_guest_event(struct vdc_entity *self, const struct vdc_event *ev)
{
    struct vdc_guest *g = self->model;
    if (vdc_guest_take_wake(g, ev) || g->state != VDC_GUEST_RUNNABLE)
        return;
    host.resumed = true;
    vdc_sim_stop(self->sim);
}

/* One exit: the access is handled at the guest's time, then, as in the VMM, the program goes on one exit cost
 * (and its annotated compute) later, or when its WAIT ends; the fabric and the devices run meanwhile. */
static uint64_t exit_mmio(uint64_t address, bool is_write, uint64_t value)
{
    struct vdc_guest *g = &host.guest;
    ck_assert_msg(g->state == VDC_GUEST_RUNNABLE, "an access after the guest stopped");
    const struct vdc_mmio_window *w = vdc_mmio_bus_find(&g->bus, address, 8);
    ck_assert_msg(w != NULL, "%s of 8 bytes at 0x%llx reaches no device", is_write ? "write" : "read",
                  (unsigned long long)address);
    struct vdc_mmio_access access = {.offset = address - w->base, .size = 8, .is_write = is_write, .value = value};
    struct vdc_error err;
    uint64_t wait_epoch = g->wait_epoch;
    g->exits++;
    ck_assert_msg(w->handler(w->device, g, &access, &err), "guest fault: %s: %s", w->name, err.text);
    if (g->state == VDC_GUEST_RUNNABLE && g->wait_epoch == wait_epoch) { /* else a WAIT ended at once */
        vdc_schedule_in(g->entity, vdc_time_add(g->config.exit_cost, g->pending_compute), VDC_PRIO_GUEST,
                        g->entity->id, VDC_GUEST_EV_RUN, 0);
        g->pending_compute = 0;
    }
    host.resumed = false;
    while (!host.resumed)
        ck_assert_msg(vdc_sim_run(&host.sim, VDC_TIME_MAX) == VDC_RUN_STOPPED,
                      "the guest waits for something that will never come (at %llu ps)",
                      (unsigned long long)host.sim.now);
    return access.value;
}

uint64_t guest_host_mmio_read(uint64_t address)
{
    return exit_mmio(address, false, 0);
}

void guest_host_mmio_write(uint64_t address, uint64_t value)
{
    if (address >= HINIC_BASE && address < HINIC_BASE + HINIC_BAR_SIZE) {
        switch (address - HINIC_BASE) {
        case HINIC_REG_COMMAND: guest_host_counts.commands++; break;
        case HINIC_REG_SQ_DOORBELL: guest_host_counts.sq_doorbells++; break;
        case HINIC_REG_RQ_DOORBELL: guest_host_counts.rq_doorbells++; break;
        case HINIC_REG_CQ_DOORBELL: guest_host_counts.cq_doorbells++; break;
        default: break;
        }
    }
    exit_mmio(address, true, value);
}

uint64_t guest_host_physical(const void *p)
{
    const uint8_t *base = host.guest.memory.host;
    ck_assert_msg((const uint8_t *)p >= base && (const uint8_t *)p < base + host.guest.memory.size,
                  "the NIC is given memory outside the guest's (%p); allocate it with vdc_alloc", p);
    return (uint64_t)((const uint8_t *)p - base);
}

/* The runtime functions (vdc_guest.h). */

void *vdc_alloc(size_t size, size_t align)
{
    if (align == 0 || (align & (align - 1)) != 0)
        return NULL;
    uint64_t start = (host.alloc_next + align - 1) & ~(uint64_t)(align - 1);
    if (start > host.alloc_end || size > host.alloc_end - start)
        return NULL;
    host.alloc_next = start + size;
    return memset(vdc_guest_ptr(&host.guest.memory, start, size), 0, size);
}

size_t vdc_alloc_available(void)
{
    return host.alloc_end - host.alloc_next;
}

const void *vdc_device_tree(void)
{
    return vdc_guest_ptr(&host.guest.memory, host.guest.dtb_address, GUEST_DTB_SIZE);
}

uint64_t vdc_wait(uint64_t deadline_ns, uint64_t cause_mask)
{
    *host.wait_block = (struct simctl_wait){.deadline_ns = deadline_ns, .cause_mask = cause_mask};
    guest_host_mmio_write(GUEST_SIMCTL_BASE + SIMCTL_WAIT, guest_host_physical(host.wait_block));
    return host.wait_block->causes;
}

uint64_t vdc_clock_ns(void)
{
    return guest_host_mmio_read(GUEST_SIMCTL_BASE + SIMCTL_CLOCK_NS);
}

uint64_t vdc_random(void)
{
    return guest_host_mmio_read(GUEST_SIMCTL_BASE + SIMCTL_RANDOM);
}

static const void *chosen(const char *property, int *len)
{
    const void *fdt = vdc_device_tree();
    int node = fdt_path_offset(fdt, "/chosen");
    const void *value = node < 0 ? NULL : fdt_getprop(fdt, node, property, len);
    ck_assert_msg(value != NULL, "/chosen/%s is missing", property);
    return value;
}

uint32_t vdc_rank(void)
{
    int len;
    const fdt32_t *rank = chosen("vdc,rank", &len);
    ck_assert_int_eq(len, 4);
    return fdt32_to_cpu(*rank);
}

const char *vdc_bootargs(void)
{
    int len;
    return chosen("bootargs", &len);
}

/* Booting and halting. */

void guest_host_boot(const struct guest_host_options *o)
{
    struct vdc_error err;
    memset(&host, 0, sizeof host);
    memset(&guest_host_counts, 0, sizeof guest_host_counts);
    vdc_sim_init(&host.sim, 1);
    /* The rack of scenarios/rack8-perftest.yaml, two blades of it. */
    ck_assert_msg(fabric_topology_rack(&host.topo, 2, 2, GUEST_HOST_LINK_RATE, GUEST_HOST_LINK_DELAY, &err), "%s",
                  err.text);
    struct fabric_config cfg;
    fabric_config_defaults(&cfg);
    cfg.switch_latency = GUEST_HOST_SWITCH_LATENCY;
    ck_assert_msg(fabric_build(&host.fabric, &host.sim, &host.topo, &cfg, &err), "%s", err.text);

    struct vdc_guest *g = &host.guest;
    g->name = vdc_xstrdup("blade0");
    g->config = (struct vdc_guest_config){.name = g->name, .memory_size = MEMORY,
                                          .exit_cost = o->exit_cost ? o->exit_cost : GUEST_HOST_EXIT_COST,
                                          .bootargs = o->bootargs ? o->bootargs : ""};
    ck_assert(vdc_guest_memory_map(&g->memory, MEMORY, &err));
    g->entity = vdc_entity_create(&host.sim, ENTITY_ID, g->name, on_guest_event, g, &err);
    ck_assert_msg(g->entity != NULL, "%s", err.text);
    ck_assert_msg(vdc_simctl_attach(g, &err), "%s", err.text);
    struct hinic_params params;
    hinic_params_defaults(&params);
    uint32_t gids[2] = {fabric_host_ipv4(0), fabric_host_ipv4(0)};
    host.log = open_memstream(&host.log_text, &host.log_size);
    host.nic = hinic_create(g, &host.fabric, 0, HINIC_BASE, &params, gids, o->peer_gids ? 2 : 0, host.log, &err);
    ck_assert_msg(host.nic != NULL, "%s", err.text);
    g->dtb_address = MEMORY - GUEST_DTB_SIZE;
    struct vdc_device_tree_info info = {.name = g->name, .memory_size = MEMORY, .bootargs = g->config.bootargs,
                                        .bus = &g->bus};
    ck_assert_msg(vdc_device_tree_build(&g->memory, g->dtb_address, GUEST_DTB_SIZE, &info, &err), "%s", err.text);
    g->state = VDC_GUEST_RUNNABLE;
    host.alloc_next = GUEST_PROGRAM_BASE;
    host.alloc_end = g->dtb_address;
    host.wait_block = vdc_alloc(sizeof *host.wait_block, 64);

    /* The library's state belongs to the last boot's guest. */
    memset(&nic, 0, sizeof nic);
    free_pds = free_mrs = free_cqs = free_qps = NULL;
}

void guest_host_halt(void)
{
    hinic_free(host.nic);
    fclose(host.log);
    free(host.log_text);
    vdc_guest_memory_unmap(&host.guest.memory);
    vdc_mmio_bus_free(&host.guest.bus);
    free(host.guest.name);
    fabric_free(&host.fabric);
    fabric_topology_free(&host.topo);
    vdc_sim_free(&host.sim);
    memset(&host, 0, sizeof host);
}

const struct hinic *guest_host_nic(void)
{
    return host.nic;
}

struct hinic_stats guest_host_nic_stats(void)
{
    struct hinic_stats stats;
    hinic_get_stats(host.nic, &stats);
    return stats;
}

const char *guest_host_nic_log(void)
{
    fflush(host.log);
    return host.log_text;
}

vdc_time guest_host_now(void)
{
    return host.sim.now;
}
