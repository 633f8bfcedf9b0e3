/**
 * Hold configurations (SPEC §5): named per organisation, one of them its Default (which queues
 * without their own use, and which cannot be deleted). Prompts are the organisation's own.
 */
import type { HoldConfigurationRequest, HoldConfigurationView, TransferSettingsView } from '@cc/contracts';
import type { HoldConfiguration } from '@cc/migrations';
import type { Db } from '../acd/db.ts';
import { AppError, notFound } from '../errors.ts';

function toView(row: HoldConfiguration): HoldConfigurationView {
  return {
    id: row.id,
    name: row.name,
    isDefault: row.is_default,
    musicPromptId: row.music_prompt_id,
    announcementEnabled: row.announcement_enabled,
    announcementPromptId: row.announcement_prompt_id,
    announcementEverySeconds: row.announcement_every_seconds,
  };
}

export async function listHoldConfigurations(db: Db, organisationId: string): Promise<HoldConfigurationView[]> {
  const rows = await db
    .selectFrom('hold_configuration')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .orderBy('is_default', 'desc')
    .orderBy('name')
    .execute();
  return rows.map(toView);
}

/** The prompts a configuration names must be this organisation's. */
export async function assertOwnPrompts(db: Db, organisationId: string, ids: (string | null)[]): Promise<void> {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  if (wanted.length === 0) return;
  const found = await db
    .selectFrom('prompt')
    .select('id')
    .where('organisation_id', '=', organisationId)
    .where('id', 'in', wanted)
    .execute();
  if (found.length !== wanted.length)
    throw new AppError('bad_request', 'A chosen prompt does not exist any more. Choose it again from the list.');
}

function values(request: HoldConfigurationRequest) {
  return {
    name: request.name,
    music_prompt_id: request.musicPromptId,
    announcement_enabled: request.announcementEnabled,
    announcement_prompt_id: request.announcementPromptId,
    announcement_every_seconds: request.announcementEverySeconds,
  };
}

async function uniqueName<T>(name: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if ((error as { code?: string }).code === '23505')
      throw new AppError('conflict', `A hold configuration named "${name}" already exists.`);
    throw error;
  }
}

export async function createHoldConfiguration(
  db: Db,
  organisationId: string,
  request: HoldConfigurationRequest,
): Promise<HoldConfigurationView> {
  await assertOwnPrompts(db, organisationId, [request.musicPromptId, request.announcementPromptId]);
  const row = await uniqueName(request.name, () =>
    db
      .insertInto('hold_configuration')
      .values({ organisation_id: organisationId, ...values(request) })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return toView(row);
}

export async function updateHoldConfiguration(
  db: Db,
  organisationId: string,
  id: string,
  request: HoldConfigurationRequest,
): Promise<HoldConfigurationView> {
  await assertOwnPrompts(db, organisationId, [request.musicPromptId, request.announcementPromptId]);
  const row = await uniqueName(request.name, () =>
    db
      .updateTable('hold_configuration')
      .set(values(request))
      .where('id', '=', id)
      .where('organisation_id', '=', organisationId)
      .returningAll()
      .executeTakeFirst(),
  );
  if (!row) throw notFound('Hold configuration');
  return toView(row);
}

/** Queues that used it fall back to the Default. */
export async function deleteHoldConfiguration(db: Db, organisationId: string, id: string): Promise<void> {
  const row = await db
    .selectFrom('hold_configuration')
    .select('is_default')
    .where('id', '=', id)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (!row) throw notFound('Hold configuration');
  if (row.is_default) throw new AppError('conflict', 'The Default hold configuration cannot be deleted; change it instead.');
  await db.deleteFrom('hold_configuration').where('id', '=', id).execute();
}

/** The organisation's transfer message and music (SPEC §6, §14). */
export async function getTransferSettings(db: Db, organisationId: string): Promise<TransferSettingsView> {
  const org = await db
    .selectFrom('organisation')
    .select(['transfer_music_prompt_id', 'transfer_message_prompt_id'])
    .where('id', '=', organisationId)
    .executeTakeFirstOrThrow();
  return { musicPromptId: org.transfer_music_prompt_id, messagePromptId: org.transfer_message_prompt_id };
}

export async function setTransferSettings(db: Db, organisationId: string, settings: TransferSettingsView): Promise<TransferSettingsView> {
  await assertOwnPrompts(db, organisationId, [settings.musicPromptId, settings.messagePromptId]);
  await db
    .updateTable('organisation')
    .set({ transfer_music_prompt_id: settings.musicPromptId, transfer_message_prompt_id: settings.messagePromptId })
    .where('id', '=', organisationId)
    .execute();
  return getTransferSettings(db, organisationId);
}
