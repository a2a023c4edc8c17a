#!/usr/bin/env bash
# Exports a campaign as Lhotse, Kaldi and Common Voice and loads the three with the lhotse package
# (PyPI), as an ASR team's recipe would. Usage: scripts/lhotse_check.sh [DATA_DIR] [CAMPAIGN] [SAMPLE_RATE]
# (defaults: parloir-data, assistant-maison, 16000). lhotse goes into .venv-lhotse.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
source scripts/lib/lhotse.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev zlib1g-dev python3 python3-venv
DATA_DIR="${1:-parloir-data}"
CAMPAIGN="${2:-assistant-maison}"
RATE="${3:-16000}"
swift build >/dev/null
ensure_lhotse .venv-lhotse
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
for format in lhotse kaldi commonvoice; do
    .build/debug/parloir export --data-dir "$DATA_DIR" --campaign "$CAMPAIGN" --format "$format" --status accepted \
        --sample-rate "$RATE" --out "$OUT/$format"
done
.venv-lhotse/bin/python scripts/load_with_lhotse.py "$OUT/lhotse" "$OUT/kaldi" "$RATE" "$OUT/commonvoice"
