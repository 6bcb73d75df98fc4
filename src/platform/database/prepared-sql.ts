import { Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DatabaseError, type Pool } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

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
 */
@Injectable()
export class PreparedSql {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  async rows<T extends object>(statement: Statement, values: unknown[]): Promise<T[]> {
    try {
      const result = await this.pool.query<T>({ ...statement, values });
      return result.rows;
    } catch (error) {
      if (error instanceof DatabaseError) throw new QueryFailedError(statement.text, values, error);
      throw error;
    }
  }
}

@Module({ providers: [PreparedSql], exports: [PreparedSql] })
export class PreparedSqlModule {}
