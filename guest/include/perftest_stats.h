/* perftest's statistics from virtual-time stamps in ns: the latency summary of ib_*_lat and the peak bandwidth
 * of ib_*_bw. Header-only and independent of the runtime, so host tests check the code the guest runs. */
#ifndef VDC_GUEST_PERFTEST_STATS_H
#define VDC_GUEST_PERFTEST_STATS_H

#include <stddef.h>
#include <stdint.h>

#define PERFTEST_LAT_TAIL 2 /* perftest drops the largest samples before its summary */

struct perftest_lat {
    double min, max, typical, avg, stdev, p99, p999; /* usec */
};

/* A moment of a bandwidth run: at time_ns the requests from `index` on were posted (a post batch), or the
 * completions up to `index` had been seen (a completion batch). */
struct perftest_stamp {
    uint64_t time_ns;
    uint32_t index;
};

static inline double perftest_sqrt(double v)
{
    double r;
    __asm__("sqrtsd %1, %0" : "=x"(r) : "x"(v));
    return r;
}

static inline void perftest_sift(uint64_t *v, size_t root, size_t n)
{
    for (size_t child; (child = 2 * root + 1) < n; root = child) {
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        uint64_t t = v[root];
        v[root] = v[child];
        v[child] = t;
    }
}

/* Heapsort: no allocation, no recursion, n log n in the worst case. */
static inline void perftest_sort(uint64_t *v, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        perftest_sift(v, i, n);
    for (size_t end = n; end-- > 1;) {
        uint64_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        perftest_sift(v, 0, end);
    }
}

/* perftest's summary of n samples (round trips in ns; rtt_factor 2 reports half of each), sorted in place:
 * the PERFTEST_LAT_TAIL largest are left out of the median (typical), mean and deviation; t_max and the
 * percentiles are read at perftest's indices (m, ceil(0.99 m), ceil(0.999 m), with m the samples kept).
 * Returns -1 when there are too few samples. */
static inline int perftest_lat_stats(uint64_t *delta, size_t n, unsigned rtt_factor, struct perftest_lat *out)
{
    if (n <= PERFTEST_LAT_TAIL + 1)
        return -1;
    perftest_sort(delta, n);
    size_t m = n - PERFTEST_LAT_TAIL;
    double unit = 1000.0 * rtt_factor;
    double median = (m - 1) % 2 ? (delta[m / 2] + delta[m / 2 - 1]) / 2.0 : (double)delta[m / 2];
    double sum = 0, squares = 0;
    for (size_t i = 0; i < m; i++)
        sum += (double)delta[i] / unit;
    double avg = sum / (double)m;
    for (size_t i = 0; i < m; i++) {
        double d = (double)delta[i] / unit - avg;
        squares += d * d;
    }
    *out = (struct perftest_lat){
        .min = (double)delta[0] / unit,
        .max = (double)delta[m] / unit,
        .typical = median / unit,
        .avg = avg,
        .stdev = perftest_sqrt(squares / (double)m),
        .p99 = (double)delta[(99 * m + 99) / 100] / unit,
        .p999 = (double)delta[(999 * m + 999) / 1000] / unit,
    };
    return 0;
}

/* perftest's peak: the shortest time per message over any run of messages i..j, from the post of i to the
 * completion of j. With stamps per batch only a batch's first post and last completion can be best, so the
 * search is over batches. Returns ns per message, or 0 when no pair qualifies. */
static inline double perftest_peak_ns(const struct perftest_stamp *posts, size_t n_posts,
                                      const struct perftest_stamp *completions, size_t n_completions)
{
    double best = 0;
    size_t first = 0;
    for (size_t p = 0; p < n_posts; p++) {
        while (first < n_completions && completions[first].index < posts[p].index)
            first++;
        for (size_t c = first; c < n_completions; c++) {
            if (completions[c].time_ns < posts[p].time_ns)
                continue;
            double per_message = (double)(completions[c].time_ns - posts[p].time_ns) /
                                 (double)(completions[c].index - posts[p].index + 1);
            if (best == 0 || per_message < best)
                best = per_message;
        }
    }
    return best;
}

#endif
