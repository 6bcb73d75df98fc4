import { ConfigError, loadConfig } from './app-config';

describe('database configuration', () => {
  it('defaults to session pooling, migrations on DATABASE_URL', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://app@db:5432/omni' });
    expect(config.database.poolMode).toBe('session');
    expect(config.migrationDatabaseUrl).toBe('postgres://app@db:5432/omni');
  });

  it('takes transaction pooling and a direct connection for migrations', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app@pgbouncer:6432/omni',
      DATABASE_POOL_MODE: 'Transaction',
      MIGRATION_DATABASE_URL: 'postgresql://owner@db:5432/omni',
    });
    expect(config.database.poolMode).toBe('transaction');
    expect(config.migrationDatabaseUrl).toBe('postgresql://owner@db:5432/omni');
  });

  it('names each wrong variable', () => {
    expect(() =>
      loadConfig({ DATABASE_POOL_MODE: 'statement', MIGRATION_DATABASE_URL: 'mysql://db/omni' }),
    ).toThrow(
      new ConfigError([
        'DATABASE_POOL_MODE must be one of session, transaction, got "statement"',
        'MIGRATION_DATABASE_URL must be a postgres: or postgresql: URL, got "mysql:"',
      ]),
    );
  });

  it('refuses startup settings PgBouncer would refuse, in transaction mode only', () => {
    const url = 'postgres://app@pgbouncer:6432/omni?statement_timeout=5000&options=-c%20x%3D1';
    expect(loadConfig({ DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(() => loadConfig({ DATABASE_URL: url, DATABASE_POOL_MODE: 'transaction' })).toThrow(
      new ConfigError([
        'DATABASE_URL must not set statement_timeout, options when DATABASE_POOL_MODE=transaction ' +
          '(PgBouncer refuses such connections): set it on the database role instead',
      ]),
    );
  });
});
