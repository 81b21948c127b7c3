/* A fill that leaves alone the bytes already holding its value when that value is zero: a fresh anonymous page
 * read but never written stays on the host's shared zero page, so zeros over zeros cost no page of memory. */
#ifndef VDC_COMMON_FILL_H
#define VDC_COMMON_FILL_H

#include <stddef.h>
#include <stdint.h>

/* memset(p, value, n), except that a zero fill skips each 4 KiB piece (on the host's page boundaries) that is
 * already all zero, and does not even read a whole page the host has given no storage. The result is memset's for
 * private anonymous memory (guest RAM, device pages, the heap), the only kind it may be given. */
void vdc_fill(uint8_t *p, uint8_t value, size_t n);

#endif
