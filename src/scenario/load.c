/* Reads a scenario YAML file with libyaml and applies each key through the key table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "scenario/keys.h"
#include "scenario/scenario.h"

struct load_context {
    struct vdc_scenario *sc;
    const char *path;
    yaml_document_t *doc;
    unsigned depth;
};

/* libyaml marks count from 0; people and editors count from 1. */
static bool fail_at(struct vdc_error *err, const struct load_context *ctx, yaml_mark_t mark, const char *fmt,
                    const char *a, const char *b, const char *c)
{
    vdc_fail(err, fmt, a, b, c);
    return vdc_fail_prefix(err, "%s:%zu:%zu", ctx->path, mark.line + 1, mark.column + 1);
}

static const char *shape_name(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return "a value";
    }
}

static bool is_null_scalar(const yaml_node_t *node)
{
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *text = (const char *)node->data.scalar.value;
    return text[0] == '\0' || strcmp(text, "~") == 0 || strcmp(text, "null") == 0;
}

/* A list key written as a YAML list of texts: each item is checked where it stands, numbering its entries after
 * the items before it, and the items are joined with ';' as --set would give them. */
static char *join_list_items(struct load_context *ctx, const char *path, const struct vdc_key *key,
                             const yaml_node_t *list, struct vdc_error *err)
{
    size_t used = 0;
    char *joined = vdc_xstrdup("");
    unsigned next_number = 1;
    for (yaml_node_item_t *item = list->data.sequence.items.start; item < list->data.sequence.items.top; item++) {
        yaml_node_t *node = yaml_document_get_node(ctx->doc, *item);
        bool ok = false;
        unsigned count = 0;
        if (node->type != YAML_SCALAR_NODE) {
            fail_at(err, ctx, node->start_mark, "'%s' items must be texts like '2ms down leaf0/spine1', not %s", path,
                    shape_name(node), NULL);
        } else if (strlen((const char *)node->data.scalar.value) != node->data.scalar.length) {
            fail_at(err, ctx, node->start_mark, "'%s' contains a NUL character; remove it", path, NULL, NULL);
        } else if (!key->check((const char *)node->data.scalar.value, next_number, &count, err)) {
            char detail[sizeof err->text];
            snprintf(detail, sizeof detail, "%s", err->text);
            fail_at(err, ctx, node->start_mark, "'%s': %s", path, detail, NULL);
        } else {
            ok = true;
        }
        if (!ok) {
            free(joined);
            return NULL;
        }
        next_number += count;
        size_t add = node->data.scalar.length;
        joined = vdc_xrealloc(joined, used + add + 3, 1);
        if (used > 0) {
            memcpy(joined + used, "; ", 2);
            used += 2;
        }
        memcpy(joined + used, node->data.scalar.value, add + 1);
        used += add;
    }
    return joined;
}

static bool apply_value(struct load_context *ctx, const char *path, const yaml_node_t *value,
                        struct vdc_error *err)
{
    int index = vdc_key_find(path);
    const struct vdc_key *key = vdc_key_at((size_t)index);
    char expected[256];
    vdc_key_expected(key, expected, sizeof expected);
    char *list_text = NULL;
    if (key->type == VDC_KEY_LIST && value->type == YAML_SEQUENCE_NODE) {
        if ((list_text = join_list_items(ctx, path, key, value, err)) == NULL)
            return false;
    } else if (value->type != YAML_SCALAR_NODE) {
        return fail_at(err, ctx, value->start_mark, "'%s' must be %s, not %s", path, expected, shape_name(value));
    } else if (is_null_scalar(value) && key->type != VDC_KEY_TEXT && key->type != VDC_KEY_LIST) {
        return fail_at(err, ctx, value->start_mark, "'%s' has no value; expected %s", path, expected, NULL);
    } else if (strlen((const char *)value->data.scalar.value) != value->data.scalar.length) {
        return fail_at(err, ctx, value->start_mark, "'%s' contains a NUL character; remove it", path, NULL, NULL);
    }
    /* A plain null (schedule: with nothing after it) is an empty list, as it is an empty text. */
    const char *text = list_text                                            ? list_text
                       : key->type == VDC_KEY_LIST && is_null_scalar(value) ? ""
                                                                            : (const char *)value->data.scalar.value;
    bool assigned = vdc_key_assign_at(ctx->sc, (size_t)index, path, text, err);
    free(list_text);
    if (!assigned) {
        char detail[sizeof err->text];
        snprintf(detail, sizeof detail, "%s", err->text);
        return fail_at(err, ctx, value->start_mark, "'%s': %s", path, detail, NULL);
    }
    char origin[512];
    snprintf(origin, sizeof origin, "%s:%zu:%zu", ctx->path, value->start_mark.line + 1,
             value->start_mark.column + 1);
    free(ctx->sc->origin[index]);
    ctx->sc->origin[index] = vdc_xstrdup(origin);
    return true;
}

static bool apply_mapping(struct load_context *ctx, const char *section, yaml_node_t *map, struct vdc_error *err)
{
    /* The key table is at most a few levels deep; deeper nesting is an unknown key anyway, but aliases
     * could make a cycle, so bound the walk. */
    if (++ctx->depth > 16)
        return fail_at(err, ctx, map->start_mark, "mappings nested too deeply under '%s'", section, NULL, NULL);
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_document_get_node(ctx->doc, pair->key);
        yaml_node_t *value = yaml_document_get_node(ctx->doc, pair->value);
        if (key->type != YAML_SCALAR_NODE)
            return fail_at(err, ctx, key->start_mark, "a key must be a plain name, not %s", shape_name(key), NULL,
                           NULL);
        const char *name = (const char *)key->data.scalar.value;
        if (strlen(name) != key->data.scalar.length)
            return fail_at(err, ctx, key->start_mark, "a key contains a NUL character; remove it", NULL, NULL, NULL);
        if (strchr(name, '.') != NULL)
            return fail_at(err, ctx, key->start_mark, "key '%s' contains a dot; nest it under its section instead "
                                                      "(topology:, then blades: on the next line, indented)",
                           name, NULL, NULL);
        char path[256];
        if ((size_t)snprintf(path, sizeof path, "%s%s%s", section, section[0] ? "." : "", name) >= sizeof path)
            return fail_at(err, ctx, key->start_mark, "key '%.60s...' is too long", name, NULL, NULL);
        for (yaml_node_pair_t *earlier = map->data.mapping.pairs.start; earlier < pair; earlier++) {
            yaml_node_t *other = yaml_document_get_node(ctx->doc, earlier->key);
            if (other->type == YAML_SCALAR_NODE && strcmp((const char *)other->data.scalar.value, name) == 0) {
                char line[32];
                snprintf(line, sizeof line, "%zu", other->start_mark.line + 1);
                return fail_at(err, ctx, key->start_mark, "key '%s' appears twice (first on line %s); keep one",
                               path, line, NULL);
            }
        }
        int found = vdc_key_find(path);
        if (found >= 0 && vdc_key_at((size_t)found)->type == VDC_KEY_FAMILY && value->type == YAML_MAPPING_NODE) {
            /* A family member with members of its own (gpu: latency: fp32: 4 is gpu.latency.fp32). */
            if (!apply_mapping(ctx, path, value, err))
                return false;
        } else if (found >= 0) {
            if (!apply_value(ctx, path, value, err))
                return false;
        } else if (vdc_key_is_section(path)) {
            if (is_null_scalar(value))
                continue; /* "checks:" with nothing under it keeps the defaults */
            if (value->type != YAML_MAPPING_NODE) {
                char children[512];
                vdc_key_children(path, children, sizeof children);
                return fail_at(err, ctx, value->start_mark, "'%s' must be a mapping of keys (%s), not %s", path,
                               children, value->type == YAML_SCALAR_NODE ? "a value" : shape_name(value));
            }
            if (!apply_mapping(ctx, path, value, err))
                return false;
        } else if (vdc_key_retired(path) != NULL) {
            return fail_at(err, ctx, key->start_mark, "'%s' is no longer a key; %s", path, vdc_key_retired(path),
                           NULL);
        } else {
            char children[512];
            vdc_key_children(section, children, sizeof children);
            return fail_at(err, ctx, key->start_mark, "unknown key '%s'; expected one of: %s", path, children, NULL);
        }
    }
    ctx->depth--;
    return true;
}

static bool syntax_error(const yaml_parser_t *parser, const char *path, struct vdc_error *err)
{
    if (parser->error == YAML_READER_ERROR) /* libyaml gives a byte offset, not a mark, for encoding errors */
        return vdc_fail(err, "%s: byte %zu: %s (0x%02x); save the file as UTF-8 text", path, parser->problem_offset + 1,
                        parser->problem ? parser->problem : "unreadable text", (unsigned)parser->problem_value & 0xff);
    const yaml_mark_t *mark = parser->problem ? &parser->problem_mark : &parser->context_mark;
    vdc_fail(err, "%s:%zu:%zu: YAML syntax error: %s%s%s; check the indentation, quotes and brackets there", path, mark->line + 1,
             mark->column + 1, parser->problem ? parser->problem : "unreadable document",
             parser->context ? " " : "", parser->context ? parser->context : "");
    return false;
}

bool vdc_scenario_load(struct vdc_scenario *sc, const char *path, struct vdc_error *err)
{
    struct stat info;
    if (stat(path, &info) == 0 && S_ISDIR(info.st_mode))
        return vdc_fail(err, "%s: is a folder, not a scenario file; give a .yaml file such as scenarios/rack8.yaml",
                        path);
    FILE *file = fopen(path, "rb");
    if (file == NULL)
        return vdc_fail(err, "%s: cannot open the scenario file (%m); check the path", path);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        fclose(file);
        return vdc_fail(err, "%s: cannot start the YAML parser (out of memory)", path);
    }
    yaml_parser_set_input_file(&parser, file);
    bool ok = false;
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&parser, path, err);
        goto done_parser;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    struct load_context ctx = {.sc = sc, .path = path, .doc = &doc};
    if (root == NULL) {
        vdc_fail(err, "%s:1:1: the scenario is empty; expected a mapping of keys such as 'topology:'", path);
    } else if (root->type != YAML_MAPPING_NODE) {
        char children[512];
        vdc_key_children("", children, sizeof children);
        fail_at(err, &ctx, root->start_mark, "a scenario must be a mapping of keys (%s), not %s", children,
                shape_name(root), NULL);
    } else if (apply_mapping(&ctx, "", root, err)) {
        yaml_document_t extra;
        if (!yaml_parser_load(&parser, &extra)) {
            syntax_error(&parser, path, err);
        } else {
            yaml_node_t *extra_root = yaml_document_get_root_node(&extra);
            if (extra_root != NULL)
                fail_at(err, &ctx, extra_root->start_mark,
                        "a second YAML document ('---') follows; a scenario file holds one%s%s%s", "", "", "");
            else
                ok = true;
            yaml_document_delete(&extra);
        }
    }
    yaml_document_delete(&doc);
done_parser:
    yaml_parser_delete(&parser);
    fclose(file);
    if (ok) {
        free(sc->source_path);
        sc->source_path = vdc_xstrdup(path);
    }
    return ok;
}
