/* The table of scenario keys: path, type, default, range and documentation, one row per key. */
#ifndef VDC_SCENARIO_KEYS_H
#define VDC_SCENARIO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/key_table.h"
#include "scenario/scenario.h"

/* The scenario's own keys, stored in struct vdc_scenario. */
extern const struct vdc_key vdc_keys[];
extern const size_t vdc_key_count;

/* Keys another part declares (a device's), stored in a record of that part's own that each scenario holds; the
 * scenario layer reads and checks them without knowing what they mean. */
struct vdc_key_group {
    const struct vdc_key *keys;
    size_t count;
    size_t record_size;
};

/* Adds a group after the scenario's own keys (once; adding the same group again does nothing). Every group is
 * added before the first scenario is initialized; returns the group's number. */
size_t vdc_keys_add_group(const struct vdc_key_group *group);

size_t vdc_key_groups(void);
const struct vdc_key_group *vdc_key_group_at(size_t group);

/* Every key, the scenario's own first and then each group's, by index. */
size_t vdc_key_total(void);
const struct vdc_key *vdc_key_at(size_t index);
/* The record holding key `index`'s value: the scenario itself or one of its group records. */
void *vdc_key_record(struct vdc_scenario *sc, size_t index);

/* The index of the key with exactly this path, or else the family ("gpu.<param>") whose section begins it, or -1. */
int vdc_key_find(const char *path);

/* For a key that no longer exists: what to write instead (one clause, for "...; NOTE"), else NULL. */
const char *vdc_key_retired(const char *path);

/* True when `path` is a section (a prefix of some key followed by '.'). */
bool vdc_key_is_section(const char *path);

/* Comma-separated names that may follow `section` ("" for the top level), for "expected one of" lists. */
void vdc_key_children(const char *section, char *buf, size_t size);

/* Parses `text` into key `index`'s field of `sc` (key_table.h's vdc_key_store): `path` is the key's own, or for a
 * family the member it names. */
bool vdc_key_assign_at(struct vdc_scenario *sc, size_t index, const char *path, const char *text,
                       struct vdc_error *err);

/* Writes the Markdown reference table of every key (the one in docs/scenarios.md). */
void vdc_keys_write_markdown(FILE *out);

#endif
