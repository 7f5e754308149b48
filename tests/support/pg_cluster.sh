#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL cluster for the tests, on a Unix
# socket only (listen_addresses=''), in DIR. initdb refuses to run as root,
# so as root the cluster belongs to the 'postgres' system user.
# Writes DIR/env with OPSKIT_PG_SUPER (superuser conninfo) and OPSKIT_PG_SOCKET.
# When no PostgreSQL server is installed it writes DIR/unavailable and exits 0:
# the PostgreSQL tests then skip with that message.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?DIR}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
  rm -rf "$dir"; mkdir -p "$dir"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "no PostgreSQL server installed (initdb not found); run make deps" > "$dir/unavailable"
    exit 0
  fi
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth-local=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 60
CONF
  # Superuser by trust (the harness); every other role must give its password.
  cat >"$dir/data/pg_hba.conf" <<CONF
local all postgres trust
local all all scram-sha-256
CONF
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
  chmod 755 "$dir"
  # The roles every test database uses: an owner for migrations and an app
  # role that owns nothing and bypasses nothing (what the tools connect as).
  as_owner psql -h "$dir" -U postgres -d postgres -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
CREATE ROLE opskit_owner LOGIN PASSWORD 'owner-pw' NOSUPERUSER NOBYPASSRLS;
CREATE ROLE opskit_app LOGIN PASSWORD 'app-pw' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
SQL
  echo "OPSKIT_PG_SOCKET=$dir" > "$dir/env"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
  fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
