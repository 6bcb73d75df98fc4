#!/bin/sh
# Quick start: install, build, create and migrate the database, then run the API and one worker
# side by side with their logs interleaved. Ctrl-C stops both, and their shutdown lines still show.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
# Settings from .env when there is one (see .env.example); the defaults suit a local dev box.
if [ -f .env ]; then set -a; . ./.env; set +a; fi
node dist/platform/database/migrate.js

# Each background job in its own process group (job control), so Ctrl-C reaches this shell only:
# it hands SIGINT to the two node processes and waits for them, while the prefixing seds, which
# got no signal, print the shutdown lines and end when their process does. Without a terminal
# there is no Ctrl-C to shield from, and job control is simply off.
set -m 2>/dev/null || true
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
mkfifo "$logs/api" "$logs/worker"
sed -u 's/^/[api]    /' <"$logs/api" &
sed -u 's/^/[worker] /' <"$logs/worker" &
node dist/main.js >"$logs/api" 2>&1 &
api=$!
node dist/worker.js >"$logs/worker" 2>&1 &
worker=$!
set +m # the groups are made; spare the terminal the shell's job notices
trap 'kill -INT "$api" "$worker" 2>/dev/null || true' INT TERM
# wait returns early whenever a trapped signal arrives; keep waiting until every job has ended.
until wait; do :; done
