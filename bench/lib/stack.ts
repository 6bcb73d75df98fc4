import { createServer } from 'node:net';
import { join } from 'node:path';
import { Child, startChild } from './processes';
import { settings } from './settings';

export interface StandIn {
  child: Child;
  apiUrl: string;
  /** Forgets the requests it recorded; resolves with how many it had accepted. */
  reset(): Promise<number>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

export async function startStandIn(): Promise<StandIn> {
  const child = await startChild({
    name: 'stand-in',
    args: ['bench/stand-in/provider-process.ts'],
    typescript: true,
    ipc: true,
    readyText: 'stand-in listening',
    env: {
      STAND_IN_DELAY_MS: String(settings.providerDelayMs),
      STAND_IN_ACCESS_TOKEN: settings.whatsapp.accessToken,
      STAND_IN_PHONE_NUMBER_ID: settings.whatsapp.phoneNumberId,
    },
  });
  const apiUrl = /stand-in listening (\S+)/.exec(child.tail())![1];
  return {
    child,
    apiUrl,
    reset: () =>
      new Promise<number>((resolve) => {
        child.process.once('message', (message: { accepted: number }) => resolve(message.accepted));
        child.process.send({ type: 'reset' });
      }),
  };
}

/** The product's environment as the README documents it, raised limits aside. */
export function productEnv(standIn: StandIn, port?: number): Record<string, string> {
  return {
    NODE_ENV: 'production',
    ...(port !== undefined && { PORT: String(port) }),
    DATABASE_URL: settings.databaseUrl,
    REDIS_URL: settings.redisUrl,
    QUEUE_PREFIX: settings.queuePrefix,
    API_KEYS: settings.apiKey,
    LOG_LEVEL: settings.logLevel,
    MAIL_MAILER: 'smtp',
    MAIL_HOST: '127.0.0.1',
    WHATSAPP_API_URL: standIn.apiUrl,
    WHATSAPP_ACCESS_TOKEN: settings.whatsapp.accessToken,
    WHATSAPP_APP_SECRET: settings.whatsapp.appSecret,
    WHATSAPP_VERIFY_TOKEN: settings.whatsapp.verifyToken,
    ATTACHMENT_URL_SECRET: 'bench-attachment-url-secret-of-32-chars',
    SENDER_SECRETS_KEY: settings.senderSecretsKey,
    OUTBOUND_CONCURRENCY: String(settings.concurrency),
    // The default 80/s is WhatsApp's own ceiling; the bench measures the worker, not the limiter.
    WHATSAPP_RATE_LIMIT_PER_SECOND: '100000',
  };
}

export interface Api {
  child: Child;
  url: string;
}

export async function startApi(
  standIn: StandIn,
  extraEnv: Record<string, string> = {},
): Promise<Api> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startChild({
    name: 'api',
    args: [join(settings.buildDir, 'main.js')],
    env: { ...productEnv(standIn, port), ...extraEnv },
    profile: settings.profile,
    ready: async () => {
      const response = await fetch(`${url}/api/conversations?limit=1`, {
        headers: { authorization: `Bearer ${settings.apiKey}` },
      });
      return response.status === 200;
    },
  });
  return { child, url };
}

export async function startWorker(
  standIn: StandIn,
  index = 0,
  env: Record<string, string> = {},
): Promise<Child> {
  return startChild({
    name: `worker-${index}`,
    args: [join(settings.buildDir, 'worker.js')],
    env: { ...productEnv(standIn), ...env },
    profile: settings.profile,
    readyText: 'worker started',
  });
}

export async function startBareApi(): Promise<Api> {
  const port = await freePort();
  const child = await startChild({
    name: 'bare-api',
    args: ['bench/bare/bare-api.ts'],
    typescript: true,
    readyText: 'bare api listening',
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: settings.databaseUrl,
      REDIS_URL: settings.redisUrl,
      QUEUE_PREFIX: settings.queuePrefix,
    },
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

export async function startBareWorker(standIn: StandIn): Promise<Child> {
  return startChild({
    name: 'bare-worker',
    args: ['bench/bare/bare-worker.ts'],
    typescript: true,
    readyText: 'bare worker started',
    env: {
      NODE_ENV: 'production',
      REDIS_URL: settings.redisUrl,
      QUEUE_PREFIX: settings.queuePrefix,
      WHATSAPP_API_URL: standIn.apiUrl,
      WHATSAPP_ACCESS_TOKEN: settings.whatsapp.accessToken,
      OUTBOUND_CONCURRENCY: String(settings.concurrency),
    },
  });
}
