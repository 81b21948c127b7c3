/* Guests in a scenario: entity ids VDC_IDS_GUEST_BASE + rank, names blade<rank>, each with the devices of the
 * device table (devices/plug.h) its scenario asks for. */
#include "run/guest_set.h"

#include "scheduler/entity_ids.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "common/copier.h"
#include "common/read_file.h"
#include "devices/plug.h"
#include "fabric/fabric.h"
#include "run/hilink_setup.h"
#include "scenario/keys.h"


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

/* Each device's key group (the scenario keeps their values), by table row. */
static size_t device_key_groups[VDC_DEVICES_MAX];

void vdc_guest_set_add_device_keys(void)
{
    static struct vdc_key_group groups[VDC_DEVICES_MAX];
    assert(vdc_device_count <= VDC_DEVICES_MAX);
    for (size_t d = 0; d < vdc_device_count; d++) {
        const struct vdc_device_plug *plug = vdc_device_table[d].plug;
        groups[d] = (struct vdc_key_group){plug->keys, plug->key_count, plug->config_size};
        device_key_groups[d] = vdc_keys_add_group(&groups[d]);
    }
}

static const void *device_config(const struct vdc_scenario *sc, size_t d)
{
    return vdc_scenario_group(sc, device_key_groups[d]);
}

bool vdc_guest_set_uses_fabric(const struct vdc_scenario *sc)
{
    for (size_t d = 0; d < vdc_device_count; d++) {
        const struct vdc_device_plug *plug = vdc_device_table[d].plug;
        if (plug->uses_fabric && plug->wanted(device_config(sc, d)))
            return true;
    }
    return false;
}

static bool uses_hilink(const struct vdc_scenario *sc)
{
    for (size_t d = 0; d < vdc_device_count; d++) {
        const struct vdc_device_plug *plug = vdc_device_table[d].plug;
        if (plug->uses_hilink && plug->wanted(device_config(sc, d)))
            return true;
    }
    return false;
}

static bool any_device(const struct vdc_scenario *sc)
{
    for (size_t d = 0; d < vdc_device_count; d++) {
        if (vdc_device_table[d].plug->wanted(device_config(sc, d)))
            return true;
    }
    return false;
}

/* Every device the scenario asks for, in table order. */
static bool attach_devices(struct vdc_guest *g, void *context, struct vdc_error *err)
{
    struct vdc_guest_set *set = context;
    uint32_t rank = g->config.rank;
    for (size_t d = 0; d < vdc_device_count; d++) {
        const struct vdc_device_slot *slot = &vdc_device_table[d];
        const void *config = device_config(set->scenario, d);
        if (!slot->plug->wanted(config))
            continue;
        struct vdc_device_env env = {
            .sim = set->sim,
            .guest = g,
            .fabric = set->fabric,
            .hilink = set->hilinks != NULL ? set->hilinks[rank / set->hilink_domain_gpus] : NULL,
            .hilink_place = set->hilinks != NULL ? rank % set->hilink_domain_gpus : 0,
            .rank = rank,
            .ranks = set->ranks,
            .mmio_base = slot->mmio_base,
            .cause_bit = slot->cause_bit,
            .entity_id = slot->entity_base ? slot->entity_base + rank : 0,
            .log = g->config.console,
        };
        void *device = slot->plug->attach(&env, config, err);
        if (device == NULL)
            return false;
        set->devices[rank * vdc_device_count + d] = device;
    }
    return true;
}

static void guest_ended(struct vdc_guest *g, void *context)
{
    struct vdc_guest_set *set = context;
    /* Timers left behind (a WAIT deadline, a NIC's idle QP timer) would otherwise carry the clock on. */
    if (++set->ended == set->ranks && set->stop_when_all_end)
        vdc_sim_stop(g->entity->sim);
}

bool vdc_guest_set_build(struct vdc_guest_set *set, struct vdc_sim *sim, const struct vdc_scenario *sc,
                         struct fabric *fabric, struct vdc_error *err)
{
    memset(set, 0, sizeof *set);
    set->fabric = fabric;
    set->scenario = sc;
    set->sim = sim;
    if (sc->guests.program[0] == '\0')
        return vdc_hilink_setup_faults(NULL, sc, 0, err); /* no guests, no GPUs: HiLink faults have no target */
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
    set->devices = vdc_xcalloc((size_t)count * vdc_device_count, sizeof *set->devices);
    /* The NICs' payloads move into guest RAM on a thread of their own when the run may take more than one; not
     * beside a packet capture, which reads payloads where their senders keep them. */
    if (sc->run.threads > 1 && (fabric == NULL || fabric->capture == NULL))
        set->copier = vdc_copier_create(VDC_COPIER_RING);
    if (uses_hilink(sc)) {
        uint32_t per = vdc_hilink_domain_gpus(sc, count), domains = (count + per - 1) / per;
        set->hilink_domain_gpus = per;
        set->hilinks = vdc_xcalloc(domains, sizeof *set->hilinks);
        set->hilink_domains = domains;
        for (uint32_t d = 0; d < domains; d++) {
            uint32_t gpus = count - d * per < per ? count - d * per : per;
            set->hilinks[d] = vdc_hilink_build(sim, sc, gpus, d, err);
            if (set->hilinks[d] == NULL && err->text[0] != '\0')
                return false;
        }
    }
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
            .attach_devices = any_device(sc) ? attach_devices : NULL,
            .attach_context = set,
            .on_end = guest_ended,
            .copier = set->copier,
        };
        set->count = rank + 1;
        if (!vdc_guest_create(&set->guests[rank], sim, VDC_IDS_GUEST_BASE + rank, &config, set->program, size, err))
            return false;
    }
    if (!vdc_hilink_setup_faults(set->hilinks, sc, count, err))
        return false;
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
        const void *blob = vdc_guest_view(&g->memory, g->dtb_address, size);
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
        for (size_t d = 0; d < vdc_device_count; d++) {
            const void *device = set->devices[i * vdc_device_count + d];
            if (device == NULL)
                continue;
            const struct vdc_device_plug *plug = vdc_device_table[d].plug;
            char line[600];
            plug->summary(device, line, sizeof line);
            fprintf(out, "%-10s %s: %s\n", plug->name, set->guests[i].name, line);
        }
    }
    return all_ok;
}

void vdc_guest_set_write_devices_json(const struct vdc_guest_set *set, FILE *f)
{
    bool any = false;
    for (uint32_t i = 0; i < set->count; i++) {
        for (size_t d = 0; d < vdc_device_count; d++) {
            const void *device = set->devices[i * vdc_device_count + d];
            if (device == NULL)
                continue;
            const struct vdc_device_plug *plug = vdc_device_table[d].plug;
            struct vdc_device_counter counters[VDC_DEVICE_COUNTERS_MAX];
            size_t n = plug->counters(device, counters);
            assert(n <= VDC_DEVICE_COUNTERS_MAX);
            fprintf(f, "%s\n    {\"guest\": \"%s\", \"device\": \"%s\"", any ? "," : ",\n  \"devices\": [",
                    set->guests[i].name, plug->name);
            for (size_t c = 0; c < n; c++)
                fprintf(f, ", \"%s\": %" PRIu64, counters[c].name, counters[c].value);
            fputc('}', f);
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
    /* Devices before the fabric and the guests: a NIC hands its packets back to the fabric's pool. */
    for (uint32_t i = 0; set->devices && i < set->count; i++) {
        for (size_t d = 0; d < vdc_device_count; d++) {
            void *device = set->devices[i * vdc_device_count + d];
            if (device != NULL)
                vdc_device_table[d].plug->free(device);
        }
    }
    free(set->devices);
    for (uint32_t d = 0; d < set->hilink_domains; d++)
        hilink_free(set->hilinks[d]);
    free(set->hilinks);
    for (uint32_t i = 0; i < set->count; i++)
        vdc_guest_destroy(&set->guests[i]);
    free(set->guests);
    vdc_copier_free(set->copier);
    free(set->program);
    memset(set, 0, sizeof *set);
}
