/** A queue's working hours (SPEC §9). A queue without saved hours is always open. */
import { DEFAULT_WORKING_HOURS, type WorkingHoursView } from '@cc/contracts';
import type { WorkingHours } from '@cc/migrations';
import type { Db } from '../acd/db.ts';
import { notFound } from '../errors.ts';
import { assertOwnPrompts } from './hold-configurations.ts';

async function assertQueue(db: Db, organisationId: string, queueId: string): Promise<string> {
  const queue = await db
    .selectFrom('queue')
    .innerJoin('organisation', 'organisation.id', 'queue.organisation_id')
    .select('organisation.time_zone')
    .where('queue.id', '=', queueId)
    .where('queue.organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (!queue) throw notFound('Queue');
  return queue.time_zone;
}

export function toWorkingHoursView(row: WorkingHours): WorkingHoursView {
  return {
    enabled: row.enabled,
    timeZone: row.time_zone,
    weekly: row.weekly,
    exceptions: row.exceptions,
    awayMessagePromptId: row.away_message_prompt_id,
  };
}

/** The queue's hours; unsaved hours are the defaults in the organisation's time zone. */
export async function getWorkingHours(db: Db, organisationId: string, queueId: string): Promise<WorkingHoursView> {
  const timeZone = await assertQueue(db, organisationId, queueId);
  const row = await db.selectFrom('working_hours').selectAll().where('queue_id', '=', queueId).executeTakeFirst();
  return row ? toWorkingHoursView(row) : { ...DEFAULT_WORKING_HOURS, timeZone };
}

/** Saves the whole set; calls already waiting are not affected, new calls are. */
export async function setWorkingHours(db: Db, organisationId: string, queueId: string, hours: WorkingHoursView): Promise<WorkingHoursView> {
  await assertQueue(db, organisationId, queueId);
  await assertOwnPrompts(db, organisationId, [hours.awayMessagePromptId]);
  const values = {
    enabled: hours.enabled,
    time_zone: hours.timeZone,
    weekly: JSON.stringify([...hours.weekly].sort((a, b) => a.day - b.day || a.from.localeCompare(b.from))),
    exceptions: JSON.stringify([...hours.exceptions].sort((a, b) => a.date.localeCompare(b.date))),
    away_message_prompt_id: hours.awayMessagePromptId,
  };
  const row = await db
    .insertInto('working_hours')
    .values({ queue_id: queueId, ...values })
    .onConflict((oc) => oc.column('queue_id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toWorkingHoursView(row);
}
