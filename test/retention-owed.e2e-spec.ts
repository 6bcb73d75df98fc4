import { ApiHarness, startApi } from './support/api-harness';
import { closeDb, sql } from './support/db';
import { createCustomer } from './support/factories';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait-for';
import {
  answer,
  startWebhookReceiver,
  WEBHOOK_TEST_ENV,
  WebhookReceiver,
} from './support/webhook-receiver';
import { startWorker, WorkerHarness } from './support/worker-harness';

const SECONDS = (n: number) => String(n / 86_400);

describe('Retention keeps what outgoing webhooks still owe', () => {
  let api: ApiHarness;
  let worker: WorkerHarness | undefined;
  let failing: WebhookReceiver;
  let healthy: WebhookReceiver;

  beforeAll(async () => {
    // Endpoints earlier files left behind would hold or receive this file's events.
    await sql(`DELETE FROM webhook_endpoints`);
    failing = await startWebhookReceiver(answer(500));
    healthy = await startWebhookReceiver(answer(204));
    const env = testEnv({
      ...WEBHOOK_TEST_ENV,
      // A failed try waits a minute: the delivery stays pending while retention runs.
      EVENT_WEBHOOK_RETRY_DELAYS_MS: '60000',
      RETENTION_EVENTS_DAYS: SECONDS(2),
      RETENTION_WEBHOOK_DELIVERIES_DAYS: SECONDS(2),
      RETENTION_PRUNE_INTERVAL_MS: '300',
    });
    api = await startApi(env);
    worker = await startWorker(env);
  });
  afterAll(async () => {
    await worker?.stop();
    await api?.close();
    await failing?.close();
    await healthy?.close();
    await sql(`DELETE FROM webhook_endpoints`);
    // Later files read events after seqs this file's pruning passed.
    await sql('UPDATE event_retention SET pruned_through = 0');
    await closeDb();
  });

  async function register(url: string): Promise<string> {
    const response = await api.request('POST', '/api/webhook-endpoints', {
      url,
      event_types: ['customer.created'],
    });
    expect(response.status).toBe(201);
    return response.body.id;
  }

  const deliveriesOf = (endpointId: string) =>
    sql(
      `SELECT id, status, attempt_count, leased_until, event_id FROM webhook_deliveries WHERE endpoint_id = $1`,
      [endpointId],
    );

  it('never prunes a pending delivery (failing or disabled endpoint) nor its event; a succeeded one goes', async () => {
    const before = await createCustomer(api);
    const retrying = await register(failing.url);
    const disabled = await register(failing.url);
    const succeeded = await register(healthy.url);
    const customer = await createCustomer(api);

    const tried = await waitFor(async () => {
      const rows = [
        ...(await deliveriesOf(retrying)),
        ...(await deliveriesOf(disabled)),
        ...(await deliveriesOf(succeeded)),
      ];
      return (
        rows.length === 3 &&
        rows.every((row) => row.attempt_count === 1 && row.leased_until === null) &&
        rows
      );
    }, 'the outcome of one try of each delivery');
    const eventId = tried[0].event_id;
    const patched = await api.request('PATCH', `/api/webhook-endpoints/${disabled}`, {
      status: 'disabled',
    });
    expect(patched.status).toBe(200);
    expect((await deliveriesOf(succeeded))[0].status).toBe('succeeded');
    const [event] = await sql(`SELECT seq::int FROM events WHERE id = $1`, [eventId]);
    const [earlier] = await sql(
      `SELECT seq::int FROM events WHERE type = 'customer.created' AND data ->> 'id' = $1`,
      [before.id],
    );

    // Everything is past its 2 s retention: what is owed nothing goes, the rest stays.
    await waitFor(
      async () => (await deliveriesOf(succeeded)).length === 0,
      'the succeeded delivery to be pruned',
      20_000,
    );
    await waitFor(async () => {
      const [row] = await sql('SELECT pruned_through::int FROM event_retention');
      return row.pruned_through >= earlier.seq;
    }, 'the events before the owed one to be pruned');
    for (const endpointId of [retrying, disabled]) {
      const [owed] = await deliveriesOf(endpointId);
      expect(owed).toMatchObject({ status: 'pending', event_id: eventId });
    }
    const kept = await api.request('GET', `/api/events?after=${event.seq - 1}&limit=1`);
    expect(kept.status).toBe(200);
    expect(kept.body.data[0]).toMatchObject({ seq: event.seq, data: { id: customer.id } });
    expect(worker!.output()).toMatch(/retention pruned/);

    // Once the endpoint answers again, the delivery goes out with its event.
    failing.reply(answer(204));
    const [owed] = await deliveriesOf(retrying);
    const resent = await api.request('POST', `/api/webhook-deliveries/${owed.id}/resend`);
    expect(resent.status).toBe(202);
    const [webhook] = await waitFor(
      () => failing.received.length >= 3 && failing.received.slice(2),
      'the owed delivery to be sent',
    );
    expect(webhook.body).toMatchObject({ seq: event.seq, data: customer });
  });
});
