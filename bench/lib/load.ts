import autocannon from 'autocannon';

export interface LoadResult {
  /** 2xx answers per second over the measured window. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  ok: number;
  /** Non-2xx answers, socket errors and timeouts: any of these makes the figure suspect. */
  bad: number;
  durationS: number;
  sample?: string;
  /** CPU seconds per part of the box during the run (see cpu.ts). */
  cpu?: Record<string, number>;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationS?: number;
  /** Stop after this many requests instead of after a duration. */
  amount?: number;
  /** Requests per second across all connections (open loop); omit to go as fast as possible. */
  overallRate?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A fresh request per call: path, body and extra headers. */
  next: () => { path: string; body?: string; headers?: Record<string, string> };
}

/** One autocannon run; latencies in milliseconds. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  let sample: string | undefined;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.durationS !== undefined && { duration: options.durationS }),
    ...(options.amount !== undefined && { amount: options.amount }),
    ...(options.overallRate !== undefined && { overallRate: options.overallRate }),
    timeout: 30,
    requests: [
      {
        method: options.method ?? 'POST',
        setupRequest: (request) => {
          const next = options.next();
          return {
            ...request,
            path: next.path,
            body: next.body,
            headers: { ...options.headers, ...request.headers, ...next.headers },
          };
        },
        onResponse: (status, body) => {
          if ((status < 200 || status >= 300) && sample === undefined) {
            sample = `${status} ${String(body).slice(0, 300)}`;
          }
        },
      },
    ],
  });
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    ok,
    bad: result.non2xx + result.errors + result.timeouts,
    durationS: result.duration,
    sample,
  };
}
