/* Running SimGrid in a forked child process: its engine is global, aborts on bad input and never fully frees. */
#ifndef VDC_FABRIC_SIMGRID_IMPORT_PROCESS_H
#define VDC_FABRIC_SIMGRID_IMPORT_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/error.h"

/* What a child body writes: text lines, "error MESSAGE" for a refusal it found itself, and "end" when complete. */
struct simgrid_reply {
    char *text;   /* NUL-terminated */
    size_t size;
};

/* Runs in the child. `out` is the reply pipe; the body may call any SimGrid function, and may abort. */
typedef void (*simgrid_child_body)(FILE *out, const void *arg);

/* Forks, runs `body(out, arg)` in the child and _exit()s there (so no exit handler, leak checker included, runs
 * in the child). Returns the reply once the child exited cleanly and wrote "end". Otherwise fails with
 * "PATH: MESSAGE" for an "error" line, or "PATH: SimGrid refused the platform: FIRST LINE SimGrid printed". */
bool fabric_simgrid_run_child(const char *path, simgrid_child_body body, const void *arg, struct simgrid_reply *reply,
                       struct vdc_error *err);

void fabric_simgrid_reply_free(struct simgrid_reply *reply);

/* Checks that `path` is a readable file before a child is started, for a plain message about a wrong path. */
bool fabric_simgrid_check_platform_file(const char *path, struct vdc_error *err);

/* The message in SimGrid's first line of output, without its "[time] file:line: [category/LEVEL]" prefix:
 * "[0.000000] ./src/xbt/exception.cpp:95: [xbt_exception/ERROR] Parse error at p.xml:6: ..." gives
 * "Parse error at p.xml:6: ...". Exposed for the tests. */
void fabric_simgrid_first_message(const char *printed, char *out, size_t size);

#endif
