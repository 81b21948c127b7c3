/* The subcommands of the vdc binary; each returns an exit code (enum vdc_exit). */
#ifndef VDC_CLI_COMMANDS_H
#define VDC_CLI_COMMANDS_H

#include <stdio.h>

int vdc_cmd_run(int argc, char **argv);
int vdc_cmd_bench(int argc, char **argv);
int vdc_cmd_help(int argc, char **argv);
int vdc_cmd_boot(int argc, char **argv);
int vdc_cmd_ptx(int argc, char **argv);
/* The usage text of 'vdc ptx run' (also 'vdc help ptx'). */
void vdc_ptx_usage(FILE *out);

/* Prints a usage error as one line with the command's help pointer; returns VDC_EXIT_BAD_INPUT. */
int vdc_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses a whole non-negative decimal number for an option; false with a message if it is not one. */
int vdc_option_count(const char *command, const char *option, const char *text, unsigned long long *out);

/* The option getopt_long just refused: "-x" for a short one (possibly bundled), else the argument itself. */
const char *vdc_bad_option(char **argv, int optind);

#define VDC_VERSION "0.1.0"

#endif
