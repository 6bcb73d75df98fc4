import { isIP } from 'node:net';
import { secretKeyProblem } from '../crypto/secret-box';
import { CHANNELS, Channel } from '../../shared/channel';

export interface WhatsappConfig {
  apiUrl: string;
  accessToken: string;
}

export interface SmsConfig {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  fromNumber?: string;
  messagingServiceSid?: string;
}

export interface MailConfig {
  mailer: 'smtp' | 'log';
  host?: string;
  port: number;
  username?: string;
  password?: string;
  /** Unset: STARTTLS whenever the server offers it; `none` must be asked for. */
  encryption?: 'tls' | 'starttls' | 'none';
  fromAddress: string;
  fromName?: string;
}

export interface RedisNode {
  host: string;
  port: number;
}

export interface WebConfig {
  url: string;
  secret: string;
}

export interface S3StorageConfig {
  bucket: string;
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
}

export interface AttachmentsConfig {
  driver: 'local' | 's3';
  /** Where the local driver keeps files; also where uploads are spooled before they are kept. */
  storagePath: string;
  s3?: S3StorageConfig;
  maxBytes: number;
  urlTtlSeconds: number;
  /** Key of the HMAC that signs media URLs handed to providers (Twilio MediaUrl, web JSON). */
  urlSecret: string;
}

export interface AppConfig {
  nodeEnv: string;
  port: number;
  databaseUrl: string;
  /** Where migrations run: a direct connection when the processes go through a pooler. */
  migrationDatabaseUrl: string;
  database: {
    /** Connecting, and waiting for a free pooled connection. */
    connectTimeoutMs: number;
    /** Server-side statement_timeout; 0 = none. Sent at connect in session mode only. */
    statementTimeoutMs: number;
    /**
     * `transaction`: behind a pooler in transaction mode (PgBouncer), where each transaction may
     * run on another server connection, so nothing may outlive one: no named prepared
     * statements, no startup parameter the pooler does not know.
     */
    poolMode: DatabasePoolMode;
  };
  redisUrl: string;
  /** Set: connect in cluster mode through these seed nodes, and REDIS_URL is unused. */
  redisClusterNodes?: RedisNode[];
  queuePrefix: string;
  defaultCountry: string;
  apiKeys: string[];
  /** How long an agent's sign-in lasts (SESSION_TTL_HOURS). */
  sessionTtlMs: number;
  publicBaseUrl: string;
  logLevel: string;
  /** The worker's own Prometheus endpoint; 0 = none. */
  workerMetricsPort: number;
  outbound: {
    retryDelaysMs: number[];
    httpTimeoutMs: number;
    concurrency: number;
    sweepIntervalMs: number;
    sweepGraceMs: number;
    lockDurationMs: number;
    rateLimitPerSecond: Record<Channel, number>;
  };
  whatsapp: {
    sender?: WhatsappConfig;
    appSecret?: string;
    verifyToken?: string;
    replyWindowHours: number;
  };
  sms?: SmsConfig;
  mail: MailConfig;
  emailWebhookSecret?: string;
  web: { sender?: WebConfig; secret?: string };
  retention: RetentionConfig;
  webhooks: WebhooksConfig;
  attachments: AttachmentsConfig;
  senders: SendersConfig;
}

/** Keys that seal senders' secrets at rest (AES-256-GCM); see SecretBox. */
export interface SendersConfig {
  secretsKey?: string;
  secretsKeyPrevious?: string;
}

/** How long each kind of record is kept, in milliseconds; null = forever. */
export interface RetentionConfig {
  eventsMs: number | null;
  inboundEventsMs: number | null;
  webhookDeliveriesMs: number | null;
  idempotencyMs: number | null;
  messagesMs: number | null;
  pruneIntervalMs: number;
}

/** Outgoing webhooks: client systems' endpoints subscribed to the event log. */
export interface WebhooksConfig {
  retryDelaysMs: number[];
  timeoutMs: number;
  /** An endpoint failing without a success for this long is disabled. */
  disableAfterMs: number;
  /** Hosts and CIDRs that may be private or loopback (refused otherwise). */
  allowedHosts: string[];
  concurrency: number;
  /** At most this many deliveries in flight to one endpoint, so one slow endpoint cannot take every slot. */
  endpointConcurrency: number;
  pollIntervalMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

type Env = Record<string, string | undefined>;

export const DATABASE_POOL_MODES = ['session', 'transaction'] as const;
export type DatabasePoolMode = (typeof DATABASE_POOL_MODES)[number];
/** Settings node-postgres sends in the startup packet when the connection URL names them. */
const STARTUP_SETTINGS = [
  'options',
  'statement_timeout',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
];

const MAIL_ENCRYPTIONS = ['tls', 'starttls', 'none'] as const;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const DEFAULT_RATE_LIMITS: Record<Channel, number> = { whatsapp: 80, sms: 10, email: 20, web: 50 };

/**
 * Reads and validates the whole configuration at once, so that a bad deployment learns about
 * every wrong variable in one start instead of one per restart. The only reader of process.env.
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const integer = (name: string, fallback: number, min = 0): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) {
      problems.push(`${name} must be a whole number >= ${min}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const url = (name: string, fallback?: string, protocols = ['http:', 'https:']) => {
    const raw = text(name) ?? fallback;
    if (raw === undefined) return undefined;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        problems.push(`${name} must be a ${protocols.join(' or ')} URL, got "${parsed.protocol}"`);
      }
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return raw;
  };
  /** A decimal period in `unitMs` units (tests use fractions of a day); 0 or unset = forever. */
  const period = (name: string, fallback: number | null, unitMs: number): number | null => {
    const raw = text(name);
    if (raw === undefined) return fallback === null ? null : fallback * unitMs;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) {
      problems.push(`${name} must be a number >= 0 (0 keeps forever), got "${raw}"`);
      return null;
    }
    return value === 0 ? null : Math.max(1, Math.round(value * unitMs));
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = text(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  };
  /** A channel is configured when all its variables are set; a partial setup is a mistake. */
  const group = (channel: string, names: string[]): boolean => {
    const missing = names.filter((name) => text(name) === undefined);
    if (missing.length === names.length) return false;
    if (missing.length > 0) {
      problems.push(`${channel} is partly configured: set ${missing.join(', ')} too (or none)`);
      return false;
    }
    return true;
  };

  const nodeEnv = text('NODE_ENV') ?? 'development';
  const port = integer('PORT', 3000, 1);
  const workerMetricsPort = integer('WORKER_METRICS_PORT', 9464, 0);
  if (port > 65535 || workerMetricsPort > 65535) {
    problems.push('PORT and WORKER_METRICS_PORT must be TCP ports (at most 65535)');
  }

  const apiKeys = (text('API_KEYS') ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (apiKeys.length === 0 && nodeEnv === 'production') {
    problems.push('API_KEYS must be set when NODE_ENV=production (the API would be open)');
  }

  const sessionTtlRaw = text('SESSION_TTL_HOURS') ?? '12';
  const sessionTtlHours = Number(sessionTtlRaw);
  if (!Number.isFinite(sessionTtlHours) || sessionTtlHours <= 0) {
    problems.push(
      `SESSION_TTL_HOURS must be a number of hours > 0 (decimals allowed), got "${sessionTtlRaw}"`,
    );
  }

  const defaultCountry = (text('DEFAULT_COUNTRY') ?? 'US').toUpperCase();
  if (!/^[A-Z]{2}$/.test(defaultCountry)) {
    problems.push(`DEFAULT_COUNTRY must be a two-letter ISO country code, got "${defaultCountry}"`);
  }

  const delayList = (name: string, fallback: string): number[] => {
    const raw = text(name) ?? fallback;
    const delays = raw.split(',').map((part) => Number(part.trim()));
    if (delays.some((delay) => !Number.isInteger(delay) || delay < 0)) {
      problems.push(`${name} must be comma-separated whole milliseconds, got "${raw}"`);
    }
    return delays;
  };
  const retryDelaysMs = delayList('OUTBOUND_RETRY_DELAYS_MS', '10000,30000,60000');

  const rateLimitPerSecond = Object.fromEntries(
    CHANNELS.map((channel) => [
      channel,
      integer(`${channel.toUpperCase()}_RATE_LIMIT_PER_SECOND`, DEFAULT_RATE_LIMITS[channel], 1),
    ]),
  ) as Record<Channel, number>;

  const whatsappSender = group('WhatsApp sending', ['WHATSAPP_API_URL', 'WHATSAPP_ACCESS_TOKEN'])
    ? { apiUrl: url('WHATSAPP_API_URL')!, accessToken: text('WHATSAPP_ACCESS_TOKEN')! }
    : undefined;

  let sms: SmsConfig | undefined;
  if (group('Twilio SMS', ['SMS_API_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN'])) {
    sms = {
      apiUrl: url('SMS_API_URL')!,
      accountSid: text('TWILIO_ACCOUNT_SID')!,
      authToken: text('TWILIO_AUTH_TOKEN')!,
      fromNumber: text('TWILIO_FROM_NUMBER'),
      messagingServiceSid: text('TWILIO_MESSAGING_SERVICE_SID'),
    };
    if (!sms.fromNumber && !sms.messagingServiceSid) {
      problems.push('TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID must be set for SMS');
    }
  }

  const mailer = oneOf('MAIL_MAILER', ['smtp', 'log'] as const, 'log');
  if (mailer === 'log' && nodeEnv === 'production') {
    problems.push('MAIL_MAILER=log only logs emails; use smtp when NODE_ENV=production');
  }
  const mail: MailConfig = {
    mailer,
    host: text('MAIL_HOST'),
    port: integer('MAIL_PORT', 587, 1),
    username: text('MAIL_USERNAME'),
    password: text('MAIL_PASSWORD'),
    encryption:
      text('MAIL_ENCRYPTION') === undefined
        ? undefined
        : oneOf('MAIL_ENCRYPTION', MAIL_ENCRYPTIONS, 'starttls'),
    fromAddress: text('MAIL_FROM_ADDRESS') ?? 'messages@localhost',
    fromName: text('MAIL_FROM_NAME'),
  };
  if (mailer === 'smtp' && !mail.host) problems.push('MAIL_HOST must be set when MAIL_MAILER=smtp');
  if (!/^[^@\s]+@[^@\s]+$/.test(mail.fromAddress)) {
    problems.push(`MAIL_FROM_ADDRESS must be an email address, got "${mail.fromAddress}"`);
  }

  // The secret alone is enough to receive web messages; sending also needs the URL.
  const webSecret = text('WEB_WEBHOOK_SECRET');
  if (text('WEB_WEBHOOK_URL') && !webSecret) {
    problems.push('WEB_WEBHOOK_URL needs WEB_WEBHOOK_SECRET to sign what is sent there');
  }
  const webSender =
    text('WEB_WEBHOOK_URL') && webSecret
      ? { url: url('WEB_WEBHOOK_URL')!, secret: webSecret }
      : undefined;
  if (webSecret && !/^(whsec_)?[A-Za-z0-9+/]+=*$/.test(webSecret)) {
    problems.push('WEB_WEBHOOK_SECRET must be a Standard Webhooks secret (whsec_ + base64)');
  }

  const disableAfterRaw = text('EVENT_WEBHOOK_DISABLE_AFTER_HOURS') ?? '120';
  const disableAfterHours = Number(disableAfterRaw);
  if (!Number.isFinite(disableAfterHours) || disableAfterHours <= 0) {
    problems.push(
      `EVENT_WEBHOOK_DISABLE_AFTER_HOURS must be a number of hours > 0 (decimals allowed), got "${disableAfterRaw}"`,
    );
  }
  const allowedHosts = (text('EVENT_WEBHOOK_ALLOWED_HOSTS') ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of allowedHosts) {
    const [address, prefix] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    if (
      prefix !== undefined &&
      (family === 0 || !/^\d+$/.test(prefix) || Number(prefix) > maxPrefix)
    ) {
      problems.push(
        `EVENT_WEBHOOK_ALLOWED_HOSTS entry "${entry}" is neither a host name nor a CIDR`,
      );
    }
  }
  const webhooks: WebhooksConfig = {
    retryDelaysMs: delayList(
      'EVENT_WEBHOOK_RETRY_DELAYS_MS',
      '5000,300000,1800000,7200000,18000000,36000000,36000000',
    ),
    timeoutMs: integer('EVENT_WEBHOOK_TIMEOUT_MS', 15_000, 1),
    disableAfterMs: disableAfterHours * 3_600_000,
    allowedHosts,
    concurrency: integer('EVENT_WEBHOOK_CONCURRENCY', 50, 1),
    endpointConcurrency: integer('EVENT_WEBHOOK_ENDPOINT_CONCURRENCY', 10, 1),
    pollIntervalMs: integer('EVENT_WEBHOOK_POLL_INTERVAL_MS', 200, 10),
  };
  const storageDriver = oneOf('STORAGE_DRIVER', ['local', 's3'] as const, 'local');
  let s3: S3StorageConfig | undefined;
  if (storageDriver === 's3') {
    const bucket = text('S3_BUCKET');
    if (!bucket) problems.push('S3_BUCKET must be set when STORAGE_DRIVER=s3');
    if (!text('S3_ACCESS_KEY_ID') !== !text('S3_SECRET_ACCESS_KEY')) {
      problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together: set both or neither');
    }
    s3 = {
      bucket: bucket ?? '',
      region: text('S3_REGION') ?? 'us-east-1',
      endpoint: url('S3_ENDPOINT'),
      accessKeyId: text('S3_ACCESS_KEY_ID'),
      secretAccessKey: text('S3_SECRET_ACCESS_KEY'),
      forcePathStyle: oneOf('S3_FORCE_PATH_STYLE', ['true', 'false'] as const, 'false') === 'true',
    };
  }
  const redisClusterNodes = clusterNodes(text('REDIS_CLUSTER_NODES'), problems);
  const queuePrefix = text('QUEUE_PREFIX') ?? 'omni';
  if (redisClusterNodes && !hasHashTag(queuePrefix)) {
    problems.push(
      `QUEUE_PREFIX must hold a {hash tag} when REDIS_CLUSTER_NODES is set, e.g. "{${queuePrefix}}", so that every queue's keys share one slot; got "${queuePrefix}"`,
    );
  }

  const attachmentUrlSecret = text('ATTACHMENT_URL_SECRET');
  if (!attachmentUrlSecret && nodeEnv === 'production') {
    problems.push(
      'ATTACHMENT_URL_SECRET must be set when NODE_ENV=production (media URLs are signed with it)',
    );
  }

  const secretKey = (name: string): string | undefined => {
    const value = text(name);
    const problem = value === undefined ? undefined : secretKeyProblem(value);
    if (problem) problems.push(`${name} ${problem}`);
    return problem ? undefined : value;
  };
  const senders: SendersConfig = {
    secretsKey: secretKey('SENDER_SECRETS_KEY'),
    secretsKeyPrevious: secretKey('SENDER_SECRETS_KEY_PREVIOUS'),
  };
  if (!text('SENDER_SECRETS_KEY') && nodeEnv === 'production') {
    problems.push(
      "SENDER_SECRETS_KEY must be set when NODE_ENV=production (senders' secrets are encrypted with it)",
    );
  }

  const postgresUrl = (name: string, fallback?: string) =>
    url(name, fallback, ['postgres:', 'postgresql:']);
  const databaseUrl =
    postgresUrl('DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/omnichannel') ?? '';

  const poolMode = oneOf('DATABASE_POOL_MODE', DATABASE_POOL_MODES, 'session');
  if (poolMode === 'transaction') {
    // PgBouncer refuses a connection whose startup packet carries a parameter it does not track.
    const refused = URL.canParse(databaseUrl)
      ? [...new URL(databaseUrl).searchParams.keys()].filter((key) =>
          STARTUP_SETTINGS.includes(key),
        )
      : [];
    if (refused.length > 0) {
      problems.push(
        `DATABASE_URL must not set ${refused.join(', ')} when DATABASE_POOL_MODE=transaction ` +
          '(PgBouncer refuses such connections): set it on the database role instead',
      );
    }
  }

  const config: AppConfig = {
    nodeEnv,
    port,
    databaseUrl,
    migrationDatabaseUrl: postgresUrl('MIGRATION_DATABASE_URL') ?? databaseUrl,
    database: {
      connectTimeoutMs: integer('DATABASE_CONNECT_TIMEOUT_MS', 2_000, 100),
      statementTimeoutMs: integer('DATABASE_STATEMENT_TIMEOUT_MS', 4_000, 0),
      poolMode,
    },
    redisUrl: url('REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']) ?? '',
    redisClusterNodes,
    queuePrefix,
    defaultCountry,
    apiKeys,
    sessionTtlMs: Math.max(1000, Math.round(sessionTtlHours * HOUR_MS)),
    publicBaseUrl: (url('PUBLIC_BASE_URL', `http://localhost:${port}`) ?? '').replace(/\/+$/, ''),
    logLevel: oneOf(
      'LOG_LEVEL',
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
      'info',
    ),
    workerMetricsPort,
    outbound: {
      retryDelaysMs,
      httpTimeoutMs: integer('OUTBOUND_HTTP_TIMEOUT_MS', 10_000, 1),
      concurrency: integer('OUTBOUND_CONCURRENCY', 20, 1),
      sweepIntervalMs: integer('OUTBOX_SWEEP_INTERVAL_MS', 30_000, 100),
      sweepGraceMs: integer('OUTBOX_SWEEP_GRACE_MS', 10_000, 0),
      lockDurationMs: integer('OUTBOUND_LOCK_DURATION_MS', 15_000, 1000),
      rateLimitPerSecond,
    },
    whatsapp: {
      sender: whatsappSender,
      appSecret: text('WHATSAPP_APP_SECRET'),
      verifyToken: text('WHATSAPP_VERIFY_TOKEN'),
      replyWindowHours: integer('WHATSAPP_REPLY_WINDOW_HOURS', 24, 0),
    },
    sms,
    mail,
    emailWebhookSecret: text('EMAIL_WEBHOOK_SECRET'),
    web: { sender: webSender, secret: webSecret },
    retention: {
      eventsMs: period('RETENTION_EVENTS_DAYS', 30, DAY_MS),
      inboundEventsMs: period('RETENTION_INBOUND_EVENTS_DAYS', 30, DAY_MS),
      webhookDeliveriesMs: period('RETENTION_WEBHOOK_DELIVERIES_DAYS', 30, DAY_MS),
      idempotencyMs: period('RETENTION_IDEMPOTENCY_HOURS', 24, HOUR_MS),
      messagesMs: period('RETENTION_MESSAGES_DAYS', null, DAY_MS),
      pruneIntervalMs: integer('RETENTION_PRUNE_INTERVAL_MS', 60_000, 100),
    },
    webhooks,
    attachments: {
      driver: storageDriver,
      storagePath: text('STORAGE_PATH') ?? './data/attachments',
      s3,
      maxBytes: integer('ATTACHMENT_MAX_BYTES', 104_857_600, 1),
      urlTtlSeconds: integer('ATTACHMENT_URL_TTL_SECONDS', 3600, 1),
      // Development only (refused in production above): API and worker must share the key.
      urlSecret: attachmentUrlSecret ?? 'development-attachment-url-secret',
    },
    senders,
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** `host:port,host:port`; IPv6 hosts in brackets. */
function clusterNodes(raw: string | undefined, problems: string[]): RedisNode[] | undefined {
  if (raw === undefined) return undefined;
  const nodes: RedisNode[] = [];
  for (const entry of raw.split(',').map((part) => part.trim())) {
    const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match || port < 1 || port > 65535) {
      problems.push(`REDIS_CLUSTER_NODES entries must be host:port, got "${entry}"`);
      continue;
    }
    nodes.push({ host: match[1], port });
  }
  return nodes;
}

/**
 * Redis Cluster hashes only the text between a key's first `{` and the next `}` when that text
 * is not empty; the prefix starts every key, so a tag in it puts all of them in one slot.
 */
function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open >= 0 && prefix.indexOf('}', open) > open + 1;
}
