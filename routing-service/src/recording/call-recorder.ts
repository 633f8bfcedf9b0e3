/**
 * Records calls (SPEC §13) through the recording composer and the SFU's recording tap:
 * on answer, a recording session (one per agent segment) opens a UDP port per leg on the
 * composer and asks the SFU to send the agent's and the customer's audio there (and their
 * video, when the call is a video call and the frozen settings say `audio_and_video`); when the
 * call ends, the tap stops, the composer writes the files and queues their uploads, and each
 * file gets a `recording` row (processing → ready once stored, or failed with the reason).
 *
 * Runs after commit, outside the engine's transactions; every failure is logged and left in
 * the rows, never thrown at the call. Work for one call runs in order (start before stop), and
 * the database decides across instances (one running session per call, a stop claimed once).
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CallMedia, ComposerResult, ComposerStart, RecordingChannelLayout, RecordingFileLeg, RecordingVideoMode } from '@cc/contracts';
import type { Database } from '@cc/migrations';
import type { ComposerControlClient } from '@cc/recording-composer/control-client';
import type { SfuControlClient } from '@cc/sfu/control-client';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { customerPeerId } from '../acd/engine.ts';
import type { CallRecordings } from '../acd/recordings.ts';

export interface CallRecorderDeps {
  db: Kysely<Database>;
  sfu: Pick<SfuControlClient, 'startRecording' | 'stopRecording'>;
  composer: Pick<ComposerControlClient, 'start' | 'stop'>;
  clock: Clock;
  logger: Logger;
}

const LIVE_STATES = new Set(['connected', 'on_hold']);

const CHANNEL_LAYOUTS: Record<RecordingFileLeg, RecordingChannelLayout> = {
  agent: 'mono',
  customer: 'mono',
  merged: 'stereo_agent_left_customer_right',
  composite: 'side_by_side_agent_left_customer_right',
};

/** SPEC §13: a video call is recorded with its video when the settings frozen for it say `audio_and_video`. */
function recordsVideo(call: { media: CallMedia; video_mode: RecordingVideoMode }): boolean {
  return call.media === 'video' && call.video_mode === 'audio_and_video';
}

export class CallRecorder implements CallRecordings {
  readonly #deps: CallRecorderDeps;
  /** Per call (its room id is its id): the last piece of work, so a stop waits for its start. */
  readonly #queues = new Map<string, Promise<void>>();

  constructor(deps: CallRecorderDeps) {
    this.#deps = deps;
  }

  connected(callId: string): void {
    this.#enqueue(callId, () => this.#start(callId));
  }

  ended(roomId: string): void {
    this.#enqueue(roomId, () => this.#stop(roomId));
  }

  /** Resolves when the work queued so far for `roomId` is done (tests, shutdown). */
  async settled(roomId: string): Promise<void> {
    await this.#queues.get(roomId);
  }

  #enqueue(key: string, work: () => Promise<void>): void {
    const next = (this.#queues.get(key) ?? Promise.resolve())
      .then(work)
      .catch((error: unknown) => this.#deps.logger.error({ err: error, callId: key }, 'recording failed'));
    this.#queues.set(key, next);
    void next.then(() => {
      if (this.#queues.get(key) === next) this.#queues.delete(key);
    });
  }

  async #start(callId: string): Promise<void> {
    const { db, sfu, composer, clock, logger } = this.#deps;
    const call = await db
      .selectFrom('call as c')
      .innerJoin('call_recording_settings as s', 's.call_id', 'c.id')
      .innerJoin('conversation as conv', 'conv.id', 'c.conversation_id')
      .leftJoin('contact as ct', 'ct.id', 'conv.contact_id')
      .leftJoin('user_account as u', 'u.id', 'c.agent_id')
      .select([
        'c.id',
        'c.organisation_id',
        'c.conversation_id',
        'c.room_id',
        'c.state',
        'c.agent_id',
        's.record',
        's.composition',
        's.video_mode',
        'c.media',
        's.storage',
        'u.name as agentName',
        'conv.customer_identity',
        'ct.name as contactName',
      ])
      .where('c.id', '=', callId)
      .executeTakeFirst();
    if (!call?.record || !call.agent_id || !LIVE_STATES.has(call.state)) return;
    const recordingId = randomUUID();
    const inserted = await db
      .insertInto('recording_session')
      .values({
        id: recordingId,
        organisation_id: call.organisation_id,
        call_id: call.id,
        agent_id: call.agent_id,
        state: 'recording',
        started_at: clock.now(),
      })
      // A running session already (a retried answer): that one records the segment.
      .onConflict((oc) => oc.column('call_id').where('state', '=', 'recording').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    const log = logger.child({ callId, recordingId, conversationId: call.conversation_id, agentId: call.agent_id });
    const request: ComposerStart = {
      recordingId,
      organisationId: call.organisation_id,
      storage: call.storage,
      callId: call.id,
      conversationId: call.conversation_id,
      agentName: call.agentName ?? 'agent',
      endUser: call.contactName ? `${call.contactName} ${call.customer_identity}` : call.customer_identity,
      composition: call.composition,
      legs: [
        { role: 'agent', peerId: call.agent_id, kind: 'audio' },
        { role: 'customer', peerId: customerPeerId(call.id), kind: 'audio' },
        ...(recordsVideo(call)
          ? [
              { role: 'agent', peerId: call.agent_id, kind: 'video' } as const,
              { role: 'customer', peerId: customerPeerId(call.id), kind: 'video' } as const,
            ]
          : []),
      ],
    };
    try {
      const session = await composer.start(request);
      await sfu.startRecording(call.room_id, {
        recordingId,
        legs: session.legs.map(({ peerId, kind, ip, port }) => ({ peerId, kind, ip, port })),
      });
      log.info('recording started');
    } catch (error) {
      // The call goes on unrecorded; the stop files the failure.
      log.error({ err: error }, 'recording could not start');
    }
  }

  async #stop(roomId: string): Promise<void> {
    const { db, sfu, composer, clock, logger } = this.#deps;
    const now = clock.now();
    // Claimed once: whichever instance flips the state files the result.
    const session = await db
      .updateTable('recording_session as rs')
      .set({ state: 'stopped', stopped_at: now })
      .from('call as c')
      .whereRef('c.id', '=', 'rs.call_id')
      .where('c.room_id', '=', roomId)
      .where('rs.state', '=', 'recording')
      .returning(['rs.id', 'rs.organisation_id', 'rs.call_id', 'rs.agent_id', 'c.conversation_id'])
      .executeTakeFirst();
    if (!session) return;
    const settings = await db
      .selectFrom('call_recording_settings as s')
      .innerJoin('call as c', 'c.id', 's.call_id')
      .select(['s.composition', 's.storage', 's.video_mode', 'c.media'])
      .where('s.call_id', '=', session.call_id)
      .executeTakeFirstOrThrow();
    const video = recordsVideo(settings);
    const legs: RecordingFileLeg[] = ['agent', 'customer'];
    if (settings.composition === 'merged') legs.push('merged');
    if (settings.composition === 'merged' && video) legs.push('composite');
    await db
      .insertInto('recording')
      .values(
        legs.map((leg) => ({
          organisation_id: session.organisation_id,
          session_id: session.id,
          call_id: session.call_id,
          conversation_id: session.conversation_id,
          agent_id: session.agent_id,
          leg,
          channel_layout: CHANNEL_LAYOUTS[leg],
          // A video call's leg files and composite are WebM; the merged stereo audio stays Ogg.
          container: video && leg !== 'merged' ? ('webm' as const) : ('ogg' as const),
          status: 'processing' as const,
          storage: settings.storage,
        })),
      )
      .onConflict((oc) => oc.columns(['session_id', 'leg']).doNothing())
      .execute();
    const log = logger.child({ callId: session.call_id, recordingId: session.id });
    await sfu.stopRecording(roomId, session.id).catch((error: unknown) => log.warn({ err: error }, 'stopping the SFU tap failed'));
    let result: ComposerResult;
    try {
      result = await composer.stop(session.id);
    } catch (error) {
      log.error({ err: error }, 'the composer could not finish the recording');
      await db
        .updateTable('recording')
        .set({ status: 'failed', error: 'The recording composer could not finish the recording' })
        .where('session_id', '=', session.id)
        .where('status', '=', 'processing')
        .execute();
      return;
    }
    // The composer filed each file's name and metadata when it queued the upload; the upload
    // marks the row ready once the file is stored (SPEC §13: "being processed" until then).
    for (const failure of result.failures) {
      await db
        .updateTable('recording')
        .set({ status: 'failed', error: failure.message })
        .where('session_id', '=', session.id)
        .where('leg', '=', failure.leg)
        .execute();
    }
    log.info({ files: result.files.length, failures: result.failures.length }, 'recording filed');
  }
}
