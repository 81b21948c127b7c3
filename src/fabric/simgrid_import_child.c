/* Inside the SimGrid child process: loading the platform and writing its hosts, links and routes as text. */
#include "fabric/simgrid_import_child.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The API for qsort's comparisons (a child process imports one platform). */
static const struct simgrid_api *sg;

const struct simgrid_api *fabric_simgrid_child_start(FILE *out, const char *path, const char *const *options,
                                                     size_t option_count)
{
    sg = fabric_simgrid_api(out);
    if (sg == NULL)
        return NULL;
    /* simgrid_init takes main()'s arguments; it may reorder them, so it gets its own copy. */
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)"vdc";
    argv[argc++] = (char *)"--log=root.thres:error"; /* only what explains a refusal */
    for (size_t i = 0; i < option_count && argc < 15; i++)
        argv[argc++] = (char *)options[i];
    argv[argc] = NULL;
    sg->init(&argc, argv);
    sg->load_platform(path);
    sg->run(); /* with no actor this only seals the platform */
    return sg;
}

static int compare_host_names(const void *a, const void *b)
{
    return strcmp(sg->host_get_name(*(const sg_host_t *)a), sg->host_get_name(*(const sg_host_t *)b));
}

static int compare_link_names(const void *a, const void *b)
{
    return strcmp(sg->link_get_name(*(const sg_link_t *)a), sg->link_get_name(*(const sg_link_t *)b));
}

sg_host_t *fabric_simgrid_child_sorted_hosts(size_t *count)
{
    *count = sg->host_count();
    sg_host_t *hosts = sg->host_list();
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
    if (fabric_simgrid_child_start(out, arg, NULL, 0) == NULL)
        return;
    size_t host_count, link_count = sg->link_count();
    sg_host_t *hosts = fabric_simgrid_child_sorted_hosts(&host_count);
    if (host_count > SIMGRID_IMPORT_MAX_HOSTS) {
        fprintf(out, "error the platform has %zu hosts; vdc imports at most %d\n", host_count,
                SIMGRID_IMPORT_MAX_HOSTS);
        return;
    }
    sg_link_t *links = sg->link_list();
    qsort(links, link_count, sizeof *links, compare_link_names);
    for (size_t i = 0; i < host_count; i++) {
        fputs("host ", out);
        write_name(out, sg->host_get_name(hosts[i]));
        fputc('\n', out);
    }
    for (size_t i = 0; i < link_count; i++) {
        sg->link_set_data(links[i], (void *)(uintptr_t)(i + 1)); /* the link's number, for routes below */
        fputs("link ", out);
        write_name(out, sg->link_get_name(links[i]));
        fprintf(out, " %a %a %d\n", sg->link_get_bandwidth(links[i]), sg->link_get_latency(links[i]),
                sg->link_is_shared(links[i]) ? 1 : 0);
    }
    xbt_dynar_t route = sg->dynar_new(sizeof(sg_link_t), NULL);
    for (size_t src = 0; src < host_count; src++) {
        for (size_t dst = 0; dst < host_count; dst++) {
            if (src == dst)
                continue;
            sg->dynar_reset(route);
            sg->host_get_route(hosts[src], hosts[dst], route);
            fprintf(out, "route %zu %zu", src, dst);
            for (unsigned long k = 0; k < sg->dynar_length(route); k++) {
                sg_link_t link = *(sg_link_t *)sg->dynar_get_ptr(route, k);
                fprintf(out, " %zu", (size_t)(uintptr_t)sg->link_get_data(link) - 1);
            }
            fputc('\n', out);
        }
    }
    sg->dynar_free(&route);
    fputs("end\n", out);
    free(links);
    free(hosts);
}
