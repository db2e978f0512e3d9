#!/usr/bin/env bash
# The test command under load: two busy-loop CPU hogs (one per core here) run while the whole suite runs,
# RUNS times in a row (default 1). A test that fails only here asserts a wall-clock bound it should not.
#   bash scripts/test-under-load.sh            # once
#   RUNS=5 bash scripts/test-under-load.sh     # five times in a row; stops at the first failure
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-1}"
hogs="${HOGS:-2}"
bash scripts/ensure-packages.sh --tests
swift build --build-tests

pids=()
stop_hogs() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_hogs EXIT
trap 'exit 130' INT TERM  # so the EXIT trap stops the hogs when this script is interrupted or killed
for _ in $(seq "$hogs"); do
    ( while :; do :; done ) &
    pids+=("$!")
done
echo "test-under-load: $hogs CPU hogs running (pids ${pids[*]}), $runs run(s)" >&2

for run in $(seq "$runs"); do
    start=$(date +%s)
    if swift test --skip-build "$@" > ".build/test-under-load-$run.log" 2>&1; then
        echo "test-under-load: run $run of $runs passed in $(( $(date +%s) - start )) s ($(grep -Eo 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?passed' ".build/test-under-load-$run.log" | tail -1))" >&2
    else
        echo "test-under-load: run $run of $runs FAILED after $(( $(date +%s) - start )) s; log: .build/test-under-load-$run.log" >&2
        grep -E "✘|error:|failed" ".build/test-under-load-$run.log" | head -40 >&2
        exit 1
    fi
done
echo "test-under-load: $runs of $runs runs passed"
