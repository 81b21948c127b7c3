/* Deficit round robin among the priority classes an egress port does not serve strictly: which class sends next. */
#ifndef VDC_FABRIC_DWRR_H
#define VDC_FABRIC_DWRR_H

#include <stdbool.h>
#include <stdint.h>

/* Classes 0 to (at most) 7 share by DWRR. */
#define FABRIC_DWRR_CLASSES 8

/* A port's DWRR state (Shreedhar and Varghese's deficit round robin): each class's deficit, the bytes it may still
 * send; the class whose turn it is; and whether that turn has begun (its quantum added). */
struct fabric_dwrr {
    int64_t deficit[FABRIC_DWRR_CLASSES];
    uint8_t turn;
    bool turn_begun;
};

struct fabric_queue;

/* The class among 0 to floor - 1 that sends now, or -1 when none is `ready` (a frame queued and not paused).
 * `queues[c].head` is class c's first frame. A turn adds weight[c] x quantum bytes to the class's deficit and lasts
 * while the deficit covers its first frame, each frame sent taking its size off; then the turn passes to the next
 * ready class, in class order round the ring. So over time the ready classes send bytes in proportion to their
 * weights, whatever their frames' sizes (a frame larger than a quantum waits for the turns that add up to it). */
int fabric_dwrr_pick(struct fabric_dwrr *d, unsigned floor, unsigned ready, const struct fabric_queue *queues,
                     const uint32_t *weight, uint32_t quantum);

/* Class c's queue is empty: its deficit goes, so that an idle class saves no credit, and if it was its turn, the turn
 * passes on (a class that refills at once does not begin a new turn before the others have theirs). */
static inline void fabric_dwrr_emptied(struct fabric_dwrr *d, unsigned c)
{
    d->deficit[c] = 0;
    if (d->turn == c) {
        d->turn = (uint8_t)(c + 1); /* round the ring to 0 at the next pick when past the DWRR classes */
        d->turn_begun = false;
    }
}

#endif
