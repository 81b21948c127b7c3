/* The table of scenario keys: path, type, default, range and documentation, one row per key. */
#ifndef VDC_SCENARIO_KEYS_H
#define VDC_SCENARIO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "scenario/scenario.h"

enum vdc_key_type {
    VDC_KEY_COUNT,
    VDC_KEY_TIME,
    VDC_KEY_RATE,
    VDC_KEY_SIZE,
    VDC_KEY_REAL,
    VDC_KEY_BOOL,
    VDC_KEY_TEXT,
    VDC_KEY_CHOICE,
    VDC_KEY_LIST, /* a text of entries separated by ';' or line breaks; in YAML also a list of texts */
    VDC_KEY_FAMILY, /* "section.<name>": any name another table knows (the GPU's parameters); the field is a text
                     * of "name=value" entries separated by "; ", in the order they were set */
};

/* Checks one member of a VDC_KEY_FAMILY: its name (the path after the section) and value. */
typedef bool (*vdc_key_member_check)(const char *name, const char *value, struct vdc_error *err);

/* Checks a VDC_KEY_LIST text whose entries are numbered from `first_number`, and counts them. */
typedef bool (*vdc_key_list_check)(const char *text, unsigned first_number, unsigned *count, struct vdc_error *err);

/* The check of gpu.<param> values: the GPU model's, handed in by the program (the scenario layer knows no model). */
void vdc_keys_use_gpu_param_check(vdc_key_member_check check);

struct vdc_key {
    const char *path;
    enum vdc_key_type type;
    size_t offset;
    const char *default_text;
    uint64_t min, max;           /* integer types */
    double real_min, real_max;   /* VDC_KEY_REAL */
    const char *const *choices;  /* VDC_KEY_CHOICE, NULL-terminated */
    vdc_key_list_check check;    /* VDC_KEY_LIST */
    vdc_key_member_check member_check; /* VDC_KEY_FAMILY */
    const char *doc;
};

extern const struct vdc_key vdc_keys[];
extern const size_t vdc_key_count;

/* The key with exactly this path, or else the family ("gpu.<param>") whose section begins it, or -1. */
int vdc_key_find(const char *path);

/* For a key that no longer exists: what to write instead (one clause, for "...; NOTE"), else NULL. */
const char *vdc_key_retired(const char *path);

/* True when `path` is a section (a prefix of some key followed by '.'). */
bool vdc_key_is_section(const char *path);

/* Comma-separated names that may follow `section` ("" for the top level), for "expected one of" lists. */
void vdc_key_children(const char *section, char *buf, size_t size);

/* The expected form of a key's value, for messages and docs. */
void vdc_key_expected(const struct vdc_key *key, char *buf, size_t size);

/* Parses `text` into the key's field of `sc` with range checks; the message names the defect and the
 * expected form, not where the text came from. */
bool vdc_key_assign(struct vdc_scenario *sc, const struct vdc_key *key, const char *text, struct vdc_error *err);
/* The same for the key at `path`: for a family, the member it names (the family's own path resets it). */
bool vdc_key_assign_at(struct vdc_scenario *sc, const struct vdc_key *key, const char *path, const char *text,
                       struct vdc_error *err);

/* Writes the Markdown reference table of every key (the one in docs/scenarios.md). */
void vdc_keys_write_markdown(FILE *out);

#endif
