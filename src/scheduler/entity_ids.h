/* Every part's range of entity ids, and of the random-stream ids that belong to no entity, in one place: a run's
 * entities come from these ranges only, so no two parts can take the same id or seed the same stream
 * (check_scheduler.c tests that the ranges do not overlap). Ids below VDC_IDS_GUEST_BASE are for tools that run one
 * entity on their own (vdc boot, the benchmarks). */
#ifndef VDC_SCHEDULER_ENTITY_IDS_H
#define VDC_SCHEDULER_ENTITY_IDS_H

#define VDC_IDS_GUEST_BASE 0x10000u          /* + rank: a scenario's guests (vCPUs) */
#define VDC_IDS_GUEST_COUNT 0x8000u
#define VDC_IDS_GPU_BASE 0x18000u            /* + rank: each guest's HiGPU */
#define VDC_IDS_GPU_COUNT 0x8000u
#define VDC_IDS_GPU_ENGINE_BASE 0x20000u     /* + rank: each HiGPU's compute engine (its launch windows) */
#define VDC_IDS_GPU_ENGINE_COUNT 0x8000u
#define VDC_IDS_HILINK_BASE 0x28000u         /* the GPU peer fabrics' ports, switch planes and poll sources (hilink.h) */
#define VDC_IDS_HILINK_COUNT 0x2000u
#define VDC_IDS_FABRIC_SERVICE_BASE 0xFFFF0u /* the fabric's own observers and fault schedule (fabric.h) */
#define VDC_IDS_FABRIC_SERVICE_COUNT 0x10u
#define VDC_IDS_FABRIC_NODE_BASE 0x100000u   /* + node number: fabric hosts and switches */
#define VDC_IDS_FABRIC_NODE_COUNT 0x10000u
#define VDC_IDS_WORKLOAD_STREAM_BASE 0x200000u /* + host node: random streams of generated workloads (no entity) */
#define VDC_IDS_WORKLOAD_STREAM_COUNT 0x10000u
/* Frame-loss streams take ids from 2^32 up (FABRIC_LOSS_STREAM_BASE), above every entity id. */

#endif
