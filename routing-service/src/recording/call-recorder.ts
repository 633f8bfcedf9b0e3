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
 *
 * A composer that cannot be reached at stop may be restarting (it takes its recordings up
 * again): the stop is retried with back-off for `stopRetryMs`, then the files are failed with
 * the reason, so no recording stays "being processed" for ever.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { constant } from '../acd/db.ts';
import {
  recordsSegment,
  type CallMedia,
  type ComposerResult,
  type ComposerStart,
  type RecordingChannelLayout,
  type RecordingFileLeg,
  type RecordingVideoMode,
} from '@cc/contracts';
import type { Database } from '@cc/migrations';
import { ComposerControlError, type ComposerControlClient } from '@cc/recording-composer/control-client';
import type { SfuControlClient } from '@cc/sfu/control-client';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { customerPeerId } from '../acd/engine.ts';
import { findOrphans } from './orphans.ts';
import type { CallRecordings } from '../acd/recordings.ts';

export interface CallRecorderDeps {
  db: Kysely<Database>;
  sfu: Pick<SfuControlClient, 'startRecording' | 'stopRecording'>;
  composer: Pick<ComposerControlClient, 'start' | 'stop'>;
  clock: Clock;
  logger: Logger;
  /** How long a stop keeps retrying a composer that cannot be reached or fails (ms). Default 120000. */
  stopRetryMs?: number;
}

const DEFAULT_STOP_RETRY_MS = 120_000;
/** First wait between two stop attempts; doubled per attempt up to STOP_RETRY_MAX_DELAY_MS. */
const STOP_RETRY_BASE_MS = 250;
const STOP_RETRY_MAX_DELAY_MS = 5_000;

/** Worth another try: the composer was unreachable (down, restarting, timed out) or failed inside. */
function retryable(error: unknown): boolean {
  return !(error instanceof ComposerControlError) || error.status === 0 || error.status >= 500;
}

/** The reason a recording's files failed because the composer never gave them. */
function stopFailure(error: unknown, retryMs: number): string {
  if (error instanceof ComposerControlError && error.status === 404) {
    return 'The recording composer no longer had this recording (it was restarted without its spool)';
  }
  if (retryable(error)) {
    return `The recording composer could not be reached for ${Math.round(retryMs / 1000)} s after the call; the recording is lost`;
  }
  return `The recording composer could not finish the recording: ${error instanceof Error ? error.message : String(error)}`;
}

const LIVE_STATES = new Set(['connected', 'on_hold']);
/** Who a voicemail's file names as its agent (SPEC §13 names: `<conversation>_<agent>_<end user>_<start>`). */
export const VOICEMAIL_AGENT_NAME = 'Voicemail';

const endUserOf = (row: { contactName: string | null; customer_identity: string }) =>
  row.contactName ? `${row.contactName} ${row.customer_identity}` : row.customer_identity;

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

  voicemail(callId: string): void {
    this.#enqueue(callId, () => this.#startVoicemail(callId));
  }

  segmentEnded(callId: string): void {
    this.#enqueue(callId, () => this.#stop({ callId }));
  }

  ended(roomId: string): void {
    this.#enqueue(roomId, () => this.#stop({ roomId }));
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
    const { db, clock } = this.#deps;
    const call = await db
      .selectFrom('call as c')
      .innerJoin('call_recording_settings as s', 's.call_id', 'c.id')
      .innerJoin('conversation as conv', 'conv.id', 'c.conversation_id')
      .leftJoin('contact as ct', 'ct.id', 'conv.contact_id')
      .leftJoin('user_account as u', 'u.id', 'c.agent_id')
      .leftJoin('agent as a', 'a.user_id', 'c.agent_id')
      .select([
        'c.id',
        'c.organisation_id',
        'c.conversation_id',
        'c.room_id',
        'c.state',
        'c.agent_id',
        's.record',
        's.direction',
        'a.recording_override',
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
    // The agent's own override (read as their segment starts) wins over the call's frozen setting.
    if (!call?.agent_id || !LIVE_STATES.has(call.state) || !recordsSegment(call, call.recording_override)) return;
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
      // A constant (see acd/db.ts): the arbiter must name the partial unique index under a generic plan.
      .onConflict((oc) => oc.column('call_id').where('state', '=', constant('recording')).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return;
    await this.#capture(call.room_id, {
      recordingId,
      organisationId: call.organisation_id,
      storage: call.storage,
      callId: call.id,
      conversationId: call.conversation_id,
      agentName: call.agentName ?? 'agent',
      endUser: endUserOf(call),
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
    });
  }

  /** A voicemail: the session row was committed with the call's change; only the customer's leg is recorded. */
  async #startVoicemail(callId: string): Promise<void> {
    const { db } = this.#deps;
    const session = await db
      .selectFrom('recording_session as rs')
      .innerJoin('call as c', 'c.id', 'rs.call_id')
      .innerJoin('conversation as conv', 'conv.id', 'c.conversation_id')
      .leftJoin('contact as ct', 'ct.id', 'conv.contact_id')
      .leftJoin('call_recording_settings as s', 's.call_id', 'c.id')
      .select([
        'rs.id',
        'c.organisation_id',
        'c.conversation_id',
        'c.room_id',
        's.storage',
        'conv.customer_identity',
        'ct.name as contactName',
      ])
      .where('rs.call_id', '=', callId)
      .where('rs.kind', '=', 'voicemail')
      .where('rs.state', '=', 'recording')
      .executeTakeFirst();
    if (!session) return; // over already (the caller hung up at once)
    await this.#capture(session.room_id, {
      recordingId: session.id,
      organisationId: session.organisation_id,
      // Voicemails are kept even where calls are not recorded: in the organisation's storage, else on local disk.
      storage: session.storage ?? 'local',
      callId,
      conversationId: session.conversation_id,
      agentName: VOICEMAIL_AGENT_NAME,
      endUser: endUserOf(session),
      composition: 'per_leg',
      legs: [{ role: 'customer', peerId: customerPeerId(callId), kind: 'audio' }],
    });
  }

  /** Opens the composer's ports for the legs and points the SFU's tap at them. */
  async #capture(roomId: string, request: ComposerStart): Promise<void> {
    const { sfu, composer, logger } = this.#deps;
    const log = logger.child({ callId: request.callId, recordingId: request.recordingId, conversationId: request.conversationId });
    try {
      const session = await composer.start(request);
      await sfu.startRecording(roomId, {
        recordingId: request.recordingId,
        legs: session.legs.map(({ peerId, kind, ip, port }) => ({ peerId, kind, ip, port })),
      });
      log.info('recording started');
    } catch (error) {
      // The call goes on unrecorded; the stop files the failure.
      log.error({ err: error }, 'recording could not start');
    }
  }

  /** Stops the call's running session (one agent segment, or a voicemail) and files its files. */
  async #stop(of: { roomId: string } | { callId: string }): Promise<void> {
    const { db, clock } = this.#deps;
    const now = clock.now();
    // Claimed once: whichever instance flips the state files the result.
    const session = await db
      .updateTable('recording_session as rs')
      .set({ state: 'stopped', stopped_at: now })
      .from('call as c')
      .whereRef('c.id', '=', 'rs.call_id')
      .where((eb) => ('roomId' in of ? eb('c.room_id', '=', of.roomId) : eb('c.id', '=', of.callId)))
      .where('rs.state', '=', 'recording')
      .returning(['rs.id', 'rs.organisation_id', 'rs.call_id', 'rs.agent_id', 'rs.kind', 'c.conversation_id', 'c.room_id'])
      .executeTakeFirst();
    if (!session) return;
    const frozen = await db
      .selectFrom('call_recording_settings as s')
      .innerJoin('call as c', 'c.id', 's.call_id')
      .select(['s.composition', 's.storage', 's.video_mode', 'c.media'])
      .where('s.call_id', '=', session.call_id)
      .executeTakeFirst();
    // A voicemail is the customer's leg alone (audio), kept whatever the call recording settings say.
    const settings =
      session.kind === 'voicemail'
        ? {
            composition: 'per_leg' as const,
            storage: frozen?.storage ?? ('local' as const),
            video_mode: 'audio_only' as const,
            media: 'audio' as const,
          }
        : frozen;
    if (!settings) return;
    const video = recordsVideo(settings);
    const legs: RecordingFileLeg[] = session.kind === 'voicemail' ? ['customer'] : ['agent', 'customer'];
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
          kind: session.kind,
          channel_layout: CHANNEL_LAYOUTS[leg],
          // A video call's leg files and composite are WebM; the merged stereo audio stays Ogg.
          container: video && leg !== 'merged' ? ('webm' as const) : ('ogg' as const),
          status: 'processing' as const,
          storage: settings.storage,
        })),
      )
      .onConflict((oc) => oc.columns(['session_id', 'leg']).doNothing())
      .execute();
    await this.#file(session);
  }

  /** Stops the SFU's tap and the composer's recording, and files what the composer made (or why not). */
  async #file(session: { id: string; call_id: string; room_id: string }): Promise<void> {
    const { db, sfu, logger } = this.#deps;
    const log = logger.child({ callId: session.call_id, recordingId: session.id });
    await sfu.stopRecording(session.room_id, session.id).catch((error: unknown) => log.warn({ err: error }, 'stopping the SFU tap failed'));
    const result = await this.#stopOnComposer(session.id, log);
    if ('failed' in result) {
      await db
        .updateTable('recording')
        .set({ status: 'failed', error: result.failed })
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

  /**
   * Takes up what a routing instance that went away left undone (it is told of a call's end
   * after commit, and files the result after the composer answers): the recordings of calls
   * that ended a while ago but were never stopped are stopped now, and stopped recordings whose
   * files were never filed (no upload job, still "being processed" after the stop's whole retry
   * window) are filed again — the composer's stop answers the same result every time. Safe on
   * every instance at once: a stop is claimed once, and filing twice changes nothing.
   */
  async sweep(): Promise<{ stopped: number; refiled: number }> {
    const now = this.#deps.clock.now();
    const { unstopped, unfiled } = await findOrphans(this.#deps.db, now, this.#deps.stopRetryMs ?? DEFAULT_STOP_RETRY_MS);
    for (const roomId of unstopped) this.ended(roomId);
    for (const session of unfiled) this.#enqueue(session.call_id, () => this.#file(session));
    await Promise.all([...unstopped, ...unfiled.map((session) => session.call_id)].map((key) => this.settled(key)));
    return { stopped: unstopped.length, refiled: unfiled.length };
  }

  /** The composer's stop, retried while the composer is unreachable (a stop is idempotent there). */
  async #stopOnComposer(recordingId: string, log: Logger): Promise<ComposerResult | { failed: string }> {
    const { composer, clock } = this.#deps;
    const retryMs = this.#deps.stopRetryMs ?? DEFAULT_STOP_RETRY_MS;
    const startedMs = clock.now().getTime();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await composer.stop(recordingId);
        if (attempt > 1) log.info({ attempts: attempt }, 'the composer finished the recording after retries');
        return result;
      } catch (error) {
        const elapsedMs = clock.now().getTime() - startedMs;
        if (!retryable(error) || elapsedMs >= retryMs) {
          log.error({ err: error, attempts: attempt, elapsedMs }, 'the composer could not finish the recording');
          return { failed: stopFailure(error, retryMs) };
        }
        // The last attempt is made when the window ends.
        const delayMs = Math.min(STOP_RETRY_BASE_MS * 2 ** (attempt - 1), STOP_RETRY_MAX_DELAY_MS, retryMs - elapsedMs);
        log.warn({ err: error, attempt, retryInMs: delayMs }, 'stopping the recording on the composer failed; retrying');
        await new Promise<void>((resolve) => clock.alarm(new Date(clock.now().getTime() + delayMs), resolve));
      }
    }
  }
}
