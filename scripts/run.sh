#!/usr/bin/env bash
# Parloir's main job: builds the release binary and judges the sample corpus with the DSP core.
# Extra arguments go to `parloir analyze` (for example --json, or your own files and folders).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev
swift build -c release --product parloir >&2
if [ $# -eq 0 ]; then set -- corpora/samples; fi
exec .build/release/parloir analyze "$@"
