/* A log-linear histogram of latencies (about 1.5% relative resolution) for percentiles in bounded memory. */
#ifndef VDC_REPORT_LATENCY_HISTOGRAM_H
#define VDC_REPORT_LATENCY_HISTOGRAM_H

#include <stdint.h>

#define VDC_HIST_SUB_BITS 6
#define VDC_HIST_BUCKETS (64 << VDC_HIST_SUB_BITS)

struct vdc_latency_histogram {
    uint64_t count, sum_low, sum_high; /* the sum is 128-bit: many long latencies overflow 64 bits */
    uint64_t min, max;
    uint64_t buckets[VDC_HIST_BUCKETS];
};

void vdc_hist_init(struct vdc_latency_histogram *h);
void vdc_hist_add(struct vdc_latency_histogram *h, uint64_t value);
uint64_t vdc_hist_mean(const struct vdc_latency_histogram *h);
/* The smallest bucket bound under which at least `percent` % of the values lie (exact for min and max). */
uint64_t vdc_hist_percentile(const struct vdc_latency_histogram *h, double percent);

#endif
