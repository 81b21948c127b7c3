/* The HiLink suite's parts in other files of check/hilink. */
#ifndef VDC_CHECK_HILINK_H
#define VDC_CHECK_HILINK_H

#include <check.h>

TCase *hilink_params_tcase(void);

#endif
