/* The launch's queue of warp schedulers: a calendar of bitmaps for the cycles just ahead (setting a bit is all a
 * push costs, and the lowest bit of the earliest slot is the next scheduler), a binary heap for the rest. */
#include "gpu/gpu_sched_queue.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define SLOT_MASK (SCHED_CALENDAR_SLOTS - 1)
#define OCCUPIED_WORDS (SCHED_CALENDAR_SLOTS / 64)

void gpu_sched_queue_init(struct sched_queue *q, uint32_t schedulers)
{
    memset(q, 0, sizeof *q);
    q->words = (schedulers + 63) / 64;
    q->bits = vdc_xcalloc((uint64_t)SCHED_CALENDAR_SLOTS * q->words, sizeof *q->bits);
}

void gpu_sched_queue_free(struct sched_queue *q)
{
    free(q->bits);
    free(q->heap);
}

static bool entry_before(struct sched_entry a, struct sched_entry b)
{
    return a.time < b.time || (a.time == b.time && a.id < b.id);
}

static void heap_push(struct sched_queue *q, struct sched_entry e)
{
    if (q->heap_count == q->heap_capacity) {
        q->heap_capacity = q->heap_capacity ? 2 * q->heap_capacity : 64;
        q->heap = vdc_xrealloc(q->heap, q->heap_capacity, sizeof *q->heap);
    }
    uint32_t i = q->heap_count++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!entry_before(e, q->heap[parent]))
            break;
        q->heap[i] = q->heap[parent];
        i = parent;
    }
    q->heap[i] = e;
}

static void heap_pop(struct sched_queue *q)
{
    struct sched_entry last = q->heap[--q->heap_count];
    uint32_t i = 0;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= q->heap_count)
            break;
        if (child + 1 < q->heap_count && entry_before(q->heap[child + 1], q->heap[child]))
            child++;
        if (!entry_before(q->heap[child], last))
            break;
        q->heap[i] = q->heap[child];
        i = child;
    }
    if (q->heap_count > 0)
        q->heap[i] = last;
}

static bool in_calendar(const struct sched_queue *q, uint64_t time)
{
    return time >= q->base && time - q->base < SCHED_CALENDAR_SLOTS;
}

static uint64_t *slot_bits(const struct sched_queue *q, uint64_t time)
{
    return q->bits + (time & SLOT_MASK) * q->words;
}

void gpu_sched_queue_push(struct sched_queue *q, uint64_t time, uint32_t id)
{
    if (!in_calendar(q, time)) {
        heap_push(q, (struct sched_entry){time, id});
        return;
    }
    uint64_t *bits = slot_bits(q, time);
    uint64_t bit = 1ull << (id & 63);
    if (bits[id / 64] & bit)
        return;
    bits[id / 64] |= bit;
    q->occupied[(time & SLOT_MASK) / 64] |= 1ull << (time & 63);
    q->calendar_count++;
}

void gpu_sched_queue_remove(struct sched_queue *q, uint64_t time, uint32_t id)
{
    if (!in_calendar(q, time))
        return;
    uint64_t *bits = slot_bits(q, time);
    uint64_t bit = 1ull << (id & 63);
    if (!(bits[id / 64] & bit))
        return;
    bits[id / 64] &= ~bit;
    q->calendar_count--;
    for (uint32_t w = 0; w < q->words; w++)
        if (bits[w] != 0)
            return;
    q->occupied[(time & SLOT_MASK) / 64] &= ~(1ull << (time & 63));
}

/* The calendar's earliest cycle with a scheduler queued (the calendar must not be empty). */
static uint64_t calendar_first_time(const struct sched_queue *q)
{
    uint32_t start = (uint32_t)(q->base & SLOT_MASK);
    for (uint32_t n = 0; n <= OCCUPIED_WORDS; n++) {
        uint32_t word = (start / 64 + n) % OCCUPIED_WORDS;
        uint64_t bits = q->occupied[word];
        if (n == 0)
            bits &= ~0ull << (start & 63);
        else if (n == OCCUPIED_WORDS)
            bits &= (1ull << (start & 63)) - 1; /* the first word's slots before the start: the calendar's end */
        if (bits != 0) {
            uint32_t slot = word * 64 + (uint32_t)__builtin_ctzll(bits);
            return q->base + ((slot - start) & SLOT_MASK);
        }
    }
    abort(); /* unreachable: calendar_count > 0 means some slot is occupied */
}

bool gpu_sched_queue_pop(struct sched_queue *q, struct sched_entry *out)
{
    bool have_calendar = q->calendar_count > 0;
    struct sched_entry c = {0, 0};
    uint64_t *bits = NULL;
    uint32_t word = 0;
    if (have_calendar) {
        c.time = calendar_first_time(q);
        bits = slot_bits(q, c.time);
        while (bits[word] == 0)
            word++;
        c.id = word * 64 + (uint32_t)__builtin_ctzll(bits[word]);
    }
    if (q->heap_count > 0 && (!have_calendar || entry_before(q->heap[0], c))) {
        *out = q->heap[0];
        heap_pop(q);
        if (out->time > q->base)
            q->base = out->time; /* every calendar entry is later still */
        return true;
    }
    if (!have_calendar)
        return false;
    /* The lowest bit of the slot's first non-empty word goes; the slot is empty when that word and every later
     * one are (the earlier ones already were). */
    bits[word] &= bits[word] - 1;
    q->calendar_count--;
    bool empty = true;
    for (uint32_t w = word; w < q->words && empty; w++)
        empty = bits[w] == 0;
    if (empty)
        q->occupied[(c.time & SLOT_MASK) / 64] &= ~(1ull << (c.time & 63));
    q->base = c.time;
    *out = c;
    return true;
}

bool gpu_sched_queue_next_after(const struct sched_queue *q, uint64_t time, uint32_t id, uint64_t last_time,
                                struct sched_entry *out)
{
    for (uint64_t t = time; t <= last_time && in_calendar(q, t); t++) {
        if (!(q->occupied[(t & SLOT_MASK) / 64] & 1ull << (t & 63)))
            continue;
        const uint64_t *bits = slot_bits(q, t);
        uint32_t from = t == time ? id + 1 : 0;
        for (uint32_t w = from / 64; w < q->words; w++) {
            uint64_t b = bits[w];
            if (w == from / 64 && (from & 63) != 0)
                b &= ~0ull << (from & 63);
            if (b != 0) {
                *out = (struct sched_entry){t, w * 64 + (uint32_t)__builtin_ctzll(b)};
                return true;
            }
        }
    }
    return false;
}
