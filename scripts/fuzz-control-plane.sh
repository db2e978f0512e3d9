#!/usr/bin/env bash
# Fuzzes the daemon's control plane with schemathesis (pinned in scripts/ensure-python-tools.sh) against the
# OpenAPI document it serves (GET /openapi.json): a daemon with the fake opencode on a fresh data directory,
# FUZZ_MAX_EXAMPLES fuzzed cases per operation (default 12) after the coverage phase's: a few hundred in all.
# Checks: no 5xx, every status and body as the document says, the bearer token enforced. A run longer than
# FUZZ_MAX_TIME seconds (default 300) is stopped and fails.
#
# Not fuzzed: routes that reach beyond this machine or end the run (a remote workspace's URL, an OpenWork
# server's URL in an approval reply, a sidecar download, host mode, POST /shutdown); the sidecar manifest and
# base URLs point at a closed loopback port all the same.
#
# FUZZ_DOCUMENT=FILE fuzzes against FILE instead of the served document (the tests prove the checks bite with a
# document that misdescribes an answer).
#
#   bash scripts/fuzz-control-plane.sh            (after swift build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${OPENWORK_BUILD_DIR:-.build/debug}" && pwd)
python_tools=.build/python-tools
examples=${FUZZ_MAX_EXAMPLES:-12}
max_time=${FUZZ_MAX_TIME:-300}

bash scripts/ensure-python-tools.sh
for binary in openwork fake-opencode; do
    [ -x "$build/$binary" ] || { echo "fuzz: $build/$binary is not built (swift build)" >&2; exit 1; }
done

work=$(mktemp -d)
export OPENWORK_DATA_DIR="$work/data"
export OPENWORK_OPENCODE_BIN="$build/fake-opencode"
export OPENWORK_SIDECAR_MANIFEST_URL="http://127.0.0.1:9/manifest.json"
export OPENWORK_SIDECAR_BASE_URL="http://127.0.0.1:9"
stop() {
    "$build/openwork" daemon stop --json >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap stop EXIT

started=$("$build/openwork" daemon start --json)
base_url=$("$python_tools/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["baseUrl"])' <<<"$started")
token=$(cat "$OPENWORK_DATA_DIR/daemon-token")
mkdir -p "$work/cwd"
root=$PWD

document=${FUZZ_DOCUMENT:-$base_url/openapi.json}

cd "$work/cwd"
timeout --kill-after=10 "$max_time" "$root/$python_tools/bin/schemathesis" run "$document" \
    --url "$base_url" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth \
    --phases examples,coverage,fuzzing \
    --max-examples "$examples" \
    --request-timeout 30 \
    --workers 1 \
    --seed 22 \
    --exclude-path /shutdown \
    --exclude-path /workspaces/remote \
    --exclude-path '/approvals/{id}' \
    --exclude-path '/sidecars/{name}/resolve' \
    --exclude-path-regex '^/host' \
    --exclude-path /events \
    --suppress-health-check all \
    --warnings off
