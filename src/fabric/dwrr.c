/* Deficit round robin among a port's lower priority classes, a turn passing straight to the next ready class. */
#include "fabric/dwrr.h"

#include <assert.h>

#include "fabric/fabric.h"

_Static_assert(FABRIC_DWRR_CLASSES == FABRIC_PRIORITIES, "a port's classes are its priorities");

/* The first ready class after `c` round the ring (`c` itself when it is the only one). */
static unsigned next_ready(unsigned c, unsigned ready)
{
    unsigned later = ready & ~((2u << c) - 1);
    return (unsigned)__builtin_ctz(later != 0 ? later : ready);
}

int fabric_dwrr_pick(struct fabric_dwrr *d, unsigned floor, unsigned ready, const struct fabric_queue *queues,
                     const uint32_t *weight, uint32_t quantum)
{
    assert(floor > 0 && floor <= FABRIC_DWRR_CLASSES); /* fabric.strict_priorities is at most 7 */
    ready &= (1u << floor) - 1;
    if (d->turn >= floor)
        d->turn = 0;
    if (ready == 0)
        return -1;
    if ((ready & (ready - 1)) == 0) {
        /* One class ready, the usual case at a port: the loop below would pass the turn on to it, begin its turn
         * (unless begun), and give it turn after turn while its deficit is short of the frame, the same steps here
         * without its walk round the ring and its unpredictable branches. */
        unsigned c = (unsigned)__builtin_ctz(ready);
        int64_t size = queues[c].head->frame_bytes, quantum_bytes = (int64_t)weight[c] * quantum;
        assert(quantum_bytes > 0); /* weights 1 to 100 (fabric_setup.c), so the turns below end */
        if (d->turn != c || !d->turn_begun) {
            d->turn = (uint8_t)c;
            d->turn_begun = true;
            d->deficit[c] += quantum_bytes;
        }
        while (d->deficit[c] < size)
            d->deficit[c] += quantum_bytes;
        d->deficit[c] -= size;
        return (int)c;
    }
    /* Each turn of a ready class adds at least a quantum to its deficit, so this ends within as many rounds as the
     * largest first frame has quanta. */
    for (;;) {
        unsigned c = d->turn;
        if (ready & (1u << c)) {
            int64_t size = queues[c].head->frame_bytes;
            if (!d->turn_begun) {
                d->deficit[c] += (int64_t)weight[c] * quantum;
                d->turn_begun = true;
            }
            if (d->deficit[c] >= size) {
                d->deficit[c] -= size;
                return (int)c;
            }
        }
        d->turn = (uint8_t)next_ready(c, ready); /* classes not ready pass their turn, keeping their deficit */
        d->turn_begun = false;
    }
}
