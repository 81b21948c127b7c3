# HPCC ns-3 experiments through --hpcc-config (sourced by check/cli/cli.sh). The expected FCTs were measured with HPCC ns-3
# itself (its optimized build, same inputs and parameters; docs/validation.md): the runs whose outcome no random
# ECN mark decides match it to the nanosecond, and HPCC's to within 2% per flow (same-nanosecond event order).

# hpcc_config DIR CC_MODE HAS_WIN TOPOLOGY FLOWS: a config file in HPCC's form for the corpus files.
hpcc_config() {
  cat >"$1/config.txt" <<CONFIG
ENABLE_QCN 1
PACKET_PAYLOAD_SIZE 1000
TOPOLOGY_FILE check/corpus/hpcc-config/$4
FLOW_FILE check/corpus/hpcc-config/$5
FCT_OUTPUT_FILE $1/fct.txt
PFC_OUTPUT_FILE $1/pfc.txt
SIMULATOR_STOP_TIME 4.00
CC_MODE $2 {1: DCQCN, 3: HPCC, 7: TIMELY, 8: DCTCP}
ALPHA_RESUME_INTERVAL 1
RATE_DECREASE_INTERVAL 4
RP_TIMER 900
EWMA_GAIN 0.00390625
FAST_RECOVERY_TIMES 1
RATE_AI 50Mb/s
RATE_HAI 100Mb/s
MIN_RATE 100Mb/s
L2_CHUNK_SIZE 4000
L2_ACK_INTERVAL 1
HAS_WIN $3
VAR_WIN 1
MI_THRESH 0
MULTI_RATE 0
KMAX_MAP 3 25000000000 400 50000000000 800 100000000000 1600
KMIN_MAP 3 25000000000 100 50000000000 200 100000000000 400
PMAX_MAP 3 25000000000 0.2 50000000000 0.2 100000000000 0.2
BUFFER_SIZE 32
CONFIG
}

# hpcc_case NAME CC_MODE HAS_WIN TOPOLOGY FLOWS TOLERANCE_PERCENT "FCT_NS..." (in flow-file order)
hpcc_case() {
  local name=$1 dir="$tmp/hpcc-$1"
  mkdir -p "$dir"
  hpcc_config "$dir" "$2" "$3" "$4" "$5"
  expect "hpcc-config-$name" 0 "" -- "$vdc" run --hpcc-config "$dir/config.txt"
  if sort -k1,1 "$dir/fct.txt" | awk -v want="$7" -v tol="$6" '
      BEGIN { n = split(want, w, " ") }
      { i++; got = $7; if (got < w[i] * (1 - tol / 100) || got > w[i] * (1 + tol / 100)) bad = 1 }
      END { exit bad || i != n }'; then
    passed=$((passed + 1))
  else
    echo "FAIL hpcc-config-$name: FCTs $(sort -k1,1 "$dir/fct.txt" | awk '{printf "%s ", $7}')expected $7 (within $6%)"
    failed=$((failed + 1))
  fi
}

hpcc_case pair-dcqcn 1 0 pair-topology.txt pair-flows.txt 0 "12391"
hpcc_case incast2-dcqcn 1 0 star2-topology.txt star2-flows.txt 0 "37208 37291"
hpcc_case incast4-timely 7 0 star4-topology.txt star4-flows.txt 0 "171840 171924 172008 172092"
hpcc_case incast4-dctcp 8 1 star4-topology.txt star4-flows.txt 0 "169842 169925 170008 170091"
hpcc_case incast4-hpcc 3 1 star4-topology.txt star4-flows.txt 2 "194241 187509 179906 170321"

# The same experiment twice: the same FCTs (and digest).
expect hpcc-config-again 0 "" -- "$vdc" run --hpcc-config "$tmp/hpcc-incast4-hpcc/config.txt" \
  --set output.fct_file="$tmp/hpcc-again-fct.txt"
if cmp -s "$tmp/hpcc-again-fct.txt" "$tmp/hpcc-incast4-hpcc/fct.txt"; then passed=$((passed + 1)); else
  echo "FAIL hpcc-config-again: a second run gave other FCTs"; failed=$((failed + 1)); fi

# The same experiment split across two and three threads (run.threads): the same bytes on stdout and in every output
# file as on one thread (HPCC's congestion control, PFC and queue-length logs, a queue monitor through the run).
for threads in 1 2 3; do
  expect "hpcc-config-threads-$threads" 0 "" -- "$vdc" run --hpcc-config "$tmp/hpcc-incast4-hpcc/config.txt" \
    --set run.threads=$threads --set output.fct_file="$tmp/threads-$threads-fct.txt" \
    --set output.pfc_file="$tmp/threads-$threads-pfc.txt" --set output.qlen_file="$tmp/threads-$threads-qlen.txt" \
    --set output.qlen_start=2s --set output.qlen_end=2.0002s
  cp "$tmp/out" "$tmp/threads-$threads-out.txt"
done
for threads in 2 3; do
  same=1
  for file in out fct pfc qlen; do
    cmp -s "$tmp/threads-1-$file.txt" "$tmp/threads-$threads-$file.txt" || same=0
  done
  if [ "$same" -eq 1 ] && [ -s "$tmp/threads-1-qlen.txt" ] && grep -q '^digest' "$tmp/threads-1-out.txt"; then
    passed=$((passed + 1))
  else
    echo "FAIL hpcc-config-threads-$threads: outputs differ from one thread's"; failed=$((failed + 1))
  fi
done

# HPCC's queue-length histograms, in its format.
expect hpcc-config-qlen 0 "" -- "$vdc" run --hpcc-config "$tmp/hpcc-incast4-hpcc/config.txt" \
  --set output.qlen_file="$tmp/qlen.txt" --set output.qlen_start=2s --set output.qlen_end=2.0001s
if head -1 "$tmp/qlen.txt" | grep -qx 'time: 2000000000' && sed -n 2p "$tmp/qlen.txt" | grep -qx '5 1 1' &&
  [ "$(wc -l <"$tmp/qlen.txt")" -eq 6 ]; then passed=$((passed + 1)); else
  echo "FAIL hpcc-config-qlen: $(head -3 "$tmp/qlen.txt" | tr '\n' '|')"; failed=$((failed + 1)); fi

# Bad configs: one line naming the file and line, exit 2.
printf 'CC_MODE 1\nHAS_WIN 1\nHAS_WINDOW 1\n' >"$tmp/bad-config.txt"
expect hpcc-config-unknown-key 2 "^vdc: $tmp/bad-config.txt:3: unknown key 'HAS_WINDOW'" \
  -- "$vdc" run --hpcc-config "$tmp/bad-config.txt"
sed 's/^CC_MODE .*/CC_MODE 10/' "$tmp/hpcc-pair-dcqcn/config.txt" >"$tmp/pint.txt"
expect hpcc-config-pint 2 "^vdc: $tmp/pint.txt:8: CC_MODE \"10\": .*HPCC-PINT \(10\) is not modelled$" \
  -- "$vdc" run --hpcc-config "$tmp/pint.txt"
sed 's/^KMIN_MAP 3 25000000000 100 50000000000 200 100000000000 400/KMIN_MAP 1 25000000000 100/; s/^KMAX_MAP .*/KMAX_MAP 1 25000000000 400/; s/^PMAX_MAP .*/PMAX_MAP 1 25000000000 0.2/' \
  "$tmp/hpcc-pair-dcqcn/config.txt" >"$tmp/no-rate.txt"
expect hpcc-config-rate-missing 2 "^vdc: link host0/switch2 runs at 100000000000 bit/s, which has no entry in fabric.ecn_by_rate" \
  -- "$vdc" run --hpcc-config "$tmp/no-rate.txt"
expect hpcc-config-with-scenario 2 "--hpcc-config is the whole experiment" \
  -- "$vdc" run scenarios/rack8.yaml --hpcc-config "$tmp/pint.txt"
expect hpcc-config-pcap 2 "the hpcc-ns3 model's frames carry HPCC ns-3's own headers" \
  -- "$vdc" run --hpcc-config "$tmp/hpcc-pair-dcqcn/config.txt" --out "$tmp/hpcc-pcap" --pcap
expect hpcc-config-roce-hpcc 2 "transport.cc hpcc needs transport.model: hpcc-ns3" \
  -- "$vdc" run scenarios/incast60.yaml --set transport.cc=hpcc

# HPCC's own mix/ files keep notes after the declared flows; read as HPCC reads them, with a note saying so.
{ cat check/corpus/hpcc-config/pair-flows.txt; printf '\nPlease order the flows in ascending start_time!\n'; } >"$tmp/noted-flows.txt"
sed "s|^FLOW_FILE .*|FLOW_FILE $tmp/noted-flows.txt|" "$tmp/hpcc-pair-dcqcn/config.txt" >"$tmp/noted.txt"
expect hpcc-config-trailing-notes 0 "^vdc: note: $tmp/noted-flows.txt:4: lines from here on, after the declared flows, are not read" \
  -- "$vdc" run --hpcc-config "$tmp/noted.txt"
expect hpcc-trailing-refused-by-roce 2 "noted-flows.txt:4: this is one flow more than the 1 declared on line 1" \
  -- "$vdc" run --topology hpcc:check/corpus/hpcc-config/pair-topology.txt --flows "hpcc:$tmp/noted-flows.txt"

# LINK_DOWN becomes a fault entry; with the queue monitor on too, both run (their entities must not collide).
sed 's|^BUFFER_SIZE 32$|BUFFER_SIZE 32\nLINK_DOWN 5 1 3\nQLEN_MON_FILE '"$tmp"'/down-qlen.txt\nQLEN_MON_START 2000000000\nQLEN_MON_END 2000001000|' \
  "$tmp/hpcc-incast2-dcqcn/config.txt" | sed "s|$tmp/hpcc-incast2-dcqcn/fct.txt|$tmp/down-fct.txt|" >"$tmp/down.txt"
expect hpcc-config-link-down 0 "" -- "$vdc" run --hpcc-config "$tmp/down.txt"
cp "$tmp/out" "$tmp/down-out.txt"
# A fault schedule touches every partition's routes: the run keeps to one thread and says why.
expect hpcc-config-link-down-threads 0 "^vdc: run.threads=2 not used: the run has entities other than the fabric's nodes" \
  -- "$vdc" run --hpcc-config "$tmp/down.txt" --set run.threads=2
if cmp -s "$tmp/out" "$tmp/down-out.txt"; then passed=$((passed + 1)); else
  echo "FAIL hpcc-config-link-down-threads: another outcome than on one thread"; failed=$((failed + 1)); fi
if grep -q '^faults     2 changes applied\|^faults     1 change applied' "$tmp/out" && [ -s "$tmp/down-qlen.txt" ] &&
  [ "$(wc -l <"$tmp/down-fct.txt")" -eq 1 ]; then passed=$((passed + 1)); else
  echo "FAIL hpcc-config-link-down: $(grep '^faults' "$tmp/out"), $(wc -l <"$tmp/down-fct.txt") flows done"; failed=$((failed + 1)); fi

# HPCC's INT codes only five link rates: another is refused with HPCC's congestion control.
sed 's/100Gbps/40Gbps/g' check/corpus/hpcc-config/pair-topology.txt >"$tmp/pair-40g.txt"
sed "s|^TOPOLOGY_FILE .*|TOPOLOGY_FILE $tmp/pair-40g.txt|; s|^KMAX_MAP .*|KMAX_MAP 1 40000000000 1600|; s|^KMIN_MAP .*|KMIN_MAP 1 40000000000 400|; s|^PMAX_MAP .*|PMAX_MAP 1 40000000000 0.2|" \
  "$tmp/hpcc-incast4-hpcc/config.txt" | sed "s|star4-flows.txt|pair-flows.txt|" >"$tmp/hpcc-40g.txt"
expect hpcc-config-int-rate 2 "runs at 40000000000 bit/s; HPCC's INT records only 25, 50, 100, 200 and 400 Gbps" \
  -- "$vdc" run --hpcc-config "$tmp/hpcc-40g.txt"
