import { cpus, totalmem } from 'node:os';
import type { DeliverResult, DrainResult } from '../scenarios/deliver';
import type { EndToEndResult, EndToEndRun } from '../scenarios/end-to-end';
import type { FanOutResult } from '../scenarios/fan-out';
import type { GrowthResult } from '../scenarios/growth';
import type { Comparison } from '../scenarios/http-load';
import { PGBOUNCER_POOL_SIZE, PoolingVariant } from '../scenarios/pooling';
import type { PrunePoint, PruneResult } from '../scenarios/prune';
import type { ScaleOutLayout, ScaleOutResult } from '../scenarios/scale-out';
import type { SendersResult } from '../scenarios/senders';
import type { ConnectionCensus } from './connections';
import {
  LAG_APPEND_RATE,
  LIST_READS,
  RETENTION_DAYS,
  ScalePoint,
  ScaleResult,
} from '../scenarios/scale';
import type { LoadResult } from './load';
import { settings } from './settings';

export interface Results {
  startedAt: Date;
  finishedAt?: Date;
  versions: Record<string, string>;
  accept?: Comparison;
  ingest?: Comparison & { failedEvents?: number };
  deliver?: DeliverResult;
  e2e?: EndToEndResult;
  growth?: GrowthResult;
  prune?: PruneResult;
  fanout?: FanOutResult;
  scale?: ScaleResult;
  pooling?: PoolingVariant[];
  senders?: SendersResult;
  scaleout?: ScaleOutResult;
  errors: { scenario: string; message: string }[];
}

const int = (value: number) => Math.round(value).toLocaleString('en-US').replace(/,/g, ' ');
const ms = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
const seconds = (value: number) => (value < 1 ? ms(value * 1000) : `${value.toFixed(2)} s`);
const ratio = (value: number) => value.toFixed(2);
const verdict = (met: boolean) => (met ? '**met**' : '**missed**');

function load(result: LoadResult, unit = 'req/s'): string {
  const bad = result.bad > 0 ? `, ${int(result.bad)} errors` : '';
  return `${int(result.rps)} ${unit}, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}${bad}`;
}

function drain(result: DrainResult): string {
  const failed = result.failed > 0 ? `, ${int(result.failed)} not sent` : '';
  return `${int(result.perSecond)} msg/s (${int(result.messages)} in ${result.seconds.toFixed(1)} s${failed})`;
}

function endToEnd(run: EndToEndRun): string {
  const unsent = run.unsent > 0 ? `, ${int(run.unsent)} not sent` : '';
  return (
    `${int(run.perSecond)} msg/s sent (${int(run.messages)}), POST→sent p50 ${seconds(run.p50)}, ` +
    `p99 ${seconds(run.p99)}; accepted at ${int(run.accept.rps)} req/s, p99 ${ms(run.accept.p99)}${unsent}`
  );
}

/** The summary table: every scenario, its bare baseline, the ratio and the target. */
export function summaryTable(results: Results): string {
  const rows: string[][] = [];
  const { accept, ingest, deliver, e2e, growth, prune, fanout, scale, senders, scaleout } = results;
  if (accept) {
    rows.push([
      '1. Accept `POST /api/messages`',
      load(accept.product),
      load(accept.bare),
      ratio(accept.ratio),
      '≥ 0.60 and p99 ≤ 1.5 × bare p99',
      verdict(
        accept.ratio >= 0.6 &&
          accept.product.p99 <= 1.5 * accept.bare.p99 &&
          accept.product.bad === 0,
      ),
    ]);
  }
  if (deliver) {
    rows.push([
      '2. Deliver, one worker, API up (as deployed)',
      drain(deliver.one),
      drain(deliver.bare),
      ratio(deliver.ratio),
      '≥ 0.80',
      verdict(deliver.ratio >= 0.8 && deliver.one.failed === 0),
    ]);
    rows.push([
      '2. Deliver, two workers, API up (as deployed)',
      drain(deliver.two),
      'one worker as deployed',
      `${ratio(deliver.speedup)}×`,
      '≥ 1.5×',
      verdict(deliver.speedup >= 1.5 && deliver.two.failed === 0),
    ]);
    rows.push([
      '2. Deliver, one worker alone (no API; diagnostic)',
      drain(deliver.workerOnly),
      drain(deliver.bare),
      ratio(deliver.workerOnlyRatio),
      'reported',
      deliver.workerOnly.failed === 0
        ? 'all sent'
        : `**${int(deliver.workerOnly.failed)} not sent**`,
    ]);
  }
  if (e2e) {
    for (const run of [e2e.flood, e2e.paced]) {
      rows.push([
        run.offeredRate
          ? `3. End to end, paced at ${int(run.offeredRate)} req/s`
          : `3. End to end, ${settings.connections} connections flat out`,
        endToEnd(run),
        '—',
        '—',
        'reported',
        run.unsent === 0 ? 'all sent' : `**${int(run.unsent)} not sent**`,
      ]);
    }
  }
  if (ingest) {
    rows.push([
      '4. Ingest `POST /api/webhooks/whatsapp`',
      load(ingest.product) + (ingest.failedEvents ? `, ${ingest.failedEvents} events failed` : ''),
      load(ingest.bare),
      ratio(ingest.ratio),
      '≥ 0.50',
      verdict(ingest.ratio >= 0.5 && ingest.product.bad === 0 && !ingest.failedEvents),
    ]);
  }
  if (growth) {
    const { small, large } = growth;
    for (const [name, key] of [
      ['accept', 'accept'],
      ['history page', 'history'],
    ] as const) {
      const growthRatio = large[key].p99 / small[key].p99;
      rows.push([
        `5. Growth, ${name} p99 at ${int(settings.growthRate)} req/s`,
        `${int(large.rows)} rows: p50 ${ms(large[key].p50)}, p99 ${ms(large[key].p99)}`,
        `${int(small.rows)} rows: p50 ${ms(small[key].p50)}, p99 ${ms(small[key].p99)}`,
        ratio(growthRatio),
        '≤ 1.20',
        verdict(growthRatio <= 1.2 && large[key].bad === 0),
      ]);
    }
  }
  if (prune) {
    const mean = (points: PrunePoint[], key: 'accept' | 'ingest', figure: 'p50' | 'p99') =>
      points.reduce((sum, point) => sum + point[key][figure], 0) / points.length;
    const pruned = prune.pruning.reduce(
      (sum, point) => sum + point.expiredBefore - point.expiredAfter,
      0,
    );
    const left = prune.pruning[prune.pruning.length - 1].expiredAfter;
    const bad = prune.pruning.reduce((sum, point) => sum + point.accept.bad + point.ingest.bad, 0);
    for (const key of ['accept', 'ingest'] as const) {
      const pruneRatio = mean(prune.pruning, key, 'p99') / mean(prune.quiet, key, 'p99');
      rows.push([
        `6. Pruning, ${key} p99 at ${int(settings.growthRate)} req/s (mean of ${prune.quiet.length} rounds)`,
        `while pruning (${int(pruned)} expired rows went, ${int(left)} left): ` +
          `p50 ${ms(mean(prune.pruning, key, 'p50'))}, p99 ${ms(mean(prune.pruning, key, 'p99'))}`,
        `retention off: p50 ${ms(mean(prune.quiet, key, 'p50'))}, ` +
          `p99 ${ms(mean(prune.quiet, key, 'p99'))}`,
        ratio(pruneRatio),
        '≤ 1.20',
        verdict(pruneRatio <= 1.2 && bad === 0 && left > 0),
      ]);
    }
  }
  if (fanout) {
    rows.push([
      `7. Webhook fan-out to ${fanout.endpoints} endpoints (replay)`,
      `${int(fanout.productPerSecond)} deliveries/s (${int(fanout.deliveries)})`,
      `${int(fanout.barePerSecond)} posts/s`,
      ratio(fanout.ratio),
      '≥ 0.85',
      verdict(fanout.ratio >= 0.85),
    ]);
    rows.push([
      `7. Webhook latency, status change → webhook at ${int(fanout.messages)} messages`,
      `p50 ${ms(fanout.latencyP50Ms)}, p99 ${ms(fanout.latencyP99Ms)}`,
      '—',
      '—',
      'reported',
      `${int(fanout.events)} events`,
    ]);
  }
  if (scale) rows.push(...scaleRows(scale));
  if (senders) {
    const { single, many } = senders;
    const clients = (of: SendersResult['single']) =>
      `Redis connections of the API and worker ${of.ownRedisConnections} (server's clients ${of.redisClients})`;
    rows.push([
      `10. Deliver as deployed over ${int(many.senders)} senders`,
      `${drain(many)}; ${clients(many)}`,
      `one sender: ${drain(single)}; ${clients(single)}`,
      ratio(senders.ratio),
      '≥ 0.95, Redis connections independent of the sender count',
      verdict(
        senders.ratio >= 0.95 &&
          many.ownRedisConnections <= single.ownRedisConnections &&
          many.failed === 0,
      ),
    ]);
  }
  if (scaleout) rows.push(...scaleOutRows(scaleout));
  return [
    '| scenario | product | bare baseline (same run) | ratio | target | verdict |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** Scenario 11: on one box the scaled-out layout measures coordination, so it is reported. */
function scaleOutRows({ baseline, scaledOut, acceptRatio, deliverRatio }: ScaleOutResult) {
  const layout = (of: ScaleOutLayout) => `${of.apis} API + ${of.workers} worker`;
  return [
    [
      `11. Scale-out accept, ${layout(scaledOut)} (Redis Cluster, PgBouncer)`,
      load(scaledOut.accept),
      `${layout(baseline)}: ${load(baseline.accept)}`,
      ratio(acceptRatio),
      'reported; no errors',
      scaledOut.accept.bad === 0 ? 'no errors' : `**${int(scaledOut.accept.bad)} errors**`,
    ],
    [
      `11. Scale-out deliver, ${layout(scaledOut)} (Redis Cluster, PgBouncer)`,
      drain(scaledOut.deliver),
      `${layout(baseline)}: ${drain(baseline.deliver)}`,
      ratio(deliverRatio),
      'reported; all sent',
      scaledOut.deliver.failed === 0 ? 'all sent' : `**${int(scaledOut.deliver.failed)} not sent**`,
    ],
  ];
}

function sized(point: ScalePoint): string {
  return `${int(point.rows.events ?? 0)} events`;
}

/** Scenario 8: each measure at size against the same measure on the small database. */
function scaleRows({ small, large }: ScaleResult): string[][] {
  const rate = `at ${int(settings.growthRate)} req/s`;
  // Below the offered rate, the p99 measures the box's queue rather than the database.
  const offered = (result: LoadResult) => result.rps >= 0.9 * settings.growthRate;
  const latency = (name: string, pickLoad: (point: ScalePoint) => LoadResult) => {
    const growth = pickLoad(large).p99 / pickLoad(small).p99;
    const held = offered(pickLoad(large)) && offered(pickLoad(small));
    return [
      `8. Scale, ${name} p99 ${rate}`,
      `${sized(large)}: ${load(pickLoad(large))}`,
      `${sized(small)}: ${load(pickLoad(small))}`,
      ratio(growth),
      '≤ 1.20',
      held
        ? verdict(growth <= 1.2 && pickLoad(large).bad === 0)
        : '**not measured** (rate not reached)',
    ];
  };
  const erasure = (point: ScalePoint) =>
    `HTTP ${point.erasure.status} in ${seconds(point.erasure.seconds)}`;
  const retention = (point: ScalePoint) =>
    `${int(point.retention.messagesPrunedPerSecond)} messages/s pruned ` +
    `(${int(point.retention.rowsPrunedPerSecond)} rows/s) against ` +
    `${int(point.retention.accept.rps)} accepted/s; accept p99 ${ms(point.retention.accept.p99)}`;
  const keepsUp = (point: ScalePoint) =>
    point.retention.messagesPrunedPerSecond >= point.retention.accept.rps;
  const retentionRatio = large.retention.accept.p99 / large.accept.p99;
  const lag = (point: ScalePoint) =>
    `p50 ${ms(point.vacuumLag.p50)}, p99 ${ms(point.vacuumLag.p99)}, max ` +
    `${ms(point.vacuumLag.max)} (${int(point.vacuumLag.events)} events, ` +
    `${int(point.vacuumLag.vacuums)} vacuums)`;
  return [
    latency('accept', (point) => point.accept),
    latency('ingest', (point) => point.ingest),
    ...LIST_READS.map((name) => latency(`list ${name}`, (point) => point.reads[name])),
    [
      '8. Scale, erasure of a customer with 1 000 messages',
      erasure(large),
      erasure(small),
      '—',
      '200 in < 5 s',
      verdict(large.erasure.status === 200 && large.erasure.seconds < 5),
    ],
    [
      `8. Scale, retention (windows of ${RETENTION_DAYS} days) under accept ${rate}`,
      retention(large),
      retention(small),
      ratio(retentionRatio),
      'keeps up; p99 ≤ 1.20 × without',
      verdict(keepsUp(large) && retentionRatio <= 1.2 && large.retention.accept.bad === 0),
    ],
    [
      `8. Scale, publication lag while VACUUM events runs (${LAG_APPEND_RATE} appends/s)`,
      lag(large),
      lag(small),
      '—',
      'p99 < 200 ms',
      verdict(large.vacuumLag.p99 < 200),
    ],
    [
      '8. Scale, statement timeouts in the API and worker logs',
      int(large.statementTimeouts),
      int(small.statementTimeouts),
      '—',
      '0',
      verdict(large.statementTimeouts === 0),
    ],
  ];
}

const API_PROCESSES = /^(api|bare-api)$/;
const SCALE_OUT_SERVERS = ['postgres', 'pgbouncer', 'redis'];
const WORKER_PROCESSES = /^(bare-worker|bare-webhook-worker|worker-\d+)$/;

/**
 * One run's CPU ms per request or message by part of the box; `servers` are the columns between
 * the product's processes and the stand-in (the scale-out layout adds PgBouncer).
 */
function cpuRow(
  label: string,
  units: number,
  unit: string,
  cpu?: Record<string, number>,
  servers = ['postgres', 'redis'],
): string {
  if (!cpu || units === 0) return `| ${label} | — |${' |'.repeat(servers.length + 6)}`;
  const per = (seconds: number) => ((seconds * 1000) / units).toFixed(2);
  const sum = (pattern: RegExp) =>
    Object.entries(cpu)
      .filter(([name]) => pattern.test(name))
      .reduce((total, [, seconds]) => total + seconds, 0);
  const total = Object.values(cpu).reduce((all, seconds) => all + seconds, 0);
  const other = cpu.other ?? 0;
  const cells = [
    sum(API_PROCESSES),
    sum(WORKER_PROCESSES),
    ...servers.map((server) => cpu[server] ?? 0),
    cpu['stand-in'] ?? 0,
    cpu['load generator'] ?? 0,
  ].map(per);
  return `| ${label} | ${int(units)} ${unit} | ${cells.join(' | ')} | **${per(total - other)}** | ${per(other)} |`;
}

/** CPU milliseconds per request or message, by part of the box, from /proc. */
export function cpuTable(results: Results): string {
  const rows: string[] = [];
  const { accept, ingest, deliver, e2e, fanout } = results;
  if (accept) {
    rows.push(cpuRow('accept, bare', accept.bare.ok, 'req', accept.bare.cpu));
    rows.push(cpuRow('accept, product', accept.product.ok, 'req', accept.product.cpu));
  }
  if (ingest) {
    rows.push(cpuRow('ingest, bare', ingest.bare.ok, 'req', ingest.bare.cpu));
    rows.push(cpuRow('ingest, product', ingest.product.ok, 'req', ingest.product.cpu));
  }
  if (deliver) {
    rows.push(cpuRow('deliver, bare', deliver.bare.messages, 'msg', deliver.bare.cpu));
    rows.push(
      cpuRow('deliver, worker alone', deliver.workerOnly.messages, 'msg', deliver.workerOnly.cpu),
    );
    rows.push(cpuRow('deliver, one worker + API', deliver.one.messages, 'msg', deliver.one.cpu));
    rows.push(cpuRow('deliver, two workers + API', deliver.two.messages, 'msg', deliver.two.cpu));
  }
  if (e2e) {
    for (const run of [e2e.flood, e2e.paced]) {
      rows.push(cpuRow(`end to end, ${run.label} (API + worker)`, run.messages, 'msg', run.cpu));
    }
  }
  if (fanout) {
    // The webhook receivers play the stand-in's part in this scenario.
    const receiversAsStandIn = (cpu: Record<string, number>) => ({
      ...cpu,
      'stand-in': (cpu['stand-in'] ?? 0) + (cpu.receivers ?? 0),
    });
    rows.push(
      cpuRow('fan-out, bare', fanout.deliveries, 'posts', receiversAsStandIn(fanout.bareCpu)),
    );
    rows.push(
      cpuRow(
        'fan-out, one worker',
        fanout.deliveries,
        'deliveries',
        receiversAsStandIn(fanout.productCpu),
      ),
    );
  }
  if (rows.length === 0) return '';
  return [
    '| run | measured | API | worker(s) | postgres | redis | stand-in | load generator | box, all of ours | other (not ours) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Scenario 9: each variant's figures, and where its CPU went per request. */
function poolingSection(variants: PoolingVariant[]): string[] {
  const perRequest = (result: LoadResult, part: string) =>
    result.cpu && result.ok > 0 ? (((result.cpu[part] ?? 0) * 1000) / result.ok).toFixed(2) : '—';
  const base = variants[0];
  const rows = (['accept', 'ingest'] as const).flatMap((endpoint) =>
    variants.map((variant) => {
      const result = variant[endpoint];
      return (
        `| ${endpoint} | ${variant.label} | ${load(result)} | ` +
        `${ratio(result.rps / base[endpoint].rps)} | ${perRequest(result, 'api')} | ` +
        `${perRequest(result, 'postgres')} | ${perRequest(result, 'pgbouncer')} | ` +
        `${perRequest(result, 'other')} |`
      );
    }),
  );
  return [
    `## 9. Pooling: named statements against unnamed, and through PgBouncer (pool ${PGBOUNCER_POOL_SIZE})`,
    '',
    '| endpoint | variant | result | vs named | API ms CPU/req | postgres ms CPU/req | pgbouncer ms CPU/req | other (not ours) ms CPU/req |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ];
}

/** `total (per process)` of the connections one kind of process held to one kind of server. */
function connectionCells(census: ConnectionCensus, client: string): string[] {
  const processes = census.processes[client] ?? 1;
  return ['redis', 'pgbouncer', 'postgres'].map((server) => {
    const count = census.peak[client]?.[server];
    if (!count) return '—';
    return processes > 1 ? `${count} (${(count / processes).toFixed(1)} each)` : String(count);
  });
}

/** Scenario 11: CPU per process kind and the connections each kind held, both layouts. */
function scaleOutSection({ baseline, scaledOut }: ScaleOutResult): string[] {
  const cpuRows = [baseline, scaledOut].flatMap((layout) => [
    cpuRow(
      `accept, ${layout.label}`,
      layout.accept.ok,
      'req',
      layout.accept.cpu,
      SCALE_OUT_SERVERS,
    ),
    cpuRow(
      `deliver, ${layout.label}`,
      layout.deliver.messages,
      'msg',
      layout.deliver.cpu,
      SCALE_OUT_SERVERS,
    ),
  ]);
  const connectionRows = [baseline, scaledOut].flatMap((layout) =>
    (
      [
        ['accept', layout.acceptConnections],
        ['deliver', layout.deliverConnections],
      ] as const
    ).flatMap(([phase, census]) =>
      ['api', 'worker', 'pgbouncer']
        .filter((client) => census.peak[client])
        .map(
          (client) =>
            `| ${phase}, ${layout.label} | ${client} × ${census.processes[client] ?? 1} | ` +
            `${connectionCells(census, client).join(' | ')} |`,
        ),
    ),
  );
  const names = (census: ConnectionCensus) =>
    Object.entries(census.workerRedisNames)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, count]) => `\`${name}\` ${count}`)
      .join(', ') || '—';
  return [
    '## 11. Scale-out: where the CPU went (ms of CPU per request or message, measured window only)',
    '',
    '| run | measured | APIs | workers | postgres | pgbouncer | redis | stand-in | load generator | box, all of ours | other (not ours) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...cpuRows,
    '',
    '## 11. Scale-out: connections held (the most seen at once, counted every 2 s from the sockets)',
    '',
    '| run | client | to Redis | to PgBouncer | to Postgres |',
    '|---|---|---|---|---|',
    ...connectionRows,
    '',
    `Worker 0's Redis connections by client name (CLIENT LIST of every node it is connected to), one Redis: ${names(baseline.deliverConnections)}; Redis Cluster: ${names(scaledOut.deliverConnections)}.`,
  ];
}

export function renderReport(results: Results): string {
  const minutes = results.finishedAt
    ? ((results.finishedAt.getTime() - results.startedAt.getTime()) / 60_000).toFixed(1)
    : '?';
  const lines = [
    `# Benchmark results, ${results.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB; ${Object.entries(results.versions)
        .map(([name, version]) => `${name} ${version}`)
        .join(', ')}. Everything (API, worker, Postgres, Redis, the load generator and the ` +
      `provider stand-in) on this one box; the whole run took ${minutes} min.`,
    '',
    `Settings: ${settings.connections} connections, ${settings.durationS} s per HTTP run after a ` +
      `${settings.warmupS} s warm-up, ${int(settings.messages)} messages per drain, ` +
      `OUTBOUND_CONCURRENCY=${settings.concurrency}, provider stand-in answering after ` +
      `${settings.providerDelayMs} ms, LOG_LEVEL=${settings.logLevel}, ${int(settings.poolSize)} ` +
      `WhatsApp conversations, ${Math.round(settings.ingestNewShare * 100)} % of webhooks from new customers.`,
    '',
    summaryTable(results),
  ];
  const cpu = cpuTable(results);
  if (cpu) {
    lines.push(
      '',
      '## Where the CPU went (ms of CPU per request or message, from /proc, measured window only)',
      '',
      cpu,
    );
  }
  if (results.growth) {
    lines.push('', '## Growth: the statements behind the two endpoints (EXPLAIN ANALYZE)', '');
    lines.push('| rows | statement | plan | execution |', '|---|---|---|---|');
    for (const point of [results.growth.small, results.growth.large]) {
      for (const plan of point.plans) {
        lines.push(
          `| ${int(point.rows)} | ${plan.name} | ${plan.plan} | ${plan.ms.toFixed(3)} ms |`,
        );
      }
    }
  }
  if (results.scale) {
    lines.push('', '## Scale: the seeded databases', '');
    lines.push(
      '| database | factor | seeded in | size | rows |',
      '|---|---|---|---|---|',
      ...Object.entries(results.scale).map(
        ([name, point]: [string, ScalePoint]) =>
          `| ${name} | ${point.factor} | ` +
          `${seconds(point.seedSeconds)} | ${int(point.databaseBytes / 2 ** 20)} MiB | ` +
          Object.entries(point.rows)
            .map(([table, count]) => `${table} ${int(count)}`)
            .join(', ') +
          ' |',
      ),
    );
    const erasureAnswer = results.scale.large.erasure.answer;
    lines.push('', `Erasure answer at size: \`${erasureAnswer.replace(/`/g, "'")}\``);
  }
  if (results.pooling) lines.push('', ...poolingSection(results.pooling));
  if (results.scaleout) lines.push('', ...scaleOutSection(results.scaleout));
  if (results.errors.length > 0) {
    lines.push('', '## Scenarios that did not finish', '');
    for (const error of results.errors) {
      lines.push(`- ${error.scenario}: ${error.message.split('\n')[0]}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
