/* Usage errors and option values shared by the subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/exit_codes.h"
#include "cli/commands.h"

int vdc_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vdc%s%s: ", command ? " " : "", command ? command : "");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "; see 'vdc help%s%s'\n", command ? " " : "", command ? command : "");
    return VDC_EXIT_BAD_INPUT;
}

int vdc_option_count(const char *command, const char *option, const char *text, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (text[0] < '0' || text[0] > '9')
        return vdc_usage_error(command, "%s '%s' is not a whole number", option, text);
    unsigned long long value = strtoull(text, &end, 10);
    if (errno == ERANGE)
        return vdc_usage_error(command, "%s '%s' is too large", option, text);
    if (*end != '\0')
        return vdc_usage_error(command, "%s '%s' is not a whole number", option, text);
    *out = value;
    return VDC_EXIT_OK;
}

const char *vdc_bad_option(char **argv, int optind)
{
    static char short_option[3];
    if (optopt != 0) {
        short_option[0] = '-';
        short_option[1] = (char)optopt;
        return short_option;
    }
    return argv[optind - 1];
}
