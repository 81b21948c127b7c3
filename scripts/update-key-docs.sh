#!/usr/bin/env bash
# Replaces the key table in a Markdown file (between the keys:begin and keys:end markers) with `vdc help keys`.
# Usage: scripts/update-key-docs.sh VDC_BINARY docs/scenarios.md
set -euo pipefail
vdc=$1
doc=$2
table=$(mktemp)
trap 'rm -f "$table" "$table.new"' EXIT
"$vdc" help keys >"$table"
awk -v table="$table" '
  /<!-- keys:begin -->/ { print; while ((getline line < table) > 0) print line; skipping = 1; next }
  /<!-- keys:end -->/ { skipping = 0 }
  !skipping { print }
' "$doc" >"$table.new"
mv "$table.new" "$doc"
