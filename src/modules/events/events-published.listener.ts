import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import type { AppConfig } from '../../platform/config/app-config';
import { APP_CONFIG } from '../../platform/config/config.module';

/** The channel EventSequencer notifies on when it publishes; never renamed while processes run. */
export const EVENTS_PUBLISHED_CHANNEL = 'events_published';

/** After a lost connection or a failed try, how long polling alone goes on before the next. */
const RETRY_AFTER_MS = 5_000;

/**
 * Tells a process at once when any process published more of the event log, so that it need not
 * wait for its next poll. Only a hint: callers keep polling, which covers a lost connection and
 * the time before it is back. A connection of its own, outside the pool, held while listening.
 * Behind PgBouncer in transaction mode LISTEN does not work (the server connection changes
 * between statements): there it does nothing, and polling is all.
 */
@Injectable()
export class EventsPublishedListener implements OnApplicationShutdown {
  private readonly logger = new Logger(EventsPublishedListener.name);
  private client?: Client;
  private connecting?: Promise<void>;
  private onPublished?: () => void;
  private retryAt = 0;
  private closed = false;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /**
   * Starts listening unless it already does (or is on its way), and calls `onPublished` for
   * every publication from then on. Call it again from the polling loop: after a lost
   * connection, that is the retry.
   */
  listen(onPublished: () => void): void {
    this.onPublished = onPublished;
    if (this.closed || this.client || this.connecting || Date.now() < this.retryAt) return;
    if (this.config.database.poolMode !== 'session') return;
    this.connecting = this.connect().finally(() => (this.connecting = undefined));
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.config.databaseUrl,
      connectionTimeoutMillis: this.config.database.connectTimeoutMs,
      keepAlive: true,
    });
    client.on('notification', () => this.onPublished?.());
    client.on('error', (error) => this.drop(client, error));
    client.on('end', () => this.drop(client, new Error('connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENTS_PUBLISHED_CHANNEL}`);
    } catch (error) {
      this.drop(client, error as Error);
      return;
    }
    if (this.closed) await client.end();
    else this.client = client;
  }

  private drop(client: Client, error: Error): void {
    if (this.closed) return;
    this.logger.warn({ reason: error.message }, 'not listening for published events; polling');
    if (this.client === client) this.client = undefined;
    this.retryAt = Date.now() + RETRY_AFTER_MS;
    // Its own end and errors after this one would only repeat the warning.
    client.removeAllListeners();
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    await client?.end();
  }
}
