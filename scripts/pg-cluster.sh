#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster for tests.
#
#   scripts/pg-cluster.sh start [DIR]   initdb (trust auth) into DIR (mktemp -d when omitted),
#                                       start it on 127.0.0.1:<free port>; prints the port as
#                                       the last line of stdout (the folder goes to stderr).
#   scripts/pg-cluster.sh start-tls DIR CERTS
#                                       the same with ssl=on: CERTS holds server.crt and server.key
#                                       (the server's certificate and key, PEM) and ca.crt (the CA of
#                                       client certificates), copied into DIR. Clients on 127.0.0.1 may
#                                       connect with or without TLS (trust), except to the database
#                                       `certauth` (created here): TLS with a client certificate signed
#                                       by ca.crt whose CN is the user name (pg_hba `cert`), nothing else.
#   scripts/pg-cluster.sh stop DIR      pg_ctl stop -m fast, then remove DIR.
#   scripts/pg-cluster.sh halt DIR [MODE]
#                                       stop the server (pg_ctl -m MODE: fast by default, or
#                                       immediate for a crash) and keep DIR: a database outage.
#   scripts/pg-cluster.sh resume DIR    start a halted cluster again on the same port.
#
# Only the cluster inside DIR is ever touched: no pg_ctlcluster, no /var/run/postgresql socket,
# no default port. The server runs as the `postgres` OS user when this script runs as root.
# Connect with: postgres://postgres@127.0.0.1:PORT/postgres
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
MARKER=.tessera-pg-cluster

usage() {
    echo "usage: $0 start [DIR] | start-tls DIR CERTS | stop DIR | halt DIR [fast|immediate] | resume DIR" >&2
    exit 2
}

log() { echo "pg-cluster: $*" >&2; }

# Runs a command as the postgres OS user (root), or as ourselves otherwise.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- env LC_ALL=C LANG=C "$@"
    else
        env LC_ALL=C LANG=C "$@"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# pg_start DIR PORT: starts the cluster in DIR on 127.0.0.1:PORT and waits until it accepts connections.
pg_start() {
    local dir=$1 port=$2
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >"$dir/pg_ctl.log" 2>&1
}

# check_ours DIR: refuses a folder this script did not make.
check_ours() {
    if [ ! -f "$1/$MARKER" ]; then
        log "$1 was not made by this script ($MARKER missing); refusing to touch it"
        exit 1
    fi
}

# init_cluster DIR: makes DIR (mktemp -d when empty) ours and runs initdb in it; prints the absolute folder.
init_cluster() {
    local dir=$1
    if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
        log "PostgreSQL 15 binaries not found in $PGBIN (apt-get install postgresql-15)"
        exit 1
    fi
    if [ -z "$dir" ]; then
        dir=$(mktemp -d /tmp/tessera-pg.XXXXXX)
    else
        mkdir -p "$dir"
    fi
    dir=$(cd "$dir" && pwd)
    touch "$dir/$MARKER"
    chmod 700 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres:postgres "$dir"
    fi
    log "folder $dir"

    if [ ! -f "$dir/data/PG_VERSION" ]; then
        if ! as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
            >"$dir/initdb.log" 2>&1; then
            log "initdb failed:"
            cat "$dir/initdb.log" >&2
            exit 1
        fi
    fi
    echo "$dir"
}

# start_on_free_port DIR: starts the cluster on a free port; prints the port.
start_on_free_port() {
    local dir=$1 port attempt
    # The free port can be taken between the probe and the bind: retry with a new one.
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if pg_start "$dir" "$port"; then
            echo "$port" >"$dir/port"
            log "started on 127.0.0.1:$port (attempt $attempt)"
            echo "$port"
            return 0
        fi
        log "start on port $port failed (attempt $attempt):"
        tail -n 5 "$dir/server.log" >&2 2>/dev/null || true
        # A half-started server must not linger.
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    done
    log "giving up"
    exit 1
}

cmd_start() {
    local dir
    dir=$(init_cluster "${1:-}")
    start_on_free_port "$dir"
}

# The settings live in the cluster's own files, so that `resume` starts it with TLS again.
cmd_start_tls() {
    local dir=${1:-} certs=${2:-} file port
    [ -n "$dir" ] && [ -n "$certs" ] || usage
    for file in server.crt server.key ca.crt; do
        if [ ! -r "$certs/$file" ]; then
            log "$certs/$file is missing (start-tls needs server.crt, server.key and ca.crt)"
            exit 1
        fi
    done
    dir=$(init_cluster "$dir")
    mkdir -p "$dir/tls"
    for file in server.crt server.key ca.crt; do
        install -m 600 "$certs/$file" "$dir/tls/$file"
    done
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres:postgres "$dir/tls"
    fi
    cat >>"$dir/data/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = '$dir/tls/server.crt'
ssl_key_file = '$dir/tls/server.key'
ssl_ca_file = '$dir/tls/ca.crt'
CONF
    # First match wins: `host` lines match connections with and without TLS.
    cat >"$dir/data/pg_hba.conf" <<HBA
local   all       all                   trust
hostssl certauth  all   127.0.0.1/32    cert
host    certauth  all   127.0.0.1/32    reject
host    all       all   127.0.0.1/32    trust
HBA
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$dir/data/postgresql.conf" "$dir/data/pg_hba.conf"
    fi
    port=$(start_on_free_port "$dir")
    if ! as_pg "$PGBIN/createdb" -h "$dir" -p "$port" -U postgres certauth >"$dir/createdb.log" 2>&1; then
        log "createdb certauth failed:"
        cat "$dir/createdb.log" >&2
        exit 1
    fi
    echo "$port"
}

cmd_stop() {
    local dir=${1:-}
    [ -n "$dir" ] || usage
    if [ ! -d "$dir" ]; then
        log "$dir does not exist; nothing to stop"
        return 0
    fi
    check_ours "$dir"
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 \
            || log "pg_ctl stop failed"
    fi
    rm -rf -- "$dir"
    log "stopped and removed $dir"
}

cmd_halt() {
    local dir=${1:-} mode=${2:-fast}
    [ -n "$dir" ] && [ -d "$dir" ] || usage
    case "$mode" in fast | immediate) ;; *) usage ;; esac
    check_ours "$dir"
    if ! as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >"$dir/pg_ctl.log" 2>&1; then
        log "pg_ctl stop -m $mode failed:"
        cat "$dir/pg_ctl.log" >&2
        exit 1
    fi
    log "halted ($mode) the cluster in $dir; resume with: $0 resume $dir"
}

cmd_resume() {
    local dir=${1:-} port
    [ -n "$dir" ] && [ -d "$dir" ] || usage
    check_ours "$dir"
    port=$(cat "$dir/port" 2>/dev/null) || true
    if ! [[ "$port" =~ ^[0-9]+$ ]]; then
        log "$dir/port is missing: was this cluster ever started?"
        exit 1
    fi
    if ! pg_start "$dir" "$port"; then
        log "start on port $port failed:"
        tail -n 5 "$dir/server.log" >&2 2>/dev/null || true
        exit 1
    fi
    log "resumed on 127.0.0.1:$port"
    echo "$port"
}

case "${1:-}" in
    start) shift; cmd_start "$@" ;;
    start-tls) shift; cmd_start_tls "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    halt) shift; cmd_halt "$@" ;;
    resume) shift; cmd_resume "$@" ;;
    *) usage ;;
esac
