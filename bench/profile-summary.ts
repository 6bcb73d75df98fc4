import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npx ts-node --transpile-only bench/profile-summary.ts [dir-or-file…]`: where the CPU time of a
 * profile written by BENCH_PROFILE=1 went, by package (or src/ file) and by function (self time).
 */
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

function owner(url: string): string {
  if (!url) return '(native / idle / gc)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/(dist|src|bench|test)\/(.*)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return 'node core';
  return url;
}

function summarize(file: string, top = 20): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[] };
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const key = owner(node.callFrame.url);
    const name = node.callFrame.functionName || '(anonymous)';
    byOwner.set(key, (byOwner.get(key) ?? 0) + hits);
    const fn = `${name} ${key}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  }
  const print = (title: string, map: Map<string, number>) => {
    process.stdout.write(`\n${title}\n`);
    for (const [key, hits] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      process.stdout.write(`${((hits / total) * 100).toFixed(1).padStart(5)} %  ${key}\n`);
    }
  };
  process.stdout.write(`\n=== ${file} (${total} samples)\n`);
  print('self time by package / file', byOwner);
  print('self time by function', byFunction);
}

const targets = process.argv.slice(2);
for (const target of targets.length ? targets : [join(__dirname, '.tmp', 'profiles')]) {
  const files = target.endsWith('.cpuprofile')
    ? [target]
    : readdirSync(target)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(target, name));
  files.forEach((file) => summarize(file));
}
