#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on a free loopback port and prints the
# variables to export. Installs PostgreSQL from Debian's packages if missing.
#   eval "$(scripts/pg.sh)"     # exports PG_CONN_STR and PG_DATA_DIR
#   stop: pg_ctl -D "$PG_DATA_DIR" stop  (as the user that started it)
set -euo pipefail
find_bin() {
  command -v "$1" 2>/dev/null && return
  ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -1
}
initdb="$(find_bin initdb || true)"
if [ -z "$initdb" ]; then
  echo "PostgreSQL is not installed; installing it from Debian's packages" >&2
  sudo_cmd=""
  [ "$(id -u)" != 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >&2
  initdb="$(find_bin initdb)"
fi
bindir="$(dirname "$(readlink -f "$initdb")")"
dir="$(mktemp -d /tmp/iac-pg.XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
run=()
if [ "$(id -u)" = 0 ]; then
  # PostgreSQL refuses to run as root.
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  run=(runuser -u postgres --)
fi
"${run[@]}" "$bindir/initdb" -D "$dir/data" -U iac --auth=trust -E UTF8 >/dev/null
"${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
echo "export PG_CONN_STR='postgres://iac@127.0.0.1:$port/postgres?sslmode=disable'"
echo "export PG_DATA_DIR='$dir/data'"
echo "# PostgreSQL is listening on 127.0.0.1:$port (data $dir/data); stop it with: ${run[*]} $bindir/pg_ctl -D $dir/data stop" >&2
