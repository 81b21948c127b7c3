/* Packet buffers from a pool: chunks allocated as the fabric grows, recycled through a free list, never per packet. */
#ifndef VDC_FABRIC_POOL_H
#define VDC_FABRIC_POOL_H

#include <stdint.h>

#include "fabric/packet.h"

struct fabric_pool {
    struct fabric_packet *free_list;
    struct fabric_packet **chunks;
    uint32_t chunk_count, chunk_cap;
    struct fabric_rdma *rdma_free;   /* NIC payload buffers, allocated as needed and recycled */
    struct fabric_rdma **rdma_blocks;
    uint32_t rdma_count, rdma_cap;
    struct fabric_ns3_fields *ns3_free; /* hpcc-ns3 header parts, recycled the same way */
    struct fabric_ns3_fields **ns3_blocks;
    uint32_t ns3_count, ns3_cap;
};

void fabric_pool_init(struct fabric_pool *pool);
void fabric_pool_free(struct fabric_pool *pool);

/* A zeroed packet. */
struct fabric_packet *fabric_packet_alloc(struct fabric_pool *pool);
/* Releases the packet and its RDMA part, if any. The pool need not be the one it came from: in a parallel run a
 * packet made in one partition is released in another's (each thread touches only its own free list), and the
 * chunks are freed by the pool that allocated them, once no thread runs. */
void fabric_packet_release(struct fabric_pool *pool, struct fabric_packet *p);

/* Gives p an RDMA part with zeroed header fields (its data bytes are not cleared: the NIC fills them). */
struct fabric_rdma *fabric_packet_add_rdma(struct fabric_pool *pool, struct fabric_packet *p);

/* Gives p an hpcc-ns3 part with zeroed fields and no hop records (nhop 0). */
struct fabric_ns3_fields *fabric_packet_add_ns3(struct fabric_pool *pool, struct fabric_packet *p);

#endif
