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
