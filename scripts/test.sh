#!/bin/sh
# The whole test suite, from a fresh clone: installs dependencies when missing, builds (the e2e
# tests run the real dist/worker.js and open the inbox page from dist/inbox), then unit and e2e
# tests against the local Postgres and Redis, then a set of e2e files once more through a private
# PgBouncer (Debian's pgbouncer package).
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
# Again through a PgBouncer in transaction mode (test/support/shared-pgbouncer.ts): the API and
# two workers per file share its five server connections, and the run fails if any process lost
# a prepared statement. One file per area (delivery, inbound, events, webhooks, lifecycle, inbound
# routing per sender, the inbox's conversation fields), about 65 s on the two-core box when quiet.
TEST_THROUGH_PGBOUNCER=1 npx jest --selectProjects e2e --runInBand \
  test/outbound-channels.e2e-spec.ts test/inbound-whatsapp.e2e-spec.ts \
  test/events-publication.e2e-spec.ts test/webhooks-endpoints.e2e-spec.ts \
  test/data-lifecycle.e2e-spec.ts test/inbound-senders.e2e-spec.ts \
  test/inbox-conversations.e2e-spec.ts
