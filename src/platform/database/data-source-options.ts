import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';

/** How much longer than statement_timeout the client waits for an answer that never comes. */
const CLIENT_TIMEOUT_MARGIN_MS = 500;

/**
 * `database` bounds how long a caller waits on Postgres, so that an outage answers fast (the API
 * a 503 within seconds, the worker a pause) instead of hanging: a refused connection fails at
 * once, a host that does not answer after the connect timeout, a statement after the statement
 * timeout, a server that stopped answering mid-statement shortly after. Without it (migrations)
 * nothing is bounded: a migration may legitimately run for minutes.
 *
 * The statement timeout travels in the startup packet, which PgBouncer refuses: in transaction
 * mode the server-side limit comes from the database role (docs/SCALING.md), and the client's
 * own limit still bounds the wait.
 */
export function dataSourceOptions(
  config: Pick<AppConfig, 'databaseUrl'> & Partial<Pick<AppConfig, 'database'>>,
): DataSourceOptions {
  const { connectTimeoutMs, statementTimeoutMs, poolMode } = config.database ?? {};
  return {
    type: 'postgres',
    url: config.databaseUrl,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    extra: {
      max: 20,
      // pg-pool applies it to opening a connection and to waiting for a free one.
      ...(connectTimeoutMs && { connectionTimeoutMillis: connectTimeoutMs }),
      ...(statementTimeoutMs && {
        ...(poolMode === 'session' && { statement_timeout: statementTimeoutMs }),
        query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
      }),
      // Notices a peer that vanished (failover, network cut) on idle pooled connections.
      keepAlive: true,
    },
  };
}
