#!/bin/sh
# The inbox page (web/inbox) as static files in dist/inbox, which the API serves at /inbox.
# Run after `nest build`, which empties dist/.
set -eu
cd "$(dirname "$0")/.."
npx tsc -p web/inbox/tsconfig.json
out=dist/inbox
rm -rf "$out"
mkdir -p "$out"
npx esbuild web/inbox/src/main.tsx web/inbox/src/inbox.css --bundle --minify --format=esm \
  --target=es2022 --outdir="$out" --entry-names=inbox --log-level=warning
cp web/inbox/index.html "$out/"
