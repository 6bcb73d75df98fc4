import { ConfigError, loadConfig } from './app-config';

describe('retention configuration', () => {
  it('defaults to 30 days, 24 hours, messages kept, a prune every minute', () => {
    expect(loadConfig({}).retention).toEqual({
      eventsMs: 30 * 86_400_000,
      inboundEventsMs: 30 * 86_400_000,
      webhookDeliveriesMs: 30 * 86_400_000,
      idempotencyMs: 24 * 3_600_000,
      messagesMs: null,
      pruneIntervalMs: 60_000,
    });
  });

  it('takes decimals (seconds in tests) and reads 0 as forever', () => {
    const { retention } = loadConfig({
      RETENTION_EVENTS_DAYS: String(2 / 86_400),
      RETENTION_IDEMPOTENCY_HOURS: '0.5',
      RETENTION_MESSAGES_DAYS: '7',
      RETENTION_INBOUND_EVENTS_DAYS: '0',
    });
    expect(retention).toMatchObject({
      eventsMs: 2_000,
      idempotencyMs: 1_800_000,
      messagesMs: 7 * 86_400_000,
      inboundEventsMs: null,
    });
  });

  it('names each wrong variable', () => {
    expect(() =>
      loadConfig({ RETENTION_EVENTS_DAYS: '-1', RETENTION_PRUNE_INTERVAL_MS: 'often' }),
    ).toThrow(
      new ConfigError([
        'RETENTION_EVENTS_DAYS must be a number >= 0 (0 keeps forever), got "-1"',
        'RETENTION_PRUNE_INTERVAL_MS must be a whole number >= 100, got "often"',
      ]),
    );
  });
});
