#!/usr/bin/env bash
# make check: the plain build's tests and the sanitizer build's at once, one per core; the sanitizer half's output
# is held and printed after the plain half's. Exits non-zero when either half fails.
set -u
make=${MAKE:-make}
held=$(mktemp)
trap 'rm -f "$held"' EXIT
$make --no-print-directory asan >"$held" 2>&1 &
sanitized_pid=$!
$make --no-print-directory test
plain=$?
wait "$sanitized_pid"
sanitized=$?
echo "== the sanitizer build (ASan, UBSan): build and tests =="
cat "$held"
if [ "$plain" != 0 ] || [ "$sanitized" != 0 ]; then
  echo "make check: FAILED (plain build: exit $plain; sanitizer build: exit $sanitized)"
  exit 1
fi
echo "make check: both builds passed"
