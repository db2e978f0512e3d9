#!/usr/bin/env bash
# The test command of the README's Quick start: installs the system packages (jansson, zlib, ncurses, tmux) and
# the Python validators when missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh --tests
bash scripts/ensure-python-tools.sh
swift build --build-tests
swift test --skip-build "$@"
