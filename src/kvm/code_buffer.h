/* The emulator's buffers of translated code on small host pages. */
#ifndef VDC_KVM_CODE_BUFFER_H
#define VDC_KVM_CODE_BUFFER_H

/* Unicorn 2.0 maps 1 GiB for each engine's translated code and advises it for transparent huge pages, so the code
 * it writes first (its prologue, when the engine is made) costs a fresh huge page, which a machine that reports its
 * free memory to its host backs at about 100 MB/s: about a tenth of rack8-perftest's run, eight engines
 * (docs/performance.md). A guest's translated code is a few MiB: small pages cost it nothing measurable.
 *
 * Between these two calls the process takes no transparent huge page (the caller makes an engine there); the end
 * advises every anonymous mapping that is readable, writable and executable (the engines' code buffers: nothing
 * else here is) to keep small pages from then on. Both do nothing where the kernel refuses. */
int vdc_code_buffers_begin(void);
void vdc_code_buffers_end(int begun);

#endif
