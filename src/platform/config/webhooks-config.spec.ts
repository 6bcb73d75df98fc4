import { ConfigError, loadConfig } from './app-config';

describe('outgoing webhook configuration', () => {
  it('defaults to the Svix schedule, 15 s, 120 h and no allowed private hosts', () => {
    expect(loadConfig({}).webhooks).toEqual({
      retryDelaysMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
      timeoutMs: 15_000,
      disableAfterMs: 120 * 3_600_000,
      allowedHosts: [],
      concurrency: 50,
      endpointConcurrency: 10,
      pollIntervalMs: 200,
    });
  });

  it('takes decimal hours and hosts or CIDRs', () => {
    const { webhooks } = loadConfig({
      EVENT_WEBHOOK_DISABLE_AFTER_HOURS: '0.0015',
      EVENT_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1, Hooks.Internal ,10.1.0.0/16,fd00::/8',
    });
    expect(webhooks.disableAfterMs).toBeCloseTo(5_400);
    expect(webhooks.allowedHosts).toEqual([
      '127.0.0.1',
      'hooks.internal',
      '10.1.0.0/16',
      'fd00::/8',
    ]);
  });

  it('names every bad variable', () => {
    const load = () =>
      loadConfig({
        EVENT_WEBHOOK_DISABLE_AFTER_HOURS: '0',
        EVENT_WEBHOOK_RETRY_DELAYS_MS: '5s',
        EVENT_WEBHOOK_ALLOWED_HOSTS: '10.0.0.0/33,host/8',
        EVENT_WEBHOOK_TIMEOUT_MS: '-1',
      });
    expect(load).toThrow(ConfigError);
    try {
      load();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/EVENT_WEBHOOK_DISABLE_AFTER_HOURS/);
      expect(problems).toMatch(/EVENT_WEBHOOK_RETRY_DELAYS_MS/);
      expect(problems).toMatch(/"10.0.0.0\/33"/);
      expect(problems).toMatch(/"host\/8"/);
      expect(problems).toMatch(/EVENT_WEBHOOK_TIMEOUT_MS/);
    }
  });
});
