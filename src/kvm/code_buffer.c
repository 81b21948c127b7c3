/* The emulator's buffers of translated code on small host pages (code_buffer.h): the process's huge pages off while
 * an engine is made, then its buffer found in /proc/self/maps and advised. */
#include "kvm/code_buffer.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

/* What vdc_code_buffers_begin returns: whether it turned huge pages off (and the end turns them on again). */
enum { LEFT_AS_IT_WAS = 0, TURNED_OFF = 1 };

int vdc_code_buffers_begin(void)
{
    /* A process whose huge pages were off before (its parent's choice) keeps them off. */
    if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 0)
        return LEFT_AS_IT_WAS;
    return prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0 ? TURNED_OFF : LEFT_AS_IT_WAS;
}

static void advise_code_buffers(void)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    if (maps == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof line, maps) != NULL) {
        uintptr_t start, end;
        char perms[5];
        unsigned long long offset, inode;
        unsigned major, minor;
        int consumed = 0;
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s %llx %x:%x %llu %n", &start, &end, perms, &offset, &major,
                   &minor, &inode, &consumed) < 7)
            continue;
        /* Anonymous: no file (inode 0) and no name such as [stack] or [heap] after the fields. */
        bool anonymous = inode == 0 && (line[consumed] == '\0' || line[consumed] == '\n');
        if (anonymous && strcmp(perms, "rwxp") == 0)
            (void)madvise((void *)start, end - start, MADV_NOHUGEPAGE);
    }
    fclose(maps);
}

void vdc_code_buffers_end(int begun)
{
    if (begun == TURNED_OFF)
        (void)prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
    advise_code_buffers();
}
