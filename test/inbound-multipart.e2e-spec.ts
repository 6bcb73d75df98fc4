import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { sql } from './support/db';
import { uniqueEmail } from './support/factories';
import {
  basicAuth,
  fixture,
  inboundEventCount,
  sendgridForm,
  useInboundApi,
} from './support/inbound-webhooks';

const BOUNDARY = 'test-boundary-7MA4YWxkTrZu0gW';
const MiB = 1024 * 1024;

interface StreamedUpload {
  /** The answer, as soon as the server gives one, whether or not the upload has ended. */
  response: Promise<{ status: number; body: any }>;
  /** Bytes of the form written when the answer came. */
  written: () => number;
}

/**
 * A multipart upload written chunk by chunk without a Content-Length, the way a client streams a
 * large form: `fileBytes` of file after the fields, and the end of the form only if `finish`.
 * Writing stops as soon as the server answers.
 */
function streamForm(
  url: string,
  path: string,
  headers: Record<string, string>,
  options: { fields: Record<string, string>; fileBytes: number; finish: boolean },
): StreamedUpload {
  let written = 0;
  let answered = false;
  const req = httpRequest(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers },
  });
  const response = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        req.destroy();
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
  });
  void (async () => {
    const write = (chunk: string | Buffer) =>
      new Promise<void>((resolve) => {
        written += chunk.length;
        if (req.write(chunk)) resolve();
        else req.once('drain', resolve);
      });
    for (const [name, value] of Object.entries(options.fields)) {
      await write(
        `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      );
    }
    await write(
      `--${BOUNDARY}\r\ncontent-disposition: form-data; name="attachment1"; filename="a.bin"\r\n` +
        'content-type: application/octet-stream\r\n\r\n',
    );
    const chunk = randomBytes(256 * 1024);
    for (let sent = 0; sent < options.fileBytes && !answered && !req.destroyed;) {
      await write(chunk);
      sent += chunk.length;
    }
    if (options.finish && !answered && !req.destroyed) req.end(`\r\n--${BOUNDARY}--\r\n`);
  })().catch(() => undefined);
  return { response, written: () => written };
}

describe('Multipart forms: only the email webhook takes them, authenticated and within a cap', () => {
  const api = useInboundApi();

  it('answers 415 to a multipart form on any other route, creating nothing', async () => {
    const name = `Form ${randomBytes(4).toString('hex')}`;
    const form = await sendgridForm({ name });
    for (const path of ['/api/customers', '/api/webhooks/whatsapp', '/api/webhooks/web']) {
      const response = await api.request('POST', path, form.body, {
        'content-type': form.contentType,
      });
      expect({ path, status: response.status }).toEqual({ path, status: 415 });
      expect(response.body.message).toMatch(/multipart\/form-data/);
    }
    expect(await sql('SELECT id FROM customers WHERE name = $1', [name])).toHaveLength(0);
  });

  it('answers 401 to an unauthenticated form before reading it: the upload is still open', async () => {
    const before = await inboundEventCount();
    const upload = streamForm(
      api.url,
      '/api/webhooks/email',
      { authorization: basicAuth('wrong-secret') },
      { fields: fixture('sendgrid/inbound-parse.json'), fileBytes: 64 * MiB, finish: false },
    );
    const answer = await upload.response;
    expect(answer.status).toBe(401);
    expect(answer.body.message).toMatch(/EMAIL_WEBHOOK_SECRET/);
    // Answered while the client was still sending, far from the 64 MiB it meant to send.
    expect(upload.written()).toBeLessThan(16 * MiB);
    expect(await inboundEventCount()).toBe(before);
  });

  it('answers 413 once an authenticated form passes the cap, without a Content-Length', async () => {
    const before = await inboundEventCount();
    const upload = streamForm(
      api.url,
      '/api/webhooks/email',
      { authorization: basicAuth() },
      { fields: fixture('sendgrid/inbound-parse.json'), fileBytes: 40 * MiB, finish: true },
    );
    // The server answers and closes without reading the rest; a client still writing may see
    // the reset (EPIPE) before it reads the 413, as with any HTTP server that refuses early.
    const answer = await upload.response.catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') throw error;
      return undefined;
    });
    if (answer) {
      expect(answer.status).toBe(413);
      expect(answer.body.message).toMatch(/too large.*33554432 bytes/);
    }
    expect(upload.written()).toBeLessThan(40 * MiB);
    expect(await inboundEventCount()).toBe(before);
  });

  it('answers 413 at once to a declared Content-Length over the cap', async () => {
    const upload = streamForm(
      api.url,
      '/api/webhooks/email',
      { authorization: basicAuth(), 'content-length': String(33 * MiB) },
      { fields: {}, fileBytes: 0, finish: false },
    );
    expect((await upload.response).status).toBe(413);
  });

  it('takes an authenticated form with an attachment within the cap', async () => {
    const sample = fixture('sendgrid/inbound-parse.json');
    // Its own sender and Message-ID: the sample's belong to the email webhook's tests.
    const messageId = `<${randomBytes(8).toString('hex')}@mail.example.com>`;
    const form = await sendgridForm(
      {
        ...sample,
        from: `Multi Part <${uniqueEmail()}>`,
        headers: sample.headers.replace(/Message-ID: <[^>]+>/, `Message-ID: ${messageId}`),
      },
      { attachment1: new Blob([randomBytes(5 * MiB)]) },
    );
    const response = await api.request('POST', '/api/webhooks/email', form.body, {
      'content-type': form.contentType,
      authorization: basicAuth(),
    });
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('processed');
    expect(
      await sql('SELECT id FROM messages WHERE provider_message_id = $1', [messageId]),
    ).toHaveLength(1);
  });
});
