/* What the SimGrid child processes run: starting SimGrid on a platform, and describing the platform as text. */
#ifndef VDC_FABRIC_SIMGRID_IMPORT_CHILD_H
#define VDC_FABRIC_SIMGRID_IMPORT_CHILD_H

#include <stddef.h>
#include <stdio.h>

#include "fabric/simgrid_api.h"

/* More hosts would make the all-pairs route listing too large (n^2 routes). */
#define SIMGRID_IMPORT_MAX_HOSTS 1024

/* Loads SimGrid's library, starts it with `options` ("--cfg=..." arguments; its log shows errors only), loads the
 * platform and seals it, which is when zones compute their routes. Aborts the child on a bad platform, as SimGrid
 * does. The API, or NULL after writing an error line to `out` when the library cannot be loaded. */
const struct simgrid_api *fabric_simgrid_child_start(FILE *out, const char *path, const char *const *options,
                                                     size_t option_count);

/* The platform's hosts sorted by name (after fabric_simgrid_child_start): host i here is node i of the imported
 * topology. Malloc'd. */
sg_host_t *fabric_simgrid_child_sorted_hosts(size_t *count);

/* Child body: writes the platform as
 *   host NAME                                   one per host, in sorted order
 *   link NAME BANDWIDTH LATENCY SHARED          one per link, sorted by name; bytes/s and s as C99 hex floats;
 *                                               SHARED is 0 for FATPIPE links
 *   route SRC DST LINK...                       one per ordered pair of hosts: host and link numbers
 *   end
 * Names are written with bytes <= 0x20, 0x7f and '%' as %XX. `arg` is the platform path. */
void fabric_simgrid_child_describe_platform(FILE *out, const void *arg);

#endif
