/* POSIX shell single-quoting. */
#include "common/shell_quote.h"

#include <string.h>

static void put(char *buf, size_t size, size_t *len, char c)
{
    if (*len + 1 < size)
        buf[*len] = c;
    (*len)++;
}

size_t vdc_shell_quote(char *buf, size_t size, const char *text)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:=+,@%";
    size_t len = 0;
    int plain = text[0] != '\0' && strspn(text, safe) == strlen(text);
    if (!plain)
        put(buf, size, &len, '\'');
    for (const char *p = text; *p; p++) {
        if (*p == '\'') {
            put(buf, size, &len, '\'');
            put(buf, size, &len, '\\');
            put(buf, size, &len, '\'');
        }
        put(buf, size, &len, *p);
    }
    if (!plain)
        put(buf, size, &len, '\'');
    if (size > 0)
        buf[len < size ? len : size - 1] = '\0';
    return len;
}
