/* Big-endian (network byte order) stores and loads of 16, 24, 32 and 64 bits, for wire formats. */
#ifndef VDC_COMMON_BYTES_H
#define VDC_COMMON_BYTES_H

#include <stdint.h>

static inline void be_put16(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static inline void be_put24(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 16);
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)v;
}

static inline void be_put32(uint8_t *b, uint32_t v)
{
    be_put16(b, v >> 16);
    be_put16(b + 2, v);
}

static inline void be_put64(uint8_t *b, uint64_t v)
{
    be_put32(b, (uint32_t)(v >> 32));
    be_put32(b + 4, (uint32_t)v);
}

static inline uint16_t be_get16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t be_get24(const uint8_t *b)
{
    return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

static inline uint32_t be_get32(const uint8_t *b)
{
    return (uint32_t)be_get16(b) << 16 | be_get16(b + 2);
}

static inline uint64_t be_get64(const uint8_t *b)
{
    return (uint64_t)be_get32(b) << 32 | be_get32(b + 4);
}

#endif
