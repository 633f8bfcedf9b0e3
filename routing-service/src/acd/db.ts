import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '@cc/migrations';

/** Repository functions take a database or a transaction first. */
export type Db = Kysely<Database> | Transaction<Database>;
export type Trx = Transaction<Database>;

/**
 * A constant written into the SQL text rather than sent as a parameter. For constants that
 * decide whether a partial index applies (a status, a timer kind): statements are prepared
 * (see @cc/migrations' prepared.ts), and a generic plan uses such an index only for a literal.
 */
export const constant = <const T extends string>(value: T): RawBuilder<T> => sql.lit(value);
