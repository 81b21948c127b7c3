#!/usr/bin/env python3
# Mutation fuzzing of vdc's untrusted inputs under the sanitizers' build: PTX, scenarios, imported topologies, ELFs.
"""Mutates the project's own inputs (guest/kernels/*.ptx, scenarios/*.yaml, check/corpus/hpcc*,
scenarios/platforms/*.xml, build/guest/*.elf) and runs vdc on each, for a while. A finding is a sanitizer's report, a
death by a signal, an exit status other than 0, 1 or 2 (ELF targets excepted: a guest chooses its own status), or a
run that does not end in the time allowed. Each finding's input and output go to the output folder; the exit status
is 1 when there was one.

    make BUILD=build-asan SANITIZE=1 build-asan/vdc && make guests
    scripts/fuzz.py --target all --seconds 600

The same --seed gives the same inputs. Not part of make check: it looks for what the tests do not know yet."""
import argparse
import os
import random
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTREME = ["0", "1", "-1", "31", "32", "255", "65535", "65536", "2147483648", "4294967295", "4294967296",
           "18446744073709551615", "18446744073709551616", "99999999999999999999", "1e400", "nan", "abc", ""]


class Target:
    """One kind of input: its seeds, how one is mutated, how vdc runs it."""

    def __init__(self, name, rng, out):
        self.name, self.rng, self.out = name, rng, out

    def lines(self, text, extra):
        """Line-level mutations: deleted, duplicated, swapped, cut short; a word replaced; a number made extreme."""
        rng, lines = self.rng, text.split("\n")
        for _ in range(rng.randint(1, 4)):
            if len(lines) < 2:
                lines = text.split("\n")
            i, kind = rng.randrange(len(lines)), rng.randrange(6)
            words = lines[i].split()
            if kind == 0:
                del lines[i]
            elif kind == 1:
                lines.insert(i, lines[rng.randrange(len(lines))])
            elif kind == 2:
                j = rng.randrange(len(lines))
                lines[i], lines[j] = lines[j], lines[i]
            elif kind == 3:
                lines = lines[: max(i, 1)]
            elif kind == 4 and words:
                words[rng.randrange(len(words))] = rng.choice(extra + EXTREME)
                lines[i] = " ".join(words)
            else:
                lines[i] = re.sub(r"\d+", lambda m: rng.choice(EXTREME[:12]), lines[i], count=1)
        return "\n".join(lines)


class Ptx(Target):
    KERNELS = [("vector_add", "vector_add", "ptr:a ptr:b ptr:c u32:256"),
               ("reduction", "reduce_sum_f32", "ptr:a ptr:b u32:256"),
               ("scan", "scan_block_i32", "ptr:a ptr:b ptr:c u32:256"),
               ("histogram", "histogram256", "ptr:a ptr:b u32:256"),
               ("softmax", "softmax_rows", "ptr:a ptr:b u32:64"),
               ("atomics", "atomics_mix", "ptr:a ptr:b ptr:c u32:256"),
               ("warp_vote", "warp_vote", "ptr:a ptr:b ptr:c ptr:d u32:256"),
               ("gemm", "gemm_tiled", "ptr:a ptr:b ptr:c u32:16 u32:16 u32:16")]

    def __init__(self, rng, out):
        super().__init__("ptx", rng, out)
        self.texts = {f: open(os.path.join(ROOT, "guest/kernels", f + ".ptx")).read() for f, _, _ in self.KERNELS}
        self.words = sorted({w for t in self.texts.values() for w in re.findall(r"[%.\w]+", t)})

    def case(self):
        rng = self.rng
        file, kernel, args = rng.choice(self.KERNELS)
        text = self.lines(self.texts[file], self.words)
        if rng.random() < 0.2:  # a register count at the register pass's limits
            count = rng.choice(["16384", "32768", "32769", "4294967295"])
            text = re.sub(r"(\.reg [^<]*<)\d+>", lambda m: m.group(1) + count + ">", text, count=1)
        path = os.path.join(self.out, "case.ptx")
        with open(path, "w") as f:
            f.write(text)
        cmd = ["ptx", "run", path, "--kernel", kernel, "--grid", rng.choice(["1", "2", "3,2"]),
               "--block", rng.choice(["32", "96", "256"]), "--gpu", "h100", "--timeout", "200us"]
        for b in "abcd":
            cmd += ["--buf", b + "=64KiB"]
        for a in args.split():
            cmd += ["--arg", a]
        return cmd, [path], False


class Scenario(Target):
    SEEDS = ["hello", "incast60", "link-faults", "pause-storm", "pfc-collateral", "link-failure", "fault-page",
             "gpu-smi", "rack8-light", "rack8-p2p", "exit3", "incast60-hpcc"]
    VALUES = ["[]", "{}", "[1, [2]]", "{a: {b: c}}", "~", "true", "1ps", "0s", "1000000s", "0bps", "16EiB", "3.5us",
              "&a x", "*a", "!!binary aGk=", "'%s%n'", "1e-30s"]

    def __init__(self, rng, out):
        super().__init__("scenario", rng, out)
        self.texts = [open(os.path.join(ROOT, "scenarios", s + ".yaml")).read() for s in self.SEEDS]

    def case(self):
        text = self.lines(self.rng.choice(self.texts), self.VALUES)
        if self.rng.random() < 0.5:  # a value of a key replaced whole
            lines = text.split("\n")
            keyed = [i for i, l in enumerate(lines) if ":" in l]
            if keyed:
                i = self.rng.choice(keyed)
                lines[i] = lines[i].partition(":")[0] + ": " + self.rng.choice(self.VALUES + EXTREME)
                text = "\n".join(lines)
        path = os.path.join(self.out, "case.yaml")
        with open(path, "w") as f:
            f.write(text)
        return ["run", path, "--set", "run.stop_time=20us", "--out", os.path.join(self.out, "run")], [path], False


class Hpcc(Target):
    PAIRS = [("hpcc/small.txt", "hpcc/run-flows.txt"),
             ("hpcc-config/star4-topology.txt", "hpcc-config/star4-flows.txt"),
             ("hpcc-config/pair-topology.txt", "hpcc-config/pair-flows.txt"),
             ("hpcc/hpcc-fat.txt", "hpcc/run-flows.txt")]

    def __init__(self, rng, out):
        super().__init__("hpcc", rng, out)
        corpus = os.path.join(ROOT, "check/corpus")
        self.pairs = [(open(os.path.join(corpus, t)).read(), open(os.path.join(corpus, f)).read())
                      for t, f in self.PAIRS]

    def case(self):
        topology, flows = self.rng.choice(self.pairs)
        if self.rng.random() < 0.5:
            topology = self.lines(topology, ["100Gbps", "0Gbps", "1ms", "0.001"])
        else:
            flows = self.lines(flows, ["1e-9", "0.5", "3"])
        paths = [os.path.join(self.out, "topology.txt"), os.path.join(self.out, "flows.txt")]
        for path, text in zip(paths, (topology, flows)):
            with open(path, "w") as f:
                f.write(text)
        return ["run", "--topology", "hpcc:" + paths[0], "--flows", "hpcc:" + paths[1],
                "--set", "run.stop_time=200us", "--out", os.path.join(self.out, "run")], paths, False


class Platform(Target):
    """A SimGrid platform, mutated in its attributes, lines and markup, under a scenario of kind simgrid."""
    VALUES = ["0", "-1", "1e400", "0Gbps", "1Tbps", "abc", "", "0us", "-5us", "1e-30s", "nan", "FATPIPE", "SHARED",
              "Full", "None", "Dijkstra", "a1", "r1", "zz"]
    MARKUP = ["<", ">", "/", "\"", "&", "</zone>", "<link id=\"x\"/>"]

    def __init__(self, rng, out):
        super().__init__("platform", rng, out)
        self.text = open(os.path.join(ROOT, "scenarios/platforms/parking-lot.xml")).read()

    def case(self):
        rng, text = self.rng, self.text
        for _ in range(rng.randint(1, 3)):
            kind = rng.randrange(3)
            values = list(re.finditer(r'\w+="([^"]*)"', text))
            if kind == 0 and values:
                value = rng.choice(values)
                text = text[: value.start(1)] + rng.choice(self.VALUES) + text[value.end(1):]
            elif kind == 1 or not values:
                text = self.lines(text, [])
            else:
                at = rng.randrange(len(text))
                text = text[:at] + rng.choice(self.MARKUP) + text[at:]
        paths = [os.path.join(self.out, "platform.xml"), os.path.join(self.out, "platform.yaml")]
        with open(paths[0], "w") as f:
            f.write(text)
        with open(paths[1], "w") as f:
            f.write(f"name: platform\ntopology:\n  kind: simgrid\n  file: {paths[0]}\nworkload:\n  kind: uniform\n"
                    "  message_size: 64KiB\n  mean_interval: 20us\n  messages_per_blade: 3\n")
        return ["run", paths[1], "--set", "run.stop_time=200us", "--out", os.path.join(self.out, "run")], paths, False


class Elf(Target):
    SEEDS = ["hello", "exit3", "fault-page", "fault-ud", "fault-mmio", "hostile"]

    def __init__(self, rng, out, guests):
        super().__init__("elf", rng, out)
        self.blobs = [open(os.path.join(guests, s + ".elf"), "rb").read() for s in self.SEEDS]

    def case(self):
        rng, data = self.rng, bytearray(self.rng.choice(self.blobs))
        for _ in range(rng.randint(1, 6)):
            kind = rng.randrange(5)
            i = rng.randrange(min(len(data), 64 + 56 * 8) if kind <= 1 else len(data))  # the headers, or anywhere
            if kind in (0, 2):
                data[i] = rng.randrange(256)
            elif kind in (1, 3):
                width = rng.choice([2, 4, 8])
                value = rng.choice([0, 1, 0x1000, 0x400000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 2**64 - 1])
                if i + width <= len(data):
                    data[i:i + width] = (value % (1 << (8 * width))).to_bytes(width, "little")
            else:
                data = data[: rng.randrange(1, len(data))]
        path = os.path.join(self.out, "case.elf")
        with open(path, "wb") as f:
            f.write(data)
        return ["boot", path, "--runaway-instructions", "2000000", "--memory", "8MiB"], [path], True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=["ptx", "scenario", "hpcc", "platform", "elf", "all"], default="all")
    parser.add_argument("--seconds", type=float, default=300, help="how long to run, in all (default 300)")
    parser.add_argument("--vdc", default=os.path.join(ROOT, "build-asan/vdc"),
                        help="the binary (default build-asan/vdc)")
    parser.add_argument("--guests", default=os.path.join(ROOT, "build/guest"), help="the guest ELFs' folder")
    parser.add_argument("--out", default="fuzz-out", help="where findings go (default fuzz-out)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30, help="seconds a run may take before it is a finding")
    o = parser.parse_args()
    os.makedirs(o.out, exist_ok=True)
    rng = random.Random(o.seed)
    make = {"ptx": lambda: Ptx(rng, o.out), "scenario": lambda: Scenario(rng, o.out),
            "hpcc": lambda: Hpcc(rng, o.out), "platform": lambda: Platform(rng, o.out),
            "elf": lambda: Elf(rng, o.out, o.guests)}
    targets = [make[t]() for t in (make if o.target == "all" else [o.target])]
    # Unicorn 2.0.1 leaks a page's code bitmap when a guest writes to a page it has run code from (upstream issue
    # unicorn-engine/unicorn#2149): not vdc's, so not a finding.
    env = dict(os.environ, LSAN_OPTIONS="suppressions=" + os.path.join(ROOT, "scripts/fuzz-lsan.supp"))
    end, runs, findings = time.time() + o.seconds, 0, 0
    while time.time() < end:
        target = targets[runs % len(targets)]
        args, inputs, guest_status = target.case()
        runs += 1
        try:
            r = subprocess.run([o.vdc] + args, capture_output=True, timeout=o.timeout, env=env, cwd=ROOT)
            text = (r.stdout + r.stderr).decode("latin1")
            why = ("a sanitizer's report" if re.search(r"ERROR: \w*Sanitizer|runtime error:", text)
                   else f"killed by signal {-r.returncode}" if r.returncode < 0
                   else f"exit status {r.returncode}" if r.returncode not in (0, 1, 2) and not guest_status else None)
        except subprocess.TimeoutExpired:
            text, why = "", f"no end within {o.timeout:g} s"
        if why is None:
            continue
        findings += 1
        stem = os.path.join(o.out, f"finding-{findings}-{target.name}")
        for n, path in enumerate(inputs):
            os.replace(path, f"{stem}-input{n}{os.path.splitext(path)[1]}")
        with open(stem + ".txt", "w") as f:
            f.write(f"{why}\nvdc {' '.join(args)}\n\n{text[-6000:]}")
        print(f"finding {findings} ({target.name}): {why}", flush=True)
    where = f" in {o.out}" if findings else ""
    print(f"{runs} runs of {', '.join(t.name for t in targets)}: {findings} findings{where}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
