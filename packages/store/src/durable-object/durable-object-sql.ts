/** The small SQL helpers the Durable Object engine's parts share. */
import { StoreError } from '../store-error.js';
import type { SqlStorage } from './durable-object-types.js';

/** The arguments of one wire operation, as the client sent them. */
export type Args = readonly unknown[];

/** A string argument, else `STORE_INVALID_ARGUMENT` naming it. */
export const text = (value: unknown, name: string): string => {
  if (typeof value !== 'string')
    throw new StoreError('STORE_INVALID_ARGUMENT', `${name} must be a string.`);
  return value;
};

/** An options argument as an object (absent or not an object: empty). */
export const object = <T>(value: unknown): Partial<T> =>
  (value !== null && typeof value === 'object' ? value : {}) as Partial<T>;

/** Queries on one `SqlStorage`. */
export interface SqlHelpers {
  sql: SqlStorage;
  now: () => number;
  all<Row>(query: string, ...bindings: unknown[]): Row[];
  first<Row>(query: string, ...bindings: unknown[]): Row | undefined;
  /** Rows changed by a statement. */
  written(query: string, ...bindings: unknown[]): number;
}

export function createSqlHelpers(sql: SqlStorage, now: () => number): SqlHelpers {
  const all = <Row>(query: string, ...bindings: unknown[]): Row[] =>
    sql.exec<Row>(query, ...bindings).toArray();
  const first = <Row>(query: string, ...bindings: unknown[]): Row | undefined =>
    all<Row>(query, ...bindings)[0];
  // `changes()`, because the cursor's rowsWritten also counts the index entries it wrote.
  const written = (query: string, ...bindings: unknown[]): number => {
    sql.exec(query, ...bindings);
    return first<{ changed: number }>('SELECT changes() AS changed')?.changed ?? 0;
  };
  return { sql, now, all, first, written };
}
