/* The one way vdc reads a whole input file (guest programs, PTX, raw buffers) into memory. */
#ifndef VDC_COMMON_READ_FILE_H
#define VDC_COMMON_READ_FILE_H

#include <stdint.h>

#include "common/error.h"

/* The bytes of regular file `path` (free() them), at most `max_size` of them; NULL with the reason alone in
 * `err` ("No such file or directory", "not a regular file", "larger than 256 MiB") for the caller to place. */
uint8_t *vdc_read_file(const char *path, uint64_t max_size, uint64_t *size, struct vdc_error *err);

#endif
