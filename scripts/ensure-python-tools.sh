#!/usr/bin/env bash
# Makes sure the Python tools the tests run (validators we did not write) are installed, pinned, in a virtualenv at
# .build/python-tools. Quick when already done; prints nothing on success except pip's failures.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every tool, pinned: add new ones here.
packages=(
    "openapi-spec-validator==0.9.0"
    "jsonschema==4.26.0"
    "schemathesis==4.32.5"
    "junitparser==5.0.3"
)

command -v python3 >/dev/null || {
    echo "openwork: python3 is missing. Run: sudo apt-get install -y python3 python3-venv" >&2
    exit 1
}

venv=.build/python-tools
stamp="$venv/.installed"
wanted="$(python3 --version 2>&1) ${packages[*]}"

[ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && exit 0

if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    install_cmd="apt-get update && apt-get install -y python3-venv"
    if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive bash -c "$install_cmd" >/dev/null
    elif command -v apt-get >/dev/null; then
        echo "openwork: python3's venv module is missing. Run: sudo bash -c '$install_cmd'" >&2
        exit 1
    else
        echo "openwork: python3's venv module is missing; install your system's python3-venv package" >&2
        exit 1
    fi
fi

rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${packages[@]}"
echo "$wanted" >"$stamp"
