#!/usr/bin/env bash
# Lists every distinct PTX opcode-with-modifiers in the committed kernels' .ptx files, with how often it occurs.
#
# Usage: scripts/ptx-inventory.sh [FILE.ptx...]   (default: the sm_90 files, guest/kernels/*.ptx; the sm80/ ones
# differ from them only in .target)
# Output: one "count<TAB>opcode.modifiers" line per form, most frequent first, then ties by name, so that the
# parser and executor authors see what nvcc emits for our kernels. A guard (@%p, @!%p) is not part of the form.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$#" -gt 0 ] || set -- guest/kernels/*.ptx
LC_ALL=C awk '
    { sub(/\/\/.*/, "") }                       # comments
    /^[ \t]*$/ { next }
    { line = $0; sub(/^[ \t]+/, "", line) }
    line ~ /^[.{}()]/ || line ~ /^\$?[A-Za-z0-9_$]+:/ { next }   # directives, braces, labels
    line !~ /;[ \t]*$/ { next }                 # only whole instructions
    {
        if (line ~ /^@/) sub(/^@!?%?[A-Za-z0-9_]+[ \t]+/, "", line)
        split(line, word, /[ \t;]+/)
        count[word[1]]++
    }
    END { for (op in count) printf "%d\t%s\n", count[op], op }
' "$@" | LC_ALL=C sort -t "$(printf '\t')" -k1,1nr -k2,2
