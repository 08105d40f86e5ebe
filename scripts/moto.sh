#!/usr/bin/env bash
# Installs moto's server (the local AWS emulator) into .tools/ on first use and
# starts it on a free loopback port. Prints the variables to export.
#   eval "$(scripts/moto.sh)"     # starts it in the background, exports AWS_ENDPOINT_URL etc.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
version="5.2.5"
venv="$root/.tools/moto-$version"
if [ ! -f "$venv/.installed" ]; then
  mkdir -p "$root/.tools"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet "moto[server]==$version" >&2
  touch "$venv/.installed"
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
log="$root/.tools/moto-$port.log"
nohup "$venv/bin/python" -m moto.server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if curl -fs "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$port"
echo "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1"
echo "export MOTO_PID=$pid"
echo "# moto is listening on 127.0.0.1:$port (pid $pid, log $log); stop it with: kill $pid" >&2
