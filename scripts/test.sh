#!/bin/sh
# The whole test suite, from a fresh clone: installs dependencies when missing, builds (the e2e
# tests run the real dist/worker.js), then unit and e2e tests against the local Postgres and Redis.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx nest build
npx jest --selectProjects unit
# --forceExit: a leaked Redis or Postgres handle must never hang CI after the results are in.
npx jest --selectProjects e2e --runInBand --forceExit "$@"
