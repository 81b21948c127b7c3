/* Test helper: a whole file read into memory (tests run from the repository root). */
#ifndef VDC_CHECK_TEST_FILES_H
#define VDC_CHECK_TEST_FILES_H

#include <stdint.h>

/* The file's bytes with a NUL after them (free() them); `length` (may be NULL) gets their count. Fails the
 * running test when the file cannot be read. */
char *check_read_text(const char *path, uint64_t *length);

#endif
