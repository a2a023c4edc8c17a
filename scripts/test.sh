#!/usr/bin/env bash
# Parloir's test command: installs what the tests use (libsndfile, FFTW, sox, tmux for the terminal
# clients, PostgreSQL, a Python virtualenv for SeaweedFS, Chromium and chromedriver for the browser
# tests; lhotse in .venv-lhotse for the test that loads exports with it, only with
# PARLOIR_TEST_LHOTSE=1, since lhotse pulls in torch with CUDA, about 4.6 GB), starts a throwaway PostgreSQL server and a
# SeaweedFS S3 server on loopback, runs every test against them, and stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
source scripts/lib/postgres.sh
source scripts/lib/seaweedfs.sh
source scripts/lib/chromium.sh
source scripts/lib/lhotse.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev zlib1g-dev sox tmux python3 python3-venv postgresql curl

servers="$(mktemp -d /tmp/parloir-test-servers.XXXXXX)"
chmod 755 "$servers"
cleanup() {
    stop_seaweedfs || true
    stop_postgres || true
    rm -rf "$servers"
}
trap cleanup EXIT
start_postgres "$servers/postgres"
start_seaweedfs "$servers/s3"
ensure_chromium
if [ "${PARLOIR_TEST_LHOTSE:-0}" = 1 ]; then ensure_lhotse .venv-lhotse; fi

# A test process that traps prints the crashed thread alone, not every thread's stack and the
# registers, so that the end of the log (all a CI page may show) names the failing code.
export SWIFT_BACKTRACE="${SWIFT_BACKTRACE:-enable=yes,interactive=no,threads=crashed,registers=none,images=none}"

# At most 12 tests at once. Unbounded, the tests' servers and stores held about 1 800 file
# descriptors at the peak, and Foundation's Process.run() on Linux reads past the end of its
# /proc/self/fd listing when that listing fills its buffer, which killed the whole test process
# now and then (swift-corelibs-foundation#5472). Bounded, the peak is about 250 and the run no slower.
width=(--experimental-maximum-parallelization-width 12)

swift build --build-tests
scripts/schemathesis.sh
swift test --skip-build "${width[@]}"
# The service's own tests once more with the service on PostgreSQL and S3 (the store contract
# and the replica tests above already ran on both engines).
PARLOIR_TEST_SERVICE_ENGINE=postgres swift test --skip-build "${width[@]}" --filter ParloirServerTests
# Last and alone, since it kills a replica and restarts PostgreSQL under the uploads.
PARLOIR_TEST_FAULTS=1 swift test --skip-build --filter FaultTests
