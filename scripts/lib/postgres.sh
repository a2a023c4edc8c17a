# A throwaway PostgreSQL server for Parloir's tests (sourced by the scripts, bash only).
#
#   source scripts/lib/postgres.sh
#   start_postgres /tmp/parloir-pg      # installs, initdb, starts; exports the variables below
#   restart_postgres                    # pg_ctl restart (fast), same port and data
#   stop_postgres                       # pg_ctl -m fast stop; safe to call twice
#
# Exported by start_postgres:
#   PARLOIR_TEST_POSTGRES          postgres://parloir:PASSWORD@127.0.0.1:PORT/parloir_test
#   PARLOIR_TEST_POSTGRES_RESTART  a command line that restarts the server (pg_ctl -m fast restart:
#                                  clients are disconnected, a checkpoint is written); run it with
#                                  /bin/sh -c; it returns once the server accepts connections again
#   PARLOIR_TEST_POSTGRES_CRASH_RESTART  the same with -m immediate: no checkpoint, WAL replay at
#                                  start, as after a crash (committed work must survive it)
#   PARLOIR_TEST_POSTGRES_STOP     a command line that stops the server (fast)
#   PARLOIR_TEST_POSTGRES_START    a command line that starts it again after a stop
#   PARLOIR_TEST_PGCTL             the pg_ctl command prefix (descriptor closing and, as root, the
#                                  runuser wrapper included): "$PARLOIR_TEST_PGCTL status" etc.,
#                                  via /bin/sh -c
#   PARLOIR_PG_DIR PARLOIR_PG_DATA PARLOIR_PG_PORT PARLOIR_PG_BIN PARLOIR_PG_USER (OS user or empty)
#
# Authentication: the role `parloir` has a random password and loopback TCP uses scram-sha-256,
# so the password in the URL is really checked (a client that cannot do SCRAM fails here as it
# would against a real server). The unix socket, which lives inside DIR (mode 0700 directory),
# uses trust: that is what the script itself uses for setup (createdb, psql) and it is reachable
# only by root and the server's own OS user.

# shellcheck source=system-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/system-packages.sh"

PARLOIR_PG_OS_USER_DEFAULT="parloir-pg"

# Prints the highest /usr/lib/postgresql/N/bin that has pg_ctl.
_parloir_pg_bindir() {
    local best="" best_version=-1 dir version
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/pg_ctl" ] || continue
        version="${dir#/usr/lib/postgresql/}"
        version="${version%%/*}"
        version="${version%%.*}"
        [[ "$version" =~ ^[0-9]+$ ]] || continue
        if [ "$version" -gt "$best_version" ]; then
            best_version="$version"
            best="$dir"
        fi
    done
    [ -n "$best" ] || return 1
    echo "$best"
}

# A bash -c program that closes every file descriptor above 2, then execs its arguments.
# pg_ctl start/restart leave the postmaster running in the background with every descriptor the
# caller had open besides 0-2. A caller that waits for EOF on one of them then hangs for as long
# as the server runs: Foundation's Process on Linux does (it learns of the child's exit through
# a socket the child inherits), and so does a harness reading a pipe. Everything that starts the
# server goes through this.
_PARLOIR_PG_CLOSEFDS='for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && { eval "exec $fd>&-"; } 2>/dev/null; done; exec "$@"'

# Runs a command as the server's OS user (root) or as is (non-root), descriptors above 2 closed.
_parloir_pg_as() {
    if [ -n "${PARLOIR_PG_USER:-}" ]; then
        bash -c "$_PARLOIR_PG_CLOSEFDS" parloir-pg runuser -u "$PARLOIR_PG_USER" -- "$@"
    else
        bash -c "$_PARLOIR_PG_CLOSEFDS" parloir-pg "$@"
    fi
}

_parloir_pg_fail() {
    echo "parloir: postgres: $*" >&2
    if [ -n "${PARLOIR_PG_DIR:-}" ] && [ -f "$PARLOIR_PG_DIR/postgres.log" ]; then
        echo "parloir: postgres: last lines of $PARLOIR_PG_DIR/postgres.log:" >&2
        tail -n 25 "$PARLOIR_PG_DIR/postgres.log" | sed 's/^/    /' >&2
    fi
    return 1
}

# start_postgres DIR: a fresh cluster in DIR/data, listening on 127.0.0.1:PORT, database parloir_test.
start_postgres() {
    local dir="${1:?usage: start_postgres DIR}"
    local started_at=$SECONDS

    if ! _parloir_pg_bindir >/dev/null 2>&1; then
        ensure_packages postgresql || { echo "parloir: postgres: could not install postgresql" >&2; return 1; }
    fi
    local bin
    bin="$(_parloir_pg_bindir)" || { echo "parloir: postgres: no /usr/lib/postgresql/*/bin/pg_ctl after installing postgresql" >&2; return 1; }
    command -v python3 >/dev/null 2>&1 || ensure_packages python3-minimal

    mkdir -p "$dir" || { echo "parloir: postgres: cannot create $dir" >&2; return 1; }
    dir="$(cd "$dir" && pwd)"
    if [ -e "$dir/data/PG_VERSION" ]; then
        # A leftover cluster from an earlier run: stop it if it still runs, then start afresh.
        if [ -f "$dir/data/postmaster.pid" ]; then
            local leftover_user=""
            [ "$(id -u)" -eq 0 ] && leftover_user="$(stat -c %U "$dir/data")"
            if [ -n "$leftover_user" ] && [ "$leftover_user" != root ]; then
                runuser -u "$leftover_user" -- "$bin/pg_ctl" -D "$dir/data" -m immediate stop </dev/null >/dev/null 2>&1 || true
            else
                "$bin/pg_ctl" -D "$dir/data" -m immediate stop </dev/null >/dev/null 2>&1 || true
            fi
        fi
        rm -rf "$dir/data"
    fi
    rm -f "$dir/postgres.log"

    PARLOIR_PG_USER=""
    if [ "$(id -u)" -eq 0 ]; then
        PARLOIR_PG_USER="$PARLOIR_PG_OS_USER_DEFAULT"
        if ! id -u "$PARLOIR_PG_USER" >/dev/null 2>&1; then
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
                --user-group "$PARLOIR_PG_USER" \
                || { echo "parloir: postgres: cannot create the system user $PARLOIR_PG_USER" >&2; return 1; }
        fi
        chown "$PARLOIR_PG_USER:" "$dir"
        # The server's user must be able to reach DIR: check every parent allows traversal.
        if ! runuser -u "$PARLOIR_PG_USER" -- test -w "$dir"; then
            echo "parloir: postgres: $PARLOIR_PG_USER cannot write $dir (a parent directory is not searchable by others?)" >&2
            return 1
        fi
    fi
    chmod 700 "$dir"

    local password port="" pwfile socket_dir="$dir"
    password="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
    [ ${#password} -eq 32 ] || { echo "parloir: postgres: cannot read /dev/urandom" >&2; return 1; }
    pwfile="$dir/pwfile"
    (umask 077 && printf '%s\n' "$password" >"$pwfile")
    [ -n "$PARLOIR_PG_USER" ] && chown "$PARLOIR_PG_USER:" "$pwfile"

    PARLOIR_PG_DIR="$dir"
    PARLOIR_PG_DATA="$dir/data"
    PARLOIR_PG_BIN="$bin"

    # The bootstrap superuser is the role `parloir` itself (-U), so the test role can create and drop
    # anything, including databases, which keeps test isolation simple. --no-sync only skips
    # initdb's own final flush of the new cluster; the running server keeps fsync = on.
    if ! _parloir_pg_as "$bin/initdb" --no-sync -D "$dir/data" -U parloir --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1; then
        rm -f "$pwfile"
        echo "parloir: postgres: initdb failed:" >&2
        tail -n 25 "$dir/initdb.log" | sed 's/^/    /' >&2
        return 1
    fi
    rm -f "$pwfile"

    cat >>"$dir/data/postgresql.conf" <<EOF

# Parloir test server
listen_addresses = '127.0.0.1'
include = 'parloir-port.conf'
unix_socket_directories = '$socket_dir'
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 128MB
max_connections = 200
password_encryption = scram-sha-256
logging_collector = off
log_line_prefix = '%m [%p] '
EOF

    # The free port is picked before the server binds it: another process may take it in between,
    # so a start that fails on "Address already in use" is tried again on a new port.
    local attempt started=""
    for attempt in 1 2 3; do
        port="$(_parloir_free_port)" || { echo "parloir: postgres: cannot pick a free port" >&2; return 1; }
        PARLOIR_PG_PORT="$port"
        echo "port = $port" >"$dir/data/parloir-port.conf"
        : >"$dir/postgres.log"
        if [ -n "$PARLOIR_PG_USER" ]; then
            chown "$PARLOIR_PG_USER:" "$dir/data/parloir-port.conf" "$dir/postgres.log"
        fi
        if _parloir_pg_as "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/postgres.log" start >/dev/null 2>&1; then
            started=1
            break
        fi
        grep -q "Address already in use" "$dir/postgres.log" || break
        echo "parloir: postgres: port $port was taken, trying another (attempt $attempt)" >&2
    done
    if [ -z "$started" ]; then
        _parloir_pg_fail "pg_ctl start failed (port $port)"
        return 1
    fi

    if ! _parloir_pg_as "$bin/createdb" -h "$socket_dir" -p "$port" -U parloir -O parloir parloir_test; then
        _parloir_pg_fail "createdb parloir_test failed"
        return 1
    fi

    # Command lines for /bin/sh -c (paths quoted with %q, which sh reads the same for plain paths;
    # the close-descriptors program has no single quote in it).
    local prefix="bash -c '$_PARLOIR_PG_CLOSEFDS' parloir-pg "
    [ -n "$PARLOIR_PG_USER" ] && prefix+="runuser -u $(printf %q "$PARLOIR_PG_USER") -- "
    PARLOIR_TEST_PGCTL="${prefix}$(printf %q "$bin/pg_ctl") -D $(printf %q "$dir/data")"
    PARLOIR_TEST_POSTGRES="postgres://parloir:$password@127.0.0.1:$port/parloir_test"
    PARLOIR_TEST_POSTGRES_RESTART="$PARLOIR_TEST_PGCTL -w -t 180 -m fast -l $(printf %q "$dir/postgres.log") restart >/dev/null"
    PARLOIR_TEST_POSTGRES_STOP="$PARLOIR_TEST_PGCTL -w -t 180 -m fast stop >/dev/null"
    PARLOIR_TEST_POSTGRES_START="$PARLOIR_TEST_PGCTL -w -t 60 -l $(printf %q "$dir/postgres.log") start >/dev/null"
    PARLOIR_TEST_POSTGRES_CRASH_RESTART="$PARLOIR_TEST_PGCTL -w -t 60 -m immediate -l $(printf %q "$dir/postgres.log") restart >/dev/null"
    export PARLOIR_PG_DIR PARLOIR_PG_DATA PARLOIR_PG_BIN PARLOIR_PG_PORT PARLOIR_PG_USER
    export PARLOIR_TEST_PGCTL PARLOIR_TEST_POSTGRES PARLOIR_TEST_POSTGRES_RESTART PARLOIR_TEST_POSTGRES_STOP \
        PARLOIR_TEST_POSTGRES_START PARLOIR_TEST_POSTGRES_CRASH_RESTART

    echo "parloir: postgres $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data $dir/data, started in $((SECONDS - started_at)) s)" >&2
}

# restart_postgres: fast restart of the server started by start_postgres (same port, same data).
restart_postgres() {
    [ -n "${PARLOIR_PG_DATA:-}" ] || { echo "parloir: postgres: restart_postgres before start_postgres" >&2; return 1; }
    _parloir_pg_as "$PARLOIR_PG_BIN/pg_ctl" -D "$PARLOIR_PG_DATA" -w -t 180 -m fast -l "$PARLOIR_PG_DIR/postgres.log" restart >/dev/null \
        || _parloir_pg_fail "pg_ctl restart failed"
}

# stop_postgres: fast stop; does nothing when the server is already stopped or was never started.
stop_postgres() {
    [ -n "${PARLOIR_PG_DATA:-}" ] || return 0
    [ -f "$PARLOIR_PG_DATA/postmaster.pid" ] || return 0
    _parloir_pg_as "$PARLOIR_PG_BIN/pg_ctl" -D "$PARLOIR_PG_DATA" status >/dev/null 2>&1 || return 0
    _parloir_pg_as "$PARLOIR_PG_BIN/pg_ctl" -D "$PARLOIR_PG_DATA" -w -t 180 -m fast stop >/dev/null \
        || _parloir_pg_fail "pg_ctl stop failed"
}
