/* The pending-event set. Pushes append to an unsorted band (or overflow); only the band being
 * consumed is heap-ordered, so an event is moved at most three times and compared O(log band) times.
 * The tiers are split by time alone, and the heap orders by the full key, so the pop order is the key
 * order whatever order events were pushed in. */
#include "scheduler/event_queue.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "common/prefetch.h"

/* Events per band: large enough that all band tails and stages stay in cache with a million events
 * pending, small enough that the band being consumed sorts within the L2 cache. */
#define DEFAULT_BAND_TARGET 4096
/* Pending events from which bands are written with streaming stores: below it every band fits in the host's
 * caches, and is read back from there sooner than the streamed lines would come back from memory. */
#define STREAMING_MIN_EVENTS 65536
/* The fewest events a band is cut for when the overflow is spread: fewer bands, each sorted once when it is
 * reached, cost less than many small ones (64 measured 3% faster than 32 on a fat-tree run). */
#define BAND_MIN_EVENTS 64
/* The late set's size from which the front may be cut again (front_too_wide). */
#define RECUT_LATE_MIN 512

/* Every array is 64-byte aligned: band arrays take whole staged groups of two cache lines, which the
 * streaming stores then fill completely. */
static void vec_reserve(struct vdc_event_vec *v, size_t need)
{
    if (need <= v->cap)
        return;
    size_t cap = v->cap ? v->cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    size_t bytes;
    if (__builtin_mul_overflow(cap, sizeof *v->items, &bytes))
        vdc_die("event band of %zu events overflows memory; reduce the scenario's size", cap);
    struct vdc_event *items = aligned_alloc(64, bytes);
    if (items == NULL)
        vdc_die("out of memory allocating %zu bytes for pending events; reduce the scenario's size", bytes);
    if (v->len > 0)
        memcpy(items, v->items, v->len * sizeof *items);
    free(v->items);
    v->items = items;
    v->cap = cap;
}

static void stage_flush(struct vdc_event_vec *band, struct vdc_band_stage *stage)
{
    vec_reserve(band, band->len + stage->count);
    struct vdc_event *dst = band->items + band->len;
#if defined(__SSE2__)
    if (stage->count == VDC_BAND_STAGE_EVENTS) {
        const __m128i *src = (const __m128i *)stage->events;
        __m128i *out = (__m128i *)dst;
        for (size_t i = 0; i < (sizeof stage->events) / (sizeof(__m128i)); i++)
            _mm_stream_si128(out + i, _mm_load_si128(src + i));
    } else
#endif
        memcpy(dst, stage->events, stage->count * sizeof *dst);
    band->len += stage->count;
    stage->count = 0;
}

static inline void vec_append(struct vdc_event_vec *v, const struct vdc_event *ev);

static inline void band_append(struct vdc_event_queue *q, size_t band, const struct vdc_event *ev)
{
    if (!q->streaming) {
        vec_append(&q->bands[band], ev);
        return;
    }
    struct vdc_band_stage *stage = &q->stages[band];
    stage->events[stage->count++] = *ev;
    if (stage->count == VDC_BAND_STAGE_EVENTS)
        stage_flush(&q->bands[band], stage);
}

static inline void vec_append(struct vdc_event_vec *v, const struct vdc_event *ev)
{
    if (v->len == v->cap)
        vec_reserve(v, v->len + 1);
    v->items[v->len++] = *ev;
}

void vdc_event_queue_init(struct vdc_event_queue *q)
{
    memset(q, 0, sizeof *q);
    q->band_target = DEFAULT_BAND_TARGET;
}

void vdc_event_queue_free(struct vdc_event_queue *q)
{
    free(q->sorted.items);
    vdc_late_events_free(&q->late);
    free(q->overflow.items);
    for (size_t i = 0; i < q->band_alloc; i++)
        free(q->bands[i].items);
    free(q->bands);
    free(q->counts);
    free(q->stages);
    memset(q, 0, sizeof *q);
}

static void append_to_vec(void *vec, const struct vdc_event *ev)
{
    vec_append(vec, ev);
}

/* Puts every event not yet taken back into the overflow, to be cut into bands again by the next pop. */
static void recut(struct vdc_event_queue *q)
{
    for (size_t i = q->sorted_next; i < q->sorted.len; i++)
        vec_append(&q->overflow, &q->sorted.items[i]);
    q->sorted.len = 0;
    q->sorted_next = 0;
    vdc_late_events_drain(&q->late, append_to_vec, &q->overflow);
#if defined(__SSE2__)
    _mm_sfence(); /* order the bands' streaming stores before they are read back */
#endif
    for (size_t k = q->next_band; k < q->band_count; k++) {
        struct vdc_event_vec *band = &q->bands[k];
        struct vdc_band_stage *stage = &q->stages[k];
        for (size_t i = 0; i < band->len; i++)
            vec_append(&q->overflow, &band->items[i]);
        for (uint32_t i = 0; i < stage->count; i++)
            vec_append(&q->overflow, &stage->events[i]);
        band->len = 0;
        stage->count = 0;
    }
    q->band_count = 0;
    q->next_band = 0;
    q->front_open = false;
    q->front_all_late = false;
}

/* Whether the band being consumed was cut for sparser events than those arriving now: its late set has grown far
 * past what the band held when loaded and is a good share of everything pending. Bands cut while only a few
 * far-apart events were pending (flow arrivals before a burst of traffic) can be microseconds wide, and then nearly
 * every new event lands in the late set, whose radix heap moves each event several times where a band moves it
 * once. The share keeps the cost of cutting again, a move of every pending event, to a few moves per late event. */
static inline bool front_too_wide(const struct vdc_event_queue *q)
{
    size_t late = q->late.size;
    if (q->front_all_late)
        return late > VDC_LATE_NEAR_EVENTS; /* no longer few: bands serve them better */
    return late >= RECUT_LATE_MIN && late >= 4 * q->front_loaded && late * 16 >= q->size;
}

void vdc_event_queue_push(struct vdc_event_queue *q, const struct vdc_event *ev)
{
    q->size++;
    if (q->front_open && ev->time <= q->front_last) {
        vdc_late_events_push(&q->late, ev);
        if (front_too_wide(q))
            recut(q);
        return;
    }
    if (ev->time >= q->bands_start) {
        uint64_t band = (ev->time - q->bands_start) >> q->band_shift;
        if (band < q->band_count) {
            band_append(q, (size_t)band, ev);
            return;
        }
    }
    vec_append(&q->overflow, ev);
}

static unsigned bits_needed(uint64_t x)
{
    return x == 0 ? 0 : 64u - (unsigned)__builtin_clzll(x);
}

/* The k-th smallest of a[0..n) (k < n), the others moved around: Wirth's selection. Cheaper than sorting the
 * sample through qsort's comparison calls, which showed in the profile of runs with frequent spreads. */
static vdc_time select_nth(vdc_time *a, size_t n, size_t k)
{
    ptrdiff_t left = 0, right = (ptrdiff_t)n - 1, want = (ptrdiff_t)k;
    while (left < right) {
        vdc_time pivot = a[want];
        ptrdiff_t i = left, j = right;
        do {
            while (a[i] < pivot)
                i++;
            while (pivot < a[j])
                j--;
            if (i <= j) {
                vdc_time t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < want)
            left = i;
        if (want < i)
            right = j;
    }
    return a[k];
}

/* Times below which about an eighth and about 98% of the overflow lie, from an evenly spaced sample. */
static void overflow_quantiles(const struct vdc_event_vec *over, vdc_time lo, vdc_time hi, vdc_time *eighth,
                               vdc_time *bulk)
{
    enum { SAMPLES = 256 };
    size_t n = over->len < SAMPLES ? over->len : SAMPLES;
    vdc_time sample[SAMPLES];
    size_t stride = over->len / n;
    for (size_t i = 0; i < n; i++)
        sample[i] = over->items[i * stride].time;
    vdc_time at_eighth = select_nth(sample, n, n / 8);
    *eighth = at_eighth < lo ? lo : at_eighth;
    *bulk = over->len <= SAMPLES ? hi : select_nth(sample, n, n * 98 / 100);
    if (*bulk < *eighth)
        *bulk = *eighth;
}

/* Cuts the overflow into bands of a power-of-two width holding about band_target events each. The width comes
 * from the density of the earliest eighth of the events: models keep a population of far-future timers
 * (timeouts, rate timers) that would otherwise stretch every band, and with wide bands most new events
 * fall into the band being consumed, where they take the slower heap path. Events past the last band stay in
 * the overflow for a later spread. */
static void spread_overflow(struct vdc_event_queue *q)
{
    struct vdc_event_vec *over = &q->overflow;
    vdc_time lo = over->items[0].time, hi = lo;
    for (size_t i = 1; i < over->len; i++) {
        vdc_time t = over->items[i].time;
        lo = t < lo ? t : lo;
        hi = t > hi ? t : hi;
    }
    vdc_time eighth, bulk;
    overflow_quantiles(over, lo, hi, &eighth, &bulk);
    /* At least a few hundred bands (of BAND_MIN_EVENTS events or more), so that a new event rarely falls into
     * the band being consumed. */
    uint64_t wanted = over->len / q->band_target, floor = over->len / BAND_MIN_EVENTS;
    if (floor > 512)
        floor = 512;
    if (wanted < floor)
        wanted = floor;
    if (wanted == 0)
        wanted = 1;
    uint64_t first_eighth_bands = wanted / 8 ? wanted / 8 : 1;
    unsigned shift = bits_needed((eighth - lo) / first_eighth_bands);
    if (shift > 63)
        shift = 63;
    uint64_t last_band = (bulk - lo) >> shift; /* +1 could wrap when the span is the whole time range */
    size_t count = (size_t)(last_band < 2 * wanted ? last_band + 1 : 2 * wanted + 1);
    if (count > q->band_alloc) {
        q->bands = vdc_xrealloc(q->bands, count, sizeof *q->bands);
        memset(q->bands + q->band_alloc, 0, (count - q->band_alloc) * sizeof *q->bands);
        struct vdc_band_stage *stages = aligned_alloc(64, count * sizeof *stages);
        if (stages == NULL)
            vdc_die("out of memory allocating %zu event bands; reduce the scenario's size", count);
        memset(stages, 0, count * sizeof *stages); /* all stages are empty between spreads */
        free(q->stages);
        q->stages = stages;
        q->band_alloc = count;
    }
    q->band_count = count;
    q->next_band = 0;
    q->streaming = q->size >= STREAMING_MIN_EVENTS;
    q->bands_start = lo;
    q->band_shift = shift;
    size_t kept = 0;
    for (size_t i = 0; i < over->len; i++) {
        const struct vdc_event *ev = &over->items[i];
        uint64_t band = (ev->time - lo) >> shift;
        if (band < count)
            band_append(q, (size_t)band, ev);
        else
            over->items[kept++] = *ev; /* i >= kept: compaction in place */
    }
    over->len = kept;
}

static int compare_events(const void *a, const void *b)
{
    const struct vdc_event *x = a, *y = b;
    return vdc_event_before(x, y) ? -1 : vdc_event_before(y, x) ? 1 : 0;
}

/* Runs up to this long are ordered by ranking; longer ones (rare) by qsort. */
#define RUN_RANKED_MAX 24

/* Orders a run whose events share one sub-bucket: mostly a few events at one picosecond from different sources,
 * in no particular order, where an insertion sort mispredicts about once an event. Each event goes straight to
 * its place, the number of keys below its own, counted without a data-dependent branch; keys are unique (each
 * source numbers its events), so the places are a permutation. */
static void sort_run(struct vdc_event *run, size_t n)
{
    if (n > RUN_RANKED_MAX) {
        qsort(run, n, sizeof *run, compare_events);
        return;
    }
    unsigned __int128 keys[RUN_RANKED_MAX];
    struct vdc_event copy[RUN_RANKED_MAX];
    for (size_t i = 0; i < n; i++) {
        keys[i] = vdc_event_key(&run[i]);
        copy[i] = run[i];
    }
    uint32_t placed = 0;
    for (size_t i = 0; i < n; i++) {
        size_t place = 0;
        for (size_t j = 0; j < n; j++)
            place += keys[j] < keys[i];
        run[place] = copy[i];
        placed |= UINT32_C(1) << place;
    }
    assert(placed == (UINT32_C(1) << n) - 1); /* two equal keys would take one place and lose an event */
}

/* Sorts band k into `sorted`: a counting sort on the top bits of each event's offset in the band
 * (about one event per sub-bucket), then a full-key sort of each sub-bucket. No data-dependent
 * branch per comparison level, which is what makes a heap slow here. */
static void load_band(struct vdc_event_queue *q, size_t k)
{
    struct vdc_event_vec *band = &q->bands[k];
    if (q->stages[k].count > 0)
        stage_flush(band, &q->stages[k]);
#if defined(__SSE2__)
    if (q->streaming)
        _mm_sfence(); /* order the streaming stores before the band is read back */
#endif
    size_t n = band->len;
    q->front_loaded = n;
    q->sorted.len = 0;
    q->sorted_next = 0;
    if (n == 0)
        return;
    unsigned bucket_bits = bits_needed(n - 1);
    if (bucket_bits > q->band_shift)
        bucket_bits = q->band_shift;
    size_t buckets = (size_t)1 << bucket_bits;
    unsigned sub_shift = q->band_shift - bucket_bits;
    vdc_time base = q->bands_start + ((vdc_time)k << q->band_shift);
    if (q->counts_cap < buckets + 1) {
        q->counts = vdc_xrealloc(q->counts, buckets + 1, sizeof *q->counts);
        q->counts_cap = buckets + 1;
    }
    uint32_t *counts = q->counts;
    memset(counts, 0, (buckets + 1) * sizeof *counts);
    /* The band comes from memory (streamed out long ago): fetch ahead of the counting pass. */
    for (size_t i = 0; i < n; i++) {
        if (i + 32 < n)
            VDC_PREFETCH(&band->items[i + 32], 0, 3);
        counts[((band->items[i].time - base) >> sub_shift) + 1]++;
    }
    for (size_t b = 1; b <= buckets; b++)
        counts[b] += counts[b - 1];
    vec_reserve(&q->sorted, n);
    for (size_t i = 0; i < n; i++) {
        const struct vdc_event *ev = &band->items[i];
        q->sorted.items[counts[(ev->time - base) >> sub_shift]++] = *ev;
    }
    /* counts[b] is now the end of sub-bucket b. */
    size_t run_start = 0;
    for (size_t b = 0; b < buckets; b++) {
        if (counts[b] - run_start > 1)
            sort_run(q->sorted.items + run_start, counts[b] - run_start);
        run_start = counts[b];
    }
    q->sorted.len = n;
    band->len = 0;
    /* A burst can grow one band far past its share; give that memory back rather than keep every band at
     * its largest size ever. */
    if (band->cap > 8 * q->band_target) {
        free(band->items);
        band->items = NULL;
        band->cap = 0;
    }
}

static inline bool front_empty(const struct vdc_event_queue *q)
{
    return q->sorted_next == q->sorted.len && q->late.size == 0;
}

/* Few events pending, all in the overflow: they become the front's late set, a sorted array at this size, and the
 * front reaches to the end of time, so that every event pushed joins them there. Cutting bands for a handful of
 * events would spread them again every few pops (the hold model with 50 pending spent half its time there). Once
 * the late set outgrows the array, front_too_wide cuts bands again: far timers would otherwise gather there and make
 * every insert dearer (rack8-perftest's late set would hold 104 events on average instead of 46). */
static void take_all_late(struct vdc_event_queue *q)
{
    for (size_t i = 0; i < q->overflow.len; i++)
        vdc_late_events_push(&q->late, &q->overflow.items[i]);
    q->overflow.len = 0;
    q->sorted.len = 0;
    q->sorted_next = 0;
    q->front_last = VDC_TIME_MAX;
    q->front_open = true;
    q->front_loaded = 0;
    q->front_all_late = true;
}

/* Makes the front non-empty if any event is pending; false when the queue is empty. */
static bool fill_front(struct vdc_event_queue *q)
{
    while (front_empty(q)) {
        if (q->next_band < q->band_count) {
            size_t k = q->next_band++;
            vdc_time band_offset = (vdc_time)k << q->band_shift;
            vdc_time width_less_one = ((vdc_time)1 << q->band_shift) - 1;
            vdc_time first = q->bands_start + band_offset;
            q->front_last = first > VDC_TIME_MAX - width_less_one ? VDC_TIME_MAX : first + width_less_one;
            q->front_open = true;
            q->front_all_late = false;
            load_band(q, k);
        } else if (q->overflow.len > 0 && q->overflow.len < VDC_LATE_NEAR_EVENTS) {
            take_all_late(q);
        } else if (q->overflow.len > 0) {
            spread_overflow(q);
        } else {
            return false;
        }
    }
    return true;
}

/* The least event of the front: the sorted band's next, unless a late arrival precedes it. */
static inline bool front_least_is_late(const struct vdc_event_queue *q)
{
    const struct vdc_event *late = vdc_late_events_least(&q->late);
    if (late == NULL)
        return false;
    if (q->sorted_next == q->sorted.len)
        return true;
    return vdc_event_before(late, &q->sorted.items[q->sorted_next]);
}

bool vdc_event_queue_pop(struct vdc_event_queue *q, struct vdc_event *out)
{
    return vdc_event_queue_pop_until(q, VDC_TIME_MAX, out) == VDC_POP_OK;
}

const struct vdc_event *vdc_event_queue_peek(struct vdc_event_queue *q)
{
    if (!fill_front(q))
        return NULL;
    return front_least_is_late(q) ? vdc_late_events_least(&q->late) : &q->sorted.items[q->sorted_next];
}

const struct vdc_event *vdc_event_queue_peek_cached(const struct vdc_event_queue *q)
{
    if (q->sorted_next < q->sorted.len && !front_least_is_late(q))
        return &q->sorted.items[q->sorted_next];
    return vdc_late_events_least(&q->late);
}

/* Removes the least event unless it is later than `until`, or (when `whole_time` is false) at `until` with an order
 * of `before_order` or more. */
static inline enum vdc_pop_result pop_if(struct vdc_event_queue *q, vdc_time until, bool whole_time,
                                         uint64_t before_order, struct vdc_event *out)
{
    if (!fill_front(q))
        return VDC_POP_EMPTY;
    bool late = front_least_is_late(q);
    const struct vdc_event *least = late ? vdc_late_events_least(&q->late) : &q->sorted.items[q->sorted_next];
    if (least->time > until || (!whole_time && least->time == until && least->order >= before_order))
        return VDC_POP_LATER;
    if (late) {
        vdc_late_events_pop(&q->late, out);
    } else {
        *out = *least;
        q->sorted_next++;
    }
    q->size--;
    return VDC_POP_OK;
}

enum vdc_pop_result vdc_event_queue_pop_until(struct vdc_event_queue *q, vdc_time until, struct vdc_event *out)
{
    return pop_if(q, until, true, 0, out);
}

enum vdc_pop_result vdc_event_queue_pop_before(struct vdc_event_queue *q, vdc_time time, uint64_t order,
                                               struct vdc_event *out)
{
    return pop_if(q, time, false, order, out);
}
