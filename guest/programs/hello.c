/* hello: prints its name, rank, virtual time, arguments and the devices it finds in the device tree, and what a
 * WAIT that ends at once costs. */
#include <libfdt.h>

#include "vdc_guest.h"

int main(void);
int main(void)
{
    printf("hello from %s, rank %u, node %u, at %llu ns\n", vdc_name(), vdc_rank(), vdc_node_id(),
           (unsigned long long)vdc_clock_ns());
    if (vdc_bootargs()[0] != '\0')
        printf("arguments: %s\n", vdc_bootargs());
    const void *fdt = vdc_device_tree();
    int node;
    fdt_for_each_subnode(node, fdt, 0)
    {
        const char *compatible = fdt_getprop(fdt, node, "compatible", NULL);
        if (compatible == NULL)
            continue;
        int len;
        const fdt64_t *reg = fdt_getprop(fdt, node, "reg", &len);
        if (reg != NULL && len >= 16)
            printf("device %s (%s) at 0x%llx, %llu bytes\n", fdt_get_name(fdt, node, NULL), compatible,
                   (unsigned long long)fdt64_ld(&reg[0]), (unsigned long long)fdt64_ld(&reg[1]));
    }
    vdc_compute_ns(1000);
    /* A WAIT whose deadline has passed ends at once, one exit like any other: the clock reads around it are two
     * exit costs apart, and the next one exit cost later. */
    uint64_t before = vdc_clock_ns();
    vdc_wait(1, 0);
    uint64_t after = vdc_clock_ns(), again = vdc_clock_ns();
    printf("a WAIT that ends at once: %llu ns from the clock read before it, then %llu ns to the next\n",
           (unsigned long long)(after - before), (unsigned long long)(again - after));
    printf("goodbye at %llu ns\n", (unsigned long long)vdc_clock_ns());
    return 0;
}
