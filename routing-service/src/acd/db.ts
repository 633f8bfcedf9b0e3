import type { Kysely, Transaction } from 'kysely';
import type { Database } from '@cc/migrations';

/** Repository functions take a database or a transaction first. */
export type Db = Kysely<Database> | Transaction<Database>;
export type Trx = Transaction<Database>;
