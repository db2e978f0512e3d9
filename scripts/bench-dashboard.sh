#!/usr/bin/env bash
# The host-mode dashboard's CPU cost: `openwork start` (release build) against the fakes in a detached tmux
# window, its own CPU time (utime + stime from /proc) over a window of seconds, while idle and while opencode
# writes 1,000 log lines a second, beside plain logs (--no-tui) in the same run as the baseline.
#
#   bash scripts/bench-dashboard.sh            prints the report
#   bash scripts/bench-dashboard.sh --write    also puts it in BENCHMARKS.md (its own section, which
#                                              scripts/bench.sh keeps)
#   SECONDS_PER_CASE=20 RATE=2000 bash scripts/bench-dashboard.sh
set -euo pipefail
cd "$(dirname "$0")/.."
write=false
[ "${1:-}" = --write ] && write=true
window="${SECONDS_PER_CASE:-10}"
rate="${RATE:-1000}"

bash scripts/ensure-packages.sh --tests
command -v python3 >/dev/null || { echo "bench-dashboard.sh: python3 is needed for the log generator" >&2; exit 1; }
for product in openwork fake-opencode fake-openwork-server; do swift build -c release --product "$product" >&2; done
bin="$(swift build -c release --show-bin-path)"
work="$(mktemp -d /tmp/ow-bench-dash.XXXXXX)"
trap 'tmux -S "$work/tmux.sock" kill-server 2>/dev/null || true; rm -rf "$work"' EXIT
ticks=$(getconf CLK_TCK)

# opencode that also writes $RATE log lines a second on stderr (a background generator in its process group,
# so the supervisor's stop ends it with opencode).
cat >"$work/chatty-opencode" <<SCRIPT
#!/bin/sh
python3 - "\$CHATTY_RATE" <<'PY' >&2 &
import sys, time
rate = int(sys.argv[1]); sent = 0; start = time.monotonic()
while rate > 0:
    due = int((time.monotonic() - start) * rate)
    while sent < due:
        sys.stdout.write("INFO  2026-11-30T08:00:00 +1ms service=bench line %d of the log flood\n" % sent)
        sent += 1
    sys.stdout.flush()
    time.sleep(0.005)
PY
exec "$bin/fake-opencode" "\$@"
SCRIPT
chmod +x "$work/chatty-opencode"

cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure NAME RATE KEYS ARGS...: starts openwork start in tmux, waits until it serves, presses KEYS, then
# measures its CPU over $window seconds. Prints "NAME|rate|cpu%".
measure() {
    local name=$1 lines=$2 keys=$3
    shift 3
    local data="$work/data-$name" ws="$work/ws"
    mkdir -p "$ws"
    tmux -S "$work/tmux.sock" -f /dev/null new-session -d -s "$name" -x 120 -y 40 \
        "env CHATTY_RATE=$lines LANG=C.UTF-8 $bin/openwork start --data-dir $data --workspace $ws --opencode-bin $work/chatty-opencode --openwork-server-bin $bin/fake-openwork-server $* 2>/dev/null"
    local pid="" i
    for i in $(seq 1 600); do
        pid="$(pgrep -f "^$bin/openwork start --data-dir $data " || true)"
        [ -n "$pid" ] && tmux -S "$work/tmux.sock" capture-pane -p -t "$name" | grep -qE "All green|OpenWork orchestrator running" && break
        sleep 0.1
    done
    [ -n "$pid" ] || { echo "bench-dashboard.sh: $name did not start" >&2; exit 1; }
    [ -n "$keys" ] && tmux -S "$work/tmux.sock" send-keys -t "$name" "$keys"
    sleep 3
    local before after
    before=$(cpu_of "$pid")
    sleep "$window"
    after=$(cpu_of "$pid")
    tmux -S "$work/tmux.sock" send-keys -t "$name" C-c
    for i in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    tmux -S "$work/tmux.sock" kill-session -t "$name" 2>/dev/null || true
    awk -v n="$name" -v r="$lines" -v b="$before" -v a="$after" -v t="$ticks" -v w="$window" \
        'BEGIN { printf "%s|%d|%.1f\n", n, r, (a - b) * 100 / t / w }'
}

load="$(cut -d' ' -f1-3 /proc/loadavg)"
results=(
    "$(measure dashboard-idle 0 "")"
    "$(measure plain-idle 0 "" --no-tui)"
    "$(measure dashboard-logs "$rate" l)"
    "$(measure dashboard-overview "$rate" "")"
    "$(measure plain "$rate" "" --no-tui)"
)
report="$(
    echo "## Host-mode dashboard CPU (\`bash scripts/bench-dashboard.sh\`)"
    echo
    echo "\`openwork start\` (release) against the fakes in a detached 120×40 tmux window; the CPU time of the openwork"
    echo "process alone (utime + stime, /proc) over ${window} s after a 3 s settle, as a share of one core. The log"
    echo "flood is opencode writing ${rate} lines a second on stderr; plain logs (\`--no-tui\`) in the same run are the"
    echo "baseline: the same lines formatted and written to the terminal."
    echo
    echo "| case | log lines/s | CPU (% of a core) |"
    echo "|---|---:|---:|"
    for row in "${results[@]}"; do
        IFS='|' read -r name lines cpu <<<"$row"
        case "$name" in
        dashboard-idle) label="dashboard, idle (Overview: uptimes redrawn each second)" ;;
        plain-idle) label="plain logs, idle" ;;
        dashboard-logs) label="dashboard, Logs tab following the flood (≤ 30 frames/s)" ;;
        dashboard-overview) label="dashboard, Overview while the flood arrives (no redraw for lines)" ;;
        plain) label="plain logs (--no-tui), the flood written to the terminal" ;;
        esac
        echo "| $label | $lines | $cpu |"
    done
    echo
    echo "Run on $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)," \
        "$(nproc) cores, load average at start: $load."
)"
echo "$report"
if $write; then
    kept="$(sed '/^<!-- dashboard -->$/,/^<!-- \/dashboard -->$/d' BENCHMARKS.md)"
    { echo "$kept"; echo; echo "<!-- dashboard -->"; echo "$report"; echo "<!-- /dashboard -->"; } >BENCHMARKS.md.tmp
    mv BENCHMARKS.md.tmp BENCHMARKS.md
fi
