/* A fill that leaves alone the bytes already holding its value when that value is zero: a fresh anonymous page
 * read but never written stays on the host's shared zero page, so zeros over zeros cost no page of memory; and a
 * large fill of another value shares one pattern's pages in the same way until they are written. */
#ifndef VDC_COMMON_FILL_H
#define VDC_COMMON_FILL_H

#include <stddef.h>
#include <stdint.h>

/* memset(p, value, n), except that a zero fill skips each 4 KiB piece (on the host's page boundaries) that is
 * already all zero, and does not even read a whole page the host has given no storage, and that a fill of another
 * value over 512 KiB or more maps its whole pages, copy-on-write, on a pattern file holding that value (fill.c).
 * The result is memset's for private anonymous memory (guest RAM, device pages), the only kind it may be given;
 * memory of the heap only in pieces smaller than that. */
void vdc_fill(uint8_t *p, uint8_t value, size_t n);

#endif
