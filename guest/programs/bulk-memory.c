/* bulk-memory: memset, memcpy, memmove and memcmp at sizes on both sides of VDC_FILL_MIN (where they become
 * simctl's FILL, COPY and COMPARE), each checked against a byte-by-byte loop; prints one line per kind and exits 1
 * on the first wrong byte. */
#include "vdc_guest.h"

int main(void);

#define SPAN (4 * VDC_FILL_MIN)

static uint8_t area[2 * SPAN], model[2 * SPAN];

/* Distinct bytes everywhere, so that a byte copied from the wrong place shows. */
static void scribble(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 8)) ^ (i >> 16));
}

static int mismatch(const char *what, size_t n, size_t at)
{
    printf("%s of %llu bytes: byte %llu differs from the byte loop's\n", what, (unsigned long long)n,
           (unsigned long long)at);
    return 1;
}

static int same_as_model(const char *what, size_t n)
{
    for (size_t i = 0; i < sizeof area; i++)
        if (area[i] != model[i])
            return mismatch(what, n, i);
    return 0;
}

static const size_t sizes[] = {VDC_FILL_MIN - 1, VDC_FILL_MIN, VDC_FILL_MIN + 13, 3 * VDC_FILL_MIN + 5};

static int check_set(void)
{
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        scribble(area, sizeof area, (uint32_t)k);
        scribble(model, sizeof model, (uint32_t)k);
        memset(area + 3, 0xa5, n);
        for (size_t i = 0; i < n; i++)
            model[3 + i] = 0xa5;
        if (same_as_model("memset", n))
            return 1;
    }
    return 0;
}

/* memcpy between the halves, and memmove within one, the destination below and above the source. */
static int check_moves(void)
{
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        for (int kind = 0; kind < 3; kind++) {
            size_t from = kind == 0 ? SPAN + 1 : kind == 1 ? 4099 : 7, to = kind == 0 ? 5 : kind == 1 ? 7 : 4099;
            scribble(area, sizeof area, (uint32_t)(k + kind));
            scribble(model, sizeof model, (uint32_t)(k + kind));
            if (kind == 0)
                memcpy(area + to, area + from, n);
            else
                memmove(area + to, area + from, n);
            if (to < from)
                for (size_t i = 0; i < n; i++)
                    model[to + i] = model[from + i];
            else
                for (size_t i = n; i-- > 0;)
                    model[to + i] = model[from + i];
            if (same_as_model(kind == 0 ? "memcpy" : "memmove", n))
                return 1;
        }
    }
    return 0;
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Equal spans, and spans that first differ at the start, in the middle and at the last byte, either way round. */
static int check_compare(void)
{
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        size_t n = sizes[k];
        scribble(area, sizeof area, 3);
        memcpy(area + SPAN, area, n);
        if (memcmp(area, area + SPAN, n) != 0)
            return mismatch("memcmp of equal spans", n, 0);
        const size_t places[] = {0, n / 2, n - 1};
        for (size_t p = 0; p < 3; p++) {
            uint8_t kept = area[SPAN + places[p]];
            area[SPAN + places[p]] = (uint8_t)(area[places[p]] + 1);
            int want = area[places[p]] < area[SPAN + places[p]] ? -1 : 1;
            if (sign(memcmp(area, area + SPAN, n)) != want || sign(memcmp(area + SPAN, area, n)) != -want)
                return mismatch("memcmp", n, places[p]);
            area[SPAN + places[p]] = kept;
        }
    }
    return 0;
}

int main(void)
{
    if (check_set())
        return 1;
    printf("memset matches the byte loop\n");
    if (check_moves())
        return 1;
    printf("memcpy and memmove match the byte loop\n");
    if (check_compare())
        return 1;
    printf("memcmp matches the byte loop\n");
    return 0;
}
