#!/usr/bin/env bash
# Parloir's main job: builds the release binary and runs the collection service on its embedded
# store (./parloir-data) with the example campaign loaded; it prints how to upload a take with
# curl. Extra arguments go to `parloir serve` (for example --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev zlib1g-dev curl
swift build -c release --product parloir >&2
exec .build/release/parloir serve --data-dir parloir-data --campaign prompts/assistant-maison/campaign.yaml "$@"
