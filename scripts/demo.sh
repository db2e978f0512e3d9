#!/usr/bin/env bash
# The main job of the README's Quick start: installs libjansson-dev when missing, builds openwork, the fake
# opencode (and host mode's fake openwork-server and opencode-router) and the scenario runner, then runs every documented scenario (Scenarios/) against the bundled fake
# through `openwork-harness`. Extra arguments go to the harness (e.g. `--opencode-bin /path/to/opencode`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh
swift build --product openwork >&2
swift build --product fake-opencode >&2
swift build --product fake-openwork-server >&2
swift build --product fake-opencode-router >&2
swift build --product openwork-harness >&2
bin="$(swift build --show-bin-path)"
echo "# openwork $("$bin/openwork" --version): the documented scenarios through openwork-harness" >&2
exec "$bin/openwork-harness" "$@"
