/* Quoting for reproduction commands: the printed command must paste back into a shell unchanged. */
#ifndef VDC_COMMON_SHELL_QUOTE_H
#define VDC_COMMON_SHELL_QUOTE_H

#include <stddef.h>

/* Writes `text` as one shell word: as it is when it holds only safe characters, else in single quotes
 * (a quote inside becomes '\''). Returns the length it needed, like snprintf. */
size_t vdc_shell_quote(char *buf, size_t size, const char *text);

#endif
