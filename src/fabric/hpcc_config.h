/* HPCC ns-3's experiment config file (its third program's config.txt) read into vdc scenario assignments. */
#ifndef VDC_FABRIC_HPCC_CONFIG_H
#define VDC_FABRIC_HPCC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* The `key=value` assignments that make a scenario run the experiment with the hpcc-ns3 model: every key of
 * the config, with its program's default where the file leaves one out (docs/fabric.md lists the mapping). */
struct hpcc_config {
    char **assignments;
    size_t count, cap;
};

/* Reads `path`; each defect (an unknown, repeated or malformed key, a CC mode vdc does not model, a key with no
 * usable default left out) is one message naming the file and line. */
bool fabric_hpcc_config_read(const char *path, struct hpcc_config *out, struct vdc_error *err);
void fabric_hpcc_config_free(struct hpcc_config *c);

#endif
