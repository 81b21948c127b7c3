#!/usr/bin/env bash
# Checks the dependency rule of docs/architecture.md ("Parts and their order") over every #include in src/: a part
# includes only itself and the parts listed for it below. Prints each include that breaks it; exits 1 if any does.
set -u
cd "$(dirname "$0")/.."

# part: the parts it may include besides itself. A part is a folder of src/ (devices/NAME for each device), and
# src/devices/devices.c, the device table, is a part of its own above the devices it lists.
rules='
common:
scheduler: common
report: common scheduler
ptx: common
gpu: common ptx
fabric: common scheduler report
hilink: common scheduler
kvm: common scheduler
devices: common scheduler kvm
devices/hinic: common scheduler kvm fabric devices
devices/hilink: common scheduler hilink
devices/higpu: common scheduler kvm gpu ptx devices devices/hilink hilink
devices/table: common scheduler kvm devices devices/hinic devices/higpu devices/hilink hilink
scenario: common scheduler
run: common scheduler report ptx gpu fabric hilink kvm devices scenario
bench: common scheduler report ptx gpu fabric hilink kvm devices devices/hinic devices/higpu devices/hilink
cli: common scheduler report ptx gpu fabric hilink kvm devices devices/hinic devices/higpu devices/hilink scenario run bench
main.c: cli common run
'

git ls-files 'src/*.c' 'src/*.h' 'src/*.S' | xargs grep -H -o '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*"' |
  awk -v rules="$rules" '
    function part(path,   n, p) {          # path under src/ -> its part
      sub(/^src\//, "", path)
      n = split(path, p, "/")
      if (n == 1) return path
      if (path == "devices/devices.c") return "devices/table"   # the device table names every device
      if (p[1] == "devices" && n > 2) return "devices/" p[2]
      return p[1]
    }
    function resolve(dir, rel,   n, p, m, q, i, out) {   # dir/rel with "." and ".." folded
      n = split(dir "/" rel, p, "/")
      m = 0
      for (i = 1; i <= n; i++) {
        if (p[i] == "" || p[i] == ".") continue
        if (p[i] == ".." && m > 0) { m--; continue }
        q[++m] = p[i]
      }
      out = q[1]
      for (i = 2; i <= m; i++) out = out "/" q[i]
      return out
    }
    BEGIN {
      n = split(rules, lines, "\n")
      for (i = 1; i <= n; i++) {
        if (lines[i] == "") continue
        split(lines[i], kv, ":")
        allowed[kv[1]] = " " kv[2] " "
      }
    }
    {
      colon = index($0, ":")
      file = substr($0, 1, colon - 1)
      included = $0; sub(/^[^"]*"/, "", included); sub(/".*$/, "", included)
      dir = file; sub(/\/[^\/]*$/, "", dir)
      # Includes name files from src/ ("fabric/port.h"); a bare name or a ./ or ../ path is relative to the file.
      if (included ~ /^\.\.?\// || included !~ /\//) target = resolve(dir, included)
      else target = "src/" included
      if (target !~ /^src\//) next
      from = part(file); to = part(target)
      if (from == to) next
      if (!(from in allowed)) { printf "%s: part %s has no rule in scripts/check-layers.sh; add one (and to docs/architecture.md)\n", file, from; bad = 1; next }
      if (index(allowed[from], " " to " ") == 0) {
        printf "%s includes %s: %s may not depend on %s (docs/architecture.md, \"Parts and their order\")\n", file, included, from, to
        bad = 1
      }
    }
    END { exit bad }'
