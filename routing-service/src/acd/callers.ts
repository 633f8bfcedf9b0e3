import { sql } from 'kysely';
import type { Caller } from '@cc/contracts';
import type { Db } from './db.ts';

const E164 = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** "+44 20 7946-0958" → "+442079460958"; anything that is not a phone number → null. */
export function normaliseNumber(identity: string): string | null {
  const compact = identity.replace(/[\s().-]/g, '');
  return E164.test(compact) ? compact : null;
}

/** Who a customer identity is: a contact's name when a number or e-mail matches (SPEC §1, §11). */
export async function identifyCaller(db: Db, organisationId: string, identity: string): Promise<Caller & { contactId: string | null }> {
  const number = normaliseNumber(identity);
  const email = EMAIL.test(identity.trim()) ? identity.trim().toLowerCase() : null;
  let contact: { id: string; name: string; phone_numbers: string[]; email: string | null } | undefined;
  if (number) {
    contact = await db
      .selectFrom('contact')
      .select(['id', 'name', 'phone_numbers', 'email'])
      .where('organisation_id', '=', organisationId)
      .where(sql<boolean>`phone_numbers @> array[${number}]::text[]`)
      .orderBy('created_at')
      .executeTakeFirst();
  } else if (email) {
    contact = await db
      .selectFrom('contact')
      .select(['id', 'name', 'phone_numbers', 'email'])
      .where('organisation_id', '=', organisationId)
      .where(sql<string>`lower(email)`, '=', email)
      .orderBy('created_at')
      .executeTakeFirst();
  }
  return {
    identity,
    name: contact?.name ?? null,
    number: number ?? contact?.phone_numbers[0] ?? null,
    email: email ?? contact?.email ?? null,
    contactId: contact?.id ?? null,
  };
}
