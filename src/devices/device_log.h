/* Guest errors a device reports: one line each, the same form for every device, the first few per device. */
#ifndef VDC_DEVICES_DEVICE_LOG_H
#define VDC_DEVICES_DEVICE_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "common/time.h"

#define VDC_DEVICE_LOGGED_ERRORS_MAX 20 /* lines per device; the rest are counted */

/* Writes "[time] GUEST: DEVICE: text" for the device's `count`-th error (from 1) to `log` (NULL: nothing), unless
 * past the cap; the last logged line says that further errors are only counted. */
void vdc_device_log(FILE *log, uint64_t count, vdc_time now, const char *guest, const char *device, const char *fmt,
                    va_list ap);

#endif
