/* Test helper: a whole file read into memory, failing the running test when it cannot be. */
#include "test_files.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

char *check_read_text(const char *path, uint64_t *length)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (the tests run from the repository root)", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    ck_assert_int_ge(size, 0);
    rewind(f);
    char *text = malloc((size_t)size + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    text[size] = '\0';
    if (length != NULL)
        *length = (uint64_t)size;
    return text;
}
