import { createConversation } from './support/factories';
import { freePort, metricValue, scrape } from './support/metrics';
import { OutboundStack, startOutboundStack } from './support/outbound-stack';
import { waitFor } from './support/wait-for';

describe('Operations: Prometheus metrics (API /metrics and the worker’s own port)', () => {
  let stack: OutboundStack;
  let workerMetricsUrl: string;
  const apiMetrics = () => scrape(`${stack.api.url}/metrics`);
  const workerMetrics = () => scrape(workerMetricsUrl);

  beforeAll(async () => {
    stack = await startOutboundStack({ WEB_RATE_LIMIT_PER_SECOND: '5000' }, { worker: false });
  });
  beforeEach(() => stack.web.reset());
  afterAll(() => stack.stop());

  it('shows a backlog in the queue depth, then counts the sends as the worker drains it', async () => {
    const conversation = await createConversation(stack.api, 'web');
    const before = await apiMetrics();
    expect(metricValue(before, 'outbound_queue_up')).toBe(1);
    expect(metricValue(before, 'outbound_queue_jobs', { channel: 'web', state: 'waiting' })).toBe(
      0,
    );

    const messages = [];
    for (let i = 0; i < 3; i++) messages.push(await stack.send(conversation.id, 'web'));
    const backlog = await apiMetrics();
    expect(metricValue(backlog, 'outbound_queue_jobs', { channel: 'web', state: 'waiting' })).toBe(
      3,
    );
    expect(metricValue(backlog, 'outbound_queue_jobs', { channel: 'sms', state: 'waiting' })).toBe(
      0,
    );

    const port = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
    await stack.startWorker({ WORKER_METRICS_PORT: String(port) });
    for (const message of messages) await stack.waitForStatus(message.id, ['sent']);

    const web = { channel: 'web' };
    const after = await workerMetrics();
    expect(
      metricValue(after, 'messages_total', { ...web, direction: 'outbound', status: 'sent' }),
    ).toBe(3);
    expect(metricValue(after, 'delivery_attempts_total', { ...web, outcome: 'sent' })).toBe(3);
    expect(metricValue(after, 'delivery_attempt_duration_seconds_count', web)).toBe(3);
    expect(
      metricValue(after, 'delivery_attempts_total', { ...web, outcome: 'permanent_error' }),
    ).toBe(0);
    expect(
      metricValue(after, 'process_cpu_user_seconds_total', { process: 'worker' }),
    ).toBeGreaterThan(0);
    await waitFor(
      async () =>
        metricValue(await apiMetrics(), 'outbound_queue_jobs', { ...web, state: 'waiting' }) === 0,
      'the web queue to drain',
    );
  });

  it('counts failed attempts and failed messages', async () => {
    const conversation = await createConversation(stack.api, 'web');
    const before = await workerMetrics();
    const failedBefore = metricValue(before, 'messages_total', {
      channel: 'web',
      direction: 'outbound',
      status: 'failed',
    })!;
    const retryingBefore = metricValue(before, 'messages_total', {
      channel: 'web',
      direction: 'outbound',
      status: 'retrying',
    })!;

    // One transient error then success; then a permanent error (410 Gone).
    stack.web.failNext(1, { status: 503 });
    const retried = await stack.send(conversation.id, 'web');
    await stack.waitForStatus(retried.id, ['sent']);
    stack.web.failNext(1, { status: 410 });
    const doomed = await stack.send(conversation.id, 'web');
    await stack.waitForStatus(doomed.id, ['failed']);

    const after = await workerMetrics();
    const web = { channel: 'web', direction: 'outbound' };
    expect(metricValue(after, 'messages_total', { ...web, status: 'failed' })).toBe(
      failedBefore + 1,
    );
    expect(metricValue(after, 'messages_total', { ...web, status: 'retrying' })).toBe(
      retryingBefore + 1,
    );
    expect(
      metricValue(after, 'delivery_attempts_total', { channel: 'web', outcome: 'transient_error' }),
    ).toBe(1);
    expect(
      metricValue(after, 'delivery_attempts_total', { channel: 'web', outcome: 'permanent_error' }),
    ).toBe(1);
    expect(metricValue(after, 'delivery_attempt_duration_seconds_count', { channel: 'web' })).toBe(
      6,
    );

    // Failed jobs stay in BullMQ's failed set (the dead letters), visible as queue depth.
    const api = await apiMetrics();
    expect(metricValue(api, 'outbound_queue_jobs', { channel: 'web', state: 'failed' })).toBe(1);
  });

  it('counts inbound webhook rejections by provider and reason', async () => {
    const rejected = (text: string, provider: string, reason: string) =>
      metricValue(text, 'inbound_webhook_rejections_total', { provider, reason }) ?? 0;
    const before = await apiMetrics();

    const unsigned = await stack.api.request('POST', '/api/webhooks/whatsapp', '{"entry":[]}', {
      'content-type': 'application/json',
      'x-hub-signature-256': 'sha256=' + '0'.repeat(64),
    });
    expect(unsigned.status).toBe(401);
    const wrongType = await stack.api.request('POST', '/api/webhooks/web', 'hello', {
      'content-type': 'text/plain',
    });
    expect(wrongType.status).toBe(415);
    const twilio = await stack.api.request('POST', '/api/webhooks/sms/status', 'MessageSid=SM1', {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': 'forged',
    });
    expect(twilio.status).toBe(403);

    const after = await apiMetrics();
    expect(rejected(after, 'whatsapp', 'unauthenticated')).toBe(
      rejected(before, 'whatsapp', 'unauthenticated') + 1,
    );
    expect(rejected(after, 'web', 'unsupported_media_type')).toBe(
      rejected(before, 'web', 'unsupported_media_type') + 1,
    );
    expect(rejected(after, 'sms', 'forbidden')).toBe(rejected(before, 'sms', 'forbidden') + 1);
  });

  it('shows each series only in the process that fills it', async () => {
    const names = (text: string) =>
      new Set(text.split('\n').flatMap((line) => /^# TYPE (\S+)/.exec(line)?.[1] ?? []));
    const [api, worker] = [names(await apiMetrics()), names(await workerMetrics())];
    const workerOnly = ['delivery_attempts_total', 'delivery_attempt_duration_seconds'];
    const apiOnly = ['inbound_webhook_rejections_total', 'outbound_queue_jobs'];
    for (const name of workerOnly) {
      expect([name, api.has(name), worker.has(name)]).toEqual([name, false, true]);
    }
    for (const name of apiOnly) {
      expect([name, api.has(name), worker.has(name)]).toEqual([name, true, false]);
    }
    expect([api.has('messages_total'), worker.has('messages_total')]).toEqual([true, true]);
  });
});
