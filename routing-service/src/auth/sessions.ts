/** Login sessions: a random id in an HttpOnly cookie; only its SHA-256 is stored. */
import { createHash, randomBytes } from 'node:crypto';
import { parse as parseCookie } from 'cookie';
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import type { SessionUser, UserRole } from '@cc/contracts';
import type { Clock } from '../clock.ts';

export const SESSION_COOKIE = 'cc_session';

const hash = (id: string) => createHash('sha256').update(id).digest('base64url');

export async function createSession(
  db: Kysely<Database>,
  userId: string,
  clock: Clock,
  ttlHours: number,
): Promise<{ id: string; expiresAt: Date }> {
  const id = randomBytes(32).toString('base64url');
  const expiresAt = new Date(clock.now().getTime() + ttlHours * 3600_000);
  await db
    .insertInto('user_session')
    .values({ id_hash: hash(id), user_id: userId, expires_at: expiresAt })
    .execute();
  return { id, expiresAt };
}

export async function deleteSession(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('user_session').where('id_hash', '=', hash(id)).execute();
}

export async function userForSession(db: Kysely<Database>, id: string, clock: Clock): Promise<SessionUser | null> {
  const row = await db
    .selectFrom('user_session as s')
    .innerJoin('user_account as u', 'u.id', 's.user_id')
    .innerJoin('organisation as o', 'o.id', 'u.organisation_id')
    .select(['u.id', 'u.organisation_id', 'o.name as organisation_name', 'u.email', 'u.name', 'u.role'])
    .where('s.id_hash', '=', hash(id))
    .where('s.expires_at', '>', clock.now())
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    organisationId: row.organisation_id,
    organisationName: row.organisation_name,
    email: row.email,
    name: row.name,
    role: row.role satisfies UserRole,
  };
}

export function sessionIdFromCookieHeader(header: string | undefined): string | null {
  if (!header) return null;
  return parseCookie(header)[SESSION_COOKIE] ?? null;
}
