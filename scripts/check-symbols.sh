#!/usr/bin/env bash
# Checks the naming rule of docs/architecture.md ("Names"): every function or object a part of src/ exports carries
# its part's prefix. Reads the objects of a build folder (default build/); prints each symbol that breaks the rule
# and exits 1 if any does.
set -u
cd "$(dirname "$0")/.."
build=${1:-build}

prefixes_of() {   # part -> the prefixes its exported symbols may carry
  case "$1" in
    fabric) echo "fabric_" ;;
    hilink) echo "hilink_" ;;
    ptx) echo "ptx_" ;;
    gpu) echo "gpu_" ;;
    devices/hinic) echo "hinic_" ;;
    devices/higpu) echo "higpu_" ;;
    devices/hilink) echo "hilink_port_" ;;
    bench) echo "vdc_bench_" ;;
    *) echo "vdc_" ;;
  esac
}

status=0
for source in $(git ls-files 'src/*.c' 'src/*.S'); do
  [ "$source" = src/main.c ] && continue
  object="$build/obj/${source%.*}.o"
  if [ ! -f "$object" ]; then echo "$object: not built; run make first"; exit 1; fi
  path=${source#src/}
  part=${path%%/*}
  case "$path" in devices/*/*) part=$(echo "$path" | cut -d/ -f1-2) ;; esac
  prefix=$(prefixes_of "$part")
  # (sanitizer builds add their own __odr_asan.* records of each global)
  for symbol in $(nm -g --defined-only "$object" | awk '{print $3}' | grep -v '^__odr_asan'); do
    case "$symbol" in "$prefix"*) ;; *)
      echo "$source exports $symbol: a $part symbol starts with $prefix (docs/architecture.md, \"Names\")"
      status=1 ;;
    esac
  done
done
exit $status
