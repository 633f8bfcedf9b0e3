/**
 * Each queue's waiting strategy (SPEC §8): greeting, music, announcement every N s, maximum
 * wait with a last message, response codes and voicemail. A queue without a saved strategy has the defaults (music only).
 * Prompts are the organisation's own; another organisation's prompt id is refused.
 */
import { DEFAULT_WAITING_STRATEGY, type WaitingStrategyView } from '@cc/contracts';
import type { WaitingStrategy } from '@cc/migrations';
import type { Db } from '../acd/db.ts';
import { notFound } from '../errors.ts';
import { assertOwnPrompts } from './hold-configurations.ts';

async function queueOf(db: Db, organisationId: string, queueId: string): Promise<void> {
  const queue = await db
    .selectFrom('queue')
    .select('id')
    .where('id', '=', queueId)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (!queue) throw notFound('Queue');
}

type ResponseCodes = WaitingStrategyView['responseCodes'];

function toView(row: WaitingStrategy | undefined, responseCodes: ResponseCodes): WaitingStrategyView {
  if (!row) return { ...DEFAULT_WAITING_STRATEGY, responseCodes };
  return {
    responseCodes,
    digitWaitSeconds: row.digit_wait_seconds,
    greetingEnabled: row.greeting_enabled,
    greetingPromptId: row.greeting_prompt_id,
    musicEnabled: row.music_enabled,
    musicPromptId: row.music_prompt_id,
    announcementEnabled: row.announcement_enabled,
    announcementPromptId: row.announcement_prompt_id,
    announcementEverySeconds: row.announcement_every_seconds,
    announcePosition: row.announce_position,
    announceEstimatedWait: row.announce_estimated_wait,
    maxWaitEnabled: row.max_wait_enabled,
    maxWaitSeconds: row.max_wait_seconds,
    lastMessagePromptId: row.last_message_prompt_id,
    voicemailPromptId: row.voicemail_prompt_id,
    voicemailMaxSeconds: row.voicemail_max_seconds,
  };
}

export async function getWaitingStrategy(db: Db, organisationId: string, queueId: string): Promise<WaitingStrategyView> {
  await queueOf(db, organisationId, queueId);
  const row = await db.selectFrom('waiting_strategy').selectAll().where('queue_id', '=', queueId).executeTakeFirst();
  return toView(row, await responseCodesOf(db, queueId));
}

async function responseCodesOf(db: Db, queueId: string): Promise<ResponseCodes> {
  const rows = await db
    .selectFrom('response_code')
    .select(['context', 'digit', 'action'])
    .where('queue_id', '=', queueId)
    .orderBy('context')
    .orderBy('digit')
    .execute();
  return rows;
}

/** Saves the whole strategy; calls already waiting keep what they hear, new calls get the new one. */
export async function setWaitingStrategy(
  db: Db,
  organisationId: string,
  queueId: string,
  strategy: WaitingStrategyView,
): Promise<WaitingStrategyView> {
  await queueOf(db, organisationId, queueId);
  await assertOwnPrompts(db, organisationId, [
    strategy.greetingPromptId,
    strategy.musicPromptId,
    strategy.announcementPromptId,
    strategy.lastMessagePromptId,
    strategy.voicemailPromptId,
  ]);
  const values = {
    greeting_enabled: strategy.greetingEnabled,
    greeting_prompt_id: strategy.greetingPromptId,
    music_enabled: strategy.musicEnabled,
    music_prompt_id: strategy.musicPromptId,
    announcement_enabled: strategy.announcementEnabled,
    announcement_prompt_id: strategy.announcementPromptId,
    announcement_every_seconds: strategy.announcementEverySeconds,
    announce_position: strategy.announcePosition,
    announce_estimated_wait: strategy.announceEstimatedWait,
    max_wait_enabled: strategy.maxWaitEnabled,
    max_wait_seconds: strategy.maxWaitSeconds,
    last_message_prompt_id: strategy.lastMessagePromptId,
    digit_wait_seconds: strategy.digitWaitSeconds,
    voicemail_prompt_id: strategy.voicemailPromptId,
    voicemail_max_seconds: strategy.voicemailMaxSeconds,
  };
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('waiting_strategy')
      .values({ queue_id: queueId, ...values })
      .onConflict((oc) => oc.column('queue_id').doUpdateSet(values))
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('response_code').where('queue_id', '=', queueId).execute();
    if (strategy.responseCodes.length > 0) {
      await trx
        .insertInto('response_code')
        .values(strategy.responseCodes.map((code) => ({ queue_id: queueId, ...code })))
        .execute();
    }
    return toView(row, await responseCodesOf(trx, queueId));
  });
}
