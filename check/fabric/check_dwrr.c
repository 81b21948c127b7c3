/* DWRR among a port's lower classes: the turns of deficit round robin, one class at a time, and shares by weight. */
#include <string.h>

#include "../../src/fabric/fabric.h"
#include "../suites.h"

/* Deficit round robin as the paper has it, one class visited per step round the ring: what fabric_dwrr_pick, which
 * passes the classes that are not ready in one step, must choose. */
struct by_visits {
    int64_t deficit[FABRIC_PRIORITIES];
    unsigned turn;
    bool begun;
};

static int pick_by_visits(struct by_visits *v, unsigned floor, unsigned ready, const uint32_t *head_bytes,
                          const uint32_t *weight, uint32_t quantum)
{
    if ((ready & ((1u << floor) - 1)) == 0)
        return -1;
    for (;;) {
        unsigned c = v->turn;
        if (ready & (1u << c)) {
            if (!v->begun) {
                v->deficit[c] += (int64_t)weight[c] * quantum;
                v->begun = true;
            }
            if (v->deficit[c] >= head_bytes[c]) {
                v->deficit[c] -= head_bytes[c];
                return (int)c;
            }
        }
        v->turn = c + 1 == floor ? 0 : c + 1;
        v->begun = false;
    }
}

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* Queues whose first frames are `head_bytes`. */
static void set_heads(struct fabric_queue *queues, struct fabric_packet *frames, const uint32_t *head_bytes)
{
    memset(queues, 0, FABRIC_PRIORITIES * sizeof *queues);
    memset(frames, 0, FABRIC_PRIORITIES * sizeof *frames);
    for (unsigned c = 0; c < FABRIC_PRIORITIES; c++) {
        frames[c].frame_bytes = head_bytes[c];
        queues[c].head = &frames[c];
    }
}

START_TEST(picks_as_visiting_one_class_at_a_time)
{
    /* Long random runs: classes that fill, empty and pause, frames from ACKs to jumbo and NIC frames larger than the
     * quantum, weights 1 to 100, every number of DWRR classes; the state carries over from pick to pick. */
    uint64_t seed = 0x9E3779B97F4A7C15ULL;
    static const uint32_t sizes[] = {64, 98, 1106, 1122, 1538, 2130, 4178, 9100};
    unsigned picks = 0, sent = 0, none = 0;
    for (unsigned run = 0; run < 400; run++) {
        unsigned floor = 1 + (unsigned)(next_random(&seed) % FABRIC_PRIORITIES);
        uint32_t quantum = next_random(&seed) % 2 ? 1538 : 9182, weight[FABRIC_PRIORITIES], head[FABRIC_PRIORITIES];
        for (unsigned c = 0; c < FABRIC_PRIORITIES; c++) {
            weight[c] = next_random(&seed) % 4 == 0 ? 1 + (uint32_t)(next_random(&seed) % 100) : 1;
            head[c] = sizes[next_random(&seed) % 8];
        }
        struct fabric_dwrr d = {0};
        struct by_visits v = {0};
        unsigned backlog = (unsigned)next_random(&seed) & 0xFF, paused = 0;
        for (unsigned step = 0; step < 500; step++, picks++) {
            uint64_t r = next_random(&seed);
            if (r % 4 == 0)
                backlog |= 1u << (r >> 8) % FABRIC_PRIORITIES; /* a frame arrives at a class */
            if (r % 9 == 0)
                paused ^= 1u << (r >> 16) % FABRIC_PRIORITIES; /* a pause starts or ends */
            if (r % 3 == 0)
                head[(r >> 24) % FABRIC_PRIORITIES] = sizes[(r >> 32) % 8];
            struct fabric_queue queues[FABRIC_PRIORITIES];
            struct fabric_packet frames[FABRIC_PRIORITIES];
            set_heads(queues, frames, head);
            unsigned ready = backlog & ~paused;
            int expected = pick_by_visits(&v, floor, ready, head, weight, quantum);
            int got = fabric_dwrr_pick(&d, floor, ready, queues, weight, quantum);
            ck_assert_int_eq(got, expected);
            ck_assert_mem_eq(d.deficit, v.deficit, sizeof v.deficit);
            if (got < 0) {
                none++;
                continue;
            }
            ck_assert_uint_eq(d.turn, v.turn); /* both just picked: the turn is a class below floor */
            sent++;
            if ((r >> 40) % 3 == 0) { /* that frame was its queue's last */
                backlog &= ~(1u << got);
                fabric_dwrr_emptied(&d, (unsigned)got);
                v.deficit[got] = 0;
                if (v.turn == (unsigned)got) {
                    v.turn = ((unsigned)got + 1) % floor;
                    v.begun = false;
                }
            }
        }
    }
    ck_assert_uint_eq(picks, 400 * 500);
    ck_assert_uint_gt(sent, picks / 5);
    ck_assert_uint_gt(none, 100); /* picks where every class was paused or empty */
}
END_TEST

/* Picks `n` frames among always-backlogged classes `ready` whose frames are `bytes` long; the bytes each sent. */
static void send_backlogged(unsigned floor, unsigned ready, const uint32_t *weight, uint32_t bytes, unsigned n,
                            uint64_t *sent)
{
    uint32_t head[FABRIC_PRIORITIES];
    for (unsigned c = 0; c < FABRIC_PRIORITIES; c++)
        head[c] = bytes;
    struct fabric_queue queues[FABRIC_PRIORITIES];
    struct fabric_packet frames[FABRIC_PRIORITIES];
    set_heads(queues, frames, head);
    struct fabric_dwrr d = {0};
    memset(sent, 0, FABRIC_PRIORITIES * sizeof *sent);
    for (unsigned i = 0; i < n; i++) {
        int c = fabric_dwrr_pick(&d, floor, ready, queues, weight, 1538);
        ck_assert(c >= 0 && (ready & (1u << c)));
        sent[c] += bytes;
    }
}

START_TEST(shares_bytes_by_weight)
{
    /* Two classes always backlogged among 7 DWRR classes, weights 1 and 3: the bytes come out 1 : 3, with frames
     * of a quantum or less (1106) and with NIC frames of 4178 bytes, which a quantum of 1538 covers a third of. */
    uint32_t weight[FABRIC_PRIORITIES] = {1, 1, 3, 1, 1, 1, 1, 1};
    static const uint32_t frame_sizes[] = {1106, 4178};
    for (unsigned i = 0; i < 2; i++) {
        uint64_t sent[FABRIC_PRIORITIES];
        send_backlogged(7, 1u << 0 | 1u << 2, weight, frame_sizes[i], 40000, sent);
        double share = (double)sent[2] / (double)(sent[0] + sent[2]);
        ck_assert_msg(share > 0.745 && share < 0.755, "%u-byte frames: class 2 sent %.4f of the bytes, weight 3 of 4",
                      frame_sizes[i], share);
    }
    /* Equal weights: every backlogged class gets its equal share (within the frame or two a turn may leave for the
     * next), not the first one found. */
    for (unsigned c = 0; c < FABRIC_PRIORITIES; c++)
        weight[c] = 1;
    uint64_t sent[FABRIC_PRIORITIES];
    send_backlogged(7, 0x7F, weight, 1106, 70000, sent);
    for (unsigned c = 0; c < 7; c++)
        ck_assert_msg(sent[c] >= 9998ull * 1106 && sent[c] <= 10002ull * 1106, "class %u sent %llu bytes", c,
                      (unsigned long long)sent[c]);
}
END_TEST

Suite *dwrr_suite(void)
{
    Suite *s = suite_create("dwrr");
    TCase *tc = tcase_create("picks");
    tcase_add_test(tc, picks_as_visiting_one_class_at_a_time);
    tcase_add_test(tc, shares_bytes_by_weight);
    suite_add_tcase(s, tc);
    return s;
}
