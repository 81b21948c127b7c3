/* Tables of named settings (path, type, default, range, documentation), each value kept at an offset in a record:
 * the scenario's own keys, and each device's keys in a record of the device's own. */
#ifndef VDC_COMMON_KEY_TABLE_H
#define VDC_COMMON_KEY_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum vdc_key_type {
    VDC_KEY_COUNT,  /* uint64_t */
    VDC_KEY_TIME,   /* vdc_time */
    VDC_KEY_RATE,   /* uint64_t, bit/s */
    VDC_KEY_SIZE,   /* uint64_t, bytes */
    VDC_KEY_REAL,   /* double */
    VDC_KEY_BOOL,   /* bool */
    VDC_KEY_TEXT,   /* char *, owned by the record */
    VDC_KEY_CHOICE, /* unsigned: the index in `choices` */
    VDC_KEY_LIST,   /* char *: a text of entries separated by ';' or line breaks; in YAML also a list of texts */
    VDC_KEY_FAMILY, /* "section.<name>": any name another table knows (the GPU's parameters); the field is a text
                     * of "name=value" entries separated by "; ", in the order they were set */
};

/* Checks one member of a VDC_KEY_FAMILY: its name (the path after the section) and value. */
typedef bool (*vdc_key_member_check)(const char *name, const char *value, struct vdc_error *err);

/* Checks a VDC_KEY_LIST text whose entries are numbered from `first_number`, and counts them. */
typedef bool (*vdc_key_list_check)(const char *text, unsigned first_number, unsigned *count, struct vdc_error *err);

struct vdc_key {
    const char *path;
    enum vdc_key_type type;
    size_t offset;               /* of the value in the table's record */
    const char *default_text;
    uint64_t min, max;           /* integer types */
    double real_min, real_max;   /* VDC_KEY_REAL */
    const char *const *choices;  /* VDC_KEY_CHOICE, NULL-terminated */
    vdc_key_list_check check;    /* VDC_KEY_LIST */
    vdc_key_member_check member_check; /* VDC_KEY_FAMILY */
    const char *doc;
};

/* The length of a family's section with its dot ("gpu." of "gpu.<param>"). */
size_t vdc_key_family_prefix(const struct vdc_key *key);

/* The expected form of a key's value, for messages and docs. */
void vdc_key_expected(const struct vdc_key *key, char *buf, size_t size);

/* ", 1 to 16" for an integer key with a range ("" otherwise), for docs. */
void vdc_key_range(const struct vdc_key *key, char *buf, size_t size);

/* Parses `text` into the key's field of `record` with range checks; `path` is the key's own path, or for a family
 * the member it names (the family's own path resets it). The message names the defect and the expected form,
 * not where the text came from. */
bool vdc_key_store(void *record, const struct vdc_key *key, const char *path, const char *text,
                   struct vdc_error *err);

/* Frees what the key's field owns (texts). */
void vdc_key_release(void *record, const struct vdc_key *key);

#endif
