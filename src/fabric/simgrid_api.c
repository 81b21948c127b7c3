/* Loading SimGrid's library and looking up the functions vdc calls (simgrid_api.h says why it is not linked). */
#include "fabric/simgrid_api.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

/* The library's file name, from the Makefile (its SONAME where the build found SimGrid). */
#ifndef VDC_SIMGRID_LIBRARY
#define VDC_SIMGRID_LIBRARY "libsimgrid.so"
#endif

#define ENTRY(field, symbol) {#symbol, offsetof(struct simgrid_api, field)}
static const struct {
    const char *symbol;
    size_t offset;
} entries[] = {
    ENTRY(init, simgrid_init),
    ENTRY(load_platform, simgrid_load_platform),
    ENTRY(run, simgrid_run),
    ENTRY(get_clock, simgrid_get_clock),
    ENTRY(host_count, sg_host_count),
    ENTRY(host_list, sg_host_list),
    ENTRY(host_get_name, sg_host_get_name),
    ENTRY(host_get_route, sg_host_get_route),
    ENTRY(link_count, sg_link_count),
    ENTRY(link_list, sg_link_list),
    ENTRY(link_get_name, sg_link_get_name),
    ENTRY(link_get_bandwidth, sg_link_get_bandwidth),
    ENTRY(link_get_latency, sg_link_get_latency),
    ENTRY(link_set_latency, sg_link_set_latency),
    ENTRY(link_is_shared, sg_link_is_shared),
    ENTRY(link_get_data, sg_link_get_data),
    ENTRY(link_set_data, sg_link_set_data),
    ENTRY(actor_init, sg_actor_init),
    ENTRY(actor_set_data, sg_actor_set_data),
    ENTRY(actor_start, sg_actor_start_),
    ENTRY(actor_self, sg_actor_self),
    ENTRY(actor_self_get_data, sg_actor_self_get_data),
    ENTRY(actor_daemonize, sg_actor_daemonize),
    ENTRY(mailbox_by_name, sg_mailbox_by_name),
    ENTRY(mailbox_put, sg_mailbox_put),
    ENTRY(mailbox_get, sg_mailbox_get),
    ENTRY(sem_init, sg_sem_init),
    ENTRY(sem_acquire, sg_sem_acquire),
    ENTRY(sem_release, sg_sem_release),
    ENTRY(dynar_new, xbt_dynar_new),
    ENTRY(dynar_reset, xbt_dynar_reset),
    ENTRY(dynar_length, xbt_dynar_length),
    ENTRY(dynar_get_ptr, xbt_dynar_get_ptr),
    ENTRY(dynar_free, xbt_dynar_free),
};
_Static_assert(sizeof entries / sizeof entries[0] == sizeof(struct simgrid_api) / sizeof(void (*)(void)),
               "every member of struct simgrid_api has its entry");

const struct simgrid_api *fabric_simgrid_api(FILE *out)
{
    static struct simgrid_api api;
    static bool loaded;
    if (loaded)
        return &api;
    /* RTLD_GLOBAL: SimGrid's own plugins and the ns-3 libraries it loads resolve against it. */
    void *library = dlopen(VDC_SIMGRID_LIBRARY, RTLD_NOW | RTLD_GLOBAL);
    if (library == NULL) {
        fprintf(out, "error cannot load SimGrid (%s); install Debian's libsimgrid-dev (scripts/deps.sh)\n", dlerror());
        return NULL;
    }
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        void *function = dlsym(library, entries[i].symbol);
        if (function == NULL) {
            fprintf(out, "error SimGrid's library %s has no %s; vdc needs SimGrid 3.32 or later\n", VDC_SIMGRID_LIBRARY,
                    entries[i].symbol);
            return NULL;
        }
        /* POSIX lets a data pointer from dlsym hold a function's address; the member has the function's type. */
        memcpy((char *)&api + entries[i].offset, &function, sizeof function);
    }
    loaded = true;
    return &api;
}
