#!/bin/sh
# The whole test suite, from a fresh clone: installs dependencies when missing, builds (the e2e
# tests run the real dist/worker.js and open the inbox page from dist/inbox), then unit and e2e
# tests against the local Postgres and Redis.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
# The layering (shared ← platform ← providers ← modules ← app) before any test: see .dependency-cruiser.cjs.
npm run --silent lint:layers
npx jest --selectProjects unit
# No --forceExit: every test file closes what it opened, and a process a failed file left running
# is stopped after it (test/support/stop-leftover-processes.ts), so Jest exits by itself.
npx jest --selectProjects e2e --runInBand "$@"
