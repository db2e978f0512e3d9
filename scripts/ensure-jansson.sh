#!/usr/bin/env bash
# Makes sure libjansson's headers are installed: installs libjansson-dev with apt-get when we are root (or have
# passwordless sudo), otherwise stops with the exact command to run.
set -euo pipefail

have_jansson() {
    { [ -f /usr/include/jansson.h ] || { command -v pkg-config >/dev/null && pkg-config --exists jansson; }; } \
        && have_zlib
}

# zlib's headers too (the sidecar archive reader links libz); macOS has them in the SDK.
have_zlib() {
    [ "$(uname)" = Darwin ] || [ -f /usr/include/zlib.h ] || { command -v pkg-config >/dev/null && pkg-config --exists zlib; }
}

have_jansson && exit 0

install_cmd="apt-get update && apt-get install -y libjansson-dev zlib1g-dev"
if command -v apt-get >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        echo "openwork: installing libjansson-dev" >&2
        DEBIAN_FRONTEND=noninteractive bash -c "$install_cmd" >&2
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        echo "openwork: installing libjansson-dev with sudo" >&2
        sudo DEBIAN_FRONTEND=noninteractive bash -c "$install_cmd" >&2
    else
        echo "openwork: libjansson-dev is missing. Run: sudo bash -c '$install_cmd'" >&2
        exit 1
    fi
elif command -v brew >/dev/null; then
    echo "openwork: jansson is missing. Run: brew install jansson" >&2
    exit 1
else
    echo "openwork: libjansson (headers and pkg-config file) is missing; install your system's jansson development package" >&2
    exit 1
fi
have_jansson || { echo "openwork: libjansson-dev still missing after install" >&2; exit 1; }
