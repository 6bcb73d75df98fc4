import type { AppConfig } from '../../platform/config/app-config';
import type { EventSequencer } from '../events/event-sequencer';
import type { EventsPublishedListener } from '../events/events-published.listener';
import type { DeliveryOutcome, WebhookDeliverer } from './webhook-deliverer';
import type { ClaimedDelivery, WebhookDeliveryLedger } from './webhook-delivery.ledger';
import { WebhookDispatcher } from './webhook-dispatcher';
import type { WebhookRateLimiter } from './webhook-rate-limiter';

const delivery = (id: string): ClaimedDelivery => ({
  id,
  endpointId: 'endpoint',
  origin: 'event',
  attempt: 1,
  roundAttempts: 1,
  url: 'http://127.0.0.1/hook',
  secrets: ['whsec_c2VjcmV0'],
  rateLimitPerSecond: null,
  endpointFailing: false,
  webhookId: `evt_${id}`,
  body: '{}',
});

const answered: DeliveryOutcome = { succeeded: true, startedAt: new Date(), durationMs: 20 };

/** One slot, two due deliveries (a then b); a's answer takes `answerMs`, its outcome `recordMs`. */
function oneSlotDispatcher(answerMs: number, recordMs: number) {
  const due = [delivery('a'), delivery('b')];
  const sent: string[] = [];
  const ledger = {
    fanOut: jest.fn(async () => 0),
    claimDue: jest.fn(async (limit: number) => due.splice(0, limit)),
    release: jest.fn(async () => undefined),
  };
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const deliverer = {
    send: jest.fn(async (claimed: ClaimedDelivery) => {
      sent.push(claimed.id);
      await wait(claimed.id === 'a' ? answerMs : 20);
      return answered;
    }),
    record: jest.fn(() => wait(recordMs)),
  };
  const config = {
    webhooks: { concurrency: 1, endpointConcurrency: 10, timeoutMs: 2_000, pollIntervalMs: 60_000 },
  } as AppConfig;
  const dispatcher = new WebhookDispatcher(
    config,
    ledger as unknown as WebhookDeliveryLedger,
    deliverer as unknown as WebhookDeliverer,
    {} as WebhookRateLimiter,
    { publish: async () => null } as unknown as EventSequencer,
    { listen: () => undefined } as unknown as EventsPublishedListener,
  );
  return { dispatcher, ledger, sent };
}

describe('WebhookDispatcher', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('starts the next delivery once the answer is in, without waiting for the outcome', async () => {
    const { dispatcher, sent } = oneSlotDispatcher(20, 1_000);
    dispatcher.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(30);
    expect(sent).toEqual(['a', 'b']);
    const stopped = dispatcher.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(2_000);
    await stopped;
  });

  it('gives back a claimed delivery that waited over a second for a slot, untried', async () => {
    const { dispatcher, ledger, sent } = oneSlotDispatcher(1_500, 0);
    dispatcher.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(1_600);
    expect(sent).toEqual(['a']);
    expect(ledger.release).toHaveBeenCalledWith(
      expect.objectContaining({ id: 'b' }),
      expect.any(Date),
    );
    const stopped = dispatcher.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(100);
    await stopped;
  });

  it('gives back at shutdown what it claimed and has not sent', async () => {
    const { dispatcher, ledger, sent } = oneSlotDispatcher(500, 0);
    dispatcher.onApplicationBootstrap();
    await jest.advanceTimersByTimeAsync(10);
    const stopped = dispatcher.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(600);
    await stopped;
    expect(sent).toEqual(['a']);
    expect(ledger.release).toHaveBeenCalledWith(
      expect.objectContaining({ id: 'b' }),
      expect.any(Date),
    );
  });
});
