#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite: its own cluster in a temp dir, listening on
# 127.0.0.1 only, on a free port, trust auth (nothing else can reach it), gone after `stop`.
#
#   scripts/postgres-for-tests.sh start [DIR]   -> initdb + start; prints the SQLAlchemy URL (last line)
#   scripts/postgres-for-tests.sh stop DIR      -> stop the server and delete DIR
#   scripts/postgres-for-tests.sh url DIR       -> print the URL of a running one again
#
# Uses Debian's server binaries (/usr/lib/postgresql/<version>/bin, from the `postgresql` package that
# scripts/install-system-deps.sh installs). initdb refuses to run as root, so as root (CI) the
# cluster is created and run as the `postgres` user; as anyone else, as that user.
# Exit code 3: no PostgreSQL server binaries on this machine (tests skip the PostgreSQL variant).
set -euo pipefail

die() { echo "postgres-for-tests: $*" >&2; exit "${2:-1}"; }

find_bindir() {
  local dir
  if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/pg_ctl" ]; then echo "$PG_BINDIR"; return; fi
  # Highest installed major version first.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && { echo "$dir"; return; }
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v pg_ctl)")"; return
  fi
  return 1
}

as_owner() {  # run a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then
    if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'EOF'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
EOF
}

cmd="${1:-}"
case "$cmd" in
  start)
    BIN="$(find_bindir)" || die "no PostgreSQL server binaries (apt-get install postgresql)" 3
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
      die "running as root but there is no 'postgres' user to run the server as" 3
    fi
    DIR="${2:-$(mktemp -d "${TMPDIR:-/tmp}/melanoscan-pg.XXXXXX")}"
    mkdir -p "$DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
    chmod 700 "$DIR"
    as_owner "$BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
    # Several tries: another process may take the free port between the check and the start.
    for attempt in 1 2 3 4 5; do
      PORT="$(free_port)"
      if as_owner "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 start \
          -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
          >/dev/null 2>&1; then
        break
      fi
      [ "$attempt" -eq 5 ] && { tail -20 "$DIR/server.log" >&2; die "pg_ctl start failed"; }
    done
    as_owner "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAt \
      -c "CREATE DATABASE melanoscan_test" >/dev/null 2>&1 \
      || as_owner "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres melanoscan_test \
      || die "could not create the test database"
    URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/melanoscan_test"
    echo "$URL" >"$DIR/url"
    echo "$BIN" >"$DIR/bindir"
    echo "$URL"
    ;;
  stop)
    DIR="${2:?usage: $0 stop DIR}"
    [ -d "$DIR" ] || exit 0
    BIN="$(cat "$DIR/bindir" 2>/dev/null || find_bindir)" || true
    if [ -n "${BIN:-}" ] && [ -f "$DIR/data/postmaster.pid" ]; then
      as_owner "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
    ;;
  url)
    cat "${2:?usage: $0 url DIR}/url"
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
