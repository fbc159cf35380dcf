#!/usr/bin/env bash
# Helpers shared by the demo and test scripts: throwaway PostgreSQL clusters
# run as the postgres OS user on a unix socket in a temporary directory.

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

# start_cluster DIR PORT [postgresql.conf lines...]
start_cluster() {
    local dir=$1 port=$2
    shift 2
    rm -rf "$dir"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    runuser -u postgres -- "$PGBIN/initdb" -D "$dir/data" -E UTF8 --locale=C.UTF-8 \
        -A trust -U postgres >"$dir/initdb.log" 2>&1
    {
        echo "listen_addresses = ''"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "fsync = off"
        echo "max_wal_size = 4GB"
        for line in "$@"; do echo "$line"; done
    } >>"$dir/data/postgresql.conf"
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
}

# stop_cluster DIR
stop_cluster() {
    local dir=$1
    if [ -f "$dir/data/postmaster.pid" ]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
}

# psql_as DIR PORT [psql args...] : psql as the postgres superuser
psql_as() {
    local dir=$1 port=$2
    shift 2
    "$PGBIN/psql" -X -h "$dir" -p "$port" -U postgres -v ON_ERROR_STOP=1 "$@"
}
