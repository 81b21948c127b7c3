/* Reading a whole input file: checked to be a regular file of bounded size before anything is allocated. */
#include "common/read_file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint8_t *vdc_read_file(const char *path, uint64_t max_size, uint64_t *size, struct vdc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        vdc_fail(err, "%s", strerror(errno));
        return NULL;
    }
    struct stat info;
    if (fstat(fileno(f), &info) != 0 || !S_ISREG(info.st_mode)) {
        fclose(f);
        vdc_fail(err, "not a regular file");
        return NULL;
    }
    if ((uint64_t)info.st_size > max_size) {
        fclose(f);
        vdc_fail(err, "larger than %" PRIu64 " MiB", max_size >> 20);
        return NULL;
    }
    uint8_t *data = vdc_xmalloc(info.st_size > 0 ? (size_t)info.st_size : 1);
    size_t got = fread(data, 1, (size_t)info.st_size, f);
    bool failed = ferror(f) || got != (size_t)info.st_size;
    fclose(f);
    if (failed) {
        free(data);
        vdc_fail(err, "cannot be read");
        return NULL;
    }
    *size = got;
    return data;
}
