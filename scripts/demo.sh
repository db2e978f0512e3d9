#!/usr/bin/env bash
# The main job of the README's Quick start: installs libjansson-dev when missing, builds openwork, and runs a
# short scripted JSON-RPC session through `openwork rpc` (discovery, health, a bad request, a batch).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-jansson.sh
swift build --product openwork >&2
bin="$(swift build --show-bin-path)/openwork"
echo "# openwork $("$bin" --version): a scripted session over stdio" >&2
{
    echo '{"jsonrpc":"2.0","id":1,"method":"rpc.discover"}'
    echo '{"jsonrpc":"2.0","id":2,"method":"health"}'
    echo '{"jsonrpc":"2.0","id":3,"method":"no.such.method"}'
    echo 'this is not json'
    echo '[{"jsonrpc":"2.0","id":4,"method":"health"},{"jsonrpc":"2.0","method":"health"}]'
} | "$bin" rpc | while IFS= read -r line; do
    printf '%s\n' "${line:0:200}$([ ${#line} -gt 200 ] && echo '…')"
done
