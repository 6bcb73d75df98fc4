import { applyDecorators, type Type as Class } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/**
 * A whole-number query parameter from `min` to `max` (at most Number.MAX_SAFE_INTEGER). Only
 * plain decimal digits become a number: `1e23`, `0x10` or a 20-digit value stay strings and fail
 * IsInt, instead of turning into a float that Postgres refuses as a bigint.
 */
export const QueryWholeNumber = (min: number, max: number, message: string) =>
  applyDecorators(
    IsOptional(),
    Transform(({ value }) =>
      typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value,
    ),
    IsInt({ message }),
    Min(min, { message }),
    Max(max, { message }),
  );

/** `?limit=`: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE when absent. */
export const PageLimit = () =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE }),
    QueryWholeNumber(1, MAX_PAGE_SIZE, `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`),
  );

/** `?limit=&cursor=`; the cursor is the id of the last row of the previous page. */
export class PageQuery {
  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsUUID('all', { message: 'cursor must be the next_cursor of a previous page' })
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

/** What a list endpoint without paging answers: `{ data: [...] }`. */
export interface List<T> {
  data: T[];
}

const listClasses = new Map<Class<unknown>, Class<List<unknown>>>();
const pageClasses = new Map<Class<unknown>, Class<Page<unknown>>>();

/** MessageResponse → Message, for the names of the schemas built below. */
const baseName = (item: Class<unknown>): string => item.name.replace(/Response$/, '');

const named = <C extends Class<unknown>>(cls: C, name: string): C =>
  Object.defineProperty(cls, 'name', { value: name });

/**
 * The OpenAPI model of a List of `item`, named after it (AttemptResponse → AttemptList), for
 * `@ApiOkResponse({ type: ListOf(AttemptResponse) })`. One class per item class, so that the
 * document holds one schema.
 */
export function ListOf<T>(item: Class<T>): Class<List<T>> {
  let list = listClasses.get(item);
  if (!list) {
    class ItemList implements List<T> {
      @ApiProperty({ type: () => item, isArray: true })
      data: T[];
    }
    list = named(ItemList, `${baseName(item)}List`);
    listClasses.set(item, list);
  }
  return list as Class<List<T>>;
}

/**
 * The OpenAPI model of a Page of `item`, named after it (MessageResponse → MessagePage), for
 * `@ApiOkResponse({ type: PageOf(MessageResponse) })`. One class per item class.
 */
export function PageOf<T>(item: Class<T>): Class<Page<T>> {
  let page = pageClasses.get(item);
  if (!page) {
    class ItemPage extends ListOf(item) implements Page<T> {
      @ApiProperty({
        type: String,
        nullable: true,
        example: null,
        description: 'the cursor of the next page; null on the last page',
      })
      next_cursor: string | null;
    }
    page = named(ItemPage, `${baseName(item)}Page`);
    pageClasses.set(item, page);
  }
  return page as Class<Page<T>>;
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
