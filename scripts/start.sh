#!/bin/sh
# Quick start: install, build, create and migrate the database, then run the API and one worker
# side by side with their logs interleaved. Ctrl-C stops both.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx nest build
# Settings from .env when there is one (see .env.example); the defaults suit a local dev box.
if [ -f .env ]; then set -a; . ./.env; set +a; fi
node dist/platform/database/migrate.js

node dist/main.js 2>&1 | sed -u 's/^/[api]    /' &
node dist/worker.js 2>&1 | sed -u 's/^/[worker] /' &
trap 'trap - INT TERM; kill 0 2>/dev/null' INT TERM
wait
