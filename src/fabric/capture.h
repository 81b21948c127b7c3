/* Packet capture: the frames crossing chosen links, written as real RoCEv2/PFC bytes to one pcap file per link. */
#ifndef VDC_FABRIC_CAPTURE_H
#define VDC_FABRIC_CAPTURE_H

#include "common/error.h"
#include "common/time.h"

struct fabric;
struct fabric_port;
struct fabric_packet;

/* `links` is "hosts" (every link with a host end) or NODE/NODE[,NODE/NODE...]; files are DIR/A-B.pcap. */
bool fabric_capture_open(struct fabric *f, const char *dir, const char *links, struct vdc_error *err);
bool fabric_capture_close(struct fabric *f, struct vdc_error *err);

/* Writes the frame `port` starts transmitting at `now` (called by the port when it has a capture). */
void fabric_capture_frame(struct fabric *f, const struct fabric_port *port, const struct fabric_packet *p,
                          vdc_time now);

#endif
