/* What vdc's exit status means, the same for every command. */
#ifndef VDC_COMMON_EXIT_CODES_H
#define VDC_COMMON_EXIT_CODES_H

enum vdc_exit {
    VDC_EXIT_OK = 0,
    VDC_EXIT_SIM_FAILED = 1, /* the simulated system failed: a guest crashed, a scenario check failed */
    VDC_EXIT_BAD_INPUT = 2,  /* bad input or usage: nothing was simulated */
};

#endif
