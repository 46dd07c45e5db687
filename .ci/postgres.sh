#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the test suite.
#
#   bash .ci/postgres.sh start   # prints the SQLAlchemy URL (the only stdout line)
#   bash .ci/postgres.sh url     # prints the URL of the running cluster
#   bash .ci/postgres.sh stop    # stops it and deletes its data
#
# The cluster lives in /tmp and is never the distribution's own one, so tests
# cannot touch real data and nothing has to be configured on the machine.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE="$ROOT/var/postgres-test.env"  # var/ is git-ignored
PG_USER=patroli-pg                   # OS user (when root) and always the DB role
DB=patroli_test

log() { echo "postgres.sh: $*" >&2; }

# PostgreSQL refuses to run as root, so as root every server-side command runs
# as a dedicated system user; as anyone else we simply run it directly.
if [ "$(id -u)" = 0 ]; then
  # cd / because postgres complains when it cannot read the caller's cwd.
  as_pg() { (cd / && runuser -u "$PG_USER" -- "$@"); }
else
  as_pg() { "$@"; }
fi

# A directory holding both initdb and pg_ctl. Debian keeps them off PATH in
# /usr/lib/postgresql/<ver>/bin; resolve symlinks so that sibling tools
# (pg_isready, createdb) are found next to them.
find_bindir() {
  local d
  if d=$(command -v pg_ctl 2>/dev/null); then
    d=$(dirname "$(readlink -f "$d")")
    if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

tool() { if [ -x "$BIN/$1" ]; then echo "$BIN/$1"; else command -v "$1"; fi; }

install_postgres() {
  if [ "$(id -u)" != 0 ]; then
    log "initdb/pg_ctl not found and not root: install PostgreSQL first"; exit 1
  fi
  log "installing PostgreSQL from apt"
  export DEBIAN_FRONTEND=noninteractive
  # Lock timeout: a freshly booted VM may still be running apt-daily.
  apt-get -q -o DPkg::Lock::Timeout=300 update
  apt-get -q -y -o DPkg::Lock::Timeout=300 install --no-install-recommends postgresql
  # The package may create and start its own "main" cluster; we never use it,
  # so don't let it keep port 5432 and memory busy.
  if command -v pg_lsclusters >/dev/null; then
    pg_lsclusters -h | while read -r ver name _port status _rest; do
      if [ "$status" = online ]; then pg_ctlcluster "$ver" "$name" stop || true; fi
    done
  fi
}

url() { echo "postgresql+psycopg://$PG_USER@127.0.0.1:$PORT/$DB"; }

# Loads the state file and succeeds if the recorded server is up.
running() {
  [ -f "$STATE" ] || return 1
  # shellcheck disable=SC1090
  . "$STATE"
  [ -d "$BASE/data" ] && as_pg "$BIN/pg_ctl" -D "$BASE/data" status >/dev/null 2>&1
}

cmd_stop() {
  if [ ! -f "$STATE" ]; then log "no cluster recorded; nothing to stop"; return 0; fi
  # shellcheck disable=SC1090
  . "$STATE"
  if [ -d "$BASE/data" ]; then
    as_pg "$BIN/pg_ctl" -D "$BASE/data" -m fast -w stop >&2 || true
  fi
  # Guard the rm -rf: the path comes from a file someone could have edited.
  case "$BASE" in /tmp/patroli-pg-*) rm -rf "$BASE" ;; esac
  rm -f "$STATE"
  log "stopped"
}

cmd_start() {
  # Only the URL may reach stdout: callers do url=$(postgres.sh start).
  exec 3>&1 1>&2
  if running; then url >&3; return 0; fi
  # A stale state file (e.g. /tmp wiped by a reboot): clean up, start afresh.
  if [ -f "$STATE" ]; then cmd_stop; fi

  BIN=$(find_bindir) || { install_postgres; BIN=$(find_bindir); }
  if [ "$(id -u)" = 0 ] && ! id -u "$PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$PG_USER"
  fi

  # Port 0 lets the kernel pick a free port; parallel runs and a distro
  # cluster on 5432 therefore never collide (small reuse race accepted).
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  BASE=$(mktemp -d "/tmp/patroli-pg-$(id -u)-XXXXXX")
  if [ "$(id -u)" = 0 ]; then chown "$PG_USER:" "$BASE"; fi
  mkdir -p "$(dirname "$STATE")"
  printf 'BASE=%q\nPORT=%q\nBIN=%q\n' "$BASE" "$PORT" "$BIN" >"$STATE"
  # From here on a failure must not leave a half-made cluster behind.
  trap 'log "start failed, cleaning up"; [ -f "$BASE/server.log" ] && tail -n 20 "$BASE/server.log" >&2; cmd_stop' EXIT

  # -U: same role name whether or not we run as root, so the URL is fixed.
  # --no-locale: deterministic collation, no dependency on installed locales.
  as_pg "$BIN/initdb" -D "$BASE/data" -U "$PG_USER" --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
  # Durability is pointless for a throwaway cluster; turning it off makes the
  # many small test transactions much faster.
  cat >>"$BASE/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$BASE'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  # 3>&-: the daemon must not inherit our stdout, or url=$(... start) would
  # wait for the server to exit.
  as_pg "$BIN/pg_ctl" -D "$BASE/data" -l "$BASE/server.log" -w -t 60 start >/dev/null 3>&-

  local i
  for i in $(seq 1 60); do
    if "$(tool pg_isready)" -q -h 127.0.0.1 -p "$PORT"; then break; fi
    if [ "$i" = 60 ]; then log "server did not accept connections"; exit 1; fi
    sleep 0.5
  done
  "$(tool createdb)" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" "$DB"

  trap - EXIT
  log "running in $BASE on port $PORT"
  url >&3
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  url) if running; then url; else log "not running"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
