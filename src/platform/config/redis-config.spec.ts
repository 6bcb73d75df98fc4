import { ConfigError, loadConfig } from './app-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('Redis configuration', () => {
  it('uses REDIS_URL alone unless cluster nodes are given', () => {
    expect(loadConfig({}).redisClusterNodes).toBeUndefined();
  });

  it('reads cluster seed nodes, IPv6 in brackets', () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: 'redis-a:7000, 10.0.0.2:7001,[::1]:7002',
      QUEUE_PREFIX: '{omni}',
    });
    expect(config.redisClusterNodes).toEqual([
      { host: 'redis-a', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it.each(['omni', 'omni{}', '{}omni{x}', 'omni}x{'])(
    'refuses cluster mode with prefix %p, which puts queue keys in different slots',
    (prefix) => {
      expect(problemsOf({ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: prefix })).toEqual([
        expect.stringMatching(/^QUEUE_PREFIX must hold a \{hash tag\} when REDIS_CLUSTER_NODES/),
      ]);
    },
  );

  it.each(['{omni}', 'shop-{eu}', '{tenant-7}:prod'])(
    'takes prefix %p in cluster mode',
    (prefix) => {
      expect(problemsOf({ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: prefix })).toEqual([]);
    },
  );

  it('names the default prefix when cluster mode has none', () => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'a:7000' })).toEqual([
      expect.stringContaining('e.g. "{omni}"'),
    ]);
  });

  it('names every malformed node', () => {
    expect(
      problemsOf({ REDIS_CLUSTER_NODES: 'a:7000,b,c:0,:7001', QUEUE_PREFIX: '{omni}' }),
    ).toEqual([
      'REDIS_CLUSTER_NODES entries must be host:port, got "b"',
      'REDIS_CLUSTER_NODES entries must be host:port, got "c:0"',
      'REDIS_CLUSTER_NODES entries must be host:port, got ":7001"',
    ]);
  });
});
