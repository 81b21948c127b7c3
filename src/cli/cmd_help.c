/* vdc help [COMMAND]: what each command does and takes. */
#include <stdio.h>
#include <string.h>

#include "common/exit_codes.h"
#include "scenario/keys.h"
#include "cli/commands.h"

static const char overview[] =
    "vdc " VDC_VERSION " - a deterministic virtual GPU datacenter simulator\n"
    "\n"
    "usage: vdc COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run SCENARIO    simulate a scenario file and print its summary and digest\n"
    "  boot PROGRAM    run one guest program with the sim-control device; exit with its code\n"
    "  ptx run FILE    run one kernel of a PTX file on a simulated GPU, without a VM\n"
    "  bench NAME      measure vdc's own speed (benchmarks: sched, vcpu, fabric, gpu, gpu-micro)\n"
    "  help [TOPIC]    this text, or a command's (run, boot, ptx, bench) or 'keys' (every scenario key)\n"
    "  version         print the version (also --version)\n"
    "\n"
    "exit status: 0 ok, 1 the simulated system failed (a scenario check failed), 2 bad input or usage\n";

static const char run_help[] =
    "usage: vdc run SCENARIO.yaml [--out DIR] [--seed N] [--set KEY=VALUE]... [--dump-dtb DIR] [--pcap[=LINKS]]\n"
    "       vdc run --hpcc-config CONFIG.txt [--out DIR] [--seed N] [--set KEY=VALUE]...\n"
    "       vdc run --topology hpcc:TOPOLOGY.txt --flows hpcc:FLOWS.txt [--out DIR] [--set KEY=VALUE]...\n"
    "\n"
    "Simulates the scenario in virtual time and prints a summary ending with the run's digest: the same\n"
    "scenario, seed and vdc binary give the same digest on every machine. --hpcc-config runs an HPCC ns-3\n"
    "experiment from its config file, unchanged, with the hpcc-ns3 transport model, and writes its fct, pfc\n"
    "and qlen files where the config says (docs/fabric.md).\n"
    "\n"
    "  --out DIR          write output files (summary.json, fct.txt, pfc.txt, counters.csv) into DIR, creating it\n"
    "  --pcap[=LINKS]     capture frames into DIR (every host link, or NODE/NODE,...)\n"
    "  --seed N           seed for every entity's random stream (overrides the scenario's 'seed')\n"
    "  --set KEY=VALUE    override one scenario key, e.g. --set topology.link_rate=200Gbps (repeatable)\n"
    "  --dump-dtb DIR     write each guest's device tree to DIR/NAME.dtb (read it with dtc -I dtb -O dts)\n"
    "\n"
    "Progress (virtual time, events/s, wall time) is shown on stderr when it is a terminal.\n"
    "Keys and defaults: 'vdc help keys' or docs/scenarios.md.\n";

static const char boot_help[] =
    "usage: vdc boot PROGRAM.elf [--name NAME] [--memory SIZE] [--exit-cost TIME] [--seed N]\n"
    "                [--vcpu auto|kvm|emulated] [--runaway TIME] [--runaway-instructions N]\n"
    "                [--instruction-time TIME] [-- ARGS...]\n"
    "\n"
    "Runs one guest program (an x86-64 ELF from guest/) on a vCPU (KVM, or the emulated x86-64 CPU where\n"
    "there is no KVM; both give the same output and digest) with the sim-control device and no\n"
    "scenario. Its console lines go to stdout, stamped with virtual time and the guest's name; a last line on\n"
    "stderr says how it ended, with the run's digest.\n"
    "\n"
    "  --name NAME        the guest's name in its device tree and on its console (default: the file name)\n"
    "  --memory SIZE      guest RAM, a multiple of 2MiB from 4MiB to 3GiB (default 64MiB)\n"
    "  --exit-cost TIME   virtual time charged for each exit to the VMM (default 1us)\n"
    "  --vcpu BACKEND     kvm, emulated, or auto: KVM when /dev/kvm can be opened, else the emulator (default)\n"
    "  --runaway TIME     KVM: wall-clock time without an exit after which the guest is stopped (default 10s)\n"
    "  --runaway-instructions N\n"
    "                     emulator: instructions without an exit after which it is stopped (default 10^10)\n"
    "  --instruction-time TIME\n"
    "                     emulator: charge this much virtual time per retired instruction (default: none)\n"
    "  --seed N           seed of the guest's random stream (default 1)\n"
    "  ARGS               the program's arguments, in /chosen/bootargs of its device tree\n"
    "\n"
    "exit status: the guest's exit code; 1 if it faulted or ran away; 2 if the file or an option is refused,\n"
    "or --vcpu kvm where there is no KVM\n";

static const char bench_help[] =
    "usage: vdc bench sched [--pending N] [--events N] [--repeat R] [--seed N]\n"
    "       vdc bench vcpu [--exits N] [--loop N] [--guests N] [--repeat R] [--vcpu kvm|emulated]\n"
    "       vdc bench gpu [--repeat R] [--gpu PRESET] [--gemm N]\n"
    "       vdc bench gpu-micro [--gpu PRESET]\n"
    "\n"
    "sched: the hold model on the event queue: N pending events (default 1000000); each processed event\n"
    "schedules one successor a uniform 0..2N ns later; --events per run (default 10000000), --repeat runs\n"
    "(default 5); prints each run's events per second and the median.\n"
    "\n"
    "vcpu: for each vCPU backend this machine has (or the one --vcpu names): the time from creating the\n"
    "bench-exits guest to its first exit; --exits N clock reads (default 20000) through vdc's scheduler and\n"
    "devices, and the same guest driven by a bare loop over the vCPU interface; guest instructions per second\n"
    "in bench-loop's register loop and store loop (--loop N iterations of 4 instructions, default 5000000);\n"
    "with --guests N, the same with N guests taking turns in one run, and the resident memory. Prints each\n"
    "run and the medians\n"
    "\n"
    "gpu: HiGPU with timing on (preset h200 unless --gpu): a tiled GEMM of N x N x N (default 512), an FMA-bound\n"
    "kernel and a 64 MiB streaming copy; prints simulated thread instructions per wall-clock second, per kernel\n"
    "and in all, per run and as the median; runs must agree on every kernel's results and cycles.\n"
    "\n"
    "gpu-micro: HiGPU's timing against published measurements of the real GPU (preset h100 unless --gpu):\n"
    "pointer chases per memory level, HBM, L2 and shared-memory bandwidth, FMA throughput and latency, atomics;\n"
    "prints a Markdown table of each metric, the published figure and its source, HiGPU's figure and the ratio\n"
    "(docs/validation.md, \"GPU microbenchmarks\").\n";

int vdc_cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        fputs(overview, stdout);
        return VDC_EXIT_OK;
    }
    const char *topic = argv[1];
    if (strcmp(topic, "run") == 0)
        fputs(run_help, stdout);
    else if (strcmp(topic, "boot") == 0)
        fputs(boot_help, stdout);
    else if (strcmp(topic, "ptx") == 0)
        vdc_ptx_usage(stdout);
    else if (strcmp(topic, "bench") == 0)
        fputs(bench_help, stdout);
    else if (strcmp(topic, "keys") == 0)
        vdc_keys_write_markdown(stdout);
    else if (strcmp(topic, "help") == 0 || strcmp(topic, "version") == 0)
        fputs(overview, stdout);
    else
        return vdc_usage_error("help", "no help on '%s'; topics: run, boot, ptx, bench, keys", topic);
    return VDC_EXIT_OK;
}
