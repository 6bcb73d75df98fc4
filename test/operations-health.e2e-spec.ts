import { ApiHarness, startApi } from './support/api-harness';
import { PrivateRedis } from './support/private-redis';
import { testEnv } from './support/test-env';
import { waitFor } from './support/wait-for';

describe('Operations: health probes (GET /health/live, /health/ready)', () => {
  let redis: PrivateRedis;
  let api: ApiHarness;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    api = await startApi(
      testEnv({
        REDIS_URL: redis.url,
        API_KEYS: 'ops-key',
        WEB_WEBHOOK_URL: 'http://127.0.0.1:9/hook',
        WEB_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      }),
    );
  });
  afterAll(async () => {
    await redis.resume().catch(() => undefined);
    await api.close();
    await redis.stop();
  });

  it('answers live and ready without an API key, listing the configured channels', async () => {
    const live = await api.request('GET', '/health/live');
    expect(live.status).toBe(200);
    expect(live.body.status).toBe('ok');

    const ready = await api.request('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details.postgres.status).toBe('up');
    expect(ready.body.details.redis.status).toBe('up');
    expect(ready.body.details.channels).toEqual({
      status: 'up',
      whatsapp: false,
      sms: false,
      email: true,
      web: true,
      mailer: 'log',
    });
  });

  it('turns not ready (503, redis down) when Redis stops, and ready again when it is back', async () => {
    await redis.stop();
    const started = Date.now();
    const down = await waitFor(async () => {
      const response = await api.request('GET', '/health/ready');
      return response.status === 503 ? response : undefined;
    }, 'readiness to fail');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(down.body.status).toBe('error');
    expect(down.body.error.redis.status).toBe('down');
    expect(down.body.details.postgres.status).toBe('up');
    // Liveness does not depend on Redis: an outage must not restart the API.
    expect((await api.request('GET', '/health/live')).status).toBe(200);

    await redis.resume();
    const up = await waitFor(
      async () => {
        const response = await api.request('GET', '/health/ready');
        return response.status === 200 ? response : undefined;
      },
      'readiness to come back',
      20_000,
    );
    expect(up.body.details.redis.status).toBe('up');
  });
});
