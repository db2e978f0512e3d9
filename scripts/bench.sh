#!/usr/bin/env bash
# Builds release binaries and runs the benchmark program; writes its report into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-jansson.sh
swift build -c release --product openwork >&2
swift build -c release --product openwork-bench >&2
swift build -c release --product fake-opencode >&2
bin="$(swift build -c release --show-bin-path)"
report="$("$bin/openwork-bench" "$bin/openwork" "$@")"
{
    echo "# Benchmarks"
    echo
    echo "Reproduce with \`bash scripts/bench.sh\` (release build; a few minutes on 2 cores)."
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(swift --version 2>&1 | head -1)"
    echo "- jansson $(pkg-config --modversion jansson 2>/dev/null || echo unknown)"
    echo
    echo "$report"
} > BENCHMARKS.md
cat BENCHMARKS.md
