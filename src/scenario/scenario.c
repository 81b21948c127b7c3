/* Scenario defaults, --set overrides and cross-key rules; the YAML reading is in load.c. */
#include "scenario/scenario.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/shell_quote.h"
#include "scenario/keys.h"

void vdc_scenario_init(struct vdc_scenario *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->group_count = vdc_key_groups();
    sc->group_records = vdc_xcalloc(sc->group_count + 1, sizeof *sc->group_records);
    for (size_t g = 0; g < sc->group_count; g++)
        sc->group_records[g] = vdc_xcalloc(1, vdc_key_group_at(g)->record_size);
    sc->key_total = vdc_key_total();
    sc->origin = vdc_xcalloc(sc->key_total, sizeof *sc->origin);
    for (size_t i = 0; i < sc->key_total; i++) {
        struct vdc_error err;
        const struct vdc_key *key = vdc_key_at(i);
        /* Defaults go through the same parser as user input, so the documented text is the value. */
        if (!vdc_key_assign_at(sc, i, key->path, key->default_text, &err))
            vdc_die("default of scenario key '%s' is invalid: %s", key->path, err.text);
        sc->origin[i] = vdc_xstrdup("");
    }
}

void vdc_scenario_free(struct vdc_scenario *sc)
{
    for (size_t i = 0; i < sc->key_total; i++) {
        vdc_key_release(vdc_key_record(sc, i), vdc_key_at(i));
        if (sc->origin != NULL)
            free(sc->origin[i]);
    }
    for (size_t g = 0; g < sc->group_count; g++)
        free(sc->group_records[g]);
    free(sc->group_records);
    free(sc->origin);
    free(sc->source_path);
    free(sc->overrides);
    memset(sc, 0, sizeof *sc);
}

bool vdc_scenario_set(struct vdc_scenario *sc, const char *assignment, struct vdc_error *err)
{
    const char *eq = strchr(assignment, '=');
    if (eq == NULL || eq == assignment)
        return vdc_fail(err, "--set '%.60s': expected key=value, e.g. --set topology.link_rate=200Gbps", assignment);
    char path[256];
    size_t len = (size_t)(eq - assignment);
    if (len >= sizeof path)
        return vdc_fail(err, "--set: key '%.40s...' is too long; name a key such as topology.link_rate", assignment);
    memcpy(path, assignment, len);
    path[len] = '\0';
    const char *value = eq + 1;
    int index = vdc_key_find(path);
    char list[512];
    if (index < 0) {
        if (vdc_key_retired(path) != NULL)
            return vdc_fail(err, "--set %s: '%s' is no longer a key; %s", path, path, vdc_key_retired(path));
        if (vdc_key_is_section(path)) {
            vdc_key_children(path, list, sizeof list);
            return vdc_fail(err, "--set %s: '%s' is a section; set one of its keys: %s", path, path, list);
        }
        /* Name the keys of the deepest section that does exist, to point at the typo. */
        char section[256];
        snprintf(section, sizeof section, "%s", path);
        char *dot;
        while ((dot = strrchr(section, '.')) != NULL) {
            *dot = '\0';
            if (vdc_key_is_section(section))
                break;
        }
        if (dot == NULL)
            section[0] = '\0';
        vdc_key_children(section, list, sizeof list);
        return vdc_fail(err, "--set %s: unknown key '%s'; expected %s%s%s", path, path,
                        section[0] ? section : "one of", section[0] ? " to hold one of: " : ": ", list);
    }
    if (!vdc_key_assign_at(sc, (size_t)index, path, value, err))
        return vdc_fail_prefix(err, "--set %s", path);
    free(sc->origin[index]);
    sc->origin[index] = vdc_xstrdup("--set");
    size_t quoted = vdc_shell_quote(NULL, 0, assignment);
    size_t old = sc->overrides ? strlen(sc->overrides) : 0, add = quoted + 8;
    sc->overrides = vdc_xrealloc(sc->overrides, old + add, 1);
    memcpy(sc->overrides + old, " --set ", 7);
    vdc_shell_quote(sc->overrides + old + 7, quoted + 1, assignment);
    return true;
}

/* "file.yaml:3:9: " or "--set: " or "" (a default), for messages about a key's value. */
static const char *origin_of(const struct vdc_scenario *sc, const char *path)
{
    int index = vdc_key_find(path);
    return index < 0 ? "" : sc->origin[index];
}

static const char *workload_name(unsigned kind)
{
    int index = vdc_key_find("workload.kind");
    return vdc_key_at((size_t)index)->choices[kind];
}

bool vdc_scenario_validate(const struct vdc_scenario *sc, struct vdc_error *err)
{
    if (sc->topology.blades > sc->topology.tor_ports) {
        const char *where = origin_of(sc, "topology.blades");
        return vdc_fail(err, "%s%s'topology.blades' = %llu needs %llu TOR ports but 'topology.tor_ports' = %llu; "
                             "raise tor_ports or lower blades",
                        where, where[0] ? ": " : "", (unsigned long long)sc->topology.blades,
                        (unsigned long long)sc->topology.blades, (unsigned long long)sc->topology.tor_ports);
    }
    /* A rack's blades are its hosts; other topologies count theirs when built (a NIC per guest needs one each). */
    if (sc->topology.kind == VDC_TOPOLOGY_RACK && sc->guests.count > sc->topology.blades)
        return vdc_fail(err, "'guests.count' = %llu is more than the %llu blades; raise topology.blades (and "
                             "tor_ports) or lower guests.count",
                        (unsigned long long)sc->guests.count, (unsigned long long)sc->topology.blades);
    /* Other topology kinds count their hosts when they are built. */
    if (sc->workload.kind != VDC_WORKLOAD_NONE && sc->topology.kind == VDC_TOPOLOGY_RACK && sc->topology.blades < 2)
        return vdc_fail(err, "'workload.kind' = %s needs at least 2 blades to send between; "
                             "raise topology.blades or set workload.kind=none",
                        workload_name(sc->workload.kind));
    if (sc->workload.kind != VDC_WORKLOAD_NONE) {
        /* Every message could queue at one TOR port: the run must fit in virtual time's range. */
        unsigned __int128 busy = (unsigned __int128)vdc_time_to_send(sc->workload.message_size, sc->topology.link_rate) *
                                 (sc->workload.messages_per_blade ? sc->workload.messages_per_blade : 1) *
                                 sc->topology.blades;
        if (busy > VDC_TIME_MAX / 2)
            return vdc_fail(err, "the workload's messages would take longer than virtual time's range (about 213 "
                                 "days) to send; lower workload.message_size or messages_per_blade, or raise "
                                 "topology.link_rate");
    }
    if (sc->workload.kind != VDC_WORKLOAD_NONE && sc->workload.messages_per_blade == 0 && sc->run.stop_time == 0)
        return vdc_fail(err, "'workload.messages_per_blade' = 0 sends forever and 'run.stop_time' = 0 never stops; "
                             "set one of them");
    return true;
}

const void *vdc_scenario_group(const struct vdc_scenario *sc, size_t group)
{
    assert(group < sc->group_count);
    return sc->group_records[group];
}
