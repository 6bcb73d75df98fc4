import { readdirSync, readFileSync } from 'node:fs';
import type { Child } from './processes';

const TICKS_PER_SECOND = 100;

export type CpuSnapshot = Map<number, { comm: string; ticks: number }>;

/** CPU ticks (user + system) of every process on the box, from /proc (Linux only). */
export function cpuSnapshot(): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return snapshot;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      snapshot.set(Number(pid), { comm, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // the process ended between readdir and read
    }
  }
  return snapshot;
}

/**
 * CPU seconds each part of the box used between two snapshots: the named children, Postgres,
 * Redis, PgBouncer, the bench itself (load generator) and everything else (other people's work).
 */
export function cpuBetween(
  before: CpuSnapshot,
  after: CpuSnapshot,
  children: Child[],
): Record<string, number> {
  const named = new Map(children.map((child) => [child.process.pid!, child.name]));
  const used: Record<string, number> = {};
  for (const [pid, { comm, ticks }] of after) {
    const delta = (ticks - (before.get(pid)?.ticks ?? 0)) / TICKS_PER_SECOND;
    if (delta <= 0) continue;
    const group =
      named.get(pid) ??
      (pid === process.pid
        ? 'load generator'
        : comm === 'postgres'
          ? 'postgres'
          : comm.startsWith('redis')
            ? 'redis'
            : comm === 'pgbouncer'
              ? 'pgbouncer'
              : 'other');
    used[group] = (used[group] ?? 0) + delta;
  }
  return used;
}
