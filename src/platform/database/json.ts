/** A jsonb object column. `any` values, because TypeORM's insert typing rejects `unknown`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonObject = Record<string, any>;
