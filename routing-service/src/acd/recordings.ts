/**
 * What the engine knows of recording (SPEC §13): the organisation's configuration is frozen
 * for a call when the call starts (in the engine's transaction), and after commit the engine
 * tells a `CallRecordings` that a call connected or ended. Recording itself (composer, SFU tap)
 * happens outside any transaction; its failures are logged and never fail the call.
 */
import type { Trx } from './db.ts';

export interface CallRecordings {
  /** A call was answered (an agent segment begins): start recording it when its frozen settings say so. */
  connected(callId: string): void;
  /** A call's agent segment ended while the call goes on (a transfer): file that segment's recording. */
  segmentEnded(callId: string): void;
  /** A caller began a voicemail (its session row is committed): record their leg. */
  voicemail(callId: string): void;
  /** A call's room closes (the call ended): stop its recording and file the result. */
  ended(roomId: string): void;
}

/** Copies the organisation's configuration onto the call; no configuration row means not recorded. */
export async function freezeRecordingSettings(
  trx: Trx,
  call: { id: string; organisationId: string; direction: 'inbound' | 'outbound' },
  now: Date,
): Promise<void> {
  await trx
    .insertInto('call_recording_settings')
    .columns(['call_id', 'organisation_id', 'record', 'video_mode', 'composition', 'storage', 'frozen_at', 'direction'])
    .expression((eb) =>
      eb
        .selectFrom('recording_configuration as rc')
        .select((sel) => [
          // Parameters in a select list are untyped for PostgreSQL: cast to the columns' types.
          sel.cast<string>(sel.val(call.id), 'uuid').as('call_id'),
          'rc.organisation_id',
          sel.and([sel('rc.enabled', '=', true), sel('rc.directions', 'in', [call.direction, 'both'])]).as('record'),
          'rc.video_mode',
          'rc.composition',
          'rc.storage',
          sel.cast<Date>(sel.val(now), 'timestamptz').as('frozen_at'),
          sel.cast<'inbound' | 'outbound'>(sel.val(call.direction), 'text').as('direction'),
        ])
        .where('rc.organisation_id', '=', call.organisationId),
    )
    .execute();
}
