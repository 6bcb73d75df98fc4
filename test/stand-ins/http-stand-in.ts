import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { readAll, waitUntil } from './stand-in-support';

export interface RecordedRequest {
  method: string;
  /** Path with its query string, as sent on the request line. */
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body's exact bytes (uploads are binary). */
  bytes: Buffer;
  /** Set when the content type is JSON and the body parses. */
  json?: unknown;
  /** Set when the content type is `application/x-www-form-urlencoded` (a repeated name keeps its last value). */
  form?: Record<string, string>;
  receivedAt: number;
  /** What the stand-in answered; absent while the answer is delayed, and forever for a hung request. */
  response?: { status: number; body?: unknown };
}

export interface ScriptedResponse {
  status: number;
  /**
   * A string is sent as is (text/plain unless `headers` say otherwise), a Buffer as bytes,
   * anything else as JSON.
   */
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the stand-in's `setDelay` for this answer. */
  delayMs?: number;
  /** Never answer, to provoke client timeouts. */
  hang?: boolean;
}

/** An answer the provider has decided on but not sent yet (see `HttpStandIn.holdNext`). */
export interface HeldAnswer {
  /** Resolves when the request has arrived, with the answer it will get (its ids included). */
  readonly arrived: Promise<{ request: RecordedRequest; response: ScriptedResponse }>;
  /** Sends the answer now. */
  release(): void;
}

interface PendingHold {
  arrive(request: RecordedRequest, response: ScriptedResponse): void;
  released: Promise<void>;
}

// Longer than any client's idle keep-alive, so the client always closes an idle socket first and
// never reuses one the stand-in is closing (which shows up as random ECONNRESETs in benchmarks).
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * A provider on 127.0.0.1 that records what it received. Subclasses state the provider's protocol:
 * `check` answers a malformed request with the provider's error whatever is scripted, and `succeed`
 * builds the provider's default success answer once the script is used up.
 */
export abstract class HttpStandIn {
  readonly requests: RecordedRequest[] = [];
  /** Requests answered 2xx: what the provider processed, even when the client stopped waiting. */
  readonly accepted: RecordedRequest[] = [];

  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly pendingAnswers = new Set<NodeJS.Timeout>();
  private script: ScriptedResponse[] = [];
  private holds: PendingHold[] = [];
  private delayMs = 0;
  // Answers delayed across a reset() belong to the previous test and must not land in `accepted`.
  private generation = 0;

  protected constructor(private readonly label: string) {
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    this.server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  }

  protected abstract check(request: RecordedRequest): ScriptedResponse | undefined;

  protected abstract succeed(request: RecordedRequest): ScriptedResponse;

  get url(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error(`${this.label} is not listening`);
    return `http://127.0.0.1:${address.port}`;
  }

  async listen(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  /** Answers for the next requests that pass the protocol check, in order. */
  enqueue(...responses: ScriptedResponse[]): void {
    this.script.push(...responses);
  }

  failNext(count: number, response: ScriptedResponse): void {
    this.enqueue(...Array<ScriptedResponse>(count).fill(response));
  }

  /**
   * Holds the answer to the next request that passes the protocol check until `release()`: the
   * provider has accepted the message (and may send receipts for it) while the client is still
   * waiting for its answer.
   */
  holdNext(): HeldAnswer {
    let release!: () => void;
    let arrive!: PendingHold['arrive'];
    const released = new Promise<void>((resolve) => (release = resolve));
    const arrived = new Promise<{ request: RecordedRequest; response: ScriptedResponse }>(
      (resolve) => (arrive = (request, response) => resolve({ request, response })),
    );
    this.holds.push({ arrive, released });
    return { arrived, release };
  }

  setDelay(ms: number): void {
    this.delayMs = ms;
  }

  async waitForAccepted(count: number, timeoutMs = 15_000): Promise<RecordedRequest[]> {
    await waitUntil(
      () => this.accepted.length >= count,
      timeoutMs,
      () =>
        `${this.label}: expected ${count} accepted request(s) within ${timeoutMs} ms, ` +
        `got ${this.accepted.length} (${this.requests.length} received, answered ` +
        `[${this.requests.map((r) => r.response?.status ?? 'pending').join(', ')}])`,
    );
    return [...this.accepted];
  }

  /** Back to the state right after start: no records, no script, no delay. */
  reset(): void {
    this.requests.length = 0;
    this.accepted.length = 0;
    this.script = [];
    this.holds = [];
    this.delayMs = 0;
    this.generation++;
  }

  async close(): Promise<void> {
    if (!this.server.listening) return;
    this.pendingAnswers.forEach(clearTimeout);
    this.pendingAnswers.clear();
    const closed = once(this.server, 'close');
    this.server.close();
    // Hung requests and idle keep-alive sockets would otherwise keep Jest alive.
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await readAll(req);
    } catch {
      return; // the client went away mid-request; nothing reached the provider
    }
    const request = parseRequest(req, bytes);
    this.requests.push(request);
    const refusal = this.check(request);
    const response = refusal ?? this.script.shift() ?? this.succeed(request);
    if (response.hang) return;
    const hold = refusal ? undefined : this.holds.shift();
    if (hold) {
      hold.arrive(request, response);
      await hold.released;
    }

    const generation = this.generation;
    const answer = (): void => this.answer(res, request, response, generation);
    const delayMs = response.delayMs ?? this.delayMs;
    if (delayMs <= 0) return answer();
    const timer = setTimeout(() => {
      this.pendingAnswers.delete(timer);
      answer();
    }, delayMs);
    this.pendingAnswers.add(timer);
  }

  private answer(
    res: ServerResponse,
    request: RecordedRequest,
    { status, body, headers = {} }: ScriptedResponse,
    generation: number,
  ): void {
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(body)) {
      res.setHeader('content-type', 'application/octet-stream');
      payload = body;
    } else if (typeof body === 'string') {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      payload = body;
    } else if (body !== undefined) {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      payload = JSON.stringify(body);
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.writeHead(status).end(payload);

    request.response = { status, body };
    if (status >= 200 && status < 300 && generation === this.generation) {
      this.accepted.push(request);
    }
  }
}

export function header(request: RecordedRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function pathnameOf(request: RecordedRequest): string {
  return request.path.split('?')[0];
}

function parseRequest(req: IncomingMessage, bytes: Buffer): RecordedRequest {
  const rawBody = bytes.toString('utf8');
  const request: RecordedRequest = {
    method: req.method ?? '',
    path: req.url ?? '',
    headers: req.headers,
    rawBody,
    bytes,
    receivedAt: Date.now(),
  };
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    try {
      request.json = JSON.parse(rawBody);
    } catch {
      // left unset: the provider check decides how a broken body is answered
    }
  } else if (mediaType === 'application/x-www-form-urlencoded') {
    request.form = Object.fromEntries(new URLSearchParams(rawBody));
  }
  return request;
}
