#!/usr/bin/env bash
# Runs the JSON tests under AddressSanitizer's LeakSanitizer. (valgrind 3.19 cannot run Swift 6.3 binaries:
# it gives up on their DWARF 5 debug info and crashes on stripped ones.) The JSON module and its tests are
# copied into a throwaway package so only jansson, OpenWorkJSON and the tests are built with the sanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/Sources" "$work/Tests"
cp -r Sources/CJansson Sources/OpenWorkJSON "$work/Sources/"
cp -r Tests/OpenWorkJSONTests "$work/Tests/"
cat > "$work/Package.swift" <<'SWIFT'
// swift-tools-version: 6.1
import PackageDescription
let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"), .enableUpcomingFeature("InternalImportsByDefault"),
]
let package = Package(name: "leakcheck", targets: [
    .systemLibrary(name: "CJansson", path: "Sources/CJansson", pkgConfig: "jansson"),
    .target(name: "OpenWorkJSON", dependencies: ["CJansson"], swiftSettings: settings),
    .testTarget(name: "OpenWorkJSONTests", dependencies: ["OpenWorkJSON"], swiftSettings: settings),
])
SWIFT
cd "$work"
swift build --build-tests --sanitize=address >&2
# `swift test` runs XCTest (no tests here; its runner leaks a few hundred bytes of its own) and then Swift
# Testing in a second process: only the second report is about our code.
ASAN_OPTIONS=detect_leaks=1 swift test --skip-build --sanitize=address > log.txt 2>&1 || true
testing_part="$(sed -n '/Test run started/,$p' log.txt)"
echo "$testing_part" | grep -E "Test run with" || { cat log.txt; exit 1; }
if echo "$testing_part" | grep -q "LeakSanitizer"; then
    echo "$testing_part" | grep -A20 "LeakSanitizer"
    echo "leak-check: LEAKS in the JSON tests"
    exit 1
fi
echo "leak-check: no leaks reported by LeakSanitizer in the Swift Testing run of the JSON tests"
