/* Fills that do not give zero pages storage (fill.h). */
#include "common/fill.h"

#include <stdbool.h>
#include <string.h>

enum { HOST_PAGE = 4096 };

static bool all_zero(const uint8_t *p, size_t n)
{
    static const uint8_t zeros[HOST_PAGE];
    return memcmp(p, zeros, n) == 0;
}

void vdc_fill(uint8_t *p, uint8_t value, size_t n)
{
    if (value != 0) {
        memset(p, value, n);
        return;
    }
    while (n > 0) {
        size_t piece = HOST_PAGE - (size_t)((uintptr_t)p & (HOST_PAGE - 1));
        if (piece > n)
            piece = n;
        if (!all_zero(p, piece))
            memset(p, 0, piece);
        p += piece;
        n -= piece;
    }
}
