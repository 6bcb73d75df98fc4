import type { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source-options';

const pgOptions = (poolMode: AppConfig['database']['poolMode']) =>
  (
    dataSourceOptions({
      databaseUrl: 'postgres://app@db:6432/omni',
      database: { connectTimeoutMs: 2_000, statementTimeoutMs: 4_000, poolMode },
    }) as { extra: Record<string, unknown> }
  ).extra;

describe('data source options', () => {
  it('sends the statement timeout at connect in session mode', () => {
    expect(pgOptions('session')).toMatchObject({ statement_timeout: 4_000, query_timeout: 4_500 });
  });

  it('sends no startup setting in transaction mode, and still bounds the wait client-side', () => {
    const extra = pgOptions('transaction');
    expect(extra).not.toHaveProperty('statement_timeout');
    expect(extra).toMatchObject({ query_timeout: 4_500, connectionTimeoutMillis: 2_000 });
  });
});
