/* Key tables: parsing a key's text into its record, and describing what a key expects (key_table.h). */
#include "common/key_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

size_t vdc_key_family_prefix(const struct vdc_key *key)
{
    return strcspn(key->path, "<");
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
    case VDC_KEY_LIST: snprintf(buf, size, "entries separated by ; or line breaks, or a YAML list of them"); break;
    case VDC_KEY_FAMILY: snprintf(buf, size, "the parameter's value, with its unit where it has one"); break;
    case VDC_KEY_CHOICE:
        join_choices(key->choices, list, sizeof list);
        snprintf(buf, size, "one of: %s", list);
        break;
    default: snprintf(buf, size, "%s", vdc_quantity_expected(quantity_of(key->type))); break;
    }
}

static void *field_of(void *record, const struct vdc_key *key)
{
    return (char *)record + key->offset;
}

static bool assign_value(void *record, const struct vdc_key *key, const char *text, struct vdc_error *err)
{
    void *field = field_of(record, key);
    switch (key->type) {
    case VDC_KEY_LIST: {
        unsigned count;
        if (!key->check(text, 1, &count, err))
            return false;
        char **slot = field;
        free(*slot);
        *slot = vdc_xstrdup(text);
        return true;
    }
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

/* Sets (or replaces) one member's "name=value" entry in a family's text. */
static bool assign_member(void *record, const struct vdc_key *key, const char *path, const char *text,
                          struct vdc_error *err)
{
    char **slot = field_of(record, key);
    if (strcmp(path, key->path) == 0) { /* the default */
        free(*slot);
        *slot = vdc_xstrdup(text);
        return true;
    }
    const char *name = path + vdc_key_family_prefix(key);
    if (strpbrk(text, ";=\n") != NULL || text[0] == '\0')
        return vdc_fail(err, "'%s' is not a value (empty, or it has ';', '=' or a line break)", text);
    if (!key->member_check(name, text, err))
        return false;
    /* Rebuild the text without an earlier entry for the same name, then add this one at the end. */
    size_t name_len = strlen(name), old_len = strlen(*slot);
    char *out = vdc_xmalloc(old_len + name_len + strlen(text) + 4);
    size_t used = 0;
    for (const char *entry = *slot; *entry != '\0';) {
        size_t len = strcspn(entry, ";");
        if (!(len > name_len && strncmp(entry, name, name_len) == 0 && entry[name_len] == '=')) {
            memcpy(out + used, entry, len);
            used += len;
            memcpy(out + used, "; ", 2);
            used += 2;
        }
        entry += len;
        while (*entry == ';' || *entry == ' ')
            entry++;
    }
    sprintf(out + used, "%s=%s", name, text);
    free(*slot);
    *slot = out;
    return true;
}

bool vdc_key_store(void *record, const struct vdc_key *key, const char *path, const char *text,
                   struct vdc_error *err)
{
    if (key->type == VDC_KEY_FAMILY ? assign_member(record, key, path, text, err)
                                    : assign_value(record, key, text, err))
        return true;
    if (strstr(err->text, "; expected ") == NULL) {
        char expected[256];
        vdc_key_expected(key, expected, sizeof expected);
        size_t used = strlen(err->text);
        snprintf(err->text + used, sizeof err->text - used, "; expected %s", expected);
    }
    return false;
}

void vdc_key_release(void *record, const struct vdc_key *key)
{
    if (key->type == VDC_KEY_TEXT || key->type == VDC_KEY_LIST || key->type == VDC_KEY_FAMILY) {
        char **slot = field_of(record, key);
        free(*slot);
        *slot = NULL;
    }
}

void vdc_key_range(const struct vdc_key *key, char *buf, size_t size)
{
    bool integer = key->type == VDC_KEY_COUNT || key->type == VDC_KEY_TIME || key->type == VDC_KEY_RATE ||
                   key->type == VDC_KEY_SIZE;
    buf[0] = '\0';
    if (integer && !(key->min == 0 && key->max == UINT64_MAX)) {
        char lo[64], hi[64];
        vdc_format_quantity(lo, sizeof lo, quantity_of(key->type), key->min);
        vdc_format_quantity(hi, sizeof hi, quantity_of(key->type), key->max);
        snprintf(buf, size, ", %s to %s", lo, hi);
    }
}
