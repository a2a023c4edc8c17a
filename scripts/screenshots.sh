#!/usr/bin/env bash
# Makes the README's pictures of the browser pages again: runs the browser journeys in headless
# Chromium (installed if missing), which leave their screenshots in docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev zlib1g-dev sox
source scripts/lib/chromium.sh
ensure_chromium
swift build --build-tests
mkdir -p docs/screenshots
PARLOIR_SCREENSHOTS="$PWD/docs/screenshots" swift test --skip-build --filter JourneyTests
# Only the pictures the README shows are kept.
find docs/screenshots -name 'failure-*.png' -delete
