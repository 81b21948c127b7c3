/* Guests in a scenario: entity ids VDC_IDS_GUEST_BASE + rank, their HiGPUs VDC_IDS_GPU_BASE + rank, names blade<rank>. */
#include "run/guest_set.h"

#include "scheduler/entity_ids.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "common/read_file.h"
#include "devices/higpu/higpu.h"
#include "devices/hinic/hinic.h"
#include "devices/placement.h"
#include "kvm/simctl.h"
#include "fabric/fabric.h"
#include "kvm/guest_layout.h"


#define MAX_PROGRAM_SIZE (256u << 20)

/* "guest:NAME" names a program built beside this vdc binary, so scenarios work from any build folder. */
bool vdc_guest_program_path(const char *spec, char *path, size_t size, struct vdc_error *err)
{
    if (strncmp(spec, "guest:", 6) != 0) {
        snprintf(path, size, "%s", spec);
        return true;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return vdc_fail(err, "guests.program %s: cannot find the vdc binary's folder (%s)", spec, strerror(errno));
    self[n] = '\0';
    snprintf(path, size, "%s/guest/%s.elf", dirname(self), spec + 6);
    return true;
}

uint8_t *vdc_guest_program_read(const char *path, size_t *size, struct vdc_error *err)
{
    struct vdc_error why;
    uint64_t length;
    uint8_t *data = vdc_read_file(path, MAX_PROGRAM_SIZE, &length, &why);
    if (data == NULL) {
        vdc_fail(err, "cannot read the guest program '%s' (%s); build it with make or fix the path", path, why.text);
        return NULL;
    }
    *size = (size_t)length;
    return data;
}

static bool attach_nic(struct vdc_guest *g, void *context, struct vdc_error *err)
{
    struct vdc_guest_set *set = context;
    const struct vdc_scenario *sc = set->scenario;
    uint32_t rank = g->config.rank;
    struct hinic_params params;
    hinic_params_defaults(&params);
    params.pcie_generation = (uint32_t)sc->nic.pcie_generation;
    params.pcie_lanes = (uint32_t)sc->nic.pcie_lanes;
    params.pcie_latency = sc->nic.pcie_latency;
    params.processing = sc->nic.processing;
    params.rnr_delay = sc->nic.rnr_delay;
    params.mtu = (uint32_t)sc->nic.mtu;
    params.priority = (uint8_t)sc->nic.priority;
    params.pcie_switch_port = sc->nic.pcie_layout == VDC_PCIE_BEHIND_SWITCH ? 0 : -1;
    set->nics[rank] = hinic_create(g, set->fabric, set->host_nodes[rank], vdc_device_places[VDC_DEVICE_HINIC].mmio_base, &params, set->gids,
                                   set->ranks, g->config.console, err);
    return set->nics[rank] != NULL;
}

/* The GPU of the preset with the gpu.<param> entries applied in the order they were set. */
static bool gpu_params_of(const struct vdc_scenario *sc, struct higpu_params *params, struct vdc_error *err)
{
    static const char *const presets[] = {"h100", "h200"};
    if (!higpu_params_init(params, presets[sc->gpu.preset], err))
        return false;
    params->pcie_generation = (uint32_t)sc->gpu.pcie_generation;
    params->pcie_lanes = (uint32_t)sc->gpu.pcie_lanes;
    params->pcie_latency = sc->gpu.pcie_latency;
    params->command_time = sc->gpu.command_time;
    bool behind_switch = sc->gpu.pcie_layout == VDC_PCIE_BEHIND_SWITCH;
    params->pcie_root_port = behind_switch ? 0 : 1;
    params->pcie_switch_port = behind_switch ? 1 : -1;
    char entry[512];
    for (const char *at = sc->gpu.params; at != NULL && *at != '\0';) {
        size_t len = strcspn(at, ";");
        snprintf(entry, sizeof entry, "%.*s", (int)len, at);
        char *eq = strchr(entry, '=');
        if (eq != NULL) {
            *eq = '\0';
            if (!gpu_params_set(&params->gpu, entry, eq + 1, err))
                return vdc_fail_prefix(err, "gpu.%s", entry);
        }
        at += len;
        while (*at == ';' || *at == ' ')
            at++;
    }
    return gpu_params_validate(&params->gpu, err);
}

static bool attach_gpu(struct vdc_guest *g, struct vdc_guest_set *set, struct vdc_error *err)
{
    struct higpu_params params;
    if (!gpu_params_of(set->scenario, &params, err))
        return false;
    uint32_t rank = g->config.rank;
    set->gpus[rank] = higpu_create(g, set->sim, vdc_device_places[VDC_DEVICE_HIGPU].entity_base + rank,
                                 vdc_device_places[VDC_DEVICE_HIGPU].mmio_base, &params, g->config.console, err);
    return set->gpus[rank] != NULL;
}

static bool attach_devices(struct vdc_guest *g, void *context, struct vdc_error *err)
{
    struct vdc_guest_set *set = context;
    return (!set->scenario->guests.nic || attach_nic(g, context, err)) &&
           (!set->scenario->guests.gpu || attach_gpu(g, set, err));
}

static void guest_ended(struct vdc_guest *g, void *context)
{
    struct vdc_guest_set *set = context;
    /* Timers left behind (a WAIT deadline, a NIC's idle QP timer) would otherwise carry the clock on. */
    if (++set->ended == set->ranks && set->stop_when_all_end)
        vdc_sim_stop(g->entity->sim);
}

/* Rank r's NIC is cabled as the fabric's r-th host. */
static bool place_nics(struct vdc_guest_set *set, uint32_t count, struct vdc_error *err)
{
    if (set->fabric == NULL)
        return vdc_fail(err, "guests.nic needs a fabric; set topology.* for the guests' network");
    set->nics = vdc_xcalloc(count, sizeof *set->nics);
    set->host_nodes = vdc_xcalloc(count, sizeof *set->host_nodes);
    set->gids = vdc_xcalloc(count, sizeof *set->gids);
    uint32_t found = 0;
    for (uint32_t n = 0; n < set->fabric->node_count && found < count; n++) {
        if (set->fabric->nodes[n].is_switch)
            continue;
        set->host_nodes[found] = n;
        set->gids[found] = fabric_host_ipv4(n);
        found++;
    }
    if (found < count)
        return vdc_fail(err, "guests.nic: %u guests but the topology has %u hosts; lower guests.count or add hosts",
                        count, found);
    return true;
}

bool vdc_guest_set_build(struct vdc_guest_set *set, struct vdc_sim *sim, const struct vdc_scenario *sc,
                         struct fabric *fabric, struct vdc_error *err)
{
    memset(set, 0, sizeof *set);
    set->fabric = fabric;
    set->scenario = sc;
    set->sim = sim;
    if (sc->guests.program[0] == '\0')
        return true;
    uint32_t count = (uint32_t)(sc->guests.count ? sc->guests.count : sc->topology.blades);
    struct sysinfo info;
    if (sysinfo(&info) == 0) {
        unsigned __int128 wanted = (unsigned __int128)count * sc->guests.memory;
        unsigned __int128 have = (unsigned __int128)info.totalram * info.mem_unit;
        if (wanted > have)
            return vdc_fail(err, "%u guests of %" PRIu64 " MiB need %llu MiB but this machine has %llu MiB; lower "
                                 "guests.memory or guests.count",
                            count, sc->guests.memory >> 20, (unsigned long long)(wanted >> 20),
                            (unsigned long long)(have >> 20));
    }
    char path[PATH_MAX + 64];
    if (!vdc_guest_program_path(sc->guests.program, path, sizeof path, err))
        return false;
    size_t size = 0;
    set->program = vdc_guest_program_read(path, &size, err);
    if (set->program == NULL)
        return false;
    set->guests = vdc_xcalloc(count, sizeof *set->guests);
    set->ranks = count;
    set->stop_when_all_end = sc->workload.kind == VDC_WORKLOAD_NONE;
    if (sc->guests.nic && !place_nics(set, count, err))
        return false;
    if (sc->guests.gpu)
        set->gpus = vdc_xcalloc(count, sizeof *set->gpus);
    for (uint32_t rank = 0; rank < count; rank++) {
        char name[32];
        snprintf(name, sizeof name, "blade%u", rank);
        struct vdc_guest_config config = {
            .name = name,
            .rank = rank,
            .node_id = rank,
            .memory_size = sc->guests.memory,
            .exit_cost = sc->guests.exit_cost,
            .vcpu = (enum vdc_vcpu_backend)sc->guests.vcpu,
            .runaway_seconds = (double)sc->guests.runaway / (double)VDC_SEC,
            .runaway_instructions = sc->guests.runaway_instructions,
            .instruction_time = sc->guests.cpu_time == VDC_CPU_TIME_INSTRUCTIONS ? sc->guests.instruction_time : 0,
            .console = stdout,
            .bootargs = sc->guests.args,
            .stop_run_on_failure = sc->guests.on_failure == VDC_ON_FAILURE_STOP,
            .program_path = path,
            .attach_devices = sc->guests.nic || sc->guests.gpu ? attach_devices : NULL,
            .attach_context = set,
            .on_end = guest_ended,
        };
        set->count = rank + 1;
        if (!vdc_guest_create(&set->guests[rank], sim, VDC_IDS_GUEST_BASE + rank, &config, set->program, size, err))
            return false;
    }
    return true;
}

bool vdc_guest_set_dump_dtbs(const struct vdc_guest_set *set, const char *dir, struct vdc_error *err)
{
    for (uint32_t i = 0; i < set->count; i++) {
        const struct vdc_guest *g = &set->guests[i];
        uint32_t header[2];
        if (!vdc_guest_read(&g->memory, g->dtb_address, header, sizeof header, "device tree", err))
            return false;
        uint32_t size = __builtin_bswap32(header[1]); /* totalsize, big-endian, after the magic */
        const void *blob = vdc_guest_ptr(&g->memory, g->dtb_address, size);
        char path[4200];
        snprintf(path, sizeof path, "%s/%s.dtb", dir, g->name);
        FILE *f = fopen(path, "wb");
        if (f == NULL || blob == NULL || fwrite(blob, 1, size, f) != size || fclose(f) != 0)
            return vdc_fail(err, "--dump-dtb: cannot write '%s' (%s); choose a writable folder", path,
                            strerror(errno));
    }
    return true;
}

bool vdc_guest_set_report(struct vdc_guest_set *set, FILE *out)
{
    bool all_ok = true;
    uint32_t exited = 0;
    for (uint32_t i = 0; i < set->count; i++) {
        struct vdc_guest *g = &set->guests[i];
        vdc_guest_console_flush(g);
        if (g->state == VDC_GUEST_EXITED && g->exit_code == 0) {
            exited++;
            continue;
        }
        all_ok = false;
        char end[900];
        vdc_guest_describe_end(g, end, sizeof end);
        fprintf(out, "guest      %s %s\n", g->name, end);
    }
    if (set->count > 0) {
        fprintf(out, "guests     %u of %u exited with 0\n", exited, set->count);
        fprintf(out, "vcpu       %s\n", vdc_guest_set_backend(set));
    }
    /* Each device's counters: what the guests asked of their devices and what came of it. */
    for (uint32_t i = 0; i < set->count; i++) {
        const char *name = set->guests[i].name;
        if (set->nics && set->nics[i]) {
            struct hinic_stats n;
            hinic_get_stats(set->nics[i], &n);
            fprintf(out, "hinic      %s: %" PRIu64 " packets sent, %" PRIu64 " received, %" PRIu64
                         " retransmitted; %" PRIu64 " completions, %" PRIu64 " in error; %" PRIu64 " guest errors\n",
                    name, n.packets_sent, n.packets_received, n.retransmitted, n.completions, n.error_completions,
                    n.errors);
        }
        if (set->gpus && set->gpus[i]) {
            struct higpu_stats g;
            higpu_get_stats(set->gpus[i], &g);
            char busy[64], kernels[64], copies[64];
            vdc_time_format(busy, sizeof busy, g.busy_ps);
            vdc_time_format(kernels, sizeof kernels, g.kernel_ps);
            vdc_time_format(copies, sizeof copies, g.copy_ps);
            fprintf(out, "higpu      %s: %" PRIu64 " commands (%" PRIu64 " in error), %" PRIu64 " kernels, %" PRIu64
                         " faults; busy %s (kernels %s, copies %s), %" PRIu64 " bytes copied; %" PRIu64
                         " guest errors\n",
                    name, g.commands, g.error_completions, g.launches, g.faults, busy, kernels, copies,
                    g.copied_bytes, g.errors);
        }
    }
    return all_ok;
}

void vdc_guest_set_write_devices_json(const struct vdc_guest_set *set, FILE *f)
{
    bool any = false;
    for (uint32_t i = 0; i < set->count; i++) {
        const char *name = set->guests[i].name;
        if (set->nics && set->nics[i]) {
            struct hinic_stats n;
            hinic_get_stats(set->nics[i], &n);
            fprintf(f, "%s\n    {\"guest\": \"%s\", \"device\": \"hinic\", \"packets_sent\": %" PRIu64
                       ", \"packets_received\": %" PRIu64 ", \"retransmitted\": %" PRIu64 ", \"completions\": %" PRIu64
                       ", \"error_completions\": %" PRIu64 ", \"guest_errors\": %" PRIu64 "}",
                    any ? "," : ",\n  \"devices\": [", name, n.packets_sent, n.packets_received, n.retransmitted,
                    n.completions, n.error_completions, n.errors);
            any = true;
        }
        if (set->gpus && set->gpus[i]) {
            struct higpu_stats g;
            higpu_get_stats(set->gpus[i], &g);
            fprintf(f, "%s\n    {\"guest\": \"%s\", \"device\": \"higpu\", \"commands\": %" PRIu64
                       ", \"error_completions\": %" PRIu64 ", \"kernels\": %" PRIu64 ", \"faults\": %" PRIu64
                       ", \"busy_ps\": %" PRIu64 ", \"kernel_ps\": %" PRIu64 ", \"copy_ps\": %" PRIu64
                       ", \"copied_bytes\": %" PRIu64 ", \"guest_errors\": %" PRIu64 "}",
                    any ? "," : ",\n  \"devices\": [", name, g.commands, g.error_completions, g.launches, g.faults,
                    g.busy_ps, g.kernel_ps, g.copy_ps, g.copied_bytes, g.errors);
            any = true;
        }
    }
    if (any)
        fprintf(f, "\n  ]");
}

const char *vdc_guest_set_backend(const struct vdc_guest_set *set)
{
    return set->count > 0 ? vdc_vcpu_backend_name(set->guests[0].vcpu.backend) : NULL;
}

void vdc_guest_set_free(struct vdc_guest_set *set)
{
    /* NICs first: they hand their packets back to the fabric's pool. */
    for (uint32_t i = 0; set->nics && i < set->count; i++)
        hinic_free(set->nics[i]);
    free(set->nics);
    for (uint32_t i = 0; set->gpus && i < set->count; i++)
        higpu_free(set->gpus[i]);
    free(set->gpus);
    free(set->host_nodes);
    free(set->gids);
    for (uint32_t i = 0; i < set->count; i++)
        vdc_guest_destroy(&set->guests[i]);
    free(set->guests);
    free(set->program);
    memset(set, 0, sizeof *set);
}
