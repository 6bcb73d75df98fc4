import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `?limit=`: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent. */
export const PageLimit = () =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
    IsOptional(),
    Type(() => Number),
    IsInt(),
    Min(1),
    Max(MAX_PAGE_SIZE),
  );

/** `?limit=&cursor=`; the cursor is the id of the last row of the previous page. */
export class PageQuery {
  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsUUID('all', { message: 'cursor must be the next_cursor of a previous page' })
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/**
 * Keyset pagination, newest first, on the time-ordered uuid primary key: the cost of a page does
 * not grow with how deep it is, unlike OFFSET.
 */
export async function fetchPage<E extends ObjectLiteral & { id: string }, R>(
  query: SelectQueryBuilder<E>,
  page: PageQuery,
  map: (row: E) => R,
): Promise<Page<R>> {
  const alias = query.alias;
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  if (page.cursor) query.andWhere(`${alias}.id < :cursor`, { cursor: page.cursor });
  const rows = await query
    .orderBy(`${alias}.id`, 'DESC')
    .limit(limit + 1)
    .getMany();
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  return { data: data.map(map), next_cursor: hasMore ? data[data.length - 1].id : null };
}
