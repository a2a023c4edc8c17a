#!/usr/bin/env bash
# Prints the export resampler's measured figures: passband gain, stop-band rejection, images,
# and the residual against sox's `rate` on sweeps (the tests in ResamplerTests, with figures).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev zlib1g-dev sox
swift build --build-tests >/dev/null
PARLOIR_FIGURES=1 swift test --skip-build --filter ResamplerTests 2>/dev/null | grep '^figure: ' | sed 's/^figure: //' | sort
