/* Reading fault entries: a time, an action and its target, each word checked with a message that names it. */
#include "scenario/fault_list.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"

#define MAX_WORDS 8 /* one more than the longest form, flap */

struct action_form {
    const char *name;
    enum vdc_fault_action action;
    unsigned words;   /* including the time and the action */
    const char *form; /* for "expected" */
};

static const struct action_form forms[] = {
    {"down", VDC_FAULT_DOWN, 3, "TIME down NODE/NODE"},
    {"up", VDC_FAULT_UP, 3, "TIME up NODE/NODE"},
    {"flap", VDC_FAULT_FLAP, 7, "TIME flap NODE/NODE period TIME until TIME"},
    {"fail-port", VDC_FAULT_FAIL_PORT, 3, "TIME fail-port SWITCH/PEER or SWITCH:N"},
    {"repair-port", VDC_FAULT_REPAIR_PORT, 3, "TIME repair-port SWITCH/PEER or SWITCH:N"},
    {"stuck", VDC_FAULT_STUCK, 3, "TIME stuck HOST"},
    {"errors", VDC_FAULT_ERRORS, 4, "TIME errors NODE/NODE PROBABILITY"},
    {"hilink-down", VDC_FAULT_HILINK_DOWN, 3, "TIME hilink-down GUEST"},
    {"hilink-up", VDC_FAULT_HILINK_UP, 3, "TIME hilink-up GUEST"},
    {"hilink-corrupt", VDC_FAULT_HILINK_CORRUPT, 3, "TIME hilink-corrupt GUEST"},
};
#define FORM_COUNT (sizeof forms / sizeof forms[0])
static const char action_names[] =
    "down, up, flap, fail-port, repair-port, stuck, errors, hilink-down, hilink-up, hilink-corrupt";

const char *vdc_fault_action_name(enum vdc_fault_action action)
{
    for (size_t i = 0; i < FORM_COUNT; i++) {
        if (forms[i].action == action)
            return forms[i].name;
    }
    return "?";
}

/* One entry being read: its number, its text and its words (cut in place in `words_text`). */
struct entry_reader {
    unsigned number;
    const char *text;
    size_t length;
    char *words_text;
    char *words[MAX_WORDS];
    unsigned word_count;  /* all of them, kept or not */
};

/* "entry N ('TEXT'): MESSAGE", the text shortened so that the line stays readable. */
static bool entry_fail(struct vdc_error *err, const struct entry_reader *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool entry_fail(struct vdc_error *err, const struct entry_reader *e, const char *fmt, ...)
{
    if (err == NULL)
        return false;
    char message[sizeof err->text];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    int shown = e->length > 60 ? 57 : (int)e->length;
    return vdc_fail(err, "entry %u ('%.*s%s'): %s", e->number, shown, e->text, e->length > 60 ? "..." : "", message);
}

static bool read_time(struct entry_reader *e, const char *word, const char *what, vdc_time *out,
                      struct vdc_error *err)
{
    struct vdc_error why;
    if (vdc_parse_quantity(word, VDC_QTY_TIME, out, &why))
        return true;
    return entry_fail(err, e, "%s%s; expected %s", what, why.text, vdc_quantity_expected(VDC_QTY_TIME));
}

static bool read_link(struct entry_reader *e, const struct action_form *form, const char *word,
                      struct vdc_error *err)
{
    const char *slash = strchr(word, '/');
    if (slash == NULL || slash == word || slash[1] == '\0' || strchr(slash + 1, '/') != NULL)
        return entry_fail(err, e, "'%s' is not a link; expected %s with a link named by its two nodes, such as "
                                  "leaf0/spine1", word, form->form);
    return true;
}

static bool read_port(struct entry_reader *e, const struct action_form *form, const char *word,
                      struct vdc_error *err)
{
    const char *slash = strchr(word, '/'), *colon = strrchr(word, ':');
    bool by_peer = slash != NULL && slash != word && slash[1] != '\0' && strchr(slash + 1, '/') == NULL;
    size_t digits = colon ? strlen(colon + 1) : 0;
    bool by_number = slash == NULL && colon != NULL && colon != word && digits >= 1 && digits <= 4 &&
                     strspn(colon + 1, "0123456789") == digits && strspn(colon + 1, "0") != digits;
    if (by_peer || by_number)
        return true;
    return entry_fail(err, e, "'%s' is not a switch port; expected %s (the port of SWITCH cabled to PEER, or its "
                              "port N, from 1, as counters.csv numbers them)", word, form->form);
}

static bool read_flap(struct entry_reader *e, const struct action_form *form, struct vdc_fault_entry *out,
                      struct vdc_error *err)
{
    bool have_period = false, have_until = false;
    for (unsigned i = 3; i + 1 < e->word_count; i += 2) {
        const char *name = e->words[i], *value = e->words[i + 1];
        bool is_period = strcmp(name, "period") == 0;
        if (!is_period && strcmp(name, "until") != 0)
            return entry_fail(err, e, "unexpected '%s'; expected %s", name, form->form);
        if (is_period ? have_period : have_until)
            return entry_fail(err, e, "'%s' is given twice; expected %s", name, form->form);
        if (!read_time(e, value, is_period ? "period: " : "until: ", is_period ? &out->period : &out->until, err))
            return false;
        have_period |= is_period;
        have_until |= !is_period;
    }
    if (out->period < 2)
        return entry_fail(err, e, "period '%s' is too short; expected at least 2ps (down for half a period, up for "
                                  "the other half)", e->words[strcmp(e->words[3], "period") == 0 ? 4 : 6]);
    if (out->until <= out->at)
        return entry_fail(err, e, "until '%s' is not after the start '%s'; expected the time the flapping ends, "
                                  "later than it starts", e->words[strcmp(e->words[3], "until") == 0 ? 4 : 6],
                          e->words[0]);
    return true;
}

static bool read_probability(struct entry_reader *e, const char *word, double *out, struct vdc_error *err)
{
    struct vdc_error why;
    if (!vdc_parse_real(word, out, &why))
        return entry_fail(err, e, "%s; expected a frame loss probability from 0 to 1, like 1e-6", why.text);
    if (!(*out >= 0.0 && *out <= 1.0))
        return entry_fail(err, e, "'%s' is not a probability; expected a frame loss probability from 0 to 1, like "
                                  "1e-6", word);
    return true;
}

static bool read_entry(struct entry_reader *e, struct vdc_fault_entry *out, struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    if (!read_time(e, e->words[0], "", &out->at, err))
        return false;
    if (e->word_count < 2)
        return entry_fail(err, e, "no action after the time; expected one of: %s", action_names);
    const struct action_form *form = NULL;
    for (size_t i = 0; i < FORM_COUNT && form == NULL; i++) {
        if (strcmp(forms[i].name, e->words[1]) == 0)
            form = &forms[i];
    }
    if (form == NULL)
        return entry_fail(err, e, "unknown action '%s'; expected one of: %s", e->words[1], action_names);
    if (e->word_count < form->words)
        return entry_fail(err, e, "'%s' is incomplete; expected %s", form->name, form->form);
    if (e->word_count > form->words)
        return entry_fail(err, e, "unexpected '%s' after the entry; expected %s", e->words[form->words], form->form);
    out->action = form->action;
    const char *target = e->words[2];
    bool ok;
    switch (form->action) {
    case VDC_FAULT_FAIL_PORT:
    case VDC_FAULT_REPAIR_PORT: ok = read_port(e, form, target, err); break;
    case VDC_FAULT_STUCK:
        ok = strchr(target, '/') == NULL ||
             entry_fail(err, e, "'%s' is a link, not a host; expected %s", target, form->form);
        break;
    case VDC_FAULT_HILINK_DOWN:
    case VDC_FAULT_HILINK_UP:
    case VDC_FAULT_HILINK_CORRUPT:
        ok = strpbrk(target, "/:") == NULL ||
             entry_fail(err, e, "'%s' is not a guest; expected %s (a guest's name, such as blade3)", target,
                        form->form);
        break;
    case VDC_FAULT_FLAP: ok = read_link(e, form, target, err) && read_flap(e, form, out, err); break;
    case VDC_FAULT_ERRORS:
        ok = read_link(e, form, target, err) && read_probability(e, e->words[3], &out->probability, err);
        break;
    default: ok = read_link(e, form, target, err); break;
    }
    if (!ok)
        return false;
    out->number = e->number;
    out->text = vdc_xmalloc(e->length + 1);
    memcpy(out->text, e->text, e->length);
    out->text[e->length] = '\0';
    out->target = vdc_xstrdup(target);
    return true;
}

/* Cuts the entry's copy into blank-separated words, keeping the first MAX_WORDS: more than any form has, so the
 * first word too many is kept for the message. */
static void split_words(struct entry_reader *e)
{
    e->words_text = vdc_xmalloc(e->length + 1);
    memcpy(e->words_text, e->text, e->length);
    e->words_text[e->length] = '\0';
    e->word_count = 0;
    char *state = NULL;
    for (char *word = strtok_r(e->words_text, " \t\r", &state); word != NULL;
         word = strtok_r(NULL, " \t\r", &state)) {
        if (e->word_count < MAX_WORDS)
            e->words[e->word_count] = word;
        e->word_count++;
    }
}

static int compare_entries(const void *x, const void *y)
{
    const struct vdc_fault_entry *a = x, *b = y;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return a->number < b->number ? -1 : a->number > b->number;
}

bool vdc_fault_list_parse(const char *text, unsigned first_number, struct vdc_fault_list *out,
                          struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    unsigned number = first_number;
    for (const char *p = text; *p != '\0';) {
        size_t span = strcspn(p, ";\n");
        const char *start = p, *end = p + span;
        p = *end ? end + 1 : end;
        while (start < end && strchr(" \t\r", *start))
            start++;
        while (end > start && strchr(" \t\r", end[-1]))
            end--;
        if (start == end)
            continue;
        struct entry_reader e = {.number = number++, .text = start, .length = (size_t)(end - start)};
        if (out->count == cap) {
            cap = cap ? cap * 2 : 8;
            out->items = vdc_xrealloc(out->items, cap, sizeof *out->items);
        }
        split_words(&e);
        bool ok = read_entry(&e, &out->items[out->count], err);
        free(e.words_text);
        if (!ok) {
            vdc_fault_list_free(out);
            return false;
        }
        out->count++;
    }
    /* The order is total (no two entries share a number), so qsort gives the same result everywhere. */
    if (out->count > 1)
        qsort(out->items, out->count, sizeof *out->items, compare_entries);
    return true;
}

void vdc_fault_list_free(struct vdc_fault_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].text);
        free(list->items[i].target);
    }
    free(list->items);
    memset(list, 0, sizeof *list);
}

bool vdc_fault_list_check(const char *text, unsigned first_number, unsigned *count, struct vdc_error *err)
{
    struct vdc_fault_list list;
    if (!vdc_fault_list_parse(text, first_number, &list, err))
        return false;
    *count = (unsigned)list.count;
    vdc_fault_list_free(&list);
    return true;
}
