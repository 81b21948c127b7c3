/* Log-linear buckets: the top bit picks the power of two, the next VDC_HIST_SUB_BITS bits the slice of it. */
#include "report/latency_histogram.h"

#include <string.h>

void vdc_hist_init(struct vdc_latency_histogram *h)
{
    memset(h, 0, sizeof *h);
    h->min = UINT64_MAX;
}

static unsigned bucket_of(uint64_t v)
{
    if (v < (1u << VDC_HIST_SUB_BITS))
        return (unsigned)v;
    unsigned top = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = top - VDC_HIST_SUB_BITS;
    return ((shift + 1) << VDC_HIST_SUB_BITS) + (unsigned)((v >> shift) & ((1u << VDC_HIST_SUB_BITS) - 1));
}

/* The largest value that falls in bucket b. */
static uint64_t bucket_high(unsigned b)
{
    if (b < (1u << VDC_HIST_SUB_BITS))
        return b;
    unsigned shift = (b >> VDC_HIST_SUB_BITS) - 1;
    uint64_t mantissa = (1u << VDC_HIST_SUB_BITS) | (b & ((1u << VDC_HIST_SUB_BITS) - 1));
    return ((mantissa + 1) << shift) - 1;
}

void vdc_hist_add(struct vdc_latency_histogram *h, uint64_t value)
{
    h->count++;
    uint64_t low = h->sum_low + value;
    h->sum_high += low < h->sum_low;
    h->sum_low = low;
    h->min = value < h->min ? value : h->min;
    h->max = value > h->max ? value : h->max;
    h->buckets[bucket_of(value)]++;
}

uint64_t vdc_hist_mean(const struct vdc_latency_histogram *h)
{
    if (h->count == 0)
        return 0;
    unsigned __int128 sum = ((unsigned __int128)h->sum_high << 64) | h->sum_low;
    return (uint64_t)(sum / h->count);
}

uint64_t vdc_hist_percentile(const struct vdc_latency_histogram *h, double percent)
{
    if (h->count == 0)
        return 0;
    uint64_t rank = (uint64_t)((double)h->count * percent / 100.0 + 0.999999);
    if (rank == 0)
        return h->min;
    uint64_t seen = 0;
    for (unsigned b = 0; b < VDC_HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            uint64_t high = bucket_high(b);
            return high > h->max ? h->max : high < h->min ? h->min : high;
        }
    }
    return h->max;
}
