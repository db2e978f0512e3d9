#!/usr/bin/env bash
# Makes sure the system packages the build needs are installed: libjansson (JSON), zlib (sidecar archives) and
# ncurses (the host-mode dashboard); with --tests also tmux (the dashboard's end-to-end tests drive a terminal)
# and, on Linux, bubblewrap (the sandbox's end-to-end tests run host mode under bwrap).
# Installs what is missing with apt-get when we are root (or have passwordless sudo), otherwise stops with the
# exact command to run.
set -euo pipefail

want_tmux=false
[ "${1:-}" = --tests ] && want_tmux=true

has_pkg() { command -v pkg-config >/dev/null && pkg-config --exists "$1"; }
darwin() { [ "$(uname)" = Darwin ]; }

missing=()
{ [ -f /usr/include/jansson.h ] || has_pkg jansson; } || missing+=(libjansson-dev)
# macOS has zlib and ncurses in the SDK.
{ darwin || [ -f /usr/include/zlib.h ] || has_pkg zlib; } || missing+=(zlib1g-dev)
{ darwin || [ -f /usr/include/ncursesw/ncurses.h ] || has_pkg ncursesw; } || missing+=(libncurses-dev)
if $want_tmux && ! command -v tmux >/dev/null; then missing+=(tmux); fi
if $want_tmux && ! darwin && ! command -v bwrap >/dev/null; then missing+=(bubblewrap); fi

[ ${#missing[@]} -eq 0 ] && exit 0

install_cmd="apt-get update && apt-get install -y ${missing[*]}"
if command -v apt-get >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        echo "openwork: installing ${missing[*]}" >&2
        DEBIAN_FRONTEND=noninteractive bash -c "$install_cmd" >&2
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        echo "openwork: installing ${missing[*]} with sudo" >&2
        sudo DEBIAN_FRONTEND=noninteractive bash -c "$install_cmd" >&2
    else
        echo "openwork: ${missing[*]} missing. Run: sudo bash -c '$install_cmd'" >&2
        exit 1
    fi
elif command -v brew >/dev/null; then
    brew_packages=jansson
    $want_tmux && brew_packages="jansson tmux"
    echo "openwork: ${missing[*]} missing. Run: brew install $brew_packages" >&2
    exit 1
else
    echo "openwork: ${missing[*]} missing; install your system's packages for them" >&2
    exit 1
fi
exec bash "$0" "$@"
