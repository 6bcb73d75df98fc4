import { ApiHarness, startApi } from './support/api-harness';
import { closeDb, sql } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait-for';
import {
  answer,
  startWebhookReceiver,
  WEBHOOK_TEST_ENV,
  WebhookReceiver,
} from './support/webhook-receiver';
import { startWorker, WorkerHarness } from './support/worker-harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const WEBHOOK_ENV = {
  ...WEBHOOK_TEST_ENV,
  // 5.4 s: long enough for the retry tests to recover first, short enough to wait for.
  EVENT_WEBHOOK_DISABLE_AFTER_HOURS: '0.0015',
};

describe('Outgoing webhooks: endpoints, signing, retries, disabling, replay', () => {
  let api: ApiHarness;
  let worker: WorkerHarness;
  let receiver: WebhookReceiver;
  const created: string[] = [];

  beforeAll(async () => {
    // Endpoints earlier files left behind would receive this file's events too.
    await sql(`DELETE FROM webhook_endpoints`);
    // The API also allows 127.0.0.2; the worker does not, as if DNS had changed since.
    api = await startApi(
      testEnv({ ...WEBHOOK_ENV, EVENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1,127.0.0.2' }),
    );
    worker = await startWorker(
      testEnv({ ...WEBHOOK_ENV, EVENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' }),
    );
  });

  beforeEach(async () => {
    receiver = await startWebhookReceiver();
  });

  afterEach(async () => {
    for (const id of created.splice(0)) await api.request('DELETE', `/api/webhook-endpoints/${id}`);
    await receiver.close();
  });

  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await sql(`DELETE FROM webhook_endpoints`);
    await closeDb();
  });

  async function register(fields: Record<string, unknown> = {}) {
    const response = await api.request('POST', '/api/webhook-endpoints', {
      url: receiver.url,
      event_types: ['customer.created'],
      ...fields,
    });
    expect(response.status).toBe(201);
    created.push(response.body.id);
    return response.body;
  }

  const received = (count: number, what = `${count} webhooks`) =>
    waitFor(() => receiver.received.length >= count && receiver.received, what, 20_000);

  async function deliveries(endpointId: string, status = '') {
    const page = await api.request(
      'GET',
      `/api/webhook-endpoints/${endpointId}/deliveries${status ? `?status=${status}` : ''}`,
    );
    expect(page.status).toBe(200);
    return page.body.data as any[];
  }

  const endpointStatus = async (id: string) =>
    (await api.request('GET', `/api/webhook-endpoints/${id}`)).body;

  it('registers with a whsec_ secret shown once and delivers signed events', async () => {
    const endpoint = await register({ description: 'CRM', metadata: { team: 'ops' } });
    expect(endpoint).toMatchObject({
      url: receiver.url,
      event_types: ['customer.created'],
      ordered: false,
      status: 'enabled',
      rate_limit_per_second: null,
      metadata: { team: 'ops' },
    });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const read = await api.request('GET', `/api/webhook-endpoints/${endpoint.id}`);
    expect(read.body.secret).toBeUndefined();
    const listed = await api.request('GET', '/api/webhook-endpoints');
    expect(listed.body.data.map((item: any) => item.id)).toContain(endpoint.id);
    expect(listed.body.data.every((item: any) => item.secret === undefined)).toBe(true);

    const customer = await createCustomer(api);
    const [webhook] = await received(1);
    expect(receiver.verify(endpoint.secret, webhook)).toEqual(webhook.body);
    expect(webhook.body).toEqual({
      id: `evt_${webhook.body.seq}`,
      seq: expect.any(Number),
      type: 'customer.created',
      created_at: expect.stringMatching(/Z$/),
      conversation_id: null,
      data: customer,
    });
    expect(webhook.headers['webhook-id']).toBe(webhook.body.id);
    const events = await api.request('GET', `/api/events?after=${webhook.body.seq - 1}&limit=1`);
    expect(events.body.data[0]).toMatchObject({ seq: webhook.body.seq, data: customer });

    const [delivery] = await waitFor(
      async () =>
        (await deliveries(endpoint.id, 'succeeded')).length === 1 && deliveries(endpoint.id),
      'the delivery to be succeeded',
    );
    expect(delivery).toMatchObject({
      event_id: webhook.body.id,
      seq: webhook.body.seq,
      type: 'customer.created',
      status: 'succeeded',
      attempt_count: 1,
      next_attempt_at: null,
      last_response_status: 204,
      last_error: null,
    });
    const attempts = await api.request('GET', `/api/webhook-deliveries/${delivery.id}/attempts`);
    expect(attempts.body.data).toEqual([
      {
        attempt: 1,
        started_at: expect.any(String),
        duration_ms: expect.any(Number),
        response_status: 204,
        response_body: '',
        error: null,
      },
    ]);
  });

  it('retries a failing delivery with the same webhook-id and keeps every attempt', async () => {
    receiver.reply((res, _webhook, index) =>
      index < 2 ? res.writeHead(500).end('x'.repeat(5000)) : res.writeHead(200).end('ok'),
    );
    const endpoint = await register();
    await createCustomer(api);
    const webhooks = await received(3);
    expect(new Set(webhooks.map((w) => w.headers['webhook-id'])).size).toBe(1);
    // 300 ms ± 20 % between tries.
    expect(webhooks[1].receivedAt - webhooks[0].receivedAt).toBeGreaterThanOrEqual(230);
    const delivery = await waitFor(async () => {
      const [row] = await deliveries(endpoint.id);
      return row?.status === 'succeeded' && row;
    }, 'the delivery to succeed');
    expect(delivery.attempt_count).toBe(3);
    const attempts = (await api.request('GET', `/api/webhook-deliveries/${delivery.id}/attempts`))
      .body.data;
    expect(attempts.map((a: any) => a.response_status)).toEqual([500, 500, 200]);
    expect(attempts[0].response_body).toHaveLength(4096);
    expect(attempts[0].error).toBe('endpoint answered HTTP 500');
    expect(attempts[2]).toMatchObject({ response_body: 'ok', error: null });
  });

  it('gives up after the configured tries and never follows a redirect', async () => {
    receiver.reply(answer(302, { location: 'http://127.0.0.1:1/elsewhere' }));
    const endpoint = await register();
    await createCustomer(api);
    const delivery = await waitFor(async () => {
      const [row] = await deliveries(endpoint.id);
      return row?.status === 'failed' && row;
    }, 'the delivery to fail');
    expect(delivery).toMatchObject({
      attempt_count: 4,
      last_response_status: 302,
      last_error: 'endpoint answered HTTP 302 (redirects are not followed)',
    });
    expect(receiver.received).toHaveLength(4);
  });

  it('waits at least a 429 Retry-After before the next try', async () => {
    receiver.reply((res, _webhook, index) =>
      index === 0 ? res.writeHead(429, { 'retry-after': '2' }).end() : res.writeHead(204).end(),
    );
    await register();
    await createCustomer(api);
    const [first, second] = await received(2);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1_950);
  });

  it('disables an endpoint at once on a 410 and appends webhook_endpoint.disabled', async () => {
    receiver.reply(answer(410));
    const endpoint = await register();
    const [{ last_seq: before }] = await sql(`SELECT last_seq FROM event_sequence`);
    await createCustomer(api);
    const disabled = await waitFor(async () => {
      const current = await endpointStatus(endpoint.id);
      return current.status === 'disabled' && current;
    }, 'the endpoint to be disabled');
    expect(disabled.disabled_reason).toBe('endpoint answered HTTP 410 (gone)');
    const event = await waitFor(async () => {
      const page = await api.request('GET', `/api/events?after=${before}&limit=200`);
      return page.body.data.find((e: any) => e.type === 'webhook_endpoint.disabled');
    }, 'the webhook_endpoint.disabled event');
    expect(event).toMatchObject({
      conversation_id: null,
      data: { id: endpoint.id, status: 'disabled' },
    });
    expect((await deliveries(endpoint.id))[0]).toMatchObject({
      status: 'failed',
      last_response_status: 410,
    });
    await createCustomer(api);
    await sleep(1_000);
    expect(receiver.received).toHaveLength(1);
  });

  it('disables an endpoint failing for the configured period; re-enabling and recover resend', async () => {
    receiver.reply(answer(500));
    const endpoint = await register();
    const startedAt = new Date();
    const deadline = Date.now() + 20_000;
    while ((await endpointStatus(endpoint.id)).status === 'enabled' && Date.now() < deadline) {
      await createCustomer(api);
      await sleep(700);
    }
    const disabled = await endpointStatus(endpoint.id);
    expect(disabled.status).toBe('disabled');
    expect(disabled.disabled_reason).toMatch(/^no successful delivery for 0.0015 h while failing/);
    const firstTry = receiver.received[0].receivedAt;
    expect(Date.now() - firstTry).toBeGreaterThanOrEqual(5_400);
    // Disabled: sent nothing, also not the retries still pending.
    await sleep(500);
    const sentWhileEnabled = receiver.received.length;
    await createCustomer(api);
    await sleep(1_000);
    expect(receiver.received).toHaveLength(sentWhileEnabled);

    receiver.reply(answer(204));
    const enabled = await api.request('PATCH', `/api/webhook-endpoints/${endpoint.id}`, {
      status: 'enabled',
    });
    expect(enabled.body).toMatchObject({ status: 'enabled', disabled_reason: null });
    const recovered = await api.request('POST', `/api/webhook-endpoints/${endpoint.id}/recover`, {
      since: startedAt.toISOString(),
    });
    expect(recovered.status).toBe(202);
    expect(recovered.body.scheduled).toBeGreaterThan(0);
    const all = await waitFor(async () => {
      const rows = await deliveries(endpoint.id);
      return rows.every((row) => row.status === 'succeeded') && rows;
    }, 'every delivery of the endpoint to succeed after re-enabling');
    // Every event made while it was enabled, none of those made while it was disabled.
    const okIds = new Set(
      receiver.received.slice(sentWhileEnabled).map((w) => String(w.headers['webhook-id'])),
    );
    expect(okIds).toEqual(new Set(all.map((row) => row.event_id)));
  });

  it('rotates the secret: both signatures for 24 h, each verifying', async () => {
    const endpoint = await register();
    const rotated = await api.request(
      'POST',
      `/api/webhook-endpoints/${endpoint.id}/rotate-secret`,
    );
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    await createCustomer(api);
    const [webhook] = await received(1);
    expect(String(webhook.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(receiver.verify(endpoint.secret, webhook)).toEqual(webhook.body);
    expect(receiver.verify(rotated.body.secret, webhook)).toEqual(webhook.body);
  });

  it('sends a webhook.test now, resends one delivery and replays after a seq', async () => {
    const endpoint = await register();
    const test = await api.request('POST', `/api/webhook-endpoints/${endpoint.id}/test`);
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ succeeded: true, attempt: 1, response_status: 204 });
    const [probe] = receiver.received;
    expect(probe.body).toMatchObject({ type: 'webhook.test', seq: null });
    expect(receiver.verify(endpoint.secret, probe)).toEqual(probe.body);

    await createCustomer(api);
    await createCustomer(api);
    const [, first, second] = await received(3);
    const [latest] = await waitFor(async () => {
      const rows = (await deliveries(endpoint.id, 'succeeded')).filter((r) => r.seq !== null);
      return rows.length === 2 && rows;
    }, 'two succeeded deliveries');
    const resent = await api.request('POST', `/api/webhook-deliveries/${latest.id}/resend`);
    expect(resent.status).toBe(202);
    const [again] = (await received(4)).slice(3);
    expect(again.headers['webhook-id']).toBe(latest.event_id);

    const replay = await api.request('POST', `/api/webhook-endpoints/${endpoint.id}/replay`, {
      after_seq: first.body.seq - 1,
    });
    expect(replay.status).toBe(202);
    expect(replay.body.scheduled).toBeGreaterThanOrEqual(2);
    const replayed = (await received(6)).slice(4).map((w) => w.body.seq);
    expect(replayed).toEqual(expect.arrayContaining([first.body.seq, second.body.seq]));
  });

  it('matches each event against the endpoint as it stood when the event was made', async () => {
    const endpoint = await register({ event_types: ['conversation.created'] });
    await createCustomer(api);
    const conversation = await createConversation(api, 'sms');
    const [webhook] = await received(1);
    expect(webhook.body).toMatchObject({
      type: 'conversation.created',
      conversation_id: conversation.id,
    });
    await api.request('PATCH', `/api/webhook-endpoints/${endpoint.id}`, {
      event_types: ['customer.created'],
    });
    const customer = await createCustomer(api);
    const [, next] = await received(2);
    expect(next.body).toMatchObject({ type: 'customer.created', data: { id: customer.id } });
    await sleep(500);
    expect(receiver.received.map((w) => w.body.type)).toEqual([
      'conversation.created',
      'customer.created',
    ]);
  });

  it('ordered: one at a time in seq order, a failing event holding the later ones', async () => {
    receiver.reply((res, _webhook, index) =>
      setTimeout(() => res.writeHead(index < 2 ? 503 : 204).end(), 30),
    );
    await register({ ordered: true });
    for (let i = 0; i < 5; i++) await createCustomer(api);
    await waitFor(
      () => receiver.distinctIds().size === 5 && receiver.received.length >= 7,
      '5 events',
    );
    const seqs = receiver.received.map((w) => w.body.seq);
    expect(seqs.slice(0, 3)).toEqual([seqs[0], seqs[0], seqs[0]]);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(receiver.maxInFlight()).toBe(1);
  });

  it('parallel by default, and never more than rate_limit_per_second', async () => {
    receiver.reply((res) => setTimeout(() => res.writeHead(204).end(), 100));
    await register({ rate_limit_per_second: 2 });
    await Promise.all(Array.from({ length: 6 }, () => createCustomer(api)));
    const times = (await received(6)).map((webhook) => webhook.receivedAt);
    // Any three in a row span a second (less a little arrival jitter on a loaded box).
    for (let i = 0; i + 2 < times.length; i++) {
      expect(times[i + 2] - times[i]).toBeGreaterThanOrEqual(900);
    }
    expect(times[5] - times[0]).toBeGreaterThanOrEqual(1_900);
  });

  it('refuses private, loopback, link-local and metadata URLs at registration', async () => {
    const strict = await startApi(testEnv({ ...WEBHOOK_ENV, EVENT_WEBHOOK_ALLOWED_HOSTS: '' }));
    try {
      for (const url of [
        'http://10.0.0.1/hook',
        'http://169.254.169.254/latest/meta-data/',
        'http://[::1]:8080/hook',
        `http://localhost:${new URL(receiver.url).port}/hook`,
        receiver.url,
      ]) {
        const response = await strict.request('POST', '/api/webhook-endpoints', { url });
        expect({ url, status: response.status }).toEqual({ url, status: 400 });
        expect(response.body.message).toMatch(/private, loopback, link-local or metadata/);
      }
      const ftp = await strict.request('POST', '/api/webhook-endpoints', { url: 'ftp://x.org/' });
      expect(ftp.status).toBe(400);
    } finally {
      await strict.close();
    }
    expect(await sql(`SELECT 1 FROM webhook_endpoints WHERE url LIKE '%10.0.0.1%'`)).toEqual([]);
  });

  it('checks the address again at send time', async () => {
    const endpoint = await register({ url: receiver.url.replace('127.0.0.1', '127.0.0.2') });
    await createCustomer(api);
    const [delivery] = await waitFor(async () => {
      const rows = await deliveries(endpoint.id);
      return rows[0]?.attempt_count >= 1 && rows[0]?.last_error && rows;
    }, 'a refused attempt');
    expect(delivery.last_error).toMatch(/^not sent: 127.0.0.2 resolves to 127.0.0.2, a private/);
    expect(delivery.last_response_status).toBeNull();
    expect(receiver.received).toHaveLength(0);
  });
});
