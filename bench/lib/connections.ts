import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { Child, runningChildren, sleep } from './processes';

const run = promisify(execFile);

/** Established TCP connections per client kind and server kind: `api → redis: 24`. */
export type ConnectionCounts = Record<string, Record<string, number>>;

export interface ConnectionCensus {
  /** The most connections each pair held at one sample (pairs may peak at different samples). */
  peak: ConnectionCounts;
  /** How many processes of each kind ran, to give a per-process figure. */
  processes: Record<string, number>;
  /** One worker's Redis connections by CLIENT SETNAME, from CLIENT LIST; `(none)` unnamed. */
  workerRedisNames: Record<string, number>;
}

interface Socket {
  localPort: number;
  peerPort: number;
  pid: number;
}

/** Every established loopback TCP socket with its owner (`ss -p`; as root it sees every user's). */
async function sockets(): Promise<Socket[]> {
  const { stdout } = await run('ss', ['-Htnp', 'state', 'established']);
  const found: Socket[] = [];
  for (const line of stdout.split('\n')) {
    const match = /\S+:(\d+)\s+\S+:(\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
    if (match) found.push({ localPort: +match[1], peerPort: +match[2], pid: +match[3] });
  }
  return found;
}

/** Which of `ports` some TCP socket on the box uses as its local port, in any state (TIME_WAIT too). */
export async function localPortsInUse(ports: number[]): Promise<number[]> {
  const { stdout } = await run('ss', ['-tanH']);
  const used = new Set(
    stdout
      .split('\n')
      .map((line) => Number(/^\S+\s+\d+\s+\d+\s+\S+:(\d+)\s/.exec(line)?.[1]))
      .filter((port) => port > 0),
  );
  return ports.filter((port) => used.has(port));
}

function command(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** The bench's children by kind (`worker-3` is a worker), servers by their program. */
function kindOf(pid: number, children: Map<number, string>): string {
  const child = children.get(pid);
  if (child) return child.replace(/-\d+$/, '');
  if (pid === process.pid) return 'bench';
  const comm = command(pid);
  if (comm.startsWith('redis')) return 'redis';
  if (comm === 'postgres' || comm === 'pgbouncer') return comm;
  return 'other';
}

/**
 * Who holds connections to whom right now, from the sockets themselves: a client socket's peer
 * port is a server socket's local port, owned by Redis, Postgres (a backend) or PgBouncer.
 */
async function connectionCounts(children: Child[]): Promise<ConnectionCounts> {
  const byPid = new Map(children.map((child) => [child.process.pid!, child.name]));
  const all = await sockets();
  const owner = new Map(all.map((socket) => [socket.localPort, socket.pid]));
  const counts: ConnectionCounts = {};
  for (const socket of all) {
    const client = kindOf(socket.pid, byPid);
    const serverPid = owner.get(socket.peerPort);
    if (serverPid === undefined) continue;
    const server = kindOf(serverPid, byPid);
    if (!['redis', 'postgres', 'pgbouncer'].includes(server) || server === client) continue;
    counts[client] ??= {};
    counts[client][server] = (counts[client][server] ?? 0) + 1;
  }
  return counts;
}

/** CLIENT LIST of every Redis that `worker` is connected to, its connections counted by name. */
async function redisNamesOf(worker: Child): Promise<Record<string, number>> {
  const all = await sockets();
  const mine = all.filter((socket) => socket.pid === worker.process.pid);
  const localPorts = new Set(mine.map((socket) => socket.localPort));
  const owner = new Map(all.map((socket) => [socket.localPort, socket.pid]));
  const redisPorts = new Set(
    mine
      .filter((socket) => command(owner.get(socket.peerPort) ?? 0).startsWith('redis'))
      .map((socket) => socket.peerPort),
  );
  const names: Record<string, number> = {};
  for (const port of redisPorts) {
    const { stdout } = await run('redis-cli', ['-p', String(port), 'CLIENT', 'LIST']);
    for (const line of stdout.split('\n')) {
      const address = /\baddr=\S+:(\d+)/.exec(line);
      if (!address || !localPorts.has(+address[1])) continue;
      const name = /\bname=(\S*)/.exec(line)?.[1] || '(none)';
      names[name] = (names[name] ?? 0) + 1;
    }
  }
  return names;
}

/**
 * Runs `work` while counting every 2 s the connections the bench's processes hold to Redis,
 * Postgres and PgBouncer (and PgBouncer's to Postgres); answers the peaks.
 */
export async function censusDuring<T>(work: () => Promise<T>): Promise<[T, ConnectionCensus]> {
  const census: ConnectionCensus = { peak: {}, processes: {}, workerRedisNames: {} };
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const children = runningChildren();
      const counts = await connectionCounts(children).catch(() => ({}) as ConnectionCounts);
      for (const [client, servers] of Object.entries(counts)) {
        for (const [server, count] of Object.entries(servers)) {
          census.peak[client] ??= {};
          census.peak[client][server] = Math.max(census.peak[client][server] ?? 0, count);
        }
      }
      const processes: Record<string, number> = {};
      for (const child of children) {
        const kind = child.name.replace(/-\d+$/, '');
        processes[kind] = (processes[kind] ?? 0) + 1;
      }
      for (const [kind, count] of Object.entries(processes)) {
        census.processes[kind] = Math.max(census.processes[kind] ?? 0, count);
      }
      const worker = children.find((child) => child.name === 'worker-0');
      if (worker) {
        const names = await redisNamesOf(worker).catch(() => ({}));
        const total = (record: Record<string, number>) =>
          Object.values(record).reduce((sum, count) => sum + count, 0);
        if (total(names) > total(census.workerRedisNames)) census.workerRedisNames = names;
      }
      await sleep(2_000);
    }
  })();
  try {
    return [await work(), census];
  } finally {
    sampling = false;
    await sampler;
  }
}
