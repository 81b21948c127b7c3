/* Command-line options as getopt_long reads them: -x VALUE, -xVALUE, --name VALUE and --name=VALUE. */
#include "vdc_guest.h"

int vdc_option(const char *word, char letter, const char *long_name, const char **inline_value)
{
    *inline_value = NULL;
    if (word[0] != '-' || word[1] == '\0')
        return 0;
    if (word[1] != '-') {
        if (word[1] != letter)
            return 0;
        *inline_value = word[2] != '\0' ? word + 2 : NULL;
        return 1;
    }
    if (long_name == NULL)
        return 0;
    const char *w = word + 2;
    for (const char *n = long_name; *n != '\0'; n++, w++)
        if (*w != *n)
            return 0;
    if (*w != '\0' && *w != '=')
        return 0;
    *inline_value = *w == '=' ? w + 1 : NULL;
    return 1;
}
