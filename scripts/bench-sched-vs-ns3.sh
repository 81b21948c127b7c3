#!/usr/bin/env bash
# The hold model on vdc's scheduler and on ns-3's HeapScheduler, alternating in one run, medians of each.
# Usage: scripts/bench-sched-vs-ns3.sh [BUILD_DIR] [PENDING] [EVENTS] [ROUNDS]   (needs scripts/deps.sh --bench)
set -euo pipefail
build=${1:-build}
pending=${2:-1000000}
events=${3:-10000000}
rounds=${4:-5}
if ! pkg-config --exists ns3-core; then
  echo "vdc: ns-3 is not installed; run scripts/deps.sh --bench (as root) first" >&2
  exit 2
fi
ns3=$build/ns3-hold
if [ ! -x "$ns3" ] || [ bench/ns3/hold.cc -nt "$ns3" ]; then
  # Debian's ns3-core.pc carries a stray -I/usr\; the headers are in /usr/include/ns3.
  g++ -O2 -std=c++17 -I/usr/include/libxml2 bench/ns3/hold.cc -o "$ns3" $(pkg-config --libs ns3-core)
fi
vdc_rates=()
ns3_rates=()
for ((i = 1; i <= rounds; i++)); do
  v=$("$build/vdc" bench sched --pending "$pending" --events "$events" --repeat 1 | awk '/^median/ {print $2}')
  n=$("$ns3" "$pending" "$events" | sed -E 's/.*: ([0-9.]+) M events\/s.*/\1/')
  echo "round $i: vdc $v M events/s, ns-3 HeapScheduler $n M events/s"
  vdc_rates+=("$v")
  ns3_rates+=("$n")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mv=$(median "${vdc_rates[@]}")
mn=$(median "${ns3_rates[@]}")
echo "median: vdc $mv M events/s, ns-3 HeapScheduler $mn M events/s, ratio $(awk -v a="$mv" -v b="$mn" 'BEGIN {printf "%.1f", a / b}')x"
