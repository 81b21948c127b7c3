/* HPCC ns-3's config file: each key of its third.cc, checked and turned into the scenario keys that mean the same. */
#include "fabric/hpcc_config.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "fabric/hpcc_import.h"
#include "fabric/hpcc_import_text.h"
#include "fabric/topology.h"

enum value_kind {
    V_FLAG,      /* 0 or 1 */
    V_COUNT,     /* a whole number */
    V_REAL,      /* a number */
    V_MICROS,    /* a number of microseconds */
    V_NANOS,     /* a whole number of nanoseconds */
    V_SECONDS,   /* decimal seconds */
    V_RATE,      /* an ns-3 data rate: 50Mb/s, 100Gbps */
    V_PATH,      /* a file name */
    V_MEGABYTES, /* BUFFER_SIZE: MiB */
    V_CC_MODE,
    V_MAP,       /* KMAX_MAP etc.: a count, then that many rate/value pairs */
    V_LINK_DOWN, /* three whole numbers */
    V_TEXT,      /* one word, no effect */
};

struct config_key {
    const char *name;
    enum value_kind kind;
    const char *scenario_key; /* NULL: handled after reading, or no effect */
    const char *fallback;     /* its program's default when the file leaves the key out; NULL: required */
};

/* Every key its third.cc reads. A fallback is what that program uses when the key is absent; keys whose absence
 * leaves it with an uninitialised or unusable value are required. */
static const struct config_key keys[] = {
    {"ENABLE_QCN", V_FLAG, "fabric.ecn", "1"},
    {"USE_DYNAMIC_PFC_THRESHOLD", V_FLAG, NULL, "1"}, /* its MMU always uses the dynamic threshold */
    {"CLAMP_TARGET_RATE", V_FLAG, "transport.dcqcn_clamp_target", "0"},
    {"PAUSE_TIME", V_REAL, NULL, "5"},                /* its pauses last until XON whatever the time says */
    {"DATA_RATE", V_TEXT, NULL, "-"},                 /* read, then overridden by every link's own rate */
    {"LINK_DELAY", V_TEXT, NULL, "-"},
    {"PACKET_PAYLOAD_SIZE", V_COUNT, "fabric.payload", "1000"},
    {"L2_CHUNK_SIZE", V_COUNT, "transport.chunk", "0"},
    {"L2_ACK_INTERVAL", V_COUNT, "transport.ack_interval", "0"},
    {"L2_BACK_TO_ZERO", V_FLAG, "transport.back_to_zero", "0"},
    {"TOPOLOGY_FILE", V_PATH, "topology.file", NULL},
    {"FLOW_FILE", V_PATH, "workload.flows_file", NULL},
    {"TRACE_FILE", V_PATH, NULL, "-"},
    {"TRACE_OUTPUT_FILE", V_PATH, NULL, "-"},         /* the binary packet trace is not written */
    {"SIMULATOR_STOP_TIME", V_SECONDS, "run.stop_time", "3.01"},
    {"ALPHA_RESUME_INTERVAL", V_MICROS, "transport.dcqcn_alpha_interval", "55"},
    {"RP_TIMER", V_MICROS, "transport.dcqcn_increase_interval", NULL},
    {"EWMA_GAIN", V_REAL, "transport.dcqcn_g", "0"},  /* its default is 1 / 16 in integers: 0 */
    {"FAST_RECOVERY_TIMES", V_COUNT, "transport.dcqcn_fast_recovery", "5"},
    {"RATE_AI", V_RATE, "transport.dcqcn_rate_ai", NULL},
    {"RATE_HAI", V_RATE, "transport.dcqcn_rate_hai", NULL},
    {"ERROR_RATE_PER_LINK", V_REAL, "fabric.link_error_rate", "0"},
    {"CC_MODE", V_CC_MODE, "transport.cc", "1"},
    {"RATE_DECREASE_INTERVAL", V_MICROS, "transport.dcqcn_decrease_interval", "4"},
    {"MIN_RATE", V_RATE, "transport.dcqcn_min_rate", "100Mb/s"},
    {"FCT_OUTPUT_FILE", V_PATH, "output.fct_file", "fct.txt"},
    {"HAS_WIN", V_FLAG, "transport.window", "1"},
    {"GLOBAL_T", V_FLAG, "transport.global_rtt", "1"},
    {"MI_THRESH", V_COUNT, "transport.hpcc_mi_thresh", "5"},
    {"VAR_WIN", V_FLAG, "transport.variable_window", "0"},
    {"FAST_REACT", V_FLAG, "transport.hpcc_fast_react", "1"},
    {"U_TARGET", V_REAL, "transport.hpcc_target_util", "0.95"},
    {"INT_MULTI", V_COUNT, "transport.hpcc_int_multi", "1"},
    {"RATE_BOUND", V_FLAG, "transport.rate_bound", "1"},
    {"ACK_HIGH_PRIO", V_FLAG, "transport.ack_high_priority", "0"},
    {"DCTCP_RATE_AI", V_RATE, "transport.dctcp_rate_ai", "1000Mb/s"},
    {"PFC_OUTPUT_FILE", V_PATH, "output.pfc_file", "pfc.txt"},
    {"LINK_DOWN", V_LINK_DOWN, NULL, "0 0 0"},
    {"ENABLE_TRACE", V_FLAG, NULL, "1"},
    {"KMAX_MAP", V_MAP, NULL, NULL},
    {"KMIN_MAP", V_MAP, NULL, NULL},
    {"PMAX_MAP", V_MAP, NULL, NULL},
    {"BUFFER_SIZE", V_MEGABYTES, "fabric.buffer", "16"},
    {"QLEN_MON_FILE", V_PATH, "output.qlen_file", "-"},
    {"QLEN_MON_START", V_NANOS, "output.qlen_start", "2000000000"},
    {"QLEN_MON_END", V_NANOS, "output.qlen_end", "2100000000"},
    {"MULTI_RATE", V_FLAG, "transport.hpcc_multi_rate", "1"},
    {"SAMPLE_FEEDBACK", V_FLAG, "transport.hpcc_sample_feedback", "0"},
    {"PINT_LOG_BASE", V_REAL, NULL, "1.05"},          /* HPCC-PINT (CC_MODE 10) is refused */
    {"PINT_PROB", V_REAL, NULL, "1.0"},
};
#define KEY_COUNT (sizeof keys / sizeof keys[0])
#define MAP_ENTRIES 16

struct rate_map {
    uint32_t count;
    uint64_t rate[MAP_ENTRIES];
    double value[MAP_ENTRIES];
    size_t line;
};

struct reading {
    const char *path;
    struct hpcc_config *out;
    struct vdc_error *err;
    size_t line_of[KEY_COUNT];      /* 0: not in the file */
    char *value_of[KEY_COUNT];      /* the value's words, space-separated */
    struct rate_map kmax, kmin, pmax;
};

static void assign(struct hpcc_config *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void assign(struct hpcc_config *c, const char *fmt, ...)
{
    if (c->count == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->assignments = vdc_xrealloc(c->assignments, c->cap, sizeof *c->assignments);
    }
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        vdc_die("out of memory");
    va_end(ap);
    c->assignments[c->count++] = text;
}

void fabric_hpcc_config_free(struct hpcc_config *c)
{
    for (size_t i = 0; i < c->count; i++)
        free(c->assignments[i]);
    free(c->assignments);
    memset(c, 0, sizeof *c);
}

static bool key_fail(const struct reading *r, size_t k, struct vdc_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool key_fail(const struct reading *r, size_t k, struct vdc_error *err, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (r->line_of[k])
        return vdc_fail(err, "%s:%zu: %s %s", r->path, r->line_of[k], keys[k].name, what);
    return vdc_fail(err, "%s: %s (its default) %s", r->path, keys[k].name, what);
}

/* A whole number (digits only) and a finite real, with vdc's own parsers. */
static bool whole_number(const char *text, uint64_t *out)
{
    return text[0] >= '0' && text[0] <= '9' && vdc_parse_quantity(text, VDC_QTY_COUNT, out, NULL) &&
           *out < (UINT64_C(1) << 62);
}

static bool real_number(const char *text, double *out)
{
    return vdc_parse_real(text, out, NULL);
}

static size_t key_index(const char *name)
{
    size_t k = 0;
    while (k < KEY_COUNT && strcmp(keys[k].name, name) != 0)
        k++;
    return k;
}

static bool read_map(struct reading *r, size_t k, struct hpcc_text *t, size_t words, struct rate_map *map)
{
    uint64_t n;
    if (words < 1 || !whole_number(t->fields[1], &n) || n == 0 || n > MAP_ENTRIES || words != 1 + 2 * n)
        return fabric_hpcc_line_fail(t, r->err, "%s takes a count from 1 to %u, then that many `RATE VALUE` pairs with "
                                         "the rate in bit/s, like `%s 1 100000000000 %s`",
                              keys[k].name, MAP_ENTRIES, keys[k].name, map == &r->pmax ? "0.2" : "400");
    map->count = (uint32_t)n;
    map->line = t->line_number;
    for (uint32_t i = 0; i < n; i++) {
        const char *rate = t->fields[2 + 2 * i], *value = t->fields[3 + 2 * i];
        bool ok = whole_number(rate, &map->rate[i]) && map->rate[i] > 0 && real_number(value, &map->value[i]) &&
                  map->value[i] >= 0 && (map != &r->pmax || map->value[i] <= 1);
        if (!ok)
            return fabric_hpcc_line_fail(t, r->err, "%s pair %u (\"%s %s\"): expected a rate in bit/s and a %s", keys[k].name,
                                  i + 1, rate, value, map == &r->pmax ? "probability" : "threshold in KB");
    }
    return true;
}

/* The words after the key, without a trailing `{...}` description as config_doc.txt has. */
static size_t value_words(const struct hpcc_text *t)
{
    for (size_t i = 1; i < t->field_count; i++) {
        if (t->fields[i][0] == '{' && t->fields[t->field_count - 1][strlen(t->fields[t->field_count - 1]) - 1] == '}')
            return i - 1;
    }
    return t->field_count - 1;
}

static bool read_lines(struct reading *r)
{
    struct hpcc_text t;
    if (!fabric_hpcc_text_open(&t, r->path, "HPCC config file", r->err))
        return false;
    int got;
    bool ok = true;
    while (ok && (got = fabric_hpcc_text_next(&t, r->err)) > 0) {
        const char *name = t.fields[0];
        size_t k = key_index(name);
        if (k == KEY_COUNT) {
            ok = fabric_hpcc_line_fail(&t, r->err, "unknown key '%s'; the keys are those of HPCC ns-3's mix/config_doc.txt",
                                name);
            break;
        }
        if (r->line_of[k]) {
            ok = fabric_hpcc_line_fail(&t, r->err, "%s repeats the key of line %zu; give each key once", name, r->line_of[k]);
            break;
        }
        r->line_of[k] = t.line_number;
        size_t words = value_words(&t);
        if (keys[k].kind == V_MAP) {
            struct rate_map *map = strcmp(name, "KMAX_MAP") == 0 ? &r->kmax : strcmp(name, "KMIN_MAP") == 0 ? &r->kmin
                                                                                                              : &r->pmax;
            ok = read_map(r, k, &t, words, map);
            continue;
        }
        size_t expected = keys[k].kind == V_LINK_DOWN ? 3 : 1;
        if (words != expected) {
            ok = fabric_hpcc_line_fail(&t, r->err, "%s takes %zu value%s, found %zu", name, expected, expected == 1 ? "" : "s",
                                words);
            break;
        }
        size_t length = 0;
        for (size_t i = 1; i <= words; i++)
            length += strlen(t.fields[i]) + 1;
        r->value_of[k] = vdc_xmalloc(length);
        r->value_of[k][0] = '\0';
        for (size_t i = 1; i <= words; i++) {
            strcat(r->value_of[k], t.fields[i]);
            if (i < words)
                strcat(r->value_of[k], " ");
        }
    }
    if (got < 0)
        ok = false;
    fabric_hpcc_text_close(&t);
    return ok;
}

static bool translate(struct reading *r, size_t k, const char *value)
{
    const struct config_key *key = &keys[k];
    struct hpcc_config *c = r->out;
    uint64_t n;
    double x;
    switch (key->kind) {
    case V_FLAG:
        if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
            return key_fail(r, k, r->err, "\"%s\": expected 0 or 1", value);
        if (key->scenario_key)
            assign(c, "%s=%s", key->scenario_key, value[0] == '1' ? "true" : "false");
        return true;
    case V_COUNT:
        if (!whole_number(value, &n))
            return key_fail(r, k, r->err, "\"%s\": expected a whole number", value);
        if (key->scenario_key)
            assign(c, "%s=%" PRIu64, key->scenario_key, n);
        return true;
    case V_REAL:
        if (!real_number(value, &x) || x < 0)
            return key_fail(r, k, r->err, "\"%s\": expected a non-negative number", value);
        if (key->scenario_key)
            assign(c, "%s=%.17g", key->scenario_key, x);
        return true;
    case V_MICROS:
        if (!real_number(value, &x) || x <= 0 || x > 1e6)
            return key_fail(r, k, r->err, "\"%s\": expected microseconds above 0 (up to 1 s)", value);
        assign(c, "%s=%" PRIu64 "ps", key->scenario_key, (uint64_t)llround(x * 1e6));
        return true;
    case V_NANOS:
        if (!whole_number(value, &n))
            return key_fail(r, k, r->err, "\"%s\": expected whole nanoseconds", value);
        assign(c, "%s=%" PRIu64 "ns", key->scenario_key, n);
        return true;
    case V_SECONDS: {
        vdc_time t;
        char defect[200];
        if (!fabric_hpcc_parse_seconds(value, &t, defect, sizeof defect) || t == 0)
            return key_fail(r, k, r->err, "\"%s\" %s", value, t == 0 ? "is zero" : defect);
        assign(c, "%s=%" PRIu64 "ps", key->scenario_key, t);
        return true;
    }
    case V_RATE:
        if (!fabric_hpcc_parse_rate(value, &n, NULL) || n == 0)
            return key_fail(r, k, r->err, "\"%s\": expected an ns-3 data rate like 50Mb/s or 100Gbps", value);
        assign(c, "%s=%" PRIu64 "bps", key->scenario_key, n);
        return true;
    case V_PATH:
        if (key->scenario_key && strcmp(value, "-") != 0)
            assign(c, "%s=%s", key->scenario_key, value);
        return true;
    case V_MEGABYTES:
        if (!whole_number(value, &n) || n == 0 || n > 16384)
            return key_fail(r, k, r->err, "\"%s\": expected whole megabytes (MiB), 1 to 16384", value);
        assign(c, "%s=%" PRIu64 "MiB", key->scenario_key, n);
        return true;
    case V_CC_MODE: {
        static const char *const modes[11] = {[1] = "dcqcn", [3] = "hpcc", [7] = "timely", [8] = "dctcp"};
        if (!whole_number(value, &n) || n > 10 || modes[n] == NULL)
            return key_fail(r, k, r->err, "\"%s\": vdc models CC modes 1 (DCQCN), 3 (HPCC), 7 (TIMELY) and 8 (DCTCP)%s",
                            value, strcmp(value, "10") == 0 ? "; HPCC-PINT (10) is not modelled" : "");
        assign(c, "%s=%s", key->scenario_key, modes[n]);
        return true;
    }
    case V_TEXT: return true;
    case V_LINK_DOWN:
    case V_MAP: break;
    }
    return true;
}

/* KMIN_MAP, KMAX_MAP and PMAX_MAP as one fabric.ecn_by_rate table; each rate needs all three. */
static bool ecn_table(struct reading *r)
{
    const struct rate_map *maps[3] = {&r->kmin, &r->kmax, &r->pmax};
    static const char *const names[3] = {"KMIN_MAP", "KMAX_MAP", "PMAX_MAP"};
    for (unsigned m = 0; m < 3; m++) {
        if (maps[m]->count == 0)
            return vdc_fail(r->err, "%s: %s is missing; HPCC ns-3 needs ECN thresholds for every link rate",
                            r->path, names[m]);
    }
    size_t length = 1;
    char *table = vdc_xmalloc(length);
    table[0] = '\0';
    for (unsigned m = 0; m < 3; m++) {
        for (uint32_t i = 0; i < maps[m]->count; i++) {
            uint64_t rate = maps[m]->rate[i];
            double value[3];
            for (unsigned o = 0; o < 3; o++) {
                uint32_t j = 0;
                while (j < maps[o]->count && maps[o]->rate[j] != rate)
                    j++;
                if (j == maps[o]->count) {
                    free(table);
                    return vdc_fail(r->err, "%s:%zu: %s has rate %" PRIu64 " but %s has no entry for it; give each "
                                            "rate in all three maps",
                                    r->path, maps[m]->line, names[m], rate, names[o]);
                }
                value[o] = maps[o]->value[j];
            }
            if (m > 0)
                continue; /* each rate once, from KMIN_MAP's list */
            if (value[1] <= value[0]) {
                free(table);
                return vdc_fail(r->err, "%s:%zu: for rate %" PRIu64 " KMAX (%g KB) is not above KMIN (%g KB)",
                                r->path, r->kmax.line, rate, value[1], value[0]);
            }
            char entry[160];
            int n = snprintf(entry, sizeof entry, "%s%" PRIu64 "bps %" PRIu64 "B %" PRIu64 "B %.17g",
                             table[0] ? "; " : "", rate, (uint64_t)(value[0] * 1000), (uint64_t)(value[1] * 1000),
                             value[2]);
            table = vdc_xrealloc(table, length + (size_t)n, 1);
            memcpy(table + length - 1, entry, (size_t)n + 1);
            length += (size_t)n;
        }
    }
    assign(r->out, "fabric.ecn_by_rate=%s", table);
    free(table);
    return true;
}

/* LINK_DOWN a b c takes the link between nodes b and c down at 2 s + a us, with routes recomputed at once. */
static bool link_down(struct reading *r, size_t k, const char *value, const char *topology_path)
{
    uint64_t at, a, b;
    if (sscanf(value, "%" SCNu64 " %" SCNu64 " %" SCNu64, &at, &a, &b) != 3)
        return key_fail(r, k, r->err, "\"%s\": expected three whole numbers `TIME_US NODE NODE`", value);
    if (at == 0)
        return true;
    struct fabric_topology topo;
    size_t ignored;
    if (!fabric_hpcc_read_topology(topology_path, &topo, &ignored, r->err))
        return false;
    bool ok = a < topo.node_count && b < topo.node_count;
    if (ok) {
        char na[32], nb[32];
        assign(r->out, "faults.schedule=%" PRIu64 "ps down %s/%s", 2 * VDC_SEC + at * VDC_US,
               fabric_node_name(&topo, (uint32_t)a, na, sizeof na), fabric_node_name(&topo, (uint32_t)b, nb, sizeof nb));
        assign(r->out, "faults.reroute_delay=0");
    }
    fabric_topology_free(&topo);
    return ok || key_fail(r, k, r->err, "\"%s\": nodes %" PRIu64 " and %" PRIu64 " are not both in the topology",
                          value, a, b);
}

bool fabric_hpcc_config_read(const char *path, struct hpcc_config *out, struct vdc_error *err)
{
    memset(out, 0, sizeof *out);
    struct reading r = {.path = path, .out = out, .err = err};
    bool ok = read_lines(&r);
    assign(out, "transport.model=hpcc-ns3");
    assign(out, "topology.kind=hpcc");
    assign(out, "topology.switch_latency=0");
    assign(out, "workload.kind=flows");
    for (size_t k = 0; k < KEY_COUNT && ok; k++) {
        const char *value = r.value_of[k] ? r.value_of[k] : keys[k].fallback;
        if (keys[k].kind == V_MAP || keys[k].kind == V_LINK_DOWN)
            continue;
        if (value == NULL)
            ok = vdc_fail(err, "%s: %s is missing; HPCC ns-3 has no usable default for it, so give it", path,
                          keys[k].name);
        else
            ok = translate(&r, k, value);
    }
    ok = ok && ecn_table(&r);
    for (size_t k = 0; k < KEY_COUNT && ok; k++) {
        if (keys[k].kind == V_LINK_DOWN)
            ok = link_down(&r, k, r.value_of[k] ? r.value_of[k] : keys[k].fallback, r.value_of[key_index("TOPOLOGY_FILE")]);
    }
    for (size_t k = 0; k < KEY_COUNT; k++)
        free(r.value_of[k]);
    if (!ok)
        fabric_hpcc_config_free(out);
    return ok;
}
