/** Creates organisations with people and a Default queue: the demo center and test fixtures. */
import type { Kysely } from 'kysely';
import { CAPACITY_RANGE, type UserRole } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { hashPassword } from './auth/passwords.ts';

export interface SeedUser {
  email: string;
  name: string;
  role: UserRole;
  password: string;
  /** Agents and supervisors take calls; default true for them. */
  isAgent?: boolean;
  status?: 'available' | 'busy' | 'away' | 'offline';
  capacity?: number;
  wrapUpSeconds?: number | null;
}

export interface SeedOrganisation {
  name: string;
  ringTimeoutSeconds?: number;
  wrapUpSeconds?: number;
  /** Automatic agent assignment of the Default queue. */
  defaultQueueAaa?: boolean;
  users: SeedUser[];
}

export interface SeededOrganisation {
  organisationId: string;
  defaultQueueId: string;
  users: Record<string, string>;
}

export async function seedOrganisation(db: Kysely<Database>, seed: SeedOrganisation): Promise<SeededOrganisation> {
  const hashes = await Promise.all(seed.users.map((u) => hashPassword(u.password)));
  return db.transaction().execute(async (trx) => {
    const org = await trx
      .insertInto('organisation')
      .values({
        name: seed.name,
        ...(seed.ringTimeoutSeconds !== undefined ? { ring_timeout_seconds: seed.ringTimeoutSeconds } : {}),
        ...(seed.wrapUpSeconds !== undefined ? { wrap_up_seconds: seed.wrapUpSeconds } : {}),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.insertInto('hold_configuration').values({ organisation_id: org.id, name: 'Default', is_default: true }).execute();
    const queue = await trx
      .insertInto('queue')
      .values({ organisation_id: org.id, name: 'Default', is_default: true, aaa_enabled: seed.defaultQueueAaa ?? true })
      .returning('id')
      .executeTakeFirstOrThrow();
    const users: Record<string, string> = {};
    for (const [i, u] of seed.users.entries()) {
      const user = await trx
        .insertInto('user_account')
        .values({ organisation_id: org.id, email: u.email, name: u.name, role: u.role, password_hash: hashes[i] ?? '' })
        .returning('id')
        .executeTakeFirstOrThrow();
      users[u.email] = user.id;
      if (u.isAgent ?? u.role !== 'admin') {
        await trx
          .insertInto('agent')
          .values({
            user_id: user.id,
            organisation_id: org.id,
            status: u.status ?? 'offline',
            capacity: u.capacity ?? CAPACITY_RANGE.default,
            wrap_up_seconds: u.wrapUpSeconds ?? null,
          })
          .execute();
        await trx.insertInto('queue_member').values({ queue_id: queue.id, agent_id: user.id }).execute();
      }
    }
    return { organisationId: org.id, defaultQueueId: queue.id, users };
  });
}

export interface DemoLogin {
  role: UserRole;
  email: string;
  password: string;
}

/** The demo center `npm start` creates in an empty database: a supervisor, two agents, Default with AAA on. */
export async function seedDemoIfEmpty(db: Kysely<Database>, logins: DemoLogin[]): Promise<boolean> {
  const any = await db.selectFrom('organisation').select('id').limit(1).executeTakeFirst();
  if (any) return false;
  const names: Record<string, string> = { supervisor: 'Sam Supervisor', agent1: 'Alex Agent', agent2: 'Blake Agent' };
  await seedOrganisation(db, {
    name: 'Demo Center',
    defaultQueueAaa: true,
    users: logins.map((l) => ({
      email: l.email,
      role: l.role,
      password: l.password,
      name: names[l.email.split('@')[0] ?? ''] ?? l.email,
      capacity: 20,
    })),
  });
  return true;
}
