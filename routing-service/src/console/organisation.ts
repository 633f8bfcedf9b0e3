/**
 * Organisation-wide settings by supervisors (SPEC §3, §7): the ring time-out and the default
 * wrap-up time.
 */
import type { Kysely } from 'kysely';
import type { OrganisationSettings, SettingsUpdateRequest } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { Changes } from '../acd/changes.ts';
import type { Db } from '../acd/db.ts';
import { reconfiguration } from './changes.ts';

/** The settings after a change, and what the change touched (see `reconfiguration`). */
export interface SettingsChange {
  settings: OrganisationSettings;
  changes: Changes;
}

export async function getSettings(db: Db, organisationId: string): Promise<OrganisationSettings> {
  const org = await db
    .selectFrom('organisation')
    .select(['ring_timeout_seconds', 'wrap_up_seconds'])
    .where('id', '=', organisationId)
    .executeTakeFirstOrThrow();
  return { ringTimeoutSeconds: org.ring_timeout_seconds, wrapUpSeconds: org.wrap_up_seconds };
}

export async function updateSettings(db: Kysely<Database>, organisationId: string, update: SettingsUpdateRequest): Promise<SettingsChange> {
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('organisation')
      .select('ring_timeout_seconds')
      .where('id', '=', organisationId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const set = {
      ...(update.ringTimeoutSeconds !== undefined ? { ring_timeout_seconds: update.ringTimeoutSeconds } : {}),
      ...(update.wrapUpSeconds !== undefined ? { wrap_up_seconds: update.wrapUpSeconds } : {}),
    };
    if (Object.keys(set).length > 0) await trx.updateTable('organisation').set(set).where('id', '=', organisationId).execute();
    const settings = await getSettings(trx, organisationId);
    const changes = reconfiguration(organisationId);
    // A ringing call's snapshot shows when its ring ends, worked out from the ring time-out.
    if (settings.ringTimeoutSeconds !== before.ring_timeout_seconds) {
      const ringing = await trx
        .selectFrom('agent as a')
        .innerJoin('call as c', 'c.agent_id', 'a.user_id')
        .select('a.user_id')
        .where('a.organisation_id', '=', organisationId)
        .where('c.state', '=', 'ringing')
        .execute();
      for (const r of ringing) changes.agents.add(r.user_id);
    }
    return { settings, changes };
  });
}
