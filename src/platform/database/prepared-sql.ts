import { Inject, Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DatabaseError, type Pool } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';

/** A SQL text with a name that is unique in the process: Postgres plans it once per connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export function statement(name: string, text: string): Statement {
  return { name, text };
}

/**
 * Named (prepared) statements on TypeORM's own pool, for the few hot paths that run once per
 * message: one round trip each, planned once per connection, and none of the query builder's
 * per-call work. Everything else keeps using TypeORM. A failure arrives as TypeORM's
 * QueryFailedError, so the HTTP filter maps it like any other (a unique violation is a 409).
 *
 * Behind a transaction-mode pooler the name is dropped: node-postgres prepares a name once per
 * client connection, but PgBouncer hands each statement whichever server connection is free, one
 * that may never have seen it ("prepared statement does not exist") or saw it from another
 * client ("already exists"). The same text then goes as an unnamed statement, parsed and planned
 * on every call, in the same single round trip.
 */
@Injectable()
export class PreparedSql {
  private readonly pool: Pool;
  private readonly named: boolean;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'database'>,
  ) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
    this.named = config.database.poolMode === 'session';
  }

  async rows<T extends object>(statement: Statement, values: unknown[]): Promise<T[]> {
    const query = this.named ? { ...statement, values } : { text: statement.text, values };
    try {
      const result = await this.pool.query<T>(query);
      return result.rows;
    } catch (error) {
      if (error instanceof DatabaseError) throw new QueryFailedError(statement.text, values, error);
      throw error;
    }
  }
}

@Module({ providers: [PreparedSql], exports: [PreparedSql] })
export class PreparedSqlModule {}
