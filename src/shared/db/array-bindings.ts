import type { Knex } from 'knex';

/**
 * Bindings for `unnest(?::type[], ...)`: node-pg sends each JS array as one Postgres array
 * parameter (nulls included), so a statement carries one parameter per column, not per value.
 * knex's binding type does not list arrays holding nulls, hence this one cast, kept here.
 */
export function columnArrays(columns: unknown[][]): Knex.RawBinding[] {
  return columns as unknown as Knex.RawBinding[];
}
