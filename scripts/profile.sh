#!/usr/bin/env bash
# make profile: trains profile/ (gcc's counts for profile-guided optimization) on the workloads vdc is run for.
# Builds an instrumented vdc in the given folder, runs it on each training scenario (each run adds its counts to
# profile/*.gcda), then records the gcc that wrote them. docs/performance.md, "Profile-guided optimization".
set -euo pipefail
build=${1:-build-profile}
make=${MAKE:-make}
cd "$(dirname "$0")/.."

rm -f profile/*.gcda profile/gcc-version
mkdir -p profile
$make --no-print-directory BUILD="$build" PROFILE_GENERATE=1 "$build/vdc" guests
vdc="$build/vdc"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

train() {
  echo "profile: $*"
  "$vdc" "$@" >"$out/log" 2>&1 || { echo "profile: training run failed: $*" >&2; tail -5 "$out/log" >&2; exit 1; }
}

# Guests on the emulated vCPU, HiNIC and the packet fabric: perftest's sweep on the rack, two threads (the copier).
train run scenarios/rack8-perftest.yaml
train run scenarios/rack8-perftest.yaml --set "guests.args=send_lat -a -n 200" --set run.threads=1
# HiGPU, HiLink and HiCCL: all_reduce_perf with LL's small sizes and Simple's large ones, the largest past L2, on two
# threads.
train run scenarios/rack8-allreduce.yaml --set "guests.args=-b 4 -e 64M -f 8 -n 1 -w 0" --set guests.memory=320MiB
train run scenarios/gpu-kernels.yaml
# The packet fabric alone: a fat-tree under load (ECMP, PFC, ECN, DCQCN) and an incast.
train run scenarios/fat-tree-websearch.yaml --set workload.duration=1ms
train run scenarios/incast60.yaml
# The event queue's own benchmark (the hold model).
train bench sched --repeat 1

"${CC:-gcc}" -dumpfullversion >profile/gcc-version
echo "profile: $(ls profile/*.gcda | wc -l) profiles written for gcc $(cat profile/gcc-version)"
