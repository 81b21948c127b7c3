/* PTX declarations (ptx_parse_decl.c): variables, registers, parameters. */
#ifndef VDC_DEVICES_HIGPU_PTX_PARSE_DECL_H
#define VDC_DEVICES_HIGPU_PTX_PARSE_DECL_H

#include "ptx/ptx_parse_internal.h"

/* `.align N` at the current token. */
bool ptx_parse_align(struct ptx_parser *p, uint32_t *align);
/* A .global/.const/.shared/.local declaration at the current token (the space directive), through ';'. */
bool ptx_parse_variable(struct ptx_parser *p, bool is_extern, int32_t function);
/* `.reg .type name<N>, name;` in the current function and scope. */
bool ptx_parse_registers(struct ptx_parser *p);
bool ptx_parse_param(struct ptx_parser *p, struct ptx_param *out, uint32_t *offset);

#endif
