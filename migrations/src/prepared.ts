/**
 * Prepared statements for the queries a service repeats. Kysely sends every query as an
 * unnamed statement, so PostgreSQL parses and plans it on each run: for the routing engine's
 * queries planning costs more than running them (1–1.5 ms against 0.2–0.5 ms). Named by a hash
 * of their text, they are parsed once per connection and, after five runs, PostgreSQL keeps a
 * generic plan when it costs no more than the custom ones.
 *
 * What this asks of queries: a constant that decides whether a partial index applies (`status =
 * 'available'`, an `ON CONFLICT … WHERE kind = 'reconnect_grace'` arbiter) must be a literal
 * (`sql.lit`), not a parameter: a generic plan cannot prove a parameter matches the index's
 * predicate, and for an arbiter PostgreSQL then refuses the statement.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

/** Statements kept per connection; past it new texts run unnamed (texts that vary, e.g. `in` lists of any length). */
const MAX_PER_CONNECTION = 400;
/** Texts whose names are remembered (a name is a hash of the text). */
const MAX_NAMES = 2000;

const names = new Map<string, string>();

function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `k${createHash('sha1').update(text).digest('base64url')}`;
    if (names.size >= MAX_NAMES) names.clear();
    names.set(text, name);
  }
  return name;
}

/** Makes `client` run parameterised queries as named prepared statements. */
export function prepareRepeatedQueries(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const prepared = new Set<string>();
  const named = (...args: unknown[]): unknown => {
    const [text, values, callback] = args;
    // Only Kysely's form: (text, values) with at least one value, no callback.
    if (typeof text !== 'string' || !Array.isArray(values) || values.length === 0 || callback !== undefined) return query(...args);
    const name = nameOf(text);
    if (!prepared.has(name)) {
      if (prepared.size >= MAX_PER_CONNECTION) return query(text, values);
      prepared.add(name);
    }
    return query({ name, text, values });
  };
  client.query = named as typeof client.query;
}
