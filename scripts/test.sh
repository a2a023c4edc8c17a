#!/usr/bin/env bash
# Parloir's test command: installs what the tests use (libsndfile, FFTW, sox, tmux for the terminal
# clients), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev zlib1g-dev sox tmux python3
swift build --build-tests
swift test
