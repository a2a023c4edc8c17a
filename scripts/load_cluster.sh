#!/usr/bin/env bash
# Upload throughput on PostgreSQL and S3 (SeaweedFS) with 1, 2 and 4 replicas behind HAProxy, on
# this machine: starts throwaway servers on loopback, runs scripts/load.py for each replica
# count, stops them. Extra arguments go to load.py (for example --seconds 30).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/system-packages.sh
source scripts/lib/postgres.sh
source scripts/lib/seaweedfs.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev zlib1g-dev sox python3 python3-venv postgresql haproxy curl
swift build -c release --product parloir >&2
servers="$(mktemp -d /tmp/parloir-load-servers.XXXXXX)"
chmod 755 "$servers"
trap 'stop_seaweedfs || true; stop_postgres || true; rm -rf "$servers"' EXIT
start_postgres "$servers/postgres"
start_seaweedfs "$servers/s3"
for replicas in ${PARLOIR_LOAD_REPLICAS:-1 2 4}; do
    database="parloir_load_$replicas"
    psql "$PARLOIR_TEST_POSTGRES" -qc "CREATE DATABASE $database" >/dev/null
    python3 scripts/load.py --replicas "$replicas" --database "${PARLOIR_TEST_POSTGRES%/*}/$database" \
        --blobs "s3://parloir-load/run-$replicas" "$@"
done
