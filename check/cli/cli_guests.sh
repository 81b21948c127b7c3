# Guest tests of check/cli/cli.sh (sourced by it: uses its expect, $vdc, $guests, $tmp and counters). Every guest
# runs on the vCPU `auto` picks: the emulator on a machine without KVM. Where /dev/kvm is usable, each pinned run
# is repeated on KVM and must print the same bytes on stdout, but for the summary's `vcpu` line.

kvm_usable() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
# A KVM that traps what the guest contract needs at CPL3 (rdtsc, rdrand, cpuid, xgetbv, int3, int 0x80, syscall):
# not PVM, which runs guest code on the host's CPU without those traps (docs/guest-abi.md, "vCPU backends").
kvm_keeps_contract() { kvm_usable && [ ! -e /sys/module/kvm_pvm ]; }

fail() { echo "FAIL $*"; failed=$((failed + 1)); }
pass() { passed=$((passed + 1)); }

# pin_run NAME CODE DIGEST ARGS...: `vdc run ARGS` on one thread exits with CODE and prints DIGEST (a change to the
# model shows here), and the same bytes on a second run on two threads (unless ONCE=1: for the long runs, whose one
# run is then on two threads, the pin having been taken on one; nor under the sanitizers, VDC_SANITIZED=1, whose run
# checks memory) and on KVM.
pin_run() {
  local name=$1 code=$2 digest=$3
  shift 3
  local threads=1
  [ "${ONCE:-0}" = 1 ] && [ "${VDC_SANITIZED:-0}" != 1 ] && threads=2
  "$vdc" run "$@" --set run.threads=$threads >"$tmp/pin1" 2>"$tmp/pin1.err"
  local got=$?
  local printed
  printed=$(awk '$1 == "digest" {print $2}' "$tmp/pin1")
  if [ "$got" -ne "$code" ]; then
    fail "$name: exit $got, expected $code: $(head -c 300 "$tmp/pin1.err")"
  elif [ "$printed" != "$digest" ]; then
    fail "$name: digest $printed, pinned $digest (the model changed: update the pin if that was meant)"
  else
    pass
  fi
  if [ "${ONCE:-0}" != 1 ] && [ "${VDC_SANITIZED:-0}" != 1 ]; then
    # The second run on two threads (GPUs' kernel windows and guests' runs of one time at once).
    "$vdc" run "$@" --set run.threads=2 >"$tmp/pin2" 2>/dev/null
    if cmp -s "$tmp/pin1" "$tmp/pin2"; then pass; else fail "$name: two runs (one and two threads) print different bytes"; fi
  fi
  cp "$tmp/pin1" "$tmp/out"
  case "$*" in *guests.vcpu=emulated*) return 0 ;; esac # an emulator-only run: no KVM side
  if kvm_usable; then
    "$vdc" run "$@" --set guests.vcpu=kvm >"$tmp/pin3" 2>/dev/null
    if diff <(grep -v '^vcpu ' "$tmp/pin1") <(grep -v '^vcpu ' "$tmp/pin3") >/dev/null; then
      pass
    else
      fail "$name: KVM and the emulator print different bytes"
    fi
  fi
}

# has NAME LINE: the last pinned run printed LINE exactly (a whole line).
# The last pinned run ($tmp/out) prints the same bytes, digest included, with `--set gpu.window=W` for each W
# given: the window changes how many steps a kernel takes, not what is simulated. Usage: same_with_windows NAME
# "W1 W2 ..." RUN-ARGUMENTS...
same_with_windows() {
  local name=$1 windows=$2 window
  shift 2
  [ "${VDC_SANITIZED:-0}" = 1 ] && return 0 # the model's equivalences: the plain build's run checks them
  cp "$tmp/out" "$tmp/window-default"
  for window in $windows; do
    "$vdc" run "$@" --set gpu.window=$window >"$tmp/window" 2>/dev/null
    if diff <(grep -v '^simulated ' "$tmp/window-default") <(grep -v '^simulated ' "$tmp/window") >/dev/null; then
      pass
    else
      fail "gpu.window=$window: $name prints other bytes than with the default window"
    fi
  done
}

has() {
  if grep -Fxq -- "$2" "$tmp/out"; then pass; else fail "$1: no line '$2'"; fi
}

guest_pins() {
  pin_run pin-hello 0 3490cc8f7c3ffaea scenarios/hello.yaml
  has pin-hello "guests     8 of 8 exited with 0"
  has pin-hello "[   0.000013000] blade7: goodbye at 12000 ns"
  pin_run pin-exit3 1 f08afe73b5dd24c7 scenarios/exit3.yaml
  has pin-exit3 "guest      blade0 exited with 3"
  pin_run pin-fault-page 1 987bd5779164d8a2 scenarios/fault-page.yaml
  has pin-fault-page "guest      blade0 faulted: #PF page fault (vector 14, error code 0x7) at rip 0x40103e, address 0x10, rsp 0x3feefe0, rax 0x10, rdx 0x18000003feeb20"
  pin_run pin-fault-ud 1 40718f2238afaf59 scenarios/fault-ud.yaml
  has pin-fault-ud "guest      blade0 faulted: #UD invalid opcode (vector 6, error code 0x0) at rip 0x401030, rsp 0x3feeff0, rax 0xe, rdx 0xe000003feeb30"
  pin_run pin-fault-divide 1 d36b64608e4aaf99 scenarios/fault-divide.yaml
  has pin-fault-divide "guest      blade0 faulted: #DE divide error (vector 0, error code 0x0) at rip 0x401047, rsp 0x3feeff8, rax 0xa, rdx 0x0"
  pin_run pin-fault-mmio 1 a216d69a8114b07f scenarios/fault-mmio.yaml
  has pin-fault-mmio "guest      blade0 faulted: write of 8 bytes at 0xc0100000 reaches no device (rip 0x40103c, after the store)"
  ONCE=1 pin_run pin-rack8 0 5a9ba443dfed9ee5 scenarios/rack8.yaml
  has pin-rack8 "guests     8 of 8 exited with 0"
  pin_run pin-gpu-smi 0 23675b994edd1f99 scenarios/gpu-smi.yaml
  has pin-gpu-smi "guests     2 of 2 exited with 0"
  "$vdc" run scenarios/gpu-smi.yaml --out "$tmp/gpu-smi-out" >/dev/null 2>&1
  if grep -q '{"guest": "blade1", "device": "higpu", "commands": 1, ' "$tmp/gpu-smi-out/summary.json"; then pass; else
    fail "gpu-smi summary.json: no devices member with blade1's HiGPU"; fi
  # The GPU times docs/higpu.md lists.
  pin_run pin-gpu-kernels 0 addea6a9a8c6ea22 scenarios/gpu-kernels.yaml
  has pin-gpu-kernels "[   0.000063497] blade1: vector_add: results equal the CPU's      OK  GPU time 5.770 us"
  has pin-gpu-kernels "[   0.000107933] blade1: reduce_sum_f32: results equal the CPU's  OK  GPU time 7.841 us"
  has pin-gpu-kernels "[   0.000141773] blade1: reduce_sum_u32: results equal the CPU's  OK  GPU time 6.893 us"
  has pin-gpu-kernels "[   0.000180092] blade1: gemm_tiled: results equal the CPU's      OK  GPU time 6.833 us"
  has pin-gpu-kernels "[   0.000217455] blade1: softmax_rows: results equal the CPU's    OK  GPU time 6.905 us"
  has pin-gpu-kernels "[   0.000254832] blade1: histogram256: results equal the CPU's    OK  GPU time 8.593 us"
  has pin-gpu-kernels "[   0.000306900] blade1: scan: results equal the CPU's            OK  GPU time 15.348 us"
  # Each device's counters reach the summary (and summary.json).
  has pin-gpu-kernels "higpu      blade1: 96 commands (0 in error), 9 kernels, 0 faults; busy 147.600479 us (kernels 41.179794 us, copies 46.00673 us), 2282148 bytes copied; 0 guest errors"
  # Kernels run window by window in virtual time; the window changes how many steps, not what is simulated: the
  # same bytes (digest included) for windows of 1 ns, 40 ns and the 150 ns lookahead (HiLink's link latency), and
  # one past it refused.
  same_with_windows gpu-kernels "1ns 40ns 150ns" scenarios/gpu-kernels.yaml
  expect gpu-window-past-lookahead 2 "gpu.window 300 ns is longer than the lookahead, gpu.pcie_latency 250 ns" \
    -- "$vdc" run scenarios/gpu-kernels.yaml --set gpu.window=300ns --set hilink.enabled=false
  expect gpu-window-past-hilink-lookahead 2 "gpu.window 200 ns is longer than the lookahead, hilink.link_latency 150 ns" \
    -- "$vdc" run scenarios/gpu-kernels.yaml --set gpu.window=200ns
  # HiLink (docs/hilink.md): GPU 0 copies 4 MiB into GPU 1 and a kernel of its stores a flag there, which GPU 1's
  # kernel polls; every byte arrives. Without the fabric the program says so.
  pin_run pin-gpu-peers 0 8773cb7547295662 scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers
  has pin-gpu-peers "[   0.000120021] blade0: copy to GPU 1 over HiLink: 4194304 bytes in 13.924 us, 301.207 GB/s"
  has pin-gpu-peers "[   0.000211056] blade1: bytes from GPU 0: 0 of 4194304 wrong"
  # membar.sys after a peer store waits for it to land: 501.6 ns of HiLink (993.2 cycles) and the clock reads.
  has pin-gpu-peers "[   0.000133323] blade0: flag stored into GPU 1's memory; the fence after it waited until it landed: 996 cycles"
  # Two GPUs whose kernels see each other's stores: the same bytes, digest included, whatever the window.
  same_with_windows gpu-peers "7ns 60ns" scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers
  # Loads and atomics at a peer (peer_access): every word and every ticket right, the reds all landed; one load's
  # round trip is its closed form (docs/hilink.md): 501.28 ns there, the L2's 237 cycles, 501.6 ns back, and the
  # clock reads around it. The same bytes whatever the window.
  pin_run pin-gpu-peers-access 0 2ee6ac37003c68da scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers \
    --set guests.args=access
  has pin-gpu-peers-access "[   0.000067928] blade0: one 4-byte load from GPU 1's memory: 2226 cycles"
  has pin-gpu-peers-access "[   0.000071750] blade0: words loaded from GPU 1: 0 of 1024 wrong"
  has pin-gpu-peers-access "[   0.000075572] blade0: tickets from GPU 1's counter: 0 of 1024 not unique"
  has pin-gpu-peers-access "[   0.000086554] blade1: counters after GPU 0's atomics: 1024 tickets taken, 2048 added by red (expected 1024 and 2048)"
  same_with_windows "gpu-peers access" 13ns scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers \
    --set guests.args=access
  "$vdc" run scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers --set hilink.enabled=false >"$tmp/out" 2>&1
  if grep -q "blade0: gpu-peers: GPU 0 is on no HiLink fabric with a peer" "$tmp/out"; then pass; else
    fail "gpu-peers without HiLink: no message"; fi
  # What the device refuses: a copy to a GPU that is not on the fabric, a kernel's store into a peer whose access
  # was never enabled (a GPU fault naming the peer, the thread and the PTX line).
  pin_run pin-gpu-peers-refusals 0 dcfac6891fee82fc scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers \
    --set guests.args=refusals
  has pin-gpu-peers-refusals "[   0.000026794] blade0: copy to GPU 5: no such peer: tag 6: no peer GPU 5 on GPU 0's HiLink fabric (places 0 to 1, its own 0)"
  has pin-gpu-peers-refusals "[   0.000034296] blade0: store into GPU 1 without peer access: GPU fault: tag 7: kernel set_flag faulted in block (0,0,0) thread (0,0,0) at address 0x20000000000: peer store of 4 bytes to GPU 1: peer access not enabled (PTX line 66)"
  # A kernel waiting for a flag nobody sets ends at gpu.kernel_timeout with an error completion (exit 1: the guest
  # reports it and fails), instead of running for ever.
  pin_run pin-gpu-peers-stranded 1 883cad9568b0afe0 scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers \
    --set guests.args=stranded --set gpu.kernel_timeout=20us
  has pin-gpu-peers-stranded "[   0.000053300] blade1: gpu-peers: wait_flag: tag 7: kernel wait_flag ran past "\
"gpu.kernel_timeout (20 us) and was stopped after 39608 cycles: does it wait for a flag nobody sets, or loop for "\
"ever? (a longer kernel: raise gpu.kernel_timeout)"
  # IPC handles over the mailbox (docs/hilink.md): GPU 1 exports a buffer, mails the handle; GPU 0 opens it, copies
  # into it and pulls the bytes back (read requests); after the free, that handle and one never exported are
  # refused with their GPU and handle.
  pin_run pin-gpu-peers-ipc 0 645ac65a97f967b7 scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers \
    --set guests.args=ipc
  has pin-gpu-peers-ipc "[   0.000040561] blade0: handle 0x0100000000000001 from GPU 1 (64 bytes of mail) opens 0x20000700100, 65536 bytes"
  has pin-gpu-peers-ipc "[   0.000066064] blade0: copied back from GPU 1: 0 of 65536 bytes wrong"
  has pin-gpu-peers-ipc "[   0.000077206] blade1: GPU 0 says it is done: 0 of 65536 bytes wrong; freeing the buffer"
  has pin-gpu-peers-ipc "[   0.000088466] blade0: the same handle after GPU 1 freed the buffer: bad handle: tag 18: handle 0x0100000000000001 was never exported by GPU 1, or its memory was freed"
  has pin-gpu-peers-ipc "[   0.000092971] blade0: a handle never exported: bad handle: tag 19: handle 0x0100000000000002 was never exported by GPU 1, or its memory was freed"
  # A HiLink port that goes down (faults.schedule): GPU 0's copy to GPU 1 makes no progress and ends at
  # gpu.peer_timeout with an error completion, GPU 1's kernel waiting for the flag at gpu.kernel_timeout; both guests
  # fail (exit 1) and the run's records keep everything up to then.
  pin_run pin-hilink-down 1 d1eca1679bc933f4 scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-peers \
    --set 'faults.schedule=5us hilink-down blade1' --set gpu.kernel_timeout=60us --set gpu.peer_timeout=20us
  has pin-hilink-down "[   0.000128282] blade0: gpu-peers: copy to GPU 1: tag 9: copy to GPU 1 made no progress for gpu.peer_timeout (20 us): its packets cannot leave (is a HiLink port down?); 3899392 bytes were not sent"
  has pin-hilink-down "guests     0 of 2 exited with 0"
  expect hilink-fault-no-gpu 2 "entry 1 \('5us hilink-down blade9'\): 'blade9' is no guest's GPU on HiLink; expected blade0 to blade1" \
    -- "$vdc" run scenarios/gpu-kernels.yaml --set 'faults.schedule=5us hilink-down blade9'
  expect hilink-fault-no-fabric 2 "there is no HiLink fabric" \
    -- "$vdc" run scenarios/gpu-kernels.yaml --set hilink.enabled=false --set 'faults.schedule=5us hilink-up blade1'
  # Streams (docs/higpu.md): a kernel and a host copy on two streams overlap (the pair takes the longer one and the
  # commands around it: 11.1 us for 5.916 and 10.6 us); a copy of the kernel's output queued beside it reads it
  # before the kernel wrote it, and after waiting for the kernel's event reads all of it. Window-independent.
  pin_run pin-gpu-streams 0 d5937e96855661c9 scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-streams
  has pin-gpu-streams "[   0.000091891] blade0: kernel and copy on two streams: 11.100 us"
  has pin-gpu-streams "[   0.000092891] blade0: overlap: yes (67% of the sum, 104% of the longer)"
  has pin-gpu-streams "[   0.000103309] blade0: copy queued beside the kernel, no event: 0 of 16896 values written when it read them"
  has pin-gpu-streams "[   0.000116671] blade0: copy after waiting for the kernel's event: 16896 of 16896 values written when it read them"
  same_with_windows gpu-streams 9ns scenarios/gpu-kernels.yaml --set guests.program=guest:gpu-streams
  # HiCCL (docs/hiccl.md): all_reduce_perf on the rack's 8 GPUs, a ring over HiLink; every element of every rank's
  # result right, nccl-tests' table and closing lines.
  pin_run pin-rack8-allreduce 0 a6a7704435baa420 scenarios/rack8-allreduce.yaml \
    --set "guests.args=-b 8 -e 32K -f 64 -n 1 -w 0"
  has pin-rack8-allreduce "[   0.000405925] blade0:            8             2     float     sum      -1    14.80    0.00    0.00      0    14.43    0.00    0.00      0"
  has pin-rack8-allreduce "[   0.000832183] blade0:        32768          8192     float     sum      -1    17.02    1.93    3.37      0    16.87    1.94    3.40      0"
  has pin-rack8-allreduce "[   0.000833183] blade0: # Out of bounds values : 0 OK"
  # Every collective, type and operation, at sizes that are no powers of two, with each protocol (the cost model
  # picks LL at these sizes; NCCL_PROTO=Simple forces the other) and, for AllReduce, each algorithm (NCCL_ALGO=Tree
  # the chain; the cost model picks the ring inside a rack), the cases taking rings of 2, 3 and 5 GPUs in
  # turn (all of them on all three were run by hand; this keeps make check within its time): nothing wrong (the
  # model's results: the plain build's run checks them). Two cases run at a time (make check's machine has two
  # cores); their outputs are checked in order once all have ended.
  local turn=0 what=() ranks_of=()
  [ "${VDC_SANITIZED:-0}" = 1 ] ||
  for case in "all_reduce int8 sum LL" "all_reduce uint8 prod Simple" "all_reduce int32 min LL" \
    "all_reduce uint64 max Simple" "all_reduce float avg LL" "all_reduce double sum Simple" \
    "reduce_scatter int64 sum LL" "reduce_scatter float max Simple" "all_gather uint32 sum Simple" \
    "all_gather double sum LL" "broadcast int8 sum Simple" "broadcast float sum LL" "reduce uint8 prod LL" \
    "reduce float avg Simple" "alltoall int8 sum -" "alltoall double sum -" "sendrecv uint8 sum -" \
    "sendrecv half sum -" "all_reduce half avg Simple" "all_reduce bfloat16 prod LL" "reduce_scatter half max LL" \
    "all_reduce int32 sum LL Tree" "all_reduce bfloat16 avg Simple Tree" "all_reduce uint8 max LL Tree"; do
    set -- $case
    ranks=$((2 + turn % 3 + (turn % 3 == 2)))  # 2, 3, 5, 2, ...
    what[turn]="$1_perf on $ranks GPUs, $2 $3 $4 ${5:-Ring}"
    ranks_of[turn]=$ranks
    "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=$ranks --set guests.program=guest:$1_perf \
      --set "guests.args=-b 1000 -e 50000 -i 24503 -n 1 -w 0 -d $2 -o $3 -r $((ranks - 1)) NCCL_PROTO=${4/-/LL} NCCL_ALGO=${5:-Ring}" \
      >"$tmp/case$turn" 2>&1 &
    turn=$((turn + 1))
    [ $((turn % 2)) = 1 ] || wait
  done
  wait
  for ((i = 0; i < turn; i++)); do
    if grep -q "# Out of bounds values : 0 OK" "$tmp/case$i" && grep -q "guests     ${ranks_of[i]} of ${ranks_of[i]} exited with 0" "$tmp/case$i"
    then pass; else
      fail "${what[i]}: $(grep -E 'Out of bounds|_perf:' "$tmp/case$i" | head -2)"; fi
  done
  # hicclCommSplit: the even and the odd places of 5 GPUs in two communicators ranked in reverse, each all-reducing
  # on its chain (NCCL_ALGO=Tree) with Simple; then the last place alone, the others without a color.
  pin_run pin-hiccl-split 0 bafca52b56c7695e scenarios/rack8-allreduce.yaml --set guests.count=5 \
    --set guests.program=guest:hiccl-split --set "guests.args=NCCL_ALGO=Tree NCCL_PROTO=Simple"
  has pin-hiccl-split "[   0.000397579] blade1: hiccl-split: place 1: odd places, rank 1 of 2: AllReduce of 4099 int32: 0 wrong"
  has pin-hiccl-split "[   0.000418816] blade0: hiccl-split: place 0: even places, rank 2 of 3: AllReduce of 4099 int32: 0 wrong"
  has pin-hiccl-split "[   0.000565965] blade4: hiccl-split: place 4: alone: AllReduce: 0 wrong"
  # HiLink domains (hilink.domain_gpus, docs/hilink.md): four guests in two NVLink domains of two GPUs. Each domain's
  # ranks are its places, so each runs an all_reduce_perf of its own; a fault on blade3 takes down domain 1's place
  # 1, whose all-reduce waits for it, while domain 0 finishes.
  ONCE=1 pin_run pin-hilink-domains 0 7194316265a8e5b4 scenarios/rack8-allreduce.yaml --set guests.count=4 \
    --set hilink.domain_gpus=2 --set "guests.args=-b 8 -e 1K -f 32 -n 1 -w 0"
  has pin-hilink-domains "[   0.000182319] blade2: #  Rank  1 Group  0 Pid      1 on      blade3 device  0 [0000:02:00] HiGPU h100"
  has pin-hilink-domains "[   0.000365098] blade2:          256            64     float     sum      -1     7.74    0.03    0.03      0     7.59    0.03    0.03      0"
  if [ "${VDC_SANITIZED:-0}" != 1 ]; then
    "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=4 --set hilink.domain_gpus=2 \
      --set "guests.args=-b 8 -e 8 -n 1 -w 0" --set "faults.schedule=0 hilink-down blade3" >"$tmp/out" 2>&1
    if [ $? = 1 ] && grep -q "guests     2 of 4 exited with 0" "$tmp/out" && grep -q "guest      blade3 did not finish" "$tmp/out"
    then pass; else fail "hilink-down blade3 in domain 1: not its domain's hang: $(grep guest "$tmp/out")"; fi
  fi
  # The check finds what a link lets through: one bit flipped in a packet blade3's GPU receives during the in-place
  # check's AllReduce of 64 KiB (LL) is one wrong element, on every rank, in that column only; the run exits 1.
  pin_run pin-hilink-corrupt 1 966affb1b1ffd682 scenarios/rack8-allreduce.yaml \
    --set "guests.args=-b 64K -e 64K -n 1 -w 0" --set "faults.schedule=384us hilink-corrupt blade3"
  has pin-hilink-corrupt "[   0.000439771] blade0:        65536         16384     float     sum      -1    17.24    3.80    6.65      0    17.18    3.81    6.68      8"
  has pin-hilink-corrupt "[   0.000440771] blade0: # Out of bounds values : 8 FAILED"
  # Two racks (docs/hiccl.md, "Across racks"): all_reduce_perf on 16 GPUs, every element checked. On the ring
  # (NCCL_ALGO=Ring), each channel's ring crossing between the racks' HiLink domains through its own blades' NICs,
  # GPU memory to GPU memory: 4 KiB with LL and 1 MiB with Simple (the cost model's choices), so each proxy forwards
  # both protocols' steps in launch order. On the tree (the cost model's choice for AllReduce across two racks),
  # the chains' heads joined through their NICs, the root's head reducing two children's data: the same sizes.
  # Then ReduceScatter with Simple (a ring's steps) and Broadcast with LL (a rooted one), each proxy forwarding the
  # steps its collective's plan lists (their figures reduced by one-element AllReduces on the tree, on the same
  # connections). In the plain build only, to keep make check within its time: under the sanitizers vdc's side of
  # it (HiNIC's DMA into GPU memory, HiLink domains) runs in the gpudirect and hilink-domains cases above.
  if [ "${VDC_SANITIZED:-0}" != 1 ]; then
    ONCE=1 pin_run pin-two-rack 0 6b53e6299e616985 scenarios/two-rack-allreduce.yaml \
      --set "guests.args=-b 4K -e 1M -f 256 -n 1 -w 0 NCCL_ALGO=Ring"
    has pin-two-rack "guests     16 of 16 exited with 0"
    has pin-two-rack "[   0.003110344] blade0:         4096          1024     float     sum      -1    112.6    0.04    0.07      0    112.3    0.04    0.07      0"
    has pin-two-rack "[   0.004233157] blade0:      1048576        262144     float     sum      -1    123.9    8.46   15.87      0    121.0    8.66   16.25      0"
    ONCE=1 pin_run pin-two-rack-tree 0 1e5eebe69b43945b scenarios/two-rack-allreduce.yaml \
      --set "guests.args=-b 4K -e 1M -f 256 -n 1 -w 0"
    has pin-two-rack-tree "[   0.002655331] blade0:         4096          1024     float     sum      -1    44.31    0.09    0.17      0    45.00    0.09    0.17      0"
    has pin-two-rack-tree "[   0.003484979] blade0:      1048576        262144     float     sum      -1    82.46   12.72   23.84      0    76.61   13.69   25.66      0"
    ONCE=1 pin_run pin-two-rack-rs 0 4fd045d7a5a34dc0 scenarios/two-rack-allreduce.yaml \
      --set guests.program=guest:reduce_scatter_perf --set "guests.args=-b 64K -e 64K -n 1 -w 0 NCCL_PROTO=Simple"
    has pin-two-rack-rs "[   0.002839648] blade0:        65536         16384     float     sum      -1    61.75    1.06    0.99      0    61.56    1.06    1.00      0"
    ONCE=1 pin_run pin-two-rack-bcast 0 d9f610e22269d8da scenarios/two-rack-allreduce.yaml \
      --set guests.program=guest:broadcast_perf --set "guests.args=-b 64K -e 64K -n 1 -w 0 NCCL_PROTO=LL"
    has pin-two-rack-bcast "guests     16 of 16 exited with 0"
    # Three domains of two GPUs: each channel's ring enters every domain at place c mod 2, the QP details relayed
    # round all three boundaries; AllGather's chunks are the ranks at the ring's positions (LL, the cost model's
    # choice).
    ONCE=1 pin_run pin-three-domains 0 96d41a936ae0e804 scenarios/two-rack-allreduce.yaml --set guests.count=6 \
      --set hilink.domain_gpus=2 --set guests.program=guest:all_gather_perf \
      --set "guests.args=-b 17000 -e 17000 -n 1 -w 0 -d int32"
    has pin-three-domains "[   0.001114942] blade0:        16992          4248     int32    none      -1    34.49    0.49    0.41      0    37.38    0.45    0.38      0"
    # AlltoAll across the racks: each rank's Send/Recv with the other rack's eight ranks goes through its proxy
    # (a QP and a stand-in per peer), with its own rack's over HiLink, in one group. (With twelve QPs per NIC this
    # run found HiNIC's round-robin pass skipping a ready QP after removing an idle one, which left it unsent.)
    ONCE=1 pin_run pin-two-rack-alltoall 0 7d14fd995c26a77b scenarios/two-rack-allreduce.yaml \
      --set guests.program=guest:alltoall_perf --set "guests.args=-b 99968 -e 99968 -n 1 -w 0"
    has pin-two-rack-alltoall "[   0.002671873] blade0:        99968         24992     float    none      -1    29.22    3.42    3.21      0    32.05    3.12    2.92      0"
    # AlltoAll across four domains of two GPUs: each rank's QPs for the other domains' ranks, their details relayed
    # one, two and three boundaries on (float16, every element checked).
    ONCE=1 pin_run pin-four-domains-alltoall 0 8a4b746e493a9460 scenarios/two-rack-allreduce.yaml --set guests.count=8 \
      --set hilink.domain_gpus=2 --set guests.program=guest:alltoall_perf --set "guests.args=-b 8000 -e 8000 -n 1 -w 0 -d half"
    has pin-four-domains-alltoall "[   0.001402042] blade0:         8000          4000      half    none      -1    21.54    0.37    0.32      0    23.71    0.34    0.30      0"
    # AllReduce on the double binary tree of four domains of two GPUs (tree 0: domain 0 -> 2 -> 1 and 3; tree 1
    # mirrored): domain 2's head reduces its chain child's data and two child domains' (three connections in, one
    # out, each across a link of its own); LL at these sizes, every element checked. Then five domains, where the
    # second tree is the first shifted by one domain, with Simple and float16 (sizes kept small: make check's time).
    ONCE=1 pin_run pin-four-domains-tree 0 06a9d814a9b9d55e scenarios/two-rack-allreduce.yaml --set guests.count=8 \
      --set hilink.domain_gpus=2 --set "guests.args=-b 1000 -e 17000 -f 17 -n 1 -w 0 -d int32 -o max NCCL_ALGO=Tree"
    has pin-four-domains-tree "[   0.002143449] blade0:        17000          4250     int32     max      -1    55.88    0.30    0.53      0    52.53    0.32    0.57      0"
    has pin-four-domains-tree "[   0.002144449] blade0: # Out of bounds values : 0 OK"
    ONCE=1 pin_run pin-five-domains-tree 0 df400411f31b1e8b scenarios/two-rack-allreduce.yaml --set guests.count=10 \
      --set hilink.domain_gpus=2 --set "guests.args=-b 50006 -e 50006 -n 1 -w 0 -d half NCCL_ALGO=Tree NCCL_PROTO=Simple"
    has pin-five-domains-tree "[   0.002729903] blade0:        50006         25003      half     sum      -1    100.1    0.50    0.90      0    103.7    0.48    0.87      0"
    has pin-five-domains-tree "guests     10 of 10 exited with 0"
  fi
  # A protocol HiCCL does not have: the communicator refuses it, naming the ones it has.
  "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 --set "guests.args=-b 8 -e 8 NCCL_PROTO=LL128" \
    >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade0: all_reduce_perf: rank 0: hicclCommInitRank: invalid argument: NCCL_PROTO=LL128 \
leaves HiCCL nothing to run: it has LL and Simple" "$tmp/out"
  then pass; else fail "NCCL_PROTO=LL128: not refused"; fi
  # Ranks whose calls do not match (a Broadcast against AllReduces): the collective waits until gpu.hang_timeout,
  # and each waiting rank says what each channel waits for (1 000 floats take one channel, as NCCL shapes a small
  # collective's launch); the run fails (exit 1).
  pin_run pin-hiccl-mismatch 1 637054fc19235a8c scenarios/rack8-allreduce.yaml --set guests.count=3 \
    --set guests.program=guest:hiccl-mismatch --set gpu.hang_timeout=100us
  if grep -q "blade1: hiccl-mismatch: AllReduce failed: rank 1: tag [0-9]*: kernel hiccl_ring_float32 made no progress (no store, atomic or warp ending) for gpu.hang_timeout (100 us) and was stopped after [0-9]* cycles: does it wait for a flag nobody sets?; channel 0 waits for rank 0 to send slot 2$" "$tmp/out" &&
    grep -q "blade2: hiccl-mismatch: AllReduce failed: rank 2: .*; channel 0 waits for rank 1 to send slot 3$" "$tmp/out"
  then pass; else fail "hiccl-mismatch: no report of what the ranks wait for"; fi
  # The same with the Simple protocol (the cost model picks LL for 1 000 floats).
  "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=3 --set guests.program=guest:hiccl-mismatch \
    --set gpu.hang_timeout=100us --set guests.args=NCCL_PROTO=Simple >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade2: hiccl-mismatch: AllReduce failed: rank 2: .*; channel 0 waits for rank 1 to send slot 3$" "$tmp/out"
  then pass; else fail "hiccl-mismatch with Simple: no report of what the ranks wait for"; fi
  # A receive with no send to match it: the same, for Send/Recv's channels.
  # A collective that works is not taken for a hung one at a gpu.hang_timeout shorter than its kernels run (each
  # step stores; only the ranks' skew at the start goes without progress).
  "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=3 --set gpu.hang_timeout=20us \
    --set "guests.args=-b 256K -e 256K -n 1 -w 0 NCCL_PROTO=Simple NCCL_ALGO=Tree" >"$tmp/out" 2>&1
  if [ $? = 0 ] && grep -q "# Out of bounds values : 0 OK" "$tmp/out"
  then pass; else fail "gpu.hang_timeout=20us: a working collective was stopped: $(grep -m1 'progress' "$tmp/out")"; fi
  # On the chain (NCCL_ALGO=Tree), ranks whose counts differ: rank 0 ends; the ranks below wait on their way down.
  "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=3 --set guests.program=guest:hiccl-mismatch \
    --set gpu.hang_timeout=100us --set "guests.args=count NCCL_ALGO=Tree" >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade1: hiccl-mismatch: AllReduce failed: rank 1: .*kernel hiccl_tree_float32 made no progress .*; channels 0-15 (down) wait for rank 0 to send slot 1$" "$tmp/out" &&
    grep -q "blade2: hiccl-mismatch: AllReduce failed: rank 2: .*; channels 0-15 (down) wait for rank 1 to send slot 1$" "$tmp/out"
  then pass; else fail "hiccl-mismatch count on the chain: no report of what the ranks wait for"; fi
  pin_run pin-hiccl-mismatch-p2p 1 6516dd1874a775f8 scenarios/rack8-allreduce.yaml --set guests.count=3 \
    --set guests.program=guest:hiccl-mismatch --set gpu.hang_timeout=100us --set guests.args=p2p
  if grep -q "blade1: hiccl-mismatch: Recv failed: rank 1: tag [0-9]*: kernel hiccl_p2p made no progress (no store, atomic or warp ending) for gpu.hang_timeout (100 us) and was stopped after [0-9]* cycles: does it wait for a flag nobody sets?; p2p channel 0: a receive from rank 0 waits for it to send slot 2; p2p channel 1: a receive from rank 0 waits for it to send slot 2; p2p channel 2: a receive from rank 0 waits for it to send slot 2; p2p channel 3: a receive from rank 0 waits for it to send slot 2$" "$tmp/out" &&
    grep -q "blade0: hiccl-mismatch: rank 0: Send of 1000 floats ended" "$tmp/out"
  then pass; else fail "hiccl-mismatch p2p: no report of the receive that waits"; fi
  # A bad option: the program's usage text, and the guests' failure (exit 1).
  "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 --set "guests.args=-x 3" >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade0: all_reduce_perf: invalid option '-x'" "$tmp/out" &&
    grep -q "blade0: USAGE: all_reduce_perf" "$tmp/out"; then pass; else fail "all_reduce_perf -x: no usage text"; fi
  # nccl-tests' "all": -d all and -o all run every type and operation in turn, a table row each, and -r -1 every
  # root; SendRecv names the operation it was asked for (its data move unchanged); a value that is no name: the usage.
  if [ "${VDC_SANITIZED:-0}" != 1 ]; then
    local rows code
    "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 \
      --set "guests.args=-b 1000 -e 1000 -n 1 -w 0 -d all -o all" >"$tmp/out" 2>&1
    code=$?
    rows=$(grep -cE 'blade0: +1000 +[0-9]+ +[a-z0-9]+ +(sum|prod|max|min|avg) +-1 ' "$tmp/out")
    if [ "$code" = 0 ] && [ "$rows" = 50 ] && grep -qE 'blade0: +1000 +500 +bfloat16 +avg +-1 .* 0$' "$tmp/out" &&
      grep -q "# Out of bounds values : 0 OK" "$tmp/out"
    then pass; else fail "all_reduce_perf -d all -o all: $rows rows, not 50 exact: $(grep -E 'Out of' "$tmp/out")"; fi
    "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=3 --set guests.program=guest:reduce_perf \
      --set "guests.args=-b 999 -e 999 -n 1 -w 0 -d half -o all -r -1" >"$tmp/out" 2>&1
    rows=$(grep -cE 'blade0: +998 +499 +half +[a-z]+ +[0-2] ' "$tmp/out")
    if [ "$rows" = 15 ] && grep -qE 'blade0: +998 +499 +half +max +2 .* 0$' "$tmp/out" &&
      grep -q "# Out of bounds values : 0 OK" "$tmp/out"
    then pass; else fail "reduce_perf -o all -r -1: $rows rows, not every operation at every root"; fi
    "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 --set guests.program=guest:sendrecv_perf \
      --set "guests.args=-b 1K -e 1K -n 1 -w 0 -o min" >"$tmp/out" 2>&1
    if grep -qE 'blade0: +1024 +256 +float +min +-1 .* 0$' "$tmp/out"
    then pass; else fail "sendrecv_perf -o min: its row does not name min: $(grep -E 'blade0: +1024' "$tmp/out")"; fi
    # NCCL_PROTO and NCCL_ALGO as NCCL reads them: lists in any case, ^ leaving out what follows; here LL and LL128
    # left out is Simple, the same row as NCCL_PROTO=Simple's; a name NCCL does not have is refused.
    "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 \
      --set "guests.args=-b 1K -e 1K -n 1 -w 0 NCCL_PROTO=^ll,LL128 NCCL_ALGO=ring,nvls" >"$tmp/out" 2>&1
    if grep -qE 'blade0: +1024 +256 +float +sum +-1 +9\.71 ' "$tmp/out" &&
      grep -q "guests     2 of 2 exited with 0" "$tmp/out"
    then pass; else fail "NCCL_PROTO=^ll,LL128: not Simple's row: $(grep -E 'blade0: +1024|_perf:' "$tmp/out")"; fi
    "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 --set "guests.args=-b 1K -e 1K NCCL_ALGO=Tree,Rign" \
      >"$tmp/out" 2>&1
    if [ $? = 1 ] && grep -q "invalid argument: NCCL_ALGO=Tree,Rign: 'Rign' is none of NCCL's names for it" "$tmp/out"
    then pass; else fail "NCCL_ALGO=Tree,Rign: not refused: $(grep -E '_perf:' "$tmp/out" | head -1)"; fi
    # The options as getopt_long reads them: long names, with the value after = or apart, and values attached.
    "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 \
      --set "guests.args=--minbytes 1K --maxbytes=2K --stepfactor 2 -n1 -w 0 -dhalf --op=max" >"$tmp/out" 2>&1
    if grep -qE 'blade0: +1024 +512 +half +max +-1 .* 0$' "$tmp/out" &&
      grep -qE 'blade0: +2048 +1024 +half +max +-1 .* 0$' "$tmp/out" &&
      grep -q "guests     2 of 2 exited with 0" "$tmp/out"
    then pass; else fail "all_reduce_perf with long options: $(grep -E '_perf:' "$tmp/out" | head -1)"; fi
  fi
  # -h: the usage text, and the program ends well (nccl-tests' returns 0).
  "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 --set "guests.args=--help" >"$tmp/out" 2>&1
  if [ $? = 0 ] && grep -q "blade0: USAGE: all_reduce_perf" "$tmp/out"; then pass; else fail "all_reduce_perf -h"; fi
  "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 --set "guests.args=-d every" >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade0: all_reduce_perf: invalid value 'every' for -d" "$tmp/out" &&
    grep -q "blade0: USAGE: all_reduce_perf" "$tmp/out"; then pass; else fail "all_reduce_perf -d every: no usage"; fi
  "$vdc" run scenarios/rack8-allreduce.yaml --set guests.count=2 --set "guests.args=-b 8 -e 128M -f 2 -g 8" \
    >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade0: all_reduce_perf: invalid value '8' for -g: each guest is one rank on its one GPU" \
    "$tmp/out"; then pass; else fail "all_reduce_perf -g 8: no word on the ranks being guests"; fi
  # The peer matrices of the rack's 8 GPUs (small copies here: the scenario's own are 4 MiB). The one-way latency
  # of every pair is the closed form's 0.688 us (docs/validation.md, "HiLink"), printed 0.69.
  ONCE=1 pin_run pin-rack8-p2p 0 dc0628c95aae8d50 scenarios/rack8-p2p.yaml --set "guests.args=65536 100"
  has pin-rack8-p2p "guests     8 of 8 exited with 0"
  for matrix in "Unidirectional P2P=Enabled Bandwidth (P2P Writes) Matrix (GB/s)" \
    "Bidirectional P2P=Enabled Bandwidth Matrix (GB/s)" "P2P=Enabled Latency (P2P Writes) Matrix (us)"; do
    if grep -A9 -F -- "$matrix" "$tmp/out" | grep -cE "blade0: +[0-7] " | grep -qx 8; then pass; else
      fail "rack8-p2p: '$matrix' lacks its 8 rows"; fi
  done
  if [ "$(grep -A9 -F "P2P=Enabled Latency (P2P Writes)" "$tmp/out" | grep -o ' 0\.69' | wc -l)" = 56 ]; then pass; else
    fail "rack8-p2p: not every pair's one-way latency is 0.69 us"; fi
  # The write_bw figure of docs/hinic.md: 97.93 Gb/sec at 8 MiB, every size from 2 B, four pairs.
  ONCE=1 pin_run pin-rack8-perftest 0 cd2ae64bc31935a7 scenarios/rack8-perftest.yaml
  has pin-rack8-perftest "[   0.137407511] blade0:  8388608    100              97.93              97.93              0.001459"
  has pin-rack8-perftest "hinic      blade0: 410650 packets sent, 8050 received, 0 retransmitted; 2350 completions, 0 in error; 0 guest errors"
  has pin-rack8-perftest "guests     8 of 8 exited with 0"
  # send_lat of docs/hinic.md: 200 ns exits between two guests, 4.42 us.
  ONCE=1 pin_run pin-send-lat 0 da35bf192cb4bd2f \
    scenarios/rack8-perftest.yaml --set guests.count=2 --set "guests.args=send_lat -s 8 -n 1000" --set guests.exit_cost=200ns
  if awk '$3 == "blade0:" && $4 == "8" && $5 == "1000" && $8 == "4.42" {found = 1} END {exit !found}' "$tmp/out"; then
    pass
  else
    fail "pin-send-lat: t_typical of 8 bytes is not 4.42 usec: $(grep 'blade0:  8 ' "$tmp/out")"
  fi
  # GPUDirect RDMA (docs/hinic.md): perftest --use_cuda, both buffers in the blades' GPU memory. Behind the PCIe
  # switch the NIC reads the GPU at its link rate (the host-memory figure); across the root complex at
  # nic.root_complex_p2p_rate (50 Gbit/s). The receiver copies what landed out of its GPU and checks every byte.
  ONCE=1 pin_run pin-gpudirect 0 ce73b1a30ace8732 scenarios/rack8-perftest.yaml --set guests.count=2 \
    --set guests.gpu=true --set "guests.args=write_bw -s 65536 -n 200 --use_cuda --report_gbits"
  has pin-gpudirect "[   0.001113863] blade0:  65536      200              97.24              97.24              0.185469"
  has pin-gpudirect "guests     2 of 2 exited with 0"
  "$vdc" run scenarios/rack8-perftest.yaml --set guests.count=2 --set guests.gpu=true --set gpu.pcie_layout=root-port \
    --set "guests.args=read_bw -s 65536 -n 200 --use_cuda --report_gbits -F" >"$tmp/out" 2>&1
  if [ $? = 0 ] && grep -q "blade0:  65536      200              49.83              49.83              0.095038" "$tmp/out"
  then pass; else fail "GPUDirect across the root complex: not 49.83 Gb/sec: $(grep 'blade0:  65536' "$tmp/out")"; fi
  "$vdc" run scenarios/rack8-perftest.yaml --set guests.count=2 --set "guests.args=write_bw --use_cuda" >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade0: perftest: --use_cuda: no GPU on this blade; set guests.gpu: true" "$tmp/out"
  then pass; else fail "perftest --use_cuda without a GPU: no one-line error"; fi
  # perftest's device, port and GID index, and the server's address: none is chosen here, each refused saying why.
  "$vdc" run scenarios/rack8-perftest.yaml --set guests.count=2 --set "guests.args=ib_write_bw -d mlx5_0 -F" \
    >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade0: perftest: the blade's one HiNIC, its one port and GID 0 are used" "$tmp/out"
  then pass; else fail "perftest -d mlx5_0: not refused with its reason"; fi
  # More words than the program reads: refused with its usage, none dropped unseen.
  "$vdc" run scenarios/rack8-perftest.yaml --set guests.count=2 \
    --set "guests.args=write_bw $(printf -- '-N %.0s' {1..48})" >"$tmp/out" 2>&1
  if [ $? = 1 ] && grep -q "blade0: perftest: more than 48 arguments" "$tmp/out" &&
    grep -q "blade0: usage: perftest" "$tmp/out"
  then pass; else fail "perftest with 49 arguments: not refused"; fi
}

# Runaways: on the emulator after a number of instructions, at the same instruction on every run; on KVM after
# wall time.
guest_runaways() {
  pin_run pin-runaway 1 d36b64608e4aaf99 scenarios/fault-loop.yaml --set guests.vcpu=emulated --set guests.runaway_instructions=1000000
  has pin-runaway "guest      blade0 stopped: ran away: no exit for 1000000 instructions; rip 0x401040 rsp 0x3feefe0 rax 0x3d08e rbx 0x0 rcx 0xc0000000 rdx 0x11000003feeb20 rsi 0x0 rdi 0x3feeb31 rflags 0x6"
  expect boot-runaway-instructions 1 "ran away: no exit for 5000000 instructions; rip 0x401040 rsp 0x3feefe0 rax 0x1312ce " -- \
    "$vdc" boot --vcpu emulated --runaway-instructions 5000000 "$guests/fault-loop.elf"
  if kvm_usable; then
    expect boot-runaway 1 "ran away: no exit for 0.5 s of wall time; rip 0x[0-9a-f]+" -- "$vdc" boot --vcpu kvm --runaway 500ms "$guests/fault-loop.elf"
    expect scenario-runaway 1 "a guest did not exit with 0" -- "$vdc" run scenarios/fault-loop.yaml --set guests.vcpu=kvm --set guests.runaway=300ms
    grep -q "blade0 stopped: ran away: no exit for 0.3 s of wall time; rip 0x" "$tmp/out" || fail "runaway summary on KVM"
  else
    echo "skip: /dev/kvm is not usable here: KVM's wall-clock runaway and the KVM side of each pinned run not tested"
  fi
}

# hostile CASE: each forbidden act ends the guest with this report (exit 1), the same on every run and on KVM.
guest_hostile() {
  local report_rest='rsp 0x3feef80, rax 0x[0-9a-f]+, rdx 0x0'
  while IFS='|' read -r case pattern; do
    [ -z "$case" ] && continue
    expect "hostile-$case" 1 "^vdc: hostile faulted: $pattern" -- "$vdc" boot "$guests/hostile.elf" -- "$case"
    cp "$tmp/err" "$tmp/hostile1"
    "$vdc" boot "$guests/hostile.elf" -- "$case" >/dev/null 2>"$tmp/hostile2"
    if cmp -s "$tmp/hostile1" "$tmp/hostile2"; then pass; else fail "hostile-$case: two runs differ"; fi
    # SVM cannot intercept rdrand: on an AMD host KVM runs it (docs/guest-abi.md, "What differs").
    if [ "$case" = rdrand ] && grep -q AuthenticAMD /proc/cpuinfo; then continue; fi
    if kvm_keeps_contract; then
      "$vdc" boot --vcpu kvm "$guests/hostile.elf" -- "$case" >/dev/null 2>"$tmp/hostile3"
      if [ "$(sed 's/; [a-z]* vCPU$//' "$tmp/hostile1")" = "$(sed 's/; [a-z]* vCPU$//' "$tmp/hostile3")" ]; then
        pass
      else
        fail "hostile-$case: KVM says '$(cat "$tmp/hostile3")'"
      fi
    fi
  done <<EOF
xgetbv|#UD invalid opcode \(vector 6, error code 0x0\) at rip 0x[0-9a-f]+, $report_rest;
hlt|#GP general protection \(vector 13, error code 0x0\) at rip 0x[0-9a-f]+, $report_rest;
cli|#GP general protection \(vector 13, error code 0x0\) at rip 0x[0-9a-f]+, $report_rest;
cr3|#GP general protection \(vector 13, error code 0x0\) at rip 0x[0-9a-f]+, rsp 0x3feef80, rax 0x4000, rdx 0x0;
out|#GP general protection \(vector 13, error code 0x0\) at rip 0x[0-9a-f]+, $report_rest;
in|#GP general protection \(vector 13, error code 0x0\) at rip 0x[0-9a-f]+, $report_rest;
int3|#GP general protection \(vector 13, error code 0x1a\) at rip 0x[0-9a-f]+, $report_rest;
int80|#GP general protection \(vector 13, error code 0x402\) at rip 0x[0-9a-f]+, $report_rest;
syscall|#UD invalid opcode \(vector 6, error code 0x0\) at rip 0x[0-9a-f]+, $report_rest;
rdtsc|#GP general protection \(vector 13, error code 0x0\) at rip 0x[0-9a-f]+, $report_rest; rdtsc would read the host's clock: read simctl's CLOCK_NS register instead;
rdrand|#UD invalid opcode \(vector 6, error code 0x0\) at rip 0x[0-9a-f]+, $report_rest; rdrand would read the host's random numbers: read simctl's RANDOM register instead;
jump-unmapped|#PF page fault \(vector 14, error code 0x4\) at rip 0x80000000, address 0x80000000, rsp 0x3feef78,
jump-supervisor|#PF page fault \(vector 14, error code 0x5\) at rip 0x1000, address 0x1000, rsp 0x3feef78,
read-supervisor|#PF page fault \(vector 14, error code 0x5\) at rip 0x[0-9a-f]+, address 0x1000, $report_rest;
store-unmapped|#PF page fault \(vector 14, error code 0x6\) at rip 0x[0-9a-f]+, address 0x80000000, rsp 0x3feef80,
store-far|#PF page fault \(vector 14, error code 0x6\) at rip 0x[0-9a-f]+, address 0x1000000000, rsp 0x3feef80,
store-noncanonical|#GP general protection \(vector 13, error code 0x0\) at rip 0x[0-9a-f]+, rsp 0x3feef80, rax 0x8000000000000000, rdx 0x0;
stack|#PF page fault \(vector 14, error code 0x7\) at rip 0x[0-9a-f]+, address 0x1ffff8, rsp 0x200000,
mmio-odd|simctl: 2-byte access at offset 0x8; registers are 8 bytes, 8-aligned;
mmio-misaligned|simctl: 8-byte access at offset 0x4; registers are 8 bytes, 8-aligned;
mmio-across|simctl: 4-byte access at offset 0xffc; registers are 8 bytes, 8-aligned;
mmio-fault-register|simctl: FAULT register written from CPL3; only the exception stub may write it;
jump-mmio|instruction fetch at 0xc0000000, in the device windows \(0xc0000000 to 0xffffffff\): code runs from RAM only;
mmio-rep|simctl: read of offset 0x10, which is not a readable register;
fill-supervisor|simctl: FILL of 16 bytes at 0x1000 is outside the program's memory \(0x200000 to 0x4000000\);
copy-supervisor|simctl: COPY of 16 bytes from 0x1000 is outside the program's memory \(0x200000 to 0x4000000\);
copy-block-supervisor|simctl: COPY block of 24 bytes at 0x1000 is outside the program's memory \(0x200000 to 0x4000000\);
compare-supervisor|simctl: COMPARE of 16 bytes at 0x1000 is outside the program's memory \(0x200000 to 0x4000000\);
EOF
  # A device address where no device is: the report's rip names the load, and for a store the instruction after
  # it (KVM exits with the store retired; the emulator reports the same). The guest prints both addresses first.
  local case field backend want
  for case in load-nodevice:1 store-nodevice:2; do
    field=${case#*:}
    case=${case%:*}
    for backend in emulated $(kvm_usable && echo kvm); do
      "$vdc" boot --vcpu "$backend" "$guests/hostile.elf" -- "$case" >"$tmp/nodevice.out" 2>"$tmp/nodevice.err"
      want=$(sed -n "s/.* at \(0x[0-9a-f]*\), next instruction at \(0x[0-9a-f]*\)\$/\\$field/p" "$tmp/nodevice.out")
      if [ -n "$want" ] && grep -q "reaches no device (rip $want[,)]" "$tmp/nodevice.err"; then
        pass
      else
        fail "hostile-$case on the $backend vCPU: rip not ${want:-found}: $(cat "$tmp/nodevice.err")"
      fi
    done
  done
  # memset, memcpy, memmove and memcmp from VDC_FILL_MIN up are simctl's FILL, COPY and COMPARE: each against a byte
  # loop, overlapping both ways, differences at a span's start, middle and end.
  expect bulk-memory 0 "bulk-memory exited with 0; virtual time 40 us, 41 exits" -- "$vdc" boot "$guests/bulk-memory.elf"
  has bulk-memory "[   0.000014000] bulk-memory: memcpy and memmove match the byte loop"
  has bulk-memory "[   0.000039000] bulk-memory: memcmp matches the byte loop"
  # A 16-byte SSE load from simctl is two 8-byte reads (ID, CLOCK_NS), as KVM splits it too.
  expect hostile-mmio-sse 3 "hostile exited with 3; virtual time 5 us, 6 exits" -- "$vdc" boot "$guests/hostile.elf" -- mmio-sse
  expect hostile-cpuid 0 "hostile exited with 0" -- "$vdc" boot "$guests/hostile.elf" -- cpuid
  has hostile-cpuid "[   0.000002000] hostile: cpuid 0: max leaf 7, vendor 'VdcVirtCPU  '"
  has hostile-cpuid "[   0.000003000] hostile: cpuid 1: eax 0x00000663 ebx 0x00010800 ecx 0x80000000 edx 0x07888111"
  has hostile-cpuid "[   0.000005000] hostile: cpuid 0x40000000 (past the table): eax 0x00000000"
  has hostile-cpuid "[   0.000006000] hostile: x87 control word 0x037f, MXCSR 0x00001f80"
  if kvm_usable && ! kvm_keeps_contract; then
    echo "skip: /dev/kvm is PVM, which does not trap the hostile acts and CPUID at CPL3: their KVM side not compared"
  fi
  if kvm_keeps_contract; then
    cp "$tmp/out" "$tmp/cpuid1"
    "$vdc" boot --vcpu kvm "$guests/hostile.elf" -- cpuid >"$tmp/cpuid2" 2>/dev/null
    if cmp -s "$tmp/cpuid1" "$tmp/cpuid2"; then pass; else fail "hostile-cpuid: KVM's CPUID differs"; fi
  fi
}

# guests.cpu_time=instructions: retired instructions take virtual time, the same on every run.
guest_cpu_time() {
  pin_run pin-cpu-time 0 531fa0ac8aefadaf scenarios/hello.yaml --set guests.vcpu=emulated --set guests.cpu_time=instructions
  has pin-cpu-time "guests     8 of 8 exited with 0"
  if grep -q "blade0: goodbye at 12000 ns" "$tmp/out"; then fail "cpu-time: instructions took no time"; else pass; fi
  # The instructions on a round trip's critical path show in send_lat: 4.42 us charging exits only, 4.57 us here.
  pin_run pin-cpu-time-send-lat 0 af7a776cfd175680 scenarios/rack8-perftest.yaml --set guests.vcpu=emulated \
    --set guests.cpu_time=instructions --set guests.count=2 --set "guests.args=send_lat -s 8 -n 1000" --set guests.exit_cost=200ns
  if awk '$3 == "blade0:" && $4 == "8" && $5 == "1000" && $8 == "4.57" {found = 1} END {exit !found}' "$tmp/out"; then
    pass
  else
    fail "pin-cpu-time-send-lat: t_typical of 8 bytes is not 4.57 usec: $(grep 'blade0:  8 ' "$tmp/out")"
  fi
}
