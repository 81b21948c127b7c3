/* Formatting and arithmetic for picosecond virtual time. */
#include "common/time.h"

#include <inttypes.h>
#include <stdio.h>

size_t vdc_time_format(char *buf, size_t size, vdc_time t)
{
    static const struct {
        vdc_time scale;
        const char *unit;
        int digits;
    } units[] = {
        {VDC_SEC, "s", 12}, {VDC_MS, "ms", 9}, {VDC_US, "us", 6}, {VDC_NS, "ns", 3},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (t < units[i].scale)
            continue;
        vdc_time whole = t / units[i].scale, frac = t % units[i].scale;
        if (frac == 0)
            return (size_t)snprintf(buf, size, "%" PRIu64 " %s", whole, units[i].unit);
        int digits = units[i].digits;
        while (frac % 10 == 0) {
            frac /= 10;
            digits--;
        }
        return (size_t)snprintf(buf, size, "%" PRIu64 ".%0*" PRIu64 " %s", whole, digits, frac, units[i].unit);
    }
    return (size_t)snprintf(buf, size, "%" PRIu64 " ps", t);
}

vdc_time vdc_time_to_send(uint64_t bytes, uint64_t bits_per_second)
{
    if (bits_per_second == 0)
        return VDC_TIME_MAX;
    unsigned __int128 ps = ((unsigned __int128)bytes * 8u * VDC_SEC + bits_per_second - 1) / bits_per_second;
    return ps > VDC_TIME_MAX ? VDC_TIME_MAX : (vdc_time)ps;
}
