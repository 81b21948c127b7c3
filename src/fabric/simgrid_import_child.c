/* Inside the SimGrid child process: loading the platform and writing its hosts, links and routes as text. */
#include "fabric/simgrid_import_child.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <xbt/dynar.h>

void fabric_simgrid_child_start(const char *path, const char *const *options, size_t option_count)
{
    /* simgrid_init takes main()'s arguments; it may reorder them, so it gets its own copy. */
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)"vdc";
    argv[argc++] = (char *)"--log=root.thres:error"; /* only what explains a refusal */
    for (size_t i = 0; i < option_count && argc < 15; i++)
        argv[argc++] = (char *)options[i];
    argv[argc] = NULL;
    simgrid_init(&argc, argv);
    simgrid_load_platform(path);
    simgrid_run(); /* with no actor this only seals the platform */
}

static int compare_host_names(const void *a, const void *b)
{
    return strcmp(sg_host_get_name(*(const sg_host_t *)a), sg_host_get_name(*(const sg_host_t *)b));
}

static int compare_link_names(const void *a, const void *b)
{
    return strcmp(sg_link_get_name(*(const sg_link_t *)a), sg_link_get_name(*(const sg_link_t *)b));
}

sg_host_t *fabric_simgrid_child_sorted_hosts(size_t *count)
{
    *count = sg_host_count();
    sg_host_t *hosts = sg_host_list();
    qsort(hosts, *count, sizeof *hosts, compare_host_names);
    return hosts;
}

static void write_name(FILE *out, const char *name)
{
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++) {
        if (*p <= 0x20 || *p == 0x7f || *p == '%')
            fprintf(out, "%%%02X", *p);
        else
            fputc(*p, out);
    }
}

void fabric_simgrid_child_describe_platform(FILE *out, const void *arg)
{
    fabric_simgrid_child_start(arg, NULL, 0);
    size_t host_count, link_count = sg_link_count();
    sg_host_t *hosts = fabric_simgrid_child_sorted_hosts(&host_count);
    if (host_count > SIMGRID_IMPORT_MAX_HOSTS) {
        fprintf(out, "error the platform has %zu hosts; vdc imports at most %d\n", host_count,
                SIMGRID_IMPORT_MAX_HOSTS);
        return;
    }
    sg_link_t *links = sg_link_list();
    qsort(links, link_count, sizeof *links, compare_link_names);
    for (size_t i = 0; i < host_count; i++) {
        fputs("host ", out);
        write_name(out, sg_host_get_name(hosts[i]));
        fputc('\n', out);
    }
    for (size_t i = 0; i < link_count; i++) {
        sg_link_set_data(links[i], (void *)(uintptr_t)(i + 1)); /* the link's number, for routes below */
        fputs("link ", out);
        write_name(out, sg_link_get_name(links[i]));
        fprintf(out, " %a %a %d\n", sg_link_get_bandwidth(links[i]), sg_link_get_latency(links[i]),
                sg_link_is_shared(links[i]) ? 1 : 0);
    }
    xbt_dynar_t route = xbt_dynar_new(sizeof(sg_link_t), NULL);
    for (size_t src = 0; src < host_count; src++) {
        for (size_t dst = 0; dst < host_count; dst++) {
            if (src == dst)
                continue;
            xbt_dynar_reset(route);
            sg_host_get_route(hosts[src], hosts[dst], route);
            fprintf(out, "route %zu %zu", src, dst);
            for (unsigned long k = 0; k < xbt_dynar_length(route); k++) {
                sg_link_t link = xbt_dynar_get_as(route, k, sg_link_t);
                fprintf(out, " %zu", (size_t)(uintptr_t)sg_link_get_data(link) - 1);
            }
            fputc('\n', out);
        }
    }
    xbt_dynar_free(&route);
    fputs("end\n", out);
    free(links);
    free(hosts);
}
