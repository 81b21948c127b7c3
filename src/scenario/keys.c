/* Every scenario key in one table, so loading, --set, messages and docs/scenarios.md cannot drift apart. */
#include "keys.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define FIELD(member) offsetof(struct vdc_scenario, member)

static const char *const topology_kinds[] = {"rack", NULL};
static const char *const workload_kinds[] = {"none", "uniform", NULL};
static const char *const failure_policies[] = {"stop", "continue", NULL};

const struct vdc_key vdc_keys[] = {
    {"name", VDC_KEY_TEXT, FIELD(name), "unnamed", .doc = "Name printed in the summary and written to outputs."},
    {"description", VDC_KEY_TEXT, FIELD(description), "", .doc = "Free text: what the scenario shows."},
    {"seed", VDC_KEY_COUNT, FIELD(seed), "1", 0, UINT64_MAX,
     .doc = "Seeds every entity's random stream (with the entity id); `--seed N` overrides it."},
    {"run.stop_time", VDC_KEY_TIME, FIELD(run.stop_time), "0", 0, UINT64_MAX,
     .doc = "Virtual time at which the run ends; 0 runs until no event is left."},
    {"topology.kind", VDC_KEY_CHOICE, FIELD(topology.kind), "rack", .choices = topology_kinds,
     .doc = "`rack`: an Open Rack v3 rack, blades cabled to one top-of-rack switch."},
    {"topology.blades", VDC_KEY_COUNT, FIELD(topology.blades), "8", 1, 4096,
     .doc = "Number of GPU blades (hosts), each on its own TOR port."},
    {"topology.tor_ports", VDC_KEY_COUNT, FIELD(topology.tor_ports), "10", 1, 4096,
     .doc = "Ports on the top-of-rack switch; must be at least `blades`."},
    {"topology.link_rate", VDC_KEY_RATE, FIELD(topology.link_rate), "100Gbps", 1000000, 1600000000000ULL,
     .doc = "Rate of every blade-to-TOR link, each direction."},
    {"topology.link_delay", VDC_KEY_TIME, FIELD(topology.link_delay), "1us", 0, VDC_SEC,
     .doc = "Propagation delay of every link."},
    {"topology.switch_latency", VDC_KEY_TIME, FIELD(topology.switch_latency), "500ns", 0, VDC_MS,
     .doc = "Time from a message's full arrival at the TOR to the start of its forwarding."},
    {"workload.kind", VDC_KEY_CHOICE, FIELD(workload.kind), "uniform", .choices = workload_kinds,
     .doc = "`uniform`: each blade sends messages to peers chosen uniformly at random; `none`: no traffic."},
    {"workload.message_size", VDC_KEY_SIZE, FIELD(workload.message_size), "64KiB", 1, 1ULL << 40,
     .doc = "Bytes per message."},
    {"workload.mean_interval", VDC_KEY_TIME, FIELD(workload.mean_interval), "20us", 1, VDC_SEC,
     .doc = "Mean of the exponential time between a blade's messages."},
    {"workload.messages_per_blade", VDC_KEY_COUNT, FIELD(workload.messages_per_blade), "1000", 0, 1000000000,
     .doc = "Messages each blade sends; 0 sends until `run.stop_time`."},
    {"guests.program", VDC_KEY_TEXT, FIELD(guests.program), "",
     .doc = "Guest program each blade runs on a KVM vCPU: an ELF path, or `guest:NAME` for `build/guest/NAME.elf` "
            "beside the vdc binary; empty runs no guests."},
    {"guests.args", VDC_KEY_TEXT, FIELD(guests.args), "", .doc = "Arguments for the program (its `bootargs`)."},
    {"guests.count", VDC_KEY_COUNT, FIELD(guests.count), "0", 0, 4096,
     .doc = "Number of guests, named `blade0`, `blade1`, ... with ranks 0, 1, ...; 0 means one per blade."},
    {"guests.memory", VDC_KEY_SIZE, FIELD(guests.memory), "64MiB", 4ULL << 20, 3ULL << 30,
     .doc = "RAM of each guest, a multiple of 2MiB."},
    {"guests.exit_cost", VDC_KEY_TIME, FIELD(guests.exit_cost), "1us", 0, VDC_MS,
     .doc = "Virtual time charged for each exit from a guest to the VMM."},
    {"guests.runaway", VDC_KEY_TIME, FIELD(guests.runaway), "10s", VDC_MS, 3600 * VDC_SEC,
     .doc = "Wall-clock time a guest may run without an exit before it is stopped as a runaway."},
    {"guests.on_failure", VDC_KEY_CHOICE, FIELD(guests.on_failure), "stop", .choices = failure_policies,
     .doc = "When a guest faults or runs away: `stop` the run, or `continue` with the other guests."},
    {"checks.min_delivered", VDC_KEY_COUNT, FIELD(checks.min_delivered), "0", 0, UINT64_MAX,
     .doc = "The run fails (exit 1) if fewer messages were delivered."},
    {"checks.max_mean_latency", VDC_KEY_TIME, FIELD(checks.max_mean_latency), "0", 0, UINT64_MAX,
     .doc = "The run fails (exit 1) if the mean message latency is higher; 0 means no limit."},
};
const size_t vdc_key_count = sizeof vdc_keys / sizeof vdc_keys[0];

int vdc_key_find(const char *path)
{
    for (size_t i = 0; i < vdc_key_count; i++) {
        if (strcmp(vdc_keys[i].path, path) == 0)
            return (int)i;
    }
    return -1;
}

bool vdc_key_is_section(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < vdc_key_count; i++) {
        if (strncmp(vdc_keys[i].path, path, n) == 0 && vdc_keys[i].path[n] == '.')
            return true;
    }
    return false;
}

void vdc_key_children(const char *section, char *buf, size_t size)
{
    size_t prefix = strlen(section), used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < vdc_key_count; i++) {
        const char *path = vdc_keys[i].path;
        if (prefix > 0 && (strncmp(path, section, prefix) != 0 || path[prefix] != '.'))
            continue;
        const char *child = path + (prefix > 0 ? prefix + 1 : 0);
        size_t len = strcspn(child, ".");
        bool seen = false; /* keys of one section are adjacent in the table, but be exact */
        for (size_t j = 0; j < i && !seen; j++) {
            const char *other = vdc_keys[j].path;
            if (prefix > 0 && (strncmp(other, section, prefix) != 0 || other[prefix] != '.'))
                continue;
            const char *other_child = other + (prefix > 0 ? prefix + 1 : 0);
            seen = strcspn(other_child, ".") == len && strncmp(other_child, child, len) == 0;
        }
        if (seen)
            continue;
        int written = snprintf(buf + used, size - used, "%s%.*s", used ? ", " : "", (int)len, child);
        if (written < 0 || (size_t)written >= size - used)
            return;
        used += (size_t)written;
    }
}

static enum vdc_quantity quantity_of(enum vdc_key_type type)
{
    switch (type) {
    case VDC_KEY_TIME: return VDC_QTY_TIME;
    case VDC_KEY_RATE: return VDC_QTY_RATE;
    case VDC_KEY_SIZE: return VDC_QTY_SIZE;
    default: return VDC_QTY_COUNT;
    }
}

static void join_choices(const char *const *choices, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; choices[i] != NULL; i++) {
        int written = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", choices[i]);
        if (written < 0 || (size_t)written >= size - used)
            return;
        used += (size_t)written;
    }
}

void vdc_key_expected(const struct vdc_key *key, char *buf, size_t size)
{
    char list[256];
    switch (key->type) {
    case VDC_KEY_REAL: snprintf(buf, size, "a number like 0.5"); break;
    case VDC_KEY_BOOL: snprintf(buf, size, "true or false"); break;
    case VDC_KEY_TEXT: snprintf(buf, size, "a text"); break;
    case VDC_KEY_CHOICE:
        join_choices(key->choices, list, sizeof list);
        snprintf(buf, size, "one of: %s", list);
        break;
    default: snprintf(buf, size, "%s", vdc_quantity_expected(quantity_of(key->type))); break;
    }
}

static void *field_of(struct vdc_scenario *sc, const struct vdc_key *key)
{
    return (char *)sc + key->offset;
}

static bool assign_value(struct vdc_scenario *sc, const struct vdc_key *key, const char *text, struct vdc_error *err)
{
    void *field = field_of(sc, key);
    switch (key->type) {
    case VDC_KEY_TEXT: {
        char **slot = field;
        free(*slot);
        *slot = vdc_xstrdup(text);
        return true;
    }
    case VDC_KEY_BOOL: return vdc_parse_bool(text, field, err);
    case VDC_KEY_REAL: {
        double value;
        if (!vdc_parse_real(text, &value, err))
            return false;
        if (value < key->real_min || value > key->real_max)
            return vdc_fail(err, "%s is out of range; expected %g to %g", text, key->real_min, key->real_max);
        *(double *)field = value;
        return true;
    }
    case VDC_KEY_CHOICE:
        for (unsigned i = 0; key->choices[i] != NULL; i++) {
            if (strcmp(key->choices[i], text) == 0) {
                *(unsigned *)field = i;
                return true;
            }
        }
        return vdc_fail(err, "unknown choice '%s'", text);
    default: {
        enum vdc_quantity kind = quantity_of(key->type);
        uint64_t value;
        if (!vdc_parse_quantity(text, kind, &value, err))
            return false;
        if (value < key->min || value > key->max) {
            char lo[64], hi[64];
            vdc_format_quantity(lo, sizeof lo, kind, key->min);
            vdc_format_quantity(hi, sizeof hi, kind, key->max);
            return vdc_fail(err, "%s is out of range; expected %s to %s", text, lo, hi);
        }
        *(uint64_t *)field = value;
        return true;
    }
    }
}

bool vdc_key_assign(struct vdc_scenario *sc, const struct vdc_key *key, const char *text, struct vdc_error *err)
{
    if (assign_value(sc, key, text, err))
        return true;
    if (strstr(err->text, "; expected ") == NULL) {
        char expected[256];
        vdc_key_expected(key, expected, sizeof expected);
        size_t used = strlen(err->text);
        snprintf(err->text + used, sizeof err->text - used, "; expected %s", expected);
    }
    return false;
}

void vdc_keys_write_markdown(FILE *out)
{
    fputs("| key | value | default | what it does |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < vdc_key_count; i++) {
        const struct vdc_key *key = &vdc_keys[i];
        char expected[256], range[160] = "";
        vdc_key_expected(key, expected, sizeof expected);
        bool integer = key->type == VDC_KEY_COUNT || key->type == VDC_KEY_TIME || key->type == VDC_KEY_RATE ||
                       key->type == VDC_KEY_SIZE;
        if (integer && !(key->min == 0 && key->max == UINT64_MAX)) {
            char lo[64], hi[64];
            vdc_format_quantity(lo, sizeof lo, quantity_of(key->type), key->min);
            vdc_format_quantity(hi, sizeof hi, quantity_of(key->type), key->max);
            snprintf(range, sizeof range, ", %s to %s", lo, hi);
        }
        fprintf(out, "| `%s` | %s%s | `%s` | %s |\n", key->path, expected, range,
                key->default_text[0] ? key->default_text : "\"\"", key->doc);
    }
}
