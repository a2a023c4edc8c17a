#!/usr/bin/env bash
# Try Parloir as a deployment grows: a throwaway PostgreSQL server and a SeaweedFS S3 server on
# loopback, N `parloir serve` replicas on them, and HAProxy in front (deploy/haproxy.cfg), with the
# example campaign loaded. Ctrl-C stops everything; the data goes with it.
#
#   scripts/cluster.sh [REPLICAS] [PORT]        # default 2 replicas behind http://127.0.0.1:8080/
#
# The replicas trust the balancer's X-Forwarded-For (--trusted-proxy 127.0.0.1), so rate limits
# apply per client; PARLOIR_SERVE_FLAGS adds flags to every replica (e.g. --no-rate-limits).
set -euo pipefail
cd "$(dirname "$0")/.."
replicas="${1:-2}"
port="${2:-8080}"
[[ "$replicas" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/cluster.sh [REPLICAS] [PORT]" >&2; exit 2; }
source scripts/lib/system-packages.sh
source scripts/lib/postgres.sh
source scripts/lib/seaweedfs.sh
ensure_swift
ensure_packages pkg-config libsndfile1-dev libfftw3-dev zlib1g-dev curl python3 python3-venv postgresql haproxy
swift build -c release --product parloir >&2
binary="$PWD/.build/release/parloir"

work="$(mktemp -d /tmp/parloir-cluster.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    stop_seaweedfs || true
    stop_postgres || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM
start_postgres "$work/postgres"
start_seaweedfs "$work/s3"
export PARLOIR_DATABASE_URL="$PARLOIR_TEST_POSTGRES"
export PARLOIR_BLOBS_URL="s3://parloir/audio"

config="$work/haproxy.cfg"
cp deploy/haproxy.cfg "$config"
for index in $(seq 1 "$replicas"); do
    replica_port=$(_parloir_free_port)
    mkdir -p "$work/replica-$index"
    "$binary" serve --data-dir "$work/replica-$index" --port "$replica_port" \
        --campaign prompts/assistant-maison/campaign.yaml --log-level warning --trusted-proxy 127.0.0.1 \
        ${PARLOIR_SERVE_FLAGS:-} >"$work/replica-$index/serve.log" 2>&1 &
    pids+=($!)
    echo "    server replica-$index 127.0.0.1:$replica_port check" >>"$config"
    # The first replica creates the schema, the admin and the campaign; the others find them.
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$replica_port/readyz" >/dev/null 2>&1 && break
        sleep 0.2
    done
    curl -fs "http://127.0.0.1:$replica_port/readyz" >/dev/null || { cat "$work/replica-$index/serve.log" >&2; exit 1; }
done
PARLOIR_LB_BIND="127.0.0.1:$port" haproxy -f "$config" &
pids+=($!)
admin_token="$(cat "$work"/replica-*/admin.token 2>/dev/null | head -1)"
echo "Parloir: $replicas replicas behind http://127.0.0.1:$port/ (PostgreSQL $PARLOIR_TEST_POSTGRES, audio $PARLOIR_BLOBS_URL on $PARLOIR_TEST_S3)"
echo "Admin token: $admin_token"
echo "Replica logs: $work/replica-*/serve.log. Ctrl-C stops everything."
wait "${pids[-1]}"
