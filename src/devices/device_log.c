/* Guest errors a device reports (device_log.h). */
#include "devices/device_log.h"

#include <inttypes.h>

#include "scheduler/step_batch.h"

void vdc_device_log(FILE *log, uint64_t count, vdc_time now, const char *guest, const char *device, const char *fmt,
                    va_list ap)
{
    if (log == NULL || count > VDC_DEVICE_LOGGED_ERRORS_MAX)
        return;
    char text[600], line[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    snprintf(line, sizeof line, "[%4" PRIu64 ".%09" PRIu64 "] %s: %s: %s%s\n", now / VDC_SEC, now % VDC_SEC / VDC_NS,
             guest, device, text, count == VDC_DEVICE_LOGGED_ERRORS_MAX ? " (further errors are counted, not logged)" : "");
    if (!vdc_step_hold_text(log, line)) /* a GPU window's advance: written in key order after the batch */
        fputs(line, log);
}
