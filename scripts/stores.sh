#!/usr/bin/env bash
# A local PostgreSQL and Redis for trying the production mode and for the tests: Debian's
# packages (installed when missing), servers of our own on loopback, their files in one folder.
#
#   scripts/stores.sh start [DIR]   start both (idempotent) and print the settings to export:
#                                   eval "$(scripts/stores.sh start)" && make run
#   scripts/stores.sh stop [DIR]    stop both
#   scripts/stores.sh pg-stop|pg-start [DIR]   stop or start PostgreSQL alone (fault tests)
#
# DIR defaults to $FUSION_STORES_DIR or /tmp/fusion-stores (PostgreSQL refuses to run as
# root, so when root it runs as the "postgres" user, who must be able to reach DIR).
# Ports: $FUSION_PG_PORT (default 55432) and $FUSION_REDIS_PORT (default 56379).
set -euo pipefail

command=${1:-start}
dir=${2:-${FUSION_STORES_DIR:-/tmp/fusion-stores}}
pg_port=${FUSION_PG_PORT:-55432}
redis_port=${FUSION_REDIS_PORT:-56379}
# local servers on loopback only; the password keeps other local users out
password=${FUSION_STORES_PASSWORD:-fusion-local-password}

log() { echo "stores: $*" >&2; }

apt_install() {
    log "installing $* from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y -q --no-install-recommends "$@" >&2 ||
        { $sudo apt-get update -q >&2 && $sudo apt-get install -y -q --no-install-recommends "$@" >&2; }
}

pg_bin() {
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$found" ] || [ ! -x "$found/pg_ctl" ]; then
        apt_install postgresql >/dev/null
        found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    echo "$found"
}

# runs a PostgreSQL program as the user who owns the cluster
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    local bin data=$dir/postgres
    bin=$(pg_bin)
    mkdir -p "$dir"
    chmod 755 "$dir"
    if [ ! -s "$data/PG_VERSION" ]; then
        mkdir -p "$data"
        [ "$(id -u)" = 0 ] && chown postgres: "$data"
        chmod 700 "$data"
        local pwfile
        pwfile=$(mktemp)
        echo "$password" >"$pwfile"
        [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
        as_pg "$bin/initdb" -D "$data" -U fusion --pwfile="$pwfile" -A scram-sha-256 \
            -E UTF8 --locale=C.UTF-8 >/dev/null
        rm -f "$pwfile"
    fi
    if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start -o \
            "-p $pg_port -k $data -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=${FUSION_PG_FSYNC:-on}" >/dev/null
    fi
    for db in fusion fusion_tracker; do
        PGPASSWORD=$password psql -h 127.0.0.1 -p "$pg_port" -U fusion -d postgres -tAc \
            "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
            PGPASSWORD=$password psql -h 127.0.0.1 -p "$pg_port" -U fusion -d postgres -qc \
                "CREATE DATABASE $db" >/dev/null
    done
}

pg_stop() {
    local data=$dir/postgres bin
    [ -d "$data" ] || return 0
    bin=$(pg_bin)
    as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}

redis_start() {
    command -v redis-server >/dev/null || apt_install redis-server >/dev/null
    mkdir -p "$dir/redis"
    if ! redis-cli -p "$redis_port" -a "$password" --no-auth-warning ping 2>/dev/null | grep -q PONG; then
        redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes \
            --dir "$dir/redis" --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
            --save "" --appendonly no --requirepass "$password" >/dev/null
        for _ in $(seq 50); do
            redis-cli -p "$redis_port" -a "$password" --no-auth-warning ping 2>/dev/null | grep -q PONG && return 0
            sleep 0.1
        done
        log "redis did not start (see $dir/redis/redis.log)"
        return 1
    fi
}

redis_stop() {
    redis-cli -p "$redis_port" -a "$password" --no-auth-warning shutdown nosave >/dev/null 2>&1 || true
}

case "$command" in
start)
    pg_start
    redis_start
    echo "export FUSION_DATABASE_URL=postgresql+asyncpg://fusion:$password@127.0.0.1:$pg_port/fusion"
    echo "export FUSION_REDIS_URL=redis://:$password@127.0.0.1:$redis_port/1"
    log "PostgreSQL on 127.0.0.1:$pg_port and Redis on 127.0.0.1:$redis_port (files in $dir)"
    ;;
stop)
    redis_stop
    pg_stop
    ;;
pg-start) pg_start ;;
pg-stop) pg_stop ;;
*)
    echo "usage: scripts/stores.sh start|stop|pg-start|pg-stop [DIR]" >&2
    exit 2
    ;;
esac
