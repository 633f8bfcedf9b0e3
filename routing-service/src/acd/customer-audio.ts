/**
 * What the customer hears, carried out after commit: each intent the engine recorded in
 * `Changes.playbacks` becomes SFU requests (play a program, stop, isolate for hold). Each
 * carries the call's playback version, so the SFU keeps only the newest whatever the order of
 * arrival. A failure leaves the call going (in silence) and is logged.
 */
import { assertUnreachable } from '@cc/contracts';
import type { Kysely } from 'kysely';
import type { Database } from '@cc/migrations';
import type { Logger } from '../logger.ts';
import { voicemailToneAudio } from '../prompts/prompts.ts';
import { holdProgram } from './hold.ts';
import type { MediaRooms } from './media.ts';
import { transferProgram } from './transfer.ts';
import { waitingProgram, type PlaybackIntent } from './waiting.ts';

export async function playToCustomer(
  deps: { media: MediaRooms; db: Kysely<Database>; logger: Logger },
  peerId: string,
  intent: PlaybackIntent,
): Promise<void> {
  const { media, db, logger } = deps;
  const { roomId, version } = intent;
  try {
    switch (intent.kind) {
      case 'waiting':
        await media.play(roomId, peerId, { ...(await waitingProgram(db, intent.queueId, { callId: intent.callId })), version });
        return;
      case 'message':
        await media.play(roomId, peerId, { intro: intent.audioHashes, loop: null, interrupt: null, version });
        return;
      case 'voicemail': {
        const tone = await voicemailToneAudio(db);
        await media.play(roomId, peerId, {
          intro: [...(intent.promptHash ? [intent.promptHash] : []), tone],
          loop: null,
          interrupt: null,
          version,
        });
        return;
      }
      case 'stop':
        await media.stopPlayback(roomId, peerId, version);
        return;
      case 'hold':
        await Promise.all([
          media.setIsolated(roomId, peerId, true, version),
          holdProgram(db, intent.queueId).then((program) => media.play(roomId, peerId, { ...program, version })),
        ]);
        return;
      case 'transfer':
        await Promise.all([
          media.setIsolated(roomId, peerId, false, version),
          transferProgram(db, intent.organisationId).then((program) => media.play(roomId, peerId, { ...program, version })),
        ]);
        return;
      case 'resume':
        await Promise.all([media.stopPlayback(roomId, peerId, version), media.setIsolated(roomId, peerId, false, version)]);
        return;
      default:
        assertUnreachable(intent);
    }
  } catch (error) {
    logger.warn({ err: error, roomId, peerId, playback: intent.kind }, 'playing to the customer failed');
  }
}
