/* The guest runtime's API: console output, the sim-control device, device discovery, strings. */
#ifndef VDC_GUEST_H
#define VDC_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The device tree the VMM placed in memory; programs query it with libfdt. */
const void *vdc_device_tree(void);

/* This guest's name, rank and node id (from /chosen), and its arguments (bootargs). */
const char *vdc_name(void);
uint32_t vdc_rank(void);
uint32_t vdc_node_id(void);
const char *vdc_bootargs(void);

/* Console: lines are stamped with virtual time and the guest's name by the VMM. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void vdc_console_write(const char *text, size_t len);

/* simctl: virtual time, waiting, compute annotations, randomness, exit. */
uint64_t vdc_clock_ns(void);
/* Sleeps until the deadline (absolute ns; 0 for none) or until a cause in the mask is raised; returns the causes. */
uint64_t vdc_wait(uint64_t deadline_ns, uint64_t cause_mask);
void vdc_compute_ns(uint64_t ns);
/* Sets n bytes at dst to c through simctl's FILL (one exit); false before the runtime has started. memset uses it
 * for VDC_FILL_MIN bytes and more, which on the emulated vCPU would otherwise take a store per eight bytes. */
#define VDC_FILL_MIN 65536
bool vdc_fill(void *dst, int c, size_t n);
/* memmove and memcmp of n bytes through simctl's COPY and COMPARE (one exit each), which memcpy, memmove and memcmp
 * use from VDC_FILL_MIN bytes up; false before the runtime has started. vdc_compare gives the offset of the first
 * byte that differs, or n. */
bool vdc_copy(void *dst, const void *src, size_t n);
bool vdc_compare(const void *a, const void *b, size_t n, size_t *differs_at);
uint64_t vdc_random(void);
__attribute__((noreturn)) void vdc_exit(int code);

/* The guest-physical address of the first device node compatible with `compatible`, or 0; its window size in *size. */
uint64_t vdc_find_device(const char *compatible, uint64_t *size);

/* Memory: a bump allocator over the RAM between the program's end and the bottom of the stack. Returns zeroed
 * memory aligned to `align` (a power of two), or NULL when it is used up; nothing is ever freed. Memory is
 * identity-mapped, so a pointer is also the guest-physical address a device is given. */
void *vdc_alloc(size_t size, size_t align);
size_t vdc_alloc_available(void);

/* The C library functions the runtime provides (string.c). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strcasecmp(const char *a, const char *b);
char *strchr(const char *s, int c);
unsigned long strtoul(const char *s, char **end, int base);

/* Whether `word` is the option -LETTER or --LONG_NAME (LETTER 0 or LONG_NAME NULL for none), as getopt_long reads
 * them (options.c); *inline_value is then the value the word itself carries (-xVALUE, --name=VALUE), else NULL. */
int vdc_option(const char *word, char letter, const char *long_name, const char **inline_value);

#endif
