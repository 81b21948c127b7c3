/* The packet pool: 4096-packet chunks and an intrusive free list (the packet's own queue link). */
#include "fabric/pool.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define POOL_CHUNK 4096

void fabric_pool_init(struct fabric_pool *pool)
{
    memset(pool, 0, sizeof *pool);
}

void fabric_pool_free(struct fabric_pool *pool)
{
    for (uint32_t i = 0; i < pool->chunk_count; i++)
        free(pool->chunks[i]);
    free(pool->chunks);
    for (uint32_t i = 0; i < pool->rdma_count; i++)
        free(pool->rdma_blocks[i]);
    free(pool->rdma_blocks);
    for (uint32_t i = 0; i < pool->ns3_count; i++)
        free(pool->ns3_blocks[i]);
    free(pool->ns3_blocks);
    memset(pool, 0, sizeof *pool);
}

static void pool_grow(struct fabric_pool *pool)
{
    if (pool->chunk_count == pool->chunk_cap) {
        pool->chunk_cap = pool->chunk_cap ? pool->chunk_cap * 2 : 8;
        pool->chunks = vdc_xrealloc(pool->chunks, pool->chunk_cap, sizeof *pool->chunks);
    }
    struct fabric_packet *chunk = vdc_xmalloc(POOL_CHUNK * sizeof *chunk);
    pool->chunks[pool->chunk_count++] = chunk;
    for (int i = POOL_CHUNK - 1; i >= 0; i--) {
        chunk[i].next = pool->free_list;
        pool->free_list = &chunk[i];
    }
}

struct fabric_packet *fabric_packet_alloc(struct fabric_pool *pool)
{
    if (!pool->free_list)
        pool_grow(pool);
    struct fabric_packet *p = pool->free_list;
    pool->free_list = p->next;
    memset(p, 0, sizeof *p);
    return p;
}

void fabric_packet_release(struct fabric_pool *pool, struct fabric_packet *p)
{
    if (p->rdma) {
        p->rdma->next_free = pool->rdma_free;
        pool->rdma_free = p->rdma;
        p->rdma = NULL;
    }
    if (p->ns3) {
        p->ns3->next_free = pool->ns3_free;
        pool->ns3_free = p->ns3;
        p->ns3 = NULL;
    }
    p->next = pool->free_list;
    pool->free_list = p;
}

struct fabric_rdma *fabric_packet_add_rdma(struct fabric_pool *pool, struct fabric_packet *p)
{
    if (!pool->rdma_free) {
        /* One at a time: a NIC holds at most its windows' worth in flight, so these stay few. */
        if (pool->rdma_count == pool->rdma_cap) {
            pool->rdma_cap = pool->rdma_cap ? pool->rdma_cap * 2 : 64;
            pool->rdma_blocks = vdc_xrealloc(pool->rdma_blocks, pool->rdma_cap, sizeof *pool->rdma_blocks);
        }
        struct fabric_rdma *r = vdc_xmalloc(sizeof *r);
        pool->rdma_blocks[pool->rdma_count++] = r;
        r->next_free = NULL;
        pool->rdma_free = r;
    }
    struct fabric_rdma *r = pool->rdma_free;
    pool->rdma_free = r->next_free;
    memset(r, 0, offsetof(struct fabric_rdma, data));
    p->rdma = r;
    return r;
}

struct fabric_ns3_fields *fabric_packet_add_ns3(struct fabric_pool *pool, struct fabric_packet *p)
{
    if (!pool->ns3_free) {
        /* A chunk at a time, like packets: every flow packet of the hpcc-ns3 model has one. */
        if (pool->ns3_count == pool->ns3_cap) {
            pool->ns3_cap = pool->ns3_cap ? pool->ns3_cap * 2 : 8;
            pool->ns3_blocks = vdc_xrealloc(pool->ns3_blocks, pool->ns3_cap, sizeof *pool->ns3_blocks);
        }
        struct fabric_ns3_fields *chunk = vdc_xmalloc(POOL_CHUNK * sizeof *chunk);
        pool->ns3_blocks[pool->ns3_count++] = chunk;
        for (int i = POOL_CHUNK - 1; i >= 0; i--) {
            chunk[i].next_free = pool->ns3_free;
            pool->ns3_free = &chunk[i];
        }
    }
    struct fabric_ns3_fields *n = pool->ns3_free;
    pool->ns3_free = n->next_free;
    /* The hop records are read only below nhop, so only the fields before them are cleared. */
    memset(n, 0, offsetof(struct fabric_ns3_fields, hop));
    p->ns3 = n;
    return n;
}
