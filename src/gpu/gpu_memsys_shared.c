/* Shared-memory bank conflicts: how many wavefronts (passes) one warp's access needs. */
#include "gpu/gpu_memsys_internal.h"

/* The passes one group of lanes needs: the most distinct 4-byte words any bank must deliver. Lanes on the same
 * word share it (broadcast). `words` 4-byte words from each lane's offset, for accesses wider than 4 bytes. */
static uint32_t group_wavefronts(const uint32_t *offsets, uint32_t mask, uint32_t words, uint32_t banks)
{
    if (mask == 0)
        return 0;
    /* The commonest case first: every word the lanes touch lies within `banks` consecutive words, so no bank is
     * asked for two different ones (a row of a tile, a broadcast, or both). */
    uint32_t low = UINT32_MAX, high = 0;
    for (uint32_t m = mask; m != 0; m &= m - 1) {
        uint32_t w = offsets[__builtin_ctz(m)] >> 2;
        low = w < low ? w : low;
        high = w > high ? w : high;
    }
    if (high - low + words <= banks)
        return 1;
    /* Then: no bank asked for two different words (lanes on one word are a broadcast). */
    uint64_t used = 0;
    uint32_t word_of[64];
    for (uint32_t m = mask; m != 0; m &= m - 1) {
        uint32_t w = offsets[__builtin_ctz(m)] >> 2;
        for (uint32_t k = 0; k < words; k++) {
            uint32_t b = (w + k) & (banks - 1);
            if (!(used >> b & 1)) {
                used |= 1ull << b;
                word_of[b] = w + k;
            } else if (word_of[b] != w + k) {
                goto conflict;
            }
        }
    }
    return 1;
conflict:;
    uint32_t most = 0;
    /* Some bank is asked more than once: count distinct words per bank. A repeated word has the same first bank,
     * so it is looked for only among the words seen there. */
    uint8_t distinct[64] = {0}, listed[64] = {0};
    uint32_t seen[64][32];
    most = 0;
    for (uint32_t m = mask; m != 0; m &= m - 1) {
        uint32_t w = offsets[__builtin_ctz(m)] >> 2, first = w & (banks - 1);
        bool repeat = false;
        for (uint32_t i = 0; i < listed[first] && !repeat; i++)
            repeat = seen[first][i] == w;
        if (repeat)
            continue;
        seen[first][listed[first]++] = w;
        for (uint32_t k = 0; k < words; k++) {
            uint32_t b = (w + k) & (banks - 1);
            if (++distinct[b] > most)
                most = distinct[b];
        }
    }
    return most;
}

uint32_t gpu_memsys_shared_wavefronts(struct gpu_memsys *m, const uint32_t *offsets, uint32_t mask, uint32_t bytes)
{
    uint32_t banks = m->p.shared_banks;
    uint32_t total;
    if (bytes <= 4) {
        total = group_wavefronts(offsets, mask, 1, banks);
    } else {
        /* 8 bytes: each half-warp is its own request; 16 bytes: each quarter-warp. */
        uint32_t words = bytes / 4, lanes = 32 / words;
        uint32_t group = lanes >= 32 ? UINT32_MAX : (1u << lanes) - 1;
        total = 0;
        for (uint32_t first = 0; first < 32; first += lanes)
            total += group_wavefronts(offsets, mask & (group << first), words, banks);
    }
    m->stats.shared_wavefronts += total;
    return total;
}
