#!/usr/bin/env bash
# The test command of the README's Quick start: installs libjansson-dev when missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-jansson.sh
swift build --build-tests
swift test --skip-build "$@"
