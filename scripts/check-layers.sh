#!/usr/bin/env bash
# Checks the dependency rule of docs/architecture.md over every #include in src/: a part includes only itself and
# the parts listed for it below. Prints each include that breaks it and exits 1 if there is any.
set -u
cd "$(dirname "$0")/.."

# part: the parts it may include (besides itself). A part is a folder of src/ (devices/NAME for each device).
allowed() {
  case "$1" in
    common) echo "" ;;
    scheduler) echo "common" ;;
    report) echo "common scheduler" ;;
    ptx) echo "common" ;;
    gpu) echo "common ptx" ;;
    fabric) echo "common scheduler report" ;;
    kvm) echo "common scheduler" ;;
    devices) echo "common scheduler kvm" ;;
    devices/hinic) echo "common scheduler kvm fabric devices" ;;
    devices/higpu) echo "common scheduler kvm gpu ptx devices" ;;
    scenario) echo "common scheduler" ;;
    run) echo "common scheduler report ptx gpu fabric kvm devices devices/hinic devices/higpu scenario" ;;
    bench) echo "common scheduler report ptx gpu fabric kvm devices devices/hinic devices/higpu" ;;
    cli) echo "common scheduler report ptx gpu fabric kvm devices devices/hinic devices/higpu scenario run bench" ;;
    main.c) echo "cli common" ;;
    *) echo "?" ;;
  esac
}

# The part of a path under src/.
part_of() {
  local rel=${1#src/}
  case "$rel" in
    devices/*/*) echo "devices/$(echo "$rel" | cut -d/ -f2)" ;;
    */*) echo "${rel%%/*}" ;;
    *) echo "$rel" ;;
  esac
}

bad=0
while IFS= read -r file; do
  from=$(part_of "$file")
  may=$(allowed "$from")
  if [ "$may" = "?" ]; then
    echo "$file: part '$from' has no entry in scripts/check-layers.sh; add one (and to docs/architecture.md)"
    bad=1
    continue
  fi
  while IFS= read -r included; do
    target=$(realpath -m --relative-to=. "$(dirname "$file")/$included")
    case "$target" in src/*) ;; *) continue ;; esac
    to=$(part_of "$target")
    [ "$to" = "$from" ] && continue
    case " $may " in *" $to "*) continue ;; esac
    echo "$file includes $included: '$from' may not depend on '$to' (docs/architecture.md, \"Parts and their order\")"
    bad=1
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$file")
done < <(git ls-files 'src/*.c' 'src/*.h' 'src/*.S')
exit $bad
