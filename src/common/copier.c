/* Bulk copies on a thread of their own (copier.h): a ring of copies in the order handed over, a thread that takes
 * them one by one, and counters the waiting side compares. */
#include "common/copier.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/error.h"
#include "common/prefetch.h"
#include "common/spin.h"
#include "common/wall_clock.h"

/* The payload's source is usually cold (a sender's buffer, read once) and each piece starts a fresh 4 KiB page,
 * where the host's own prefetchers start over: the loads ask this many bytes ahead themselves. */
#define PREFETCH_AHEAD 1024

static void copy_streaming(uint8_t *dst, const uint8_t *src, uint64_t len)
{
#ifdef __SSE2__
    uint64_t head = (16 - ((uintptr_t)dst & 15)) & 15;
    head = head < len ? head : len;
    memcpy(dst, src, head);
    dst += head, src += head, len -= head;
    __m128i *to = (__m128i *)(void *)dst;
    const __m128i *from = (const __m128i *)(const void *)src;
    uint64_t blocks = len / 64;
    for (uint64_t off = 0; off < PREFETCH_AHEAD && off < len; off += 64)
        VDC_PREFETCH((const uint8_t *)from + off, 0, 0);
    for (uint64_t i = 0; i < blocks; i++, to += 4, from += 4) {
        VDC_PREFETCH((const uint8_t *)from + PREFETCH_AHEAD, 0, 0);
        __m128i a = _mm_loadu_si128(from), b = _mm_loadu_si128(from + 1);
        __m128i c = _mm_loadu_si128(from + 2), d = _mm_loadu_si128(from + 3);
        _mm_stream_si128(to, a);
        _mm_stream_si128(to + 1, b);
        _mm_stream_si128(to + 2, c);
        _mm_stream_si128(to + 3, d);
    }
    /* Later loads and stores of this thread, and any other thread after it synchronizes, see the streamed bytes. */
    _mm_sfence();
    memcpy(to, from, len % 64);
    /* A message's next piece usually continues where this one ends: its first lines are on their way by then. */
    for (uint64_t off = len % 64; off < PREFETCH_AHEAD; off += 64)
        VDC_PREFETCH((const uint8_t *)from + off, 0, 0);
#else
    memcpy(dst, src, len);
#endif
}

/* The ways of making a copy. Streaming stores skip reading each destination line. A copy of bytes the destination
 * already holds changes nothing, and comparing costs half to two thirds of copying (it only reads): a NIC writing a
 * buffer again with what it held (a benchmark's pattern, a collective's next iteration) is common. The compare goes a
 * host page at a time and copies a page plainly where it differs, usually found at its first line, so that it costs
 * about what a plain copy costs on bytes that differ: a plain way beside it only gave the timing's noise a way to
 * choose wrong (docs/performance.md). Which of the two is faster depends on the host (on two machines of the same
 * kind, streaming and plain stores were each about twice as fast as the other) and on the data. */
enum copy_way { WAY_STREAMING, WAY_UNLESS_SAME, WAYS };

/* The host's smallest page: the unit its kernel maps a fresh page in. */
#define HOST_PAGE 4096u

/* Each thread that copies times the ways over epochs of EPOCH_BYTES, goes on with the faster, and gives the other
 * one epoch in TRIAL_EVERY, as a run's phases, its data and the host's load change. The choice is the host's and
 * the data's, not the model's: the bytes that land are the same either way. */
#define EPOCH_BYTES (16u << 20)
#define TRIAL_EVERY 32

struct copy_tuner {
    uint8_t way;        /* this epoch's */
    uint64_t bytes;     /* timed in this epoch */
    double seconds;     /* this epoch's */
    double rate[WAYS];  /* bytes a second, by way; 0 until measured */
    uint64_t epochs;
    uint64_t copies;    /* made through vdc_copy_bulk on this thread */
};

static void tune_after(struct copy_tuner *t, uint64_t len, double seconds)
{
    t->bytes += len;
    t->seconds += seconds;
    if (t->bytes < EPOCH_BYTES)
        return;
    double rate = (double)t->bytes / (t->seconds > 0 ? t->seconds : 1e-9);
    t->rate[t->way] = t->rate[t->way] > 0 ? (t->rate[t->way] + rate) / 2 : rate;
    t->bytes = 0;
    t->seconds = 0;
    t->epochs++;
    uint8_t best = 0;
    for (uint8_t w = 0; w < WAYS; w++) {
        if (t->rate[w] == 0) {
            t->way = w; /* never measured */
            return;
        }
        if (t->rate[w] > t->rate[best])
            best = w;
    }
    _Static_assert(WAYS == 2, "a trial is the other way");
    t->way = t->epochs % TRIAL_EVERY == 0 ? (uint8_t)(1 - best) : best; /* the other, measured long ago */
}

static void copy_way(uint8_t way, uint8_t *dst, const uint8_t *src, uint64_t len)
{
    if (way == WAY_STREAMING) {
        copy_streaming(dst, src, len);
        return;
    }
    for (uint64_t off = 0, piece; off < len; off += piece) {
        piece = HOST_PAGE - ((uintptr_t)(dst + off) & (HOST_PAGE - 1));
        piece = piece < len - off ? piece : len - off;
        /* Each destination page is written before it is read: the first read of a page the process never touched
         * maps the shared zero page, and the copy's write then replaces that mapping, which costs a TLB shootdown on
         * every core running the process (4% of rack8-perftest's samples, and the loop's core interrupted). The
         * byte stored is one the copy lands anyway. (A page a fill mapped on its pattern, copy-on-write, becomes
         * the guest's own at that store even where the bytes are the same: once a page, as at any first write.) */
        dst[off] = src[off];
        if (memcmp(dst + off, src + off, piece) != 0)
            memcpy(dst + off, src + off, piece);
    }
}

/* Copies made where they are asked for (no copier, or its ring full) time one in TIME_ONE_IN: two reads of the
 * clock cost a tenth of a 4 KiB copy. */
#define TIME_ONE_IN 4

static _Thread_local struct copy_tuner own_tuner;

void vdc_copy_bulk(uint8_t *dst, const uint8_t *src, uint64_t len)
{
    struct copy_tuner *t = &own_tuner;
    if (t->copies++ % TIME_ONE_IN != 0) {
        copy_way(t->way, dst, src, len);
        return;
    }
    double start = vdc_wall_seconds();
    copy_way(t->way, dst, src, len);
    tune_after(t, len, vdc_wall_seconds() - start);
}

/* How long the thread looks for more work before it sleeps (pauses: tens of microseconds here, many packets'
 * copies), so that a stream of copies does not pay a wake-up each, and an idle copier leaves the core to others. */
#define SPINS 4096

/* The most bytes of consecutive copies made as one. */
#define RUN_BYTES (256u << 10)

struct copy {
    uint8_t *dst;
    const uint8_t *src;
    uint64_t len;
};

/* Each side writes lines of its own: the thread `done`, the producer `submitted` and the ring. */
struct vdc_copier {
    _Alignas(64) _Atomic uint64_t done; /* first: copier.h reads it inline */
    _Alignas(64) _Atomic uint64_t submitted;
    _Alignas(64) _Atomic bool sleeping, stopping;
    /* The producer's own: what it has handed over, and the last count of done it read (the ring's room). */
    _Alignas(64) uint64_t handed, done_seen;
    bool started;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;
    struct copy *ring;
    uint64_t ring_size; /* copies in flight at most: a power of two */
};

static bool ranges_overlap(const uint8_t *a, const uint8_t *b, uint64_t len)
{
    uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
    return x < y + len && y < x + len;
}

static void *copier_thread(void *arg)
{
    struct vdc_copier *c = arg;
    uint64_t next = 0;
    /* The thread's own, off the copier's record: the producer reads that record's later fields (the ring) at every
     * copy, and a line the thread wrote after every stretch would move between the cores each time. */
    struct copy_tuner tuner = {0};
    for (;;) {
        uint64_t submitted = atomic_load_explicit(&c->submitted, memory_order_acquire);
        for (int spin = 0; submitted == next && spin < SPINS; spin++) {
            vdc_spin_pause();
            submitted = atomic_load_explicit(&c->submitted, memory_order_acquire);
        }
        if (submitted == next) {
            pthread_mutex_lock(&c->lock);
            atomic_store(&c->sleeping, true);
            /* Read after `sleeping` is set: a waiter that read `sleeping` false before had handed its copies over
             * by then, and they are found here (vdc_copier_wait_slow). */
            while (atomic_load(&c->submitted) == next && !atomic_load(&c->stopping))
                pthread_cond_wait(&c->work, &c->lock);
            atomic_store(&c->sleeping, false);
            pthread_mutex_unlock(&c->lock);
            if (atomic_load(&c->submitted) == next)
                return NULL; /* stopping, and nothing left */
            continue;
        }
        /* Timed a stretch at a time, not per copy (a copier that is behind has many to make at once); a stretch
         * ends where the epoch does, so that each is made in one way. */
        double start = vdc_wall_seconds();
        uint64_t bytes = 0;
        while (next < submitted) {
            /* Copies that continue one another (a message's payloads, one per packet) are made as one: the host's
             * prefetchers follow a long stream where each 4 KiB piece made them start over (a fifth more bytes
             * per second here). Each is whole by the time `done` counts it. */
            const struct copy *k = &c->ring[next & (c->ring_size - 1)];
            uint8_t *dst = k->dst;
            const uint8_t *src = k->src;
            uint64_t len = k->len, end = next + 1;
            for (; end < submitted && len < RUN_BYTES; end++) {
                const struct copy *n = &c->ring[end & (c->ring_size - 1)];
                if (n->dst != dst + len || n->src != src + len || ranges_overlap(dst, src, len + n->len))
                    break;
                len += n->len;
            }
            copy_way(tuner.way, dst, src, len);
            bytes += len;
            next = end;
            atomic_store_explicit(&c->done, next, memory_order_release);
            if (tuner.bytes + bytes >= EPOCH_BYTES) {
                double now = vdc_wall_seconds();
                tune_after(&tuner, bytes, now - start);
                start = now;
                bytes = 0;
            }
        }
        if (bytes > 0)
            tune_after(&tuner, bytes, vdc_wall_seconds() - start);
    }
}

struct vdc_copier *vdc_copier_create(uint32_t ring)
{
    struct vdc_copier *c = vdc_xcalloc(1, sizeof *c);
    c->ring_size = 1;
    while (c->ring_size < ring)
        c->ring_size *= 2;
    c->ring = vdc_xcalloc_pages(c->ring_size * sizeof *c->ring); /* host pages only as far as the ring is used */
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->work, NULL);
    return c;
}

static void wake(struct vdc_copier *c)
{
    pthread_mutex_lock(&c->lock);
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->lock);
}

uint64_t vdc_copier_submit(struct vdc_copier *c, uint8_t *dst, const uint8_t *src, uint64_t len)
{
    uint64_t submitted = c->handed;
    if (!c->started) {
        if (pthread_create(&c->thread, NULL, copier_thread, c) != 0) {
            vdc_copy_bulk(dst, src, len); /* no thread to be had: the copy happens here */
            return 0;
        }
        c->started = true;
    }
    /* `done` is read now and then (every 64 copies, and when the ring looks full), not per copy: its line is the
     * thread's, written after every copy. */
    if (submitted % 64 == 0)
        c->done_seen = vdc_copier_done(c);
    if (submitted - c->done_seen >= c->ring_size && submitted - (c->done_seen = vdc_copier_done(c)) >= c->ring_size) {
        vdc_copier_wait_slow(c, submitted - c->ring_size + 1); /* the ring is full: the oldest copy frees its place */
        c->done_seen = vdc_copier_done(c);
    }
    c->ring[submitted & (c->ring_size - 1)] = (struct copy){.dst = dst, .src = src, .len = len};
    c->handed = submitted + 1;
    atomic_store_explicit(&c->submitted, submitted + 1, memory_order_release);
    /* No fence here (one per copy would cost the loop more than the copy): a thread that starts to sleep just now
     * may miss this copy, and is woken by whoever waits for it. */
    if (atomic_load_explicit(&c->sleeping, memory_order_relaxed))
        wake(c);
    return submitted + 1;
}

uint64_t vdc_copier_done_lately(const struct vdc_copier *c)
{
    return c->done_seen;
}

bool vdc_copier_full(struct vdc_copier *c)
{
    if (!c->started || c->handed - c->done_seen < c->ring_size)
        return false;
    c->done_seen = vdc_copier_done(c);
    return c->handed - c->done_seen >= c->ring_size;
}

void vdc_copier_wait_slow(struct vdc_copier *c, uint64_t ticket)
{
    /* After the copies handed over, before `sleeping` is read: the thread either sees them before it sleeps or is
     * seen asleep here (copier_thread). */
    atomic_thread_fence(memory_order_seq_cst);
    while (vdc_copier_done(c) < ticket) {
        if (atomic_load_explicit(&c->sleeping, memory_order_relaxed))
            wake(c);
        vdc_spin_pause();
    }
}

void vdc_copier_free(struct vdc_copier *c)
{
    if (c == NULL)
        return;
    if (c->started) {
        vdc_copier_wait_slow(c, atomic_load_explicit(&c->submitted, memory_order_relaxed));
        pthread_mutex_lock(&c->lock);
        atomic_store(&c->stopping, true);
        pthread_cond_signal(&c->work);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
    }
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->work);
    vdc_free_pages(c->ring, c->ring_size * sizeof *c->ring);
    free(c);
}
